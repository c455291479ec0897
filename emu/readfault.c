/* SPDX-License-Identifier: MIT */
/* Storage read faults (emu_internal.h): worn eMMC as a backup meets it.
 * Unreadable ranges, ranges that fail some of the time, ranges the storage
 * delivers at a crawl.  They apply to the DA's READ commands only (what a
 * host asks for); the emulator's own looks at its storage (boot model, PMT)
 * are not reads of the worn cells' data by a host and stay unaffected.
 *
 * How a DA reports the failure is the personality's business (da_legacy.c:
 * the READ refusal, NACK and status; da_xflash.c: a status in place of the
 * chunk), as the reference documents describe. */
#include "emu_internal.h"
#include "emu_storage.h"

#include <stdio.h>
#include <string.h>

#define NSEC 1000000000ull

static const struct {
	const char *name;
	bool arg;
} kinds[] = {
	[EMU_READ_ERROR] = { "read-error", false },
	[EMU_READ_FLAKY] = { "read-flaky", true },
	[EMU_READ_SLOW] = { "read-slow", true },
};

static int parse_flaky_arg(struct emu_read_fault *f, const char *a, char *err, size_t errlen)
{
	size_t n = strlen(a);
	char num[32];
	if (n && a[n - 1] == '%') {
		snprintf(num, sizeof num, "%.*s", (int)(n - 1 < sizeof num ? n - 1 : sizeof num - 1), a);
		if (!emu_parse_count(num, &f->arg) || f->arg == 0 || f->arg > 100) {
			snprintf(err, errlen, "read-flaky: '%s' is not a percentage from 1%% to 100%%", a);
			return -1;
		}
		f->kind = EMU_READ_FLAKY_P;
		return 0;
	}
	if (!emu_parse_count(a, &f->arg) || f->arg == 0 || f->arg > 1000000) {
		snprintf(err, errlen, "read-flaky: '%s' is not a count of failures (1..1000000) or a percentage", a);
		return -1;
	}
	return 0;
}

static int parse_seed(struct emu_read_faults *rf, const char *v, char *err, size_t errlen)
{
	if (!v || !emu_parse_count(v, &rf->rng)) {
		snprintf(err, errlen, "fault-seed needs a number (e.g. fault-seed=7)");
		return -1;
	}
	return 0;
}

int emu_read_fault_parse(struct emu_read_faults *rf, const char *name, const char *v, char *err, size_t errlen)
{
	if (strcmp(name, "fault-seed") == 0)
		return parse_seed(rf, v, err, errlen);
	size_t k = 0;
	while (k < sizeof kinds / sizeof kinds[0] && !(kinds[k].name && strcmp(kinds[k].name, name) == 0))
		k++;
	if (k == sizeof kinds / sizeof kinds[0])
		return 1;
	if (!v || !*v) {
		snprintf(err, errlen, "%s needs REGION:OFFSET:LEN%s", name, kinds[k].arg ? ":ARG" : "");
		return -1;
	}
	if (rf->n == EMU_MAX_READ_FAULTS) {
		snprintf(err, errlen, "at most %d read faults", EMU_MAX_READ_FAULTS);
		return -1;
	}
	struct emu_read_fault f = { .kind = (enum emu_read_fault_kind)k };
	const char *arg = NULL;
	if (emu_fault_parse_range(name, v, &f.area, &f.offset, &f.len, kinds[k].arg ? &arg : NULL, err, errlen) < 0)
		return -1;
	if (f.kind == EMU_READ_FLAKY && parse_flaky_arg(&f, arg, err, errlen) < 0)
		return -1;
	if (f.kind == EMU_READ_SLOW && (!emu_parse_count(arg, &f.arg) || f.arg == 0)) {
		snprintf(err, errlen, "read-slow: '%s' is not a rate in bytes per second (K/M suffixes)", arg);
		return -1;
	}
	rf->f[rf->n++] = f;
	return 0;
}

static uint64_t overlap(const struct emu_read_fault *f, int area, uint64_t off, uint64_t len)
{
	if (f->area != area)
		return 0;
	uint64_t a = off > f->offset ? off : f->offset;
	uint64_t b = off + len < f->offset + f->len ? off + len : f->offset + f->len;
	return b > a ? b - a : 0;
}

static unsigned percent_roll(struct emu_read_faults *rf)
{
	uint64_t x = rf->rng ? rf->rng : 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rf->rng = x;
	return (unsigned)(x % 100);
}

/* Every flaky range touched counts the attempt, also when another range
 * already failed it: each models its own worn cells. */
int emu_fault_read_check(struct mtkemu *e, int area, uint64_t off, uint64_t len)
{
	struct emu_read_faults *rf = emu_link_read_faults(e);
	int rc = 0;
	for (size_t i = 0; i < rf->n; i++) {
		struct emu_read_fault *f = &rf->f[i];
		if (!overlap(f, area, off, len))
			continue;
		if (f->kind == EMU_READ_ERROR)
			rc = -1;
		else if (f->kind == EMU_READ_FLAKY && f->arg > 0 && f->arg--)
			rc = -1;
		else if (f->kind == EMU_READ_FLAKY_P && percent_roll(rf) < f->arg)
			rc = -1;
	}
	return rc;
}

void emu_fault_read_pace(struct mtkemu *e, int area, uint64_t off, uint64_t len)
{
	struct emu_read_faults *rf = emu_link_read_faults(e);
	uint64_t ns = 0;
	for (size_t i = 0; i < rf->n; i++)
		if (rf->f[i].kind == EMU_READ_SLOW) {
			uint64_t n = overlap(&rf->f[i], area, off, len), rate = rf->f[i].arg;
			ns += n / rate * NSEC + n % rate * NSEC / rate;
		}
	if (ns)
		emu_sleep_ns(e, ns);
}
