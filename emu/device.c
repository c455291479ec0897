/* SPDX-License-Identifier: MIT */
/* The device object: options, state directory, identity, serving. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "emu_internal.h"
#include "core/fileutil.h"
#include "emu_storage.h"

/* ME_ID and SOC_ID persist here, so a device keeps its identity across runs. */
#define IDENTITY_FILE "identity.ini"

/* ---- options --------------------------------------------------------------------- */

static void list_chips(char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (const char *const *n = mtkemu_chip_names(); *n && used < len; n++) {
		int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", *n);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static const struct {
	const char *name;
	uint32_t bit;
} security_flags[] = {
	{ "sbc", 0x01 },       { "sla", 0x02 },      { "daa", 0x04 },       { "epp", 0x08 },
	{ "root-cert", 0x10 }, { "mem-read", 0x20 }, { "mem-write", 0x40 }, { "c8-block", 0x80 },
};

static const char security_known[] =
	"sbc, sla, daa, epp, root-cert, mem-read, mem-write, c8-block, none, or a hex target_config such as 0xe5";

static bool parse_hex32(const char *s, uint32_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s || strlen(s) > 8)
		return false;
	uint32_t v = 0;
	for (; *s; s++) {
		int d = mtk_hex_digit((unsigned char)*s);
		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

static int security_flag(const char *name, uint32_t *bit)
{
	for (size_t i = 0; i < sizeof security_flags / sizeof security_flags[0]; i++)
		if (strcasecmp(security_flags[i].name, name) == 0) {
			*bit = security_flags[i].bit;
			return 0;
		}
	if (strcasecmp(name, "none") == 0) {
		*bit = 0;
		return 0;
	}
	return -1;
}

/* "sbc,sla,daa" or a hex value; names win over hex ("daa" is a name). */
static int parse_security(const char *spec, uint32_t *out, char *err, size_t errlen)
{
	uint32_t bit;
	if (!strchr(spec, ',') && security_flag(spec, &bit) < 0) {
		if (parse_hex32(spec, out))
			return 0;
		snprintf(err, errlen, "unknown security flag '%s' (known: %s)", spec, security_known);
		return -1;
	}
	char tok[32];
	uint32_t v = 0;
	for (const char *p = spec;;) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof tok) {
			snprintf(err, errlen, "bad security list '%s' (known: %s)", spec, security_known);
			return -1;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (security_flag(tok, &bit) < 0) {
			snprintf(err, errlen, "unknown security flag '%s' (known: %s)", tok, security_known);
			return -1;
		}
		v |= bit;
		if (!p[n])
			break;
		p += n + 1;
	}
	*out = v;
	return 0;
}

static int parse_mode(const char *mode, struct mtkemu *e, char *err, size_t errlen)
{
	e->mode = EMU_MODE_BROM;
	e->mode_forced = mode != NULL;
	if (!mode || strcasecmp(mode, "brom") == 0)
		return 0;
	if (strcasecmp(mode, "preloader") == 0) {
		e->mode = EMU_MODE_PRELOADER;
		return 0;
	}
	snprintf(err, errlen, "unknown mode '%s' (known: brom, preloader)", mode);
	return -1;
}

static int parse_preloader_model(const struct mtkemu_options *opt, struct mtkemu *e, char *err, size_t errlen)
{
	e->listen_ms = opt->listen_ms ? opt->listen_ms : EMU_LISTEN_MS_DEFAULT;
	if (!opt->preloader || strcasecmp(opt->preloader, "real") == 0)
		return 0;
	if (strcasecmp(opt->preloader, "simple") == 0) {
		e->simple_preloader = true;
		return 0;
	}
	snprintf(err, errlen, "unknown preloader model '%s' (known: real, simple)", opt->preloader);
	return -1;
}

/* ---- state directory ------------------------------------------------------------------ */

static int mkdir_p(const char *path, char *err, size_t errlen)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		snprintf(err, errlen, "state directory path too long");
		return -1;
	}
	for (char *p = buf + 1;; p++) {
		bool end = *p == '\0';
		if (*p == '/' || end) {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
				snprintf(err, errlen, "cannot create state directory '%s': %s", buf, strerror(errno));
				return -1;
			}
			if (end)
				break;
			*p = '/';
		}
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "state directory '%s' is not a directory", path);
		return -1;
	}
	return 0;
}

