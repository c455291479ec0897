/* SPDX-License-Identifier: MIT */
/* mtkflash batch: its state (cmd_batch.c) and its view (cli_batch_view.c). */
#ifndef MTK_CLI_BATCH_H
#define MTK_CLI_BATCH_H

#include <pthread.h>
#include <stdint.h>

#include "cli_flash.h"
#include "mtkflash/chips.h"

#define BATCH_MAX_PORTS    256
#define BATCH_DEFAULT_MAX  16
#define BATCH_MAX_PACKAGES 8

/* A package and the chip it is for: with several, each phone gets the one
 * for its chip.  Each is judged once, for all the phones it goes to. */
struct batch_pkg {
	const char *scatter;
	const struct mtk_chip *chip; /* NULL: the scatter names no (known) platform */
	struct cli_pkg_cache cache;
};

/* What one phone became; the last event of each phone names it. */
enum batch_result {
	BATCH_NONE,
	BATCH_VERIFIED,
	BATCH_FAILED,
	BATCH_ROLLEDBACK,
	BATCH_REFUSED,
	BATCH_NRESULTS
};
const char *batch_result_name(enum batch_result r);

/* A port and the phones it served, one at a time. */
struct batch_port {
	struct batch *b;
	unsigned index;
	char spec[4200];  /* as given: "/dev/ttyACM0", "serial:PATH", "usb:1:7" */
	const char *path; /* the filesystem path to watch for a new phone, NULL for other specs */
	pthread_t thread;
	bool started, exited;
	struct cli cli; /* this port's own context and text log */
	FILE *text;     /* BATCHDIR/port-NN.log: everything flash would print */
	/* the view, under b->lock */
	char device[128], chip[16], stage[24], detail[160];
	char step_stage[24]; /* the step's stage, which a write pass returns to after a read pass */
	enum batch_result result;
	double percent, mb_per_s;
	int last_decile;
	/* the phone in progress */
	uint64_t plan_bytes, bytes_done, step_bytes;
	double write_start;
	/* totals */
	unsigned phones, per_result[BATCH_NRESULTS];
	uint64_t bytes;
	double seconds;
};

struct batch {
	struct cli *cli;
	struct batch_pkg pkgs[BATCH_MAX_PACKAGES];
	unsigned npkgs;
	bool too_many_pkgs;
	const char *ports_arg;
	bool policy_reported; /* loading the policy failed and said why */
	struct cli_plan_args a;
	int scene, mode;
	unsigned max, count;
	char dir[4096]; /* the batch folder: audit logs, text logs */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned running, started, finished;
	volatile sig_atomic_t abort; /* a second Ctrl-C: the phones in progress stop (their cancel flag) */
	int stop_sig;                /* the first Ctrl-C, as the ports see it: no new phone */
	int worst;                   /* the batch's exit status so far */
	bool stopping;               /* the first signal was seen and shown */
	bool halt;                   /* the batch could not start: the ports already started end */
	struct batch_port *ports[BATCH_MAX_PORTS];
	unsigned nports;
	/* the view */
	bool json, live;
	unsigned drawn; /* lines of the live view on screen */
	double last_draw;
};

/* Events, each under b->lock: the port's line changes and is shown as the
 * output asks (a JSON line, a plain line, or the live view redrawn). */
void batch_view_stage(struct batch_port *p, const char *stage, const char *detail);
void batch_view_progress(struct batch_port *p);
void batch_view_result(struct batch_port *p, const struct cli_flash_report *rep, enum batch_result r);
void batch_view_redraw(struct batch *b, bool force);
/* The ports are watched: "start" (with --ports auto, none yet). */
void batch_view_start(struct batch *b);
/* The first Ctrl-C was seen: no new phone. */
void batch_view_stopping(struct batch *b, int sig);
/* The summary, a text table or the last JSON line. */
void batch_view_summary(struct batch *b, bool interrupted);
double batch_now(void);

#endif
