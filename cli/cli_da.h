/* SPDX-License-Identifier: MIT */
/* What the DA commands (printgpt, read, write, erase, readback) share:
 * finding the DA file, connecting, partition lookup, the safety policy. */
#ifndef MTK_CLI_DA_H
#define MTK_CLI_DA_H

#include "cli.h"
/* The DA commands report their own findings through the library's error
 * chain (mtk_fail/mtk_wrap), so messages read the same as the library's. */
#include "core/ctx.h"
#include "mtkflash/da.h"
#include "mtkflash/imagefile.h"
#include "mtkflash/dafile.h"
#include "mtkflash/session.h"
#include "mtkflash/storage.h"

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
};

/* --da FILE; else $XDG_DATA_HOME/mtkflash/MTK_AllInOne_DA*.bin; else, only
 * when tp is a software device (emulator or pty), the bundled synthetic DA.
 * tp may be NULL before the port is open. */
int cli_da_find_file(struct cli *cli, const struct mtk_transport *tp, char *out, size_t cap);
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

/* "pgpt", "PMT", "MBR", "EBR1" … / "preloader": writes need a flag. */
bool cli_part_is_ptable(const char *name);
bool cli_part_is_bootloader(const char *name);

/* Looks the partition up in a table with layout entries; on failure the
 * message lists every known partition. */
int cli_da_find_part(struct cli *cli, const struct mtk_ptable *t, const char *name, const struct mtk_part **out);

/* Stream sinks/sources over FILE*.  The sink leaves holes for all-zero
 * blocks (sparse output), so a backup of an empty 4 GiB partition costs
 * nothing; call cli_file_sink_finish() to fix the final size. */
struct cli_file_io {
	FILE *f;
	const char *path;
	uint64_t base; /* file offset of transfer offset 0 */
	mtk_ctx *ctx;
};
int cli_file_sink(void *user, uint64_t off, const uint8_t *buf, size_t len);
int cli_file_sink_finish(struct cli_file_io *io, uint64_t len);
int cli_file_source(void *user, uint64_t off, uint8_t *buf, size_t len);

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
