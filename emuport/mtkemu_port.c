/* SPDX-License-Identifier: MIT */
/* The emulator in-process: a socketpair, the device served on a thread.
 * It lives beside the library, not in it, so libmtkflash ships no
 * emulator: a front end (mtkflash, mtkflash-gtk, a test) registers it as
 * the "emu" scheme.
 * Spec: emu:CHIP[,state=DIR][,faults=SPEC][,mode=brom|preloader][,speed=M][,secure=sbc+sla+daa|0xHEX]
 *       [,preloader=real|simple][,listen-ms=N][,plug=replug|power-cycle]
 *
 * Each open is one host session on a phone that stays plugged in: with
 * state=DIR, what the phone runs is kept in DIR/power.ini between runs
 * (plug= replugs or power-cycles it before this session).  When the phone
 * re-enumerates (speed switch, FINISH) the device's end closes; reopen()
 * gives it a new socketpair and serves the same phone again. */
#include "mtkemu_port.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mtkemu.h"
#include "mtkflash/transport.h"
#include "mtkflash/util.h"

struct emu_priv {
	int fd;     /* our end */
	int dev_fd; /* the device's end */
	struct mtkemu *emu;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool running; /* a serve thread exists and was not joined */
	bool ended;   /* the serve thread returned ... */
	int end;      /* ... this enum mtkemu_serve_end */
	char spec[512]; /* owns the strings the options point into */
};

static void *emu_thread(void *arg)
{
	struct emu_priv *p = arg;
	int end = mtkemu_serve(p->emu, p->dev_fd);
	/* Closing the device's end is how the host sees a disconnect. */
	shutdown(p->dev_fd, SHUT_RDWR);
	pthread_mutex_lock(&p->lock);
	p->ended = true;
	p->end = end;
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int start_session(mtk_ctx *ctx, struct emu_priv *p)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return mtk_fail(ctx, MTK_E_IO, "socketpair: %s", strerror(errno));
	p->fd = sv[0];
	p->dev_fd = sv[1];
	p->ended = false;
	mtk_fd_set_nonblock(p->fd);
	if (pthread_create(&p->thread, NULL, emu_thread, p) != 0) {
		close(sv[0]);
		close(sv[1]);
		p->fd = p->dev_fd = -1;
		return mtk_fail(ctx, MTK_E_IO, "cannot start the emulator thread");
	}
	p->running = true;
	return 0;
}

/* Ends this session's port: the thread joined, both ends closed. */
static void end_session(struct emu_priv *p)
{
	if (p->running)
		pthread_join(p->thread, NULL);
	p->running = false;
	if (p->fd >= 0)
		close(p->fd);
	if (p->dev_fd >= 0)
		close(p->dev_fd);
	p->fd = p->dev_fd = -1;
}

/* Waits up to wait_ms for the serve thread to end; returns whether it did. */
static bool wait_ended(struct emu_priv *p, int wait_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	while (!p->ended && pthread_cond_timedwait(&p->done, &p->lock, &until) == 0)
		;
	bool ended = p->ended;
	pthread_mutex_unlock(&p->lock);
	return ended;
}

/* The phone left the bus and came back (or the cable was re-inserted after
 * a disconnect fault): the same phone on a new socketpair. */
static int emu_reopen(struct mtk_transport *t, int wait_ms)
{
	struct emu_priv *p = mtk_transport_priv(t);
	if (!wait_ended(p, wait_ms < 0 ? 0 : wait_ms))
		return mtk_fail(mtk_transport_ctx(t), MTK_E_NODEV, "emu: the device did not leave the bus within %d ms", wait_ms);
	if (p->end != MTKEMU_END_REENUMERATE && p->end != MTKEMU_END_FAULT)
		return mtk_fail(mtk_transport_ctx(t), MTK_E_NODEV, "emu: the device left the bus and did not come back (%s)",
				p->end == MTKEMU_END_GONE ? "it booted on" : "the session was closed");
	end_session(p);
	return start_session(mtk_transport_ctx(t), p);
}

static int emu_read(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	struct emu_priv *p = mtk_transport_priv(t);
	return mtk_fd_read(mtk_transport_ctx(t), p->fd, buf, len, timeout_ms);
}

static int emu_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms)
{
	struct emu_priv *p = mtk_transport_priv(t);
	return mtk_fd_write(mtk_transport_ctx(t), p->fd, buf, len, timeout_ms, true);
}

static void emu_drain(struct mtk_transport *t)
{
	struct emu_priv *p = mtk_transport_priv(t);
	mtk_fd_drain(p->fd);
}

static void emu_free(struct emu_priv *p)
{
	if (p->running) {
		/* The host closes its port: the device notices (not a stop), so
		 * it ends the session the way a phone would. */
		shutdown(p->fd, SHUT_RDWR);
		if (!wait_ended(p, 2000))
			mtkemu_stop(p->emu);
	}
	end_session(p);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->done);
	mtkemu_free(p->emu);
	free(p);
}

static void emu_close(struct mtk_transport *t)
{
	emu_free(mtk_transport_priv(t));
}

static const struct mtk_transport_ops emu_ops = {
	.name = "emu",
	.read = emu_read,
	.write = emu_write,
	.drain_input = emu_drain,
	.reopen = emu_reopen,
	.close = emu_close,
};

