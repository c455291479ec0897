/* SPDX-License-Identifier: MIT */
/* A scripted fake transport for protocol tests: a list of steps, each either
 * bytes the host must write (exactly, in order) or bytes the device answers.
 * A write that differs from the script, or a read while the script expects
 * the host to speak, is recorded as a failure with its position. */
#ifndef TEST_SCRIPT_TP_H
#define TEST_SCRIPT_TP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/transport.h"
#include "transport/transport_priv.h" /* white-box: builds transports by hand */

struct script_step {
	char dir; /* 'H' host writes, 'D' device answers, 'T' device silent (the read times out) */
	uint8_t *bytes;
	size_t len;
};

struct script {
	struct script_step *steps;
	size_t n, cap;
	size_t cur, pos;
	char failure[512]; /* "" while the host followed the script */
	/* A read while the host is due to write times out quietly (a host that
	 * listens before it speaks) instead of failing the script. */
	bool quiet_ok;
	/* Device bytes per read at most (0: a step's rest at once), as a
	 * serial port hands them over. */
	size_t max_read;
};

static inline void sc_add(struct script *s, char dir, const void *bytes, size_t len)
{
	if (s->n && s->steps[s->n - 1].dir == dir) {
		/* Merge adjacent steps: the host may split or join writes freely. */
		struct script_step *st = &s->steps[s->n - 1];
		st->bytes = realloc(st->bytes, st->len + len);
		memcpy(st->bytes + st->len, bytes, len);
		st->len += len;
		return;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->steps = realloc(s->steps, s->cap * sizeof *s->steps);
	}
	struct script_step *st = &s->steps[s->n++];
	st->dir = dir;
	st->bytes = malloc(len ? len : 1);
	memcpy(st->bytes, bytes, len);
	st->len = len;
}

/* "5A 00 0b c4" style hex; spaces and '|' ignored. */
static inline void sc_hex(struct script *s, char dir, const char *hex)
{
	uint8_t buf[512];
	size_t n = 0;
	while (*hex) {
		if (*hex == ' ' || *hex == '|') {
			hex++;
			continue;
		}
		unsigned v;
		sscanf(hex, "%2x", &v);
		buf[n++] = (uint8_t)v;
		hex += 2;
	}
	sc_add(s, dir, buf, n);
}

static inline bool sc_done(const struct script *s)
{
	return s->cur == s->n;
}

static inline void sc_free(struct script *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->steps[i].bytes);
	free(s->steps);
	memset(s, 0, sizeof *s);
}

static inline void sc_fail(struct script *s, const char *what, size_t got)
{
	if (!s->failure[0])
		snprintf(s->failure, sizeof s->failure, "step %zu (%c, %zu bytes) at byte %zu: %s (0x%02zx)", s->cur,
			 s->cur < s->n ? s->steps[s->cur].dir : '-', s->cur < s->n ? s->steps[s->cur].len : 0,
			 s->pos, what, got);
}

static inline int sc_read(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	struct script *s = t->priv;
	(void)timeout_ms;
	if (s->cur == s->n)
		return s->quiet_ok ? MTK_E_TIMEOUT : MTK_E_DISCONNECTED;
	struct script_step *st = &s->steps[s->cur];
	if (st->dir == 'T') { /* the device stays silent: this read times out */
		s->cur++;
		return MTK_E_TIMEOUT;
	}
	if (st->dir != 'D') {
		if (!s->quiet_ok)
			sc_fail(s, "host reads while the script expects it to write", 0);
		return MTK_E_TIMEOUT;
	}
	size_t n = st->len - s->pos < len ? st->len - s->pos : len;
	if (s->max_read && n > s->max_read)
		n = s->max_read;
	memcpy(buf, st->bytes + s->pos, n);
	s->pos += n;
	if (s->pos == st->len) {
		s->cur++;
		s->pos = 0;
	}
	return (int)n;
}

static inline int sc_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms)
{
	struct script *s = t->priv;
	(void)timeout_ms;
	for (size_t i = 0; i < len; i++) {
		if (s->cur == s->n)
			return MTK_E_DISCONNECTED;
		struct script_step *st = &s->steps[s->cur];
		if (st->dir != 'H') {
			sc_fail(s, "host writes while the script expects the device", buf[i]);
			return MTK_E_IO;
		}
		if (st->bytes[s->pos] != buf[i]) {
			char why[64];
			snprintf(why, sizeof why, "host wrote a different byte (script has 0x%02x)", st->bytes[s->pos]);
			sc_fail(s, why, buf[i]);
			return MTK_E_IO;
		}
		if (++s->pos == st->len) {
			s->cur++;
			s->pos = 0;
		}
	}
	return 0;
}

static inline void sc_close(struct mtk_transport *t)
{
	(void)t;
}

/* Where the script stood when a write's idle callback ran (mtk_da_set_write_idle). */
struct sc_idle {
	const struct script *s;
	unsigned calls;
	size_t step, pos;
};

static inline void sc_note_idle(void *user)
{
	struct sc_idle *i = user;
	i->calls++;
	i->step = i->s->cur;
	i->pos = i->s->pos;
}

/* Once, with every host byte of the write sent and none of the DA's last
 * answer read: the script's last step, untouched. */
static inline bool sc_idle_before_last_answer(const struct sc_idle *i)
{
	return i->calls == 1 && i->step + 1 == i->s->n && i->pos == 0 && i->s->steps[i->step].dir == 'D';
}

static const struct mtk_transport_ops script_ops = {
	.name = "script", .read = sc_read, .write = sc_write, .close = sc_close,
};

static inline void sc_transport(struct mtk_transport *t, mtk_ctx *ctx, struct script *s)
{
	memset(t, 0, sizeof *t);
	t->ops = &script_ops;
	t->ctx = ctx;
	t->priv = s;
	snprintf(t->desc, sizeof t->desc, "script");
}

#endif
