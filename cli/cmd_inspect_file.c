/* SPDX-License-Identifier: MIT */
/* mtkflash inspect FILE, for a single image: what the file is and what it is
 * for.  cmd_inspect.c hands every non-scatter file here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_da.h"
#include "mtkflash/util.h"
#include "mtkflash/dafile.h"
#include "mtkflash/imagefile.h"

/* A boot1 dump is 4 MiB; nothing we parse whole is bigger than this. */
#define WHOLE_MAX (64u * 1024 * 1024)
#define BOOT_HEAD 4096u

/* "mtkflash inspect: PATH: WHY" and, with --json, the error object; returns `status`. */
static int file_error(struct cli *cli, const char *path, const char *name, const char *why, int status)
{
	fprintf(stderr, "%s inspect: %s: %s\n", cli->progname, path, why);
	if (cli->json) {
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(name));
		json_object_set_new(e, "message", json_string(why));
		json_object_set_new(cli->out, "error", e);
	}
	return status;
}

static int io_error(struct cli *cli, const char *path, const char *why)
{
	return file_error(cli, path, "MTK_E_IO", why, EXIT_IO);
}

/* Up to `max` bytes from the start of the file.  cli_inspect_file() has read
 * its head already, so a failure here is as rare as one there and reads the same. */
static int read_head(struct cli *cli, const char *path, size_t max, uint8_t **out, size_t *len)
{
	int rc = mtk_read_file_head(cli->ctx, path, max, out, len);
	return rc < 0 ? cli_fail(cli, rc, "inspect") : EXIT_OK;
}

static void set_str(struct cli *cli, const char *key, const char *v)
{
	json_object_set_new(cli->out, key, v && *v ? json_string(v) : json_null());
}

static void set_int(struct cli *cli, const char *key, unsigned long long v)
{
	json_object_set_new(cli->out, key, json_integer((json_int_t)v));
}

static void set_purpose(struct cli *cli, const char *purpose)
{
	if (cli->json)
		set_str(cli, "purpose", purpose);
	else
		cli_print(cli, "Purpose:      %s\n", purpose);
}

/* ---- preloader ---- */

static json_t *gfh_json(const struct mtk_preloader_info *p)
{
	json_t *a = json_array();
	size_t n = p->gfh_count < 16 ? p->gfh_count : 16;
	for (size_t i = 0; i < n; i++) {
		const char *name = mtk_gfh_type_name(p->gfh[i].type);
		json_t *g = json_object();
		json_object_set_new(g, "type", json_integer(p->gfh[i].type));
		json_object_set_new(g, "name", name ? json_string(name) : json_null());
		json_object_set_new(g, "size", json_integer(p->gfh[i].size));
		json_object_set_new(g, "offset", json_integer(p->gfh[i].offset));
		json_array_append_new(a, g);
	}
	return a;
}

/* ---- EMI records (formats.md §4.5.2), for a preloader and a bare block ---- */

static void hex_id(const struct mtk_emi_record *r, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < r->id_len && 2 * i + 3 <= cap; i++)
		snprintf(out + 2 * i, cap - 2 * i, "%02x", r->id[i]);
}

static json_t *emi_records_json(const struct mtk_emi_table *t)
{
	json_t *a = json_array();
	char id[2 * MTK_EMI_ID_MAX + 1];
	for (uint32_t i = 0; i < t->described; i++) {
		const struct mtk_emi_record *r = &t->rec[i];
		hex_id(r, id, sizeof id);
		json_t *o = json_object();
		json_object_set_new(o, "type", json_integer(r->type));
		json_object_set_new(o, "class", json_string(mtk_emi_class_name(mtk_emi_class_of(r->type))));
		json_object_set_new(o, "dram", json_string(mtk_emi_dram_name(r->type)));
		json_object_set_new(o, "id", json_string(id));
		json_array_append_new(a, o);
	}
	return a;
}

static void emi_json(struct cli *cli, const struct mtk_preloader_info *p)
{
	set_int(cli, "emi_length", p->emi_len);
	set_int(cli, "emi_count", p->emi_count);
	set_int(cli, "emi_record_size", p->emi_record_size);
	json_object_set_new(cli->out, "emi_records", emi_records_json(&p->emi_table));
	set_str(cli, "emi_records_note", p->emi_table.layout_note);
}

