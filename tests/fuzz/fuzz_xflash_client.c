/* SPDX-License-Identifier: MIT */
/* The xflash (DA v5) client against a hostile device: the input is
 * everything the "device" answers; the host's writes are swallowed.  The
 * first byte picks the path (preloader or BROM agent, EMI table fit or not);
 * drives connect, the partition-table probe, a read, a write with the DA's
 * checks on, an erase and SHUTDOWN. */
#include <stdlib.h>
#include <string.h>

#include "da/da_priv.h" /* white-box: a session filled by hand */
#include "feed_tp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int null_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	(void)user, (void)off;
	volatile uint8_t x = len ? buf[0] ^ buf[len - 1] : 0;
	(void)x;
	return 0;
}

static int pattern_source(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	(void)user;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(off + i);
	return (int)len;
}

static uint8_t da2[0x1800];

/* One eMMC-MCP record naming the CID the seeds report, or a discrete one. */
static void emi_table(struct mtk_emi_table *t, bool mcp)
{
	static const uint8_t id[9] = { 0x90, 0x01, 0x4A, 0x48, 0x41, 0x47, 0x34, 0x65, 0x04 };
	memset(t, 0, sizeof *t);
	t->version = 21, t->count = 1, t->record_size = 0x100, t->described = 1;
	t->rec[0].type = mcp ? 0x0206 : 0x0006;
	t->rec[0].id_len = mcp ? 9 : 0;
	memcpy(t->rec[0].id, id, 9);
}

static void operations(struct mtk_da *da)
{
	struct mtk_ptable t;
	if (mtk_da_read_ptable(da, true, &t) == 0)
		mtk_ptable_free(&t);
	mtk_da_read(da, "r", MTK_REGION_USER, 0, 0x10200, null_sink, NULL);
	if (mtk_da_set_device_checks(da, MTK_DA_CHECK_USB | MTK_DA_CHECK_STORAGE) == 0)
		mtk_da_write(da, "w", MTK_REGION_BOOT1, 0, 0x1234, pattern_source, NULL);
	mtk_da_erase(da, "e", MTK_REGION_USER, 0x1000, 0x2000);
	mtk_da_speed_switch(da, 10);
	mtk_da_finish(da, MTK_FINISH_NORMAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	mtk_ctx *ctx = mtk_ctx_new();
	struct feed feed = { data + 1, size - 1 };
	struct mtk_transport tp = { .ops = &feed_ops, .ctx = ctx, .priv = &feed };
	struct mtk_da da;
	memset(&da, 0, sizeof da);
	da.ctx = ctx;
	da.tp = &tp;
	da.brom.ctx = ctx;
	da.brom.tp = &tp;
	da.brom.info.hw_code = 0x0766;
	da.choice.family = MTK_DA_XFLASH;
	da.choice.da2.addr = 0x40000000;
	da.choice.da2.data = da2;
	da.choice.da2.len = sizeof da2;
	da.choice.da2.sig_len = data[0] & 1 ? 0x100 : 0;
	static const uint8_t block[0x120] = "MTK_BLOADER_INFO_v21";
	struct mtk_emi_table table;
	emi_table(&table, data[0] & 2);
	struct mtk_da_emi emi = { block + 0x20, sizeof block - 0x20, 21, &table, block, sizeof block };
	if (mtk_da_xflash_start(&da, data[0] & 4 ? NULL : &emi) == 0)
		operations(&da);
	if (da.ops)
		da.ops->destroy(&da);
	mtk_ctx_free(ctx);
	return 0;
}
