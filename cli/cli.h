/* SPDX-License-Identifier: MIT */
/* Shared state and helpers of the mtkflash command-line tool. */
#ifndef MTK_CLI_H
#define MTK_CLI_H

#include <signal.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "mtkflash/core.h"
#include "mtkflash/transport.h"

/* Exit statuses: part of the command-line contract (docs/cli.md). */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAILURE_GENERIC = 1,
	EXIT_USAGE = 2,
	EXIT_NODEV = 3,    /* no device answered */
	EXIT_PROTOCOL = 4, /* the device answered, but not as the protocol says */
	EXIT_VERIFY = 5,   /* a package or read-back check failed / package incomplete */
	EXIT_POLICY = 6,   /* refused by policy (or by the device's security) */
	EXIT_ROLLEDBACK = 7,
	EXIT_IO = 8,       /* a host file could not be read or written */
	EXIT_PARSE = 9,    /* an input file could not be parsed */
};

struct cli {
	mtk_ctx *ctx;
	const char *port;   /* --port SPEC (NULL = auto) */
	const char *da;     /* --da FILE */
	int wait_ms;        /* --wait SECONDS, for the device to appear */
	bool json;          /* --json: one JSON document on stdout */
	int verbosity;      /* -q = -1, default 0, -v = 1, -vv = 2, -vvv = 3 (SPEW) */
	bool tty;           /* stderr is a terminal: draw progress bars */
	json_t *out;        /* the JSON document being built */
	const char *progname;
	const char *session_dir; /* --session-dir DIR (NULL: cli_session_dir's default) */
	int after;               /* --after stay|reboot|poweroff (enum mtk_da_after) */
	bool after_set;          /* --after was given (a policy may set it otherwise) */
	bool no_speed_switch;    /* --no-speed-switch: keep a full-speed DA at full speed */
	unsigned device_checks;  /* --device-checks: MTK_DA_CHECK_* for verified writes (default both) */
	const char *auth_file;   /* --auth FILE: the vendor's authentication file (SEND_AUTH) */
	const char *cert_file;   /* --cert FILE: the vendor's root certificate (SEND_CERT) */
	bool recovering;         /* recover: no "run mtkflash recover" warning on connect */
	const char *history;     /* --history TARGET: postgresql://... or an SQLite file (cli_history.h) */
	char policy_history[512]; /* a policy's "history", which history points at when --history is not given */
	bool no_explain_hint;    /* explain: its own "not found" needs no "(mtkflash explain ...)" */
	/* Where a command's text goes.  NULL: stdout and stderr.  A phone of a
	 * batch runs on its own thread and writes to its own file. */
	FILE *human; /* cli_print */
	FILE *diag;  /* log lines, stage lines, errors, progress */
	struct cli_progress {
		char what[96];
		double start, last_draw;
		int last_decile;
	} prog;
};

/* cli->diag, or stderr. */
FILE *cli_diag(const struct cli *cli);

/* The signal (SIGINT, SIGTERM) that asked us to stop, 0 while none did; the
 * library polls it as the context's cancel flag.  In a batch it means: take
 * no new phone (each phone's context has the batch's own abort flag). */
extern volatile sig_atomic_t cli_stop_signal;
/* For signal handlers (async-signal-safe): the first stop signal, noted with
 * its time; then whether the one now in hand is that same request again,
 * within 0.1 s of it.  timeout(1) sends its signal to the command and then
 * to the command's process group, so a command it stops gets it twice at
 * once; a person's second Ctrl-C comes later. */
void cli_note_stop_signal(int sig);
bool cli_stop_signal_echo(void);

struct cli_command {
	const char *name;
	const char *args;    /* one-line synopsis of its arguments */
	const char *summary; /* one line for `mtkflash --help` */
	int (*run)(struct cli *cli, int argc, char **argv);
};

/* Print the library's error chain (or put it in the JSON document) and map
 * the code to an exit status. */
int cli_fail(struct cli *cli, int rc, const char *doing);
int cli_exit_for(int rc);
/* A usage error for a command (cmd NULL: the global options); prints to
 * stderr and, with --json, puts error.code MTK_E_INVAL in the document;
 * returns EXIT_USAGE. */
int cli_usage(struct cli *cli, const char *cmd, const char *fmt, ...);

/* Human output goes to stdout unless --json; JSON goes through cli->out. */
void cli_print(struct cli *cli, const char *fmt, ...);

/* "waiting for a MediaTek device ..." on the diagnostics when --port
 * searches (auto, usb) and --wait allows. */
void cli_waiting_notice(const struct cli *cli);
/* Open the transport named by --port, waiting for the device. */
int cli_open_port(struct cli *cli, struct mtk_transport **out);

/* $XDG_CONFIG_HOME/mtkflash/trusted-keys (default ~/.config/…) in out, or
 * NULL when neither variable is set. */
const char *cli_trust_dir(char *out, size_t cap);
/* $VAR/SUB, or ~/FALLBACK/SUB when $VAR is unset or relative; NULL when
 * neither is usable or out is too short. */