static void emi_human(struct cli *cli, const struct mtk_preloader_info *p)
{
	const struct mtk_emi_table *t = &p->emi_table;
	if (!p->emi) {
		cli_print(cli, "EMI settings: none found\n");
		return;
	}
	cli_print(cli, "EMI settings: %zu bytes, %u records%s\n", p->emi_len, p->emi_count,
	          p->emi_record_size ? "" : " (length not a multiple of the count)");
	if (p->emi_record_size)
		cli_print(cli, "Record size:  0x%x\n", p->emi_record_size);
	char id[2 * MTK_EMI_ID_MAX + 1];
	for (uint32_t i = 0; i < t->described; i++) {
		const struct mtk_emi_record *r = &t->rec[i];
		hex_id(r, id, sizeof id);
		cli_print(cli, "  record %-3u type 0x%04x %-8s %-7s id %s\n", i, r->type,
		          mtk_emi_class_name(mtk_emi_class_of(r->type)), mtk_emi_dram_name(r->type),
		          r->id_len ? id : "(none)");
	}
	if (t->described < p->emi_count)
		cli_print(cli, "  (%u records not described%s%s)\n", p->emi_count - t->described,
		          *t->layout_note ? ": " : "", t->layout_note);
}

static void preloader_json(struct cli *cli, const struct mtk_preloader_info *p)
{
	set_str(cli, "packaging", p->boot_area_image ? "boot-area" : "raw");
	set_str(cli, "device_header", p->dev_name);
	set_str(cli, "name", p->name);
	set_str(cli, "board", p->board);
	set_str(cli, "platform", p->platform);
	set_int(cli, "bloader_info_version", p->bloader_info_version);
	emi_json(cli, p);
	set_int(cli, "load_addr", p->load_addr);
	set_int(cli, "file_len", p->file_len);
	set_int(cli, "max_size", p->max_size);
	set_int(cli, "hdr_size", p->hdr_size);
	set_int(cli, "sig_len", p->sig_len);
	set_int(cli, "sig_type", p->sig_type);
	set_int(cli, "flash_dev", p->flash_dev);
	set_int(cli, "gfh_offset", p->gfh_offset);
	json_object_set_new(cli->out, "gfh", gfh_json(p));
}

static void preloader_human(struct cli *cli, const struct mtk_preloader_info *p)
{
	if (p->boot_area_image)
		cli_print(cli, "Packaging:    boot-area image (%s header, BRLYT; GFH at 0x%x)\n", p->dev_name,
		          p->gfh_offset);
	else
		cli_print(cli, "Packaging:    raw preloader .bin (GFH chain at 0)\n");
	cli_print(cli, "Name:         %s\n", *p->name ? p->name : "(no MTK_BLOADER_INFO name)");
	cli_print(cli, "Board:        %s\n", *p->board ? p->board : "unknown");
	cli_print(cli, "Load address: 0x%08x (entry 0x%08x)\n", p->load_addr, p->load_addr + p->jump_offset);
	cli_print(cli,
	          "File length:  0x%x (max 0x%x, header 0x%x, signature 0x%x, sig_type %u, flash_dev %u)\n",
	          p->file_len, p->max_size, p->hdr_size, p->sig_len, p->sig_type, p->flash_dev);
	cli_print(cli, "GFH chain:   ");
	for (size_t i = 0; i < p->gfh_count && i < 16; i++) {
		const char *n = mtk_gfh_type_name(p->gfh[i].type);
		if (n)
			cli_print(cli, " %s(0x%x)", n, p->gfh[i].size);
		else
			cli_print(cli, " type 0x%x(0x%x)", p->gfh[i].type, p->gfh[i].size);
	}
	cli_print(cli, "\n");
	if (p->bloader_info_version || p->bloader_info_len)
		cli_print(cli, "Bloader info: MTK_BLOADER_INFO_v%02u, 0x%x bytes\n", p->bloader_info_version,
		          p->bloader_info_len);
	emi_human(cli, p);
	cli_print(cli, "Platform:     %s\n",
	          "not stated reliably by a preloader; the device's hw_code decides (see 'mtkflash detect')");
}

static void emi_block_out(struct cli *cli, const struct mtk_preloader_info *p)
{
	if (cli->json) {
		set_str(cli, "name", p->name);
		set_str(cli, "board", p->board);
		set_int(cli, "bloader_info_version", p->bloader_info_version);
		emi_json(cli, p);
		return;
	}
	cli_print(cli, "Name:         %s\n", *p->name ? p->name : "(none)");
	cli_print(cli, "Board:        %s\n", *p->board ? p->board : "unknown");
	cli_print(cli, "Bloader info: MTK_BLOADER_INFO_v%02u, 0x%x bytes\n", p->bloader_info_version,
	          p->bloader_info_len);
	emi_human(cli, p);
}

