/* SPDX-License-Identifier: MIT */
/* lib/history on SQLite: records in and out, filters, idempotence on the
 * job id, the v1 -> v2 migration, the offline queue and its drain, and 16
 * threads saving at once with none lost.  PostgreSQL runs the same shared
 * statements; tests/integration/test_history.py drives it on a real server. */
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "history/hist_priv.h"
#include "mtkflash/history.h"

#define THREADS 16

struct fixture {
	char dir[4096];
	char db[4200];
	char queue[4200];
	mtk_ctx *ctx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	test_mkdtemp(f->dir, sizeof f->dir, "history");
	test_path(f->db, sizeof f->db, f->dir, "data/history.db");
	test_path(f->queue, sizeof f->queue, f->dir, "queue");
	f->ctx = mtk_ctx_new();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mtk_ctx_free(f->ctx);
	test_rmtree(f->dir);
	free(f);
	return 0;
}

static void make_record(struct mtk_history_record *r, const char *id, const char *device, const char *started,
			const char *result)
{
	memset(r, 0, sizeof *r);
	snprintf(r->job_id, sizeof r->job_id, "%s", id);
	snprintf(r->kind, sizeof r->kind, "flash");
	snprintf(r->device_id, sizeof r->device_id, "%s", device);
	snprintf(r->started, sizeof r->started, "%s", started);
	snprintf(r->ended, sizeof r->ended, "%s", started);
	snprintf(r->result, sizeof r->result, "%s", result);
	snprintf(r->station, sizeof r->station, "bench-1");
	snprintf(r->mode, sizeof r->mode, "safe");
	struct mtk_history_part p = { .bytes = 4096, .verified = true };
	snprintf(p.name, sizeof p.name, "boot");
	snprintf(p.stage, sizeof p.stage, "write");
	snprintf(p.state, sizeof p.state, "done");
	memset(p.sha256, 'a', 64);
	assert_int_equal(mtk_history_add_part(NULL, r, &p), 0);
	snprintf(p.name, sizeof p.name, "system");
	p.bytes = 1u << 30;
	assert_int_equal(mtk_history_add_part(NULL, r, &p), 0);
}

static struct mtk_history *open_db(struct fixture *f, const char *queue)
{
	struct mtk_history *h = NULL;
	int rc = mtk_history_open(f->ctx, f->db, queue, &h);
	if (rc < 0)
		fail_msg("open: %s", mtk_ctx_error(f->ctx));
	return h;
}

static size_t count_jobs(struct fixture *f, const struct mtk_history_filter *flt)
{
	struct mtk_history *h = open_db(f, NULL);
	struct mtk_history_record *v;
	size_t n;
	assert_int_equal(mtk_history_list(h, flt, &v, &n), 0);
	for (size_t i = 0; i < n; i++)
		mtk_history_record_free(&v[i]);
	free(v);
	mtk_history_close(h);
	return n;
}

