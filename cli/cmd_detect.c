/* SPDX-License-Identifier: MIT */
/* mtkflash detect: identify the device from its BootROM/preloader answers. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_connect.h"
#include "cli_da.h"
#include "mtkflash/util.h"
#include "mtkflash/brom.h"
#include "mtkflash/session.h"

/* Even with --wait 0 the handshake needs a moment: the port is there, the
 * device has to answer. */
#define MIN_HANDSHAKE_MS 1000

static const char help[] =
	"Usage: mtkflash [--port SPEC] [--json] detect\n"
	"\n"
	"Find out what runs on the phone and print what it says about itself. First a probe\n"
	"that no state misreads (0x72): a Download Agent left running by an earlier command\n"
	"answers it, and then detect reports the DA (mode da) with the facts recorded when it\n"
	"was started, after checking it is the same phone. Otherwise detect handshakes with\n"
	"the BootROM or preloader (or, when one is already past its handshake, probes it with\n"
	"FE/FF) and prints chip, hardware codes and versions, mode, security configuration\n"
	"(each target-config flag and what it means for flashing), ME_ID, SOC_ID and the\n"
	"Download Agent family the chip needs. Nothing is written to the device except the\n"
	"watchdog stop, which keeps it from rebooting while it waits.\n"
	"\n"
	"Options:\n"
	"  -h, --help   this text\n"
	"\n"
	"With --json: chip, chip_aliases, hw_code, hw_sub_code, hw_ver, sw_ver, mode (brom or\n"
	"preloader), bl_ver (254 = 0xfe in BROM mode), brom_ver (255 = 0xff from a preloader),\n"
	"target_config and target_config_flags, me_id and soc_id (hex, or null), da_family,\n"
	"watchdog_disabled. With a DA running: mode \"da\", da_protocol (\"legacy\"),\n"
	"da_version (hex, or null without a session record), started_from (brom or preloader),\n"
	"usb_speed, storage (type, sizes, cid) and session (record, checked); the chip facts\n"
	"are those recorded at connect.\n"
	"\n"
	"Exit status: 0 identified, 3 nothing answered, 4 the device answered wrongly.\n";

static const char *mode_name(enum mtk_brom_mode m)
{
	return m == MTK_MODE_BROM ? "brom" : "preloader";
}

static const char *family_name(const struct mtk_chip *c)
{
	return c ? mtk_da_family_name(c->da_family) : NULL;
}

static json_t *hex_or_null(bool have, const uint8_t *buf, size_t n)
{
	char s[2 * 32 + 1];
	if (!have)
		return json_null();
	mtk_hex_encode(s, buf, n);
	return json_string(s);
}

static json_t *flags_json(uint32_t cfg)
{
	json_t *o = json_object();
	for (const struct mtk_tgt_flag_info *f = mtk_tgt_flags; f->name; f++)
		json_object_set_new(o, f->name, json_boolean(cfg & f->mask));
	return o;
}

static void fill_json(struct cli *cli, const struct mtk_brom_info *in)
{
	json_t *o = cli->out;
	json_object_set_new(o, "chip", in->chip ? json_string(in->chip->name) : json_null());
	json_object_set_new(o, "chip_aliases", in->chip ? json_string(in->chip->aliases) : json_null());
	json_object_set_new(o, "hw_code", json_integer(in->hw_code));
	json_object_set_new(o, "hw_sub_code", json_integer(in->hw_sub_code));
	json_object_set_new(o, "hw_ver", json_integer(in->hw_ver));
	json_object_set_new(o, "sw_ver", json_integer(in->sw_ver));
	json_object_set_new(o, "mode", json_string(mode_name(in->mode)));
	json_object_set_new(o, "bl_ver", json_integer(in->bl_ver));
	json_object_set_new(o, "brom_ver", json_integer(in->brom_ver));
	json_object_set_new(o, "target_config", json_integer(in->target_config));
	json_object_set_new(o, "target_config_flags", flags_json(in->target_config));
	json_object_set_new(o, "me_id", hex_or_null(in->have_me_id, in->me_id, in->me_id_len));
	json_object_set_new(o, "soc_id", hex_or_null(in->have_soc_id, in->soc_id, in->soc_id_len));
	const char *fam = family_name(in->chip);
	json_object_set_new(o, "da_family", fam ? json_string(fam) : json_null());
	json_object_set_new(o, "watchdog_disabled", json_boolean(in->watchdog_disabled));
}

static void print_identity(struct cli *cli, const struct mtk_brom_info *in)
{
	if (in->chip && *in->chip->aliases)
		cli_print(cli, "Chip:           %s (same hw_code: %s)\n", in->chip->name, in->chip->aliases);
	else if (in->chip)
		cli_print(cli, "Chip:           %s\n", in->chip->name);
	else
		cli_print(cli, "Chip:           unknown (hw_code 0x%04x is not in mtkflash's chip table)\n",
			  in->hw_code);
	cli_print(cli, "hw_code:        0x%04x\n", in->hw_code);
	cli_print(cli, "hw_sub_code:    0x%04x\n", in->hw_sub_code);
	cli_print(cli, "hw_ver:         0x%04x\n", in->hw_ver);
	cli_print(cli, "sw_ver:         0x%04x\n", in->sw_ver);
}

