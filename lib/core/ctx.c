/* SPDX-License-Identifier: MIT */
#include "core/ctx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MTK_ERRMSG_MAX 1024

struct mtk_ctx {
	mtk_log_fn log_fn;
	void *log_user;
	enum mtk_log_level log_max;
	mtk_progress_fn progress_fn;
	void *progress_user;
	int err_code;
	char err_msg[MTK_ERRMSG_MAX];
	const char *err_status; /* catalogue name of the device status behind err_code */
	volatile sig_atomic_t *cancel;
	struct mtk_clock clock; /* hooks NULL: the real clock */
	/* Progress of one piece of a split operation, shown as the whole. */
	uint64_t progress_base, progress_total;
};

static const struct {
	int code;
	const char *name;
	const char *text;
} error_table[] = {
	{ MTK_OK, "MTK_OK", "success" },
	{ MTK_E_INVAL, "MTK_E_INVAL", "invalid argument" },
	{ MTK_E_NOMEM, "MTK_E_NOMEM", "out of memory" },
	{ MTK_E_IO, "MTK_E_IO", "input/output error" },
	{ MTK_E_TIMEOUT, "MTK_E_TIMEOUT", "the device did not answer in time" },
	{ MTK_E_NODEV, "MTK_E_NODEV", "no device found" },
	{ MTK_E_PROTO, "MTK_E_PROTO", "unexpected answer from the device" },
	{ MTK_E_STATUS, "MTK_E_STATUS", "the device reported an error" },
	{ MTK_E_DISCONNECTED, "MTK_E_DISCONNECTED", "the device disconnected" },
	{ MTK_E_PARSE, "MTK_E_PARSE", "malformed input" },
	{ MTK_E_RANGE, "MTK_E_RANGE", "out of range" },
	{ MTK_E_NOTFOUND, "MTK_E_NOTFOUND", "not found" },
	{ MTK_E_UNSUPPORTED, "MTK_E_UNSUPPORTED", "not supported" },
	{ MTK_E_SECURITY, "MTK_E_SECURITY", "refused by device security" },
	{ MTK_E_VERIFY, "MTK_E_VERIFY", "verification failed" },
	{ MTK_E_POLICY, "MTK_E_POLICY", "refused by policy" },
	{ MTK_E_ROLLEDBACK, "MTK_E_ROLLEDBACK", "failed and rolled back" },
	{ MTK_E_INTERRUPTED, "MTK_E_INTERRUPTED", "interrupted" },
	{ MTK_E_DENIED, "MTK_E_DENIED", "access denied" },
};

static int error_index(int code)
{
	for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++)
		if (error_table[i].code == code)
			return (int)i;
	return -1;
}

const char *mtk_error_name(int code)
{
	int i = error_index(code);
	return i < 0 ? "MTK_E_UNKNOWN" : error_table[i].name;
}

const char *mtk_error_text(int code)
{
	int i = error_index(code);
	return i < 0 ? "unknown error" : error_table[i].text;
}

mtk_ctx *mtk_ctx_new(void)
{
	mtk_ctx *ctx = calloc(1, sizeof *ctx);
	if (ctx)
		ctx->log_max = MTK_LOG_WARN;
	return ctx;
}

void mtk_ctx_free(mtk_ctx *ctx)
{
	free(ctx);
}

void mtk_ctx_set_log(mtk_ctx *ctx, mtk_log_fn fn, void *user, enum mtk_log_level max_level)
{
	ctx->log_fn = fn;
	ctx->log_user = user;
	ctx->log_max = max_level;
}

enum mtk_log_level mtk_ctx_log_level(const mtk_ctx *ctx)
{
	return ctx->log_max;
}

void mtk_ctx_set_progress(mtk_ctx *ctx, mtk_progress_fn fn, void *user)
{
	ctx->progress_fn = fn;
	ctx->progress_user = user;
}

void mtk_ctx_get_progress(const mtk_ctx *ctx, mtk_progress_fn *fn, void **user)
{
	*fn = ctx->progress_fn;
	*user = ctx->progress_user;
}

void mtk_ctx_set_cancel(mtk_ctx *ctx, volatile sig_atomic_t *flag)
{
	ctx->cancel = flag;
}

volatile sig_atomic_t *mtk_ctx_get_cancel(const mtk_ctx *ctx)
{
	return ctx ? ctx->cancel : NULL;
}

/* An atomic load: a batch's main thread (or a signal handler on any thread)
 * sets one flag that every flashing thread reads; a plain volatile read of
 * it would be a data race in C11 terms (and for TSan). */
bool mtk_cancelled(const mtk_ctx *ctx)
{
	return ctx && ctx->cancel && __atomic_load_n(ctx->cancel, __ATOMIC_RELAXED);
}

void mtk_ctx_set_clock(mtk_ctx *ctx, const struct mtk_clock *clock)
{
	if (clock && clock->now_ms && clock->sleep_ms)
		ctx->clock = *clock;
	else
		ctx->clock = (struct mtk_clock){ 0 };
}

