/* SPDX-License-Identifier: MIT */
/* mtkemu: a software MediaTek phone on a pty.
 *
 *   mtkemu --chip CHIP --state DIR [--link PATH] [--mode M] [--faults SPEC] [--speed MODEL] [--secure FLAGS]
 *          [--preloader-model real|simple] [--listen-ms N]
 *   mtkemu --list
 *   mtkemu provision ...
 *   mtkemu mkfirmware ...
 *   mtkemu boot-check --state DIR [--json]
 *   mtkemu mkauth --key SEED --chip CHIP --out DIR [--force]
 *   mtkemu bench --count N --chip CHIP[,CHIP...] --state DIR ...   (bench.c)
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime failure, 2 on bad usage. */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_fw.h"
#include "emu_internal.h"
#include "emu_phone.h"
#include "emu_usb_main.h"

/* What the signal handler acts on: the one phone this process serves. */
static struct emu_phone g_phone;

static const char usage_text[] =
	"Usage: mtkemu --chip CHIP --state DIR [OPTIONS]\n"
	"       mtkemu --list\n"
	"       mtkemu provision --help\n"
	"       mtkemu mkfirmware --help\n"
	"       mtkemu boot-check --state DIR [--json]\n"
	"       mtkemu mkauth --help\n"
	"       mtkemu bench --help\n"
	"\n"
	"Emulates a MediaTek phone in BootROM or preloader download mode on a pty.\n"
	"Prints \"ready PATH\" once the port can be opened, and serves until SIGTERM or\n"
	"SIGINT.  The phone stays plugged in: what it runs (BROM/preloader command loop,\n"
	"a DA) keeps running when the host closes the port.  When it leaves the bus and\n"
	"comes back (FINISH, a USB speed switch, a reset, a replug) the old pty hangs up,\n"
	"a new one takes over PATH and \"ready PATH\" is printed again; when it leaves\n"
	"for good (the preloader's listen window closed) it prints \"gone PATH\" and\n"
	"waits for a replug.\n"
	"Signals: SIGUSR1 = replug (cable out and in), SIGUSR2 = power cycle (cable and\n"
	"battery out); SIGTERM/SIGINT = exit.\n"
	"\n"
	"Options:\n"
	"  --chip CHIP       chip profile, e.g. mt6765 (see --list)\n"
	"  --state DIR       the device's storage and identity; created if missing\n"
	"  --link PATH       also make PATH a symlink to the pty (an existing symlink is\n"
	"                    replaced, any other file is refused); removed at exit\n"
	"  --mode M          brom | preloader (default: preloader if the storage holds a\n"
	"                    bootable preloader, else brom)\n"
	"  --faults SPEC     comma-separated faults:\n"
	"                      unplug-at=BYTES          pull the cable at byte BYTES (both\n"
	"                                               directions); the port reappears\n"
	"                      power-loss-at=BYTES      lose power at byte BYTES: storage keeps\n"
	"                                               the packets committed before it\n"
	"                      boot-on-at=BYTES         the preloader's listen window closes at\n"
	"                                               BYTES: off the bus until a replug\n"
	"                      da-hang-at=BYTES         stop answering at BYTES, until a replug\n"
	"                      da-hang-at-cmd=K         the DA hangs on its K-th command\n"
	"                      da-silent                the DA never answers after JUMP_DA\n"
	"                      write-protect            the eMMC refuses every write and erase\n"
	"                      corrupt-write=REGION:OFFSET:LEN\n"
	"                                               flip written bytes in boot1, boot2,\n"
	"                                               rpmb or user\n"
	"                      corrupt-write-once=REGION:OFFSET:LEN\n"
	"                                               the same, for the first write only\n"
	"                      pause-at-write=REGION:OFFSET:LEN\n"
	"                                               SIGSTOP before the first write there\n"
	"                      read-error=REGION:OFFSET:LEN\n"
	"                                               every read of the range fails\n"
	"                      read-flaky=REGION:OFFSET:LEN:N|P%\n"
	"                                               the first N reads fail, or each with\n"
	"                                               probability P (seeded by fault-seed=S)\n"
	"                      read-slow=REGION:OFFSET:LEN:RATE\n"
	"                                               the range comes at RATE bytes/s\n"
	"                      pause-at-read=REGION:OFFSET:LEN\n"
	"                                               SIGSTOP before the first read there\n"
	"                    BYTES take K/M/G suffixes or 0x hex (docs/emulator.md, Faults)\n"
	"  --speed MODEL     link model: usb2-hs (40 MB/s, 125 us per transfer),\n"
	"                    usb2-fs (1 MB/s, 1 ms per transfer), none (default);\n"
	"                    a transfer is what one side sends before the other answers\n"
	"  --preloader-model M  real (default: READY banners, the first A0 eaten, a\n"
	"                    listen window) | simple (answers the first A0, no window)\n"
	"  --listen-ms N     the real preloader's listen window (default 2500)\n"
	"  --secure FLAGS    target_config: a list of sbc, sla, daa, epp, root-cert,\n"
	"                    mem-read, mem-write, c8-block (or none), or a hex value\n"
	"  --auth-key FILE   the root public key this phone's fuses hold (mkauth's\n"
	"                    root.pub): SEND_CERT/SEND_AUTH accept files signed with it,\n"
	"                    and an accepted authentication file lifts SLA and DAA\n"
	"  --usb DIR         serve the phone as an emulated USB device (0e8d:0003 BROM,\n"
	"                    0e8d:2000 preloader, 0e8d:2001 DA) in a umockdev test bed\n"
	"                    created at DIR (which must not exist; removed at exit)\n"
	"                    instead of a pty; prints \"ready usb DIR\".  Reach it with\n"
	"                    UMOCKDEV_DIR=DIR umockdev-wrapper mtkflash --port usb ...\n"
	"                    A preloader's listen window opens when it is plugged in.\n"
	"  --usb-second CHIP:STATE  with --usb: a second phone (its chip and state\n"
	"                    folder, the other options the same) on port 1-2 of the bus\n"
	"  --unplugged       with --usb: start with the cable out (prints \"unplugged usb\n"
	"                    DIR\"); SIGUSR1 plugs the phone in\n"
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
	if (sig == SIGUSR1 || sig == SIGUSR2)
		emu_phone_replug(&g_phone, sig == SIGUSR2);
	else
		emu_phone_stop(&g_phone);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct args {
	struct mtkemu_options opt;
	const char *link;
	const char *usb;
	bool unplugged;
	const char *second; /* --usb-second CHIP:STATE */
	bool list;
};