/* A whole preloader, or the bare EMI block mtkclient keeps (kind "emi"). */
static int inspect_preloader(struct cli *cli, const char *path)
{
	uint8_t *buf;
	size_t len;
	int st = read_head(cli, path, WHOLE_MAX, &buf, &len);
	if (st != EXIT_OK)
		return st;
	struct mtk_preloader_info p;
	int rc = mtk_preloader_or_emi_parse(cli->ctx, buf, len, &p);
	if (rc < 0) {
		free(buf);
		return cli_fail(cli, rc, path);
	}
	if (p.bare_emi)
		emi_block_out(cli, &p);
	else if (cli->json)
		preloader_json(cli, &p);
	else
		preloader_human(cli, &p);
	set_purpose(cli, p.bare_emi ? "a preloader's EMI (DRAM settings) block alone, as mtkclient keeps them; "
	                              "usable as --preloader in BROM mode, where the DA needs DRAM settings"
	                            : "first-stage bootloader the BootROM loads from the boot area; it sets up "
	                              "DRAM with its EMI settings, so it must match the board exactly");
	free(buf);
	return EXIT_OK;
}

/* ---- boot image ---- */

static int inspect_bootimg(struct cli *cli, const char *path, uint64_t size)
{
	uint8_t *buf;
	size_t len;
	int st = read_head(cli, path, BOOT_HEAD, &buf, &len);
	if (st != EXIT_OK)
		return st;
	struct mtk_bootimg_info b;
	int rc = mtk_bootimg_parse(cli->ctx, buf, len, size, &b);
	free(buf);
	if (rc < 0)
		return cli_fail(cli, rc, path);
	if (cli->json) {
		set_int(cli, "header_version", b.header_version);
		set_int(cli, "page_size", b.page_size);
		set_int(cli, "kernel_size", b.kernel_size);
		set_int(cli, "ramdisk_size", b.ramdisk_size);
		set_int(cli, "second_size", b.second_size);
		set_int(cli, "dtb_size", b.dtb_size);
		set_int(cli, "image_size", b.image_size);
		set_str(cli, "board_name", b.name);
		set_str(cli, "cmdline", b.cmdline);
	} else {
		cli_print(cli, "Header:       version %u, page size %u\n", b.header_version, b.page_size);
		cli_print(cli, "Kernel:       %u bytes\nRamdisk:      %u bytes\n", b.kernel_size,
		          b.ramdisk_size);
		if (b.second_size || b.dtb_size || b.recovery_dtbo_size)
			cli_print(cli, "Second/DTB:   %u / %u bytes (recovery DTBO %u)\n", b.second_size,
			          b.dtb_size, b.recovery_dtbo_size);
		cli_print(cli, "Image size:   %llu bytes of %llu in the file\n",
		          (unsigned long long)b.image_size, (unsigned long long)size);
		if (*b.name)
			cli_print(cli, "Board name:   %s\n", b.name);
		if (*b.cmdline)
			cli_print(cli, "Cmdline:      %s\n", b.cmdline);
	}
	set_purpose(cli, "Android kernel and ramdisk (boot or recovery partition)");
	return EXIT_OK;
}

/* ---- sparse image ---- */

static int sparse_truncated(struct cli *cli, const char *path, const struct mtk_sparse_span *s, size_t n,
                            uint64_t size)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].kind == MTK_SPARSE_RAW && s[i].src_off + s[i].len > size) {
			char msg[160];
			snprintf(msg, sizeof msg,
			         "sparse chunk %u: RAW data ends at 0x%llx, the file at 0x%llx (truncated)",
			         s[i].chunk, (unsigned long long)(s[i].src_off + s[i].len),
			         (unsigned long long)size);
			return file_error(cli, path, "MTK_E_PARSE", msg, EXIT_PARSE);
		}
	}
	return EXIT_OK;
}

static int inspect_sparse(struct cli *cli, const char *path, uint64_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return io_error(cli, path, strerror(errno));
	struct mtk_sparse_src src;
	mtk_sparse_src_fd(&src, &fd);
	struct mtk_sparse_span *s = NULL;
	size_t n = 0;
	struct mtk_sparse_info info;
	int rc = mtk_sparse_map(cli->ctx, &src, &s, &n, &info);
	close(fd);
	if (rc < 0)
		return cli_fail(cli, rc, path);
	int st = sparse_truncated(cli, path, s, n, size);
	uint64_t bytes[3] = {0};
	unsigned chunks[3] = {0};
	for (size_t i = 0; i < n; i++) {
		bytes[s[i].kind] += s[i].len;
		chunks[s[i].kind]++;
	}
	free(s);
	if (st != EXIT_OK)
		return st;
	if (cli->json) {
		set_int(cli, "block_size", info.block_size);
		set_int(cli, "total_blocks", info.total_blocks);
		set_int(cli, "chunks", info.total_chunks);
		set_int(cli, "expanded_size", info.expanded_size);
		set_int(cli, "raw_bytes", bytes[MTK_SPARSE_RAW]);
		set_int(cli, "fill_bytes", bytes[MTK_SPARSE_FILL]);
		set_int(cli, "dont_care_bytes", bytes[MTK_SPARSE_DONT_CARE]);
	} else {
		cli_print(cli, "Block size:   %u\nChunks:       %u (%u raw, %u fill, %u don't-care)\n",
		          info.block_size, info.total_chunks, chunks[0], chunks[1], chunks[2]);
		cli_print(cli,
		          "Expanded:     %llu bytes (%u blocks); %llu written as data, %llu left as holes\n",
		          (unsigned long long)info.expanded_size, info.total_blocks,
		          (unsigned long long)(bytes[0] + bytes[1]), (unsigned long long)bytes[2]);
	}
	set_purpose(cli, "a partition image in Android sparse format; mtkflash expands it while writing and "
	                 "skips the holes");
	return EXIT_OK;
}

