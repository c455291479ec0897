/* SPDX-License-Identifier: MIT */
/* Shared harness of the emulator fuzz targets (see emu_fuzz.h).
 *
 * Storage is in memory (mtkemu_options.memstate): one state per chip and
 * storage kind, made on first use and snapshotted.  Inputs must not influence
 * each other, so after every session the state is checked (nothing but the
 * emulator's own files, the areas at their sizes, device.ini and the
 * read-only EXT_CSD bytes as made) and reset, which puts back only the pages
 * the session wrote: no file system access per input. */
#include "emu_fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/bytes.h"
#include "core/fileutil.h"
#include "emu_storage.h"

#define MIB          (1ull << 20)
#define USER_SIZE    (64 * MIB)
#define MAX_CHIPS    64

/* A broken invariant: abort, so libFuzzer keeps the input as a crash. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "emufuzz: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* ---- byte streams ------------------------------------------------------------- */

void emufuzz_put(struct emufuzz_buf *b, const void *src, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p)
			die("out of memory");
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

void emufuzz_put_u8(struct emufuzz_buf *b, uint8_t v)
{
	emufuzz_put(b, &v, 1);
}

void emufuzz_put_u32be(struct emufuzz_buf *b, uint32_t v)
{
	uint8_t t[4];
	mtk_put_u32be(t, v);
	emufuzz_put(b, t, 4);
}

void emufuzz_put_u64be(struct emufuzz_buf *b, uint64_t v)
{
	uint8_t t[8];
	mtk_put_u64be(t, v);
	emufuzz_put(b, t, 8);
}

void emufuzz_free(struct emufuzz_buf *b)
{
	free(b->p);
	*b = (struct emufuzz_buf){0};
}

/* ---- device selection ----------------------------------------------------------- */

size_t emufuzz_chips(const struct emu_profile **out, size_t cap, bool legacy_only)
{
	size_t n = 0;
	for (const char *const *c = mtkemu_chip_names(); *c && n < cap; c++) {
		const struct emu_profile *p = emu_profile_find(*c);
		if (p && (!legacy_only || p->da_family == EMU_DA_LEGACY))
			out[n++] = p;
	}
	return n;
}

static void fault_spec(struct emufuzz_dev *dev, unsigned kind, uint8_t param, uint64_t extra)
{
	static const char *const corrupt_region[4] = {"boot1", "boot2", "rpmb", "user"};
	dev->faults[0] = '\0';
	/* The link model only with a disconnect: sleeping for every turnaround
	 * of a long session would slow the whole run down. */
	dev->speed = kind == 3 ? "usb2-hs" : NULL;
	dev->disconnects = kind == 3 || kind == 6;
	if (dev->disconnects)
		snprintf(dev->faults, sizeof dev->faults, "disconnect-after=%llu",
		         (unsigned long long)(extra + (uint64_t)param * 61));
	else if (kind == 4)
		snprintf(dev->faults, sizeof dev->faults, "write-protect");
	else if (kind == 5)
		snprintf(dev->faults, sizeof dev->faults, "da-silent");
	else if (kind == 7)
		snprintf(dev->faults, sizeof dev->faults, "corrupt-write=%s:0x%x:0x400",
		         corrupt_region[param & 3], (unsigned)(param >> 2) * 0x1000u);
}

void emufuzz_decode(const uint8_t *hdr, const struct emu_profile *const *chips, size_t nchips, uint64_t extra,
                    struct emufuzz_dev *dev)
{
	static const char *const modes[4] = {NULL, "brom", "preloader", NULL};
	dev->prof = chips[hdr[0] % nchips];
	dev->mode = modes[hdr[1] & 3];
	dev->storage = (hdr[1] >> 2 & 3) > EMUFUZZ_ST_PROV ? EMUFUZZ_ST_PROV
	                                                   : (enum emufuzz_storage)(hdr[1] >> 2 & 3);
	snprintf(dev->security, sizeof dev->security, "0x%02x", hdr[2]);
	fault_spec(dev, hdr[1] >> 4 & 7, hdr[3], extra);
}

enum emu_mode emufuzz_mode(const struct emufuzz_dev *dev)
{
	if (dev->mode)
		return strcmp(dev->mode, "preloader") == 0 ? EMU_MODE_PRELOADER : EMU_MODE_BROM;
	/* The boot model: only the provisioned eMMC has a preloader in boot1. */
	return dev->storage == EMUFUZZ_ST_PROV ? EMU_MODE_PRELOADER : EMU_MODE_BROM;
}

