/* SPDX-License-Identifier: MIT */
/* The device's fingerprint: everything it says about itself before anything
 * is written, kept in the plan output and the audit log. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/ctx.h"
#include "mtkflash/da.h"
#include "mtkflash/session.h"
#include "mtkflash/verify.h"

/* A preloader is at most a few hundred KiB; 1 MiB covers every known one
 * and the read costs well under a second at high speed. */
#define BOOT1_READ_MAX (1u << 20)

void mtk_ptable_sha256(const struct mtk_ptable *t, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned n = 0;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; md && i < t->count; i++) {
		const struct mtk_part *p = &t->parts[i];
		uint8_t rec[MTK_PART_NAME_SIZE + 17] = { 0 };
		memcpy(rec, p->name, strnlen(p->name, MTK_PART_NAME_SIZE));
		rec[MTK_PART_NAME_SIZE] = (uint8_t)p->region;
		mtk_put_u64le(rec + MTK_PART_NAME_SIZE + 1, p->start);
		mtk_put_u64le(rec + MTK_PART_NAME_SIZE + 9, p->size);
		EVP_DigestUpdate(md, rec, sizeof rec);
	}
	if (!md || EVP_DigestFinal_ex(md, out, &n) != 1)
		memset(out, 0, 32);
	EVP_MD_CTX_free(md);
}

static void read_preloader(mtk_ctx *ctx, struct mtk_da *da, struct mtk_fingerprint *fp)
{
	uint64_t boot1 = mtk_da_region_size(da, MTK_REGION_BOOT1);
	size_t n = boot1 < BOOT1_READ_MAX ? (size_t)boot1 : BOOT1_READ_MAX;
	if (n == 0) {
		snprintf(fp->preloader_note, sizeof fp->preloader_note, "the device reports no boot1 area");
		return;
	}
	uint8_t *buf = malloc(n);
	int rc = buf ? mtk_da_read_buf(da, MTK_REGION_BOOT1, 0, buf, n) : MTK_E_NOMEM;
	if (rc == 0)
		rc = mtk_preloader_parse(ctx, buf, n, &fp->preloader);
	if (rc == 0) {
		fp->have_preloader = true;
		fp->preloader.emi = NULL; /* pointed into buf */
	} else {
		snprintf(fp->preloader_note, sizeof fp->preloader_note, "boot1 holds no usable preloader: %s",
			 mtk_ctx_error(ctx));
		mtk_ctx_clear_error(ctx);
	}
	free(buf);
}

/* The EMI records name their part by eMMC CID[0:9] (formats.md §4.5.2). */
static void dram_id(struct mtk_fingerprint *fp)
{
	static const uint8_t zero[16];
	if (strcmp(fp->storage.type, "emmc") != 0 || memcmp(fp->storage.cid, zero, 16) == 0)
		return;
	memcpy(fp->dram_id, fp->storage.cid, 9);
	fp->dram_id_len = 9;
}

static void da_facts(struct mtk_da *da, struct mtk_fp_da *out)
{
	const struct mtk_da_storage *st = mtk_da_storage(da);
	snprintf(out->protocol, sizeof out->protocol, "%s", mtk_da_protocol(da));
	snprintf(out->version, sizeof out->version, "%s", st->da_version_text);
	out->ptable_category = st->ptable_category;
	out->write_packet_len = st->write_packet_len;
	out->read_packet_len = st->read_packet_len;
	out->ext_ram_size = st->ext_ram_size;
}

/* GET_PARTITION_TBL_CATA (§3.9) names the kind of table the DA works with;
 * a table read that disagrees is worth a warning, not a refusal: the table
 * read is what the plan is built on. */
static const char *category_name(uint32_t c)
{
	return c == 0x64 ? "gpt" : c == 0x65 ? "pmt" : NULL;
}

static void check_category(mtk_ctx *ctx, const struct mtk_fingerprint *fp)
{
	const char *want = category_name(fp->da.ptable_category);
	const char *got = mtk_ptable_kind_name(fp->table.kind);
	if (want && strcmp(want, got) != 0)
		mtk_warn(ctx, "the DA reports a %s partition table (category 0x%x), but the table read is %s", want,
			 fp->da.ptable_category, got);
}

int mtk_fingerprint_take(mtk_ctx *ctx, struct mtk_da *da, struct mtk_fingerprint *out)
{
	memset(out, 0, sizeof *out);
	out->brom = *mtk_da_brom_info(da);
	const struct mtk_da_storage *st = mtk_da_storage(da);
	snprintf(out->storage.type, sizeof out->storage.type, "%s", mtk_storage_type_name(st->type));
	out->storage.regions = st->regions;
	memcpy(out->storage.cid, st->cid, sizeof out->storage.cid);
	memcpy(out->storage.fw_version, st->emmc_fwver, sizeof out->storage.fw_version);
	int rc = mtk_da_device_id(da, out->device_id);
	if (rc == 0)
		rc = mtk_da_read_ptable(da, true, &out->table);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "fingerprinting the device");
	mtk_ptable_sha256(&out->table, out->table_sha256);
	da_facts(da, &out->da);
	check_category(ctx, out);
	dram_id(out);
	if (mtk_cancelled(ctx)) {
		mtk_ptable_free(&out->table);
		return mtk_fail(ctx, MTK_E_INTERRUPTED, "interrupted while fingerprinting the device");
	}
	read_preloader(ctx, da, out);
	return 0;
}

