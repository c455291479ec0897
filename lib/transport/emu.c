/* SPDX-License-Identifier: MIT */
/* The emulator in-process: a socketpair, the device served on a thread.
 * Spec: emu:CHIP[,state=DIR][,faults=SPEC][,mode=brom|preloader][,speed=M][,secure=sbc+sla+daa|0xHEX] */
#include "transport/transport_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/ctx.h"
#include "mtkemu.h"

struct emu_priv {
	int fd;     /* our end */
	int dev_fd; /* the device's end */
	struct mtkemu *emu;
	pthread_t thread;
	char spec[512]; /* owns the strings the options point into */
};

static void *emu_thread(void *arg)
{
	struct emu_priv *p = arg;
	mtkemu_serve(p->emu, p->dev_fd);
	/* Closing the device's end is how the host sees a disconnect. */
	shutdown(p->dev_fd, SHUT_RDWR);
	return NULL;
}

static int emu_read(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	struct emu_priv *p = t->priv;
	return mtk_fd_read(t->ctx, p->fd, buf, len, timeout_ms);
}

static int emu_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms)
{
	struct emu_priv *p = t->priv;
	return mtk_fd_write(t->ctx, p->fd, buf, len, timeout_ms, true);
}

static void emu_drain(struct mtk_transport *t)
{
	struct emu_priv *p = t->priv;
	mtk_fd_drain(p->fd);
}

static void emu_close(struct mtk_transport *t)
{
	struct emu_priv *p = t->priv;
	mtkemu_stop(p->emu);
	shutdown(p->fd, SHUT_RDWR);
	pthread_join(p->thread, NULL);
	close(p->fd);
	close(p->dev_fd);
	mtkemu_free(p->emu);
	free(p);
}

static const struct mtk_transport_ops emu_ops = {
	.name = "emu",
	.read = emu_read,
	.write = emu_write,
	.drain_input = emu_drain,
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

static int parse_spec(mtk_ctx *ctx, char *spec, struct mtkemu_options *o)
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
		else
			return mtk_fail(ctx, MTK_E_INVAL,
					"unknown emu option '%s' (known: state, faults, mode, speed, secure)", kv);
	}
	return 0;
}

int mtk_emu_open(mtk_ctx *ctx, const char *args, struct mtk_transport **out)
{
	struct emu_priv *p = calloc(1, sizeof *p);
	if (!p)
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	snprintf(p->spec, sizeof p->spec, "%s", args);
	struct mtkemu_options o = { 0 };
	int rc = parse_spec(ctx, p->spec, &o);
	if (rc < 0)
		goto fail;
	char err[256] = "";
	if (mtkemu_new(&o, &p->emu, err, sizeof err) < 0) {
		rc = mtk_fail(ctx, MTK_E_NODEV, "emulator: %s", err);
		goto fail;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = mtk_fail(ctx, MTK_E_IO, "socketpair: %s", strerror(errno));
		goto fail_emu;
	}
	p->fd = sv[0];
	p->dev_fd = sv[1];
	mtk_fd_set_nonblock(p->fd);
	if (pthread_create(&p->thread, NULL, emu_thread, p) != 0) {
		rc = mtk_fail(ctx, MTK_E_IO, "cannot start the emulator thread");
		close(sv[0]);
		close(sv[1]);
		goto fail_emu;
	}
	struct mtk_transport *t = mtk_transport_alloc(ctx, &emu_ops, p);
	if (!t) {
		*out = NULL;
		struct mtk_transport tmp = { .priv = p };
		emu_close(&tmp);
		return mtk_fail(ctx, MTK_E_NOMEM, "out of memory");
	}
	snprintf(t->desc, sizeof t->desc, "emu:%s", args);
	t->virtual_device = true;
	*out = t;
	return 0;
fail_emu:
	mtkemu_free(p->emu);
fail:
	free(p);
	return rc;
}
