/* SPDX-License-Identifier: MIT */
/* The device's end of the cable: exact-length byte I/O over e->fd, with the
 * link model (bandwidth and per-transfer latency) and fault injection.
 *
 * Every wait is a poll() of at most POLL_MS, so mtkemu_stop() from another
 * thread (or a signal handler) is noticed within that time. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/checksum.h" /* MTK_NO_COVERAGE */
#include "emu_internal.h"

#define POLL_MS 50
#define NSEC 1000000000ull

/* Link models: a bandwidth cap and a cost per host transfer.
 *
 * usb2-hs: 480 Mbit/s signalling allows at most 13 bulk packets of 512 bytes
 *   per 125 us microframe (53 MB/s); MediaTek preloaders and DAs reach about
 *   35-40 MB/s in practice, so 40 MB/s.  A transfer completes at the earliest
 *   on the next microframe: 125 us.
 * usb2-fs: 12 Mbit/s allows at most 19 packets of 64 bytes per 1 ms frame
 *   (1.2 MB/s); the BootROM's full-speed port gets about 1 MB/s.  Latency one
 *   frame: 1 ms.
 *
 * What a "transfer" is: the bytes one side sends before it waits for the
 * other, i.e. everything between two direction turnarounds.  A request/reply
 * protocol over USB must end a bulk transfer and have the host submit the
 * next one (in the other direction) at each turnaround, and the new transfer
 * starts on a later (micro)frame: that is where the latency is paid, once.  A
 * host that splits one direction into several writes (header, then payload)
 * has them queued back to back, so they cost bandwidth, not latency.  The
 * device cannot see the host's write() boundaries on a byte stream anyway;
 * charging per emu_recv() call would charge one host write several times. */
struct emu_speed {
	const char *name;
	uint64_t bytes_per_sec; /* 0 = unlimited */
	uint64_t latency_ns;
};

static const struct emu_speed speeds[] = {
	{ "none", 0, 0 },
	{ "usb2-hs", 40000000, 125000 },
	{ "usb2-fs", 1000000, 1000000 },
};

struct emu_faults {
	bool has_disconnect, has_stall, has_power_loss, has_boot_on, da_silent;
	bool write_protect;
	uint64_t disconnect_after, stall_after, power_loss_at, boot_on_at;
	unsigned da_hang_cmd; /* da-hang-at-cmd=K: the DA hangs on its K-th command; 0 = never */
	size_t ncorrupt;
	struct emu_fault_corrupt corrupt[EMU_MAX_CORRUPT];
	struct emu_read_faults rf;
};

enum emu_dir { DIR_NONE, DIR_IN, DIR_OUT }; /* IN: host to device, as emu_recv() sees it */

/* The modelled cable's virtual clock (see charge()). */
struct emu_clock {
	uint64_t busy_until_ns; /* when the cable has carried every byte charged so far */
	uint64_t lag_ns;        /* how late the last wake-up was (sleep overshoot) */
	enum emu_dir dir;       /* direction of the transfer in progress */
};

struct emu_link {
	const struct emu_speed *speed; /* what the cable carries now */
	const struct emu_speed *cap;   /* --speed: what the host port can do */
	struct emu_faults f;
	uint64_t total;          /* bytes moved in both directions since the device was created */
	bool disconnect_fired, stall_fired, power_loss_fired, boot_on_fired;
	enum emu_fault_kind fired; /* the last byte-count fault that fired */
	unsigned da_commands;      /* DA commands received since the device was created */
	enum emu_link_end state;
	bool is_socket;
	const struct emu_session_watch *watch;
	struct emu_clock clk;
	uint64_t precharged; /* bytes still unread that were booked with the host's last transfer */
	/* A scripted host (mtkemu_serve_script) instead of an fd. */
	const struct mtkemu_host_script *script;
	size_t script_in, script_out;
	/* Any byte-count fault in the spec (unplug-at, da-hang-at, power-loss-at,
	 * boot-on-at): without one, fault_budget() is always "no limit". */
	bool byte_faults;
};

/* ---- fault spec ------------------------------------------------------------ */

static const char known_faults[] =
	"unplug-at=BYTES, power-loss-at=BYTES, da-hang-at=BYTES, boot-on-at=BYTES, da-hang-at-cmd=K, da-silent, "
	"write-protect, corrupt-write=REGION:OFFSET:LEN, corrupt-write-once=REGION:OFFSET:LEN, "
	"pause-at-write=REGION:OFFSET:LEN, read-error=REGION:OFFSET:LEN, read-flaky=REGION:OFFSET:LEN:N|P%, "
	"read-slow=REGION:OFFSET:LEN:RATE, pause-at-read=REGION:OFFSET:LEN, fault-seed=S "
	"(old names: disconnect-after = unplug-at, stall-after = da-hang-at)";
