/* SPDX-License-Identifier: MIT */
/* libmtkflash core: context, errors, logging, progress.
 *
 * One error convention for the whole library: every fallible function returns
 * an int that is 0 (or a non-negative count) on success and a negative
 * MTK_E* code on failure.  The human-readable explanation lives in the
 * context, built as a chain: the lowest layer states the fact
 * ("read-back mismatch at 0x3000"), each caller prefixes what it was doing
 * ("writing boot: read-back mismatch at 0x3000"). */
#ifndef MTKFLASH_CORE_H
#define MTKFLASH_CORE_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mtk_error {
	MTK_OK = 0,
	MTK_E_INVAL = -1,        /* bad argument from the caller */
	MTK_E_NOMEM = -2,
	MTK_E_IO = -3,           /* a host file or port operation failed */
	MTK_E_TIMEOUT = -4,      /* the device did not answer in time */
	MTK_E_NODEV = -5,        /* no device at the named port */
	MTK_E_PROTO = -6,        /* the device answered something unexpected */
	MTK_E_STATUS = -7,       /* the device answered with an error status */
	MTK_E_DISCONNECTED = -8, /* the link went away mid-operation */
	MTK_E_PARSE = -9,        /* an input file is malformed */
	MTK_E_RANGE = -10,       /* an offset or size does not fit */
	MTK_E_NOTFOUND = -11,    /* a named thing (partition, chip, entry) is unknown */
	MTK_E_UNSUPPORTED = -12, /* valid, but not implemented for this device */
	MTK_E_SECURITY = -13,    /* refused by the device's security (SLA/DAA/SBC) */
	MTK_E_VERIFY = -14,      /* a checksum, hash or signature did not match */
	MTK_E_POLICY = -15,      /* refused by our own safety policy */
	MTK_E_ROLLEDBACK = -16,  /* failed, and every change was undone */
	MTK_E_INTERRUPTED = -17, /* cancelled by the caller (Ctrl-C) at a command boundary */
	MTK_E_DENIED = -18,      /* a passphrase or other credential was wrong or missing */
};
#define MTK_E_LAST MTK_E_DENIED

/* Short symbolic name ("MTK_E_TIMEOUT") and a generic sentence for a code. */
const char *mtk_error_name(int code);
const char *mtk_error_text(int code);

enum mtk_log_level {
	MTK_LOG_ERROR = 0,
	MTK_LOG_WARN,
	MTK_LOG_INFO,
	MTK_LOG_DEBUG,
	MTK_LOG_SPEW, /* hex dump of every transfer */
};

typedef void (*mtk_log_fn)(void *user, enum mtk_log_level level, const char *msg);
/* `what` names the operation ("writing boot"); total may be 0 when unknown. */
typedef void (*mtk_progress_fn)(void *user, const char *what, uint64_t done, uint64_t total);

typedef struct mtk_ctx mtk_ctx;

mtk_ctx *mtk_ctx_new(void);
void mtk_ctx_free(mtk_ctx *ctx);

/* Messages above `max_level` are dropped before formatting. */
void mtk_ctx_set_log(mtk_ctx *ctx, mtk_log_fn fn, void *user, enum mtk_log_level max_level);
enum mtk_log_level mtk_ctx_log_level(const mtk_ctx *ctx);
void mtk_ctx_set_progress(mtk_ctx *ctx, mtk_progress_fn fn, void *user);
/* Cancellation: long operations poll *flag between device commands and,
 * once it is non-zero, stop with MTK_E_INTERRUPTED, the device still usable.
 * A signal handler may set it; NULL = never cancelled.  One flag may serve
 * the contexts of many threads (a batch): the library reads it atomically,
 * so another thread sets it with __atomic_store_n(flag, 1, __ATOMIC_RELAXED). */
void mtk_ctx_set_cancel(mtk_ctx *ctx, volatile sig_atomic_t *flag);
bool mtk_cancelled(const mtk_ctx *ctx);
/* The flag set by mtk_ctx_set_cancel (a rollback sets NULL while it runs: it must not be cut short). */
volatile sig_atomic_t *mtk_ctx_get_cancel(const mtk_ctx *ctx);

/* Time.  The library reads a monotonic millisecond clock and sleeps only
 * through the context's clock, so a test or a fuzzer can run it on virtual
 * time: a sleep then advances the clock at once, and a wait for a device
 * that has nothing to say (a poll with a timeout) becomes an immediate
 * timeout that advances the clock by the time waited.  `now_ms` must never
 * go backwards.  NULL hooks (the default): CLOCK_MONOTONIC and nanosleep. */
struct mtk_clock {
	long long (*now_ms)(void *user);
	void (*sleep_ms)(void *user, int ms);
	void *user;
};
/* The clock is copied; NULL restores the real clock. */
void mtk_ctx_set_clock(mtk_ctx *ctx, const struct mtk_clock *clock);
/* Whether a clock was installed (waits must not block on the real one). */
bool mtk_ctx_clock_is_virtual(const mtk_ctx *ctx);
long long mtk_now_ms(const mtk_ctx *ctx);
/* Sleeps (virtually: advances the clock) ms milliseconds; <= 0 returns at once. */
void mtk_sleep_ms(mtk_ctx *ctx, int ms);

/* The last failure: its code and its message chain ("" when none). */
int mtk_ctx_error_code(const mtk_ctx *ctx);
const char *mtk_ctx_error(const mtk_ctx *ctx);
void mtk_ctx_clear_error(mtk_ctx *ctx);
/* The device status behind the last failure, when one caused it: its name in the
 * status catalogue (mtkflash/status.h), which `mtkflash explain` takes; else NULL.
 * Set after mtk_fail (which clears it); `name` must outlive the context (a
 * catalogue string). */
void mtk_ctx_set_error_status(mtk_ctx *ctx, const char *name);
const char *mtk_ctx_error_status(const mtk_ctx *ctx);


/* Reporting through a context, for code built on the library that is called
 * back by it (a transport backend registered by a program) or that wants its
 * own failures in the same chain the library builds.
 *
 * Record a new failure and return `code`, so callers can write
 *   return mtk_fail(ctx, MTK_E_PROTO, "bad echo 0x%02x", b);
 * `ctx` may be NULL (parsers used without a context); then nothing is kept. */
#if defined(__GNUC__)
#define MTK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MTK_PRINTF(a, b)
#endif
int mtk_fail(mtk_ctx *ctx, int code, const char *fmt, ...) MTK_PRINTF(3, 4);
/* Prefix the current message with what the caller was doing, keep the code:
 *   return mtk_wrap(ctx, rc, "writing %s", name);  ->  "writing boot: <inner>"
 * If no message was recorded yet, the generic text for `code` is the inner one. */
int mtk_wrap(mtk_ctx *ctx, int code, const char *fmt, ...) MTK_PRINTF(3, 4);
/* A log line through the context's callback (dropped above its level). */
void mtk_log(mtk_ctx *ctx, enum mtk_log_level level, const char *fmt, ...) MTK_PRINTF(3, 4);
bool mtk_log_enabled(const mtk_ctx *ctx, enum mtk_log_level level);

#define mtk_err(ctx, ...) mtk_log(ctx, MTK_LOG_ERROR, __VA_ARGS__)
#define mtk_warn(ctx, ...) mtk_log(ctx, MTK_LOG_WARN, __VA_ARGS__)
#define mtk_info(ctx, ...) mtk_log(ctx, MTK_LOG_INFO, __VA_ARGS__)
#define mtk_dbg(ctx, ...) mtk_log(ctx, MTK_LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