/* ---- in-memory state folders ------------------------------------------------------- */

struct state {
	struct mtkemu_memstate *m; /* NULL until first used */
	char device_ini[1024];     /* as made: no session may change it */
	int device_ini_len;
	uint8_t ext_csd[512];
};

static struct state states[MAX_CHIPS][EMUFUZZ_ST_KINDS];
static const char *const kind_names[EMUFUZZ_ST_KINDS] = {"none", "blank", "prov"};

/* What the emulator may keep in a state folder (emu_storage.h, device.c, power.c). */
static const char *const own_files[] = {"device.ini", "ext_csd.bin", "identity.ini", "power.ini"};

static void free_states(void)
{
	for (size_t c = 0; c < MAX_CHIPS; c++)
		for (int k = 0; k < EMUFUZZ_ST_KINDS; k++)
			mtkemu_memstate_free(states[c][k].m);
}

void emufuzz_init(void)
{
	static bool done;
	if (!done)
		atexit(free_states);
	done = true;
}

static size_t chip_slot(const struct emu_profile *prof)
{
	static const struct emu_profile *all[MAX_CHIPS];
	static size_t n;
	if (!n)
		n = emufuzz_chips(all, MAX_CHIPS, false);
	for (size_t i = 0; i < n; i++)
		if (all[i] == prof)
			return i;
	die("%s: no such profile", prof->name);
	return 0;
}

/* Copies the non-zero 4 KiB blocks of a provisioned area into memory. */
static void copy_range(struct emu_storage *from, struct emu_storage *to, int area, uint64_t src, uint64_t dst,
                       uint64_t len)
{
	static const uint8_t zero[4096];
	uint8_t buf[4096];
	for (uint64_t off = 0; off < len; off += sizeof buf) {
		size_t n = len - off < sizeof buf ? (size_t)(len - off) : sizeof buf;
		if (emu_emmc_read(from, area, src + off, buf, n) != 0)
			die("reading the provisioned %s: %s", emu_area_name(area), emu_emmc_error(from));
		if (memcmp(buf, zero, n) != 0 && emu_emmc_write(to, area, dst + off, buf, n) != 0)
			die("copying the provisioned %s: %s", emu_area_name(area), emu_emmc_error(to));
	}
}

/* The parts of the user area make_provisioned() keeps: its first and its
 * last MiB.  Filling the other partitions' contents (a MiB of pattern each)
 * was a third of a 20 s run. */
static bool kept_window(void *ctx, int area, uint64_t off, uint64_t len)
{
	uint64_t made = *(const uint64_t *)ctx;
	return area != EMU_AREA_USER || off < MIB || off + len > made - MIB;
}

/* A 64 MiB eMMC with what a provisioned device holds where the emulator looks:
 * the boot areas (preloader), the start of the user area (partition tables)
 * and its last MiB (the PMT).  Taken from a real provisioning (in memory
 * too) at the chip's default size, which the default layouts need. */
static void make_provisioned(const struct emu_profile *prof, struct mtkemu_memstate *m, const char *name)
{
	char scratch[PATH_MAX], err[512];
	snprintf(scratch, sizeof scratch, "%s-scratch", name);
	struct mtkemu_memstate *big = mtkemu_memstate_new(scratch);
	struct emu_emmc_geometry def = {0};
	emu_geometry_default(&def, prof, 0);
	uint64_t default_user = def.size[EMU_AREA_USER];
	struct emu_provision_opts o = {.chip = prof->name,
	                               .state_dir = scratch,
	                               .memstate = big, /* the chip's default size */
	                               .fill_wanted = kept_window,
	                               .fill_ctx = &default_user};
	struct emu_provision_result *res = calloc(1, sizeof *res);
	if (!big || !res || emu_provision(&o, res, err, sizeof err) != 0)
		die("provisioning %s: %s", scratch, err);
	uint64_t made = res->user_size;
	free(res);
	if (made != default_user)
		die("provisioning %s made %llu bytes of user area, not the default %llu", scratch,
		    (unsigned long long)made, (unsigned long long)default_user);
	struct emu_emmc_geometry g = {0};
	emu_geometry_default(&g, prof, USER_SIZE);
	emu_emmc_make_board_cid(g.cid, prof, name);
	struct emu_storage *from, *to;
	if (emu_emmc_open_mem(big, &from, err, sizeof err) != 0 || emu_emmc_create_mem(m, &g, err, sizeof err) != 0 ||
	    emu_emmc_open_mem(m, &to, err, sizeof err) != 0)
		die("copying %s into memory: %s", scratch, err);
	for (int a = EMU_AREA_BOOT1; a < EMU_AREA_USER; a++)
		copy_range(from, to, a, 0, 0, g.size[a]);
	copy_range(from, to, EMU_AREA_USER, 0, 0, MIB);
	copy_range(from, to, EMU_AREA_USER, made - MIB, USER_SIZE - MIB, MIB);
	emu_emmc_close(from);
	emu_emmc_close(to);
	mtkemu_memstate_free(big);
}

