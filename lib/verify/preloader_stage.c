/* SPDX-License-Identifier: MIT */
/* The staged preloader: the boot2 copy in the plan, the sub-steps a chip's
 * boot policy allows, the header invalidation before each copy is written
 * (include/mtkflash/flash.h, docs/verified-mode.md "Staged preloader"). */
#include <stdio.h>
#include <string.h>

#include "mtkflash/da.h"
#include "mtkflash/flash.h"
#include "mtkflash/transport.h"
#include "flash_priv.h"

static const char *const substep_names[] = { "write-boot2", "select-boot2", "write-boot1", "select-boot1" };

const char *mtk_pl_substep_name(enum mtk_pl_substep s)
{
	return (unsigned)s < sizeof substep_names / sizeof *substep_names ? substep_names[s] : "?";
}

size_t mtk_preloader_substeps(enum mtk_boot_select sel, bool da_can_select, enum mtk_pl_substep out[MTK_PL_MAX_SUBSTEPS])
{
	size_t n = 0;
	bool flip = sel == MTK_BOOT_SELECT_EXT_CSD && da_can_select;
	out[n++] = MTK_PL_WRITE_BOOT2;
	if (flip)
		out[n++] = MTK_PL_SELECT_BOOT2;
	out[n++] = MTK_PL_WRITE_BOOT1;
	if (flip)
		out[n++] = MTK_PL_SELECT_BOOT1;
	return n;
}

const char *mtk_preloader_policy_text(enum mtk_boot_select sel, bool da_can_select)
{
	if (sel == MTK_BOOT_SELECT_EXT_CSD && da_can_select)
		return "the BootROM boots the partition BOOT_PARTITION_ENABLE selects: it points at the verified boot2 "
		       "copy while boot1 is written, then back at boot1";
	if (sel == MTK_BOOT_SELECT_EXT_CSD)
		return "the BootROM boots the partition BOOT_PARTITION_ENABLE selects, but no known DA command sets it "
		       "(da-legacy.md 4.9, da-xflash.md 3.9): it stays at boot1, and while boot1 is written the "
		       "journal and `mtkflash recover` (BROM mode) cover the window";
	return "this chip's BootROM boots boot1 only: BOOT_PARTITION_ENABLE stays at boot1, and while boot1 is "
	       "written the journal and `mtkflash recover` (BROM mode) cover the window";
}

/* ---------------------------------------------------------------- plan */

static struct mtk_plan_entry *preloader_write(struct mtk_plan *p)
{
	for (size_t i = 0; i < p->count; i++) {
		struct mtk_plan_entry *e = &p->entries[i];
		if (e->rank == 3 && e->action == MTK_ACT_WRITE && e->region == MTK_REGION_BOOT1 && e->offset == 0 &&
		    e->image)
			return e;
	}
	return NULL;
}

static bool boot_copy_note(struct mtk_plan *p, const struct mtk_plan_entry *e, uint64_t boot2)
{
	if (!boot2 || e->bytes > boot2) {
		snprintf(p->preloader_note, sizeof p->preloader_note,
			 "not staged: the device reports %s boot2 area (0x%llx bytes) for a 0x%llx-byte preloader: "
			 "boot1 is written alone", boot2 ? "too small a" : "no", (unsigned long long)boot2,
			 (unsigned long long)e->bytes);
		return false;
	}
	return true;
}

/* The entries are sorted (rank, region, offset) and the plan has room for
 * one more: the copy goes right before the boot1 write. */
void plan_stage_preloader(const struct mtk_fingerprint *fp, struct mtk_plan *p)
{
	const struct mtk_chip *chip = fp->brom.chip ? fp->brom.chip : mtk_chip_by_hw_code(fp->brom.hw_code);
	p->boot_select = chip ? chip->boot_select : MTK_BOOT_SELECT_BOOT1_ONLY;
	struct mtk_plan_entry *e = preloader_write(p);
	if (!e || !boot_copy_note(p, e, fp->storage.regions.size[MTK_REGION_BOOT2]))
		return;
	size_t at = (size_t)(e - p->entries);
	memmove(e + 1, e, (p->count - at) * sizeof *e);
	p->count++;
	struct mtk_plan_entry *copy = e, *boot1 = e + 1;
	copy->image = strdup(boot1->image);
	if (!copy->image) {
		memmove(e, e + 1, (p->count - at - 1) * sizeof *e);
		p->count--;
		return;
	}
	snprintf(copy->name, sizeof copy->name, "%.*s%s", (int)(sizeof copy->name - sizeof MTK_BOOT_COPY_SUFFIX),
		 boot1->name, MTK_BOOT_COPY_SUFFIX);
	copy->device_name[0] = '\0';
	copy->region = MTK_REGION_BOOT2;
	copy->offset = 0;
	uint64_t boot2 = fp->storage.regions.size[MTK_REGION_BOOT2];
	copy->size = boot1->size && boot1->size < boot2 ? boot1->size : boot2;
	copy->boot_copy = true;
	snprintf(copy->note, sizeof copy->note, "staged preloader: the new copy in boot2, verified before boot1 is "
		 "touched");
	p->preloader_staged = true;
	snprintf(p->preloader_note, sizeof p->preloader_note, "%s",
		 mtk_preloader_policy_text(p->boot_select, false));
}

/* ---------------------------------------------------------------- flash */

static int zero_source(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	(void)user;
	(void)off;
	memset(buf, 0, len);
	return (int)len;
}

int mtk_preloader_clear_header(mtk_ctx *ctx, struct mtk_da *da, enum mtk_region region)
{
	char what[48];
	snprintf(what, sizeof what, "clear %s header", mtk_region_name(region));
	int rc = mtk_da_write(da, what, region, 0, 512, zero_source, NULL);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "invalidating the preloader header in %s", mtk_region_name(region));
	snprintf(what, sizeof what, "%s header invalidated; the image", mtk_region_name(region));
	flash_log_link(ctx, da, what);
	return 0;
}

/* The link position lets a fault test (byte-count faults) aim inside a step. */
void flash_log_link(mtk_ctx *ctx, struct mtk_da *da, const char *what)
{
	uint64_t in = 0, out = 0;
	if (mtk_da_transport(da))
		mtk_transport_counts(mtk_da_transport(da), &in, &out);
	mtk_log(ctx, MTK_LOG_DEBUG, "%s follows from link byte %llu", what, (unsigned long long)(in + out));
}