static const char *const regions[] = { "boot1", "boot2", "rpmb", "user" };

/* Decimal or 0x-hex, optional K/M/G (binary) suffix; the whole string. */
bool emu_parse_count(const char *s, uint64_t *out)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || end == s)
		return false;
	unsigned shift = 0;
	if (*end) {
		const char *suf = "KMG";
		char c = (char)(*end & ~0x20);
		const char *p = base == 10 && c ? strchr(suf, c) : NULL;
		if (!p || end[1])
			return false;
		shift = 10u * (unsigned)(p - suf + 1);
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

int emu_fault_parse_range(const char *name, const char *v, int *area, uint64_t *off, uint64_t *len,
			  const char **rest, char *err, size_t errlen)
{
	char region[32];
	const char *c1 = strchr(v, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *c3 = c2 ? strchr(c2 + 1, ':') : NULL;
	if (!c1 || !c2 || (c3 != NULL) != (rest != NULL) || (c3 && strchr(c3 + 1, ':'))) {
		snprintf(err, errlen, "%s needs REGION:OFFSET:LEN%s (e.g. user:0x100000:4096%s), got '%s'", name,
			 rest ? ":ARG" : "", rest ? ":2" : "", v);
		return -1;
	}
	size_t rl = (size_t)(c1 - v);
	snprintf(region, sizeof region, "%.*s", (int)(rl < sizeof region ? rl : sizeof region - 1), v);
	size_t r = 0;
	while (r < sizeof regions / sizeof regions[0] && strcmp(regions[r], region) != 0)
		r++;
	if (r == sizeof regions / sizeof regions[0]) {
		snprintf(err, errlen, "%s: unknown region '%s' (known: boot1, boot2, rpmb, user)", name, region);
		return -1;
	}
	char num[64];
	uint64_t end;
	size_t nl = (size_t)(c2 - c1 - 1);
	snprintf(num, sizeof num, "%.*s", (int)(nl < sizeof num ? nl : sizeof num - 1), c1 + 1);
	if (!emu_parse_count(num, off)) {
		snprintf(err, errlen, "%s: '%s' is not a byte offset", name, num);
		return -1;
	}
	nl = c3 ? (size_t)(c3 - c2 - 1) : strlen(c2 + 1);
	snprintf(num, sizeof num, "%.*s", (int)(nl < sizeof num ? nl : sizeof num - 1), c2 + 1);
	if (!emu_parse_count(num, len) || *len == 0) {
		snprintf(err, errlen, "%s: '%s' is not a length (bytes, > 0)", name, num);
		return -1;
	}
	if (mtk_add_overflows(*off, *len, &end)) {
		snprintf(err, errlen, "%s: offset + length overflows in '%s'", name, v);
		return -1;
	}
	*area = (int)r;
	if (rest)
		*rest = c3 + 1;
	return 0;
}

static int parse_corrupt(struct emu_faults *f, const char *v, char *err, size_t errlen)
{
	int area;
	uint64_t off, len;
	if (emu_fault_parse_range("corrupt-write", v, &area, &off, &len, NULL, err, errlen) < 0)
		return -1;
	if (f->ncorrupt == EMU_MAX_CORRUPT) {
		snprintf(err, errlen, "at most %d corrupt-write faults", EMU_MAX_CORRUPT);
		return -1;
	}
	struct emu_fault_corrupt *c = &f->corrupt[f->ncorrupt++];
	snprintf(c->region, sizeof c->region, "%s", regions[area]);
	c->offset = off;
	c->len = len;
	return 0;
}

static int parse_byte_fault(const char *name, const char *v, uint64_t *out, bool *has, char *err, size_t errlen)
{
	if (!v || !*v) {
		snprintf(err, errlen, "%s needs a byte count (e.g. %s=4096)", name, name);
		return -1;
	}
	if (!emu_parse_count(v, out)) {
		snprintf(err, errlen, "%s: '%s' is not a byte count", name, v);
		return -1;
	}
	*has = true;
	return 0;
}

static int parse_command_fault(const char *name, const char *v, unsigned *out, char *err, size_t errlen)
{
	uint64_t k;
	if (!v || !emu_parse_count(v, &k) || k == 0 || k > UINT32_MAX) {
		snprintf(err, errlen, "%s needs a command number from 1 (e.g. %s=3)", name, name);
		return -1;
	}
	*out = (unsigned)k;
	return 0;
}

static int parse_one_fault(struct emu_faults *f, char *tok, char *err, size_t errlen)
{
	char *v = strchr(tok, '=');
	if (v)
		*v++ = '\0';
	if (strcmp(tok, "unplug-at") == 0 || strcmp(tok, "disconnect-after") == 0)
		return parse_byte_fault(tok, v, &f->disconnect_after, &f->has_disconnect, err, errlen);
	if (strcmp(tok, "da-hang-at") == 0 || strcmp(tok, "stall-after") == 0)
		return parse_byte_fault(tok, v, &f->stall_after, &f->has_stall, err, errlen);
	if (strcmp(tok, "power-loss-at") == 0)
		return parse_byte_fault(tok, v, &f->power_loss_at, &f->has_power_loss, err, errlen);
	if (strcmp(tok, "boot-on-at") == 0)
		return parse_byte_fault(tok, v, &f->boot_on_at, &f->has_boot_on, err, errlen);
	if (strcmp(tok, "da-hang-at-cmd") == 0)
		return parse_command_fault(tok, v, &f->da_hang_cmd, err, errlen);
	if (strcmp(tok, "da-silent") == 0) {
		if (v) {
			snprintf(err, errlen, "da-silent takes no value");
			return -1;
		}
		f->da_silent = true;
		return 0;
	}
	if (strcmp(tok, "write-protect") == 0) {
		if (v) {
			snprintf(err, errlen, "write-protect takes no value");
			return -1;
		}
		f->write_protect = true;
		return 0;
	}
	bool once = strcmp(tok, "corrupt-write-once") == 0, pause = strcmp(tok, "pause-at-write") == 0;
	if (once || pause || strcmp(tok, "corrupt-write") == 0) {
		if (!v || !*v) {
			snprintf(err, errlen, "%s needs REGION:OFFSET:LEN (e.g. user:0x100000:4096)", tok);
			return -1;
		}
		int rc = parse_corrupt(f, v, err, errlen);
		if (rc == 0) {
			f->corrupt[f->ncorrupt - 1].once = once || pause;
			f->corrupt[f->ncorrupt - 1].pause = pause;
		}
		return rc;
	}
	int rc = emu_read_fault_parse(&f->rf, tok, v, err, errlen);
	if (rc <= 0)
		return rc;
	snprintf(err, errlen, "unknown fault '%s' (known: %s)", tok, known_faults);
	return -1;
}

static int parse_faults(struct emu_faults *f, const char *spec, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	if (!spec || !*spec)
		return 0;
	char *copy = strdup(spec);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = 0;
	char *p = copy;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!*p) {
			snprintf(err, errlen, "empty entry in fault spec '%s'", spec);
			rc = -1;
			break;
		}
		if ((rc = parse_one_fault(f, p, err, errlen)) < 0 || !comma)
			break;
		p = comma + 1;
	}
	free(copy);
	return rc;
}

