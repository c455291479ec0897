/* SPDX-License-Identifier: MIT */
/* The flash journal: writer, parser, finder (include/mtkflash/journal.h). */
#include "mtkflash/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "mtkflash/util.h"
#include "verify/private_dir.h"

#define JOURNAL_MAX (64u << 20)

static const char *const jp_names[] = { "planned", "started", "ended", "failed", "restored" };

const char *mtk_jpart_state_name(enum mtk_jpart_state s)
{
	return (unsigned)s < sizeof jp_names / sizeof *jp_names ? jp_names[s] : "?";
}

/* ------------------------------------------------------------- parsing */

struct jp {
	mtk_ctx *ctx;
	struct mtk_journal_state *s;
	size_t line;
};

static int bad(struct jp *p, const char *what)
{
	return mtk_fail(p->ctx, MTK_E_PARSE, "journal line %zu: %s", p->line, what);
}

static int get_str(struct jp *p, json_t *o, const char *key, char *out, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (!v || strlen(v) >= cap)
		return mtk_fail(p->ctx, MTK_E_PARSE, "journal line %zu: \"%s\" missing, not a string or too long",
				p->line, key);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int get_u64(struct jp *p, json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return mtk_fail(p->ctx, MTK_E_PARSE, "journal line %zu: \"%s\" is not a non-negative integer",
				p->line, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_sha(struct jp *p, json_t *o, const char *key, uint8_t out[32])
{
	const char *v = json_string_value(json_object_get(o, key));
	if (!v || strlen(v) != 64)
		return mtk_fail(p->ctx, MTK_E_PARSE, "journal line %zu: \"%s\" is not a SHA-256", p->line, key);
	for (size_t i = 0; i < 32; i++) {
		int hi = mtk_hex_digit(v[2 * i]), lo = mtk_hex_digit(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return mtk_fail(p->ctx, MTK_E_PARSE, "journal line %zu: \"%s\" is not hex", p->line, key);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static struct mtk_journal_part *part_of(struct jp *p, json_t *o)
{
	const char *name = json_string_value(json_object_get(o, "partition"));
	struct mtk_journal_part *jp = name ? mtk_journal_part_find(p->s, name) : NULL;
	if (!jp)
		mtk_fail(p->ctx, MTK_E_PARSE, "journal line %zu: \"partition\" is not one the plan writes", p->line);
	return jp;
}

static int parse_entry(struct jp *p, json_t *e, struct mtk_journal_part *jp)
{
	char region[16];
	int rc = get_str(p, e, "partition", jp->name, sizeof jp->name);
	if (rc == 0)
		rc = get_str(p, e, "region", region, sizeof region);
	if (rc == 0 && mtk_region_from_name(region, &jp->region) < 0)
		rc = bad(p, "unknown region");
	if (rc == 0)
		rc = get_u64(p, e, "offset", &jp->offset);
	if (rc == 0)
		rc = get_u64(p, e, "size", &jp->size);
	const char *img = json_string_value(json_object_get(e, "image"));
	if (rc == 0 && !img)
		rc = bad(p, "a planned write has no image");
	if (rc == 0 && !(jp->image = strdup(img)))
		rc = mtk_fail(p->ctx, MTK_E_NOMEM, "no memory for the journal");
	return rc;
}

/* Optional (journals before the staged preloader lack them). */
static int begin_staging(struct jp *p, json_t *o)
{
	json_t *sel = json_object_get(o, "boot_select");
	if (sel && get_str(p, o, "boot_select", p->s->boot_select, sizeof p->s->boot_select) < 0)
		return MTK_E_PARSE;
	const char *dram = json_string_value(json_object_get(o, "dram_id"));
	if (!json_object_get(o, "dram_id"))
		return 0;
	size_t n = dram ? strlen(dram) : 0;
	if (!n || n % 2 || n / 2 > sizeof p->s->dram_id)
		return bad(p, "\"dram_id\" is not up to 16 bytes of hex");
	for (size_t i = 0; i < n / 2; i++) {
		int hi = mtk_hex_digit(dram[2 * i]), lo = mtk_hex_digit(dram[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return bad(p, "\"dram_id\" is not hex");
		p->s->dram_id[i] = (uint8_t)(hi << 4 | lo);
	}
	p->s->dram_id_len = n / 2;
	return 0;
}

static int rec_begin(struct jp *p, json_t *o)
{
	if (p->s->parts)
		return bad(p, "a second begin record");
	json_t *plan = json_object_get(o, "plan");
	int rc = get_str(p, o, "flash_id", p->s->flash_id, sizeof p->s->flash_id);
	if (rc == 0)
		rc = get_str(p, o, "device_id", p->s->device_id, sizeof p->s->device_id);
	if (rc == 0)
		rc = get_str(p, o, "mode", p->s->mode, sizeof p->s->mode);
	if (rc == 0)
		rc = get_str(p, o, "scene", p->s->scene, sizeof p->s->scene);
	if (rc == 0 && (!json_is_array(plan) || json_array_size(plan) > 4096))
		rc = bad(p, "\"plan\" is not a list of writes");
	if (rc == 0)
		rc = begin_staging(p, o);
	if (rc < 0)
		return rc;
	p->s->parts = calloc(json_array_size(plan) + 1, sizeof *p->s->parts);
	if (!p->s->parts)
		return mtk_fail(p->ctx, MTK_E_NOMEM, "no memory for the journal");
	for (size_t i = 0; rc == 0 && i < json_array_size(plan); i++) {
		rc = parse_entry(p, json_array_get(plan, i), &p->s->parts[i]);
		p->s->count++;
	}
	return rc;
}

static int parse_ranges(struct jp *p, json_t *a, struct mtk_journal_part *jp)
{
	if (!json_is_array(a) || json_array_size(a) > (1u << 20))
		return bad(p, "\"ranges\" is not a list");
	free(jp->ranges);
	jp->nranges = 0;
	jp->ranges = calloc(json_array_size(a) + 1, sizeof *jp->ranges);
	if (!jp->ranges)
		return mtk_fail(p->ctx, MTK_E_NOMEM, "no memory for the journal");
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *r = json_array_get(a, i);
		json_t *o = json_array_get(r, 0), *n = json_array_get(r, 1);
		if (!json_is_integer(o) || !json_is_integer(n) || json_integer_value(o) < 0 || json_integer_value(n) < 0)
			return bad(p, "a range is not [offset, length]");
		struct mtk_stash_range x = { (uint64_t)json_integer_value(o), (uint64_t)json_integer_value(n) };
		uint64_t end;
		if (mtk_add_overflows(x.off, x.len, &end) || end > jp->size)
			return bad(p, "a range lies outside the partition");
		jp->ranges[jp->nranges++] = x;
	}
	return 0;
}

static int rec_stash(struct jp *p, json_t *o)
{
	struct mtk_journal_part *jp = part_of(p, o);
	if (!jp)
		return MTK_E_PARSE;
	int rc = parse_ranges(p, json_object_get(o, "ranges"), jp);
	if (rc == 0)
		rc = get_sha(p, o, "old_sha256", jp->old_sha256);
	if (rc == 0)
		rc = get_sha(p, o, "new_sha256", jp->new_sha256);
	const char *file = json_string_value(json_object_get(o, "file"));
	if (rc == 0 && file) {
		if (mtk_name_problem(file, MTK_NAME_FILE) || strlen(file) >= sizeof jp->stash)
			return bad(p, "\"file\" is not a plain file name");
		snprintf(jp->stash, sizeof jp->stash, "%s", file);
		jp->stashed = true;
	}
	return rc;
}

static const struct {
	const char *rec;
	enum mtk_jpart_state state;
} transitions[] = {
	{ "start", MTK_JP_STARTED },
	{ "end", MTK_JP_ENDED },
	{ "failed", MTK_JP_FAILED },
	{ "restored", MTK_JP_RESTORED },
};

static int rec_state(struct jp *p, json_t *o, enum mtk_jpart_state st)
{
	struct mtk_journal_part *jp = part_of(p, o);
	if (!jp)
		return MTK_E_PARSE;
	jp->state = st;
	return 0;
}

static int rec_bootsel(struct jp *p, json_t *o)
{
	json_t *v = json_object_get(o, "value");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 2)
		return bad(p, "\"value\" of a bootsel record is not 1 or 2");
	p->s->bootsel = (unsigned)json_integer_value(v);
	return 0;
}

static int rec_close(struct jp *p, json_t *o)
{
	p->s->closed = true;
	return get_str(p, o, "result", p->s->result, sizeof p->s->result);
}

static int parse_record(struct jp *p, json_t *o)
{
	const char *rec = json_string_value(json_object_get(o, "rec"));
	if (!rec)
		return bad(p, "no \"rec\"");
	if (strcmp(rec, "begin") == 0)
		return rec_begin(p, o);
	if (!p->s->parts)
		return bad(p, "a record before the begin record");
	if (strcmp(rec, "stash") == 0)
		return rec_stash(p, o);
	if (strcmp(rec, "close") == 0)
		return rec_close(p, o);
	if (strcmp(rec, "bootsel") == 0)
		return rec_bootsel(p, o);
	for (size_t i = 0; i < sizeof transitions / sizeof *transitions; i++)
		if (strcmp(rec, transitions[i].rec) == 0)
			return rec_state(p, o, transitions[i].state);
	return 0; /* a record kind of a later version: informative only */
}

int mtk_journal_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_journal_state *out)
{
	memset(out, 0, sizeof *out);
	struct jp p = { .ctx = ctx, .s = out };
	int rc = 0;
	for (size_t at = 0; rc == 0 && at < len;) {
		const uint8_t *nl = memchr(buf + at, '\n', len - at);
		p.line++;
		if (!nl)
			break; /* torn by a crash while appending: never fsynced, never acted on */
		size_t n = (size_t)(nl - (buf + at));
		json_error_t err;
		json_t *o = json_loadb((const char *)buf + at, n, JSON_REJECT_DUPLICATES, &err);
		if (!json_is_object(o))
			rc = mtk_fail(ctx, MTK_E_PARSE, "journal line %zu, column %d: %s", p.line, err.column,
				      o ? "not a JSON object" : err.text);
		else
			rc = parse_record(&p, o);
		json_decref(o);
		at += n + 1;
	}
	if (rc == 0 && !out->parts)
		rc = mtk_fail(ctx, MTK_E_PARSE, "journal: no begin record");
	if (rc < 0)
		mtk_journal_state_free(out);
	return rc;
}

void mtk_journal_state_free(struct mtk_journal_state *s)
{
	for (size_t i = 0; s->parts && i < s->count; i++) {
		free(s->parts[i].image);
		free(s->parts[i].ranges);
	}
	free(s->parts);
	memset(s, 0, sizeof *s);
}

struct mtk_journal_part *mtk_journal_part_find(struct mtk_journal_state *s, const char *name)
{
	for (size_t i = 0; i < s->count; i++)
		if (strcmp(s->parts[i].name, name) == 0)
			return &s->parts[i];
	return NULL;
}

/* ------------------------------------------------------------- writing */

struct mtk_journal {
	mtk_ctx *ctx;
	int fd;
	char id[MTK_FLASH_ID_MAX];
	char dir[4096];
};

static int open_file(mtk_ctx *ctx, struct mtk_journal *j, int flags)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", j->dir, MTK_JOURNAL_FILE);
	j->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | flags, 0600);
	if (j->fd < 0)
		return mtk_fail(ctx, MTK_E_IO, "cannot open the journal %s: %s", path, strerror(errno));
	if (flags & O_CREAT)
		mtk_fsync_parent(path);
	return 0;
}

static int make_id(mtk_ctx *ctx, char out[MTK_FLASH_ID_MAX])
{
	uint8_t rnd[4];
	char hex[9];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return mtk_fail(ctx, MTK_E_IO, "no random bytes for the flash id");
	mtk_hex_encode(hex, rnd, sizeof rnd);
	time_t t = time(NULL);
	struct tm tm;
	mtk_utc_tm(t, &tm);
	strftime(out, MTK_FLASH_ID_MAX, "%Y%m%dT%H%M%SZ-", &tm);
	strcat(out, hex);
	return 0;
}

int mtk_journal_create(mtk_ctx *ctx, const char *root, const char *device_id, struct mtk_journal **out)
{
	*out = NULL;
	if (mtk_name_problem(device_id, MTK_NAME_FILE))
		return mtk_fail(ctx, MTK_E_INVAL, "device id %s cannot name a folder", device_id);
	struct mtk_journal *j = calloc(1, sizeof *j);
	if (!j)
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory for the journal");
	j->ctx = ctx;
	j->fd = -1;
	int rc = make_id(ctx, j->id);
	if (rc == 0 && snprintf(j->dir, sizeof j->dir, "%s/%s/%s", root, device_id, j->id) >= (int)sizeof j->dir)
		rc = mtk_fail(ctx, MTK_E_INVAL, "journal path too long");
	if (rc == 0)
		rc = vf_make_private_dirs(ctx, j->dir);
	if (rc == 0)
		rc = open_file(ctx, j, O_CREAT | O_EXCL);
	if (rc < 0) {
		mtk_journal_free(j);
		return mtk_wrap(ctx, rc, "creating the flash journal");
	}
	*out = j;
	return 0;
}

int mtk_journal_reopen(mtk_ctx *ctx, const char *dir, struct mtk_journal **out)
{
	*out = NULL;
	struct mtk_journal *j = calloc(1, sizeof *j);
	if (!j)
		return mtk_fail(ctx, MTK_E_NOMEM, "no memory for the journal");
	j->ctx = ctx;
	snprintf(j->dir, sizeof j->dir, "%s", dir);
	const char *slash = strrchr(dir, '/');
	snprintf(j->id, sizeof j->id, "%s", slash ? slash + 1 : dir);
	int rc = open_file(ctx, j, 0);
	if (rc < 0) {
		mtk_journal_free(j);
		return rc;
	}
	*out = j;
	return 0;
}

const char *mtk_journal_dir(const struct mtk_journal *j)
{
	return j->dir;
}

const char *mtk_journal_id(const struct mtk_journal *j)
{
	return j->id;
}

int mtk_journal_append(struct mtk_journal *j, json_t *rec)
{
	int rc = mtk_journal_append_lazy(j, rec);
	if (rc == 0 && fsync(j->fd) != 0)
		rc = mtk_fail(j->ctx, MTK_E_IO, "fsync of the flash journal in %s: %s", j->dir, strerror(errno));
	return rc;
}

int mtk_journal_append_lazy(struct mtk_journal *j, json_t *rec)
{
	char *line = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(rec);
	if (!line)
		return mtk_fail(j->ctx, MTK_E_NOMEM, "no memory for a journal record");
	size_t n = strlen(line);
	line[n] = '\n'; /* over the terminator: the line is written by length */
	int rc = mtk_write_all(j->ctx, j->fd, line, n + 1, "the flash journal");
	free(line);
	return rc;
}

void mtk_journal_free(struct mtk_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

int mtk_journal_load(mtk_ctx *ctx, const char *dir, struct mtk_journal_state *out)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, MTK_JOURNAL_FILE);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = mtk_read_small_file(ctx, path, JOURNAL_MAX, &buf, &len, NULL);
	if (rc == 0)
		rc = mtk_journal_parse(ctx, buf, len, out);
	free(buf);
	return rc < 0 ? mtk_wrap(ctx, rc, "%s", path) : 0;
}

/* ------------------------------------------------------------- finding */

static bool is_open_journal(mtk_ctx *ctx, const char *dir)
{
	struct mtk_journal_state s;
	if (mtk_journal_load(ctx, dir, &s) < 0) {
		mtk_ctx_clear_error(ctx);
		return false;
	}
	bool open = !s.closed;
	mtk_journal_state_free(&s);
	return open;
}

int mtk_journal_find_open(mtk_ctx *ctx, const char *root, const char *device_id, char *dir, size_t cap)
{
	char devdir[4096];
	if (mtk_name_problem(device_id, MTK_NAME_FILE) ||
	    snprintf(devdir, sizeof devdir, "%s/%s", root, device_id) >= (int)sizeof devdir)
		return 0;
	DIR *d = opendir(devdir);
	if (!d)
		return 0;
	char best[MTK_FLASH_ID_MAX] = "";
	struct dirent *e;
	/* Ids begin with the UTC time: the greatest is the newest. */
	while ((e = readdir(d)) != NULL) {
		char sub[4200];
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof best || strcmp(e->d_name, best) <= 0)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", devdir, e->d_name);
		if (is_open_journal(ctx, sub))
			snprintf(best, sizeof best, "%s", e->d_name);
	}
	closedir(d);
	if (!best[0])
		return 0;
	if (snprintf(dir, cap, "%s/%s", devdir, best) >= (int)cap)
		return mtk_fail(ctx, MTK_E_INVAL, "journal path too long");
	return 1;
}

json_t *mtk_journal_stash_record(const char *name, const char *file, const struct mtk_vwrite_result *v)
{
	char old[65], new[65];
	mtk_hex_encode(old, v->old_sha256, 32);
	mtk_hex_encode(new, v->new_sha256, 32);
	json_t *ranges = json_array();
	for (size_t i = 0; i < v->nstash_ranges; i++)
		json_array_append_new(ranges, json_pack("[I,I]", (json_int_t)v->stash_ranges[i].off,
							(json_int_t)v->stash_ranges[i].len));
	json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:I}", "rec", "stash", "partition", name, "ranges", ranges,
			      "old_sha256", old, "new_sha256", new, "skipped", (json_int_t)v->bytes_skipped);
	if (o && file)
		json_object_set_new(o, "file", json_string(file));
	return o;
}
