/* SPDX-License-Identifier: MIT */
/* The backup store of protected partitions (NVRAM class: IMEI, calibration,
 * keys; mtk_part_name_is_protected).
 *
 * Layout under a root the caller names (the CLI uses
 * $XDG_DATA_HOME/mtkflash/backups; the library reads no environment):
 *
 *   ROOT/DEVICE_ID/TIMESTAMP/manifest.json    what was saved, from which device
 *   ROOT/DEVICE_ID/TIMESTAMP/NN-NAME.img      one file per partition (0600)
 *
 * Folders are 0700 and never followed through a symbolic link.  A backup is
 * written into ROOT/DEVICE_ID/.partial-TIMESTAMP and renamed into place only
 * when every partition and the manifest are complete, so a backup that
 * exists is whole.  DEVICE_ID is mtk_device_id() (session.h); TIMESTAMP is
 * the UTC time of the backup, "20240131T235959Z" ("-2", "-3"… when two
 * fall in one second).  A backup's id is "DEVICE_ID/TIMESTAMP"; a TIMESTAMP
 * alone is accepted where it names one backup of the whole store.
 *
 * Partition data is streamed through the DA and hashed (SHA-256) as it
 * comes; nothing is held whole in memory. */
#ifndef MTKFLASH_BACKUP_H
#define MTKFLASH_BACKUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "mtkflash/core.h"
#include "mtkflash/da.h"
#include "mtkflash/session.h"
#include "mtkflash/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTK_BACKUP_ID_MAX 80
#define MTK_BACKUP_MANIFEST "manifest.json"
#define MTK_BACKUP_FORMAT "mtkflash-backup 1"

/* Outcome of a check or a restore of one partition. */
enum mtk_backup_state {
	MTK_BACKUP_UNCHECKED = 0,
	MTK_BACKUP_OK,       /* file present, size and SHA-256 as recorded / restored and read back */
	MTK_BACKUP_MISSING,  /* the file is gone */
	MTK_BACKUP_CHANGED,  /* size or SHA-256 differ from the manifest */
	MTK_BACKUP_SKIPPED,  /* not selected for a restore */
};
const char *mtk_backup_state_name(enum mtk_backup_state s); /* "ok", "missing", … */

struct mtk_backup_part {
	char name[MTK_PART_NAME_SIZE]; /* as the device's table named it */
	char file[MTK_PART_NAME_SIZE + 8];
	enum mtk_region region;
	uint64_t offset, size;
	uint8_t sha256[32];
	enum mtk_backup_state state; /* set by verify and restore */
	char problem[160];           /* why, when state is not OK */
};

struct mtk_backup {
	char id[MTK_BACKUP_ID_MAX];
	char device_id[MTK_DEVICE_ID_MAX];
	char timestamp[32]; /* the id's second half */
	char created[32];   /* ISO 8601 UTC, "2024-01-31T23:59:59Z" */
	char chip[16];
	char tool_version[32];
	uint64_t bytes;     /* sum of the partitions' sizes */
	struct mtk_backup_part *parts;
	size_t count;
	char damaged[200];  /* list only: why the manifest could not be read ("" when it could) */
};
void mtk_backup_free(struct mtk_backup *b);

/* The manifest's JSON text into b (bounds and names checked: a file name
 * is never a path).  `name` names the file in messages. */
int mtk_backup_manifest_parse(mtk_ctx *ctx, const char *text, size_t len, const char *name, struct mtk_backup *b);

/* Read the partitions `names` (NULL = every protected partition in the
 * device's table) and store them as one new backup.  `fingerprint` (may be
 * NULL) is put in the manifest's "fingerprint" slot as given (a reference is
 * taken).  The new id goes to `id`.  Nothing is left behind on failure. */
int mtk_backup_create(mtk_ctx *ctx, const char *root, struct mtk_da *da, const char *const *names, json_t *fingerprint,
		      char id[MTK_BACKUP_ID_MAX]);

struct mtk_backup_list {
	struct mtk_backup *items; /* by device id, then oldest first */
	size_t count;
};
void mtk_backup_list_free(struct mtk_backup_list *l);
/* Every backup in the store (or of one device); a manifest that cannot be
 * read is listed with `damaged` set rather than failing the list.  A root
 * that does not exist is an empty store. */
int mtk_backup_list(mtk_ctx *ctx, const char *root, const char *device_id, struct mtk_backup_list *out);

/* The manifest of backup `id` ("DEVICE/TIMESTAMP" or a unique TIMESTAMP). */
int mtk_backup_load(mtk_ctx *ctx, const char *root, const char *id, struct mtk_backup *out);

/* Every file present with the recorded size and SHA-256: 0, else
 * MTK_E_VERIFY naming the first problem; each part's state says which. */
int mtk_backup_verify(mtk_ctx *ctx, const char *root, const char *id, struct mtk_backup *out);

/* 1 when the store holds a backup of this device that verifies, 0 when not. */
int mtk_backup_has_for_device(mtk_ctx *ctx, const char *root, const char *device_id);

/* Write the backup's partitions `names` (NULL = all) back to the device,
 * each read back and compared byte for byte.  Before anything is written:
 * the backup must verify, the device's id must be the backup's (a backup is
 * never restored onto another phone: that would clone its IMEI), and each
 * partition must exist in the device's table, in the same region, at least
 * as large as its backup (it may have moved).  `out` (may be NULL) gets the
 * manifest with each part's state. */
int mtk_backup_restore(mtk_ctx *ctx, const char *root, struct mtk_da *da, const char *id, const char *const *names,
		       struct mtk_backup *out);

#ifdef __cplusplus
}
#endif
#endif
