/* SPDX-License-Identifier: MIT */
/* The audit log: a hash-chained JSON-lines record of what a flash did, its
 * chain head signed with the station's Ed25519 key (docs/audit-log.md).
 *
 * Each line is one JSON object, written when the event happens and fsynced
 * then (mtk_audit_event) or with the next line (mtk_audit_event_lazy), so
 * a crash leaves a valid prefix.  Every line carries "seq" (1, 2, ...),
 * "time" (UTC, RFC 3339 with milliseconds), "prev" (lower-case hex SHA-256
 * of the previous line's bytes without its '\n'; for line 1 the SHA-256 of
 * MTK_AUDIT_GENESIS) and "event", then the event's own fields.  Line 1 is
 * the "open" event; the last is "signature" (or "close" when unsigned). */
#ifndef MTKFLASH_AUDIT_H
#define MTKFLASH_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hashed to make line 1's "prev": a log cannot start from another log's tail. */
#define MTK_AUDIT_GENESIS "mtkflash audit log v1"
#define MTK_AUDIT_FORMAT "mtkflash-audit/1"

struct mtk_audit;

/* Create the log at `path` (O_EXCL, mode 0600: never an existing file, never
 * through a symbolic link) and write its "open" line, with the tool version
 * and `device_id` (NULL: none yet).  The file is visible from the start,
 * unlike lib/core/outfile.h's temp-and-rename, because a crash must leave
 * what was already logged. */
int mtk_audit_open(mtk_ctx *ctx, const char *path, const char *device_id, struct mtk_audit **out);
/* Same, in a new file in `dir` (created 0700 with its parents) named
 * "<UTC YYYYMMDDTHHMMSSZ>-<device id>.jsonl" ("-2", "-3"... on a clash);
 * the device id keeps [A-Za-z0-9._-] only. */
int mtk_audit_open_in(mtk_ctx *ctx, const char *dir, const char *device_id, struct mtk_audit **out);

/* Append one event line.  `fields` (a JSON object, or NULL) is STOLEN, like
 * jansson's *_new functions: the log owns it even on failure.  Its keys may
 * not be seq, time, prev or event (MTK_E_INVAL).  Written and fsynced before
 * returning. */
int mtk_audit_event(struct mtk_audit *log, const char *type, json_t *fields);
/* The same, written but not synced: the next mtk_audit_event (or the close)
 * makes it durable.  For routine events between synced ones (a step done),
 * whose loss in a host crash the flash journal covers: one disk flush per
 * partition fewer. */
int mtk_audit_event_lazy(struct mtk_audit *log, const char *type, json_t *fields);

/* The file's path (valid until close). */
const char *mtk_audit_path(const struct mtk_audit *log);

/* Finish the log: with `key`, a "signature" line over the chain head; with
 * NULL, a "close" line (an unsigned log, which verification reports as such).
 * Frees the log either way; *path_out (may be NULL) gets a copy of the path to
 * free.  A log dropped without close (a crash) reads as truncated. */
int mtk_audit_close(struct mtk_audit *log, const struct mtk_minisign_seckey *key, char **path_out);
/* Close without a last line (error paths that cannot log more). */
void mtk_audit_abandon(struct mtk_audit *log);

/* The station key in `dir` (station.key, 0600, and station.pub), created on
 * first use; `dir` is made 0700 with its parents.  The CLI passes
 * $XDG_DATA_HOME/mtkflash.  Load it before a flash starts, so a key problem
 * stops the flash before anything is written. */
int mtk_audit_station_key(mtk_ctx *ctx, const char *dir, struct mtk_minisign_seckey *sk,
			  struct mtk_minisign_pubkey *pk);

enum mtk_audit_problem {
	MTK_AUDIT_OK = 0,
	MTK_AUDIT_ALTERED,   /* a line's bytes changed (or it is not a log line at all) */
	MTK_AUDIT_REMOVED,   /* a seq gap: lines taken out */
	MTK_AUDIT_REORDERED, /* seq out of order: lines moved or repeated */
	MTK_AUDIT_TRUNCATED, /* no signature/close line: cut short, or never closed */
	MTK_AUDIT_APPENDED,  /* lines after the signature */
	MTK_AUDIT_BAD_SIG,   /* the signature does not verify */
	MTK_AUDIT_UNTRUSTED, /* a good signature by a key outside the trust set */
	MTK_AUDIT_UNSIGNED,  /* closed without a signature */
};
/* "ok", "altered", "removed", "reordered", "truncated", "appended",
 * "bad-signature", "untrusted-key", "unsigned". */
const char *mtk_audit_problem_name(enum mtk_audit_problem p);

struct mtk_audit_report {
	enum mtk_audit_problem problem; /* the first one found */
	size_t line;                    /* 1-based line it concerns (0: the file as a whole) */
	char detail[320];               /* "line 7: altered, or a line before it removed" */
	size_t lines;                   /* lines read */
	size_t events;                  /* event lines before the signature/close line */
	char head[65];                  /* hex SHA-256 of the last event line */
	char key_id[17];                /* signer, "" when none */
	bool signature_ok;              /* good signature by the key the log names */
};

/* Check a log held in memory (no I/O; fuzzed).  `trusted` may be NULL/0:
 * then only that the log's own key signed it is checked (UNTRUSTED at best).
 * Returns 0 with the verdict in *rep (problem OK = verified), or a negative
 * code for a failure that is not a verdict (out of memory). */
int mtk_audit_verify_buf(mtk_ctx *ctx, const uint8_t *buf, size_t len, const struct mtk_minisign_pubkey *trusted,
			 size_t ntrusted, struct mtk_audit_report *rep);
/* Same for a file (MTK_E_IO when it cannot be read). */
int mtk_audit_verify(mtk_ctx *ctx, const char *path, const struct mtk_minisign_pubkey *trusted, size_t ntrusted,
		     struct mtk_audit_report *rep);

#ifdef __cplusplus
}
#endif
#endif
