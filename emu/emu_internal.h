/* SPDX-License-Identifier: MIT */
/* Inside the emulator: the device object and the seams between its parts.
 *
 *   profiles.c   chip profiles (data only)
 *   link.c       byte I/O to the host, with the link model and fault injection
 *   brom.c       BROM / preloader personality (handshake, commands)
 *   da_legacy.c  legacy Download Agent personality (after JUMP_DA)
 *   da_xflash.c  xflash (DA v5) Download Agent personality (after JUMP_DA)
 *   emmc.c       eMMC model backed by sparse files in the state directory
 *   provision.c  `mtkemu provision`: factory partition layout and contents
 *   device.c     mtkemu_new/serve/free
 *   pty.c, main.c  the mtkemu program */
#ifndef MTKEMU_INTERNAL_H
#define MTKEMU_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mtkemu.h"

enum emu_da_family { EMU_DA_LEGACY = 3, EMU_DA_XFLASH = 5 };
enum emu_mode { EMU_MODE_BROM, EMU_MODE_PRELOADER };
enum emu_table_kind { EMU_TABLE_GPT, EMU_TABLE_PMT_MBR };
/* Which boot partition the BootROM reads (formats.md §6.3): boot1 whatever
 * EXT_CSD says, or the one BOOT_PARTITION_ENABLE selects.  No BootROM is known
 * to fall back to the other partition on its own, so neither policy does. */
enum emu_boot_select { EMU_BOOT_BOOT1_ONLY, EMU_BOOT_EXT_CSD };

struct emu_profile {
	const char *name;      /* "mt6737" (lower case, the --chip name) */
	uint16_t hw_code;
	uint16_t hw_sub_code, hw_ver, sw_ver;
	uint8_t brom_ver;      /* GET_VERSION answer in BROM mode */
	uint8_t bl_ver;        /* GET_BL_VER answer in preloader mode (1..3) */
	uint32_t target_config;
	uint32_t wdt_addr;
	uint16_t da_code;      /* DA-file entry key */
	enum emu_da_family da_family;
	bool has_soc_id;
	enum emu_table_kind table; /* partition table era */
	uint64_t user_size;    /* default eMMC user area size */
	/* The board's memory (formats.md §4.5.3): an eMMC+DRAM MCP, whose
	 * preloader picks its EMI record by the eMMC id; the DRAM answers MR5
	 * with its vendor id. */
	uint8_t dram_type;     /* EMI type bits 3:0: 2 LPDDR2, 3 LPDDR3 */
	uint8_t dram_mr5;      /* DRAM vendor id (MR5) */
	uint32_t quirks;       /* EMU_Q_*: replies real devices give that differ from the reference's */
	/* Old preloaders (MT6572/MT6589 class, brom-protocol.md §3.9) ASSERT on a
	 * READ/WRITE outside the peripheral-register bank instead of answering:
	 * the phone reboots into BROM download mode. */
	bool pl_region_asserts;
	enum emu_boot_select boot_select; /* the BootROM's boot partition policy (boot.c) */
	/* target_config bits an accepted authentication file lifts for the rest
	 * of the BROM session (auth.c; the reference is silent, EMU_AUTH_UNLOCKS). */
	uint32_t auth_unlocks;
};

/* The one guess about what SEND_AUTH unlocks: SLA and the DA signature
 * check (DAA).  Our DA file carries no vendor signature, and a real SLA
 * exchange needs a vendor key; an accepted file stands for both. */
#define EMU_AUTH_UNLOCKS 0x06u

/* Reply variants a proven host (mtkclient) accepts, chosen by chip name
 * suffixes ("mt6580+hw-code-word2+bl-ver-4", profiles.c), so tests can make
 * the device answer each way (brom.c command handlers). */
enum {
	EMU_Q_HW_CODE_WORD2 = 1u << 0,      /* GET_HW_CODE: hw_ver in place of the status word */
	EMU_Q_NO_TARGET_CONFIG = 1u << 1,   /* GET_TARGET_CONFIG not implemented: echo only (§3.23) */
	EMU_Q_BL_VER_4 = 1u << 2,           /* GET_BL_VER answers 4, a version the reference does not list */
	EMU_Q_WRITE_STATUS_3 = 1u << 3,     /* WRITE16/32 status1 3 */
	EMU_Q_SEND_DA_STATUS_LOW = 1u << 4, /* SEND_DA status1 0x0005 (go ahead) */
	EMU_Q_SEND_DA_CHK_ZERO = 1u << 5,   /* SEND_DA: checksum 0 (not computed) */
};