/* identity.ini as the emulator writes it on first use, part of the snapshot. */
static void identity_once(const struct emu_profile *prof, struct mtkemu_memstate *m)
{
	struct mtkemu_options o = {.chip = prof->name, .memstate = m};
	struct mtkemu *e;
	char err[512];
	if (mtkemu_new(&o, &e, err, sizeof err) != 0)
		die("mtkemu_new on %s: %s", emu_memstate_name(m), err);
	mtkemu_free(e);
}

static struct state *state_for(const struct emufuzz_dev *dev)
{
	struct state *s = &states[chip_slot(dev->prof)][dev->storage];
	if (s->m)
		return s;
	char name[64], err[512];
	snprintf(name, sizeof name, "emufuzz/%s-%s", dev->prof->name, kind_names[dev->storage]);
	s->m = mtkemu_memstate_new(name);
	if (!s->m)
		die("out of memory");
	if (dev->storage == EMUFUZZ_ST_BLANK) {
		struct emu_emmc_geometry g = {0};
		emu_geometry_default(&g, dev->prof, USER_SIZE);
		emu_emmc_make_board_cid(g.cid, dev->prof, name);
		if (emu_emmc_create_mem(s->m, &g, err, sizeof err) != 0)
			die("creating %s: %s", name, err);
	} else if (dev->storage == EMUFUZZ_ST_PROV) {
		make_provisioned(dev->prof, s->m, name);
	}
	if (dev->storage != EMUFUZZ_ST_NONE) {
		identity_once(dev->prof, s->m);
		s->device_ini_len = emu_memstate_get(s->m, "device.ini", s->device_ini, sizeof s->device_ini);
		if (emu_memstate_get(s->m, "ext_csd.bin", s->ext_csd, sizeof s->ext_csd) != 512)
			die("%s: no EXT_CSD", name);
	}
	mtkemu_memstate_snapshot(s->m);
	return s;
}

/* ---- after a session: check, then reset -------------------------------------------------- */

static bool own_file(const char *name)
{
	for (size_t i = 0; i < sizeof own_files / sizeof own_files[0]; i++)
		if (strcmp(name, own_files[i]) == 0)
			return true;
	return false;
}

/* The area sizes and EXT_CSD must still describe the part that was made: the
 * emulator's own eMMC (kind "none") or the harness's.  Only the bytes CMD6 may
 * write (PARTITION_CONFIG, BOOT_WP) can differ. */
static void check_device(const struct emufuzz_dev *dev, struct state *s)
{
	const char *name = emu_memstate_name(s->m);
	struct emu_emmc_geometry g = {0};
	emu_geometry_default(&g, dev->prof, dev->storage == EMUFUZZ_ST_NONE ? 0 : USER_SIZE);
	for (int a = 0; a < EMU_AREA_COUNT; a++)
		if (emu_memstate_area_size(s->m, a) != g.size[a])
			die("%s: %s is %llu bytes, not %llu", name, emu_area_name(a),
			    (unsigned long long)emu_memstate_area_size(s->m, a), (unsigned long long)g.size[a]);
	uint8_t ecsd[513];
	if (emu_memstate_get(s->m, "ext_csd.bin", ecsd, sizeof ecsd) != 512)
		die("%s: ext_csd.bin is not 512 bytes", name);
	if (dev->storage == EMUFUZZ_ST_NONE)
		return;
	char ini[1024];
	int n = emu_memstate_get(s->m, "device.ini", ini, sizeof ini);
	if (n != s->device_ini_len || memcmp(ini, s->device_ini, (size_t)n) != 0)
		die("%s: device.ini changed", name);
	for (size_t i = 0; i < 512; i++)
		if (ecsd[i] != s->ext_csd[i] && i != EMU_EXT_CSD_PARTITION_CONFIG && i != EMU_EXT_CSD_BOOT_WP)
			die("%s: EXT_CSD[%zu] changed from 0x%02x to 0x%02x", name, i, s->ext_csd[i], ecsd[i]);
}

