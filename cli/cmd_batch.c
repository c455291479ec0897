/* SPDX-License-Identifier: MIT */
/* mtkflash batch: wait for phones on many ports and flash each as it
 * arrives, every phone on its own thread with its own context, session,
 * journal, stash, audit log and rollback (the flow of `flash`,
 * cli/cmd_flash.c).  The package is judged once for the whole batch. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_batch.h"
#include "cli_history.h"
#include "cli_output.h"
#include "cli_policy.h"
#include "mtkflash/brom.h"
#include "cli_verify.h"
#include "mtkflash/audit.h"
#include "mtkflash/util.h"

#include <openssl/crypto.h>

static const char help[] =
        "Usage: mtkflash batch --package SCATTER [--ports auto|PORT,PORT...] [--max N] [--count N]\n"
        "                      [--policy FILE] [--mode safe|quick] [--scene S] [--yes] [--trust KEY]\n"
        "                      [--only P,Q] [--skip P] [--preloader FILE] [--audit-dir DIR] [--json]\n"
        "\n"
        "Flash many phones at once, as a factory line or service centre does: wait for\n"
        "a phone on each port and flash it as it arrives, each on its own thread with\n"
        "its own session, journal, stash, audit log and rollback, exactly as\n"
        "`mtkflash flash` does (plan against the device, verified writes, read-back).\n"
        "The package (Checksum.ini, SHA256SUMS and its signature) is checked once for\n"
        "the batch.  When a phone is done its port waits for the next one (a new\n"
        "device on the same port: the tty node or pty link made anew).\n"
        "  --package SCATTER  the firmware package's scatter file\n"
        "  --ports LIST       auto (default: every MediaTek download-mode port that\n"
        "                     appears), or ports as --port takes them, comma-separated:\n"
        "                     /dev/ttyACM0, serial:PATH, usb:BUS:ADDR\n"
        "  --max N            phones flashed at the same time (default 16); a phone\n"
        "                     beyond that waits for a free slot\n"
        "  --count N          end after N phones; without it the batch runs until Ctrl-C\n"
        "  --policy FILE      the station's verification policy (docs/policy.md)\n"
        "  --audit-dir DIR    each phone's audit log and each port's text log go here\n"
        "                     (default: a new folder in $XDG_STATE_HOME/mtkflash/batch/)\n"
        "  --mode, --scene, --only, --skip, --trust, --preloader, --yes, --expendable:\n"
        "                     as for flash, for every phone (service mode is for one\n"
        "                     phone at a time: not in a batch)\n"
        "  --json             one JSON object per line per event, each with \"port\" and\n"
        "                     \"stage\"; a phone's last event has \"result\": verified,\n"
        "                     failed, rolled-back or refused; the last line is the summary\n"
        "On a terminal one line per port is redrawn in place (device, stage in SP\n"
        "Flash Tool's colours, progress, MB/s, result); elsewhere a plain line per event.\n"
        "Each phone is left as --after says: stay (default; the DA runs until the\n"
        "phone is unplugged) or poweroff; reboot is refused (the phone would come back\n"
        "on its port in preloader mode and be taken for the next one).\n"
        "Ctrl-C (or SIGTERM) takes no new phone, lets the phones in progress finish,\n"
        "prints the summary and exits 130 (143); a second one stops those phones at\n"
        "their next step and rolls them back, as flash does on Ctrl-C.\n"
        "Exit 0 when every phone verified; else the most severe phone status, in this\n"
        "order: 5 (a read-back differs, rollback failed), 4, 3, 8, 9, 1, 130 (a phone\n"
        "interrupted), 7 (rolled back), 6 (refused); 130/143 when interrupted and no\n"
        "phone failed.\n";

enum { OPT_PACKAGE = 1024, OPT_PORTS, OPT_MAX, OPT_COUNT, OPT_AUDIT_DIR };

static const struct option batch_own_options[] = {
        {"package", required_argument, NULL, OPT_PACKAGE},
        {"ports", required_argument, NULL, OPT_PORTS},
        {"max", required_argument, NULL, OPT_MAX},
        {"count", required_argument, NULL, OPT_COUNT},
        {"audit-dir", required_argument, NULL, OPT_AUDIT_DIR},
};

/* flash's options that make sense for many phones at once */
static bool shared_with_flash(const char *name)
{
	static const char *const no[] = {"audit", "passphrase-fd", "override", NULL};
	for (const char *const *n = no; *n; n++)
		if (strcmp(name, *n) == 0)
			return false;
	return true;
}