const struct emu_profile *emu_profile_find(const char *name);

/* What the phone runs; it persists across host sessions (port close/open)
 * and changes only by the phone's own doing (FINISH, a speed switch, an
 * ASSERT, the listen window closing) or by replug / power cycle. */
enum emu_run {
	EMU_RUN_BOOT,     /* reset or just plugged in: boots per the boot model at the next serve */
	EMU_RUN_LISTEN,   /* BROM / preloader waiting for the start command */
	EMU_RUN_COMMANDS, /* BROM / preloader command loop (after the handshake) */
	EMU_RUN_DA1,      /* DA1 between JUMP_DA and the DA2 report (transient) */
	EMU_RUN_DA2,      /* the DA2 command loop (legacy or xflash, by the profile) */
	EMU_RUN_XDA1,     /* the xflash DA1 command loop (before BOOT_TO of DA2) */
	EMU_RUN_HUNG,     /* a CPU that answers nothing more until a replug */
	EMU_RUN_GONE,     /* off the bus (booted to the system): no port until a replug */
};

/* Plug events from mtkemu_replug() / mtkemu_power_cycle(). */
enum emu_plug { EMU_PLUG_NONE, EMU_PLUG_REPLUG, EMU_PLUG_POWER_CYCLE };

/* The preloader's listen window (brom-protocol.md §2.2a defaults). */
#define EMU_LISTEN_MS_DEFAULT 2500u
#define EMU_START_CMD_MS 300u
#define EMU_READY_EVERY_MS 20u

struct emu_storage; /* emmc.c */

/* What a running xflash DA knows (da_xflash.c); kept while it runs, across
 * host sessions (power.ini). */
struct emu_xda_state {
	bool env_set;          /* SETUP_ENVIRONMENT came (it is taken once) */
	bool dram_up;          /* the preloader or INIT_EXT_RAM brought DRAM up */
	uint32_t system_os;    /* SETUP_ENVIRONMENT: 0 Windows, 1 Linux (read packet length) */
	uint32_t chksum_level; /* SET_CHECKSUM_LEVEL bit mask: 1 USB, 2 storage read-back */
};
struct emu_link;    /* link.c */

struct mtkemu {
	const struct emu_profile *prof;
	enum emu_mode mode;
	uint32_t target_config; /* profile value, or --secure override */
	uint8_t me_id[16];
	uint8_t soc_id[32];
	char state_dir[4096];   /* or, with memstate, its name */
	struct mtkemu_memstate *memstate; /* the state folder in memory (memstate.c); NULL: state_dir */
	bool own_state_dir; /* a temp dir we remove at free */
	int state_lock_fd;  /* DIR/.lock, flock'ed: one device per state folder */
	atomic_bool stop;
	struct mtkemu_clock clock; /* hooks NULL: the real monotonic clock */
	int fd;                    /* the host's port, or -1 with a host script (link.c) */
	struct emu_link *link;
	struct emu_storage *storage;
	/* BROM-side memory: the last SEND_DA payload, kept for JUMP_DA and for
	 * the DA stage (which checks it was really a DA for this chip). */
	uint8_t *da_blob;
	uint32_t da_addr, da_len, da_sig_len;
	bool da_verified;
	/* The fused root key (--auth-key, auth.c) and what this BROM session has
	 * accepted: SEND_CERT, then SEND_AUTH lifts prof->auth_unlocks. */
	bool has_auth_key, cert_ok, auth_ok;
	uint8_t auth_key[32];
	void *mem; /* sparse 32-bit register/memory map for READ32/WRITE32 (brom.c) */
	bool mode_forced;      /* options.mode was given; else emu_boot_decide_mode() per session */
	char brom_log[1024];   /* the BROM's trace of this session, for GET_BROM_LOG (0xDD/0xDF) */
	size_t brom_log_len;
	/* The running state (see enum emu_run); persisted to power.ini when
	 * options.persist_session is set. */
	enum emu_run run;
	bool high_speed;        /* the device's USB speed: BROM and a DA it loaded are full speed */
	bool usbdl_flag;        /* emergency download: the next reset comes up in BROM mode (§3.24) */
	int da_area;            /* DA2: the partition SWITCH_PART selected */
	struct emu_xda_state xda;
	bool simple_preloader;  /* answer the first A0, no listen phase (the validated simple model) */
	unsigned listen_ms;     /* the preloader's listen window */
	bool listening;         /* the listen window has started (the host opened the port) */
	uint64_t listen_deadline_ms; /* CLOCK_REALTIME ms: survives an in-process restart */
	bool persist;
	atomic_int plug_event;  /* enum emu_plug, set from other threads / signal handlers */
	atomic_uint violations; /* host protocol violations seen (handshake bytes into a DA) */
	bool quiet_violations;  /* count them, print nothing */
	atomic_uint a0_eaten;   /* listen-phase chunks starting with A0 discarded (a test hook) */
};