static void check_and_reset(const struct emufuzz_dev *dev, struct state *s)
{
	const char *names[16];
	size_t n = mtkemu_memstate_files(s->m, names, 16);
	for (size_t i = 0; i < n; i++)
		if (!own_file(names[i]))
			die("the emulator left %s in %s", names[i], emu_memstate_name(s->m));
	if (dev->storage != EMUFUZZ_ST_NONE || emu_memstate_has(s->m, "device.ini"))
		check_device(dev, s);
	mtkemu_memstate_reset(s->m);
}

/* ---- one session --------------------------------------------------------------------- */

/* EMUFUZZ_VERBOSE=1 (when running single inputs): what the device answered. */
static void report(const struct emufuzz_dev *dev, size_t in, size_t out, const uint8_t *tail, size_t ntail,
                   int rc)
{
	fprintf(stderr, "emufuzz: %s %s %s faults '%s' speed %s: %zu bytes in, %zu out, serve %d, last:",
	        dev->prof->name, emufuzz_mode(dev) == EMU_MODE_BROM ? "brom" : "preloader",
	        kind_names[dev->storage], dev->faults, dev->speed ? dev->speed : "none", in, out, rc);
	for (size_t i = 0; i < ntail; i++)
		fprintf(stderr, " %02x", tail[i]);
	fprintf(stderr, "\n");
}

struct host_out {
	size_t got;
	uint8_t tail[48];
	size_t ntail;
};

static void keep_tail(void *user, const uint8_t *p, size_t n)
{
	struct host_out *o = user;
	size_t keep = sizeof o->tail;
	o->got += n;
	if (n >= keep) {
		memcpy(o->tail, p + n - keep, keep);
		o->ntail = keep;
		return;
	}
	size_t old = o->ntail + n > keep ? keep - n : o->ntail;
	memmove(o->tail, o->tail + o->ntail - old, old);
	memcpy(o->tail + old, p, n);
	o->ntail = old + n;
}

/* Virtual time: the link model's waits and every timer cost nothing, and a
 * session replays the same way whatever the machine's load. */
static uint64_t vclock_ns;

static uint64_t vclock_now(void *user)
{
	(void)user;
	return vclock_ns;
}

static void vclock_sleep_until(void *user, uint64_t t)
{
	(void)user;
	if (t > vclock_ns)
		vclock_ns = t;
}

static const struct mtkemu_clock vclock = {.now_ns = vclock_now, .sleep_until_ns = vclock_sleep_until};

static bool verbose_wanted(void)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("EMUFUZZ_VERBOSE") != NULL;
	return verbose;
}

/* One host session on a device: returns what mtkemu_serve() returned. */
static int serve_once(const struct emufuzz_dev *dev, struct mtkemu *emu, const uint8_t *host, size_t len)
{
	bool verbose = verbose_wanted();
	/* The host sends everything, then closes its side, reading every
	 * answer; it unplugs after EMUFUZZ_OUTPUT_CAP bytes. */
	struct host_out out = {0};
	struct mtkemu_host_script h = {
	        .in = host, .len = len, .out_cap = EMUFUZZ_OUTPUT_CAP, .sink = verbose ? keep_tail : NULL, .user = &out};
	int rc = mtkemu_serve_script(emu, &h);
	if (verbose)
		report(dev, len, out.got, out.tail, out.ntail, rc);
	/* A session ends with the host closing the port, the phone leaving the
	 * bus by its own doing (FINISH, 70 01, a preloader ASSERT: then the
	 * next session finds it rebooted; an xflash SHUTDOWN without reboot:
	 * then it stays off the bus), or an injected cut. */
	if (rc != MTKEMU_END_CLOSED && rc != MTKEMU_END_REENUMERATE && rc != MTKEMU_END_GONE &&
	    !(rc == MTKEMU_END_FAULT && dev->disconnects))
		die("mtkemu_serve returned %d without a disconnect fault", rc);
	return rc;
}

