/* SPDX-License-Identifier: MIT */
/* eMMC areas and the MT6572-era linear address space (formats.md §1.7, §6.1). */
#include "mtkflash/storage.h"

#include <strings.h>

#include "core/bytes.h"
#include "core/ctx.h"

static const char *const region_names[MTK_REGION_COUNT] = {"boot1", "boot2", "rpmb", "user"};

/* Scatter and DA spellings.  both = 1: the scatter asks for the same image in
 * both boot areas. */
static const struct {
	const char *name;
	enum mtk_region region;
	int both;
} region_spellings[] = {
        {"boot1", MTK_REGION_BOOT1, 0},       {"EMMC_BOOT1", MTK_REGION_BOOT1, 0},
        {"EMMC_BOOT_1", MTK_REGION_BOOT1, 0}, {"UFS_LU0", MTK_REGION_BOOT1, 0},
        {"boot2", MTK_REGION_BOOT2, 0},       {"EMMC_BOOT2", MTK_REGION_BOOT2, 0},
        {"EMMC_BOOT_2", MTK_REGION_BOOT2, 0}, {"UFS_LU1", MTK_REGION_BOOT2, 0},
        {"rpmb", MTK_REGION_RPMB, 0},         {"EMMC_RPMB", MTK_REGION_RPMB, 0},
        {"user", MTK_REGION_USER, 0},         {"EMMC_USER", MTK_REGION_USER, 0},
        {"UFS_LU2", MTK_REGION_USER, 0},      {"EMMC_BOOT1_BOOT2", MTK_REGION_BOOT1, 1},
        {"UFS_LU0_LU1", MTK_REGION_BOOT1, 1},
};

/* DA / ptgen `Region` ids (formats.md §6.1): USER is 8 because GP1-4 are 4-7. */
static const uint8_t region_da_ids[MTK_REGION_COUNT] = {1, 2, 3, 8};
#define DA_ID_BOOT1_BOOT2 10

const char *mtk_region_name(enum mtk_region r)
{
	return (unsigned)r < MTK_REGION_COUNT ? region_names[r] : "?";
}

int mtk_region_from_name(const char *name, enum mtk_region *out)
{
	for (size_t i = 0; name && i < sizeof region_spellings / sizeof region_spellings[0]; i++) {
		if (!strcasecmp(name, region_spellings[i].name)) {
			*out = region_spellings[i].region;
			return region_spellings[i].both;
		}
	}
	return MTK_E_NOTFOUND;
}

uint8_t mtk_region_da_id(enum mtk_region r)
{
	return (unsigned)r < MTK_REGION_COUNT ? region_da_ids[r] : 0;
}

int mtk_region_from_da_id(uint64_t id, enum mtk_region *out)
{
	if (id == DA_ID_BOOT1_BOOT2) {
		*out = MTK_REGION_BOOT1;
		return 0;
	}
	for (int r = 0; r < MTK_REGION_COUNT; r++) {
		if (region_da_ids[r] == id) {
			*out = (enum mtk_region)r;
			return 0;
		}
	}
	return MTK_E_NOTFOUND;
}

int mtk_region_check(mtk_ctx *ctx, const struct mtk_regions *rg, enum mtk_region r, uint64_t off,
                     uint64_t len)
{
	uint64_t end;
	if ((unsigned)r >= MTK_REGION_COUNT)
		return mtk_fail(ctx, MTK_E_INVAL, "unknown region %d", (int)r);
	if (mtk_add_overflows(off, len, &end) || end > rg->size[r])
		return mtk_fail(ctx, MTK_E_RANGE,
		                "0x%llx bytes at 0x%llx do not fit the %s area (0x%llx bytes)",
		                (unsigned long long)len, (unsigned long long)off, region_names[r],
		                (unsigned long long)rg->size[r]);
	return 0;
}

void mtk_old_space_init(struct mtk_old_space *s, const struct mtk_regions *rg)
{
	s->rg = *rg;
	s->user_base = rg->size[MTK_REGION_BOOT1] + rg->size[MTK_REGION_BOOT2] + rg->size[MTK_REGION_RPMB];
}

/* Linear start of each area below the user area. */
static uint64_t old_base(const struct mtk_old_space *s, enum mtk_region r)
{
	uint64_t b = 0;
	for (int i = 0; i < (int)r && i < MTK_REGION_USER; i++)
		b += s->rg.size[i];
	return r == MTK_REGION_USER ? s->user_base : b;
}

int mtk_old_to_region(mtk_ctx *ctx, const struct mtk_old_space *s, uint64_t linear, enum mtk_region *reg,
                      uint64_t *off, uint64_t *avail)
{
	if (linear >= s->user_base) {
		uint64_t o = linear - s->user_base, size = s->rg.size[MTK_REGION_USER];
		if (size && o >= size)
			return mtk_fail(
			        ctx, MTK_E_RANGE,
			        "linear address 0x%llx is past the end of the user area (0x%llx + 0x%llx)",
			        (unsigned long long)linear, (unsigned long long)s->user_base,
			        (unsigned long long)size);
		*reg = MTK_REGION_USER;
		*off = o;
		if (avail)
			*avail = size ? size - o : 0;
		return 0;
	}
	for (int r = MTK_REGION_BOOT1; r < MTK_REGION_USER; r++) {
		uint64_t b = old_base(s, (enum mtk_region)r);
		if (linear >= b && linear - b < s->rg.size[r]) {
			*reg = (enum mtk_region)r;
			*off = linear - b;
			if (avail)
				*avail = s->rg.size[r] - *off;
			return 0;
		}
	}
	/* ptgen reserves the largest boot+rpmb of any supported part, so a real
	 * device can have unaddressable bytes here. */
	uint64_t boot_end = old_base(s, MTK_REGION_RPMB) + s->rg.size[MTK_REGION_RPMB];
	return mtk_fail(
	        ctx, MTK_E_RANGE,
	        "linear address 0x%llx lies between the end of the boot areas (0x%llx) and the user area "
	        "(0x%llx)",
	        (unsigned long long)linear, (unsigned long long)boot_end, (unsigned long long)s->user_base);
}

int mtk_region_to_old(mtk_ctx *ctx, const struct mtk_old_space *s, enum mtk_region reg, uint64_t off,
                      uint64_t *linear)
{
	if ((unsigned)reg >= MTK_REGION_COUNT)
		return mtk_fail(ctx, MTK_E_INVAL, "unknown region %d", (int)reg);
	uint64_t size = s->rg.size[reg];
	bool open_end = reg == MTK_REGION_USER && size == 0;
	if (!open_end && off >= size)
		return mtk_fail(ctx, MTK_E_RANGE, "offset 0x%llx is outside the %s area (0x%llx bytes)",
		                (unsigned long long)off, region_names[reg], (unsigned long long)size);
	if (mtk_add_overflows(old_base(s, reg), off, linear))
		return mtk_fail(ctx, MTK_E_RANGE, "offset 0x%llx in the %s area overflows the linear space",
		                (unsigned long long)off, region_names[reg]);
	return 0;
}

int mtk_region_plain_access(mtk_ctx *ctx, enum mtk_region r)
{
	if (r != MTK_REGION_RPMB)
		return 0;
	return mtk_fail(ctx, MTK_E_POLICY,
	                "refusing plain access to the RPMB area: RPMB is authenticated storage, read and "
	                "written only through request/response frames signed with the device's RPMB key, "
	                "which the legacy DA protocol does not carry");
}
