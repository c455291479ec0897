/* SPDX-License-Identifier: MIT */
/* The manifest of a full backup unit (include/mtkflash/backup_unit.h):
 * written by `backup full`, read back as hostile input by `backup restore`. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backup_priv.h"
#include "core/bytes.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/backup_unit.h"

static const char *const class_names[] = { "data", "boot", "table", "protected" };

const char *mtk_unit_class_name(enum mtk_unit_class c)
{
	return (unsigned)c < sizeof class_names / sizeof class_names[0] ? class_names[c] : "?";
}

static int class_from_name(const char *s, enum mtk_unit_class *out)
{
	for (size_t i = 0; s && i < sizeof class_names / sizeof class_names[0]; i++)
		if (strcmp(s, class_names[i]) == 0) {
			*out = (enum mtk_unit_class)i;
			return 0;
		}
	return -1;
}

static bool is_table_name(const char *name)
{
	static const char *const names[] = { "pgpt", "sgpt", "PMT", "__NODL_PMT", "MBR", "gpt", NULL };
	for (const char *const *n = names; *n; n++)
		if (strcasecmp(name, *n) == 0)
			return true;
	return strncasecmp(name, "EBR", 3) == 0;
}

enum mtk_unit_class mtk_unit_class_of(const char *name, enum mtk_region region)
{
	if (region == MTK_REGION_BOOT1 || region == MTK_REGION_BOOT2)
		return MTK_UNIT_BOOT;
	if (is_table_name(name))
		return MTK_UNIT_TABLE;
	return mtk_part_name_is_protected(name) ? MTK_UNIT_PROTECTED : MTK_UNIT_DATA;
}

void mtk_unit_free(struct mtk_unit *u)
{
	free(u->areas);
	free(u->bad);
	free(u->skipped);
	memset(u, 0, sizeof *u);
}

const struct mtk_unit_area *mtk_unit_find(const struct mtk_unit *u, const char *name)
{
	for (size_t i = 0; i < u->count; i++)
		if (strcmp(u->areas[i].name, name) == 0)
			return &u->areas[i];
	return NULL;
}

/* ------------------------------------------------------------------ write */

static json_t *hex_json(const uint8_t *b, size_t n)
{
	char hex[65];
	mtk_hex_encode(hex, b, n);
	return json_string(hex);
}

static json_t *area_json(const struct mtk_unit_area *a)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:s}", "name", a->name, "file", a->file, "class",
			 mtk_unit_class_name(a->cls), "region", mtk_region_name(a->region), "offset",
			 (json_int_t)a->offset, "size", (json_int_t)a->size, "sha256", hex_json(a->sha256, 32),
			 "compression", a->zstd ? "zstd" : "none");
}

/* "none" (or absent) or "zstd"; -1 otherwise. */
static int compression_from(json_t *v, bool *zstd)
{
	const char *s = json_string_value(v);
	*zstd = s && strcmp(s, "zstd") == 0;
	return !v || *zstd || (s && strcmp(s, "none") == 0) ? 0 : -1;
}

static json_t *areas_json(const struct mtk_unit *u)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < u->count; i++)
		json_array_append_new(arr, area_json(&u->areas[i]));
	return arr;
}

static json_t *bad_json(const struct mtk_unit *u)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < u->nbad; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I}", "area", u->bad[i].area, "offset",
						     (json_int_t)u->bad[i].offset, "length",
						     (json_int_t)u->bad[i].length));
	return arr;
}

static json_t *skipped_json(const struct mtk_unit *u)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < u->nskipped; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s}", "name", u->skipped[i].name, "size",
						     (json_int_t)u->skipped[i].size, "why", u->skipped[i].why));
	return arr;
}

json_t *mtk_unit_to_json(const struct mtk_unit *u, json_t *facts)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "format", MTK_UNIT_FORMAT,
			 "device_id", u->device_id, "device_id_sha256", hex_json(u->device_id_sha256, 32), "chip",
			 u->chip, "created", u->created, "scatter", u->scatter, "table", u->table_kind, "bytes",
			 (json_int_t)u->bytes, "areas", areas_json(u), "not_backed_up", skipped_json(u), "bad_ranges",
			 bad_json(u), "device", facts ? facts : json_object());
}

/* ------------------------------------------------------------------ parse */