/* `power`: power.ini to start from (a DA already running), or NULL: a phone
 * just plugged in. */
static void run_session(const struct emufuzz_dev *dev, const struct emufuzz_buf *power, const uint8_t *host,
                        size_t len, size_t split)
{
	struct state *s = state_for(dev);
	struct mtkemu_options o = {
	        .chip = dev->prof->name,
	        .memstate = s->m,
	        .mode = dev->mode,
	        .security = dev->security,
	        .faults = dev->faults[0] ? dev->faults : NULL,
	        .speed = dev->speed,
	        /* The real preloader's listen phase runs on timers (READY every
	         * 20 ms, 300 ms / 2.5 s windows): not reproducible per input.
	         * The simple model parses the same bytes. */
	        .preloader = "simple",
	        .clock = &vclock,
	        .persist_session = power != NULL,
	        /* Hostile hosts break the protocol all the time: a line on
	         * stderr for each was a tenth of emu_da's time. */
	        .quiet_violations = !verbose_wanted(),
	};
	if (power && emu_memstate_put(s->m, "power.ini", power->p, power->len) != 0)
		die("%s: cannot store power.ini", emu_memstate_name(s->m));
	vclock_ns = 0; /* every input starts at the same time */
	struct mtkemu *emu;
	char err[512];
	if (mtkemu_new(&o, &emu, err, sizeof err) != 0)
		die("mtkemu_new: %s", err);
	if (split > len)
		split = len;
	serve_once(dev, emu, host, split);
	if (split < len)
		serve_once(dev, emu, host + split, len - split);
	mtkemu_free(emu);
	check_and_reset(dev, s);
}

void emufuzz_session(const struct emufuzz_dev *dev, const uint8_t *host, size_t len, size_t split)
{
	run_session(dev, NULL, host, len, split);
}

/* ---- host byte streams of a valid session -------------------------------------------------- */

size_t emufuzz_synth_da(uint8_t *out, uint16_t da_code, unsigned stage)
{
	size_t len = stage == 1 ? EMUFUZZ_DA1_LEN : EMUFUZZ_DA2_LEN;
	memset(out, 0, len);
	snprintf((char *)out, 64, "MTKFLASH-SYNTHETIC-DA%u hw=0x%04x", stage, da_code);
	uint32_t x = 0x9E3779B9u ^ ((uint32_t)da_code << 8) ^ stage;
	for (size_t i = 64; i < len - EMUFUZZ_DA_SIG; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[i] = (uint8_t)x;
	}
	snprintf((char *)out + len - EMUFUZZ_DA_SIG, EMUFUZZ_DA_SIG,
	         "MTKFLASH-SYNTHETIC-SIG hw=0x%04x stage=%u", da_code, stage);
	return len;
}

uint32_t emufuzz_da1_addr(uint16_t da_code)
{
	return da_code == 0x6572 ? 0x02007000u : 0x00200000u;
}

uint32_t emufuzz_da2_addr(uint16_t da_code)
{
	return da_code == 0x6572 || da_code == 0x6580 || da_code == 0x6582 ? 0x80000000u : 0x40000000u;
}

void emufuzz_brom_to_da(struct emufuzz_buf *b, const struct emu_profile *prof)
{
	static const uint8_t handshake[4] = {0xA0, 0x0A, 0x50, 0x05};
	uint8_t da1[EMUFUZZ_DA1_LEN];
	size_t n = emufuzz_synth_da(da1, prof->da_code, 1);
	if (prof->da_family == EMU_DA_XFLASH)
		emufuzz_xflash_hash(da1, prof->da_code);
	uint32_t addr = emufuzz_da1_addr(prof->da_code);
	emufuzz_put(b, handshake, sizeof handshake);
	emufuzz_put_u8(b, 0xD7); /* SEND_DA */
	emufuzz_put_u32be(b, addr);
	emufuzz_put_u32be(b, (uint32_t)n);
	emufuzz_put_u32be(b, EMUFUZZ_DA_SIG);
	emufuzz_put(b, da1, n);
	emufuzz_put_u8(b, 0xD5); /* JUMP_DA */
	emufuzz_put_u32be(b, addr);
}