#define NOPTS (sizeof batch_own_options / sizeof batch_own_options[0] + 32)

static void batch_options(struct option *out)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof batch_own_options / sizeof batch_own_options[0]; i++)
		out[n++] = batch_own_options[i];
	for (const struct option *o = cli_flash_options; o->name && n + 1 < NOPTS; o++)
		if (shared_with_flash(o->name))
			out[n++] = *o;
	memset(&out[n], 0, sizeof out[n]);
}

static int parse_count(struct cli *cli, const char *opt, const char *val, unsigned lo, unsigned *out)
{
	unsigned long long v;
	if (cli_parse_size(val, &v) < 0 || v < lo || v > 1000000)
		return cli_usage(cli, "batch", "%s takes a number from %u, not '%s'", opt, lo, val);
	*out = (unsigned)v;
	return CLI_CONTINUE;
}

static int on_option(struct cli *cli, void *args, int opt, const char *val)
{
	struct batch *b = args;
	switch (opt) {
	case OPT_PACKAGE:
		if (b->npkgs < BATCH_MAX_PACKAGES)
			b->pkgs[b->npkgs++].scatter = val;
		else
			b->too_many_pkgs = true;
		return CLI_CONTINUE;
	case OPT_PORTS:
		b->ports_arg = val;
		return CLI_CONTINUE;
	case OPT_MAX:
		return parse_count(cli, "--max", val, 1, &b->max);
	case OPT_COUNT:
		return parse_count(cli, "--count", val, 1, &b->count);
	case OPT_AUDIT_DIR:
		snprintf(b->dir, sizeof b->dir, "%s", val);
		return CLI_CONTINUE;
	default:
		return cli_plan_on_option(cli, &b->a, opt, val);
	}
}

/* ------------------------------------------------------------ the policy */

/* The policy is applied by each phone's own flow, exactly as `flash
 * --policy` applies it (its refusals name their rule; its audit log records
 * role and policy).  Here it is loaded once before any phone is taken, so
 * that an unsigned, tampered or invalid policy, or options it forbids, stop
 * the batch at once instead of failing every phone. */
static int batch_policy_load(struct batch *b)
{
	struct cli *cli = b->cli;
	struct cli_plan_run r;
	memset(&r, 0, sizeof r);
	int rc = cli_policy_open(cli, &b->a, &r);
	b->policy_reported = rc < 0;
	mtk_policy_free(r.policy);
	if (rc == 0 && cli->after == MTK_AFTER_REBOOT) {
		b->policy_reported = false;
		rc = mtk_fail(cli->ctx, MTK_E_POLICY,
		              "the policy's --after reboot would bring each phone back on its port in preloader "
		              "mode to be flashed again: a batch needs stay or poweroff");
	}
	return rc;
}

/* ------------------------------------------------------------ ports */

static struct batch_port *port_new(struct batch *b, const char *spec)
{
	if (b->nports >= BATCH_MAX_PORTS)
		return NULL;
	struct batch_port *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->b = b;
	p->index = b->nports;
	snprintf(p->spec, sizeof p->spec, "%s", spec);
	p->path = strncmp(p->spec, "serial:", 7) == 0 ? p->spec + 7 : p->spec[0] == '/' ? p->spec : NULL;
	snprintf(p->stage, sizeof p->stage, "wait");
	p->last_decile = -1;
	b->ports[b->nports++] = p;
	return p;
}

static bool port_known(const struct batch *b, const char *spec)
{
	for (unsigned i = 0; i < b->nports; i++)
		if (strcmp(b->ports[i]->spec, spec) == 0)
			return true;
	return false;
}