static int parse_area(mtk_ctx *ctx, json_t *o, const char *name, size_t i, struct mtk_unit_area *a)
{
	const char *an = bk_get_str(o, "name", sizeof a->name);
	const char *file = bk_get_str(o, "file", sizeof a->file);
	const char *region = json_string_value(json_object_get(o, "region"));
	const char *sha = json_string_value(json_object_get(o, "sha256"));
	if (!an || !an[0] || !file || !region || !sha)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: areas[%zu] lacks name, file, region or sha256", name, i);
	if (!bk_safe_component(file, sizeof a->file))
		return mtk_fail(ctx, MTK_E_PARSE, "%s: areas[%zu]: file '%s' is not a plain file name", name, i, file);
	if (mtk_region_from_name(region, &a->region) < 0 || bk_hex_decode(sha, a->sha256, 32) < 0 ||
	    !bk_get_u64(o, "offset", &a->offset) || !bk_get_u64(o, "size", &a->size) ||
	    class_from_name(json_string_value(json_object_get(o, "class")), &a->cls) < 0 ||
	    compression_from(json_object_get(o, "compression"), &a->zstd) < 0)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: areas[%zu] (%s): bad region, offset, size, class, compression or "
				"sha256", name, i, an);
	uint64_t end;
	if (mtk_add_overflows(a->offset, a->size, &end))
		return mtk_fail(ctx, MTK_E_PARSE, "%s: areas[%zu] (%s): offset + size overflows", name, i, an);
	/* The class decides what a restore may write where: it must be the one
	 * the name and region give, not whatever the file claims. */
	if (a->cls != mtk_unit_class_of(an, a->region))
		return mtk_fail(ctx, MTK_E_PARSE, "%s: areas[%zu] (%s): class %s, but a %s area is %s", name, i, an,
				mtk_unit_class_name(a->cls), mtk_region_name(a->region),
				mtk_unit_class_name(mtk_unit_class_of(an, a->region)));
	snprintf(a->name, sizeof a->name, "%s", an);
	snprintf(a->file, sizeof a->file, "%s", file);
	return 0;
}

static int check_unique(mtk_ctx *ctx, const struct mtk_unit *u, const char *name)
{
	for (size_t i = 0; i < u->count; i++)
		for (size_t k = i + 1; k < u->count; k++)
			if (strcmp(u->areas[i].name, u->areas[k].name) == 0 || strcmp(u->areas[i].file, u->areas[k].file) == 0)
				return mtk_fail(ctx, MTK_E_PARSE, "%s: areas[%zu] and areas[%zu] have the same name or file",
						name, i, k);
	return 0;
}

static int parse_areas(mtk_ctx *ctx, json_t *arr, const char *name, struct mtk_unit *u)
{
	size_t n = json_array_size(arr);
	if (!json_is_array(arr) || n == 0)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: no areas", name);
	if (!(u->areas = calloc(n, sizeof *u->areas)))
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int rc = parse_area(ctx, json_array_get(arr, i), name, i, &u->areas[i]);
		if (rc < 0)
			return rc;
		u->count++;
		if (mtk_add_overflows(u->bytes, u->areas[i].size, &u->bytes))
			return mtk_fail(ctx, MTK_E_PARSE, "%s: sizes overflow", name);
	}
	return check_unique(ctx, u, name);
}

static int parse_bad(mtk_ctx *ctx, json_t *arr, const char *name, struct mtk_unit *u)
{
	size_t n = json_array_size(arr);
	if (!json_is_array(arr))
		return mtk_fail(ctx, MTK_E_PARSE, "%s: bad_ranges is not a list", name);
	if (n && !(u->bad = calloc(n, sizeof *u->bad)))
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++, u->nbad++) {
		json_t *o = json_array_get(arr, i);
		struct mtk_unit_bad_range *b = &u->bad[i];
		const char *area = bk_get_str(o, "area", sizeof b->area);
		const struct mtk_unit_area *a = area ? mtk_unit_find(u, area) : NULL;
		uint64_t end;
		if (!a || !bk_get_u64(o, "offset", &b->offset) || !bk_get_u64(o, "length", &b->length) ||
		    mtk_add_overflows(b->offset, b->length, &end) || end > a->size)
			return mtk_fail(ctx, MTK_E_PARSE, "%s: bad_ranges[%zu]: no such area, or outside it", name, i);
		snprintf(b->area, sizeof b->area, "%s", area);
	}
	return 0;
}

