/* SPDX-License-Identifier: MIT */
/* DA sessions against scripted devices (include/mtkflash/session.h): every
 * byte the host sends is pinned — the 0x72 probe on each device state, a
 * reattach that sends no handshake byte, stale and other-phone records,
 * FINISH, and the 72 / 70 01 / re-enumeration / 72 speed switch
 * (da-legacy.md §2, §4.8, §4.9; brom-protocol.md §2.2a, §2.6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "core/ctx.h"
#include "core/fileutil.h"
#include "da/da_priv.h"
#include "mtkflash/session.h"
#include "script_tp.h"

#define FP_BYTES MTK_SESSION_FP_BYTES
#define PORT_KEY "tty:/dev/ttyACM7"

struct fx {
	mtk_ctx *ctx;
	struct script sc;
	struct mtk_transport tp;
	char dir[64];
	uint8_t user_head[FP_BYTES]; /* what the phone's user area starts with */
	int reopens;
	size_t reopen_at; /* script step the reopen happened at */
};

static struct fx *the_fx;

static int fake_reopen(struct mtk_transport *t, int wait_ms)
{
	(void)wait_ms;
	struct script *s = t->priv;
	the_fx->reopens++;
	the_fx->reopen_at = s->cur;
	return 0;
}

static const struct mtk_transport_ops reopen_ops = {
	.name = "script+reopen", .read = sc_read, .write = sc_write, .reopen = fake_reopen, .close = sc_close,
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->ctx = mtk_ctx_new();
	sc_transport(&f->tp, f->ctx, &f->sc);
	f->sc.quiet_ok = true;
	snprintf(f->tp.port_key, sizeof f->tp.port_key, PORT_KEY);
	snprintf(f->dir, sizeof f->dir, "/tmp/mtk-session-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	for (size_t i = 0; i < FP_BYTES; i++)
		f->user_head[i] = (uint8_t)(i * 13 + 1);
	the_fx = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mtk_remove_tree(f->dir);
	sc_free(&f->sc);
	mtk_ctx_free(f->ctx);
	free(f);
	return 0;
}

static void assert_script_done(struct fx *f)
{
	if (f->sc.failure[0])
		fail_msg("%s", f->sc.failure);
	if (!sc_done(&f->sc))
		fail_msg("the host stopped at script step %zu of %zu", f->sc.cur, f->sc.n);
}

static void assert_error_has(struct fx *f, const char *needle)
{
	if (!strstr(mtk_ctx_error(f->ctx), needle))
		fail_msg("error \"%s\" lacks \"%s\"", mtk_ctx_error(f->ctx), needle);
}

/* ---- a recorded MT6737 session -------------------------------------------- */

static void sample_record(struct fx *f, struct mtk_session_record *r, bool matching_fp)
{
	memset(r, 0, sizeof *r);
	snprintf(r->port_key, sizeof r->port_key, PORT_KEY);
	snprintf(r->protocol, sizeof r->protocol, "legacy");
	snprintf(r->stage, sizeof r->stage, "da2");
	r->started = 1700000000;
	r->brom.mode = MTK_MODE_BROM;
	r->brom.hw_code = 0x0335;
	r->brom.bl_ver = 0xFE;
	r->brom.brom_ver = 5;
	r->brom.have_me_id = true;
	r->brom.me_id_len = 16;
	memset(r->brom.me_id, 0xAB, 16);
	r->storage.type = MTK_STORAGE_EMMC;
	r->storage.da_version[0] = 4;
	r->storage.regions.size[MTK_REGION_BOOT1] = 4u << 20;
	r->storage.regions.size[MTK_REGION_BOOT2] = 4u << 20;
	r->storage.regions.size[MTK_REGION_RPMB] = 4u << 20;
	r->storage.regions.size[MTK_REGION_USER] = 8ull << 30;
	memcpy(r->storage.cid, "\x90\x01\x4a\x45\x4d\x55\x4d\x4d\x43\x10\x4c\xa2\x01\x61\x6c\xc1", 16);
	r->have_fingerprint = true;
	EVP_Digest(f->user_head, FP_BYTES, r->fingerprint, NULL, EVP_sha256(), NULL);
	if (!matching_fp)
		r->fingerprint[0] ^= 1;
}

static bool record_exists(struct fx *f)
{
	struct mtk_session_record r;
	int rc = mtk_session_load(f->ctx, f->dir, PORT_KEY, &r);
	assert_true(rc >= 0);
	return rc == 1;
}

/* The legacy DA read of the user area's first 34 sectors (§4.9 0x60, 0xD6). */
static void script_fingerprint_read(struct fx *f)
{
	uint8_t sum[2];
	uint32_t s = 0;
	for (size_t i = 0; i < FP_BYTES; i++)
		s += f->user_head[i];
	sum[0] = (uint8_t)(s >> 8);
	sum[1] = (uint8_t)s;
	sc_hex(&f->sc, 'H', "60");
	sc_hex(&f->sc, 'D', "5a");
	sc_hex(&f->sc, 'H', "08");
	sc_hex(&f->sc, 'D', "5a");
	sc_hex(&f->sc, 'H', "d6 0c 02 0000000000000000 0000000000004400 00100000");
	sc_hex(&f->sc, 'D', "5a");
	sc_add(&f->sc, 'D', f->user_head, FP_BYTES);
	sc_add(&f->sc, 'D', sum, 2);
	sc_hex(&f->sc, 'H', "5a");
}

/* ---- the probe ------------------------------------------------------------ */

static enum mtk_dev_state probe(struct fx *f, struct mtk_probe_result *pr)
{
	assert_int_equal(mtk_probe_device(f->ctx, &f->tp, pr), 0);
	assert_script_done(f);
	return pr->state;
}

/* READY before we speak: nothing is sent at all. */
static void test_probe_listening_preloader(void **state)
{
	struct fx *f = *state;
	struct mtk_probe_result pr;
	sc_hex(&f->sc, 'D', "52 45 41 44 59 52 45 41 44 59");
	assert_int_equal(probe(f, &pr), MTK_DEV_LISTENING);
}

/* 72 on every other state: the answer names the state (§2.2, §2.6, §4.9). */
static void test_probe_answers(void **state)
{
	static const struct {
		const char *reply; /* "" = silence */
		enum mtk_dev_state want;
		uint8_t speed;
	} cases[] = {
		{ "73", MTK_DEV_START_CMD, 0 }, /* BROM/preloader awaiting sync: c + 1 */
		{ "72", MTK_DEV_CMD_LOOP, 0 },  /* past its handshake: unknown command echoed */
		{ "5a 01", MTK_DEV_DA_LEGACY, 1 },
		{ "5a 00", MTK_DEV_DA_LEGACY, 0 },
	};
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mtk_probe_result pr;
		sc_free(&f->sc);
		f->sc.quiet_ok = true;
		sc_hex(&f->sc, 'H', "72");
		if (*cases[i].reply)
			sc_hex(&f->sc, 'D', cases[i].reply);
		assert_int_equal(probe(f, &pr), cases[i].want);
		assert_int_equal(pr.usb_speed, cases[i].speed);
	}
}