/* ---- DA file ---- */

static void da_entry_out(struct cli *cli, json_t *arr, const struct mtk_da_entry *e)
{
	char chips[128];
	mtk_da_code_names(e->hw_code, chips, sizeof chips);
	const struct mtk_da_region *d1 = e->da1 >= 0 ? &e->regions[e->da1] : NULL;
	const struct mtk_da_region *d2 = e->da2 >= 0 ? &e->regions[e->da2] : NULL;
	if (arr) {
		json_t *o = cli_da_entry_json(e);
		json_object_set_new(o, "da1_addr", d1 ? json_integer(d1->addr) : json_null());
		json_object_set_new(o, "da1_len", d1 ? json_integer(d1->len) : json_null());
		json_object_set_new(o, "da2_addr", d2 ? json_integer(d2->addr) : json_null());
		json_object_set_new(o, "da2_len", d2 ? json_integer(d2->len) : json_null());
		json_array_append_new(arr, o);
		return;
	}
	cli_print(cli, "  0x%04x %-20s sub 0x%04x hw 0x%04x sw 0x%04x", e->hw_code, chips, e->hw_sub_code,
	          e->hw_version, e->sw_version);
	if (d1)
		cli_print(cli, "  DA1 %u bytes @0x%08x", d1->len, d1->addr);
	if (d2)
		cli_print(cli, "  DA2 %u bytes @0x%08x", d2->len, d2->addr);
	cli_print(cli, "\n");
}

static int inspect_da(struct cli *cli, const char *path)
{
	struct mtk_dafile f;
	int rc = mtk_dafile_load(cli->ctx, path, &f);
	if (rc < 0)
		return cli_fail(cli, rc, path);
	json_t *arr = cli->json ? json_array() : NULL;
	if (cli->json) {
		set_str(cli, "description", f.description);
		set_int(cli, "entry_count", f.count);
		set_str(cli, "protocol", f.v6 ? "xml (V6)" : "legacy/xflash");
	} else {
		cli_print(cli, "Description:  %s\nEntries:      %u%s\n", f.description, f.count,
		          f.v6 ? " (V6: XML protocol)" : "");
	}
	for (uint32_t i = 0; i < f.count; i++)
		da_entry_out(cli, arr, &f.entries[i]);
	if (arr)
		json_object_set_new(cli->out, "entries", arr);
	mtk_dafile_free_loaded(&f);
	set_purpose(cli, "Download Agent: the program mtkflash loads into the phone to reach its storage "
	                 "(use it with --da)");
	return EXIT_OK;
}

int cli_inspect_file(struct cli *cli, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return io_error(cli, path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return io_error(cli, path, "not a regular file");
	enum mtk_file_kind kind;
	int rc = mtk_identify_file(cli->ctx, path, &kind);
	if (rc < 0)
		return cli_fail(cli, rc, "inspect");
	uint64_t size = (uint64_t)st.st_size;
	if (cli->json) {
		set_str(cli, "file", path);
		set_str(cli, "kind", mtk_file_kind_name(kind));
		set_int(cli, "size", size);
	} else {
		cli_print(cli, "File:         %s (%llu bytes)\nKind:         %s\n", path,
		          (unsigned long long)size, mtk_file_kind_name(kind));
	}
	switch (kind) {
	case MTK_FILE_PRELOADER:
		return inspect_preloader(cli, path);
	case MTK_FILE_EMI:
		return inspect_preloader(cli, path);
	case MTK_FILE_BOOTIMG:
		return inspect_bootimg(cli, path, size);
	case MTK_FILE_SPARSE:
		return inspect_sparse(cli, path, size);
	case MTK_FILE_DA:
		return inspect_da(cli, path);
	case MTK_FILE_SCATTER:
		set_purpose(
		        cli,
		        "scatter file: the partition layout of a firmware package (inspect checks the whole "
		        "package)");
		return EXIT_OK;
	case MTK_FILE_UNKNOWN:
		break;
	}
	set_purpose(cli,
	            "not recognised (not a preloader, boot image, sparse image, DA or scatter file); raw "
	            "partition images look like this");
	return EXIT_OK;
}