/* da-legacy.md §4.3, with mtkclient's values for the chip. */
static void stage2_block(struct emufuzz_buf *b, const struct emu_profile *prof, enum emu_mode mode)
{
	uint8_t bmtflag = 1;
	uint32_t bmtsize = 0;
	if (prof->hw_code == 0x6582) {
		bmtflag = 2;
		bmtsize = 0x01500000;
	} else if (prof->hw_code == 0x6572) {
		bmtflag = 0;
		bmtsize = 0xA8;
	}
	emufuzz_put_u8(b, mode == EMU_MODE_BROM ? prof->brom_ver : 0xFF);
	emufuzz_put_u8(b, mode == EMU_MODE_BROM ? 0xFE : prof->bl_ver);
	emufuzz_put(b, "\x00\x08\x00", 3);
	emufuzz_put_u32be(b, 0x7007FFFF);
	emufuzz_put_u8(b, bmtflag);
	emufuzz_put_u32be(b, bmtsize);
	emufuzz_put(b, "\x01\x01\x02\x00", 4);
	if (prof->hw_code == 0x6580) {
		static const uint8_t ff[20] = {0x46, 0x46, [16] = 0xFF};
		emufuzz_put_u32be(b, 1);
		emufuzz_put(b, ff, sizeof ff);
	} else if (prof->hw_code == 0x6582) {
		emufuzz_put_u32be(b, 1);
	}
}

void emufuzz_da1_stage(struct emufuzz_buf *b, const struct emu_profile *prof, enum emu_mode mode)
{
	emufuzz_put_u8(b, 0x5A); /* ACK of the sync report */
	stage2_block(b, prof, mode);
	if (mode == EMU_MODE_BROM) {
		uint8_t rec[EMU_EMI_RECORD_SIZE];
		emu_board_emi_record(prof, rec);
		emufuzz_put_u8(b, 0xE8);
		emufuzz_put_u32be(b, 0x15);
		emufuzz_put_u8(b, 0x5A);
		emufuzz_put_u32be(b, EMU_EMI_RECORD_SIZE);
		emufuzz_put(b, rec, sizeof rec);
		emufuzz_put_u8(b, 0x5A);
		emufuzz_put_u32be(b, 0x80000001);
	}
	uint8_t da2[EMUFUZZ_DA2_LEN];
	size_t n = emufuzz_synth_da(da2, prof->da_code, 2);
	emufuzz_put_u32be(b, emufuzz_da2_addr(prof->da_code));
	emufuzz_put_u32be(b, (uint32_t)n);
	emufuzz_put_u32be(b, EMUFUZZ_DA2_LEN / 2); /* two packets: the DA's packet loop goes round */
	emufuzz_put(b, da2, n);
	emufuzz_put_u8(b, 0x5A);
}

/* ---- xflash (da-xflash.md) ----------------------------------------------------------------- */

void emufuzz_xflash_hash(uint8_t *da1, uint16_t da_code)
{
	uint8_t da2[EMUFUZZ_DA2_LEN];
	emufuzz_synth_da(da2, da_code, 2);
	uint8_t *slot = da1 + EMUFUZZ_DA1_LEN - EMUFUZZ_DA_SIG - 0x40;
	unsigned n = 0;
	memset(slot, 0, 0x40);
	if (!EVP_Digest(da2, EMUFUZZ_DA2_LEN - EMUFUZZ_DA_SIG, slot, &n, EVP_sha256(), NULL))
		die("SHA-256 failed");
	memcpy(slot + 0x30, "MMU MAP: VA", 11);
}

void emufuzz_put_xpkt(struct emufuzz_buf *b, const void *payload, uint32_t len)
{
	uint8_t h[12];
	mtk_put_u32le(h, 0xFEEEEEEFu);
	mtk_put_u32le(h + 4, 1);
	mtk_put_u32le(h + 8, len);
	emufuzz_put(b, h, sizeof h);
	emufuzz_put(b, payload, len);
}

void emufuzz_put_xu32(struct emufuzz_buf *b, uint32_t v)
{
	uint8_t p[4];
	mtk_put_u32le(p, v);
	emufuzz_put_xpkt(b, p, 4);
}

