/* SPDX-License-Identifier: MIT */
/* lib/brom against a hostile device: the fuzzer's bytes are everything the
 * device says, in order.  Whatever the host writes is accepted.  Reads past
 * the end of the data time out at once, so every run ends quickly: the
 * client must neither crash nor spin, whatever it is told. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtkflash/brom.h"
#include "mtkflash/transport.h"
#include "transport/transport_priv.h" /* white-box: builds transports by hand */

struct hostile {
	struct mtk_transport tp;
	const uint8_t *data;
	size_t len, off;
};

/* The first byte of the input sets how the replies are split into reads,
 * so short reads mid-field are exercised too. */
static size_t read_cap;

static int hostile_read(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	(void)timeout_ms;
	struct hostile *h = t->priv;
	if (h->off >= h->len)
		return MTK_E_TIMEOUT;
	size_t n = h->len - h->off;
	if (n > len)
		n = len;
	if (read_cap && n > read_cap)
		n = read_cap;
	memcpy(buf, h->data + h->off, n);
	h->off += n;
	return (int)n;
}

static int hostile_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms)
{
	(void)t;
	(void)buf;
	(void)len;
	(void)timeout_ms;
	return 0;
}

static const struct mtk_transport_ops hostile_ops = {
	.name = "fuzz",
	.read = hostile_read,
	.write = hostile_write,
};

/* After connect, every other command in turn, whether the previous one
 * failed or not: a confused device keeps talking. */
static void run_commands(struct mtk_brom *b)
{
	uint8_t da[0x300];
	for (size_t i = 0; i < sizeof da; i++)
		da[i] = (uint8_t)(i * 13 + 7);
	uint32_t words[4];
	uint16_t half = 0x2264;
	uint8_t id[32];
	mtk_brom_read32(b, 0x10007000, words, 4);
	mtk_brom_write16(b, 0xC0000000, &half, 1);
	mtk_brom_get_soc_id(b, id);
	mtk_brom_send_cert(b, da, 0x101);
	mtk_brom_send_auth(b, da, 0x80);
	mtk_brom_send_da(b, 0x200000, da, sizeof da, 0x100);
	mtk_brom_jump_da(b, 0x200000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	read_cap = data[0] & 7;
	mtk_ctx *ctx = mtk_ctx_new();
	if (!ctx)
		return 0;
	struct hostile h = { .data = data + 1, .len = size - 1 };
	h.tp.ops = &hostile_ops;
	h.tp.ctx = ctx;
	h.tp.priv = &h;
	struct mtk_brom b = { .ctx = ctx };
	mtk_brom_connect(&b, &h.tp, 400);
	run_commands(&b);
	mtk_ctx_free(ctx);
	return 0;
}
