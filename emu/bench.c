/* SPDX-License-Identifier: MIT */
/* `mtkemu bench`: many phones from one process, for rehearsing a batch.
 *
 * One thread per phone, each running the same serve loop as `mtkemu`
 * (phone.c) on its own device object and pty.  Threads rather than one poll
 * loop because mtkemu_serve() blocks the way firmware does (read a command,
 * answer it): the personalities are straight-line code, and a poll loop
 * would have to turn every one of them into a state machine.  A phone's
 * state is its struct mtkemu and struct emu_phone; nothing is shared but
 * stdout, where each line is written whole.
 *
 * Signals are blocked in every thread and taken by the main thread with
 * sigwaitinfo(), so no handler runs inside a phone's thread. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_phone.h"
#include "emu_storage.h"

#define BENCH_MAX 128
#define LIST_MAX 32
#define FAULTS_MAX 64

static const char bench_usage[] =
	"Usage: mtkemu bench --count N --chip CHIP[,CHIP...] --state DIR [OPTIONS]\n"
	"\n"
	"Serves N emulated phones from one process, each on its own pty, until SIGTERM\n"
	"or SIGINT.  Phone K (01, 02, ...) keeps its state in DIR/phone-K (provisioned\n"
	"like `mtkemu provision` when it holds no device yet) and its port at the\n"
	"symlink DIR/phone-K/tty.  Chips (and modes) are dealt round-robin from the\n"
	"lists.  One line per phone, in phone order, once every port can be opened:\n"
	"  ready DIR/phone-K/tty phone=K chip=CHIP\n"
	"and, as with `mtkemu`, again (or \"gone ...\") when that phone leaves the bus.\n"
	"Each phone behaves as `mtkemu --chip CHIP --state DIR/phone-K --link\n"
	"DIR/phone-K/tty` would.  SIGUSR1 replugs every phone, SIGUSR2 power-cycles\n"
	"every phone; sent with sigqueue() and the value K, phone K only.\n"
	"\n"
	"Options:\n"
	"  --count N          phones (1..128)\n"
	"  --chip LIST        chip profiles, comma-separated (see mtkemu --list)\n"
	"  --state DIR        the bench's folder (created if missing)\n"
	"  --scatter FILE     the layout of phones provisioned now (default: the\n"
	"                     chip's default layout, as `mkfirmware` packages)\n"
	"  --mode LIST        brom | preloader, comma-separated, dealt like the chips\n"
	"  --speed MODEL      link model of every phone: usb2-hs, usb2-fs, none\n"
	"  --faults K:SPEC    plant SPEC (the syntax of mtkemu --faults) on phone K\n"
	"                     only; repeatable\n"
	"  --preloader-model M, --listen-ms N, --secure FLAGS   as for mtkemu, on every phone\n"
	"  -h, --help         this text\n";

struct bench_args {
	unsigned count;
	char *chip_list, *mode_list; /* copies, cut at the commas */
	const char *chips[LIST_MAX], *modes[LIST_MAX];
	size_t nchips, nmodes;
	const char *dir, *scatter;
	struct mtkemu_options common; /* speed, preloader model, listen window, security */
	struct {
		unsigned phone;
		const char *spec, *arg; /* arg: the whole K:SPEC, for messages */
	} faults[FAULTS_MAX];
	size_t nfaults;
};

struct bench_phone {
	struct emu_phone ph;
	unsigned index; /* 1-based */
	const char *chip;
	char state[PATH_MAX], link[PATH_MAX + 8], tag[64], faults[2048];
	pthread_t thread;
	bool running;
	int status;
};

static int bench_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mtkemu bench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mtkemu bench --help'.\n");
	return 2;
}

