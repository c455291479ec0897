/* SPDX-License-Identifier: MIT */
/* The backup store against an in-process emulated MT6737: layout and modes,
 * list, verify catching a changed byte and a missing file, restore (read
 * back), refusal on another device's backup, symlinks, hostile manifests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_storage.h"
#include "mtkemu_port.h"
#include "mtkflash/backup.h"
#include "mtkflash/dafile.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/session.h"
#include "testutil.h"

struct fx {
	mtk_ctx *ctx;
	char dir[256];
	char root[512];
	struct mtk_transport *tp;
	struct mtk_dafile file;
	struct mtk_da *da;
	char dev[MTK_DEVICE_ID_MAX];
};

static void connect_emu(struct fx *f)
{
	char spec[512];
	snprintf(spec, sizeof spec, "emu:mt6737,state=%s/state", f->dir);
	if (mtk_transport_open(f->ctx, spec, 0, &f->tp) != 0)
		fail_msg("open %s: %s", spec, mtk_ctx_error(f->ctx));
	const char *da_path = MTKFLASH_BUILD_DA; /* tests run uninstalled */
	if (mtk_dafile_load(f->ctx, da_path, &f->file) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
	struct mtk_attach_opts o = { .speed_switch = true, .reopen_wait_ms = 2000 };
	enum mtk_attach_how how;
	if (mtk_da_attach(f->ctx, f->tp, &f->file, da_path, NULL, &o, &f->da, &how) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
	assert_int_equal(mtk_da_device_id(f->da, f->dev), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	test_mkdtemp(f->dir, sizeof f->dir, "test_backup");
	snprintf(f->root, sizeof f->root, "%s/data/mtkflash/backups", f->dir);
	char state_dir[300], err[512];
	snprintf(state_dir, sizeof state_dir, "%s/state", f->dir);
	static struct emu_provision_result res;
	struct emu_provision_opts o = { .chip = "mt6737", .state_dir = state_dir, .user_size = 4ull << 30 };
	if (emu_provision(&o, &res, err, sizeof err) != 0)
		fail_msg("%s", err);
	connect_emu(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mtk_da_close(f->da);
	mtk_transport_close(f->tp);
	mtk_dafile_free_loaded(&f->file);
	test_rmtree(f->dir);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

static void create_ok(struct fx *f, const char *const *names, char id[MTK_BACKUP_ID_MAX])
{
	if (mtk_backup_create(f->ctx, f->root, f->da, names, NULL, id) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
}

static const struct mtk_backup_part *part_named(const struct mtk_backup *b, const char *name)
{
	for (size_t i = 0; i < b->count; i++)
		if (strcmp(b->parts[i].name, name) == 0)
			return &b->parts[i];
	fail_msg("no %s in backup %s", name, b->id);
	return NULL;
}

static void path_of(const struct fx *f, const char *id, const char *file, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s%s%s", f->root, id, file ? "/" : "", file ? file : "");
}

static void mode_is(const char *path, unsigned mode)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, mode);
}

static void layout_and_modes(void **state)
{
	struct fx *f = *state;
	char id[MTK_BACKUP_ID_MAX], path[1024];
	create_ok(f, NULL, id);
	assert_int_equal(strncmp(id, f->dev, strlen(f->dev)), 0);
	assert_int_equal(id[strlen(f->dev)], '/');
	struct mtk_backup b;
	assert_int_equal(mtk_backup_load(f->ctx, f->root, id, &b), 0);
	/* Every protected partition, and only those. */
	for (size_t i = 0; i < b.count; i++)
		assert_true(mtk_part_name_is_protected(b.parts[i].name));
	const struct mtk_backup_part *nv = part_named(&b, "nvram");
	part_named(&b, "nvdata");
	part_named(&b, "protect1");
	assert_string_equal(b.chip, "MT6737");
	mode_is(f->root, 0700);
	path_of(f, f->dev, NULL, path, sizeof path);
	mode_is(path, 0700);
	path_of(f, id, NULL, path, sizeof path);
	mode_is(path, 0700);
	path_of(f, id, MTK_BACKUP_MANIFEST, path, sizeof path);
	mode_is(path, 0600);
	path_of(f, id, nv->file, path, sizeof path);
	mode_is(path, 0600);
	/* The file holds what the device holds. */
	size_t len;
	uint8_t *saved = test_load(path, &len);
	assert_int_equal(len, nv->size);
	uint8_t *dev = malloc(len);
	assert_int_equal(mtk_da_read_buf(f->da, nv->region, nv->offset, dev, len), 0);
	assert_memory_equal(saved, dev, len);
	free(saved);
	free(dev);
	mtk_backup_free(&b);
}

static void list_and_has(void **state)
{
	struct fx *f = *state;
	char a[MTK_BACKUP_ID_MAX], b[MTK_BACKUP_ID_MAX];
	struct mtk_backup_list l;
	assert_int_equal(mtk_backup_list(f->ctx, f->root, NULL, &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(mtk_backup_has_for_device(f->ctx, f->root, f->dev), 0);
	const char *only[] = { "nvram", NULL };
	create_ok(f, only, a);
	create_ok(f, NULL, b);
	assert_string_not_equal(a, b); /* same second: "-2" */
	assert_int_equal(mtk_backup_list(f->ctx, f->root, NULL, &l), 0);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.items[0].id, a);
	assert_int_equal(l.items[0].count, 1);
	if (l.items[1].count <= 1)
		fail_msg("%s has %zu, %s has %zu", l.items[0].id, l.items[0].count, l.items[1].id, l.items[1].count);
	mtk_backup_list_free(&l);
	assert_int_equal(mtk_backup_list(f->ctx, f->root, "mt6737-0000000000000000", &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(mtk_backup_has_for_device(f->ctx, f->root, f->dev), 1);
	assert_int_equal(mtk_backup_has_for_device(f->ctx, f->root, "mt6737-0000000000000000"), 0);
	/* The timestamp alone names it when unique. */
	struct mtk_backup x;
	assert_int_equal(mtk_backup_load(f->ctx, f->root, strchr(a, '/') + 1, &x), 0);
	assert_string_equal(x.id, a);
	mtk_backup_free(&x);
	assert_int_equal(mtk_backup_load(f->ctx, f->root, "../etc", &x), MTK_E_INVAL);
	assert_int_equal(mtk_backup_load(f->ctx, f->root, "a/b/c", &x), MTK_E_INVAL);
}

static void flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t c;
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static void verify_catches_changes(void **state)
{
	struct fx *f = *state;
	char id[MTK_BACKUP_ID_MAX], path[1024];
	create_ok(f, NULL, id);
	struct mtk_backup b;
	assert_int_equal(mtk_backup_verify(f->ctx, f->root, id, &b), 0);
	const struct mtk_backup_part *nv = part_named(&b, "nvram");
	assert_int_equal(nv->state, MTK_BACKUP_OK);
	path_of(f, id, nv->file, path, sizeof path);
	mtk_backup_free(&b);

	flip_byte(path, 12345);
	assert_int_equal(mtk_backup_verify(f->ctx, f->root, id, &b), MTK_E_VERIFY);
	assert_int_equal(part_named(&b, "nvram")->state, MTK_BACKUP_CHANGED);
	assert_int_equal(part_named(&b, "nvdata")->state, MTK_BACKUP_OK);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "nvram"));
	mtk_backup_free(&b);
	assert_int_equal(mtk_backup_has_for_device(f->ctx, f->root, f->dev), 0);
	/* A damaged backup is never restored, not even partly. */
	assert_int_equal(mtk_backup_restore(f->ctx, f->root, f->da, id, NULL, NULL), MTK_E_VERIFY);

	unlink(path);
	assert_int_equal(mtk_backup_verify(f->ctx, f->root, id, &b), MTK_E_VERIFY);
	assert_int_equal(part_named(&b, "nvram")->state, MTK_BACKUP_MISSING);
	mtk_backup_free(&b);
}

static int junk_source(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	(void)user;
	(void)off;
	memset(buf, 0xA5, len);
	return (int)len;
}

static void restore_round_trip(void **state)
{
	struct fx *f = *state;
	char id[MTK_BACKUP_ID_MAX];
	const char *only[] = { "nvram", "protect1", NULL };
	create_ok(f, only, id);
	struct mtk_backup b;
	assert_int_equal(mtk_backup_load(f->ctx, f->root, id, &b), 0);
	const struct mtk_backup_part *nv = part_named(&b, "nvram");
	size_t len = (size_t)nv->size;
	uint8_t *orig = malloc(len), *now = malloc(len);
	assert_int_equal(mtk_da_read_buf(f->da, nv->region, nv->offset, orig, len), 0);
	assert_int_equal(mtk_da_write(f->da, "scribbling", nv->region, nv->offset, len, junk_source, NULL), 0);
	assert_int_equal(mtk_da_read_buf(f->da, nv->region, nv->offset, now, len), 0);
	assert_memory_not_equal(now, orig, len);
	struct mtk_backup after;
	const char *sel[] = { "NVRAM", NULL }; /* any case */
	if (mtk_backup_restore(f->ctx, f->root, f->da, id, sel, &after) != 0)
		fail_msg("%s", mtk_ctx_error(f->ctx));
	assert_int_equal(part_named(&after, "nvram")->state, MTK_BACKUP_OK);
	assert_int_equal(part_named(&after, "protect1")->state, MTK_BACKUP_SKIPPED);
	assert_int_equal(mtk_da_read_buf(f->da, nv->region, nv->offset, now, len), 0);
	assert_memory_equal(now, orig, len);
	mtk_backup_free(&after);
	const char *absent[] = { "boot", NULL };
	assert_int_equal(mtk_backup_restore(f->ctx, f->root, f->da, id, absent, NULL), MTK_E_NOTFOUND);
	free(orig);
	free(now);
	mtk_backup_free(&b);
}

/* Rewrites a backup's manifest and folder as if device `other` had made it. */
static void move_to_device(struct fx *f, const char *id, const char *other, char *out_id)
{
	char from[1024], to[1024], manifest[1200];
	const char *ts = strchr(id, '/') + 1;
	path_of(f, id, NULL, from, sizeof from);
	snprintf(to, sizeof to, "%s/%s", f->root, other);
	assert_int_equal(mkdir(to, 0700), 0);
	snprintf(to, sizeof to, "%s/%s/%s", f->root, other, ts);
	assert_int_equal(rename(from, to), 0);
	snprintf(manifest, sizeof manifest, "%s/%s", to, MTK_BACKUP_MANIFEST);
	size_t len;
	char *text = (char *)test_load(manifest, &len);
	char *at = strstr(text, f->dev);
	assert_non_null(at);
	assert_int_equal(strlen(other), strlen(f->dev));
	memcpy(at, other, strlen(other));
	FILE *w = fopen(manifest, "wb");
	assert_int_equal(fwrite(text, 1, len, w), len);
	fclose(w);
	free(text);
	snprintf(out_id, MTK_BACKUP_ID_MAX, "%s/%s", other, ts);
}

static void restore_refused_on_other_device(void **state)
{
	struct fx *f = *state;
	char id[MTK_BACKUP_ID_MAX], other_id[MTK_BACKUP_ID_MAX];
	const char *only[] = { "nvram", NULL };
	create_ok(f, only, id);
	move_to_device(f, id, "mt6737-0123456789abcdef", other_id);
	assert_int_equal(mtk_backup_verify(f->ctx, f->root, other_id, NULL), 0);
	assert_int_equal(mtk_backup_restore(f->ctx, f->root, f->da, other_id, NULL, NULL), MTK_E_POLICY);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "another phone"));
	/* A manifest that disagrees with its folder is not trusted either. */
	char moved[1024], from[1024];
	snprintf(moved, sizeof moved, "%s/%s/%s", f->root, f->dev, strchr(other_id, '/') + 1);
	path_of(f, other_id, NULL, from, sizeof from);
	assert_int_equal(rename(from, moved), 0);
	assert_int_equal(mtk_backup_verify(f->ctx, f->root, id, NULL), MTK_E_VERIFY);
}

/* mkdir -p of the store's parent folders, as a user's home would have them. */
static void make_parents(struct fx *f)
{
	char dir[700];
	snprintf(dir, sizeof dir, "%s/data", f->dir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof dir, "%s/data/mtkflash", f->dir);
	mkdir(dir, 0700);
}

static void symlinked_store_refused(void **state)
{
	struct fx *f = *state;
	char elsewhere[600], id[MTK_BACKUP_ID_MAX];
	snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", f->dir);
	assert_int_equal(mkdir(elsewhere, 0700), 0);
	make_parents(f);
	assert_int_equal(symlink(elsewhere, f->root), 0);
	assert_int_equal(mtk_backup_create(f->ctx, f->root, f->da, NULL, NULL, id), MTK_E_IO);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "symbolic link"));
}