bool mtk_ctx_clock_is_virtual(const mtk_ctx *ctx)
{
	return ctx && ctx->clock.now_ms;
}

static long long real_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long mtk_now_ms(const mtk_ctx *ctx)
{
	return mtk_ctx_clock_is_virtual(ctx) ? ctx->clock.now_ms(ctx->clock.user) : real_now_ms();
}

void mtk_sleep_ms(mtk_ctx *ctx, int ms)
{
	if (ms <= 0)
		return;
	if (mtk_ctx_clock_is_virtual(ctx)) {
		ctx->clock.sleep_ms(ctx->clock.user, ms);
		return;
	}
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void mtk_progress_span(mtk_ctx *ctx, uint64_t base, uint64_t total)
{
	if (ctx) {
		ctx->progress_base = base;
		ctx->progress_total = total;
	}
}

int mtk_ctx_error_code(const mtk_ctx *ctx)
{
	return ctx->err_code;
}

const char *mtk_ctx_error(const mtk_ctx *ctx)
{
	return ctx->err_msg;
}

void mtk_ctx_clear_error(mtk_ctx *ctx)
{
	ctx->err_code = 0;
	ctx->err_msg[0] = '\0';
	ctx->err_status = NULL;
}

void mtk_ctx_set_error_status(mtk_ctx *ctx, const char *name)
{
	if (ctx)
		ctx->err_status = name;
}

const char *mtk_ctx_error_status(const mtk_ctx *ctx)
{
	return ctx->err_status;
}

int mtk_fail(mtk_ctx *ctx, int code, const char *fmt, ...)
{
	if (!ctx)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->err_msg, sizeof ctx->err_msg, fmt, ap);
	va_end(ap);
	ctx->err_code = code;
	ctx->err_status = NULL;
	mtk_log(ctx, MTK_LOG_DEBUG, "error %s: %s", mtk_error_name(code), ctx->err_msg);
	return code;
}

int mtk_wrap(mtk_ctx *ctx, int code, const char *fmt, ...)
{
	if (!ctx)
		return code;
	char prefix[256];
	char inner[MTK_ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	snprintf(inner, sizeof inner, "%s", ctx->err_msg[0] ? ctx->err_msg : mtk_error_text(code));
	/* Long chains keep their outer (most specific to the user) part. */
	size_t plen = strlen(prefix);
	size_t ilen = strlen(inner);
	if (plen + 2 + ilen >= sizeof ctx->err_msg)
		ilen = sizeof ctx->err_msg - 1 - plen - 2;
	memcpy(ctx->err_msg, prefix, plen);
	memcpy(ctx->err_msg + plen, ": ", 2);
	memcpy(ctx->err_msg + plen + 2, inner, ilen);
	ctx->err_msg[plen + 2 + ilen] = '\0';
	ctx->err_code = code;
	return code;
}

bool mtk_log_enabled(const mtk_ctx *ctx, enum mtk_log_level level)
{
	return ctx && ctx->log_fn && level <= ctx->log_max;
}

void mtk_log(mtk_ctx *ctx, enum mtk_log_level level, const char *fmt, ...)
{
	if (!mtk_log_enabled(ctx, level))
		return;
	char msg[MTK_ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ctx->log_fn(ctx->log_user, level, msg);
}

/* Protocol traces are read by people: a 64 KiB payload dumped whole buries
 * the interesting command bytes, so keep the head and tail only. */
#define HEX_HEAD 64
#define HEX_TAIL 16

static size_t hex_append(char *out, size_t pos, size_t cap, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n && pos + 3 < cap; i++) {
		out[pos++] = digits[b[i] >> 4];
		out[pos++] = digits[b[i] & 15];
		out[pos++] = ' ';
	}
	out[pos] = '\0';
	return pos;
}

void mtk_log_hex(mtk_ctx *ctx, const char *dir, const uint8_t *buf, size_t len)
{
	if (!mtk_log_enabled(ctx, MTK_LOG_SPEW))
		return;
	char line[HEX_HEAD * 3 + HEX_TAIL * 3 + 64];
	size_t pos = 0;
	if (len <= HEX_HEAD + HEX_TAIL) {
		pos = hex_append(line, pos, sizeof line, buf, len);
	} else {
		pos = hex_append(line, pos, sizeof line, buf, HEX_HEAD);
		pos += (size_t)snprintf(line + pos, sizeof line - pos, "... ");
		pos = hex_append(line, pos, sizeof line, buf + len - HEX_TAIL, HEX_TAIL);
	}
	if (pos && line[pos - 1] == ' ')
		line[pos - 1] = '\0';
	mtk_log(ctx, MTK_LOG_SPEW, "%s [%zu] %s", dir, len, line);
}

void mtk_progress(mtk_ctx *ctx, const char *what, uint64_t done, uint64_t total)
{
	if (!ctx || !ctx->progress_fn)
		return;
	if (ctx->progress_total)
		ctx->progress_fn(ctx->progress_user, what, ctx->progress_base + done, ctx->progress_total);
	else
		ctx->progress_fn(ctx->progress_user, what, done, total);
}