static int parse_skipped(mtk_ctx *ctx, json_t *arr, const char *name, struct mtk_unit *u)
{
	size_t n = json_array_size(arr);
	if (!json_is_array(arr))
		return mtk_fail(ctx, MTK_E_PARSE, "%s: not_backed_up is not a list", name);
	if (n && !(u->skipped = calloc(n, sizeof *u->skipped)))
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++, u->nskipped++) {
		json_t *o = json_array_get(arr, i);
		struct mtk_unit_skipped *s = &u->skipped[i];
		const char *sn = bk_get_str(o, "name", sizeof s->name), *why = bk_get_str(o, "why", sizeof s->why);
		if (!sn || !why || !bk_get_u64(o, "size", &s->size))
			return mtk_fail(ctx, MTK_E_PARSE, "%s: not_backed_up[%zu] lacks name, size or why", name, i);
		snprintf(s->name, sizeof s->name, "%s", sn);
		snprintf(s->why, sizeof s->why, "%s", why);
	}
	return 0;
}

static int parse_head(mtk_ctx *ctx, json_t *doc, const char *name, struct mtk_unit *u)
{
	const char *fmt = json_string_value(json_object_get(doc, "format"));
	if (!fmt || strcmp(fmt, MTK_UNIT_FORMAT) != 0)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: not a backup unit manifest (format is not \"%s\")", name,
				MTK_UNIT_FORMAT);
	const char *dev = bk_get_str(doc, "device_id", sizeof u->device_id);
	const char *devsha = json_string_value(json_object_get(doc, "device_id_sha256"));
	const char *chip = bk_get_str(doc, "chip", sizeof u->chip);
	const char *created = bk_get_str(doc, "created", sizeof u->created);
	const char *scatter = bk_get_str(doc, "scatter", sizeof u->scatter);
	const char *table = bk_get_str(doc, "table", sizeof u->table_kind);
	if (!dev || !dev[0] || !devsha || bk_hex_decode(devsha, u->device_id_sha256, 32) < 0 || !chip || !created ||
	    !table)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: device_id, device_id_sha256, chip, created or table missing or "
				"malformed", name);
	if (!scatter || !bk_safe_component(scatter, sizeof u->scatter))
		return mtk_fail(ctx, MTK_E_PARSE, "%s: scatter is not a plain file name", name);
	uint8_t md[32];
	if (!EVP_Digest(dev, strlen(dev), md, NULL, EVP_sha256(), NULL))
		return mtk_fail(ctx, MTK_E_NOMEM, "SHA-256 failed");
	if (memcmp(md, u->device_id_sha256, 32) != 0)
		return mtk_fail(ctx, MTK_E_PARSE, "%s: device_id_sha256 is not the SHA-256 of device_id %s", name, dev);
	snprintf(u->device_id, sizeof u->device_id, "%s", dev);
	snprintf(u->chip, sizeof u->chip, "%s", chip);
	snprintf(u->created, sizeof u->created, "%s", created);
	snprintf(u->scatter, sizeof u->scatter, "%s", scatter);
	snprintf(u->table_kind, sizeof u->table_kind, "%s", table);
	return 0;
}

static int parse_doc(mtk_ctx *ctx, json_t *doc, const char *name, struct mtk_unit *u)
{
	int rc = parse_head(ctx, doc, name, u);
	if (rc == 0)
		rc = parse_areas(ctx, json_object_get(doc, "areas"), name, u);
	if (rc == 0)
		rc = parse_bad(ctx, json_object_get(doc, "bad_ranges"), name, u);
	if (rc == 0)
		rc = parse_skipped(ctx, json_object_get(doc, "not_backed_up"), name, u);
	return rc;
}

int mtk_unit_parse(mtk_ctx *ctx, const char *text, size_t len, const char *name, struct mtk_unit *u)
{
	memset(u, 0, sizeof *u);
	json_t *doc;
	int rc = bk_load_object(ctx, text, len, name, &doc);
	if (rc == 0)
		rc = parse_doc(ctx, doc, name, u);
	json_decref(doc);
	if (rc < 0)
		mtk_unit_free(u);
	return rc;
}
