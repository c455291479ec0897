/* SPDX-License-Identifier: MIT */
/* A layout change: the package's partitions as the device's new GPT. */
#include <stdlib.h>
#include <string.h>

#include "flash_priv.h"
#include "mtkflash/da.h"

struct gpt_io {
	mtk_ctx *ctx;
	struct mtk_da *da;
	uint32_t ss;
	uint64_t bytes;
};

struct mem_src {
	const uint8_t *buf;
	size_t len;
};

static int mem_source(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	const struct mem_src *m = user;
	if (off > m->len || len > m->len - off)
		return MTK_E_RANGE;
	memcpy(buf, m->buf + off, len);
	return (int)len; /* a source returns the bytes it gave */
}

/* A table that is not what was sent is worse than the old one: read back. */
static int write_sectors(void *user, uint64_t lba, uint32_t count, const uint8_t *buf)
{
	struct gpt_io *io = user;
	size_t len = (size_t)count * io->ss;
	struct mem_src m = { buf, len };
	int rc = mtk_da_write(io->da, "partition table", MTK_REGION_USER, lba * io->ss, len, mem_source, &m);
	uint8_t *back = rc == 0 ? malloc(len) : NULL;
	if (rc == 0 && !back)
		rc = mtk_fail(io->ctx, MTK_E_NOMEM, "no memory to read the table back");
	if (rc == 0)
		rc = mtk_da_read_buf(io->da, MTK_REGION_USER, lba * io->ss, back, len);
	size_t bad = 0;
	while (rc == 0 && bad < len && back[bad] == buf[bad])
		bad++;
	if (rc == 0 && bad < len)
		rc = mtk_fail(io->ctx, MTK_E_VERIFY, "the partition table at LBA %llu reads back different at byte "
			      "0x%zx of 0x%zx", (unsigned long long)lba, bad, len);
	free(back);
	io->bytes += rc == 0 ? len : 0;
	return rc;
}

static bool in_gpt(const struct mtk_plan_entry *e)
{
	return e->region == MTK_REGION_USER && e->cls != MTK_PCLASS_TABLE && e->match != MTK_MATCH_REMOVED &&
	       e->size > 0;
}

static int new_table(mtk_ctx *ctx, const struct mtk_fingerprint *fp, const struct mtk_plan *plan,
		     struct mtk_ptable *t)
{
	mtk_ptable_init(t, MTK_PTABLE_GPT);
	t->sector_size = fp->table.sector_size ? fp->table.sector_size : 512;
	t->disk_size = fp->storage.regions.size[MTK_REGION_USER];
	memcpy(t->disk_guid, fp->table.disk_guid, sizeof t->disk_guid);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < plan->count; i++) {
		const struct mtk_plan_entry *e = &plan->entries[i];
		if (!in_gpt(e))
			continue;
		struct mtk_part p;
		memset(&p, 0, sizeof p);
		snprintf(p.name, sizeof p.name, "%s", e->device_name[0] ? e->device_name : e->name);
		p.start = e->offset;
		p.size = e->size;
		p.region = MTK_REGION_USER;
		const struct mtk_part *old = mtk_part_find(&fp->table, p.name);
		if (old) {
			memcpy(p.type_guid, old->type_guid, sizeof p.type_guid);
			memcpy(p.uuid, old->uuid, sizeof p.uuid);
			p.attrs = old->attrs;
		}
		rc = mtk_ptable_add(ctx, t, &p);
	}
	return rc == 0 ? mtk_ptable_check(ctx, t) : rc;
}

int flash_write_gpt(mtk_ctx *ctx, struct mtk_da *da, const struct mtk_fingerprint *fp, const struct mtk_plan *plan,
		    struct mtk_flash_outcome *o)
{
	struct mtk_ptable t;
	int rc = new_table(ctx, fp, plan, &t);
	struct gpt_io io = { ctx, da, t.sector_size, 0 };
	uint64_t seed = 0;
	for (size_t i = 0; i < 8; i++)
		seed = seed << 8 | fp->table_sha256[i];
	if (rc == 0)
		rc = mtk_gpt_write(ctx, &t, t.sector_size, t.disk_size / t.sector_size, seed, write_sectors, &io);
	if (rc == 0) {
		mtk_ptable_sha256(&t, o->image_sha256);
		memcpy(o->readback_sha256, o->image_sha256, 32);
		o->have_image = o->verified = true;
	}
	o->bytes = o->bytes_written = io.bytes;
	mtk_ptable_free(&t);
	return rc < 0 ? mtk_wrap(ctx, rc, "writing the new partition table") : 0;
}