/* ---- the xflash probe (da-xflash.md §2.7) ---------------------------------- */

#define XF_CTRL "efeeeefe 01000000 04000000" "09000100"
#define XF_OK "efeeeefe 01000000 04000000" "00000000"
#define XF_RAM_INFO "efeeeefe 01000000 04000000" "0c000400"
#define XF_FLUSH "00 00 00 00 00 00 00 00 00 00 00"

static enum mtk_dev_state probe_port(struct fx *f, struct mtk_probe_result *pr)
{
	assert_int_equal(mtk_probe_port(f->ctx, &f->tp, f->dir, pr), 0);
	assert_script_done(f);
	return pr->state;
}

/* GET_RAM_INFO's whole answer: the DA is back in its loop after the probe. */
static void script_ram_info(struct fx *f)
{
	sc_hex(&f->sc, 'D', XF_OK);
	sc_hex(&f->sc, 'H', XF_RAM_INFO);
	sc_hex(&f->sc, 'D', XF_OK);
	sc_hex(&f->sc, 'D', "efeeeefe 01000000 18000000 000000000000000000000000 000000000000000000000000");
	sc_hex(&f->sc, 'D', XF_OK);
}

static void save_xflash_record(struct fx *f)
{
	struct mtk_session_record r;
	sample_record(f, &r, true);
	snprintf(r.protocol, sizeof r.protocol, "xflash");
	assert_int_equal(mtk_session_save(f->ctx, f->dir, &r), 0);
}

