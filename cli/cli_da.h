/* SPDX-License-Identifier: MIT */
/* What the DA commands (printgpt, read, write, erase, readback) share:
 * finding the DA file, connecting, partition lookup, the safety policy. */
#ifndef MTK_CLI_DA_H
#define MTK_CLI_DA_H

#include "cli.h"
/* The DA commands report their own findings through the library's error
 * chain (mtk_fail/mtk_wrap), so messages read the same as the library's. */
#include "mtkflash/da.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/dafile.h"
#include "mtkflash/session.h"
#include "mtkflash/storage.h"

#include <openssl/evp.h>

struct cli_da {
	struct cli *cli;
	char session_dir[4096]; /* "" when records are off */
	char da_path[4096];
	struct mtk_dafile file;
	struct mtk_transport *tp;
	struct mtk_da *da;
	uint8_t *preloader_buf; /* --preloader FILE, for DRAM settings in BROM mode */
	struct mtk_preloader_info pl;
	struct mtk_da_emi emi;
	bool have_emi;
	uint8_t *cert_buf, *auth_buf; /* --cert FILE, --auth FILE */
	struct mtk_da_auth auth;
};

/* --da FILE; else $XDG_DATA_HOME/mtkflash/MTK_AllInOne_DA*.bin; else, only
 * when tp is a software device (emulator or pty), the bundled synthetic DA.
 * tp may be NULL before the port is open. */
int cli_da_find_file(struct cli *cli, const struct mtk_transport *tp, char *out, size_t cap);
/* The build tree's synthetic DA while this mtkflash runs uninstalled, else
 * NULL (the library knows the installed one: mtk_dafile_synthetic_paths). */
const char *cli_synthetic_da_path(char *out, size_t cap);
/* The public key of mtkemu's demo signing key (data/mtkemu-demo.pub), NULL
 * when not installed.  Its secret is public: trusted only for software
 * devices (mtk_transport_is_virtual), never for a phone. */
const char *cli_demo_key_path(void);
/* Where DA session records live: --session-dir, else
 * $XDG_RUNTIME_DIR/mtkflash/sessions, else ~/.cache/mtkflash/sessions;
 * NULL when none of these is set. */
const char *cli_session_dir(struct cli *cli, char *buf, size_t cap);
/* Load the DA (and preloader, may be NULL), open the port, then reattach to
 * the DA running there or connect from scratch (mtk_da_attach). */
int cli_da_open(struct cli *cli, const char *preloader, struct cli_da *s);
/* Ends the session as --after says (stay keeps the DA and refreshes its
 * record; reboot/poweroff send FINISH), then closes the port.  An error
 * the command is about to report is kept. */
void cli_da_close(struct cli_da *s);

/* "pgpt", "PMT", "MBR", "EBR1" …; "preloader" (the boot1 image). */
bool cli_part_is_ptable(const char *name);
bool cli_part_is_bootloader(const char *name);

/* The --allow-* flags a write or erase was given. */
enum cli_allow {
	CLI_ALLOW_BOOTLOADER = 1 << 0, /* preloader, lk/uboot, tee*: the boot chain */
	CLI_ALLOW_PROTECTED = 1 << 1,  /* nvram, nvdata, protect1/2, proinfo, seccfg, …: device-unique */
	CLI_ALLOW_PTABLE = 1 << 2,     /* pgpt, sgpt, PMT, MBR, EBRn */
};
/* write and erase take the same options: --allow-* and --preloader (whose
 * option value is CLI_OPT_PRELOADER; a command adding options of its own
 * numbers them from CLI_OPT_OWN). */
enum { CLI_OPT_PRELOADER = 256, CLI_OPT_OWN = 512 };
struct cli_allow_args {
	const char *preloader;
	unsigned allowed;
};
extern const struct option cli_allow_options[];
int cli_on_allow_option(struct cli *cli, void *args, int opt, const char *val); /* args: cli_allow_args */

/* MTK_E_POLICY naming the missing flag when `verb` ("write", "erase") of
 * partition `name` needs one that `allowed` lacks. */
int cli_check_allowed(struct cli *cli, const char *verb, const char *name, unsigned allowed);

/* Looks the partition up in a table with layout entries; on failure (a
 * usage error, MTK_E_INVAL) the message lists every known partition. */
int cli_da_find_part(struct cli *cli, const struct mtk_ptable *t, const char *name, const struct mtk_part **out);

/* Stream sinks and sources.  The sink writes to fd (an mtk_outfile) and
 * leaves holes for all-zero blocks (sparse output), so a backup of an empty
 * 4 GiB partition costs nothing; cli_file_sink_finish() fixes the final
 * size.  The source reads FILE f, must deliver exactly `expect` bytes (an
 * image that shrinks or grows under us fails the write, naming `part` and
 * the offset), and hashes what it sent into `sha` when set. */
struct cli_file_io {
	FILE *f;
	int fd;
	const char *path;
	uint64_t base; /* file offset of transfer offset 0 */
	mtk_ctx *ctx;
	const char *part;
	uint64_t expect, sent;
	EVP_MD_CTX *sha;
};
int cli_file_sink(void *user, uint64_t off, const uint8_t *buf, size_t len);
int cli_file_sink_finish(struct cli_file_io *io, uint64_t len);
int cli_file_source(void *user, uint64_t off, uint8_t *buf, size_t len);
/* After the transfer: the image must end exactly where it was promised to. */
int cli_file_source_finish(struct cli_file_io *io);

/* Read partition (or range) p into `path` through an mtk_outfile (0600;
 * MTK_OUT_FORCE in out_flags replaces an existing file): the file appears
 * only when complete, and a failure leaves an old file as it was. */
/* For MTK_E_INTERRUPTED: restate the failure as "interrupted: PART STATE,
 * 0xDONE of 0xTOTAL bytes" and put interrupted/bytes_done/bytes_total in the
 * JSON document.  Any other rc passes through. */
int cli_interrupted(struct cli *cli, int rc, const struct mtk_da *da, uint64_t total, const char *part,
		    const char *state);
int cli_read_to_file(struct cli *cli, struct cli_da *s, const struct mtk_part *p, const char *path,
		     unsigned out_flags);

/* JSON object for a partition. */
json_t *cli_part_json(const struct mtk_part *p);
/* JSON object for a DA file entry: chip code and names, versions, region
 * count.  Each command adds the DA1/DA2 stages in its own shape. */
json_t *cli_da_entry_json(const struct mtk_da_entry *e);
/* A common one-line option parser for --help and unknown options. */
bool cli_is_help(const char *a);
/* Prints a command's help text; returns EXIT_OK, for `return cli_help(help);`. */
int cli_help(const char *text);

#endif
