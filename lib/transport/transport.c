/* SPDX-License-Identifier: MIT */
#include "transport/transport_priv.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ctx.h"

struct mtk_transport *mtk_transport_alloc(mtk_ctx *ctx, const struct mtk_transport_ops *ops, void *priv)
{
	struct mtk_transport *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ops = ops;
	t->ctx = ctx;
	t->priv = priv;
	return t;
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Backends the program registered (the CLI's emulator); the library itself
 * knows none, so it does not carry what they need.  The one table of the
 * process, shared by every thread's opens: locked, so a registration never
 * meets a half-written entry. */
#define MAX_SCHEMES 4
static struct {
	char name[16];
	mtk_transport_open_fn open;
} schemes[MAX_SCHEMES];
static pthread_mutex_t schemes_lock = PTHREAD_MUTEX_INITIALIZER;

static int add_scheme(const char *scheme, size_t len, mtk_transport_open_fn open)
{
	for (size_t i = 0; i < MAX_SCHEMES; i++) {
		if (!schemes[i].open || strcmp(schemes[i].name, scheme) == 0) {
			memcpy(schemes[i].name, scheme, len + 1);
			schemes[i].open = open;
			return 0;
		}
	}
	return MTK_E_NOMEM;
}

int mtk_transport_register_scheme(const char *scheme, mtk_transport_open_fn open)
{
	size_t len = scheme ? strlen(scheme) : 0;
	if (len == 0 || len >= sizeof schemes[0].name || strchr(scheme, ':') || !open)
		return MTK_E_INVAL;
	pthread_mutex_lock(&schemes_lock);
	int rc = add_scheme(scheme, len, open);
	pthread_mutex_unlock(&schemes_lock);
	return rc;
}

/* The registered backend for "SCHEME:...", or NULL; *args points past the colon. */
static mtk_transport_open_fn registered_backend(const char *spec, const char **args)
{
	mtk_transport_open_fn found = NULL;
	pthread_mutex_lock(&schemes_lock);
	for (size_t i = 0; i < MAX_SCHEMES && schemes[i].open && !found; i++) {
		size_t n = strlen(schemes[i].name);
		if (strncmp(spec, schemes[i].name, n) == 0 && spec[n] == ':') {
			*args = spec + n + 1;
			found = schemes[i].open;
		}
	}
	pthread_mutex_unlock(&schemes_lock);
	return found;
}

int mtk_transport_open(mtk_ctx *ctx, const char *spec, int wait_ms, struct mtk_transport **out)
{
	int rc;
	const char *args = NULL;
	mtk_transport_open_fn backend = spec ? registered_backend(spec, &args) : NULL;
	*out = NULL;
	/* auto: libusb when the build has it (the tty of a device libusb
	 * cannot reach is the fallback), else the tty that cdc_acm gives it. */
	if (!spec || !*spec || strcmp(spec, "auto") == 0)
		rc = mtk_usb_open(ctx, "", wait_ms, out);
	else if (has_prefix(spec, "serial:"))
		rc = mtk_serial_open(ctx, spec + 7, wait_ms, out);
	else if (spec[0] == '/')
		rc = mtk_serial_open(ctx, spec, wait_ms, out);
	else if (backend)
		rc = backend(ctx, args, wait_ms, out);
	else if (has_prefix(spec, "emu:"))
		return mtk_fail(ctx, MTK_E_INVAL, "port '%s': this build has no emulator transport", spec);
	else if (strcmp(spec, "usb") == 0 || has_prefix(spec, "usb:"))
		rc = mtk_usb_open(ctx, spec + 3, wait_ms, out);
	else
		return mtk_fail(ctx, MTK_E_INVAL,
				"unknown port '%s' (use auto, usb[:BUS:ADDR], serial:PATH, a /dev path or emu:CHIP)",
				spec);
	if (rc < 0)
		return mtk_wrap(ctx, rc, "opening port %s", spec);
	mtk_dbg(ctx, "opened %s", (*out)->desc);
	return 0;
}

void mtk_transport_close(struct mtk_transport *t)
{
	if (!t)
		return;
	if (t->ops->close)
		t->ops->close(t);
	free(t);
}

const char *mtk_transport_describe(const struct mtk_transport *t)
{
	return t->desc;
}

const char *mtk_transport_port_key(const struct mtk_transport *t) { return t->port_key; }
bool mtk_transport_is_virtual(const struct mtk_transport *t) { return t->virtual_device; }
const char *mtk_transport_name(const struct mtk_transport *t) { return t->ops->name; }
bool mtk_transport_can_reopen(const struct mtk_transport *t) { return t->ops->reopen != NULL; }

int mtk_transport_reopen(struct mtk_transport *t, int wait_ms)
{
	if (!t->ops->reopen)
		return mtk_fail(t->ctx, MTK_E_UNSUPPORTED, "the %s port cannot follow a device that re-enumerates",
				t->ops->name);
	return t->ops->reopen(t, wait_ms);
}

void *mtk_transport_priv(const struct mtk_transport *t) { return t->priv; }
mtk_ctx *mtk_transport_ctx(const struct mtk_transport *t) { return t->ctx; }
void mtk_transport_set_virtual(struct mtk_transport *t, bool virtual_device) { t->virtual_device = virtual_device; }

void mtk_transport_counts(const struct mtk_transport *t, uint64_t *in, uint64_t *out)
{
	*in = t->bytes_in;
	*out = t->bytes_out;
}

void mtk_transport_set_desc(struct mtk_transport *t, const char *desc)
{
	snprintf(t->desc, sizeof t->desc, "%s", desc);
}

int mtk_transport_set_port_key(struct mtk_transport *t, const char *key)
{
	if (strlen(key) >= sizeof t->port_key) {
		t->port_key[0] = 0;
		return MTK_E_RANGE;
	}
	memcpy(t->port_key, key, strlen(key) + 1);
	return 0;
}

int mtk_tp_read_some(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	int n = t->ops->read(t, buf, len, timeout_ms);
	if (n > 0) {
		t->bytes_in += (uint64_t)n;
		mtk_log_hex(t->ctx, "D->H", buf, (size_t)n);
	}
	return n;
}

static void describe_partial(char *out, size_t cap, const uint8_t *buf, size_t got)
{
	size_t pos = (size_t)snprintf(out, cap, "%zu byte%s", got, got == 1 ? "" : "s");
	if (got == 0)
		return;
	pos += (size_t)snprintf(out + pos, cap - pos, ":");
	for (size_t i = 0; i < got && i < 16 && pos + 4 < cap; i++)
		pos += (size_t)snprintf(out + pos, cap - pos, " %02x", buf[i]);
	if (got > 16 && pos + 5 < cap)
		snprintf(out + pos, cap - pos, " ...");
}

int mtk_tp_read_exact(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	return mtk_tp_read_exact_seen(t, buf, len, timeout_ms, NULL, NULL);
}

int mtk_tp_read_exact_seen(struct mtk_transport *t, uint8_t *buf, size_t len, int timeout_ms, mtk_tp_seen_fn seen,
			   void *user)
{
	size_t got = 0;
	/* One deadline for the whole answer: a device that trickles a byte
	 * per timeout must not keep us waiting forever. */
	long long start = mtk_now_ms(t->ctx);
	while (got < len) {
		long long elapsed = mtk_now_ms(t->ctx) - start;
		int left = elapsed >= timeout_ms ? 0 : timeout_ms - (int)elapsed;
		int n = left > 0 ? t->ops->read(t, buf + got, len - got, left) : MTK_E_TIMEOUT;
		if (n == MTK_E_TIMEOUT) {
			char part[96];
			describe_partial(part, sizeof part, buf, got);
			return mtk_fail(t->ctx, MTK_E_TIMEOUT, "expected %zu bytes within %d ms, got %s", len,
					timeout_ms, part);
		}
		if (n < 0)
			return n;
		if (seen)
			seen(user, buf + got, (size_t)n);
		got += (size_t)n;
	}
	t->bytes_in += len;
	mtk_log_hex(t->ctx, "D->H", buf, len);
	return 0;
}

int mtk_tp_write(struct mtk_transport *t, const uint8_t *buf, size_t len, int timeout_ms)
{
	mtk_log_hex(t->ctx, "H->D", buf, len);
	int rc = t->ops->write(t, buf, len, timeout_ms);
	if (rc == 0)
		t->bytes_out += len;
	return rc;
}

void mtk_tp_drain(struct mtk_transport *t)
{
	if (t->ops->drain_input)
		t->ops->drain_input(t);
}
