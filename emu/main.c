/* SPDX-License-Identifier: MIT */
/* mtkemu: a software MediaTek phone on a pty.
 *
 *   mtkemu --chip CHIP --state DIR [--link PATH] [--mode M] [--faults SPEC] [--speed MODEL] [--secure FLAGS]
 *   mtkemu --list
 *   mtkemu provision ...
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime failure, 2 on bad usage. */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"
#include "emu_pty.h"

static atomic_bool g_stop;
static struct mtkemu *g_emu;

static const char usage_text[] =
	"Usage: mtkemu --chip CHIP --state DIR [OPTIONS]\n"
	"       mtkemu --list\n"
	"       mtkemu provision --help\n"
	"\n"
	"Emulates a MediaTek phone in BootROM or preloader download mode on a pty.\n"
	"Prints \"ready PATH\" once the port can be opened, and serves until SIGTERM or\n"
	"SIGINT.  The device stays plugged in: after the host closes the port, the next\n"
	"open starts a new session (a fresh handshake).\n"
	"\n"
	"Options:\n"
	"  --chip CHIP       chip profile, e.g. mt6765 (see --list)\n"
	"  --state DIR       the device's storage and identity; created if missing\n"
	"  --link PATH       also make PATH a symlink to the pty (an existing symlink is\n"
	"                    replaced, any other file is refused); removed at exit\n"
	"  --mode M          brom | preloader (default: preloader if the storage holds a\n"
	"                    bootable preloader, else brom)\n"
	"  --faults SPEC     comma-separated faults:\n"
	"                      disconnect-after=BYTES   cut the cable after BYTES (both\n"
	"                                               directions); the port reappears\n"
	"                      stall-after=BYTES        stop answering after BYTES\n"
	"                      da-silent                the DA never answers after JUMP_DA\n"
	"                      write-protect            the eMMC refuses every write and erase\n"
	"                      corrupt-write=REGION:OFFSET:LEN\n"
	"                                               flip written bytes in boot1, boot2,\n"
	"                                               rpmb or user\n"
	"                    BYTES take K/M/G suffixes or 0x hex\n"
	"  --speed MODEL     link model: usb2-hs (40 MB/s, 125 us per transfer),\n"
	"                    usb2-fs (1 MB/s, 1 ms per transfer), none (default);\n"
	"                    a transfer is what one side sends before the other answers\n"
	"  --secure FLAGS    target_config: a list of sbc, sla, daa, epp, root-cert,\n"
	"                    mem-read, mem-write, c8-block (or none), or a hex value\n"
	"  --list            print the chips and exit\n"
	"  -h, --help        this text\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mtkemu: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mtkemu --help'.\n");
	return 2;
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&g_stop, true);
	if (g_emu)
		mtkemu_stop(g_emu);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct args {
	struct mtkemu_options opt;
	const char *link;
	bool list;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { O_CHIP = 256, O_STATE, O_LINK, O_MODE, O_FAULTS, O_SPEED, O_SECURE, O_LIST };
	static const struct option longopts[] = {
		{ "chip", required_argument, NULL, O_CHIP },	 { "state", required_argument, NULL, O_STATE },
		{ "link", required_argument, NULL, O_LINK },	 { "mode", required_argument, NULL, O_MODE },
		{ "faults", required_argument, NULL, O_FAULTS }, { "speed", required_argument, NULL, O_SPEED },
		{ "secure", required_argument, NULL, O_SECURE }, { "list", no_argument, NULL, O_LIST },
		{ "help", no_argument, NULL, 'h' },		 { NULL, 0, NULL, 0 },
	};
	opterr = 0;
	for (int c; (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1;) {
		switch (c) {
		case O_CHIP: a->opt.chip = optarg; break;
		case O_STATE: a->opt.state_dir = optarg; break;
		case O_LINK: a->link = optarg; break;
		case O_MODE: a->opt.mode = optarg; break;
		case O_FAULTS: a->opt.faults = optarg; break;
		case O_SPEED: a->opt.speed = optarg; break;
		case O_SECURE: a->opt.security = optarg; break;
		case O_LIST: a->list = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (a->list)
		return -1;
	if (!a->opt.chip)
		return usage_error("%s", "--chip CHIP is required (see --list)");
	if (!a->opt.state_dir)
		return usage_error("%s", "--state DIR is required");
	return -1;
}

static int plug_in(struct emu_pty *pty, const char *link)
{
	char err[512];
	if (emu_pty_open(pty, err, sizeof err) < 0 || (link && emu_pty_link(link, pty->slave, err, sizeof err) < 0)) {
		fprintf(stderr, "mtkemu: %s\n", err);
		return -1;
	}
	printf("ready %s\n", link ? link : pty->slave);
	fflush(stdout);
	return 0;
}

struct session {
	struct emu_pty *pty;
	unsigned n;
};

static bool host_gone(void *ctx)
{
	struct session *s = ctx;
	emu_pty_events(s->pty);
	return s->pty->closed >= s->n;
}

/* One session per host open (a fresh handshake each time).  A fault that
 * cut the link unplugs the device: the old pty hangs up and a new one takes
 * over the link path. */
static int serve_forever(struct mtkemu *emu, struct emu_pty *pty, const char *link)
{
	struct session s = { pty, 0 };
	struct emu_session_watch w = { -1, host_gone, &s };
	while (!atomic_load(&g_stop)) {
		s.n++;
		if (emu_pty_wait_opened(pty, s.n, &g_stop) < 0)
			break;
		w.fd = pty->inotify;
		emu_link_watch(emu, &w);
		int rc = mtkemu_serve(emu, pty->master);
		emu_link_watch(emu, NULL);
		if (atomic_load(&g_stop))
			break;
		if (rc == 1) {
			emu_pty_close(pty);
			if (plug_in(pty, link) < 0)
				return 1;
			s.n = 0;
			continue;
		}
		/* Bytes the host sent and never waited for are not flushed: by
		 * now they may already be the next session's first bytes. */
		if (emu_pty_wait_closed(pty, s.n, &g_stop) < 0)
			break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "provision") == 0)
		return emu_provision_main(argc - 1, argv + 1);
	struct args a;
	memset(&a, 0, sizeof a);
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.list) {
		for (const char *const *n = mtkemu_chip_names(); *n; n++)
			puts(*n);
		return 0;
	}
	char err[1024];
	struct mtkemu *emu;
	if (mtkemu_new(&a.opt, &emu, err, sizeof err) < 0)
		return usage_error("%s", err);
	g_emu = emu;
	install_signals();
	struct emu_pty pty = { .master = -1 };
	rc = plug_in(&pty, a.link) < 0 ? 1 : serve_forever(emu, &pty, a.link);
	if (a.link && pty.master >= 0)
		emu_pty_unlink(a.link, pty.slave);
	emu_pty_close(&pty);
	g_emu = NULL;
	mtkemu_free(emu);
	return rc;
}