/* One phone per state folder: two emulators writing one storage image would
 * corrupt it, like two hosts on one port.  flock, so a crashed mtkemu leaves
 * no stale lock behind. */
static int lock_state_dir(struct mtkemu *e, char *err, size_t errlen)
{
	char path[PATH_MAX + 8];
	snprintf(path, sizeof path, "%s/.lock", e->state_dir);
	e->state_lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (e->state_lock_fd < 0) {
		snprintf(err, errlen, "cannot create lock file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(e->state_lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int busy = errno == EWOULDBLOCK;
		snprintf(err, errlen, "state folder %s %s%s", e->state_dir,
			 busy ? "is in use by another emulator (an mtkemu, or an emu: port of another program)"
			      : "cannot be locked: ",
			 busy ? "" : strerror(errno));
		return -1;
	}
	return 0;
}

/* The state in memory: the same one-device rule as the folder's lock. */
static int setup_memstate(struct mtkemu *e, const struct mtkemu_options *opt, char *err, size_t errlen)
{
	if (opt->state_dir) {
		snprintf(err, errlen, "a state folder and an in-memory state are exclusive");
		return -1;
	}
	snprintf(e->state_dir, sizeof e->state_dir, "%s", emu_memstate_name(opt->memstate));
	if (!emu_memstate_claim(opt->memstate)) {
		snprintf(err, errlen, "in-memory state %s is in use by another emulator", e->state_dir);
		return -1;
	}
	e->memstate = opt->memstate;
	return 0;
}

static int setup_state_dir(struct mtkemu *e, const char *dir, char *err, size_t errlen)
{
	char resolved[PATH_MAX];
	if (!dir) {
		const char *tmp = getenv("TMPDIR");
		snprintf(e->state_dir, sizeof e->state_dir, "%s/mtkemu-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(e->state_dir)) {
			snprintf(err, errlen, "cannot create a temporary state directory: %s", strerror(errno));
			return -1;
		}
		e->own_state_dir = true;
		return 0;
	}
	if (!*dir) {
		snprintf(err, errlen, "empty state directory name");
		return -1;
	}
	if (mkdir_p(dir, err, errlen) < 0)
		return -1;
	if (!realpath(dir, resolved) || strlen(resolved) >= sizeof e->state_dir) {
		snprintf(err, errlen, "cannot resolve state directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	memcpy(e->state_dir, resolved, strlen(resolved) + 1);
	return lock_state_dir(e, err, errlen);
}

/* ---- identity -------------------------------------------------------------------------- */

/* FNV-1a over chip name and state path seeds a splitmix64 stream: the same
 * device directory always gives the same IDs, different ones differ. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void derive_identity(struct mtkemu *e)
{
	uint64_t x = fnv1a(fnv1a(0xcbf29ce484222325ull, e->prof->name), "\n");
	x = fnv1a(x, e->state_dir);
	uint8_t *dst[2] = { e->me_id, e->soc_id };
	size_t len[2] = { sizeof e->me_id, sizeof e->soc_id };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < len[k]; i += 8) {
			uint64_t r = splitmix64(&x);
			for (size_t j = 0; j < 8 && i + j < len[k]; j++)
				dst[k][i + j] = (uint8_t)(r >> (8 * j));
		}
}

static bool hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = mtk_hex_digit((unsigned char)s[2 * i]);
		int lo = mtk_hex_digit((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

FILE *emu_state_fopen(const struct mtkemu *e, const char *name, char *path, size_t pathlen)
{
	snprintf(path, pathlen, "%s/%s", e->state_dir, name);
	if (!e->memstate)
		return fopen(path, "re");
	FILE *f = emu_memstate_fopen(e->memstate, name);
	if (!f)
		errno = ENOENT;
	return f;
}

int emu_state_store(const struct mtkemu *e, const char *name, const char *text, size_t len)
{
	if (e->memstate)
		return emu_memstate_put(e->memstate, name, text, len) == 0 ? 0 : (errno = EFBIG, -1);
	char path[4200], tmp[4300];
	snprintf(path, sizeof path, "%s/%s", e->state_dir, name);
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return errno = ENAMETOOLONG, -1;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	bool ok = fwrite(text, 1, len, f) == len;
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

static int save_identity(const struct mtkemu *e, const char *path, char *err, size_t errlen)
{
	char text[256], me[33], soc[65];
	mtk_hex_encode(me, e->me_id, sizeof e->me_id);
	mtk_hex_encode(soc, e->soc_id, sizeof e->soc_id);
	int n = snprintf(text, sizeof text,
			 "# mtkemu device identity: what GET_ME_ID / GET_SOC_ID answer\nchip=%s\nme_id=%s\nsoc_id=%s\n",
			 e->prof->name, me, soc);
	if (emu_state_store(e, IDENTITY_FILE, text, (size_t)n) < 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int identity_line(struct mtkemu *e, char *line, const char *path, unsigned lineno, char *err,
			 size_t errlen)
{
	line[strcspn(line, "\r\n")] = '\0';
	if (!*line || *line == '#')
		return 0;
	char *v = strchr(line, '=');
	if (!v) {
		snprintf(err, errlen, "%s:%u: expected key=value", path, lineno);
		return -1;
	}
	*v++ = '\0';
	if (strcmp(line, "chip") == 0) {
		if (strcasecmp(v, e->prof->name) != 0) {
			snprintf(err, errlen, "%s:%u: this state directory is a %s, not a %s", path, lineno, v,
				 e->prof->name);
			return -1;
		}
	} else if (strcmp(line, "me_id") == 0) {
		if (!hex_decode(v, e->me_id, sizeof e->me_id)) {
			snprintf(err, errlen, "%s:%u: me_id must be 32 hex digits", path, lineno);
			return -1;
		}
	} else if (strcmp(line, "soc_id") == 0) {
		if (!hex_decode(v, e->soc_id, sizeof e->soc_id)) {
			snprintf(err, errlen, "%s:%u: soc_id must be 64 hex digits", path, lineno);
			return -1;
		}
	} else {
		snprintf(err, errlen, "%s:%u: unknown key '%s' (known: chip, me_id, soc_id)", path, lineno, line);
		return -1;
	}
	return 0;
}

/* Keys missing from the file keep their derived values. */
static int load_identity(struct mtkemu *e, char *err, size_t errlen)
{
	char path[4200];
	derive_identity(e);
	FILE *f = emu_state_fopen(e, IDENTITY_FILE, path, sizeof path);
	if (!f) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
			return -1;
		}
		return save_identity(e, path, err, errlen);
	}
	char line[256];
	unsigned lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f))
		rc = identity_line(e, line, path, ++lineno, err, errlen);
	fclose(f);
	return rc;
}