void mtk_fingerprint_free(struct mtk_fingerprint *fp)
{
	mtk_ptable_free(&fp->table);
	memset(fp, 0, sizeof *fp);
}

/* ------------------------------------------------------------------ JSON */

static json_t *hex_json(const uint8_t *b, size_t n)
{
	char buf[2 * 64 + 1];
	if (n > 64)
		n = 64;
	mtk_hex_encode(buf, b, n);
	return json_string(buf);
}

static json_t *brom_json(const struct mtk_brom_info *b)
{
	json_t *o = json_object();
	json_object_set_new(o, "chip", b->chip ? json_string(b->chip->name) : json_null());
	json_object_set_new(o, "hw_code", json_integer(b->hw_code));
	json_object_set_new(o, "hw_sub_code", json_integer(b->hw_sub_code));
	json_object_set_new(o, "hw_version", json_integer(b->hw_ver));
	json_object_set_new(o, "sw_version", json_integer(b->sw_ver));
	json_object_set_new(o, "bl_version", json_integer(b->bl_ver));
	json_object_set_new(o, "mode", json_string(b->mode == MTK_MODE_BROM ? "brom" : "preloader"));
	json_object_set_new(o, "target_config", json_integer((json_int_t)b->target_config));
	json_object_set_new(o, "me_id", b->have_me_id ? hex_json(b->me_id, b->me_id_len) : json_null());
	json_object_set_new(o, "soc_id", b->have_soc_id ? hex_json(b->soc_id, b->soc_id_len) : json_null());
	return o;
}

static json_t *storage_json(const struct mtk_fp_storage *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(st->type));
	for (int r = 0; r < MTK_REGION_COUNT; r++)
		json_object_set_new(o, mtk_region_name((enum mtk_region)r),
				    json_integer((json_int_t)st->regions.size[r]));
	json_object_set_new(o, "cid", hex_json(st->cid, 16));
	json_object_set_new(o, "fw_version", hex_json(st->fw_version, 8));
	return o;
}

static json_t *da_json(const struct mtk_fp_da *d)
{
	json_t *o = json_object();
	const char *cat = category_name(d->ptable_category);
	json_object_set_new(o, "protocol", json_string(d->protocol));
	json_t *v = d->version[0] ? json_string(d->version) : NULL;
	json_object_set_new(o, "version", v ? v : json_null());
	json_object_set_new(o, "ptable_category", cat ? json_string(cat) : json_null());
	json_object_set_new(o, "write_packet_len", json_integer(d->write_packet_len));
	json_object_set_new(o, "read_packet_len", json_integer(d->read_packet_len));
	json_object_set_new(o, "ext_ram_size", json_integer((json_int_t)d->ext_ram_size));
	return o;
}

static json_t *table_json(const struct mtk_fingerprint *fp)
{
	json_t *o = json_object(), *a = json_array();
	json_object_set_new(o, "kind", json_string(mtk_ptable_kind_name(fp->table.kind)));
	json_object_set_new(o, "sha256", hex_json(fp->table_sha256, 32));
	for (size_t i = 0; i < fp->table.count; i++) {
		const struct mtk_part *p = &fp->table.parts[i];
		json_t *e = json_object();
		/* Names come from the device: jansson refuses invalid UTF-8. */
		json_t *name = json_string(p->name);
		json_object_set_new(e, "name", name ? name : hex_json((const uint8_t *)p->name, strlen(p->name)));
		json_object_set_new(e, "region", json_string(mtk_region_name(p->region)));
		json_object_set_new(e, "start", json_integer((json_int_t)p->start));
		json_object_set_new(e, "size", json_integer((json_int_t)p->size));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "partitions", a);
	return o;
}

static json_t *emi_ids_json(const struct mtk_emi_table *t)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < t->described; i++)
		json_array_append_new(a, hex_json(t->rec[i].id, t->rec[i].id_len));
	return a;
}

static json_t *preloader_json(const struct mtk_fingerprint *fp)
{
	json_t *o = json_object();
	json_object_set_new(o, "present", json_boolean(fp->have_preloader));
	if (!fp->have_preloader) {
		json_object_set_new(o, "note", json_string(fp->preloader_note));
		return o;
	}
	const struct mtk_preloader_info *pl = &fp->preloader;
	json_t *name = json_string(pl->name), *platform = json_string(pl->platform), *board = json_string(pl->board);
	json_object_set_new(o, "name", name ? name : json_null());
	json_object_set_new(o, "platform", platform ? platform : json_null());
	json_object_set_new(o, "board", board ? board : json_null());
	json_object_set_new(o, "emi_records", json_integer(pl->emi_count));
	json_object_set_new(o, "emi_ids", emi_ids_json(&pl->emi_table));
	return o;
}

json_t *mtk_fingerprint_to_json(const struct mtk_fingerprint *fp)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "device_id", json_string(fp->device_id));
	json_object_set_new(o, "brom", brom_json(&fp->brom));
	json_object_set_new(o, "storage", storage_json(&fp->storage));
	json_object_set_new(o, "da", da_json(&fp->da));
	json_object_set_new(o, "table", table_json(fp));
	json_object_set_new(o, "preloader", preloader_json(fp));
	json_object_set_new(o, "dram_id", fp->dram_id_len ? hex_json(fp->dram_id, fp->dram_id_len) : json_null());
	return o;
}