static void xflash_setter(struct emufuzz_buf *b, uint32_t code, uint32_t v)
{
	emufuzz_put_xu32(b, 0x00010009);
	emufuzz_put_xu32(b, code);
	emufuzz_put_xu32(b, v);
}

void emufuzz_xflash_da1_stage(struct emufuzz_buf *b, const struct emu_profile *prof, enum emu_mode mode)
{
	uint8_t env[20] = {0};
	mtk_put_u32le(env, 2);
	mtk_put_u32le(env + 4, 1);
	mtk_put_u32le(env + 8, 1);
	emufuzz_put_xu32(b, 0x434E5953); /* SYNC */
	emufuzz_put_xu32(b, 0x00010100); /* SETUP_ENVIRONMENT */
	emufuzz_put_xpkt(b, env, sizeof env);
	emufuzz_put_xu32(b, 0x00010101); /* SETUP_HW_INIT_PARAMS */
	emufuzz_put_xu32(b, 0);
	xflash_setter(b, 0x020003, 0); /* SET_CHECKSUM_LEVEL */
	if (mode == EMU_MODE_BROM) {   /* INIT_EXT_RAM with the board's EMI block */
		uint8_t blk[0x70 + EMU_EMI_RECORD_SIZE] = {0};
		memcpy(blk, "MTK_BLOADER_INFO_v20", 20);
		mtk_put_u32le(blk + 0x6C, 1);
		emu_board_emi_record(prof, blk + 0x70);
		emufuzz_put_xu32(b, 0x0001000A);
		emufuzz_put_xu32(b, sizeof blk);
		emufuzz_put_xpkt(b, blk, sizeof blk);
	}
	uint8_t da2[EMUFUZZ_DA2_LEN], prm[16];
	emufuzz_synth_da(da2, prof->da_code, 2);
	mtk_put_u64le(prm, 0x40000000);
	mtk_put_u64le(prm + 8, EMUFUZZ_DA2_LEN - EMUFUZZ_DA_SIG);
	emufuzz_put_xu32(b, 0x00010008); /* BOOT_TO */
	emufuzz_put_xpkt(b, prm, sizeof prm);
	emufuzz_put_xpkt(b, da2, EMUFUZZ_DA2_LEN - EMUFUZZ_DA_SIG);
}

/* ---- the DA targets ---------------------------------------------------------- */

void emufuzz_da_init(struct emufuzz_da_target *t)
{
	const struct emu_profile *all[EMUFUZZ_DA_MAX_CHIPS];
	emufuzz_init();
	size_t n = emufuzz_chips(all, EMUFUZZ_DA_MAX_CHIPS, false);
	for (size_t i = 0; i < n; i++)
		if (all[i]->da_family == t->family)
			t->chips[t->nchips++] = all[i];
	if (!t->nchips)
		die("no chip with this DA family in the emulator's table");
}

static const struct emufuzz_buf *da_prefix(struct emufuzz_da_target *t, size_t chip, enum emu_mode mode,
					  bool auto_da1)
{
	struct emufuzz_buf *b = &t->prefix[chip][mode == EMU_MODE_PRELOADER][auto_da1];
	if (!b->len) {
		emufuzz_brom_to_da(b, t->chips[chip]);
		if (auto_da1)
			t->da1_stage(b, t->chips[chip], mode);
	}
	return b;
}

/* A DA left in its command loop when the host closes the port stays there,
 * and the next session finds it so (power.ini, emu/power.c): an xflash DA1
 * or DA2, a legacy DA2.  A legacy DA1 is one exchange, cut off it hangs. */
static bool resumable(const struct emufuzz_da_target *t, bool auto_da1)
{
	return auto_da1 || t->family == EMU_DA_XFLASH;
}

/* power.ini of a phone that ran the prefix, made once per chip, storage and
 * personality: replaying the prefix (a DA1 upload and check, with the DA1
 * stage a DA2 too) was most of every input's time.  The prefix
 * must leave nothing behind but power.ini (no page written to a harness's
 * eMMC; the emulator's own eMMC, kind "none", the next session makes as
 * the DA here did), so the next session differs from one that went on
 * after the prefix only in starting on a new connection. */