/* ---- public API -------------------------------------------------------------------------- */

static int fail_new(struct mtkemu *e, char *err, size_t errlen, const char *why)
{
	if (why)
		snprintf(err, errlen, "%s", why);
	mtkemu_free(e);
	return -1;
}

int mtkemu_new(const struct mtkemu_options *opt, struct mtkemu **out, char *err, size_t errlen)
{
	char known[512];
	*out = NULL;
	const struct emu_profile *prof = opt && opt->chip ? emu_profile_find(opt->chip) : NULL;
	if (!prof) /* the list only for the message: making it was a fuzz run's hot spot */
		list_chips(known, sizeof known);
	if (!opt || !opt->chip || !*opt->chip) {
		snprintf(err, errlen, "no chip given (known: %s)", known);
		return -1;
	}
	if (!prof) {
		snprintf(err, errlen, "unknown chip '%s' (known: %s)", opt->chip, known);
		return -1;
	}
	struct mtkemu *e = calloc(1, sizeof *e);
	if (!e)
		return fail_new(NULL, err, errlen, "out of memory");
	e->prof = prof;
	e->fd = -1;
	e->state_lock_fd = -1;
	e->target_config = prof->target_config;
	e->quiet_violations = opt->quiet_violations;
	atomic_init(&e->stop, false);
	if (parse_mode(opt->mode, e, err, errlen) < 0)
		return fail_new(e, err, errlen, NULL);
	if (opt->security && parse_security(opt->security, &e->target_config, err, errlen) < 0)
		return fail_new(e, err, errlen, NULL);
	if (opt->auth_key && emu_auth_load_key(e, opt->auth_key, err, errlen) < 0)
		return fail_new(e, err, errlen, NULL);
	if (parse_preloader_model(opt, e, err, errlen) < 0)
		return fail_new(e, err, errlen, NULL);
	if (opt->clock && opt->clock->now_ns && opt->clock->sleep_until_ns)
		e->clock = *opt->clock;
	if (emu_link_new(e, opt->faults, opt->speed, err, errlen) < 0)
		return fail_new(e, err, errlen, NULL);
	int st = opt->memstate ? setup_memstate(e, opt, err, errlen) : setup_state_dir(e, opt->state_dir, err, errlen);
	if (st < 0 || load_identity(e, err, errlen) < 0)
		return fail_new(e, err, errlen, NULL);
	e->run = EMU_RUN_BOOT;
	e->da_area = -1;
	e->persist = opt->persist_session && (opt->memstate || !e->own_state_dir);
	if (e->persist && emu_power_load(e, err, errlen) < 0)
		return fail_new(e, err, errlen, NULL);
	*out = e;
	return 0;
}