const char *cli_xdg_dir(const char *var, const char *fallback, const char *sub, char *out, size_t cap);
/* Where the station key lives: $XDG_DATA_HOME/mtkflash (~/.local/share/mtkflash). */
const char *cli_station_dir(char *out, size_t cap);
/* Where audit logs go by default: $XDG_STATE_HOME/mtkflash/audit (~/.local/state/...). */
const char *cli_audit_dir(char *out, size_t cap);
/* The keys a signed record (audit log, report) is checked against: the
 * --trust files alone when given (a record from another station is checked
 * against that station's key only); else this station's station.pub and
 * every *.pub in cli_trust_dir. */
struct mtk_minisign_pubkey;
int cli_load_trust(struct cli *cli, const char *const *files, size_t nfiles, struct mtk_minisign_pubkey **keys,
		   size_t *n);
/* $XDG_STATE_HOME/mtkflash/journal: the flash journals (mtkflash/journal.h). */
const char *cli_journal_root(char *out, size_t cap);

/* Integer arguments: mtk_parse_size() (decimal, 0x-hex, K/M/G suffix; no octal). */
int cli_parse_size(const char *s, unsigned long long *out);

/* A JSON string for text that may not be UTF-8 (device data): escaped then. */
json_t *cli_json_str(const char *s);

/* A command's options through getopt_long ("--" ends them, options may follow
 * operands, "--opt" without its value is a usage error that says so).
 * argv[0] is the command name.  fn is called for each option with its val
 * and argument and returns CLI_CONTINUE or an exit status.  Returns
 * CLI_CONTINUE with *first = the first operand's index, EXIT_OK after
 * printing help for -h/--help, or an exit status. */
#define CLI_CONTINUE (-1)
typedef int (*cli_opt_fn)(struct cli *cli, void *args, int opt, const char *val);
int cli_parse_opts(struct cli *cli, const char *cmd, const char *help, int argc, char **argv,
		   const struct option *opts, cli_opt_fn fn, void *args, int *first);

/* What `inspect` finds about a package, for the risk score of plan/flash:
 * the signature state, the first image Checksum.ini or SHA256SUMS
 * disagrees with, the count of errors.  Nothing is printed. */
struct cli_pkg_verdict {
	bool have_manifest;
	int sig; /* enum mtk_sig_state */
	char key_id[17]; /* the manifest's signer, "" when unsigned */
	bool checksum_mismatch;
	char detail[160];
	size_t errors;
};
int cli_package_verdict(struct cli *cli, const char *path, const char *const *trust, size_t ntrust,
			struct cli_pkg_verdict *v);

/* The scatter file, for commands that also include da.h (whose storage
 * enum clashes with scatter.h's): parse errors name file:line. */
struct mtk_scatter;
int cli_load_scatter(struct cli *cli, const char *path, struct mtk_scatter **out);
void cli_free_scatter(struct mtk_scatter *s);
/* Path of the package's preloader image (malloc'd), NULL when it has none. */
char *cli_scatter_preloader(const struct mtk_scatter *s);
/* The chip the scatter names ("MT6765"), NULL when it names none. */
const char *cli_scatter_platform(const struct mtk_scatter *s);
/* The same for a command whose only option is -h/--help. */
int cli_parse_no_opts(struct cli *cli, const char *cmd, const char *help, int argc, char **argv, int *first);

/* The commands, one file each (cli/cmd_*.c). */
int cmd_detect(struct cli *cli, int argc, char **argv);
int cmd_keygen(struct cli *cli, int argc, char **argv);
int cmd_manifest(struct cli *cli, int argc, char **argv);
int cmd_inspect(struct cli *cli, int argc, char **argv);
int cmd_da_info(struct cli *cli, int argc, char **argv);
int cmd_printgpt(struct cli *cli, int argc, char **argv);
int cmd_read(struct cli *cli, int argc, char **argv);
int cmd_write(struct cli *cli, int argc, char **argv);
int cmd_erase(struct cli *cli, int argc, char **argv);
int cmd_readback(struct cli *cli, int argc, char **argv);
int cmd_reboot(struct cli *cli, int argc, char **argv);
int cmd_plan(struct cli *cli, int argc, char **argv);
int cmd_flash(struct cli *cli, int argc, char **argv);
int cmd_recover(struct cli *cli, int argc, char **argv);
int cmd_log(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_service(struct cli *cli, int argc, char **argv);
int cmd_doctor(struct cli *cli, int argc, char **argv);
int cmd_explain(struct cli *cli, int argc, char **argv);
int cmd_batch(struct cli *cli, int argc, char **argv);
int cmd_policy(struct cli *cli, int argc, char **argv);
int cmd_history(struct cli *cli, int argc, char **argv);
/* inspect FILE for a single image (cli/cmd_inspect_file.c); cmd_inspect dispatches to it. */
int cli_inspect_file(struct cli *cli, const char *path);

#endif