static void print_mode(struct cli *cli, const struct mtk_brom_info *in)
{
	bool brom = in->mode == MTK_MODE_BROM;
	cli_print(cli, "Mode:           %s\n", brom ? "brom (BootROM download mode)" : "preloader");
	if (brom)
		cli_print(cli, "BL version:     0x%02x (the BootROM echoes the command: no preloader)\n", in->bl_ver);
	else
		cli_print(cli, "BL version:     %u (preloader download protocol)\n", in->bl_ver);
	if (brom)
		cli_print(cli, "BROM version:   0x%02x\n", in->brom_ver);
	else
		cli_print(cli, "BROM version:   0x%02x (a preloader only echoes the command)\n", in->brom_ver);
	const char *fam = family_name(in->chip);
	cli_print(cli, "DA family:      %s\n", fam ? fam : "unknown");
	cli_print(cli, "Watchdog:       %s\n", in->watchdog_disabled ? "stopped" : "still running (stop refused)");
}

static void print_flags(struct cli *cli, uint32_t cfg)
{
	cli_print(cli, "Target config:  0x%08x   ([x] set, [ ] clear; each line says what the flag means)\n", cfg);
	for (const struct mtk_tgt_flag_info *f = mtk_tgt_flags; f->name; f++)
		cli_print(cli, "  [%c] %-15s %s\n", cfg & f->mask ? 'x' : ' ', f->name, f->meaning);
	uint32_t known = 0;
	for (const struct mtk_tgt_flag_info *f = mtk_tgt_flags; f->name; f++)
		known |= f->mask;
	if (cfg & ~known)
		cli_print(cli, "  unknown bits:  0x%08x\n", cfg & ~known);
}

static void print_id(struct cli *cli, const char *label, bool have, const uint8_t *buf, size_t n,
		     const char *why_not)
{
	char s[2 * 32 + 1];
	if (!have) {
		cli_print(cli, "%-15s (%s)\n", label, why_not);
		return;
	}
	mtk_hex_encode(s, buf, n);
	cli_print(cli, "%-15s %s\n", label, s);
}

static void print_human(struct cli *cli, const struct mtk_brom_info *in)
{
	print_identity(cli, in);
	print_mode(cli, in);
	print_flags(cli, in->target_config);
	print_id(cli, "ME_ID:", in->have_me_id, in->me_id, in->me_id_len, "this preloader version has none");
	print_id(cli, "SOC_ID:", in->have_soc_id, in->soc_id, in->soc_id_len,
		 in->have_me_id ? "this chip has none" : "this preloader version has none");
}

/* ---- a DA already running (the probe answered 5A + speed) -------------- */

static json_t *storage_facts(const struct mtk_da_storage *st)
{
	char cid[33];
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(mtk_storage_type_name(st->type)));
	for (int r = 0; r < MTK_REGION_COUNT; r++) {
		char key[32];
		snprintf(key, sizeof key, "%s_size", mtk_region_name((enum mtk_region)r));
		json_object_set_new(o, key, json_integer((json_int_t)st->regions.size[r]));
	}
	mtk_hex_encode(cid, st->cid, sizeof st->cid);
	json_object_set_new(o, "cid", json_string(cid));
	return o;
}

static const char *da_protocol(const struct mtk_probe_result *pr)
{
	return pr->state == MTK_DEV_DA_XFLASH ? "xflash" : "legacy";
}

/* The legacy probe's answer carries the speed; an xflash DA reports it in
 * its storage report. */
static unsigned da_usb_speed(const struct mtk_da *da, const struct mtk_probe_result *pr)
{
	return da && pr->state == MTK_DEV_DA_XFLASH ? mtk_da_storage(da)->usb_speed : pr->usb_speed;
}

static void report_da_json(struct cli *cli, const struct mtk_da *da, const struct mtk_probe_result *pr)
{
	bool recorded = da != NULL;
	char ver[7];
	if (recorded) {
		mtk_hex_encode(ver, mtk_da_storage(da)->da_version, 3);
		fill_json(cli, mtk_da_brom_info(da));
	}
	json_object_set_new(cli->out, "mode", json_string("da"));
	json_object_set_new(cli->out, "started_from",
			    recorded ? json_string(mode_name(mtk_da_brom_info(da)->mode)) : json_null());
	json_object_set_new(cli->out, "da_protocol", json_string(da_protocol(pr)));
	json_object_set_new(cli->out, "da_version", recorded ? json_string(ver) : json_null());
	json_object_set_new(cli->out, "usb_speed", json_integer(da_usb_speed(da, pr)));
	json_object_set_new(cli->out, "storage", recorded ? storage_facts(mtk_da_storage(da)) : json_null());
	json_t *sess = json_object();
	json_object_set_new(sess, "record", json_boolean(recorded));
	json_object_set_new(sess, "checked", json_string(recorded ? "user-area fingerprint" : "nothing"));
	json_object_set_new(cli->out, "session", sess);
}