static int parse_ports(struct cli *cli, struct batch *b)
{
	if (!b->ports_arg || strcmp(b->ports_arg, "auto") == 0)
		return CLI_CONTINUE;
	char *copy = strdup(b->ports_arg);
	int st = copy ? CLI_CONTINUE : cli_usage(cli, "batch", "no memory");
	for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t && st == CLI_CONTINUE;
	     t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "auto") == 0)
			st = cli_usage(cli, "batch", "--ports: auto stands alone");
		else if (strncmp(t, "emu:", 4) == 0)
			st = cli_usage(cli, "batch",
			               "--ports %s: an in-process emulator is one phone; serve phones "
			               "with mtkemu and name their ports",
			               t);
		else if (port_known(b, t))
			st = cli_usage(cli, "batch", "--ports names %s twice", t);
		else if (!port_new(b, t))
			st = cli_usage(cli, "batch", "--ports: at most %d ports", BATCH_MAX_PORTS);
	}
	free(copy);
	if (st == CLI_CONTINUE && b->nports == 0)
		st = cli_usage(cli, "batch", "--ports names no port");
	return st;
}

/* A new phone on a path port is a new node: the tty udev makes for a
 * plugged phone, the pty link mtkemu makes.  Its identity is the node's
 * (lstat: the link or the node itself; stat: the device it leads to). */
struct node_id {
	bool present;
	dev_t dev, rdev;
	ino_t ino;
	struct timespec ctime;
};

static struct node_id node_id(const char *path)
{
	struct node_id id = {0};
	struct stat l, t;
	if (lstat(path, &l) == 0 && stat(path, &t) == 0) {
		id.present = true;
		id.dev = l.st_dev;
		id.ino = l.st_ino;
		id.ctime = l.st_ctim;
		id.rdev = t.st_rdev;
	}
	return id;
}

static bool same_node(const struct node_id *a, const struct node_id *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino && a->rdev == b->rdev &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* ------------------------------------------------------------ scheduling */

static bool batch_over_locked(const struct batch *b)
{
	return b->stop_sig || b->halt || (b->count && b->started >= b->count);
}

static bool batch_over(struct batch *b)
{
	pthread_mutex_lock(&b->lock);
	bool over = batch_over_locked(b);
	pthread_mutex_unlock(&b->lock);
	return over;
}

/* A slot among --max, and a ticket among --count; false: the batch is over. */
static bool take_slot(struct batch *b)
{
	pthread_mutex_lock(&b->lock);
	while (!batch_over_locked(b) && b->running >= b->max)
		pthread_cond_wait(&b->changed, &b->lock);
	bool ok = !batch_over_locked(b);
	if (ok) {
		b->running++;
		b->started++;
	}
	pthread_mutex_unlock(&b->lock);
	return ok;
}

/* Waiting for a phone is waiting for a node to appear: no event tells a
 * process that a path came to exist short of inotify on every parent, and
 * a tenth of a second is nothing next to plugging a cable in. */
#define ARRIVAL_POLL_MS 50

static bool wait_arrival(struct batch_port *p, const struct node_id *last)
{
	for (;;) {
		if (batch_over(p->b))
			return false;
		if (!p->path)
			return !last->present; /* usb:BUS:ADDR names one device: one phone */
		struct node_id now = node_id(p->path);
		if (now.present && !same_node(&now, last))
			return true;
		mtk_sleep_ms(p->cli.ctx, ARRIVAL_POLL_MS);
	}
}

/* ------------------------------------------------------------ one phone */

static void on_stage(void *user, const char *stage, const char *detail)
{
	struct batch_port *p = user;
	pthread_mutex_lock(&p->b->lock);
	if (strcmp(stage, "DA") == 0)
		snprintf(p->device, sizeof p->device, "%s", detail);
	batch_view_stage(p, stage, strcmp(stage, "DA") == 0 ? "" : detail);
	pthread_mutex_unlock(&p->b->lock);
}

static const char *step_stage(const struct mtk_flash_outcome *o)
{
	if (o->stage == MTK_FSTAGE_WRITE && strcasecmp(o->name, "preloader") == 0)
		return "preloader";
	return mtk_flash_stage_name(o->stage);
}

static void on_step(void *user, const struct mtk_flash_outcome *o, bool done, uint64_t bytes_done,
                    uint64_t bytes_total)
{
	struct batch_port *p = user;
	pthread_mutex_lock(&p->b->lock);
	p->plan_bytes = bytes_total;
	p->bytes_done = bytes_done;
	p->step_bytes = 0;
	if (o->stage == MTK_FSTAGE_WRITE && p->write_start == 0)
		p->write_start = batch_now();
	if (!done) {
		snprintf(p->step_stage, sizeof p->step_stage, "%s", step_stage(o));
		batch_view_stage(p, p->step_stage, o->name);
	}
	pthread_mutex_unlock(&p->b->lock);
}

/* A verified write's passes name their transfers "read PART" (the stash),
 * "write PART" and "verify PART" (the read-back): the stage they show.  Any
 * other transfer (the DA upload, a backup) is not a write pass. */
static const char *pass_stage(const struct batch_port *p, const char *what, bool *writing)
{
	static const struct {
		const char *prefix, *stage;
	} passes[] = {{"read ", "stash"}, {"write ", NULL}, {"verify ", "verify"}};
	for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++) {
		if (strncmp(what, passes[i].prefix, strlen(passes[i].prefix)) == 0) {
			*writing = passes[i].stage == NULL;
			return passes[i].stage ? passes[i].stage : p->step_stage;
		}
	}
	*writing = false;
	return NULL;
}