/* Cuts `copy` at its commas; -1 on an empty entry or too many. */
static int split_list(char *copy, const char **out, size_t *n)
{
	*n = 0;
	for (char *p = copy;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!*p || *n == LIST_MAX)
			return -1;
		out[(*n)++] = p;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int parse_number(const char *s, unsigned long max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *s == '+' || *end || errno || v == 0 || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* K:SPEC; K is checked against --count once every option is read. */
static int add_fault(struct bench_args *a, const char *v)
{
	const char *colon = strchr(v, ':');
	char num[16];
	size_t n = colon ? (size_t)(colon - v) : 0;
	if (!colon || n == 0 || n >= sizeof num || !colon[1])
		return bench_error("--faults: '%s' is not PHONE:SPEC (e.g. 2:unplug-at=64K)", v);
	memcpy(num, v, n);
	num[n] = '\0';
	if (a->nfaults == FAULTS_MAX)
		return bench_error("--faults: more than %s entries", "64");
	if (parse_number(num, BENCH_MAX, &a->faults[a->nfaults].phone) < 0)
		return bench_error("--faults: '%s' is not a phone number (1..128)", num);
	a->faults[a->nfaults].arg = v;
	a->faults[a->nfaults++].spec = colon + 1;
	return -1;
}

static int set_list(char **copy, const char **out, size_t *n, const char *opt, const char *v)
{
	free(*copy);
	*copy = strdup(v);
	if (!*copy)
		return bench_error("%s", "out of memory");
	if (split_list(*copy, out, n) < 0)
		return bench_error(opt, v);
	return -1;
}

/* One option; -1 to go on, or an exit status. */
static int bench_option(struct bench_args *a, int c, char **argv)
{
	switch (c) {
	case 'n':
		return parse_number(optarg, BENCH_MAX, &a->count) < 0
			       ? bench_error("--count: '%s' is not a number of phones (1..128)", optarg)
			       : -1;
	case 'c': return set_list(&a->chip_list, a->chips, &a->nchips, "--chip: bad chip list '%s'", optarg);
	case 'm': return set_list(&a->mode_list, a->modes, &a->nmodes, "--mode: bad mode list '%s'", optarg);
	case 's': a->dir = optarg; return -1;
	case 'S': a->scatter = optarg; return -1;
	case 'f': return add_fault(a, optarg);
	case 'p': a->common.speed = optarg; return -1;
	case 'P': a->common.preloader = optarg; return -1;
	case 'x': a->common.security = optarg; return -1;
	case 'l':
		return parse_number(optarg, 3600000, &a->common.listen_ms) < 0
			       ? bench_error("--listen-ms: '%s' is not a time in ms (1..3600000)", optarg)
			       : -1;
	case 'h': fputs(bench_usage, stdout); return 0;
	case ':': return bench_error("option '%s' needs a value", argv[optind - 1]);
	default: return bench_error("unknown option '%s'", argv[optind - 1]);
	}
}

static int check_args(const struct bench_args *a)
{
	if (!a->count)
		return bench_error("%s", "--count N is required");
	if (!a->nchips)
		return bench_error("%s", "--chip CHIP[,CHIP...] is required");
	if (!a->dir || !*a->dir)
		return bench_error("%s", "--state DIR is required");
	for (size_t i = 0; i < a->nfaults; i++)
		if (a->faults[i].phone > a->count)
			return bench_error("--faults %s: no such phone (see --count)", a->faults[i].arg);
	return -1;
}

static int parse_bench_args(int argc, char **argv, struct bench_args *a)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },	     { "chip", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },	     { "scatter", required_argument, NULL, 'S' },
		{ "mode", required_argument, NULL, 'm' },	     { "faults", required_argument, NULL, 'f' },
		{ "speed", required_argument, NULL, 'p' },	     { "preloader-model", required_argument, NULL, 'P' },
		{ "listen-ms", required_argument, NULL, 'l' },	     { "secure", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },		     { NULL, 0, NULL, 0 },
	};
	opterr = 0;
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1;) {
		int rc = bench_option(a, c, argv);
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return bench_error("unexpected argument '%s'", argv[optind]);
	return check_args(a);
}

/* ---- phones ------------------------------------------------------------------ */

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	fprintf(stderr, "mtkemu bench: cannot create %s: %s\n", path, strerror(errno));
	return -1;
}

/* A folder with no device.ini holds no phone yet: provision it. */
static int provision_if_absent(const struct bench_args *a, const struct bench_phone *p)
{
	char ini[PATH_MAX + 16];
	snprintf(ini, sizeof ini, "%s/device.ini", p->state);
	if (access(ini, F_OK) == 0)
		return 0;
	static struct emu_provision_result res; /* large; provisioning runs before any thread */
	struct emu_provision_opts o = { .chip = p->chip, .state_dir = p->state, .scatter = a->scatter };
	char err[512] = "";
	if (emu_provision(&o, &res, err, sizeof err) != 0) {
		fprintf(stderr, "mtkemu bench: phone %u: %s\n", p->index, err);
		return -1;
	}
	fprintf(stderr, "mtkemu bench: phone %u: provisioned %s in %s\n", p->index, p->chip, p->state);
	return 0;
}

/* What --faults planted on this phone, joined into one spec. */
static int phone_faults(const struct bench_args *a, struct bench_phone *p)
{
	size_t used = 0;
	p->faults[0] = '\0';
	for (size_t i = 0; i < a->nfaults; i++) {
		if (a->faults[i].phone != p->index)
			continue;
		int n = snprintf(p->faults + used, sizeof p->faults - used, "%s%s", used ? "," : "", a->faults[i].spec);
		if (n < 0 || (size_t)n >= sizeof p->faults - used) {
			fprintf(stderr, "mtkemu bench: phone %u: fault spec too long\n", p->index);
			return -1;
		}
		used += (size_t)n;
	}
	return 0;
}