/* da is NULL when no session record names this port (nothing reattached). */
static void report_da(struct cli *cli, const struct mtk_da *da, const struct mtk_probe_result *pr)
{
	if (cli->json) {
		report_da_json(cli, da, pr);
		return;
	}
	cli_print(cli, "Mode:           da (a %s Download Agent, DA2, is running)\n", da_protocol(pr));
	cli_print(cli, "USB speed:      %s\n", da_usb_speed(da, pr) == 0 ? "full (12 Mbit/s)" : "high");
	if (!da) {
		cli_print(cli, "Session:        no record (started by another tool?): 'mtkflash reboot' ends it\n");
		return;
	}
	const struct mtk_da_storage *st = mtk_da_storage(da);
	const struct mtk_regions *rg = &st->regions;
	char ver[7];
	mtk_hex_encode(ver, st->da_version, 3);
	print_identity(cli, mtk_da_brom_info(da));
	cli_print(cli, "DA version:     %s\n", ver);
	cli_print(cli, "Storage:        %s, user %llu MiB, boot1 %llu KiB, boot2 %llu KiB, rpmb %llu KiB\n",
		  mtk_storage_type_name(st->type), (unsigned long long)(rg->size[MTK_REGION_USER] >> 20),
		  (unsigned long long)(rg->size[MTK_REGION_BOOT1] >> 10),
		  (unsigned long long)(rg->size[MTK_REGION_BOOT2] >> 10),
		  (unsigned long long)(rg->size[MTK_REGION_RPMB] >> 10));
	cli_print(cli, "Session:        recorded; same phone (user-area fingerprint matches)\n");
}

static int detect_da(struct cli *cli, struct mtk_transport *tp, const char *dir, const struct mtk_probe_result *pr)
{
	struct mtk_session_record r;
	const char *key = mtk_transport_port_key(tp);
	int found = dir && key[0] ? mtk_session_load(cli->ctx, dir, key, &r) : 0;
	if (found < 0)
		return found;
	struct mtk_da *da = NULL;
	int rc = found ? mtk_da_reattach(cli->ctx, tp, dir, pr, &da) : 0;
	if (rc < 0)
		return rc;
	report_da(cli, da, pr);
	mtk_da_close(da);
	return 0;
}

/* ---- BootROM / preloader ------------------------------------------------ */

static int detect_brom(struct cli *cli, struct mtk_transport *tp, const struct mtk_probe_result *pr, long long left)
{
	struct mtk_brom b = { .ctx = cli->ctx, .tp = tp };
	int rc;
	if (pr->state == MTK_DEV_CMD_LOOP) {
		rc = mtk_brom_probe_command_loop(&b);
		if (rc == 0)
			rc = mtk_brom_identify(&b, tp);
	} else {
		rc = mtk_brom_connect(&b, tp, left < MIN_HANDSHAKE_MS ? MIN_HANDSHAKE_MS : (int)left);
	}
	if (rc < 0)
		return rc;
	if (cli->json)
		fill_json(cli, &b.info);
	else
		print_human(cli, &b.info);
	return 0;
}

/* One attempt on an open port: probe, then the DA or the BootROM/preloader. */
static int detect_once(struct cli *cli, struct mtk_transport *tp, const char *dir, long long start)
{
	struct mtk_probe_result pr;
	int rc = mtk_probe_port(cli->ctx, tp, dir, &pr);
	if (rc < 0)
		return rc;
	if (pr.state == MTK_DEV_DA_LEGACY || pr.state == MTK_DEV_DA_XFLASH)
		return detect_da(cli, tp, dir, &pr);
	/* Whatever was recorded for this port is no longer running. */
	if (dir && mtk_transport_port_key(tp)[0])
		mtk_session_forget(cli->ctx, dir, mtk_transport_port_key(tp));
	/* --wait bounds the whole wait for the device, appearing and answering. */
	return detect_brom(cli, tp, &pr, cli->wait_ms - (mtk_now_ms(cli->ctx) - start));
}

int cmd_detect(struct cli *cli, int argc, char **argv)
{
	int first = argc;
	int st = cli_parse_no_opts(cli, "detect", help, argc, argv, &first);
	if (st != CLI_CONTINUE)
		return st;
	if (first < argc)
		return cli_usage(cli, "detect", "unexpected argument '%s'", argv[first]);
	char buf[4096];
	const char *dir = cli_session_dir(cli, buf, sizeof buf);
	struct mtk_transport *tp;
	struct cli_attempts att;
	int rc = cli_open_first(cli, &att, &tp);
	if (rc < 0)
		return cli_fail(cli, rc, "detect");
	while ((rc = detect_once(cli, tp, dir, att.start)) < 0 && (rc = cli_connect_again(cli, &att, &tp, rc)) == 1)
		;
	mtk_transport_close(tp);
	return rc < 0 ? cli_fail(cli, rc, "detect") : EXIT_OK;
}
