/* SPDX-License-Identifier: MIT */
/* eMMC EXT_CSD register: the area sizes and boot configuration (formats.md
 * §6.1, §6.2; byte indices from JEDEC JESD84-B51). */
#include "mtkflash/storage.h"

#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"

#define MULT_UNIT   (128u * 1024u) /* BOOT_SIZE_MULT, RPMB_SIZE_MULT */
#define GP_UNIT     (512u * 1024u) /* × HC_WP_GRP_SIZE × HC_ERASE_GRP_SIZE */
#define DEFAULT_REV 8              /* eMMC 5.1 */

static const enum mtk_region access_regions[4] = {MTK_REGION_USER, MTK_REGION_BOOT1, MTK_REGION_BOOT2,
                                                  MTK_REGION_RPMB};

int mtk_partcfg_access_region(unsigned access, enum mtk_region *out)
{
	if (access >= 4)
		return MTK_E_UNSUPPORTED; /* GP1-GP4: no MTK layout uses them */
	*out = access_regions[access];
	return 0;
}

unsigned mtk_region_access(enum mtk_region r)
{
	for (unsigned a = 0; a < 4; a++)
		if (access_regions[a] == r)
			return a;
	return 0;
}

static uint32_t get_u24le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

int mtk_extcsd_decode(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_extcsd *out)
{
	memset(out, 0, sizeof *out);
	if (!buf || len < MTK_EXT_CSD_SIZE)
		return mtk_fail(ctx, MTK_E_PARSE, "EXT_CSD: %zu bytes, the register is %d", buf ? len : 0,
		                MTK_EXT_CSD_SIZE);
	out->boot_size = (uint64_t)buf[MTK_EXT_CSD_BOOT_SIZE_MULT] * MULT_UNIT;
	out->rpmb_size = (uint64_t)buf[MTK_EXT_CSD_RPMB_SIZE_MULT] * MULT_UNIT;
	out->user_size = (uint64_t)mtk_get_u32le(buf + MTK_EXT_CSD_SEC_COUNT) * 512;
	out->hc_wp_grp_size = buf[MTK_EXT_CSD_HC_WP_GRP_SIZE];
	out->hc_erase_grp_size = buf[MTK_EXT_CSD_HC_ERASE_GRP_SIZE];
	uint64_t gp_unit = (uint64_t)out->hc_wp_grp_size * out->hc_erase_grp_size * GP_UNIT;
	for (int i = 0; i < 4; i++)
		out->gp_size[i] = get_u24le(buf + MTK_EXT_CSD_GP_SIZE_MULT + 3 * i) * gp_unit;
	out->partition_config = buf[MTK_EXT_CSD_PARTITION_CONFIG];
	out->boot_wp = buf[MTK_EXT_CSD_BOOT_WP];
	out->boot_bus_conditions = buf[MTK_EXT_CSD_BOOT_BUS_CONDITIONS];
	out->boot_info = buf[MTK_EXT_CSD_BOOT_INFO];
	out->partition_setting_completed = buf[MTK_EXT_CSD_PARTITION_SETTING_COMPLETED];
	out->rev = buf[MTK_EXT_CSD_REV];
	return 0;
}

/* size = mult × unit with mult <= max; MTK_E_RANGE otherwise. */
static int size_to_mult(mtk_ctx *ctx, const char *what, uint64_t size, uint64_t unit, uint64_t max,
                        uint64_t *mult)
{
	if (size % unit || size / unit > max)
		return mtk_fail(
		        ctx, MTK_E_RANGE, "EXT_CSD: %s 0x%llx is not a multiple of 0x%llx up to 0x%llx", what,
		        (unsigned long long)size, (unsigned long long)unit, (unsigned long long)(max * unit));
	*mult = size / unit;
	return 0;
}

static int encode_gp(mtk_ctx *ctx, const struct mtk_extcsd *in, uint8_t *buf)
{
	bool any = in->gp_size[0] || in->gp_size[1] || in->gp_size[2] || in->gp_size[3];
	uint8_t wp = in->hc_wp_grp_size, er = in->hc_erase_grp_size;
	if (any && !wp)
		wp = 1;
	if (any && !er)
		er = 1;
	buf[MTK_EXT_CSD_HC_WP_GRP_SIZE] = wp;
	buf[MTK_EXT_CSD_HC_ERASE_GRP_SIZE] = er;
	for (int i = 0; any && i < 4; i++) {
		uint64_t mult = 0;
		int rc = size_to_mult(ctx, "GP area size", in->gp_size[i], (uint64_t)wp * er * GP_UNIT,
		                      0xFFFFFF, &mult);
		if (rc < 0)
			return rc;
		uint8_t *p = buf + MTK_EXT_CSD_GP_SIZE_MULT + 3 * i;
		p[0] = (uint8_t)mult;
		p[1] = (uint8_t)(mult >> 8);
		p[2] = (uint8_t)(mult >> 16);
	}
	return 0;
}

int mtk_extcsd_encode(mtk_ctx *ctx, const struct mtk_extcsd *in, uint8_t *buf, size_t len)
{
	uint64_t boot = 0, rpmb = 0, sec = 0;
	if (len < MTK_EXT_CSD_SIZE)
		return mtk_fail(ctx, MTK_E_INVAL, "EXT_CSD: buffer of %zu bytes, need %d", len,
		                MTK_EXT_CSD_SIZE);
	memset(buf, 0, MTK_EXT_CSD_SIZE);
	int rc = size_to_mult(ctx, "boot area size", in->boot_size, MULT_UNIT, 0xFF, &boot);
	if (rc == 0)
		rc = size_to_mult(ctx, "RPMB size", in->rpmb_size, MULT_UNIT, 0xFF, &rpmb);
	if (rc == 0)
		rc = size_to_mult(ctx, "user area size", in->user_size, 512, 0xFFFFFFFF, &sec);
	if (rc == 0)
		rc = encode_gp(ctx, in, buf);
	if (rc < 0)
		return rc;
	buf[MTK_EXT_CSD_BOOT_SIZE_MULT] = (uint8_t)boot;
	buf[MTK_EXT_CSD_RPMB_SIZE_MULT] = (uint8_t)rpmb;
	mtk_put_u32le(buf + MTK_EXT_CSD_SEC_COUNT, (uint32_t)sec);
	buf[MTK_EXT_CSD_PARTITION_CONFIG] = in->partition_config;
	buf[MTK_EXT_CSD_BOOT_WP] = in->boot_wp;
	buf[MTK_EXT_CSD_BOOT_BUS_CONDITIONS] = in->boot_bus_conditions;
	buf[MTK_EXT_CSD_BOOT_INFO] = in->boot_info;
	buf[MTK_EXT_CSD_PARTITION_SETTING_COMPLETED] = in->partition_setting_completed;
	buf[MTK_EXT_CSD_REV] = in->rev ? in->rev : DEFAULT_REV;
	return 0;
}

void mtk_extcsd_regions(const struct mtk_extcsd *e, struct mtk_regions *rg)
{
	rg->size[MTK_REGION_BOOT1] = e->boot_size;
	rg->size[MTK_REGION_BOOT2] = e->boot_size;
	rg->size[MTK_REGION_RPMB] = e->rpmb_size;
	rg->size[MTK_REGION_USER] = e->user_size;
}
