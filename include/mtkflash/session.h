/* SPDX-License-Identifier: MIT */
/* A phone keeps its Download Agent running when the host closes the port
 * (da-legacy.md §2): the next command must talk to that DA, not send it a
 * handshake (0xA0 is a DA command).  This header is how:
 *
 *  - a probe that finds out what answers on a port before anything a DA could
 *    misread is sent (mtk_probe_device);
 *  - a small record per port of the DA session we started (mtk_session_*),
 *    kept in a directory the caller names (the library reads no environment);
 *  - mtk_da_attach(): reattach to the recorded DA, or connect from scratch,
 *    then switch a full-speed DA to high speed (§4.8) and record the session;
 *  - mtk_da_end(): what happens to the DA when a command is done. */
#ifndef MTKFLASH_SESSION_H
#define MTKFLASH_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/da.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What answers on a port. */
enum mtk_dev_state {
	MTK_DEV_SILENT,    /* nothing: a preloader not yet listening, or no device */
	MTK_DEV_LISTENING, /* a preloader sending READY banners (§2.2a) */
	MTK_DEV_START_CMD, /* a BootROM/preloader waiting for the start command (72 -> 73) */
	MTK_DEV_CMD_LOOP,  /* a BootROM/preloader past its handshake (72 echoed) */
	MTK_DEV_DA_LEGACY, /* a legacy DA2 in its command loop (72 -> 5A speed) */
	MTK_DEV_OTHER,     /* bytes that fit none of these */
	MTK_DEV_DA_XFLASH, /* an xflash DA in its command loop (DEVICE_CTRL -> STATUS 0) */
};
const char *mtk_dev_state_name(enum mtk_dev_state s);

struct mtk_probe_result {
	enum mtk_dev_state state;
	uint8_t usb_speed; /* MTK_DEV_DA_LEGACY: 0 full, 1 high, 2 "ultra" */
	uint8_t raw[32];   /* what came back, for the log and error messages */
	size_t raw_len;
};

/* Listen, then send one 0x72 and classify the answer.  Never fails on what
 * the device says (that is the result); fails only when the link does. */
int mtk_probe_device(mtk_ctx *ctx, struct mtk_transport *tp, struct mtk_probe_result *out);
/* The same, choosing the probe order from the port's session record in
 * session_dir (may be NULL): a recorded xflash DA is asked with an xflash
 * packet first, never with 0x72 (see lib/da/session.c for why the order is
 * safe for every state). */
int mtk_probe_port(mtk_ctx *ctx, struct mtk_transport *tp, const char *session_dir, struct mtk_probe_result *out);

/* ---- session records ---------------------------------------------------- */

#define MTK_SESSION_KEY_MAX 256

struct mtk_session_record {
	char port_key[MTK_SESSION_KEY_MAX]; /* mtk_transport.port_key */
	char protocol[16];                  /* "legacy" */
	char stage[8];                      /* "da2" */
	int64_t started;                    /* unix time of the connect */
	struct mtk_brom_info brom;          /* chip is looked up again from hw_code */
	struct mtk_da_storage storage;      /* as DA2 reported it at connect */
	/* SHA-256 of the user area's first MTK_SESSION_FP_BYTES, read through
	 * the DA: what a reattach can check on the legacy protocol, which
	 * cannot report ME_ID or CID again. */
	bool have_fingerprint;
	uint8_t fingerprint[32];
};
/* 34 sectors: an MBR or protective MBR, a GPT header and its entries. */
#define MTK_SESSION_FP_BYTES (34u * 512u)

/* Text form: "key=value" lines.  Parse checks every field; `name` names
 * the file in messages. */
int mtk_session_format(const struct mtk_session_record *r, char *out, size_t cap);
int mtk_session_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, const char *name, struct mtk_session_record *r);


/* Files in dir (created 0700 when missing; records 0600), one per port key.
 * load: 1 found, 0 none, negative on an unreadable or malformed record. */
