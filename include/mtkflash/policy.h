/* SPDX-License-Identifier: MIT */
/* Verification policies (docs/policy.md): a JSON file an engineer writes
 * once, optionally signs, and that plan, flash and batch then apply to every
 * flash.  A policy can only narrow what the tool would otherwise do; each
 * refusal names the rule that made it.
 *
 * A loaded policy is read-only: one struct mtk_policy may be checked from
 * many threads at once (mtk_policy_check_request / mtk_policy_check_plan
 * touch nothing but their arguments).  There is no global state. */
#ifndef MTKFLASH_POLICY_H
#define MTKFLASH_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/manifest.h"
#include "mtkflash/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTK_POLICY_FORMAT 1          /* the "policy" key's value */
#define MTK_POLICY_FILE_MAX (1u << 20)
#define MTK_POLICY_MAX_NAMES 64      /* per list */
#define MTK_POLICY_NAME_MAX 64       /* bytes of one name, with the NUL */
#define MTK_POLICY_MAX_KEYS 16
#define MTK_POLICY_MAX_PACKAGES 256

/* Operator: runs approved packages under a policy, never service mode.
 * Engineer: may use service mode (with its passphrase) and write policies. */
enum mtk_role { MTK_ROLE_OPERATOR = 0, MTK_ROLE_ENGINEER };
const char *mtk_role_name(enum mtk_role r); /* "operator", "engineer" */

struct mtk_policy_names {
	bool set; /* the key was given: only then does the list restrict */
	size_t count;
	char name[MTK_POLICY_MAX_NAMES][MTK_POLICY_NAME_MAX];
};

struct mtk_policy {
	char name[128];                  /* free text ("line 3, Redmi 9A") */
	unsigned modes;                  /* bit (1u << enum mtk_flash_mode) per allowed mode */
	unsigned scenes;                 /* bit (1u << enum mtk_scene) */
	enum mtk_risk_level max_risk;    /* the highest level accepted (after overrides) */
	bool require_signature;          /* the package's SHA256SUMS signed by a trusted key */
	struct mtk_minisign_pubkey keys[MTK_POLICY_MAX_KEYS]; /* trusted_keys: empty = the station's */
	size_t nkeys;
	bool require_checksum_ini;
	struct mtk_policy_names may_write;   /* allow-list of written/erased partitions */
	struct mtk_policy_names never_write; /* deny-list */
	bool require_nvram_backup;       /* a verified backup of the device on record */
	struct mtk_policy_names overrides;   /* risk factors --override may name */
	int after;                       /* enum mtk_da_after, or -1: not ruled */
	unsigned device_checks;          /* MTK_DA_CHECK_* bits that must stay on */
	struct mtk_policy_names chips, boards;
	bool packages_set;
	size_t npackages;
	uint8_t packages[MTK_POLICY_MAX_PACKAGES][32]; /* approved package ids (mtk_policy_package.id) */
	bool require_signed_policy;      /* this file is refused unless its signature is trusted */
	enum mtk_role role;
	/* Where every job under this policy is recorded: "postgresql://…" (one
	 * history for all the line's stations) or an absolute SQLite path; ""
	 * leaves it to --history, $MTKFLASH_HISTORY or the default. */
	char history[512];

	/* Set by mtk_policy_load: what the file is and who signed it. */
	uint8_t sha256[32];              /* of the file's bytes */
	enum mtk_sig_state sig;          /* of FILE.minisig against the policy keys given */
	char key_id[17];                 /* the signer's key id, "" when unsigned */
	char sig_detail[192];
	char path[512];
};

/* The rules by name, as refusals and docs/policy.md name them. */
#define MTK_RULE_MODES "modes"
#define MTK_RULE_SCENES "scenes"
#define MTK_RULE_MAX_RISK "max_risk"
#define MTK_RULE_REQUIRE_SIGNATURE "require_signature"
#define MTK_RULE_TRUSTED_KEYS "trusted_keys"
#define MTK_RULE_REQUIRE_CHECKSUM_INI "require_checksum_ini"
#define MTK_RULE_MAY_WRITE "may_write"
#define MTK_RULE_NEVER_WRITE "never_write"
#define MTK_RULE_REQUIRE_NVRAM_BACKUP "require_nvram_backup"
#define MTK_RULE_OVERRIDES "overrides"
#define MTK_RULE_AFTER "after"
#define MTK_RULE_DEVICE_CHECKS "device_checks"
#define MTK_RULE_CHIPS "chips"
#define MTK_RULE_BOARDS "boards"
#define MTK_RULE_PACKAGES "packages"
#define MTK_RULE_REQUIRE_SIGNED_POLICY "require_signed_policy"
#define MTK_RULE_HISTORY "history"
#define MTK_RULE_ROLE "role"
#define MTK_RULE_REQUIRE_POLICY "require_policy" /* the station's: no --policy given */

/* ---- parsing (no I/O: fuzzed) ---- */

/* Parse a policy.  Errors name `fname` and the line:column (syntax) or the
 * JSON path ("$.never_write[2]"); unknown keys are errors, so a misspelt
 * rule cannot silently leave a policy looser.  Keys starting with '_'
 * document the rule of the same name ("_never_write"), "_doc" the file;
 * they must be strings or arrays of strings.  *out is allocated (free it
 * with mtk_policy_free); its load fields are zero. */
int mtk_policy_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len, struct mtk_policy **out);
void mtk_policy_free(struct mtk_policy *p);
/* The default (safe) policy, every rule documented: `policy init` writes it.
 * A static string. */
