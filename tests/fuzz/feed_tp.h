/* SPDX-License-Identifier: MIT */
/* A transport for the DA-client fuzz targets: reads come from the fuzz
 * input, writes are swallowed. */
#ifndef FUZZ_FEED_TP_H
#define FUZZ_FEED_TP_H

#include <string.h>

#include "transport/transport_priv.h"

struct feed {
	const uint8_t *p;
	size_t left;
};

static inline int f_read(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	struct feed *f = t->priv;
	(void)timeout_ms;
	if (!f->left)
		return MTK_E_DISCONNECTED;
	size_t n = len < f->left ? len : f->left;
	memcpy(buf, f->p, n);
	f->p += n;
	f->left -= n;
	return (int)n;
}

static inline int f_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms)
{
	(void)t, (void)buf, (void)len, (void)timeout_ms;
	return 0;
}

static inline void f_close(struct mtk_transport *t)
{
	(void)t;
}

static const struct mtk_transport_ops feed_ops = { .name = "fuzz", .read = f_read, .write = f_write,
						   .close = f_close };

#endif