/* Silence after 72: the header is completed with zeros, then DEVICE_CTRL. */
static void test_probe_silence(void **state)
{
	struct fx *f = *state;
	struct mtk_probe_result pr;
	sc_hex(&f->sc, 'H', "72" XF_FLUSH XF_CTRL);
	assert_int_equal(probe(f, &pr), MTK_DEV_SILENT);
}

static void test_probe_xflash_without_record(void **state)
{
	struct fx *f = *state;
	struct mtk_probe_result pr;
	sc_hex(&f->sc, 'H', "72" XF_FLUSH XF_CTRL);
	script_ram_info(f);
	assert_int_equal(probe_port(f, &pr), MTK_DEV_DA_XFLASH);
}

/* A recorded xflash DA never sees 0x72. */
static void test_probe_xflash_recorded(void **state)
{
	struct fx *f = *state;
	struct mtk_probe_result pr;
	save_xflash_record(f);
	sc_hex(&f->sc, 'H', XF_CTRL);
	script_ram_info(f);
	assert_int_equal(probe_port(f, &pr), MTK_DEV_DA_XFLASH);
}

/* The record is stale: a command loop echoes the packet, magic and all;
 * that is no STATUS(0), so no sub-code follows, and 72 names the state. */
static void test_probe_xflash_record_but_bootrom(void **state)
{
	struct fx *f = *state;
	struct mtk_probe_result pr;
	save_xflash_record(f);
	sc_hex(&f->sc, 'H', XF_CTRL);
	sc_hex(&f->sc, 'D', XF_CTRL);
	sc_hex(&f->sc, 'H', "72");
	sc_hex(&f->sc, 'D', "72");
	assert_int_equal(probe_port(f, &pr), MTK_DEV_CMD_LOOP);
}

/* ---- attach ---------------------------------------------------------------- */

static int attach(struct fx *f, struct mtk_da **da, enum mtk_attach_how *how)
{
	static const struct mtk_dafile nofile;
	struct mtk_attach_opts o = { .session_dir = f->dir, .speed_switch = true };
	return mtk_da_attach(f->ctx, &f->tp, &nofile, "none.bin", NULL, &o, da, how);
}

/* The recorded DA answers 72: reattach with the fingerprint read, and
 * nothing else — no A0, no FE/FF. */
static void test_reattach_recorded_da(void **state)
{
	struct fx *f = *state;
	struct mtk_session_record r;
	sample_record(f, &r, true);
	assert_int_equal(mtk_session_save(f->ctx, f->dir, &r), 0);
	sc_hex(&f->sc, 'H', "72");
	sc_hex(&f->sc, 'D', "5a 01");
	script_fingerprint_read(f);
	struct mtk_da *da = NULL;
	enum mtk_attach_how how;
	assert_int_equal(attach(f, &da, &how), 0);
	assert_script_done(f);
	assert_int_equal(how, MTK_ATTACH_REATTACHED);
	assert_int_equal(da->brom.info.hw_code, 0x0335);
	assert_non_null(da->brom.info.chip);
	assert_int_equal(da->storage.regions.size[MTK_REGION_USER], 8ull << 30);
	assert_int_equal(da->storage.usb_speed, 1);
	mtk_da_close(da);
}