static const struct emufuzz_buf *da_power(struct emufuzz_da_target *t, size_t chip, const struct emufuzz_dev *in,
                                          bool auto_da1)
{
	enum emu_mode mode = emufuzz_mode(in);
	struct emufuzz_buf *p = &t->power[chip][in->storage][mode == EMU_MODE_PRELOADER][auto_da1];
	if (p->len)
		return p;
	const struct emufuzz_buf *pre = da_prefix(t, chip, mode, auto_da1);
	struct emufuzz_dev dev = {.prof = in->prof, .storage = in->storage, .security = "0x00"};
	dev.mode = mode == EMU_MODE_PRELOADER ? "preloader" : "brom";
	struct state *s = state_for(&dev);
	struct mtkemu_options o = {.chip = dev.prof->name,
	                           .memstate = s->m,
	                           .mode = dev.mode,
	                           .security = dev.security,
	                           .preloader = "simple",
	                           .clock = &vclock,
	                           .persist_session = true};
	struct mtkemu *emu;
	char err[512], ini[1024];
	vclock_ns = 0;
	if (mtkemu_new(&o, &emu, err, sizeof err) != 0)
		die("mtkemu_new: %s", err);
	if (serve_once(&dev, emu, pre->p, pre->len) != MTKEMU_END_CLOSED)
		die("%s: the DA prefix did not end with the host closing the port", dev.prof->name);
	mtkemu_free(emu);
	int n = emu_memstate_get(s->m, "power.ini", ini, sizeof ini - 1);
	if (n <= 0)
		die("%s: no power.ini after the DA prefix", dev.prof->name);
	ini[n] = '\0';
	if (!strstr(ini, auto_da1 ? "\nrun=da2\n" : "\nrun=xda1\n"))
		die("%s: the DA prefix left the phone in another state:\n%s", dev.prof->name, ini);
	if (dev.storage != EMUFUZZ_ST_NONE && mtkemu_memstate_pages_written(s->m) != 0)
		die("%s: the DA prefix wrote to the eMMC", dev.prof->name);
	emufuzz_put(p, ini, (size_t)n);
	check_and_reset(&dev, s);
	return p;
}

int emufuzz_da_input(struct emufuzz_da_target *t, const uint8_t *data, size_t size)
{
	if (size < EMUFUZZ_HDR)
		return 0;
	uint8_t hdr[EMUFUZZ_HDR];
	memcpy(hdr, data, sizeof hdr);
	hdr[2] &= (uint8_t)~0x07; /* no SBC/SLA/DAA: the synthetic DA is unsigned and must get in */
	size_t chip = hdr[0] % t->nchips;
	bool auto_da1 = hdr[1] & EMUFUZZ_DA_AUTO;
	struct emufuzz_dev dev;
	emufuzz_decode(hdr, t->chips, t->nchips, 0, &dev);
	if (resumable(t, auto_da1)) {
		run_session(&dev, da_power(t, chip, &dev, auto_da1), data + EMUFUZZ_HDR, size - EMUFUZZ_HDR,
		            size - EMUFUZZ_HDR);
		return 0;
	}
	const struct emufuzz_buf *pre = da_prefix(t, chip, emufuzz_mode(&dev), auto_da1);
	/* A disconnect fault counts from the end of the prefix (roughly: the
	 * device's own replies to it are small). */
	emufuzz_decode(hdr, t->chips, t->nchips, pre->len, &dev);
	t->input.len = 0;
	emufuzz_put(&t->input, pre->p, pre->len);
	emufuzz_put(&t->input, data + EMUFUZZ_HDR, size - EMUFUZZ_HDR);
	emufuzz_session(&dev, t->input.p, t->input.len, t->input.len);
	return 0;
}

void emufuzz_da_free(struct emufuzz_da_target *t)
{
	for (size_t c = 0; c < EMUFUZZ_DA_MAX_CHIPS; c++)
		for (int m = 0; m < 2; m++)
			for (int a = 0; a < 2; a++)
				emufuzz_free(&t->prefix[c][m][a]);
	for (size_t c = 0; c < EMUFUZZ_DA_MAX_CHIPS; c++)
		for (int k = 0; k < EMUFUZZ_ST_KINDS; k++)
			for (int m = 0; m < 2; m++)
				for (int a = 0; a < 2; a++)
					emufuzz_free(&t->power[c][k][m][a]);
	emufuzz_free(&t->input);
}
