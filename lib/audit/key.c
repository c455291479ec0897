/* SPDX-License-Identifier: MIT */
/* The station key that signs audit logs: the same Ed25519 key files as
 * `mtkflash keygen` writes (docs/signing.md), made on first use. */
#include "mtkflash/audit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/ctx.h"
#include "core/fileutil.h"
#include "core/outfile.h"

#define KEY_FILE_MAX 4096
#define STATION_COMMENT "mtkflash station key (signs audit logs)"

/* A key others can read could sign forged logs in this station's name. */
static int check_private(mtk_ctx *ctx, const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return mtk_fail(ctx, MTK_E_IO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mtk_fail(ctx, MTK_E_IO, "%s is not a regular file", path);
	if (st.st_mode & 077)
		return mtk_fail(ctx, MTK_E_IO, "%s is readable by others (mode %03o): chmod 600 it, or it cannot be "
		                "trusted to sign", path, (unsigned)(st.st_mode & 0777));
	return 0;
}

/* 1 and the key when it exists, 0 when it does not. */
static int load_key(mtk_ctx *ctx, const char *path, struct mtk_minisign_seckey *sk)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	bool absent = false;
	int rc = mtk_read_small_file(ctx, path, KEY_FILE_MAX, &buf, &len, &absent);
	if (rc < 0 || absent)
		return rc;
	rc = check_private(ctx, path);
	if (rc == 0)
		rc = mtk_minisign_seckey_parse(ctx, path, buf, len, sk);
	free(buf);
	return rc < 0 ? rc : 1;
}

static int create_key(mtk_ctx *ctx, const char *path, struct mtk_minisign_seckey *sk)
{
	struct mtk_minisign_pubkey pk;
	int rc = mtk_minisign_keygen(ctx, sk, &pk);
	if (rc < 0)
		return rc;
	char *text = mtk_minisign_seckey_format(sk, STATION_COMMENT);
	if (!text)
		return mtk_fail(ctx, MTK_E_NOMEM, "station key");
	rc = mtk_write_file_safely(ctx, path, text, strlen(text), MTK_OUT_PRIVATE);
	memset(text, 0, strlen(text));
	free(text);
	if (rc == 0)
		mtk_info(ctx, "created the station key %s", path);
	return rc;
}

/* The public file another mtkflash (or another thread of a batch) wrote
 * while we were writing ours: fine if it is the half of the same key. */
static bool pub_is(mtk_ctx *ctx, const char *path, const struct mtk_minisign_pubkey *pk)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	bool absent = false;
	struct mtk_minisign_pubkey got;
	bool same = mtk_read_small_file(ctx, path, KEY_FILE_MAX, &buf, &len, &absent) == 0 && !absent &&
		    mtk_minisign_pubkey_parse(ctx, path, buf, len, &got) == 0 &&
		    memcmp(got.key_id, pk->key_id, sizeof got.key_id) == 0 && memcmp(got.pk, pk->pk, sizeof got.pk) == 0;
	free(buf);
	return same;
}

/* The public half beside it, for whoever verifies this station's logs. */
static int ensure_pub(mtk_ctx *ctx, const char *path, const struct mtk_minisign_pubkey *pk)
{
	struct stat st;
	if (lstat(path, &st) == 0)
		return 0;
	char *text = mtk_minisign_pubkey_format(pk, STATION_COMMENT);
	if (!text)
		return mtk_fail(ctx, MTK_E_NOMEM, "station key");
	int rc = mtk_write_file_safely(ctx, path, text, strlen(text), 0);
	free(text);
	return rc < 0 && pub_is(ctx, path, pk) ? 0 : rc;
}

int mtk_audit_station_key(mtk_ctx *ctx, const char *dir, struct mtk_minisign_seckey *sk,
                          struct mtk_minisign_pubkey *pk)
{
	char *keypath = mtk_path_join(dir, "station.key");
	char *pubpath = mtk_path_join(dir, "station.pub");
	int rc = keypath && pubpath ? mtk_make_dirs(ctx, dir, 0700) : mtk_fail(ctx, MTK_E_NOMEM, "station key");
	if (rc == 0)
		rc = load_key(ctx, keypath, sk);
	if (rc == 0) {
		rc = create_key(ctx, keypath, sk);
		/* another mtkflash made it first: use that one */
		if (rc < 0 && load_key(ctx, keypath, sk) == 1)
			rc = 0;
	}
	if (rc >= 0) {
		memcpy(pk->key_id, sk->key_id, 8);
		memcpy(pk->pk, sk->pk, 32);
		rc = ensure_pub(ctx, pubpath, pk);
	}
	free(keypath);
	free(pubpath);
	return rc < 0 ? mtk_wrap(ctx, rc, "station key in %s", dir) : 0;
}