static void test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct mtk_history *h = open_db(f, NULL);
	assert_string_equal(mtk_history_backend(h), "sqlite");
	assert_int_equal(mtk_history_schema_version(h), MTK_HISTORY_SCHEMA);
	struct mtk_history_record r, got;
	make_record(&r, "0123abcd", "mt6737-1", "2026-12-01T10:00:00.000Z", "verified");
	assert_int_equal(mtk_history_put(h, &r), 0);
	assert_int_equal(mtk_history_put(h, &r), 0); /* a resend: no second row, no error */
	assert_int_equal(mtk_history_get(h, "0123", &got), 0);
	assert_string_equal(got.device_id, "mt6737-1");
	assert_string_equal(got.station, "bench-1");
	assert_int_equal(got.nparts, 2);
	assert_string_equal(got.parts[1].name, "system");
	assert_int_equal(got.parts[1].bytes, 1u << 30);
	assert_true(got.parts[0].verified);
	assert_string_equal(got.parts[0].sha256, r.parts[0].sha256);
	mtk_history_record_free(&got);
	assert_int_equal(mtk_history_get(h, "ffff", &got), MTK_E_NOTFOUND);
	assert_int_equal(mtk_history_get(h, "01%", &got), MTK_E_INVAL); /* no LIKE wildcard gets through */
	mtk_history_record_free(&r);
	mtk_history_close(h);
	struct stat sb;
	assert_int_equal(stat(f->db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(count_jobs(f, NULL), 1);
}

static void test_filters(void **state)
{
	struct fixture *f = *state;
	struct mtk_history *h = open_db(f, NULL);
	struct mtk_history_record r;
	make_record(&r, "aa01", "dev-a", "2026-11-30T23:59:59.999Z", "verified");
	assert_int_equal(mtk_history_put(h, &r), 0);
	mtk_history_record_free(&r);
	make_record(&r, "aa02", "dev-a", "2026-12-01T00:00:00.000Z", "failed");
	assert_int_equal(mtk_history_put(h, &r), 0);
	mtk_history_record_free(&r);
	make_record(&r, "bb01", "dev-b", "2026-12-02T08:00:00.000Z", "rolled-back");
	assert_int_equal(mtk_history_put(h, &r), 0);
	mtk_history_record_free(&r);
	mtk_history_close(h);
	assert_int_equal(count_jobs(f, &(struct mtk_history_filter){ .device_id = "dev-a" }), 2);
	assert_int_equal(count_jobs(f, &(struct mtk_history_filter){ .since = "2026-12-01" }), 2);
	assert_int_equal(count_jobs(f, &(struct mtk_history_filter){ .result = "failed" }), 1);
	assert_int_equal(count_jobs(f, &(struct mtk_history_filter){ .device_id = "dev-a", .result = "verified" }), 1);
	assert_int_equal(count_jobs(f, &(struct mtk_history_filter){ .limit = 1 }), 1);
	/* newest first */
	h = open_db(f, NULL);
	struct mtk_history_record *v;
	size_t n;
	assert_int_equal(mtk_history_list(h, NULL, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].job_id, "bb01");
	assert_string_equal(v[2].job_id, "aa01");
	for (size_t i = 0; i < n; i++)
		mtk_history_record_free(&v[i]);
	free(v);
	mtk_history_close(h);
}

static void sql(sqlite3 *db, const char *s)
{
	char *err = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", s, err);
}

/* A database as the previous version left it: schema 1, parts as JSON. */
static void make_v1(struct fixture *f)
{
	char dir[4200];
	test_path(dir, sizeof dir, f->dir, "data");
	mkdir(dir, 0700);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	sql(db, "CREATE TABLE mtk_schema (version INTEGER NOT NULL)");
	for (const char *const *s = hist_schema_v1; *s; s++)
		sql(db, *s);
	sql(db, "INSERT INTO jobs (job_id, kind, device_id, started, result, parts) VALUES ('c0ffee', 'flash', "
		"'old-dev', '2026-01-02T03:04:05.000Z', 'verified', '[{\"name\":\"boot\",\"stage\":\"write\","
		"\"state\":\"done\",\"bytes\":512,\"sha256\":\"\",\"verified\":true},{\"name\":\"lk\",\"stage\":"
		"\"write\",\"state\":\"failed\",\"bytes\":7}]')");
	sql(db, "INSERT INTO jobs (job_id, kind, started) VALUES ('c0ffef', 'readback', '2026-01-02T04:00:00.000Z')");
	sqlite3_close(db);
}

static void test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	make_v1(f);
	struct mtk_history *h = open_db(f, NULL);
	assert_int_equal(mtk_history_schema_version(h), 2);
	struct mtk_history_record got;
	assert_int_equal(mtk_history_get(h, "c0ffee", &got), 0);
	assert_string_equal(got.device_id, "old-dev");
	assert_string_equal(got.station, ""); /* v1 had no station */
	assert_int_equal(got.nparts, 2);
	assert_string_equal(got.parts[0].name, "boot");
	assert_true(got.parts[0].verified);
	assert_int_equal(got.parts[0].bytes, 512);
	assert_string_equal(got.parts[1].state, "failed");
	assert_false(got.parts[1].verified);
	mtk_history_record_free(&got);
	assert_int_equal(mtk_history_get(h, "c0ffef", &got), 0);
	assert_int_equal(got.nparts, 0);
	mtk_history_record_free(&got);
	/* New records go in beside the migrated ones. */
	struct mtk_history_record r;
	make_record(&r, "d00d", "new-dev", "2026-12-01T00:00:00.000Z", "verified");
	assert_int_equal(mtk_history_put(h, &r), 0);
	mtk_history_record_free(&r);
	mtk_history_close(h);
	assert_int_equal(count_jobs(f, NULL), 3);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	mtk_history_close(open_db(f, NULL));
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	sql(db, "UPDATE mtk_schema SET version = 99");
	sqlite3_close(db);
	struct mtk_history *h = NULL;
	assert_int_equal(mtk_history_open(f->ctx, f->db, NULL, &h), MTK_E_UNSUPPORTED);
	assert_null(h);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "schema 99"));
}

/* The queue file's mode, -1 when there is none. */
static int queued_mode(struct fixture *f, const char *id)
{
	char path[4400];
	snprintf(path, sizeof path, "%s/%s.json", f->queue, id);
	struct stat sb;
	return stat(path, &sb) < 0 ? -1 : (int)(sb.st_mode & 0777);
}

static bool queued(struct fixture *f, const char *id)
{
	return queued_mode(f, id) >= 0;
}