const char *mtk_policy_default_text(void);
/* The rules as a JSON object (what `policy check` prints). */
json_t *mtk_policy_to_json(const struct mtk_policy *p);

/* ---- loading and signing (I/O) ---- */

/* Read and parse `path`, hash it, and check `path`.minisig (when present)
 * against `keys`: p->sig, p->key_id.  A file whose signature does not
 * verify (MTK_SIG_BAD) is returned too: the caller decides (mtk_policy_admit). */
int mtk_policy_load(mtk_ctx *ctx, const char *path, const struct mtk_minisign_pubkey *keys, size_t nkeys,
		    struct mtk_policy **out);
/* Write `path`.minisig with the secret key file `keyfile` (mtkflash keygen's
 * format), after checking that the policy parses.  force: replace an
 * existing signature. */
int mtk_policy_sign(mtk_ctx *ctx, const char *path, const char *keyfile, bool force);

/* ---- the station ($XDG_CONFIG_HOME/mtkflash/station.json) ---- */

struct mtk_station {
	bool require_signed_policy; /* only policies signed by one of `keys` */
	bool require_policy;        /* plan/flash/batch without --policy are refused */
	struct mtk_minisign_pubkey keys[MTK_POLICY_MAX_KEYS]; /* who may sign policies here */
	size_t nkeys;
	bool present;               /* the file exists */
};
int mtk_station_parse(mtk_ctx *ctx, const char *fname, const uint8_t *buf, size_t len, struct mtk_station *out);
/* A missing file is the default station (nothing required). */
int mtk_station_load(mtk_ctx *ctx, const char *path, struct mtk_station *out);

/* ---- checking ---- */

#define MTK_POLICY_MAX_REFUSALS 16
struct mtk_policy_refusal {
	const char *rule; /* MTK_RULE_* */
	char detail[200];
};
struct mtk_policy_verdict {
	struct mtk_policy_refusal refusals[MTK_POLICY_MAX_REFUSALS];
	size_t count;     /* 0: allowed */
	bool truncated;   /* more refusals than fit */
};
/* "refused by policy rule \"never_write\": partition \"nvram\"" into out. */
const char *mtk_policy_refusal_text(const struct mtk_policy_refusal *r, char *out, size_t cap);
json_t *mtk_policy_verdict_to_json(const struct mtk_policy_verdict *v);

/* May this policy be used here?  Refused (MTK_RULE_REQUIRE_SIGNED_POLICY)
 * when the station or the policy itself requires a trusted signature and
 * it has none, and always when its signature does not verify (altered after
 * signing).  p NULL: refused (MTK_RULE_REQUIRE_POLICY) only when the station
 * requires a policy. */
void mtk_policy_admit(const struct mtk_policy *p, const struct mtk_station *st, struct mtk_policy_verdict *v);

/* What the command line asks for, checked before a device is touched. */
struct mtk_policy_request {
	enum mtk_flash_mode mode;
	enum mtk_scene scene;
	const char *const *overrides;
	size_t noverrides;
	const char *const *only;
	size_t nonly;
	int after;                /* enum mtk_da_after given on the command line, -1 none */
	unsigned device_checks;   /* MTK_DA_CHECK_* in force */
	size_t ntrust;            /* --trust keys given */
	bool service_unlocked;    /* the service passphrase was checked */
};
/* The role a run has: the policy's, but engineer only with the passphrase
 * checked; without a policy, engineer exactly when it was. */
enum mtk_role mtk_policy_role(const struct mtk_policy *p, bool service_unlocked);
void mtk_policy_check_request(const struct mtk_policy *p, const struct mtk_policy_request *req,
			      struct mtk_policy_verdict *v);

/* A package as the policy sees it; computed once per package. */
struct mtk_policy_package {
	uint8_t id[32];          /* SHA-256 of SHA256SUMS, or of the scatter file when there is none */
	bool id_is_manifest;
	bool have_checksum_ini;
	enum mtk_sig_state sig;  /* by the policy's trusted_keys, or the caller's verdict when it has none */
	char sig_key_id[17];
};
/* station_sig: the package's signature state by the station's trust set
 * (used when the policy lists no trusted_keys). */
int mtk_policy_package_facts(mtk_ctx *ctx, const struct mtk_policy *p, const char *scatter_path,
			     enum mtk_sig_state station_sig, struct mtk_policy_package *out);

/* Everything known after planning. */
struct mtk_policy_subject {
	const struct mtk_policy_package *pkg;
	const struct mtk_fingerprint *fp;
	const struct mtk_plan *plan;
	const struct mtk_decision *decision; /* the risk after overrides */
	bool nvram_backup_on_record;
};
void mtk_policy_check_plan(const struct mtk_policy *p, const struct mtk_policy_subject *s,
			   struct mtk_policy_verdict *v);

/* For a batch runner: load `path` once, its signature checked against the
 * station's policy keys, and admit it (mtk_policy_admit).  0 with *out set;
 * MTK_E_POLICY with the refusals in *v (and *out NULL); or the load's error.
 * Then, with no lock: mtk_policy_check_request once for the batch's options,
 * mtk_policy_package_facts once per package, mtk_policy_check_plan per phone. */
int mtk_policy_open(mtk_ctx *ctx, const char *path, const struct mtk_station *st, struct mtk_policy **out,
		    struct mtk_policy_verdict *v);

/* What the audit log and --json record: file, sha256, signature, signer,
 * role (p NULL: no policy, role only). */
json_t *mtk_policy_record_json(const struct mtk_policy *p, enum mtk_role role);

#ifdef __cplusplus
}
#endif
#endif