int emu_link_new(struct mtkemu *e, const char *faults, const char *speed, char *err, size_t errlen)
{
	const struct emu_speed *sp = &speeds[0];
	if (speed) {
		size_t i = 0;
		while (i < sizeof speeds / sizeof speeds[0] && strcmp(speeds[i].name, speed) != 0)
			i++;
		if (i == sizeof speeds / sizeof speeds[0]) {
			snprintf(err, errlen, "unknown link speed '%s' (known: usb2-hs, usb2-fs, none)", speed);
			return -1;
		}
		sp = &speeds[i];
	}
	struct emu_link *l = calloc(1, sizeof *l);
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (parse_faults(&l->f, faults, err, errlen) < 0) {
		free(l);
		return -1;
	}
	l->speed = l->cap = sp;
	l->state = EMU_LINK_UP;
	l->byte_faults = l->f.has_disconnect || l->f.has_stall || l->f.has_power_loss || l->f.has_boot_on;
	e->link = l;
	return 0;
}

void emu_link_free(struct emu_link *l)
{
	free(l);
}

bool emu_fault_da_silent(const struct mtkemu *e)
{
	return e->link->f.da_silent;
}

bool emu_fault_write_protect(const struct mtkemu *e)
{
	return e->link->f.write_protect;
}

/* Per DA command, so untraced; the hang it decides is traced in the DA. */
MTK_NO_COVERAGE bool emu_fault_da_command(struct mtkemu *e)
{
	struct emu_link *l = e->link;
	l->da_commands++;
	return l->f.da_hang_cmd && l->da_commands == l->f.da_hang_cmd;
}

enum emu_fault_kind emu_fault_fired(const struct mtkemu *e)
{
	return e->link->fired;
}

struct emu_read_faults *emu_link_read_faults(struct mtkemu *e)
{
	return &e->link->f.rf;
}

size_t emu_fault_corrupt_writes(const struct mtkemu *e, const struct emu_fault_corrupt **list)
{
	*list = e->link->f.corrupt;
	return e->link->f.ncorrupt;
}

enum emu_link_end emu_link_state(const struct mtkemu *e)
{
	return e->link->state;
}

bool emu_link_timed(const struct mtkemu *e)
{
	return e->link->speed->bytes_per_sec != 0 && !e->clock.now_ns;
}

void emu_link_end(struct mtkemu *e, enum emu_link_end how)
{
	e->link->state = how;
}