/* Time (link.c), always through e->clock.  Wall time is the real clock's
 * CLOCK_REALTIME (it outlives the process in power.ini); on a virtual clock,
 * the virtual time. */
uint64_t emu_now_ns(const struct mtkemu *e);
uint64_t emu_now_ms(const struct mtkemu *e);
uint64_t emu_wall_ms(const struct mtkemu *e);
/* Serve a host script instead of e->fd (NULL: back to the fd). */
void emu_link_set_script(struct mtkemu *e, const struct mtkemu_host_script *h);

/* Link I/O (link.c).  Exact-length, blocking; the link model and faults are
 * applied here so every personality gets them.  Return 0, or -1 when the
 * host went away, mtkemu_stop() was called, or a fault cut the link. */
int emu_recv(struct mtkemu *e, void *buf, size_t len);
int emu_send(struct mtkemu *e, const void *buf, size_t len);
/* One transfer sent in parts that are produced as it goes (a DA streaming
 * storage to USB): the whole length is booked on the cable at begin, so the
 * device's work on a later part overlaps the wire time of the earlier ones.
 * The parts must add up to the length given to begin. */
struct emu_tx {
	uint64_t end, from; /* the modelled transfer; end 0: unmodelled */
	size_t done;
};
int emu_send_begin(struct mtkemu *e, struct emu_tx *tx, size_t len);
int emu_send_part(struct mtkemu *e, struct emu_tx *tx, const void *buf, size_t len);
int emu_send_u16be(struct mtkemu *e, uint16_t v);
int emu_send_u32be(struct mtkemu *e, uint32_t v);
int emu_recv_u32be(struct mtkemu *e, uint32_t *v);
int emu_recv_u8(struct mtkemu *e, uint8_t *v);
/* A device that reads and never answers (a hung CPU, a halted BROM, a silent
 * DA): takes the host's bytes, as many at a time as are there, until the
 * session ends. */
void emu_swallow(struct mtkemu *e);
int emu_link_new(struct mtkemu *e, const char *faults, const char *speed, char *err, size_t errlen);
void emu_link_free(struct emu_link *l);

/* Personalities. Each runs from e->run until the session ends (the link
 * state says how) and leaves e->run at what the phone runs then. */
int emu_brom_run(struct mtkemu *e);
int emu_da_legacy_run(struct mtkemu *e);    /* from JUMP_DA */
int emu_da_legacy_resume(struct mtkemu *e); /* DA2 already in its command loop */
int emu_da_xflash_run(struct mtkemu *e);    /* from JUMP_DA */
int emu_da_xflash_resume(struct mtkemu *e); /* DA1 or DA2 already in its command loop */
/* BROM-side reset of volatile state at boot (memory, DA blob, log). */
/* auth.c: a SEND_CERT (cert) or SEND_AUTH payload this device accepts; the
 * root key from a file (emu_auth_load_key, -1 with err). */
bool emu_auth_accepts(const struct mtkemu *e, bool cert, const uint8_t *buf, size_t len);
int emu_auth_load_key(struct mtkemu *e, const char *path, char *err, size_t errlen);
int emu_mkauth_main(int argc, char **argv);
void emu_brom_boot(struct mtkemu *e);
/* The preloader's listen window, for a frontend that knows when the phone
 * was plugged in (USB): open it now (nothing when no window applies), the
 * ms left (-1: none runs), and close it with no host at the port (the
 * phone boots on: off the bus until a replug). */
void emu_brom_listen_start(struct mtkemu *e);
long long emu_brom_listen_left(const struct mtkemu *e);
void emu_brom_listen_expired(struct mtkemu *e);
/* The phone was put on the bus (USB frontend): it boots now if a reset or
 * plug event is pending, and a listening preloader's window opens. */
void emu_plugged_in(struct mtkemu *e);