static void show_pass(struct batch_port *p, const char *stage)
{
	if (!stage || !stage[0] || strcmp(stage, p->stage) == 0)
		return;
	char detail[sizeof p->detail];
	memcpy(detail, p->detail, sizeof detail); /* batch_view_stage writes p->detail */
	batch_view_stage(p, stage, detail);
}

/* The library's transfers: the stage of the pass, and the percentage and
 * rate of the writes alone (a read pass moves no byte of the plan). */
static void on_progress(void *user, const char *what, uint64_t done, uint64_t total)
{
	struct batch_port *p = user;
	(void)total;
	bool writing = false;
	pthread_mutex_lock(&p->b->lock);
	const char *stage = what && p->write_start > 0 ? pass_stage(p, what, &writing) : NULL;
	show_pass(p, stage);
	if (writing && p->plan_bytes) {
		p->step_bytes = done;
		double got = (double)(p->bytes_done + p->step_bytes);
		double pct = got * 100.0 / (double)p->plan_bytes;
		p->percent = pct > 100 ? 100 : pct;
		double el = batch_now() - p->write_start;
		p->mb_per_s = el > 0 ? got / el / 1e6 : 0;
		batch_view_progress(p);
	}
	pthread_mutex_unlock(&p->b->lock);
}

static enum batch_result result_of(const struct cli_flash_report *rep)
{
	if (rep->rc == 0)
		return BATCH_VERIFIED;
	if (rep->refused)
		return BATCH_REFUSED;
	return rep->rc == MTK_E_ROLLEDBACK ? BATCH_ROLLEDBACK : BATCH_FAILED;
}

/* Most severe first; a status not listed ranks as a failure (1). */
static int severity(int status)
{
	static const int order[] = {EXIT_VERIFY,     EXIT_PROTOCOL,        EXIT_NODEV,   EXIT_IO,
	                            EXIT_PARSE,      EXIT_FAILURE_GENERIC, 128 + SIGINT, 128 + SIGTERM,
	                            EXIT_ROLLEDBACK, EXIT_POLICY,          EXIT_OK};
	size_t n = sizeof order / sizeof order[0];
	for (size_t i = 0; i < n; i++)
		if (order[i] == status)
			return (int)(n - i);
	return severity(EXIT_FAILURE_GENERIC);
}

static void phone_reset(struct batch_port *p)
{
	p->device[0] = p->chip[0] = p->detail[0] = p->step_stage[0] = '\0';
	p->result = BATCH_NONE;
	p->percent = p->mb_per_s = 0;
	p->plan_bytes = p->bytes_done = p->step_bytes = 0;
	p->write_start = 0;
	p->last_decile = -1;
}

static void phone_done(struct batch_port *p, const struct cli_flash_report *rep)
{
	struct batch *b = p->b;
	enum batch_result r = result_of(rep);
	pthread_mutex_lock(&b->lock);
	snprintf(p->chip, sizeof p->chip, "%s", rep->chip);
	if (rep->device_id[0])
		snprintf(p->device, sizeof p->device, "%s", rep->device_id);
	p->phones++;
	p->per_result[r]++;
	p->bytes += rep->bytes_written;
	p->seconds += rep->seconds;
	if (severity(rep->status) > severity(b->worst))
		b->worst = rep->status;
	batch_view_result(p, rep, r);
	b->running--;
	b->finished++;
	pthread_cond_broadcast(&b->changed);
	pthread_mutex_unlock(&b->lock);
}