/* ---- running state ------------------------------------------------------------------------ */

/* Power-on or reset: the BootROM runs, then the boot model decides
 * (boot.c); the emergency-download flag a preloader ASSERT set wins over it
 * once.  A forced mode (options.mode) always wins. */
static void boot(struct mtkemu *e)
{
	if (!e->mode_forced)
		e->mode = e->usbdl_flag ? EMU_MODE_BROM : emu_boot_decide_mode(e);
	e->usbdl_flag = false;
	e->run = EMU_RUN_LISTEN;
	e->listening = false;
	e->da_area = -1;
	e->xda = (struct emu_xda_state){ 0 };
	/* The BROM enumerates at full speed (0E8D:0003); a preloader is high
	 * speed where the port allows (brom-protocol.md §3.25). */
	e->high_speed = e->mode == EMU_MODE_PRELOADER;
	emu_link_set_high_speed(e, e->high_speed);
	emu_brom_boot(e);
}

/* Cable out and in: the phone reboots; a power cycle also loses what only
 * battery power kept (the emergency-download flag in its always-on SRAM). */
static bool take_plug_event(struct mtkemu *e)
{
	int ev = atomic_exchange(&e->plug_event, EMU_PLUG_NONE);
	if (ev == EMU_PLUG_NONE)
		return false;
	if (ev == EMU_PLUG_POWER_CYCLE)
		e->usbdl_flag = false;
	e->run = EMU_RUN_BOOT;
	return true;
}

/* A phone boots when the cable goes in, and the host's kernel configures a
 * new device within milliseconds, so a preloader's listen window opens at
 * the plug (§2.2a phases 1-2).  (On a pty it opens at the host's first open:
 * there, that open is the only sign of a host.) */
void emu_plugged_in(struct mtkemu *e)
{
	take_plug_event(e);
	if (e->run == EMU_RUN_BOOT)
		boot(e);
	emu_brom_listen_start(e);
}

static void run_personality(struct mtkemu *e)
{
	switch (e->run) {
	case EMU_RUN_GONE:
		emu_link_end(e, EMU_LINK_GONE);
		return;
	case EMU_RUN_HUNG:
		emu_swallow(e);
		return;
	case EMU_RUN_DA2:
		if (e->prof->da_family == EMU_DA_XFLASH)
			emu_da_xflash_resume(e);
		else
			emu_da_legacy_resume(e);
		return;
	case EMU_RUN_XDA1:
		emu_da_xflash_resume(e);
		return;
	default:
		emu_brom_run(e);
	}
}