/* A full-speed device is carried at usb2-fs even on a high-speed port; a port
 * that is itself full speed (or unmodelled) caps everything. */
void emu_link_set_high_speed(struct mtkemu *e, bool high)
{
	struct emu_link *l = e->link;
	l->speed = l->cap;
	if (!high && strcmp(l->cap->name, "usb2-hs") == 0)
		l->speed = &speeds[2];
}

void emu_link_session_start(struct mtkemu *e)
{
	struct stat st;
	e->link->state = EMU_LINK_UP;
	e->link->is_socket = fstat(e->fd, &st) == 0 && S_ISSOCK(st.st_mode);
	e->link->clk = (struct emu_clock){ 0 };
	e->link->precharged = 0;
}

/* ---- link model ------------------------------------------------------------- */

static uint64_t real_clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

uint64_t emu_now_ns(const struct mtkemu *e)
{
	return e->clock.now_ns ? e->clock.now_ns(e->clock.user) : real_clock_ns(CLOCK_MONOTONIC);
}

uint64_t emu_now_ms(const struct mtkemu *e)
{
	return emu_now_ns(e) / 1000000u;
}

uint64_t emu_wall_ms(const struct mtkemu *e)
{
	return (e->clock.now_ns ? e->clock.now_ns(e->clock.user) : real_clock_ns(CLOCK_REALTIME)) / 1000000u;
}

