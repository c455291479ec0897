/* SPDX-License-Identifier: MIT */
/* What the backup store's two halves share: backup_store.c (folders,
 * manifests, list, verify) and backup.c (create and restore through a DA). */
#ifndef MTK_VERIFY_BACKUP_PRIV_H
#define MTK_VERIFY_BACKUP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "mtkflash/backup.h"

/* A name that may be one path component of the store: letters, digits,
 * '.', '_', '-', not starting with '.', not empty, shorter than cap. */
bool bk_safe_component(const char *s, size_t cap);

#include "private_dir.h"

/* ROOT/DEVICE/TIMESTAMP of an id ("DEVICE/TIMESTAMP" or a unique
 * TIMESTAMP) into out; `dev`/`ts` (may be NULL) get its two halves. */
int bk_resolve(mtk_ctx *ctx, const char *root, const char *id, char *out, size_t cap, char *dev, char *ts);

/* mtk_backup_load, and the backup's folder into dir. */
int bk_load_at(mtk_ctx *ctx, const char *root, const char *id, struct mtk_backup *b, char *dir, size_t cap);

/* Opens DIR/FILE for reading without following a symbolic link; -1 with
 * errno set when it cannot. */
int bk_open_part(const char *dir, const char *file);

/* SHA-256 of an open backup file that must hold `size` bytes.  MTK_E_VERIFY
 * (with the reason in `why`) when the size differs. */
int bk_hash_fd(mtk_ctx *ctx, int fd, uint64_t size, uint8_t md[32], char *why, size_t whycap);

/* The manifest document of a backup about to be written. */
struct bk_device_facts {
	const char *chip;
	uint16_t hw_code;
	const uint8_t *me_id, *soc_id;
	size_t me_id_len, soc_id_len;
	const char *storage;
	const uint8_t *layout_sha256;
};
json_t *bk_manifest_json(const struct mtk_backup *b, const struct bk_device_facts *dev, json_t *fingerprint);

/* JSON members as the manifests (store and full unit) read them:
 * hex of exactly n bytes (-1 otherwise); a string that fits `cap` with its
 * NUL (NULL otherwise); a non-negative integer. */
int bk_hex_decode(const char *s, uint8_t *out, size_t n);
const char *bk_get_str(json_t *o, const char *key, size_t cap);
bool bk_get_u64(json_t *o, const char *key, uint64_t *out);
/* A JSON object from text (duplicate keys refused); errors name `name`,
 * line and byte.  *doc is NULL on failure. */
int bk_load_object(mtk_ctx *ctx, const char *text, size_t len, const char *name, json_t **doc);

#endif