static const struct cli_flash_hooks hooks_template = {
        .on_stage = on_stage,
        .on_step = on_step,
};

/* With packages for several chips the phone's chip picks one: asked as
 * mtk_da_attach asks it (probe, then handshake or, for a phone already in
 * its command loop, identify alone), and the phone stays in its command loop
 * for the connect that follows.  A phone running a DA is not asked: the
 * first package goes, and the plan refuses it if it does not fit. */
#define IDENTIFY_TIMEOUT_MS 5000

static int phone_hw_code(struct cli *cli, uint16_t *hw)
{
	struct mtk_transport *tp = NULL;
	char dir[4096];
	struct mtk_probe_result pr = {0};
	int rc = cli_open_port(cli, &tp);
	if (rc == 0)
		rc = mtk_probe_port(cli->ctx, tp, cli_session_dir(cli, dir, sizeof dir), &pr);
	struct mtk_brom br = {.tp = tp, .ctx = cli->ctx};
	if (rc < 0 || pr.state == MTK_DEV_DA_LEGACY || pr.state == MTK_DEV_DA_XFLASH)
		*hw = 0;
	else if (pr.state == MTK_DEV_CMD_LOOP && (rc = mtk_brom_probe_command_loop(&br)) >= 0)
		rc = mtk_brom_identify(&br, tp);
	else if (pr.state != MTK_DEV_CMD_LOOP)
		rc = mtk_brom_connect(&br, tp, IDENTIFY_TIMEOUT_MS);
	if (tp)
		mtk_transport_close(tp);
	*hw = rc < 0 ? 0 : br.info.hw_code;
	return rc < 0 ? rc : 0;
}

static bool pkg_fits(const struct batch_pkg *k, uint16_t hw)
{
	return k->chip && (k->chip->hw_code == hw || (k->chip->alt_hw_code && k->chip->alt_hw_code == hw));
}

static int choose_package(struct batch_port *p, struct batch_pkg **out)
{
	struct batch *b = p->b;
	*out = &b->pkgs[0];
	if (b->npkgs == 1)
		return 0;
	uint16_t hw = 0;
	int rc = phone_hw_code(&p->cli, &hw);
	if (rc < 0)
		return mtk_wrap(p->cli.ctx, rc, "asking the phone for its chip");
	for (unsigned i = 0; hw && i < b->npkgs; i++) {
		if (pkg_fits(&b->pkgs[i], hw)) {
			*out = &b->pkgs[i];
			return 0;
		}
	}
	if (!hw)
		return 0;
	return mtk_fail(p->cli.ctx, MTK_E_POLICY,
	                "no package of this batch is for the phone's chip (hw code 0x%04x)", hw);
}

static void flash_one(struct batch_port *p, struct node_id *last)
{
	struct batch *b = p->b;
	pthread_mutex_lock(&b->lock);
	phone_reset(p);
	pthread_mutex_unlock(&b->lock);
	fprintf(p->text, "\n==== phone on %s\n", p->spec);
	struct cli_flash_hooks h = hooks_template;
	h.user = p;
	h.kind = "batch";
	struct cli_flash_report rep = {0};
	mtk_ctx_clear_error(p->cli.ctx);
	struct batch_pkg *k;
	int rc = choose_package(p, &k);
	if (rc < 0) {
		rep.rc = rc;
		rep.refused = rc == MTK_E_POLICY;
		rep.status = cli_fail(&p->cli, rc, NULL);
		snprintf(rep.message, sizeof rep.message, "%s", mtk_ctx_error(p->cli.ctx));
		/* A phone turned away before its flash is a job of the batch too. */
		struct mtk_history_record job;
		cli_job_begin(&job, "batch");
		cli_job_end(&p->cli, &job, rc, rep.refused, rep.message);
	} else {
		struct cli_plan_args *a = malloc(sizeof *a);
		if (a) {
			*a = b->a;
			a->pkg = &k->cache;
			cli_flash_phone(&p->cli, a, b->scene, b->mode, k->scatter, &h, &rep);
		} else {
			rep.rc = MTK_E_NOMEM;
			rep.status = EXIT_FAILURE_GENERIC;
		}
		free(a);
	}
	fflush(p->text);
	/* The node as the phone leaves it, taken before its result is shown:
	 * whoever sees the result may plug the next phone in at once.  Taken
	 * after the flash, not before: a re-enumeration during the flash (a
	 * speed switch) makes a new node for the same phone. */
	*last = p->path ? node_id(p->path) : (struct node_id){0};
	last->present = true;
	phone_done(p, &rep);
}