/* After a byte-count fault.  A cable pull ends the DA session and the phone
 * boots per its boot model when the cable is back; a power loss also loses
 * what only power kept (RAM, the emergency-download flag) and the next
 * connect powers it on into the boot model; a hung CPU stays hung until a
 * replug or power cycle.  The storage keeps what was committed (emmc.c). */
static void fault_end(struct mtkemu *e)
{
	enum emu_fault_kind kind = emu_fault_fired(e);
	if (kind == EMU_FAULT_HANG) {
		e->run = EMU_RUN_HUNG;
		return;
	}
	if (kind == EMU_FAULT_POWER_LOSS)
		e->usbdl_flag = false;
	e->run = kind == EMU_FAULT_BOOT_ON ? EMU_RUN_GONE : EMU_RUN_BOOT;
}

/* What the phone runs after the session ended the way it did. */
static int session_end(struct mtkemu *e)
{
	switch (emu_link_state(e)) {
	case EMU_LINK_FAULT:
		fault_end(e);
		return e->run == EMU_RUN_GONE ? MTKEMU_END_GONE : MTKEMU_END_FAULT;
	case EMU_LINK_REENUMERATE:
		take_plug_event(e);
		return MTKEMU_END_REENUMERATE;
	case EMU_LINK_GONE:
		return MTKEMU_END_GONE;
	default:
		/* A DA1 cut off in the middle of its exchange waits for bytes
		 * that no new session will send in order: model it as hung. */
		if (e->run == EMU_RUN_DA1)
			e->run = EMU_RUN_HUNG;
		return MTKEMU_END_CLOSED;
	}
}

int mtkemu_serve(struct mtkemu *e, int fd)
{
	int flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	e->fd = fd;
	/* Non-blocking, so a write to a host that stopped reading still lets
	 * us notice mtkemu_stop(). */
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	/* A plug event between sessions: fd is already the port after it. */
	take_plug_event(e);
	emu_link_session_start(e);
	if (e->run == EMU_RUN_BOOT)
		boot(e);
	run_personality(e);
	int end = session_end(e);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags);
	e->fd = -1;
	return end;
}

int mtkemu_serve_script(struct mtkemu *e, const struct mtkemu_host_script *h)
{
	emu_link_set_script(e, h);
	int end = mtkemu_serve(e, -1);
	emu_link_set_script(e, NULL);
	return end;
}

void mtkemu_replug(struct mtkemu *e)
{
	if (e)
		atomic_store(&e->plug_event, EMU_PLUG_REPLUG);
}

void mtkemu_power_cycle(struct mtkemu *e)
{
	if (e)
		atomic_store(&e->plug_event, EMU_PLUG_POWER_CYCLE);
}

unsigned mtkemu_violations(const struct mtkemu *e)
{
	return e ? atomic_load(&e->violations) : 0;
}

void emu_violation(struct mtkemu *e, const char *fmt, ...)
{
	atomic_fetch_add(&e->violations, 1);
	if (e->quiet_violations)
		return;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "mtkemu: VIOLATION: %s\n", msg);
	fflush(stderr);
}

void mtkemu_stop(struct mtkemu *e)
{
	if (e)
		atomic_store(&e->stop, true);
}

void mtkemu_free(struct mtkemu *e)
{
	if (!e)
		return;
	if (e->persist)
		emu_power_save(e);
	if (e->storage)
		emu_storage_close(e->storage);
	if (e->link)
		emu_link_free(e->link);
	emu_brom_free(e);
	free(e->da_blob);
	if (e->own_state_dir && e->state_dir[0])
		mtk_remove_tree(e->state_dir);
	if (e->state_lock_fd >= 0)
		close(e->state_lock_fd);
	if (e->memstate)
		emu_memstate_release(e->memstate);
	free(e);
}
