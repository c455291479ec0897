/* SPDX-License-Identifier: MIT */
/* The legacy DA client against a hostile device: the input is everything the
 * "device" answers; the host's writes are swallowed.  Drives connect, the
 * partition-table probe, a read, a write, an erase and FINISH. */
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

static int zero_source(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	(void)user, (void)off;
	memset(buf, 0xA5, len);
	return (int)len;
}

static uint8_t da2[0x1800];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct feed feed = { data, size };
	struct mtk_transport tp = { .ops = &feed_ops, .ctx = ctx, .priv = &feed };
	struct mtk_da da;
	memset(&da, 0, sizeof da);
	da.ctx = ctx;
	da.tp = &tp;
	da.brom.ctx = ctx;
	da.brom.tp = &tp;
	/* The first byte picks the chip personality (stage-2 tails differ). */
	static const uint16_t codes[] = { 0x6580, 0x6572, 0x0321, 0x6592, 0x8127, 0x6583 };
	da.brom.info.hw_code = codes[size ? data[0] % 6 : 0];
	da.brom.info.bl_ver = 0xFE;
	da.choice.da2.addr = 0x40000000;
	da.choice.da2.data = da2;
	da.choice.da2.len = sizeof da2;
	static const uint8_t emi_bytes[0x178] = { 1 };
	/* One discrete-DRAM record: the host cannot check it against the flash
	 * id, so the client sends it and the fuzzed replies reach the EMI path. */
	static const struct mtk_emi_table emi_table = {
		.version = 0x15, .count = 1, .record_size = 0x108, .described = 1, .rec = { { .type = 0x0003 } }
	};
	struct mtk_da_emi emi = { emi_bytes, sizeof emi_bytes, 0x15, &emi_table, emi_bytes, sizeof emi_bytes };
	if (mtk_da_legacy_start(&da, &emi) == 0) {
		struct mtk_ptable t;
		if (mtk_da_read_ptable(&da, true, &t) == 0)
			mtk_ptable_free(&t);
		/* One packet: a second one (past 1 MiB) needs inputs longer than
		 * libFuzzer makes, and a 1 MiB buffer per run costs more than the
		 * rest of the run together. */
		mtk_da_read(&da, "r", MTK_REGION_USER, 0, 0x2200, null_sink, NULL);
		mtk_da_write(&da, "w", MTK_REGION_BOOT1, 0, 0x1234, zero_source, NULL);
		mtk_da_erase(&da, "e", MTK_REGION_USER, 0x1000, 0x2000);
		mtk_da_finish(&da, MTK_FINISH_NORMAL);
	}
	if (da.ops)
		da.ops->destroy(&da);
	mtk_ctx_free(ctx);
	return 0;
}