/* The record's phone was swapped for another one that also runs a DA. */
static void test_reattach_other_phone(void **state)
{
	struct fx *f = *state;
	struct mtk_session_record r;
	sample_record(f, &r, false);
	assert_int_equal(mtk_session_save(f->ctx, f->dir, &r), 0);
	sc_hex(&f->sc, 'H', "72");
	sc_hex(&f->sc, 'D', "5a 01");
	script_fingerprint_read(f);
	struct mtk_da *da = NULL;
	enum mtk_attach_how how;
	assert_int_equal(attach(f, &da, &how), MTK_E_VERIFY);
	assert_script_done(f);
	assert_null(da);
	assert_error_has(f, "not the recorded phone");
	assert_false(record_exists(f));
}

/* A DA answers but nobody recorded it: refuse, send nothing more. */
static void test_da_without_record(void **state)
{
	struct fx *f = *state;
	sc_hex(&f->sc, 'H', "72");
	sc_hex(&f->sc, 'D', "5a 00");
	struct mtk_da *da = NULL;
	enum mtk_attach_how how;
	assert_int_equal(attach(f, &da, &how), MTK_E_PROTO);
	assert_script_done(f);
	assert_error_has(f, "no record of its session");
	assert_error_has(f, "mtkflash reboot");
}

/* A record whose phone was replugged: the device answers 73, the record is
 * dropped and the handshake starts (its A0 is the next byte). */
static void test_stale_record(void **state)
{
	struct fx *f = *state;
	struct mtk_session_record r;
	sample_record(f, &r, true);
	assert_int_equal(mtk_session_save(f->ctx, f->dir, &r), 0);
	sc_hex(&f->sc, 'H', "72");
	sc_hex(&f->sc, 'D', "73");
	sc_hex(&f->sc, 'H', "a0");
	struct mtk_da *da = NULL;
	enum mtk_attach_how how;
	assert_true(attach(f, &da, &how) < 0); /* the script ends after the A0 */
	assert_script_done(f);
	assert_false(record_exists(f));
}

/* No DA file and no DA running: refused before any handshake byte. */
static void test_fresh_connect_needs_file(void **state)
{
	struct fx *f = *state;
	sc_hex(&f->sc, 'H', "72");
	sc_hex(&f->sc, 'D', "73");
	struct mtk_attach_opts o = { .session_dir = f->dir };
	struct mtk_da *da = NULL;
	enum mtk_attach_how how;
	assert_int_equal(mtk_da_attach(f->ctx, &f->tp, NULL, NULL, NULL, &o, &da, &how), MTK_E_NOTFOUND);
	assert_script_done(f);
	assert_error_has(f, "no DA file");
}

/* Bytes that fit no state: nothing more is sent. */
static void test_probe_other_refused(void **state)
{
	struct fx *f = *state;
	sc_hex(&f->sc, 'H', "72");
	sc_hex(&f->sc, 'D', "13 37");
	struct mtk_da *da = NULL;
	enum mtk_attach_how how;
	assert_int_equal(attach(f, &da, &how), MTK_E_PROTO);
	assert_script_done(f);
	assert_error_has(f, "1337");
}

/* ---- FINISH ----------------------------------------------------------------- */

static void finish_with(struct fx *f, enum mtk_da_after after, const char *mode_hex)
{
	struct mtk_session_record r;
	sample_record(f, &r, true);
	assert_int_equal(mtk_session_save(f->ctx, f->dir, &r), 0);
	struct mtk_da *da = NULL;
	assert_int_equal(mtk_da_from_record(f->ctx, &f->tp, &r, &da), 0);
	sc_hex(&f->sc, 'H', "d9");
	sc_hex(&f->sc, 'D', "5a");
	sc_hex(&f->sc, 'H', mode_hex);
	sc_hex(&f->sc, 'D', "5a");
	assert_int_equal(mtk_da_end(da, f->dir, after), 0);
	assert_script_done(f);
	assert_true(da->finished);
	assert_false(record_exists(f));
	mtk_da_close(da);
}

