/* SPDX-License-Identifier: MIT */
/* A job's way to the phone: the port (waiting for a phone whose port comes
 * and goes before the handshake), the DA file, DRAM settings, the session. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job_priv.h"
#include "mtkflash/util.h"

#define PRELOADER_MAX (16u << 20)
#define AUTH_FILE_MAX (1u << 20)
/* A phone takes a second or two to drop off the bus and come back. */
#define REOPEN_WAIT_MS 10000

static bool is_file(const char *p)
{
	struct stat st;
	return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool find_synthetic(const struct job *j, char *out, size_t cap)
{
	if (is_file(j->o->virtual_da_file)) {
		snprintf(out, cap, "%s", j->o->virtual_da_file);
		return true;
	}
	for (const char *const *p = mtk_dafile_synthetic_paths(); *p; p++) {
		if (is_file(*p)) {
			snprintf(out, cap, "%s", *p);
			return true;
		}
	}
	return false;
}

/* opts.da_file, then the user's DA folder; the synthetic DA only for a
 * software device: on a phone it would be filler code. */
static int find_da(struct job *j, char *out, size_t cap)
{
	if (j->o->da_file) {
		snprintf(out, cap, "%s", j->o->da_file);
		return 0;
	}
	char dir[JOB_PATH_MAX] = "";
	if (job_dir(NULL, "XDG_DATA_HOME", ".local/share", "mtkflash", dir, sizeof dir) && mtk_dafile_find_in_dir(dir, out, cap))
		return 0;
	if (j->c.tp && mtk_transport_is_virtual(j->c.tp) && find_synthetic(j, out, cap))
		return 0;
	return mtk_fail(j->ctx, MTK_E_NOTFOUND,
			"no Download Agent file: pass one (an MTK_AllInOne_DA*.bin), or put one in %s",
			dir[0] ? dir : "$XDG_DATA_HOME/mtkflash");
}

static int load_preloader(struct job *j, const char *path)
{
	size_t n;
	struct job_conn *c = &j->c;
	int rc = mtk_read_file_head(j->ctx, path, PRELOADER_MAX, &c->preloader_buf, &n);
	if (rc < 0)
		return mtk_wrap(j->ctx, rc, "cannot read the preloader");
	rc = mtk_preloader_or_emi_parse(j->ctx, c->preloader_buf, n, &c->pl);
	if (rc == 0)
		rc = mtk_preloader_da_emi(j->ctx, &c->pl, &c->emi);
	if (rc < 0)
		return mtk_wrap(j->ctx, rc, "%s", path);
	c->have_emi = true;
	return 0;
}

static int load_auth_file(struct job *j, const char *path, const char *what, uint8_t **buf, const uint8_t **data,
			  size_t *len)
{
	if (!path)
		return 0;
	int rc = mtk_read_small_file(j->ctx, path, AUTH_FILE_MAX, buf, len, NULL);
	if (rc == 0 && *len == 0)
		rc = mtk_fail(j->ctx, MTK_E_INVAL, "%s is empty", path);
	if (rc < 0)
		return mtk_wrap(j->ctx, rc, "%s", what);
	*data = *buf;
	return 0;
}

static void session_dir(struct job *j)
{
	const char *run = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	char *out = j->c.session_dir;
	size_t cap = sizeof j->c.session_dir;
	if (j->o->session_dir)
		snprintf(out, cap, "%s", j->o->session_dir);
	else if (run && *run)
		snprintf(out, cap, "%s/mtkflash/sessions", run);
	else if (home && *home)
		snprintf(out, cap, "%s/.cache/mtkflash/sessions", home);
}

/* Without a named DA, which one fits depends on what answers: the file is
 * looked for once the port is open, and a reattach needs none. */
static int attach(struct job *j)
{
	struct job_conn *c = &j->c;
	struct mtk_attach_opts ao = {
		.session_dir = c->session_dir[0] ? c->session_dir : NULL,
		.speed_switch = !j->o->no_speed_switch,
		.reopen_wait_ms = REOPEN_WAIT_MS,
		.auth = &c->auth,
	};
	int rc = j->o->da_file ? 0 : find_da(j, c->da_path, sizeof c->da_path);
	bool have_file = rc == 0;
	if (have_file && !c->file.buf && (rc = mtk_dafile_load(j->ctx, c->da_path, &c->file)) < 0)
		return rc;
	if (have_file)
		mtk_info(j->ctx, "using DA file %s", c->da_path);
	mtk_ctx_clear_error(j->ctx);
	enum mtk_attach_how how;
	rc = mtk_da_attach(j->ctx, c->tp, have_file ? &c->file : NULL, c->da_path, c->have_emi ? &c->emi : NULL, &ao,
			   &c->da, &how);
	if (rc == MTK_E_NOTFOUND && !have_file)
		return find_da(j, c->da_path, sizeof c->da_path);
	return rc;
}

/* ---------------------------------------------- a port that comes and goes */

struct attempts {
	long long start, opened_at;
	int n;
	char account[1024];
};

static bool port_searches(const char *spec)
{
	return strcmp(spec, "auto") == 0 || strcmp(spec, "usb") == 0 || strncmp(spec, "usb:", 4) == 0;
}

static const char *port_spec(const struct job *j)
{
	return j->o->port ? j->o->port : "auto";
}

static int open_first(struct job *j, struct attempts *a)
{
	const char *spec = port_spec(j);
	const char *path = strncmp(spec, "serial:", 7) == 0 ? spec + 7 : spec[0] == '/' ? spec : NULL;
	memset(a, 0, sizeof *a);
	a->start = mtk_now_ms(j->ctx);
	if (path && access(path, F_OK) != 0)
		return mtk_fail(j->ctx, MTK_E_NODEV, "%s: %s", path, strerror(errno));
	if (port_searches(spec) && j->o->wait_ms > 0)
		mtk_log(j->ctx, MTK_LOG_DEBUG, "waiting for a MediaTek device (hold volume-down while plugging in; up to %d s)",
			 j->o->wait_ms / 1000);
	int rc = mtk_transport_open(j->ctx, spec, j->o->wait_ms, &j->c.tp);
	a->opened_at = mtk_now_ms(j->ctx);
	return rc;
}

static int gave_up(struct job *j, const struct attempts *a)
{
	mtk_ctx_clear_error(j->ctx);
	return mtk_fail(j->ctx, MTK_E_NODEV,
			"the phone's port appeared and left the bus before the handshake, %d time%s (%s), and did "
			"not come back within %d s. Likely cause: a preloader's port lives only about 2 s "
			"(its listen window) and the phone then boots on; start first and plug the phone in "
			"after it says it is waiting, or power it off and hold volume-down while plugging it in (the "
			"BootROM port 0e8d:0003 waits); a program that opens new serial ports (ModemManager) can "
			"use up the window: stop it or install the udev rule", a->n, a->n == 1 ? "" : "s",
			a->account, j->o->wait_ms / 1000);
}

/* 1 when the port was reopened for another attempt, else the error. */
static int again(struct job *j, struct attempts *a, int rc)
{
	struct mtk_transport **tp = &j->c.tp;
	if (rc != MTK_E_DISCONNECTED || !*tp || !port_searches(port_spec(j)))
		return rc;
	a->n++;
	char one[600];
	snprintf(one, sizeof one, "attempt %d: %s left the bus %lld ms after it was opened (%s)", a->n,
		 mtk_transport_describe(*tp), mtk_now_ms(j->ctx) - a->opened_at, mtk_ctx_error(j->ctx));
	size_t len = strlen(a->account);
	snprintf(a->account + len, sizeof a->account - len, "%s%s", len ? "; " : "", one);
	mtk_warn(j->ctx, "%s; waiting for the phone to come back", one);
	mtk_transport_close(*tp);
	*tp = NULL;
	long long left = j->o->wait_ms - (mtk_now_ms(j->ctx) - a->start);
	if (left <= 0)
		return gave_up(j, a);
	mtk_ctx_clear_error(j->ctx);
	int orc = mtk_transport_open(j->ctx, port_spec(j), (int)left, tp);
	if (orc < 0)
		return orc == MTK_E_NODEV || orc == MTK_E_TIMEOUT ? gave_up(j, a) : orc;
	a->opened_at = mtk_now_ms(j->ctx);
	mtk_info(j->ctx, "attempt %d: %s", a->n + 1, mtk_transport_describe(*tp));
	return 1;
}

/* A flash of this device that neither finished nor rolled back: only
 * recover may act on its journal. */
static void warn_unfinished(struct job *j)
{
	char id[MTK_DEVICE_ID_MAX], root[JOB_PATH_MAX], dir[JOB_PATH_MAX];
	if (mtk_da_device_id(j->c.da, id) == 0 &&
	    job_dir(j->o->journal_root, "XDG_STATE_HOME", ".local/state", "mtkflash/journal", root, sizeof root) &&
	    mtk_journal_find_open(j->ctx, root, id, dir, sizeof dir) == 1)
		mtk_warn(j->ctx, "this device has an unfinished flash (journal %s): run `mtkflash recover` to finish "
			 "it or roll it back", dir);
	mtk_ctx_clear_error(j->ctx);
}

static int connect_with(struct job *j, const char *preloader)
{
	struct job_conn *c = &j->c;
	int rc = 0;
	if (j->o->da_file)
		snprintf(c->da_path, sizeof c->da_path, "%s", j->o->da_file);
	session_dir(j);
	if (preloader && (rc = load_preloader(j, preloader)) < 0)
		return rc;
	rc = load_auth_file(j, j->o->cert_file, "the certificate file", &c->cert_buf, &c->auth.cert,
			    &c->auth.cert_len);
	if (rc == 0)
		rc = load_auth_file(j, j->o->auth_file, "the authentication file", &c->auth_buf, &c->auth.auth,
				    &c->auth.auth_len);
	struct attempts att;
	if (rc < 0 || (rc = open_first(j, &att)) < 0)
		return rc;
	while ((rc = attach(j)) < 0 && (rc = again(j, &att, rc)) == 1) {
		mtk_da_close(c->da);
		c->da = NULL;
	}
	if (rc == 0)
		warn_unfinished(j);
	return rc;
}

/* A phone in BROM mode needs DRAM settings: by default the package's own
 * preloader's.  One that cannot be read is no reason to fail a phone that
 * does not need it. */
int job_connect(struct job *j, const char *preloader)
{
	if (j->o->preloader)
		return connect_with(j, j->o->preloader);
	int rc = connect_with(j, is_file(preloader) ? preloader : NULL);
	if (rc < 0 && is_file(preloader) && !j->c.tp) {
		mtk_warn(j->ctx, "the package's preloader gives no DRAM settings (%s): connecting without",
			 mtk_ctx_error(j->ctx));
		mtk_ctx_clear_error(j->ctx);
		job_disconnect(j);
		rc = connect_with(j, NULL);
	}
	return rc;
}

/* Ends the session as opts.after says; an error being reported is kept. */
static void end_session(struct job *j)
{
	int code = mtk_ctx_error_code(j->ctx);
	if (code && j->c.after == MTK_AFTER_STAY)
		return; /* the link may be dead: the record keeps its old fingerprint */
	char *saved = code ? strdup(mtk_ctx_error(j->ctx)) : NULL;
	if (mtk_da_end(j->c.da, j->c.session_dir[0] ? j->c.session_dir : NULL, (enum mtk_da_after)j->c.after) < 0)
		mtk_warn(j->ctx, "%s", mtk_ctx_error(j->ctx));
	mtk_ctx_clear_error(j->ctx);
	if (code)
		mtk_fail(j->ctx, code, "%s", saved ? saved : "");
	free(saved);
}

void job_disconnect(struct job *j)
{
	struct job_conn *c = &j->c;
	int after = c->after;
	if (c->da && !mtk_da_finished(c->da))
		end_session(j);
	mtk_da_close(c->da);
	if (c->tp)
		mtk_transport_close(c->tp);
	if (c->file.buf)
		mtk_dafile_free_loaded(&c->file);
	free(c->preloader_buf);
	free(c->cert_buf);
	free(c->auth_buf);
	memset(c, 0, sizeof *c);
	c->after = after;
}