static void *port_main(void *arg)
{
	struct batch_port *p = arg;
	struct node_id last = {0};
	while (wait_arrival(p, &last) && take_slot(p->b))
		flash_one(p, &last);
	pthread_mutex_lock(&p->b->lock);
	p->exited = true;
	pthread_cond_broadcast(&p->b->changed);
	pthread_mutex_unlock(&p->b->lock);
	return NULL;
}

/* Each port its own struct cli: its own context (errors, log, progress,
 * the batch's abort flag), its text going to its own file. */
static int port_setup(struct batch_port *p)
{
	struct batch *b = p->b;
	char name[32];
	snprintf(name, sizeof name, "port-%02u.log", p->index);
	char *path = mtk_path_join(b->dir, name);
	int fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	p->text = fd >= 0 ? fdopen(fd, "a") : NULL;
	int rc = p->text ? 0 : mtk_fail(b->cli->ctx, MTK_E_IO, "%s: %s", path ? path : name, strerror(errno));
	if (!p->text && fd >= 0)
		close(fd);
	free(path);
	if (rc < 0)
		return rc;
	p->cli = *b->cli;
	p->cli.ctx = mtk_ctx_new();
	if (!p->cli.ctx)
		return mtk_fail(b->cli->ctx, MTK_E_NOMEM, "no memory");
	p->cli.port = p->spec;
	p->cli.json = false;
	p->cli.out = NULL;
	p->cli.human = p->cli.diag = p->text;
	if (p->cli.verbosity < 0)
		p->cli.verbosity = 0;
	cli_output_init(&p->cli);
	p->cli.tty = false;
	mtk_ctx_set_progress(p->cli.ctx, on_progress, p);
	mtk_ctx_set_cancel(p->cli.ctx, &b->abort);
	return 0;
}

/* The thread is made with SIGINT and SIGTERM blocked, which it keeps: the
 * main thread alone takes them. */
static int port_start(struct batch_port *p)
{
	int rc = port_setup(p);
	if (rc < 0)
		return rc;
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	int err = pthread_create(&p->thread, NULL, port_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0)
		return mtk_fail(p->b->cli->ctx, MTK_E_NOMEM, "cannot start a thread for %s", p->spec);
	p->started = true;
	return 0;
}

static void port_free(struct batch_port *p)
{
	if (p->started)
		pthread_join(p->thread, NULL);
	if (p->cli.ctx)
		mtk_ctx_free(p->cli.ctx);
	if (p->text)
		fclose(p->text);
	free(p);
}

/* ------------------------------------------------------------ the batch */