static void test_queue_and_drain(void **state)
{
	struct fixture *f = *state;
	struct mtk_history_record r;
	make_record(&r, "feed01", "dev-q", "2026-12-01T00:00:00.000Z", "verified");
	/* A server that is not there: the record is queued, not lost. */
	const char *down = "postgresql://nobody@/mtkflash?host=/nonexistent-socket-dir";
	assert_int_equal(mtk_history_save(f->ctx, down, f->queue, &r), 1);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "queued"));
	assert_int_equal(queued_mode(f, "feed01"), 0600);
	/* Queued twice (a resend after a crash): still one job once drained. */
	assert_int_equal(mtk_history_queue(f->ctx, f->queue, &r), 0);
	struct mtk_history_record r2;
	make_record(&r2, "feed02", "dev-q", "2026-12-01T00:00:01.000Z", "failed");
	assert_int_equal(mtk_history_save(f->ctx, down, f->queue, &r2), 1);
	/* A stranger in the folder is left alone. */
	test_write_text(f->queue, "notes.txt", "not a record");
	struct mtk_history *h = open_db(f, f->queue);
	mtk_history_close(h);
	assert_false(queued(f, "feed01"));
	assert_false(queued(f, "feed02"));
	assert_int_equal(count_jobs(f, &(struct mtk_history_filter){ .device_id = "dev-q" }), 2);
	/* The same record once more, through the queue: no duplicate. */
	assert_int_equal(mtk_history_queue(f->ctx, f->queue, &r), 0);
	h = open_db(f, f->queue);
	assert_int_equal(mtk_history_drain(h, f->queue), 0);
	mtk_history_close(h);
	assert_int_equal(count_jobs(f, &(struct mtk_history_filter){ .device_id = "dev-q" }), 2);
	mtk_history_record_free(&r);
	mtk_history_record_free(&r2);
}

static int warnings;
static char last_warning[512];

static void on_log(void *user, enum mtk_log_level level, const char *msg)
{
	(void)user;
	if (level == MTK_LOG_WARN) {
		warnings++;
		snprintf(last_warning, sizeof last_warning, "%s", msg);
	}
}

/* A damaged queue file is named and kept; the good ones still go. */
static void test_queue_bad_file(void **state)
{
	struct fixture *f = *state;
	mkdir(f->queue, 0700);
	test_write_text(f->queue, "abcd.json", "{\"job_id\": \"abcd\", \"parts\": [{\"name\": 5}]}");
	struct mtk_history_record r;
	make_record(&r, "abce", "dev-ok", "2026-12-01T00:00:00.000Z", "verified");
	assert_int_equal(mtk_history_queue(f->ctx, f->queue, &r), 0);
	mtk_history_record_free(&r);
	warnings = 0;
	mtk_ctx_set_log(f->ctx, on_log, NULL, MTK_LOG_WARN);
	struct mtk_history *h = open_db(f, f->queue);
	mtk_history_close(h);
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(last_warning, "abcd.json"));
	assert_non_null(strstr(last_warning, "\"name\""));
	assert_true(queued(f, "abcd"));
	assert_false(queued(f, "abce"));
	assert_int_equal(count_jobs(f, &(struct mtk_history_filter){ .device_id = "dev-ok" }), 1);
}

struct worker {
	struct fixture *f;
	int index;
	int rc;
};

static void *save_one(void *arg)
{
	struct worker *w = arg;
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_history_record r;
	char id[MTK_HISTORY_ID_SIZE], dev[32];
	assert_int_equal(mtk_history_new_job_id(ctx, id), 0);
	snprintf(dev, sizeof dev, "phone-%02d", w->index);
	make_record(&r, id, dev, "2026-12-03T00:00:00.000Z", "verified");
	w->rc = mtk_history_save(ctx, w->f->db, w->f->queue, &r);
	mtk_history_record_free(&r);
	mtk_ctx_free(ctx);
	return NULL;
}

/* 16 jobs of a batch ending together, each on its own connection (the
 * first ones also create the schema): every one stored, none queued. */
static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	pthread_t t[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .f = f, .index = i, .rc = -100 };
		assert_int_equal(pthread_create(&t[i], NULL, save_one, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].rc, 0);
	}
	assert_int_equal(count_jobs(f, NULL), THREADS);
	assert_int_equal(access(f->queue, F_OK), -1);
}

static void test_json_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct mtk_history_record r, back;
	make_record(&r, "beef", "dev-\x1b[31m", "2026-12-01T00:00:00.000Z", "refused");
	snprintf(r.operator_name, sizeof r.operator_name, "alice");
	json_t *j = mtk_history_record_to_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "operator")), "alice");
	assert_int_equal(mtk_history_record_from_json(f->ctx, j, &back), 0);
	assert_string_equal(back.device_id, r.device_id);
	assert_string_equal(back.operator_name, "alice");
	assert_int_equal(back.nparts, 2);
	mtk_history_record_free(&back);
	json_object_set_new(j, "device_id", json_integer(3));
	assert_int_equal(mtk_history_record_from_json(f->ctx, j, &back), MTK_E_PARSE);
	assert_non_null(strstr(mtk_ctx_error(f->ctx), "device_id"));
	json_object_del(j, "job_id");
	json_object_set_new(j, "device_id", json_string("x"));
	assert_int_equal(mtk_history_record_from_json(f->ctx, j, &back), MTK_E_PARSE);
	json_decref(j);
	mtk_history_record_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_and_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bad_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_roundtrip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