static void sleep_until_ns(const struct mtkemu *e, uint64_t t)
{
	if (e->clock.sleep_until_ns) {
		e->clock.sleep_until_ns(e->clock.user, t);
		return;
	}
	struct timespec ts = { (time_t)(t / NSEC), (long)(t % NSEC) };
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

void emu_sleep_ns(struct mtkemu *e, uint64_t ns)
{
	sleep_until_ns(e, emu_now_ns(e) + ns);
}

void emu_link_set_script(struct mtkemu *e, const struct mtkemu_host_script *h)
{
	e->link->script = h;
	e->link->script_in = e->link->script_out = 0;
}

void emu_link_watch(struct mtkemu *e, const struct emu_session_watch *w)
{
	e->link->watch = w;
}

/* Also notices the frontend's "host closed the port". */
MTK_NO_COVERAGE_INNER __attribute__((always_inline)) static inline bool stopping(struct mtkemu *e)
{
	if (atomic_load(&e->stop)) {
		e->link->state = EMU_LINK_STOPPED;
		return true;
	}
	if (atomic_load(&e->plug_event) != EMU_PLUG_NONE) {
		e->link->state = EMU_LINK_REENUMERATE;
		return true;
	}
	const struct emu_session_watch *w = e->link->watch;
	if (w && w->ended(w->ctx)) {
		e->link->state = EMU_LINK_CLOSED;
		return true;
	}
	return false;
}

/* Time the cable takes to carry len bytes (bandwidth only). */
MTK_NO_COVERAGE_INNER static uint64_t wire_ns(const struct emu_speed *sp, size_t len)
{
	uint64_t bps = sp->bytes_per_sec;
	return bps ? (uint64_t)len / bps * NSEC + (uint64_t)len % bps * NSEC / bps : 0;
}

/* Books `len` bytes going `dir` on the cable, which had them in hand at
 * `avail` (real time), and returns when the cable will have carried them.
 *
 * The clock is virtual: it advances by the modelled cost only, from the later
 * of "cable free" and "bytes available".  So idle time (the other side had
 * nothing to send) is never banked as credit, and the cable never moves bytes
 * faster than the model.  What the emulator spends on its own work (storage,
 * checksums) while the clock is ahead overlaps the modelled wire time, as the
 * device's work overlaps a real transfer.
 *
 * `lag_ns` is how much later than asked the last sleep woke up.  Every reply
 * and the other side's reaction to it were late by that much for no modelled
 * reason, so the next booking starts that much earlier (never before the
 * cable is free): sleep overshoot is paid back once instead of adding up. */
MTK_NO_COVERAGE_INNER static uint64_t charge(struct emu_link *l, enum emu_dir dir, size_t len, uint64_t avail)
{
	const struct emu_speed *sp = l->speed;
	struct emu_clock *c = &l->clk;
	uint64_t start = avail > c->lag_ns ? avail - c->lag_ns : 0;
	if (start < c->busy_until_ns)
		start = c->busy_until_ns;
	c->lag_ns = 0;
	if (dir != c->dir)
		start += sp->latency_ns;
	c->dir = dir;
	c->busy_until_ns = start + wire_ns(sp, len);
	return c->busy_until_ns;
}

/* Sleeps until the real clock reaches `until` (absolute, so short sleeps do
 * not drift) and notes the overshoot for charge(). */
MTK_NO_COVERAGE_INNER static int sleep_until(struct mtkemu *e, uint64_t until)
{
	bool slept = false;
	for (;;) {
		if (stopping(e))
			return -1;
		uint64_t now = emu_now_ns(e);
		if (now >= until) {
			e->link->clk.lag_ns = slept ? now - until : 0;
			return 0;
		}
		slept = true;
		uint64_t wake = until - now > POLL_MS * 1000000ull ? now + POLL_MS * 1000000ull : until;
		sleep_until_ns(e, wake);
	}
}

/* ---- faults ------------------------------------------------------------------ */

/* Bytes that may still move before a byte-count fault fires. */
MTK_NO_COVERAGE_INNER static uint64_t fault_budget(const struct emu_link *l)
{
	uint64_t b = UINT64_MAX;
	if (l->f.has_disconnect && !l->disconnect_fired)
		b = l->f.disconnect_after > l->total ? l->f.disconnect_after - l->total : 0;
	if (l->f.has_stall && !l->stall_fired) {
		uint64_t s = l->f.stall_after > l->total ? l->f.stall_after - l->total : 0;
		if (s < b)
			b = s;
	}
	if (l->f.has_power_loss && !l->power_loss_fired) {
		uint64_t p = l->f.power_loss_at > l->total ? l->f.power_loss_at - l->total : 0;
		if (p < b)
			b = p;
	}
	if (l->f.has_boot_on && !l->boot_on_fired) {
		uint64_t g = l->f.boot_on_at > l->total ? l->f.boot_on_at - l->total : 0;
		if (g < b)
			b = g;
	}
	return b;
}

static void cut(struct mtkemu *e, enum emu_fault_kind kind)
{
	e->link->fired = kind;
	e->link->state = EMU_LINK_FAULT;
	/* A socket peer sees EOF at once; for a pty the owner (pty.c) closes
	 * the master when mtkemu_serve() reports the fault. */
	if (e->fd >= 0)
		shutdown(e->fd, SHUT_RDWR);
}

/* The device hangs: it neither reads nor writes, but the cable stays in
 * until the host gives up (hang-up) or the emulator is stopped. */
static void stall(struct mtkemu *e)
{
	e->link->stall_fired = true;
	e->link->fired = EMU_FAULT_HANG;
	/* A scripted host has sent all it will: it gives up at once. */
	if (e->link->script) {
		e->link->state = EMU_LINK_FAULT;
		return;
	}
	for (;;) {
		if (stopping(e)) {
			if (e->link->state == EMU_LINK_CLOSED)
				e->link->state = EMU_LINK_FAULT;
			return;
		}
		struct pollfd p = { .fd = e->fd, .events = 0 };
		int n = poll(&p, 1, POLL_MS);
		if (n > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
			e->link->state = EMU_LINK_FAULT;
			return;
		}
	}
}

/* Called when the budget ran out: whichever fault's threshold was reached. */
static void fire(struct mtkemu *e)
{
	struct emu_link *l = e->link;
	if (l->f.has_power_loss && !l->power_loss_fired && l->total >= l->f.power_loss_at) {
		l->power_loss_fired = true;
		cut(e, EMU_FAULT_POWER_LOSS);
	} else if (l->f.has_boot_on && !l->boot_on_fired && l->total >= l->f.boot_on_at) {
		l->boot_on_fired = true;
		cut(e, EMU_FAULT_BOOT_ON);
	} else if (l->f.has_disconnect && !l->disconnect_fired && l->total >= l->f.disconnect_after) {
		l->disconnect_fired = true;
		cut(e, EMU_FAULT_UNPLUG);
	} else {
		stall(e);
	}
}

/* ---- byte I/O ---------------------------------------------------------------- */

/* The plumbing that moves bytes (waiting, the fault budget, the stop checks)
 * is MTK_NO_COVERAGE: it runs for every field of every command, and its
 * coverage tracing was half of a fuzz run, while the branches a fuzzer is
 * after are in the protocol code that calls it.  So are emu_send/emu_recv
 * and the link model's arithmetic; a fault firing (fire, cut, stall) is
 * still traced. */

/* A scripted host is always ready to take bytes and has its bytes there
 * at once; after the last one it has closed the port. */
MTK_NO_COVERAGE_INNER static int wait_script(struct mtkemu *e, short events)
{
	struct emu_link *l = e->link;
	if (stopping(e))
		return -1;
	if ((events & POLLIN) && l->script_in >= l->script->len) {
		l->state = EMU_LINK_CLOSED;
		return -1;
	}
	return 0;
}

/* 0 ready, -1 the session ended, 1 timeout_ms (-1: none) passed first. */
MTK_NO_COVERAGE_INNER static int wait_fd_until(struct mtkemu *e, short events, int64_t timeout_ms)
{
	if (e->link->script)
		return wait_script(e, events);
	const struct emu_session_watch *w = e->link->watch;
	uint64_t deadline = timeout_ms >= 0 ? emu_now_ns(e) + (uint64_t)timeout_ms * 1000000ull : UINT64_MAX;
	for (;;) {
		struct pollfd pw[2] = { { .fd = e->fd, .events = events }, { .fd = w ? w->fd : -1, .events = POLLIN } };
		struct pollfd *p = &pw[0];
		uint64_t now = emu_now_ns(e);
		int wait_ms = POLL_MS;
		if (deadline != UINT64_MAX)
			wait_ms = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
		if (wait_ms > POLL_MS)
			wait_ms = POLL_MS;
		int n = poll(pw, 2, wait_ms);
		/* Asked after the wake-up and before any read: bytes of the
		 * host's next session must not be eaten by this one. */
		if (stopping(e))
			return -1;
		if (n < 0 && errno != EINTR) {
			e->link->state = EMU_LINK_CLOSED;
			return -1;
		}
		/* A hang-up ends the session even with bytes still queued: nobody
		 * is left to read the answers.  It must be taken from this poll,
		 * because a pty host that reopens the port at once clears it. */
		if (n > 0 && (p->revents & (POLLNVAL | POLLHUP))) {
			e->link->state = EMU_LINK_CLOSED;
			return -1;
		}
		if (n > 0 && (p->revents & (events | POLLERR)))
			return 0;
		if (deadline != UINT64_MAX && emu_now_ns(e) >= deadline)
			return 1;
	}
}

MTK_NO_COVERAGE_INNER static int wait_fd(struct mtkemu *e, short events)
{
	return wait_fd_until(e, events, -1);
}

int emu_wait_input(struct mtkemu *e, unsigned timeout_ms)
{
	if (e->link->state != EMU_LINK_UP)
		return -1;
	int rc = wait_fd_until(e, POLLIN, timeout_ms);
	return rc < 0 ? -1 : rc == 0;
}

MTK_NO_COVERAGE_INNER static int script_read(struct emu_link *l, uint8_t *buf, size_t len)
{
	size_t n = l->script->len - l->script_in < len ? l->script->len - l->script_in : len;
	memcpy(buf, l->script->in + l->script_in, n);
	l->script_in += n;
	return (int)n;
}

/* Past out_cap the host unplugs: the device's write finds nobody there. */
MTK_NO_COVERAGE_INNER static int script_write(struct emu_link *l, const uint8_t *buf, size_t len)
{
	const struct mtkemu_host_script *h = l->script;
	if (h->out_cap && l->script_out > h->out_cap) {
		l->state = EMU_LINK_CLOSED;
		return -1;
	}
	if (h->sink)
		h->sink(h->user, buf, len);
	l->script_out += len;
	return (int)len;
}

MTK_NO_COVERAGE_INNER static int read_some(struct mtkemu *e, uint8_t *buf, size_t len)
{
	if (wait_fd(e, POLLIN) < 0)
		return -1;
	if (e->link->script)
		return script_read(e->link, buf, len);
	ssize_t n = read(e->fd, buf, len);
	if (n > 0)
		return (int)n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	/* 0 = EOF (socket), EIO = the pty's slave side was closed. */
	e->link->state = EMU_LINK_CLOSED;
	return -1;
}

MTK_NO_COVERAGE_INNER static int write_some(struct mtkemu *e, const uint8_t *buf, size_t len)
{
	if (wait_fd(e, POLLOUT) < 0)
		return -1;
	if (e->link->script)
		return script_write(e->link, buf, len);
	ssize_t n = e->link->is_socket ? send(e->fd, buf, len, MSG_NOSIGNAL) : write(e->fd, buf, len);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	e->link->state = EMU_LINK_CLOSED;
	return -1;
}

typedef int (*io_fn)(struct mtkemu *e, uint8_t *buf, size_t len);

enum { MOVED, GONE = -1, FAULT = 1 };

/* Moves len bytes, or as many as the fault budget allows (FAULT: the caller
 * fires the fault once the link model has carried what did move).  *first is
 * when the first bytes went through: for a read, when the host's bytes were
 * there to be carried. */
MTK_NO_COVERAGE_INNER static int move_bytes(struct mtkemu *e, uint8_t *buf, size_t len, io_fn io, uint64_t *first)
{
	struct emu_link *l = e->link;
	if (l->state != EMU_LINK_UP)
		return GONE;
	uint64_t budget = fault_budget(l);
	size_t now = budget < len ? (size_t)budget : len;
	*first = 0;
	for (size_t done = 0; done < now;) {
		size_t chunk = now - done > 1u << 30 ? 1u << 30 : now - done;
		int n = io(e, buf + done, chunk);
		if (n < 0)
			return GONE;
		if (n > 0 && !done && l->speed->bytes_per_sec)
			*first = emu_now_ns(e);
		done += (size_t)n;
		l->total += (uint64_t)n;
	}
	return now < len ? FAULT : MOVED;
}

MTK_NO_COVERAGE_INNER static int read_io(struct mtkemu *e, uint8_t *buf, size_t len)
{
	return read_some(e, buf, len);
}

MTK_NO_COVERAGE_INNER static int write_io(struct mtkemu *e, uint8_t *buf, size_t len)
{
	return write_some(e, buf, len);
}

MTK_NO_COVERAGE_INNER static bool modelled(const struct mtkemu *e, size_t len)
{
	return e->link->speed->bytes_per_sec && len;
}

/* Does not wait for the model: the bytes are booked on the cable's clock, and
 * the device's next reply waits for it (emu_send), so the host cannot see an
 * answer before the question would have arrived, while the device's own work
 * on the bytes overlaps their modelled wire time. */
#define SEND_STEP (64u << 10) /* see emu_send() */

/* A scripted host with no link model and no byte-count fault to come: its
 * bytes are in memory, and a fuzz run moves most of them a field at a time,
 * so they go straight between the script and the device, with the same
 * checks in the same order as through move_bytes(). */
MTK_NO_COVERAGE_INNER __attribute__((always_inline)) static inline bool script_direct(const struct emu_link *l)
{
	return l->script && l->state == EMU_LINK_UP && !l->speed->bytes_per_sec &&
	       (!l->byte_faults || fault_budget(l) == UINT64_MAX);
}

MTK_NO_COVERAGE_INNER static int script_recv(struct mtkemu *e, uint8_t *buf, size_t len)
{
	struct emu_link *l = e->link;
	if (!len)
		return 0;
	if (stopping(e))
		return -1;
	size_t n = l->script->len - l->script_in < len ? l->script->len - l->script_in : len;
	memcpy(buf, l->script->in + l->script_in, n);
	l->script_in += n;
	l->total += n;
	if (n == len)
		return 0;
	l->state = EMU_LINK_CLOSED; /* the host sent all it had, and closed */
	return -1;
}

MTK_NO_COVERAGE_INNER static int script_send(struct mtkemu *e, const uint8_t *buf, size_t len)
{
	for (size_t done = 0, n; done < len; done += n) {
		n = len - done < SEND_STEP ? len - done : SEND_STEP;
		if (stopping(e) || script_write(e->link, buf + done, n) < 0)
			return -1;
		e->link->total += n;
	}
	return 0;
}

/* The bytes the host wrote before this reply went out are still unread
 * when the device answers part of a request (a command's header, then the
 * rest of it after the ACK): they came in the host's last transfer, before
 * the turnaround, so they are booked there and the read that takes them
 * later costs no new transfer. */
static void book_unread_input(struct mtkemu *e)
{
	struct emu_link *l = e->link;
	int pending = 0;
	if (e->fd < 0 || l->script || ioctl(e->fd, FIONREAD, &pending) != 0 || pending <= 0 ||
	    (uint64_t)pending <= l->precharged)
		return;
	uint64_t fresh = (uint64_t)pending - l->precharged;
	charge(l, DIR_IN, (size_t)fresh, emu_now_ns(e));
	l->precharged += fresh;
}

/* Bytes of a read that book_unread_input() booked already. */
static size_t take_precharged(struct emu_link *l, size_t len)
{
	size_t n = l->precharged < len ? (size_t)l->precharged : len;
	l->precharged -= n;
	return n;
}

/* Through the link model and the fault budget.  Apart from emu_recv, whose
 * scripted fast path then sets up no stack frame with locals for ASan to
 * track (a tenth of the cost of a one-byte read). */
MTK_NO_COVERAGE static int recv_linked(struct mtkemu *e, void *buf, size_t len)
{
	struct emu_link *l = e->link;
	uint64_t first, moved = l->total;
	int rc = move_bytes(e, buf, len, read_io, &first);
	moved = l->total - moved;
	if (rc == GONE)
		return -1;
	if (rc == FAULT) {
		/* The cut (or hang) comes after the bytes before it were carried. */
		if (modelled(e, (size_t)moved) && sleep_until(e, charge(l, DIR_IN, (size_t)moved, first)) < 0)
			return -1;
		/* ... and only when the byte over the budget really comes: firing
		 * as the budget reaches 0 would close the pty under the host
		 * before it read the last answer, which the close discards. */
		if (wait_fd(e, POLLIN) < 0)
			return -1;
		fire(e);
		return -1;
	}
	size_t booked = take_precharged(l, len);
	if (modelled(e, len - booked))
		charge(l, DIR_IN, len - booked, first);
	return 0;
}

MTK_NO_COVERAGE int emu_recv(struct mtkemu *e, void *buf, size_t len)
{
	return script_direct(e->link) ? script_recv(e, buf, len) : recv_linked(e, buf, len);
}

/* The host sees the bytes as the cable carries them, SEND_STEP at a time (as
 * from a CDC-ACM port, whose reads complete URB by URB), the last of them when
 * the modelled transfer ends.  Steps keep the emulator's own copying off the
 * modelled time without a sleep per USB packet. */

MTK_NO_COVERAGE int emu_send_begin(struct mtkemu *e, struct emu_tx *tx, size_t len)
{
	struct emu_link *l = e->link;
	tx->end = tx->from = 0;
	tx->done = 0;
	if (script_direct(l))
		return 0;
	if (l->state != EMU_LINK_UP)
		return -1;
	if (modelled(e, len))
		book_unread_input(e);
	tx->end = modelled(e, len) ? charge(l, DIR_OUT, len, emu_now_ns(e)) : 0;
	tx->from = tx->end - wire_ns(l->speed, len);
	tx->done = 0;
	return 0;
}

MTK_NO_COVERAGE int emu_send_part(struct mtkemu *e, struct emu_tx *tx, const void *buf, size_t len)
{
	struct emu_link *l = e->link;
	/* write_io never writes through the pointer. */
	uint8_t *p = (uint8_t *)(uintptr_t)buf;
	if (script_direct(l))
		return script_send(e, p, len);
	for (size_t done = 0, n; done < len; done += n, tx->done += n) {
		n = len - done < SEND_STEP ? len - done : SEND_STEP;
		if (tx->end && sleep_until(e, tx->from + wire_ns(l->speed, tx->done + n)) < 0)
			return -1;
		uint64_t first;
		int rc = move_bytes(e, p + done, n, write_io, &first);
		if (rc == FAULT)
			fire(e);
		if (rc != MOVED)
			return -1;
	}
	return 0;
}

MTK_NO_COVERAGE static int send_linked(struct mtkemu *e, const void *buf, size_t len)
{
	struct emu_tx tx;
	return emu_send_begin(e, &tx, len) < 0 ? -1 : emu_send_part(e, &tx, buf, len);
}

/* What emu_send_begin and emu_send_part would each decide, once (most
 * replies are a byte or a word), and no frame for ASan (see recv_linked). */
MTK_NO_COVERAGE static int send_any(struct mtkemu *e, const void *buf, size_t len)
{
	return script_direct(e->link) ? script_send(e, buf, len) : send_linked(e, buf, len);
}

/* Traced, as are the field helpers below: how many fields an input got
 * through is a signal for the fuzzer.  Only that: the link's decisions are
 * made untraced in send_any (ten traced 64-bit compares per reply were a
 * tenth of fuzz_emu_brom, which echoes every command byte). */
int emu_send(struct mtkemu *e, const void *buf, size_t len)
{
	return send_any(e, buf, len);
}

int emu_send_u16be(struct mtkemu *e, uint16_t v)
{
	uint8_t b[2];
	mtk_put_u16be(b, v);
	return emu_send(e, b, sizeof b);
}

int emu_send_u32be(struct mtkemu *e, uint32_t v)
{
	uint8_t b[4];
	mtk_put_u32be(b, v);
	return emu_send(e, b, sizeof b);
}

int emu_recv_u32be(struct mtkemu *e, uint32_t *v)
{
	uint8_t b[4];
	if (emu_recv(e, b, sizeof b) < 0)
		return -1;
	*v = mtk_get_u32be(b);
	return 0;
}

int emu_recv_u8(struct mtkemu *e, uint8_t *v)
{
	return emu_recv(e, v, 1);
}

void emu_swallow(struct mtkemu *e)
{
	struct emu_link *l = e->link;
	uint8_t buf[4096];
	uint8_t one;
	for (;;) {
		/* Near a byte-count fault, byte by byte: it fires where emu_recv says. */
		if (fault_budget(l) < sizeof buf) {
			if (emu_recv(e, &one, 1) < 0)
				return;
			continue;
		}
		if (l->state != EMU_LINK_UP)
			return;
		int n = read_some(e, buf, sizeof buf);
		if (n < 0)
			return;
		l->total += (uint64_t)n;
		size_t booked = take_precharged(l, (size_t)n);
		if (modelled(e, (size_t)n - booked))
			charge(l, DIR_IN, (size_t)n - booked, emu_now_ns(e));
	}
}

int emu_recv_within(struct mtkemu *e, void *buf, size_t len, unsigned timeout_ms)
{
	uint64_t deadline = emu_now_ns(e) + (uint64_t)timeout_ms * 1000000ull;
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++) {
		uint64_t now = emu_now_ns(e);
		int rc = emu_wait_input(e, now >= deadline ? 0 : (unsigned)((deadline - now) / 1000000));
		if (rc <= 0)
			return rc < 0 ? -1 : 1;
		if (emu_recv(e, p + i, 1) < 0)
			return -1;
	}
	return 0;
}