/* Storage (emmc.c), opened lazily by the DA stage. */
int emu_storage_open(struct mtkemu *e, char *err, size_t errlen);
/* The state folder (or memstate) holds a device (device.ini). */
bool emu_state_has_device(const struct mtkemu *e);
/* A small file of the state folder or memstate (device.c): a read stream
 * (NULL with errno, ENOENT when absent), or written whole (temp name and
 * rename in a folder).  `path` gets the name for messages. */
FILE *emu_state_fopen(const struct mtkemu *e, const char *name, char *path, size_t pathlen);
int emu_state_store(const struct mtkemu *e, const char *name, const char *text, size_t len);
void emu_storage_close(struct emu_storage *s);

/* How the current session's link ended (link.c).  emu_recv/emu_send return
 * -1 for all of them; mtkemu_serve() reports EMU_LINK_FAULT as 1. */
enum emu_link_end {
	EMU_LINK_UP,
	EMU_LINK_CLOSED,
	EMU_LINK_STOPPED,
	EMU_LINK_FAULT,
	EMU_LINK_REENUMERATE, /* the phone reset or switched speed, or a plug event came */
	EMU_LINK_GONE,        /* the phone left the bus for good */
};
enum emu_link_end emu_link_state(const struct mtkemu *e);
/* True when a link model times the session (--speed) on the real clock: the
 * emulator's own costs then show as device time on the modelled cable (on a
 * virtual clock they cost no time at all). */
bool emu_link_timed(const struct mtkemu *e);
/* The device ends the session itself (REENUMERATE / GONE): later I/O fails. */
void emu_link_end(struct mtkemu *e, enum emu_link_end how);
/* Waits up to timeout_ms for a host byte: 1 one is there, 0 none came, -1 the
 * session ended.  Never consumes input. */
int emu_wait_input(struct mtkemu *e, unsigned timeout_ms);
/* Receives len bytes if they all arrive within timeout_ms: 0 yes, 1 timed
 * out (what came is lost), -1 the session ended. */
int emu_recv_within(struct mtkemu *e, void *buf, size_t len, unsigned timeout_ms);
/* The link model follows the device's USB speed, capped by --speed (the host
 * port's capability): a full-speed device on a usb2-hs port gets usb2-fs. */