/* A folder of its own, so that a batch's logs are found together. */
static int make_dir(struct batch *b)
{
	mtk_ctx *ctx = b->cli->ctx;
	if (!b->dir[0]) {
		char root[4000], stamp[32];
		if (!cli_xdg_dir("XDG_STATE_HOME", ".local/state", "mtkflash/batch", root, sizeof root))
			return mtk_fail(ctx, MTK_E_IO,
			                "no place for the batch's logs: set XDG_STATE_HOME or HOME, or "
			                "give --audit-dir DIR");
		time_t now = time(NULL);
		struct tm tm;
		mtk_utc_tm(now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
		snprintf(b->dir, sizeof b->dir, "%s/%s-%ld", root, stamp, (long)getpid());
	}
	return mtk_make_dirs(ctx, b->dir, 0700);
}

/* The station key is made on first use: once, here, not by 16 threads. */
static int load_station_key(struct batch *b)
{
	char dir[4096];
	struct mtk_minisign_seckey sk;
	struct mtk_minisign_pubkey pk;
	if (!cli_station_dir(dir, sizeof dir))
		return mtk_fail(b->cli->ctx, MTK_E_IO,
		                "no place for the station key: set XDG_DATA_HOME or HOME");
	int rc = mtk_audit_station_key(b->cli->ctx, dir, &sk, &pk);
	OPENSSL_cleanse(&sk, sizeof sk);
	return rc;
}

/* The first Ctrl-C ends the intake (cli_stop_signal), the second stops the
 * phones in progress at their next step; a third is the default's.  Only
 * the main thread takes these signals (the ports' threads block them) and
 * passes them on under b->lock (supervise). */
static volatile sig_atomic_t second_signal;

static void on_batch_signal(int sig)
{
	if (!cli_stop_signal) {
		cli_note_stop_signal(sig);
		return;
	}
	/* No echo rule here (main.c's): a supervisor that answers the
	 * "stopping" event with its second signal may well do so within the
	 * echo window.  Under timeout(1) the echo therefore stops the phones in
	 * progress too, which rolls them back: safe, if more than was asked. */
	second_signal = sig;
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_batch_signal, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* --ports auto: every MediaTek download-mode tty that appears becomes a port. */
static void discover(struct batch *b)
{
	struct mtk_port_info found[64];
	int n = mtk_find_mediatek_ports(b->cli->ctx, found, sizeof found / sizeof found[0]);
	mtk_ctx_clear_error(b->cli->ctx);
	for (int i = 0; i < n && i < (int)(sizeof found / sizeof found[0]); i++) {
		if (found[i].role == MTK_USB_ROLE_OTHER || port_known(b, found[i].path))
			continue;
		struct batch_port *p = port_new(b, found[i].path);
		if (p && port_start(p) < 0) {
			mtk_warn(b->cli->ctx, "%s", mtk_ctx_error(b->cli->ctx));
			mtk_ctx_clear_error(b->cli->ctx);
		}
	}
}

static bool all_exited(const struct batch *b)
{
	for (unsigned i = 0; i < b->nports; i++)
		if (b->ports[i]->started && !b->ports[i]->exited)
			return false;
	return true;
}

#define MAIN_TICK_MS 100
/* sysfs is read every half second for new ports, not on every tick */
#define DISCOVER_EVERY_TICKS 5

/* The signals' flags, set by the handler on this thread, passed on to the
 * ports under b->lock; true when the first was seen just now. */
static bool take_signals(struct batch *b)
{
	if (second_signal && !b->abort)
		b->abort = second_signal;
	if (!cli_stop_signal || b->stopping)
		return false;
	b->stopping = true;
	b->stop_sig = cli_stop_signal;
	batch_view_stopping(b, cli_stop_signal);
	return true;
}

/* The main thread watches: signals (a handler cannot signal a condition
 * variable), new ports for auto, the live view's clock. */
static void supervise(struct batch *b, bool autodetect)
{
	unsigned tick = 0;
	pthread_mutex_lock(&b->lock);
	for (;;) {
		bool over = batch_over_locked(b);
		if (over && b->running == 0 && all_exited(b))
			break;
		if (over)
			pthread_cond_broadcast(&b->changed); /* slot waiters see the end */
		if (take_signals(b))
			continue; /* the ports see the end now */
		if (autodetect && !over && tick++ % DISCOVER_EVERY_TICKS == 0) {
			pthread_mutex_unlock(&b->lock);
			discover(b);
			pthread_mutex_lock(&b->lock);
		}
		batch_view_redraw(b, false);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += MAIN_TICK_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&b->changed, &b->lock, &until);
	}
	pthread_mutex_unlock(&b->lock);
}

static int check_args(struct cli *cli, struct batch *b, int nargs)
{
	if (nargs == 0 && !b->npkgs)
		return cli_usage(cli, "batch", "which package? --package SCATTER");
	if (nargs > 0)
		return cli_usage(cli, "batch", "the package goes with --package, not as an operand");
	if (b->too_many_pkgs)
		return cli_usage(cli, "batch", "at most %d packages", BATCH_MAX_PACKAGES);
	int st = cli_plan_check_args(cli, "batch", &b->a, 1, &b->scene, &b->mode);
	if (st == CLI_CONTINUE && b->mode == MTK_FMODE_SERVICE)
		return cli_usage(cli, "batch",
		                 "service mode unlocks one phone at a time: flash it on its own");
	/* A rebooting phone passes through its preloader's download port: on
	 * the same port, a new node, it would be taken for the next phone. */
	if (st == CLI_CONTINUE && cli->after == MTK_AFTER_REBOOT)
		return cli_usage(cli, "batch",
		                 "--after reboot: the phone would come back on its port in preloader "
		                 "mode and be flashed again; use stay (the default) or poweroff");
	return st == CLI_CONTINUE ? parse_ports(cli, b) : st;
}

/* Each package's chip, from its scatter; a package for no known chip
 * is only usable alone. */
static int load_packages(struct batch *b)
{
	for (unsigned i = 0; i < b->npkgs; i++) {
		struct batch_pkg *k = &b->pkgs[i];
		struct mtk_scatter *s = NULL;
		int rc = cli_load_scatter(b->cli, k->scatter, &s);
		if (rc < 0)
			return rc;
		const char *platform = cli_scatter_platform(s);
		k->chip = platform ? mtk_chip_by_name(platform) : NULL;
		cli_free_scatter(s);
		if (!k->chip && b->npkgs > 1)
			return mtk_fail(b->cli->ctx, MTK_E_INVAL,
			                "%s names no chip this tool knows (platform %s): "
			                "with several packages each must name its chip",
			                k->scatter, platform ? platform : "missing");
		for (unsigned j = 0; j < i; j++)
			if (b->pkgs[j].chip == k->chip && b->npkgs > 1)
				return mtk_fail(b->cli->ctx, MTK_E_INVAL,
				                "%s and %s are both for %s: which one?", b->pkgs[j].scatter,
				                k->scatter, k->chip->name);
	}
	return 0;
}

static int start_batch(struct batch *b)
{
	int rc = load_packages(b);
	if (rc == 0)
		rc = batch_policy_load(b);
	if (rc == 0)
		rc = make_dir(b);
	if (rc == 0)
		rc = load_station_key(b);
	if (rc == 0) { /* before any port's first event */
		pthread_mutex_lock(&b->lock);
		batch_view_start(b);
		pthread_mutex_unlock(&b->lock);
	}
	for (unsigned i = 0; rc == 0 && i < b->nports; i++)
		rc = port_start(b->ports[i]);
	return rc;
}

static int run_batch(struct batch *b)
{
	struct cli *cli = b->cli;
	b->a.no_prompt = true;
	b->a.audit_dir = b->dir;
	b->json = cli->json;
	b->live = !cli->json && isatty(STDOUT_FILENO);
	json_object_seed(0); /* before any thread makes an object */
	install_signals();
	int rc = start_batch(b);
	if (rc < 0) {
		pthread_mutex_lock(&b->lock);
		b->halt = true; /* ends the ports already started */
		pthread_mutex_unlock(&b->lock);
	}
	supervise(b, rc == 0 && b->ports_arg == NULL);
	if (rc < 0)
		return b->policy_reported ? cli_exit_for(rc) : cli_fail(cli, rc, "starting the batch");
	bool interrupted = cli_stop_signal != 0 && !(b->count && b->finished >= b->count);
	if (interrupted && severity(b->worst) <= severity(EXIT_ROLLEDBACK))
		b->worst = 128 + cli_stop_signal;
	batch_view_summary(b, interrupted);
	return b->worst;
}

int cmd_batch(struct cli *cli, int argc, char **argv)
{
	struct batch *b = calloc(1, sizeof *b);
	if (!b)
		return cli_fail(cli, mtk_fail(cli->ctx, MTK_E_NOMEM, "no memory"), NULL);
	b->cli = cli;
	b->max = BATCH_DEFAULT_MAX;
	cli_plan_args_init(&b->a);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->changed, NULL);
	for (unsigned i = 0; i < BATCH_MAX_PACKAGES; i++)
		pthread_mutex_init(&b->pkgs[i].cache.lock, NULL);
	struct option opts[NOPTS];
	batch_options(opts);
	int first = argc;
	int st = cli_parse_opts(cli, "batch", help, argc, argv, opts, on_option, b, &first);
	if (st == CLI_CONTINUE)
		st = check_args(cli, b, argc - first);
	if (st == CLI_CONTINUE) {
		st = run_batch(b);
		/* the JSON lines were the output: no document after them */
		cli->json = false;
	}
	for (unsigned i = 0; i < b->nports; i++)
		port_free(b->ports[i]);
	cli_plan_args_free(&b->a);
	for (unsigned i = 0; i < BATCH_MAX_PACKAGES; i++)
		pthread_mutex_destroy(&b->pkgs[i].cache.lock);
	pthread_cond_destroy(&b->changed);
	pthread_mutex_destroy(&b->lock);
	free(b);
	return st;
}