static void test_finish_reboot(void **state)
{
	finish_with(*state, MTK_AFTER_REBOOT, "00000000");
}

static void test_finish_poweroff(void **state)
{
	finish_with(*state, MTK_AFTER_POWEROFF, "00000001");
}

/* stay: no FINISH, the record is refreshed with a new fingerprint. */
static void test_end_stay_refreshes_record(void **state)
{
	struct fx *f = *state;
	struct mtk_session_record r;
	sample_record(f, &r, false);
	struct mtk_da *da = NULL;
	assert_int_equal(mtk_da_from_record(f->ctx, &f->tp, &r, &da), 0);
	script_fingerprint_read(f);
	assert_int_equal(mtk_da_end(da, f->dir, MTK_AFTER_STAY), 0);
	assert_script_done(f);
	struct mtk_session_record back;
	assert_int_equal(mtk_session_load(f->ctx, f->dir, PORT_KEY, &back), 1);
	sample_record(f, &r, true);
	assert_memory_equal(back.fingerprint, r.fingerprint, 32);
	mtk_da_close(da);
}

/* A record that cannot be written is a warning, not a failed command. */
static void test_end_stay_unwritable_dir(void **state)
{
	struct fx *f = *state;
	struct mtk_session_record r;
	sample_record(f, &r, true);
	struct mtk_da *da = NULL;
	assert_int_equal(mtk_da_from_record(f->ctx, &f->tp, &r, &da), 0);
	script_fingerprint_read(f);
	assert_int_equal(mtk_da_end(da, "/dev/null/sessions", MTK_AFTER_STAY), 0);
	assert_script_done(f);
	mtk_da_close(da);
}

/* ---- USB speed (§4.8) --------------------------------------------------------- */

static void test_speed_switch(void **state)
{
	struct fx *f = *state;
	struct mtk_session_record r;
	sample_record(f, &r, true);
	r.storage.usb_speed = 0;
	f->tp.ops = &reopen_ops;
	struct mtk_da *da = NULL;
	assert_int_equal(mtk_da_from_record(f->ctx, &f->tp, &r, &da), 0);
	sc_hex(&f->sc, 'H', "70 01");
	sc_hex(&f->sc, 'D', "5a");
	sc_hex(&f->sc, 'H', "72");
	sc_hex(&f->sc, 'D', "5a 01");
	assert_int_equal(mtk_da_speed_switch(da, 1000), 0);
	assert_script_done(f);
	assert_int_equal(f->reopens, 1);
	assert_int_equal(f->reopen_at, 2); /* after 70 01 and its 5A, before the second 72 */
	assert_int_equal(da->storage.usb_speed, 1);
	mtk_da_close(da);
}

/* A transport that cannot follow a re-enumeration: say so, send nothing. */
static void test_speed_switch_without_reopen(void **state)
{
	struct fx *f = *state;
	struct mtk_session_record r;
	sample_record(f, &r, true);
	r.storage.usb_speed = 0;
	struct mtk_da *da = NULL;
	assert_int_equal(mtk_da_from_record(f->ctx, &f->tp, &r, &da), 0);
	assert_int_equal(mtk_da_speed_switch(da, 1000), MTK_E_UNSUPPORTED);
	assert_script_done(f);
	assert_error_has(f, "--no-speed-switch");
	mtk_da_close(da);
}

/* ---- the record file ------------------------------------------------------------ */