static void hostile_manifests(void **state)
{
	struct fx *f = *state;
	struct mtk_backup b;
	static const char *const bad[] = {
		"[]",
		"{\"format\": \"other\"}",
		"{\"format\": \"mtkflash-backup 1\", \"device_id\": \"d\", \"timestamp\": \"t\", \"created\": \"c\", "
		"\"partitions\": [{\"partition\": \"nvram\", \"file\": \"../../etc/passwd\", \"region\": \"user\", "
		"\"offset\": 0, \"size\": 1, \"sha256\": "
		"\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
		"{\"format\": \"mtkflash-backup 1\", \"device_id\": \"../d\", \"timestamp\": \"t\", \"created\": \"c\", "
		"\"partitions\": []}",
		"{\"format\": \"mtkflash-backup 1\", \"device_id\": \"d\", \"timestamp\": \"t\", \"created\": \"c\", "
		"\"partitions\": [{\"partition\": \"nvram\", \"file\": \"a.img\", \"region\": \"user\", "
		"\"offset\": -1, \"size\": 1, \"sha256\": "
		"\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
		"{\"format\": \"mtkflash-backup 1\", \"format\": \"mtkflash-backup 1\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(mtk_backup_manifest_parse(f->ctx, bad[i], strlen(bad[i]), "m", &b), MTK_E_PARSE);
	/* A damaged backup is listed as such, not hidden and not fatal. */
	char dir[700];
	make_parents(f);
	mkdir(f->root, 0700);
	snprintf(dir, sizeof dir, "%s/%s", f->root, f->dev);
	mkdir(dir, 0700);
	snprintf(dir, sizeof dir, "%s/%s/20240101T000000Z", f->root, f->dev);
	mkdir(dir, 0700);
	test_write_text(dir, MTK_BACKUP_MANIFEST, "{not json");
	struct mtk_backup_list l;
	assert_int_equal(mtk_backup_list(f->ctx, f->root, NULL, &l), 0);
	assert_int_equal(l.count, 1);
	assert_non_null(strstr(l.items[0].damaged, "manifest.json"));
	mtk_backup_list_free(&l);
	assert_int_equal(mtk_backup_has_for_device(f->ctx, f->root, f->dev), 0);
}

int main(void)
{
	if (mtkemu_port_register() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(layout_and_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(list_and_has, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_catches_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(restore_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(restore_refused_on_other_device, setup, teardown),
		cmocka_unit_test_setup_teardown(symlinked_store_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_manifests, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