int mtk_session_load(mtk_ctx *ctx, const char *dir, const char *key, struct mtk_session_record *r);
int mtk_session_save(mtk_ctx *ctx, const char *dir, const struct mtk_session_record *r);
int mtk_session_forget(mtk_ctx *ctx, const char *dir, const char *key);

/* ---- attach and end ----------------------------------------------------- */

struct mtk_attach_opts {
	const char *session_dir; /* NULL: no records (every run starts from scratch) */
	bool speed_switch;       /* ask a full-speed DA for high speed (§4.8) */
	int reopen_wait_ms;      /* how long a re-enumerating phone may take */
	const struct mtk_da_auth *auth; /* --cert/--auth for a fresh BROM-mode connect; may be NULL */
};

/* How the session started, for the caller to report. */
enum mtk_attach_how {
	MTK_ATTACH_CONNECTED,  /* handshake (or command-loop probe), DA1, DA2 */
	MTK_ATTACH_REATTACHED, /* to the recorded DA2, no handshake byte sent */
};

/* Reattach to the DA recorded for this port (checking the fingerprint), or
 * connect from scratch when the device runs no DA; a DA without a record,
 * or a different phone's, is refused with what to do.  `file` may be NULL
 * (no DA file found): a reattach needs none, a fresh connect then fails
 * with MTK_E_NOTFOUND.  A full-speed DA is switched to high speed when
 * opts->speed_switch. */
int mtk_da_attach(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_dafile *file, const char *file_name,
		  const struct mtk_da_emi *emi, const struct mtk_attach_opts *opts, struct mtk_da **out,
		  enum mtk_attach_how *how);

/* A DA session from a record (the DA is known to run): no I/O for a legacy
 * DA; an xflash DA is asked for its storage report again. */
int mtk_da_from_record(mtk_ctx *ctx, struct mtk_transport *tp, const struct mtk_session_record *r,
		       struct mtk_da **out);

/* ---- device id --------------------------------------------------------- */

/* A stable name for one phone, safe as a folder name: "mt6737-" and 16 hex
 * digits of a SHA-256 over the hw_code and the first identity the device
 * gave of eMMC CID, ME_ID, SOC_ID.  The CID comes first because the DA
 * reports it in BROM and in preloader mode alike, while a preloader does
 * not answer ME_ID: the same phone must get the same id in both.  (NAND
 * devices, without a CID, fall back to the SoC's ids.)  The facts are
 * those of the session record, so a reattached DA gets the same id.
 * MTK_E_UNSUPPORTED when the device reported none of them. */
#define MTK_DEVICE_ID_MAX 40
int mtk_device_id(mtk_ctx *ctx, const struct mtk_brom_info *brom, const struct mtk_da_storage *storage,
		  char out[MTK_DEVICE_ID_MAX]);
int mtk_da_device_id(struct mtk_da *da, char out[MTK_DEVICE_ID_MAX]);

/* SHA-256 of the user area's first MTK_SESSION_FP_BYTES. */
int mtk_da_fingerprint(struct mtk_da *da, uint8_t out[32]);

/* What the DA on a port is, from a probe that found a legacy DA2: the
 * recorded session when the fingerprint still matches (what was checked is
 * logged).  No record, or another phone's: refused with what to do. */
int mtk_da_reattach(mtk_ctx *ctx, struct mtk_transport *tp, const char *session_dir,
		    const struct mtk_probe_result *probe, struct mtk_da **out);

/* The record of a running session, from the DA (fingerprint included). */
int mtk_session_from_da(struct mtk_da *da, struct mtk_session_record *r);

enum mtk_da_after { MTK_AFTER_STAY, MTK_AFTER_REBOOT, MTK_AFTER_POWEROFF };
/* "stay" | "reboot" | "poweroff" -> value; -1 when unknown. */
int mtk_da_after_parse(const char *s);
const char *mtk_da_after_name(enum mtk_da_after a);

/* End of a command: stay keeps the DA running and refreshes the record
 * (its fingerprint, which a write may have changed); reboot and poweroff
 * send FINISH and forget the record. */
int mtk_da_end(struct mtk_da *da, const char *session_dir, enum mtk_da_after after);

#ifdef __cplusplus
}
#endif
#endif