static void test_record_round_trip(void **state)
{
	struct fx *f = *state;
	struct mtk_session_record r, back;
	char text[8192];
	sample_record(f, &r, true);
	int n = mtk_session_format(&r, text, sizeof text);
	assert_true(n > 0);
	assert_int_equal(mtk_session_parse(f->ctx, (const uint8_t *)text, (size_t)n, "rec", &back), 0);
	assert_string_equal(back.port_key, PORT_KEY);
	assert_int_equal(back.brom.hw_code, 0x0335);
	assert_memory_equal(back.brom.me_id, r.brom.me_id, 16);
	assert_memory_equal(back.storage.cid, r.storage.cid, 16);
	assert_int_equal(back.storage.regions.size[MTK_REGION_USER], 8ull << 30);
	assert_memory_equal(back.fingerprint, r.fingerprint, 32);
	assert_int_equal(back.started, 1700000000);
	struct stat st;
	assert_int_equal(mtk_session_save(f->ctx, f->dir, &r), 0);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void test_record_rejects_bad_input(void **state)
{
	struct fx *f = *state;
	struct mtk_session_record r;
	static const char *const bad[] = {
		"something else\nport=x\n",
		"mtkflash-session 1\nport=tty:x\nprotocol=legacy\n",                   /* no stage */
		"mtkflash-session 1\nport=tty:x\nprotocol=legacy\nstage=da2\ncid=zz\n", /* not hex */
		"mtkflash-session 1\nport=tty:x\nprotocol=legacy\nstage=da2\nhw_code=70000\n",
		"mtkflash-session 1\nport=tty:x\nprotocol=legacy\nstage=da2\nuser_size=99999999999999999999999\n",
		"mtkflash-session 1\nnoequals\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(mtk_session_parse(f->ctx, (const uint8_t *)bad[i], strlen(bad[i]), "rec", &r),
				 MTK_E_PARSE);
}

/* The CID first (a preloader reports no ME_ID: the same phone must get the
 * same id in BROM and preloader mode), then ME_ID; safe as a folder name. */
static void test_device_id(void **state)
{
	struct fx *f = *state;
	struct mtk_brom_info b = { .hw_code = 0x0335 };
	struct mtk_da_storage s = { 0 };
	char id[MTK_DEVICE_ID_MAX], by_me[MTK_DEVICE_ID_MAX];
	assert_int_equal(mtk_device_id(f->ctx, &b, &s, id), MTK_E_UNSUPPORTED);
	b.have_me_id = true;
	b.me_id_len = 16;
	b.me_id[0] = 0xab;
	assert_int_equal(mtk_device_id(f->ctx, &b, &s, by_me), 0);
	assert_int_equal(strncmp(by_me, "mt6737-", 7), 0);
	assert_int_equal(strspn(by_me, "abcdefghijklmnopqrstuvwxyz0123456789-"), strlen(by_me));
	s.cid[0] = 0x90;
	s.cid[15] = 0x01;
	assert_int_equal(mtk_device_id(f->ctx, &b, &s, id), 0);
	assert_string_not_equal(id, by_me);
	b.have_me_id = false;
	char cid_only[MTK_DEVICE_ID_MAX];
	assert_int_equal(mtk_device_id(f->ctx, &b, &s, cid_only), 0);
	assert_string_equal(id, cid_only);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_probe_listening_preloader),
		T(test_probe_answers),
		T(test_probe_silence),
		T(test_probe_xflash_without_record),
		T(test_probe_xflash_recorded),
		T(test_probe_xflash_record_but_bootrom),
		T(test_reattach_recorded_da),
		T(test_reattach_other_phone),
		T(test_da_without_record),
		T(test_stale_record),
		T(test_probe_other_refused),
		T(test_fresh_connect_needs_file),
		T(test_finish_reboot),
		T(test_finish_poweroff),
		T(test_end_stay_refreshes_record),
		T(test_end_stay_unwritable_dir),
		T(test_speed_switch),
		T(test_speed_switch_without_reopen),
		T(test_record_round_trip),
		T(test_record_rejects_bad_input),
		T(test_device_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