/* Options are separated by commas, so a list inside one is written with
 * '+' (secure=sbc+sla+daa, faults=stall-after=9+da-silent); the emulator
 * itself takes commas. */
static char *plus_to_comma(char *v)
{
	for (char *c = v; *c; c++)
		if (*c == '+')
			*c = ',';
	return v;
}

static int parse_listen_ms(mtk_ctx *ctx, const char *v, unsigned *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (!*v || *v == '-' || *end || n == 0 || n > 3600000)
		return mtk_fail(ctx, MTK_E_INVAL, "emu option listen-ms: '%s' is not a time in ms (1..3600000)", v);
	*out = (unsigned)n;
	return 0;
}

static int parse_plug(mtk_ctx *ctx, const char *v, int *plug)
{
	if (strcmp(v, "replug") == 0)
		*plug = 1;
	else if (strcmp(v, "power-cycle") == 0)
		*plug = 2;
	else
		return mtk_fail(ctx, MTK_E_INVAL, "emu option plug: '%s' (known: replug, power-cycle)", v);
	return 0;
}

static int parse_spec(mtk_ctx *ctx, char *spec, struct mtkemu_options *o, int *plug)
{
	char *save = NULL;
	o->chip = strtok_r(spec, ",", &save);
	if (!o->chip || !*o->chip)
		return mtk_fail(ctx, MTK_E_INVAL, "emu: needs a chip name, e.g. emu:mt6737");
	for (char *kv; (kv = strtok_r(NULL, ",", &save));) {
		char *eq = strchr(kv, '=');
		if (!eq)
			return mtk_fail(ctx, MTK_E_INVAL, "emu option '%s' has no '=' (e.g. state=DIR)", kv);
		*eq = '\0';
		const char *v = eq + 1;
		if (strcmp(kv, "state") == 0)
			o->state_dir = v;
		else if (strcmp(kv, "faults") == 0)
			o->faults = plus_to_comma(eq + 1);
		else if (strcmp(kv, "mode") == 0)
			o->mode = v;
		else if (strcmp(kv, "speed") == 0)
			o->speed = v;
		else if (strcmp(kv, "secure") == 0)
			o->security = plus_to_comma(eq + 1);
		else if (strcmp(kv, "preloader") == 0)
			o->preloader = v;
		else if (strcmp(kv, "auth-key") == 0)
			o->auth_key = v;
		else if (strcmp(kv, "listen-ms") == 0) {
			if (parse_listen_ms(ctx, v, &o->listen_ms) < 0)
				return MTK_E_INVAL;
		} else if (strcmp(kv, "plug") == 0) {
			if (parse_plug(ctx, v, plug) < 0)
				return MTK_E_INVAL;
		} else
			return mtk_fail(ctx, MTK_E_INVAL,
					"unknown emu option '%s' (known: state, faults, mode, speed, secure, auth-key, "
					"preloader, listen-ms, plug)",
					kv);
	}
	o->persist_session = o->state_dir != NULL;
	return 0;
}

/* An in-process emulator outlives the process only through its state
 * folder: that names the phone ("emu:DIR"); without one there is nothing
 * to reattach to next time. */
static void emu_port_key(struct mtk_transport *t, const char *state_dir)
{
	char abs[PATH_MAX];
	if (!state_dir)
		return;
	char *key = mtk_str_concat("emu:", realpath(state_dir, abs) ? abs : state_dir);
	/* Too long to keep whole: the transport keeps none rather than one naming another phone. */
	if (key)
		mtk_transport_set_port_key(t, key);
	free(key);
}

/* The phone is always there: wait_ms has nothing to wait for. */
static int emu_open(mtk_ctx *ctx, const char *args, int wait_ms, struct mtk_transport **out)
{
	(void)wait_ms;
	struct emu_priv *p = calloc(1, sizeof *p);
	if (!p)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	snprintf(p->spec, sizeof p->spec, "%s", args);
	p->fd = p->dev_fd = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->done, NULL);
	struct mtkemu_options o = { 0 };
	int plug = 0;
	int rc = parse_spec(ctx, p->spec, &o, &plug);
	if (rc < 0)
		goto fail;
	char err[256] = "";
	if (mtkemu_new(&o, &p->emu, err, sizeof err) < 0) {
		rc = mtk_fail(ctx, MTK_E_NODEV, "emulator: %s", err);
		goto fail;
	}
	if (plug == 1)
		mtkemu_replug(p->emu);
	else if (plug == 2)
		mtkemu_power_cycle(p->emu);
	if ((rc = start_session(ctx, p)) < 0)
		goto fail_emu;
	struct mtk_transport *t = mtk_transport_alloc(ctx, &emu_ops, p);
	if (!t) {
		*out = NULL;
		emu_free(p);
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	}
	char desc[256];
	snprintf(desc, sizeof desc, "emu:%s", args);
	mtk_transport_set_desc(t, desc);
	mtk_transport_set_virtual(t, true);
	emu_port_key(t, o.state_dir);
	*out = t;
	return 0;
fail_emu:
	mtkemu_free(p->emu);
fail:
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->done);
	free(p);
	return rc;
}

int mtkemu_port_register(void)
{
	return mtk_transport_register_scheme("emu", emu_open);
}
