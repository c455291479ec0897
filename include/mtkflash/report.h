/* SPDX-License-Identifier: MIT */
/* The flash report: a one- or two-page PDF for people (a customer, a warranty
 * desk) made from a verified audit log, signed with the station key
 * (docs/report.md).
 *
 * Three steps, each usable alone: read a log into a summary
 * (mtk_report_parse: no I/O, fuzzed), draw the summary as PDF bytes with cairo
 * (mtk_report_render), seal the bytes (mtk_report_seal: a signature block
 * after the PDF's %%EOF).  mtk_report_check_seal and mtk_report_parse_seal
 * check a sealed PDF. */
#ifndef MTKFLASH_REPORT_H
#define MTKFLASH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/audit.h"
#include "mtkflash/core.h"
#include "mtkflash/manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTK_REPORT_TEXT 192 /* longest string kept from the log (cut with "...") */

struct mtk_report_factor {
	char name[48];
	char state[16];
	int contribution;
	char detail[MTK_REPORT_TEXT];
};

/* One step of the flash: a write, backup, erase, table or restore line, or
 * the error/interrupted line that ended one. */
struct mtk_report_step {
	char partition[64];
	char stage[16];   /* "write", "backup", "erase", "table", "restore", ... */
	char outcome[32]; /* "verified", "MISMATCH", "saved", "erased", "failed", ... */
	uint64_t bytes;
	double seconds;
	double mb_per_s;
	char before[65]; /* hex SHA-256, "" when not logged */
	char after[65];
	char rollback[12]; /* "restored", "failed" or "" */
	char error[MTK_REPORT_TEXT];
};

struct mtk_report {
	char tool[48];
	char device_id[128];
	char chip[32];
	char started[32], ended[32]; /* RFC 3339 as logged */
	char scatter[MTK_REPORT_TEXT];
	char package_sig[16]; /* "trusted", "unknown-key", "bad", "unsigned" */
	bool manifest;
	char package_detail[MTK_REPORT_TEXT];
	char mode[16], scene[16];
	int risk_score; /* -1 when the log has no risk line */
	char risk_level[16];
	struct mtk_report_factor *factors;
	size_t nfactors;
	char verdict[24];
	char confirmed[64];
	char reasons[2 * MTK_REPORT_TEXT]; /* why the mode decided as it did, "; "-separated */
	char role[32];
	char policy[MTK_REPORT_TEXT]; /* name of the verification policy, "" when none */
	struct mtk_report_step *steps;
	size_t nsteps;
	char planned[1024]; /* partitions the plan would write, comma-separated (cut with "...") */
	char backup_id[96];
	char rolled_back[MTK_REPORT_TEXT]; /* partitions restored after a failure, comma-separated */
	bool rollback_failed;              /* one of them could not be restored */
	bool ended_ok;
	bool have_end;
	char result[48];
	uint64_t bytes_written;
	double seconds;
	/* the log as a whole */
	char log_path[512];
	char head[65];
	size_t events;
	char key_id[17];
	char log_minisig[512]; /* the signature line's minisign text */
};

/* Read an audit log (its bytes, verified or not) into *rep.  Strings the
 * device or the package chose are kept escaped (mtk_escape) and cut.  Lines
 * that are not JSON objects are skipped: verification is the caller's job
 * (mtk_audit_verify_buf), this only summarises. */
int mtk_report_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_report *rep);
void mtk_report_free(struct mtk_report *rep);

/* The report as PDF bytes (A4, cairo).  *out is malloc'd. */
int mtk_report_render(mtk_ctx *ctx, const struct mtk_report *rep, uint8_t **out, size_t *len);

/* ---- the seal: how the signature sits in the PDF ----------------------------
 *
 * After the PDF's last "%%EOF\n" come comment lines (PDF readers ignore them):
 *
 *   %mtkflash-report-seal v1
 *   %pdf-sha256 <hex SHA-256 of every byte before this block>
 *   %log-head <chain head of the audit log>
 *   %log-key <key id that signed the log>
 *   %log <path of the log, percent-escaped>
 *   %signature
 *   %<line 1 of a minisign signature file>
 *   ... (4 lines)
 *
 * The signature (minisign, prehashed) is over every byte up to and including
 * the "%signature\n" line: the PDF and the claims, not the signature lines
 * themselves. */
#define MTK_REPORT_SEAL_MAGIC "%mtkflash-report-seal v1\n"

struct mtk_report_seal {
	size_t pdf_len;    /* bytes before the block */
	size_t signed_len; /* bytes the signature covers */
	char pdf_sha256[65];
	char log_head[65];
	char log_key[17];
	char log_path[1024];
	struct mtk_minisign_sig sig;
};

/* Append the block to `pdf` (signed with sk) into a new buffer *out. */
int mtk_report_seal(mtk_ctx *ctx, const uint8_t *pdf, size_t len, const struct mtk_report *rep,
		    const struct mtk_minisign_seckey *sk, uint8_t **out, size_t *outlen);

/* Find and read the block (no I/O; fuzzed).  MTK_E_PARSE naming the line
 * when there is none or it is malformed. */
int mtk_report_parse_seal(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_report_seal *seal);

enum mtk_report_verdict {
	MTK_REPORT_OK = 0,
	MTK_REPORT_NO_SEAL,   /* no signature block, or a malformed one */
	MTK_REPORT_ALTERED,   /* the PDF bytes differ from the sealed hash */
	MTK_REPORT_BAD_SIG,   /* the signature does not verify: block altered or replaced */
	MTK_REPORT_UNTRUSTED, /* a good signature by a key outside the trust set */
};
const char *mtk_report_verdict_name(enum mtk_report_verdict v); /* "ok", "no-seal", "altered", ... */

/* Check a sealed PDF in memory against the trusted keys.  Returns 0 with the
 * verdict in *v (and why in `detail`), the block in *seal when it parsed. */
int mtk_report_check_seal(mtk_ctx *ctx, const uint8_t *buf, size_t len, const struct mtk_minisign_pubkey *trusted,
			  size_t ntrusted, struct mtk_report_seal *seal, enum mtk_report_verdict *v, char *detail,
			  size_t cap);

/* A minisign signature file over all of `buf` (what `minisign -Vm FILE`
 * checks beside the PDF).  Caller frees *out. */
int mtk_report_minisig(mtk_ctx *ctx, const uint8_t *buf, size_t len, const struct mtk_minisign_seckey *sk,
		       const char *name, char **out);

#ifdef __cplusplus
}
#endif
#endif