static int parse_ms(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *end || v == 0 || v > 3600000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { O_CHIP = 256, O_STATE, O_LINK, O_MODE, O_FAULTS, O_SPEED, O_SECURE, O_LIST, O_PL_MODEL, O_LISTEN, O_USB,
	       O_AUTH_KEY, O_UNPLUGGED, O_USB_SECOND };
	static const struct option longopts[] = {
		{ "chip", required_argument, NULL, O_CHIP },	 { "state", required_argument, NULL, O_STATE },
		{ "link", required_argument, NULL, O_LINK },	 { "mode", required_argument, NULL, O_MODE },
		{ "faults", required_argument, NULL, O_FAULTS }, { "speed", required_argument, NULL, O_SPEED },
		{ "secure", required_argument, NULL, O_SECURE }, { "list", no_argument, NULL, O_LIST },
		{ "preloader-model", required_argument, NULL, O_PL_MODEL },
		{ "listen-ms", required_argument, NULL, O_LISTEN },
		{ "usb", required_argument, NULL, O_USB },
		{ "auth-key", required_argument, NULL, O_AUTH_KEY },
		{ "unplugged", no_argument, NULL, O_UNPLUGGED },
		{ "usb-second", required_argument, NULL, O_USB_SECOND },
		{ "help", no_argument, NULL, 'h' },		 { NULL, 0, NULL, 0 },
	};
	opterr = 0;
	for (int c; (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1;) {
		switch (c) {
		case O_CHIP: a->opt.chip = optarg; break;
		case O_STATE: a->opt.state_dir = optarg; break;
		case O_LINK: a->link = optarg; break;
		case O_USB: a->usb = optarg; break;
		case O_UNPLUGGED: a->unplugged = true; break;
		case O_USB_SECOND: a->second = optarg; break;
		case O_MODE: a->opt.mode = optarg; break;
		case O_FAULTS: a->opt.faults = optarg; break;
		case O_SPEED: a->opt.speed = optarg; break;
		case O_SECURE: a->opt.security = optarg; break;
		case O_AUTH_KEY: a->opt.auth_key = optarg; break;
		case O_LIST: a->list = true; break;
		case O_PL_MODEL: a->opt.preloader = optarg; break;
		case O_LISTEN:
			if (parse_ms(optarg, &a->opt.listen_ms) < 0)
				return usage_error("--listen-ms: '%s' is not a time in ms (1..3600000)", optarg);
			break;
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
	if (a->second && (!a->usb || !strchr(a->second, ':')))
		return usage_error("%s", "--usb-second takes CHIP:STATE and needs --usb");
	if (a->unplugged && !a->usb)
		return usage_error("%s", "--unplugged needs --usb (a pty has no cable to plug in)");
	if (a->usb && a->link)
		return usage_error("%s", "--usb and --link exclude each other (USB has no tty to link)");
	return -1;
}

/* The same options as the first phone but its chip and state folder. */
static int new_second(const struct args *a, struct mtkemu **out)
{
	char spec[1024], err[1024];
	snprintf(spec, sizeof spec, "%s", a->second);
	char *colon = strchr(spec, ':');
	*colon = '\0';
	struct mtkemu_options opt = a->opt;
	opt.chip = spec;
	opt.state_dir = colon + 1;
	if (mtkemu_new(&opt, out, err, sizeof err) < 0)
		return usage_error("--usb-second: %s", err);
	return 0;
}

static int serve_usb(struct mtkemu *emu, const struct args *a)
{
	struct emu_usb_main_opts o = { .dir = a->usb, .unplugged = a->unplugged };
	int rc = a->second ? new_second(a, &o.second) : 0;
	if (rc == 0)
		rc = emu_usb_main(emu, &o, &g_phone.stop, &g_phone.plug);
	g_phone.emu = NULL;
	mtkemu_free(o.second);
	mtkemu_free(emu);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "provision") == 0)
		return emu_provision_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "mkfirmware") == 0)
		return emu_mkfirmware_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "boot-check") == 0)
		return emu_boot_check_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "mkauth") == 0)
		return emu_mkauth_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		return emu_bench_main(argc - 1, argv + 1);
	struct args a;
	memset(&a, 0, sizeof a);
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.usb && emu_usb_preload(argv) < 0)
		return 1;
	if (a.list) {
		for (const char *const *n = mtkemu_chip_names(); *n; n++)
			puts(*n);
		return 0;
	}
	char err[1024];
	struct mtkemu *emu;
	if (mtkemu_new(&a.opt, &emu, err, sizeof err) < 0)
		return usage_error("%s", err);
	emu_phone_init(&g_phone, emu, a.link, NULL);
	install_signals();
	if (a.usb)
		return serve_usb(emu, &a);
	rc = emu_phone_plug_in(&g_phone) < 0 ? 1 : emu_phone_serve(&g_phone);
	emu_phone_unplug(&g_phone);
	g_phone.emu = NULL;
	mtkemu_free(emu);
	return rc;
}