static int new_phone(const struct bench_args *a, struct bench_phone *p, unsigned index)
{
	p->index = index;
	p->chip = a->chips[(index - 1) % a->nchips];
	int n = snprintf(p->state, sizeof p->state, "%s/phone-%02u", a->dir, index);
	if (n < 0 || (size_t)n >= sizeof p->state)
		return bench_error("--state: '%s' is too long", a->dir);
	snprintf(p->link, sizeof p->link, "%s/tty", p->state);
	snprintf(p->tag, sizeof p->tag, "phone=%02u chip=%s", index, p->chip);
	if (mkdir_one(p->state) < 0 || provision_if_absent(a, p) < 0 || phone_faults(a, p) < 0)
		return 1;
	struct mtkemu_options opt = a->common;
	opt.chip = p->chip;
	opt.state_dir = p->state;
	opt.mode = a->nmodes ? a->modes[(index - 1) % a->nmodes] : NULL;
	opt.faults = p->faults[0] ? p->faults : NULL;
	struct mtkemu *emu;
	char err[1024];
	if (mtkemu_new(&opt, &emu, err, sizeof err) < 0) {
		fprintf(stderr, "mtkemu bench: phone %u: %s\n", index, err);
		return 2;
	}
	emu_phone_init(&p->ph, emu, p->link, p->tag);
	return 0;
}

static void *phone_thread(void *arg)
{
	struct bench_phone *p = arg;
	p->status = emu_phone_serve(&p->ph);
	return NULL;
}

static void for_each_phone(struct bench_phone *ph, unsigned n, int sig)
{
	for (unsigned i = 0; i < n; i++) {
		if (sig == SIGUSR1 || sig == SIGUSR2)
			emu_phone_replug(&ph[i].ph, sig == SIGUSR2);
		else
			emu_phone_stop(&ph[i].ph);
	}
}

/* Until SIGTERM/SIGINT.  A replug signal goes to every phone, or, sent
 * with sigqueue() and a value K in 1..n, to phone K only: the next phone
 * arriving on one port of a batch. */
static void wait_for_stop(const sigset_t *set, struct bench_phone *ph, unsigned n)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0)
			continue; /* EINTR */
		int k = si.si_code == SI_QUEUE ? si.si_value.sival_int : 0;
		if ((sig == SIGUSR1 || sig == SIGUSR2) && k >= 1 && (unsigned)k <= n)
			for_each_phone(&ph[k - 1], 1, sig);
		else
			for_each_phone(ph, n, sig);
		if (sig == SIGTERM || sig == SIGINT)
			return;
	}
}

/* Every phone's storage is closed (and its lock released) by mtkemu_free. */
static int shut_down(struct bench_phone *ph, unsigned n)
{
	int rc = 0;
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].running)
			pthread_join(ph[i].thread, NULL);
		if (ph[i].status)
			rc = 1;
		if (ph[i].ph.emu) {
			emu_phone_unplug(&ph[i].ph);
			mtkemu_free(ph[i].ph.emu);
			ph[i].ph.emu = NULL;
		}
	}
	return rc;
}

static int start_phones(struct bench_phone *ph, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (emu_phone_plug_in(&ph[i].ph) < 0)
			return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		int err = pthread_create(&ph[i].thread, NULL, phone_thread, &ph[i]);
		if (err) {
			fprintf(stderr, "mtkemu bench: cannot start phone %u: %s\n", i + 1, strerror(err));
			return 1;
		}
		ph[i].running = true;
	}
	return 0;
}

static int run_bench(const struct bench_args *a)
{
	/* Blocked from the start, so a SIGTERM during provisioning is taken
	 * by the wait below and still stops cleanly. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (mkdir_one(a->dir) < 0)
		return 1;
	struct bench_phone *ph = calloc(a->count, sizeof *ph);
	if (!ph) {
		fprintf(stderr, "mtkemu bench: out of memory\n");
		return 1;
	}
	int rc = 0;
	for (unsigned i = 0; i < a->count && rc == 0; i++)
		rc = new_phone(a, &ph[i], i + 1);
	if (rc == 0)
		rc = start_phones(ph, a->count);
	if (rc == 0)
		wait_for_stop(&set, ph, a->count);
	else
		for_each_phone(ph, a->count, SIGTERM);
	int end = shut_down(ph, a->count);
	free(ph);
	return rc ? rc : end;
}

int emu_bench_main(int argc, char **argv)
{
	struct bench_args a;
	memset(&a, 0, sizeof a);
	int rc = parse_bench_args(argc, argv, &a);
	if (rc < 0)
		rc = run_bench(&a);
	free(a.chip_list);
	free(a.mode_list);
	return rc;
}
