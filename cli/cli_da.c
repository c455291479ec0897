/* SPDX-License-Identifier: MIT */
/* Shared plumbing of the DA commands. */
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_connect.h"
#include "cli_da.h"
#include "mtkflash/journal.h"
#include "mtkflash/util.h"

#define PRELOADER_MAX (16u << 20)

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void user_data_dir(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(out, cap, "%s/mtkflash", xdg);
	else
		snprintf(out, cap, "%s/.local/share/mtkflash", home ? home : ".");
}

/* This executable lies under the build root it was built in: it runs
 * uninstalled (a developer's or the test suite's), so the DA the build made
 * is ours to use.  An installed copy never looks in a build tree. */
static bool running_uninstalled(void)
{
	char exe[PATH_MAX], root[PATH_MAX];
	if (!realpath("/proc/self/exe", exe) || !realpath(MTKFLASH_BUILD_ROOT, root))
		return false;
	size_t n = strlen(root);
	return strncmp(exe, root, n) == 0 && exe[n] == '/';
}

static bool find_synthetic(char *out, size_t cap)
{
	if (running_uninstalled() && is_file(MTKFLASH_BUILD_DA)) {
		snprintf(out, cap, "%s", MTKFLASH_BUILD_DA);
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

const char *cli_synthetic_da_path(char *out, size_t cap)
{
	return running_uninstalled() && is_file(MTKFLASH_BUILD_DA) && snprintf(out, cap, "%s", MTKFLASH_BUILD_DA) > 0
		       ? out
		       : NULL;
}

const char *cli_demo_key_path(void)
{
	if (running_uninstalled() && is_file(MTKFLASH_BUILD_DEMO_PUB))
		return MTKFLASH_BUILD_DEMO_PUB;
	return is_file(MTKFLASH_DEMO_PUB) ? MTKFLASH_DEMO_PUB : NULL;
}

/* --da first, then the user's DA folder.  The bundled synthetic DA is only
 * offered to a device that is software (mtk_transport_is_virtual(tp)): on a phone it
 * would be filler code, so a real port without a DA is an error. */
int cli_da_find_file(struct cli *cli, const struct mtk_transport *tp, char *out, size_t cap)
{
	if (cli->da) {
		snprintf(out, cap, "%s", cli->da);
		return 0;
	}
	char dir[4000];
	user_data_dir(dir, sizeof dir);
	if (mtk_dafile_find_in_dir(dir, out, cap))
		return 0;
	bool emulated = tp ? mtk_transport_is_virtual(tp) : (cli->port && strncmp(cli->port, "emu:", 4) == 0);
	if (emulated && find_synthetic(out, cap))
		return 0;
	return mtk_fail(cli->ctx, MTK_E_NOTFOUND,
			"no Download Agent file: pass --da FILE (an MTK_AllInOne_DA*.bin), or put one in %s", dir);
}

static int load_preloader(struct cli *cli, const char *path, struct cli_da *s)
{
	size_t n;
	int rc = mtk_read_file_head(cli->ctx, path, PRELOADER_MAX, &s->preloader_buf, &n);
	if (rc < 0)
		return mtk_wrap(cli->ctx, rc, "cannot read the preloader");
	rc = mtk_preloader_or_emi_parse(cli->ctx, s->preloader_buf, n, &s->pl); /* a bare EMI block too */
	if (rc < 0)
		return mtk_wrap(cli->ctx, rc, "%s", path);
	rc = mtk_preloader_da_emi(cli->ctx, &s->pl, &s->emi);
	if (rc < 0)
		return mtk_wrap(cli->ctx, rc, "%s", path);
	s->have_emi = true;
	return 0;
}

const char *cli_session_dir(struct cli *cli, char *buf, size_t cap)
{
	if (cli->session_dir)
		return cli->session_dir;
	const char *run = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	if (run && *run)
		snprintf(buf, cap, "%s/mtkflash/sessions", run);
	else if (home && *home)
		snprintf(buf, cap, "%s/.cache/mtkflash/sessions", home);
	else
		return NULL;
	return buf;
}

/* A phone takes a second or two to drop off the bus and come back. */
#define REOPEN_WAIT_MS 10000

/* Without --da, which DA fits depends on what answers: the DA file is only
 * looked for once the port is open (and a reattach needs none). */
static int connect_da(struct cli *cli, struct cli_da *s)
{
	const char *dir = cli_session_dir(cli, s->session_dir, sizeof s->session_dir);
	if (dir != s->session_dir)
		snprintf(s->session_dir, sizeof s->session_dir, "%s", dir ? dir : "");
	struct mtk_attach_opts o = {
		.session_dir = s->session_dir[0] ? s->session_dir : NULL,
		.speed_switch = !cli->no_speed_switch,
		.reopen_wait_ms = REOPEN_WAIT_MS,
	};
	/* A DA already running needs no file: look for one, but only insist
	 * when the phone turns out to need a DA started. */
	int rc = cli->da ? 0 : cli_da_find_file(cli, s->tp, s->da_path, sizeof s->da_path);
	bool have_file = rc == 0;
	if (have_file && !s->file.buf && (rc = mtk_dafile_load(cli->ctx, s->da_path, &s->file)) < 0)
		return rc;
	if (have_file)
		mtk_info(cli->ctx, "using DA file %s", s->da_path);
	mtk_ctx_clear_error(cli->ctx);
	o.auth = &s->auth;
	enum mtk_attach_how how;
	rc = mtk_da_attach(cli->ctx, s->tp, have_file ? &s->file : NULL, s->da_path, s->have_emi ? &s->emi : NULL, &o,
			   &s->da, &how);
	if (rc == MTK_E_NOTFOUND && !have_file)
		return cli_da_find_file(cli, s->tp, s->da_path, sizeof s->da_path);
	return rc;
}

/* Small files (a few KiB); 1 MiB is far beyond any. */
#define AUTH_FILE_MAX (1u << 20)

static int load_auth_file(struct cli *cli, const char *path, const char *opt, uint8_t **buf, const uint8_t **data,
			  size_t *len)
{
	if (!path)
		return 0;
	int rc = mtk_read_small_file(cli->ctx, path, AUTH_FILE_MAX, buf, len, NULL);
	if (rc == 0 && *len == 0)
		rc = mtk_fail(cli->ctx, MTK_E_INVAL, "%s is empty", path);
	if (rc < 0)
		return mtk_wrap(cli->ctx, rc, "%s", opt);
	*data = *buf;
	return 0;
}

static int load_auth_files(struct cli *cli, struct cli_da *s)
{
	int rc = load_auth_file(cli, cli->cert_file, "--cert", &s->cert_buf, &s->auth.cert, &s->auth.cert_len);
	return rc < 0 ? rc : load_auth_file(cli, cli->auth_file, "--auth", &s->auth_buf, &s->auth.auth, &s->auth.auth_len);
}

/* A flash of this device that neither finished nor rolled back: its
 * journal knows what is in doubt, and only recover acts on it. */
static void warn_unfinished(struct cli *cli, struct mtk_da *da)
{
	char id[MTK_DEVICE_ID_MAX], root[4096], dir[4096];
	if (mtk_da_device_id(da, id) < 0 || !cli_journal_root(root, sizeof root)) {
		mtk_ctx_clear_error(cli->ctx);
		return;
	}
	if (mtk_journal_find_open(cli->ctx, root, id, dir, sizeof dir) == 1)
		mtk_warn(cli->ctx, "this device has an unfinished flash (journal %s): run `mtkflash recover` to finish "
			 "it or roll it back", dir);
	mtk_ctx_clear_error(cli->ctx);
}

int cli_da_open(struct cli *cli, const char *preloader, struct cli_da *s)
{
	memset(s, 0, sizeof *s);
	s->cli = cli;
	int rc = cli->da ? cli_da_find_file(cli, NULL, s->da_path, sizeof s->da_path) : 0;
	if (rc < 0)
		return rc;
	if (preloader && (rc = load_preloader(cli, preloader, s)) < 0)
		return rc;
	if ((rc = load_auth_files(cli, s)) < 0)
		return rc;
	struct cli_attempts att;
	if ((rc = cli_open_first(cli, &att, &s->tp)) < 0)
		return rc;
	while ((rc = connect_da(cli, s)) < 0 && (rc = cli_connect_again(cli, &att, &s->tp, rc)) == 1) {
		mtk_da_close(s->da);
		s->da = NULL;
	}
	if (rc == 0 && !cli->recovering)
		warn_unfinished(cli, s->da);
	return rc;
}

static void end_session(struct cli_da *s)
{
	mtk_ctx *ctx = s->cli->ctx;
	int code = mtk_ctx_error_code(ctx);
	/* After a failure the link may be dead: the record keeps its old
	 * fingerprint, and a reattach that finds the sectors changed refuses. */
	if (code && s->cli->after == MTK_AFTER_STAY)
		return;
	char *saved = code ? strdup(mtk_ctx_error(ctx)) : NULL;
	int rc = mtk_da_end(s->da, s->session_dir[0] ? s->session_dir : NULL, (enum mtk_da_after)s->cli->after);
	if (rc < 0)
		mtk_warn(ctx, "%s", mtk_ctx_error(ctx));
	mtk_ctx_clear_error(ctx);
	if (code)
		mtk_fail(ctx, code, "%s", saved ? saved : "");
	free(saved);
}

void cli_da_close(struct cli_da *s)
{
	if (s->da && s->cli && !mtk_da_finished(s->da))
		end_session(s);
	mtk_da_close(s->da);
	if (s->tp)
		mtk_transport_close(s->tp);
	if (s->file.buf)
		mtk_dafile_free_loaded(&s->file);
	free(s->preloader_buf);
	free(s->cert_buf);
	free(s->auth_buf);
	memset(s, 0, sizeof *s);
}

bool cli_part_is_ptable(const char *name)
{
	static const char *const names[] = { "pgpt", "sgpt", "PMT", "__NODL_PMT", "MBR", "gpt", NULL };
	for (const char *const *n = names; *n; n++)
		if (strcasecmp(name, *n) == 0)
			return true;
	return strncasecmp(name, "EBR", 3) == 0;
}

bool cli_part_is_bootloader(const char *name)
{
	return strcasecmp(name, "preloader") == 0;
}

/* The three classes need different flags: each refusal names its own. */
static const struct {
	unsigned flag;
	const char *what, *option;
} allow_rules[] = {
	{ CLI_ALLOW_BOOTLOADER, "the bootloader partition", "--allow-bootloader" },
	{ CLI_ALLOW_PROTECTED, "the protected partition (device-unique data such as IMEI and calibration)",
	  "--allow-protected" },
	{ CLI_ALLOW_PTABLE, "the partition table", "--allow-ptable" },
};

static unsigned flag_needed(const char *name)
{
	if (cli_part_is_ptable(name))
		return CLI_ALLOW_PTABLE;
	if (mtk_part_name_is_bootloader(name))
		return CLI_ALLOW_BOOTLOADER;
	return mtk_part_name_is_protected(name) ? CLI_ALLOW_PROTECTED : 0;
}


const struct option cli_allow_options[] = {
	{ "allow-bootloader", no_argument, NULL, CLI_ALLOW_BOOTLOADER },
	{ "allow-protected", no_argument, NULL, CLI_ALLOW_PROTECTED },
	{ "allow-ptable", no_argument, NULL, CLI_ALLOW_PTABLE },
	{ "preloader", required_argument, NULL, CLI_OPT_PRELOADER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cli_on_allow_option(struct cli *cli, void *args, int opt, const char *val)
{
	(void)cli;
	struct cli_allow_args *a = args;
	if (opt == CLI_OPT_PRELOADER)
		a->preloader = val;
	else
		a->allowed |= (unsigned)opt;
	return CLI_CONTINUE;
}

int cli_check_allowed(struct cli *cli, const char *verb, const char *name, unsigned allowed)
{
	unsigned need = flag_needed(name);
	for (size_t i = 0; i < sizeof allow_rules / sizeof allow_rules[0]; i++)
		if ((need & allow_rules[i].flag) && !(allowed & allow_rules[i].flag))
			return mtk_fail(cli->ctx, MTK_E_POLICY, "refusing to %s %s '%s' without %s", verb,
					allow_rules[i].what, name, allow_rules[i].option);
	return 0;
}

/* A partition the table does not have is a mistake on the command line. */
int cli_da_find_part(struct cli *cli, const struct mtk_ptable *t, const char *name, const struct mtk_part **out)
{
	int rc = mtk_part_lookup(cli->ctx, t, name, out);
	return rc == MTK_E_NOTFOUND ? mtk_wrap(cli->ctx, MTK_E_INVAL, "%s", "unknown partition") : rc;
}

int cli_file_sink(void *user, uint64_t off, const uint8_t *buf, size_t len)
{
	struct cli_file_io *io = user;
	if (mtk_all_zero(buf, len))
		return 0;
	return mtk_pwrite_all(io->ctx, io->fd, buf, len, io->base + off, io->path);
}

int cli_file_sink_finish(struct cli_file_io *io, uint64_t len)
{
	if (ftruncate(io->fd, (off_t)(io->base + len)) != 0)
		return mtk_fail(io->ctx, MTK_E_IO, "writing %s: %s", io->path, strerror(errno));
	return 0;
}

/* Padding a short image with zeros would report success for an image that
 * changed under us: a source delivers exactly what it promised, or fails. */
int cli_file_source(void *user, uint64_t off, uint8_t *buf, size_t len)
{
	struct cli_file_io *io = user;
	(void)off; /* the DA pulls sequentially */
	uint64_t left = io->expect - io->sent;
	if (len > left)
		len = (size_t)left;
	size_t n = len ? fread(buf, 1, len, io->f) : 0;
	if (n < len && ferror(io->f))
		return mtk_fail(io->ctx, MTK_E_IO, "reading %s at 0x%llx: %s", io->path,
				(unsigned long long)(io->sent + n), strerror(errno));
	if (n < len)
		return mtk_fail(io->ctx, MTK_E_IO, "writing %s: %s ended at 0x%llx of the 0x%llx bytes it had at the "
				"start (it changed during the write)", io->part, io->path,
				(unsigned long long)(io->sent + n), (unsigned long long)io->expect);
	if (io->sha && EVP_DigestUpdate(io->sha, buf, n) != 1)
		return mtk_fail(io->ctx, MTK_E_NOMEM, "hashing %s", io->path);
	io->sent += n;
	return (int)n;
}

int cli_file_source_finish(struct cli_file_io *io)
{
	uint8_t extra;
	if (io->sent != io->expect)
		return mtk_fail(io->ctx, MTK_E_IO, "writing %s: only 0x%llx of the 0x%llx bytes of %s were sent",
				io->part, (unsigned long long)io->sent, (unsigned long long)io->expect, io->path);
	if (fread(&extra, 1, 1, io->f) == 1)
		return mtk_fail(io->ctx, MTK_E_IO, "writing %s: %s grew past its 0x%llx bytes during the write; "
				"the partition holds the first 0x%llx", io->part, io->path,
				(unsigned long long)io->expect, (unsigned long long)io->expect);
	return 0;
}

int cli_interrupted(struct cli *cli, int rc, const struct mtk_da *da, uint64_t total, const char *part,
		    const char *state)
{
	if (rc != MTK_E_INTERRUPTED)
		return rc;
	uint64_t done = mtk_da_bytes_done(da) < total ? mtk_da_bytes_done(da) : total;
	if (cli->json) {
		json_object_set_new(cli->out, "interrupted", json_true());
		json_object_set_new(cli->out, "bytes_done", json_integer((json_int_t)done));
		json_object_set_new(cli->out, "bytes_total", json_integer((json_int_t)total));
	}
	mtk_ctx_clear_error(cli->ctx);
	return mtk_fail(cli->ctx, rc, "interrupted: %s %s, 0x%llx of 0x%llx bytes", part, state,
			(unsigned long long)done, (unsigned long long)total);
}

int cli_read_to_file(struct cli *cli, struct cli_da *s, const struct mtk_part *p, const char *path,
		     unsigned out_flags)
{
	struct mtk_outfile out;
	int rc = mtk_outfile_open(cli->ctx, path, out_flags | MTK_OUT_PRIVATE, &out);
	if (rc < 0)
		return rc;
	char what[160];
	snprintf(what, sizeof what, "reading %s", p->name);
	struct cli_file_io io = { .fd = out.fd, .path = path, .ctx = cli->ctx };
	rc = mtk_da_read(s->da, what, p->region, p->start, p->size, cli_file_sink, &io);
	rc = cli_interrupted(cli, rc, s->da, p->size, p->name, "partially read (nothing saved)");
	if (rc == 0)
		rc = cli_file_sink_finish(&io, p->size);
	if (rc < 0) {
		mtk_outfile_abort(&out);
		return rc;
	}
	return mtk_outfile_commit(&out);
}

json_t *cli_part_json(const struct mtk_part *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", cli_json_str(p->name));
	json_object_set_new(o, "region", json_string(mtk_region_name(p->region)));
	json_object_set_new(o, "start", json_integer((json_int_t)p->start));
	json_object_set_new(o, "size", json_integer((json_int_t)p->size));
	return o;
}

bool cli_is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return EXIT_OK;
}

json_t *cli_da_entry_json(const struct mtk_da_entry *e)
{
	char names[128];
	mtk_da_code_names(e->hw_code, names, sizeof names);
	json_t *o = json_object();
	json_object_set_new(o, "hw_code", json_integer(e->hw_code));
	json_object_set_new(o, "chips", json_string(names));
	json_object_set_new(o, "hw_sub_code", json_integer(e->hw_sub_code));
	json_object_set_new(o, "hw_version", json_integer(e->hw_version));
	json_object_set_new(o, "sw_version", json_integer(e->sw_version));
	json_object_set_new(o, "regions", json_integer(e->region_count));
	return o;
}