void emu_link_set_high_speed(struct mtkemu *e, bool high);
/* A host protocol violation: one "mtkemu: VIOLATION: ..." line on stderr. */
void emu_violation(struct mtkemu *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A new session (the host opened the port again): the link is up again unless
 * a fault cut it for good. */
void emu_link_session_start(struct mtkemu *e);

/* A frontend that learns about the host closing the port some other way
 * (pty.c counts opens of the slave): `ended` is asked before every read and
 * whenever a wait wakes up; `fd` (or -1) is polled with the link so that its
 * events wake the wait.  NULL = only EOF/hang-up on the link itself. */
struct emu_session_watch {
	int fd;
	bool (*ended)(void *ctx);
	void *ctx;
};
void emu_link_watch(struct mtkemu *e, const struct emu_session_watch *w);

/* Fault injection queries (link.c parses the spec). */
#define EMU_MAX_CORRUPT 8
struct emu_fault_corrupt {
	char region[16];       /* "boot1" | "boot2" | "rpmb" | "user" */
	uint64_t offset, len;  /* bytes within the region */
	bool once;             /* corrupt-write-once: only the first write that touches it */
	bool pause;            /* pause-at-write: that first write stops the process instead (SIGSTOP) */
};
/* Which byte-count fault ended the session (EMU_LINK_FAULT). */
enum emu_fault_kind {
	EMU_FAULT_NONE,
	EMU_FAULT_UNPLUG,     /* unplug-at: cable out and back in; the phone reboots */
	EMU_FAULT_POWER_LOSS, /* power-loss-at: off; the next connect powers it on */
	EMU_FAULT_HANG,       /* da-hang-at: the CPU answers nothing until a replug */
	EMU_FAULT_BOOT_ON,    /* boot-on-at: the listen window closes there: off the bus until a replug */
};
enum emu_fault_kind emu_fault_fired(const struct mtkemu *e);
/* `da-hang-at-cmd=K`: counts one DA command; true for the K-th (the DA hangs). */
bool emu_fault_da_command(struct mtkemu *e);
/* `da-silent`: after JUMP_DA the DA never answers. */
bool emu_fault_da_silent(const struct mtkemu *e);
/* `write-protect`: the whole eMMC refuses writes and erases (power-on write protection). */
bool emu_fault_write_protect(const struct mtkemu *e);
/* `corrupt-write[-once]=REGION:OFFSET:LEN` and `pause-at-write=…` entries, in spec order; returns the count. */
size_t emu_fault_corrupt_writes(const struct mtkemu *e, const struct emu_fault_corrupt **list);

/* Storage read faults (readfault.c; parsed with the other faults):
 *   read-error=REGION:OFFSET:LEN          every DA read that touches it fails
 *   read-flaky=REGION:OFFSET:LEN:N        the first N reads that touch it fail
 *   read-flaky=REGION:OFFSET:LEN:P%       each read that touches it fails with
 *                                         probability P (seeded: fault-seed=S)
 *   read-slow=REGION:OFFSET:LEN:RATE      the storage delivers that range at
 *                                         RATE bytes/s (K/M/G suffixes)
 *   pause-at-read=REGION:OFFSET:LEN       the first read that touches it stops
 *                                         the process (SIGSTOP), as pause-at-write */
#define EMU_MAX_READ_FAULTS 16
enum emu_read_fault_kind { EMU_READ_ERROR, EMU_READ_FLAKY, EMU_READ_FLAKY_P, EMU_READ_SLOW, EMU_READ_PAUSE };
struct emu_read_fault {
	enum emu_read_fault_kind kind;
	int area;
	uint64_t offset, len;
	uint64_t arg;     /* FLAKY: failures left; FLAKY_P: percent; SLOW: bytes per second; PAUSE: 1 spent */
};
struct emu_read_faults {
	size_t n;
	struct emu_read_fault f[EMU_MAX_READ_FAULTS];
	uint64_t rng; /* xorshift64 state, from fault-seed (default 1) */
};
/* "REGION:OFFSET:LEN" (rest NULL) or "REGION:OFFSET:LEN:REST" (*rest set)
 * for the fault `name`; -1 with err. */
int emu_fault_parse_range(const char *name, const char *v, int *area, uint64_t *off, uint64_t *len,
			  const char **rest, char *err, size_t errlen);
/* Decimal or 0x-hex with an optional K/M/G suffix, the whole string. */
bool emu_parse_count(const char *s, uint64_t *out);
/* 1: `name` is not a read fault; 0 parsed; -1 with err. */
int emu_read_fault_parse(struct emu_read_faults *rf, const char *name, const char *v, char *err, size_t errlen);
struct emu_read_faults *emu_link_read_faults(struct mtkemu *e);
/* Whether a DA read of [off, off+len) of `area` fails now (counts the
 * attempt against flaky ranges): 0 readable, -1 a storage error. */
int emu_fault_read_check(struct mtkemu *e, int area, uint64_t off, uint64_t len);
/* The time the storage takes for that range where it is slow: sleeps on e->clock. */
void emu_fault_read_pace(struct mtkemu *e, int area, uint64_t off, uint64_t len);
/* Sleeps ns on the emulator's clock. */
void emu_sleep_ns(struct mtkemu *e, uint64_t ns);

/* brom.c owns e->mem; device.c frees it with this. */
void emu_brom_free(struct mtkemu *e);

/* Boot model (boot.c): which personality the device comes up in when
 * options.mode does not force one. */
enum emu_mode emu_boot_decide_mode(struct mtkemu *e);

/* Why a phone boots or not: what the BootROM and the preloader would find. */
struct emu_boot_verdict {
	bool boots;         /* preloader mode; false: BROM mode */
	int boot_area;      /* EMU_AREA_BOOT1/2: the partition the BootROM read */
	unsigned enable;    /* EXT_CSD BOOT_PARTITION_ENABLE at the time */
	char failed[16];    /* what failed: "preloader", "gfh", "emi", "table", "lk", "boot"; "" */
	char why[256];      /* one sentence, with the partition and offset */
};
struct emu_storage;
/* The verdict for the storage as it is now; never fails (an unreadable
 * storage does not boot). */
void emu_boot_check(const struct emu_profile *prof, struct emu_storage *s, struct emu_boot_verdict *v);
const char *emu_boot_select_name(enum emu_boot_select sel);
/* `mtkemu boot-check --state DIR [--json]`. */
int emu_boot_check_main(int argc, char **argv);

/* STATE_DIR/power.ini (power.c): what the phone runs, kept between host
 * sessions that are separate processes.  No file = just plugged in. */
int emu_power_load(struct mtkemu *e, char *err, size_t errlen);
void emu_power_save(const struct mtkemu *e);

/* `mtkemu provision ...` (provision.c). */
int emu_provision_main(int argc, char **argv);

#endif
