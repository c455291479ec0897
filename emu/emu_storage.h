/* SPDX-License-Identifier: MIT */
/* The emulated eMMC (emmc.c), the emulator's own scatter reader
 * (scatter_lite.c) and the factory provisioning (provision.c).
 *
 * State directory layout (one emulated phone):
 *   device.ini    what the device is: chip, area sizes, CID, IMEI (key=value text)
 *   ext_csd.bin   the 512-byte EXT_CSD register, persisted
 *   boot1.bin, boot2.bin, rpmb.bin, user.bin
 *                 the hardware partitions, as sparse files of exactly the area size
 *
 * Erase semantics: like most eMMC parts (EXT_CSD ERASED_MEM_CONT [181] = 0),
 * erased or trimmed blocks read back as 0x00.  The model punches holes into the
 * backing file, so erasing a big partition also gives the disk space back. */
#ifndef MTKEMU_STORAGE_H
#define MTKEMU_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum emu_area { EMU_AREA_BOOT1, EMU_AREA_BOOT2, EMU_AREA_RPMB, EMU_AREA_USER, EMU_AREA_COUNT };

/* eMMC facts fixed at manufacture (provision). */
struct emu_emmc_geometry {
	uint64_t size[EMU_AREA_COUNT]; /* bytes; boot/rpmb multiples of 128 KiB, user of 512 */
	uint8_t cid[16];
	char chip[16]; /* profile name, "mt6737" */
	char imei[16]; /* 15 digits, "" when none */
};

#define EMU_EMMC_BLOCK     512u
#define EMU_EMMC_MULT_UNIT (128u * 1024u) /* BOOT_SIZE_MULT / RPMB_SIZE_MULT unit */

/* EXT_CSD bytes the model uses (formats.md §6, JEDEC JESD84-B51). */
enum emu_ext_csd_index {
	EMU_EXT_CSD_RPMB_SIZE_MULT = 168, /* × 128 KiB */
	EMU_EXT_CSD_BOOT_WP = 173,
	EMU_EXT_CSD_PARTITION_CONFIG = 179, /* bit 6 BOOT_ACK, 5:3 BOOT_PARTITION_ENABLE, 2:0 ACCESS */
	EMU_EXT_CSD_ERASED_MEM_CONT = 181,
	EMU_EXT_CSD_REV = 192,
	EMU_EXT_CSD_SEC_COUNT = 212, /* u32 LE, × 512 */
	EMU_EXT_CSD_BOOT_SIZE_MULT = 226, /* × 128 KiB, each boot area */
	EMU_EXT_CSD_BOOT_INFO = 228,
};
#define EMU_BOOT_ENABLE(partcfg) (((partcfg) >> 3) & 7u)

/* PARTITION_CONFIG as a factory-fresh MTK phone has it: boot from boot1 with
 * BOOT_ACK, PARTITION_ACCESS = user. */
#define EMU_PARTITION_CONFIG_DEFAULT 0x48

struct emu_storage;

/* Names "boot1", "boot2", "rpmb", "user" (case-insensitive); -1 when unknown. */
int emu_area_from_name(const char *name);
const char *emu_area_name(int area);
/* Legacy-DA partition selector (1 boot1, 2 boot2, 3 rpmb, 4..7 GP1..GP4, 8 user)
 * to an area; -1 for GP areas (this model has none) and anything else. */
int emu_area_from_selector(unsigned sel);

/* Fills EXT_CSD from the geometry, as a real part encodes its sizes
 * (tables.c); MTK_E_RANGE when a size does not fit its field. */
int emu_ext_csd_encode(uint8_t ext_csd[512], const struct emu_emmc_geometry *g);
/* The area sizes a register describes. */
void emu_ext_csd_sizes(const uint8_t ext_csd[512], uint64_t size[EMU_AREA_COUNT]);

/* Creates the state files (sparse, all zero) in an existing directory;
 * refuses when device.ini is already there. */
int emu_emmc_create(const char *dir, const struct emu_emmc_geometry *g, char *err, size_t errlen);
/* Opens a provisioned state directory. */
int emu_emmc_open(const char *dir, struct emu_storage **out, char *err, size_t errlen);
/* The same on a state held in memory (memstate.c). */
struct mtkemu_memstate;
int emu_emmc_create_mem(struct mtkemu_memstate *m, const struct emu_emmc_geometry *g, char *err, size_t errlen);
int emu_emmc_open_mem(struct mtkemu_memstate *m, struct emu_storage **out, char *err, size_t errlen);
void emu_emmc_close(struct emu_storage *s);
/* True when dir holds a device.ini. */
bool emu_emmc_exists(const char *dir);

const struct emu_emmc_geometry *emu_emmc_geometry(const struct emu_storage *s);
uint64_t emu_emmc_size(const struct emu_storage *s, int area);
const uint8_t *emu_emmc_ext_csd(const struct emu_storage *s);
/* Writes one EXT_CSD byte (CMD6 SWITCH, write-byte mode) and persists it;
 * only the writable bytes the model knows (PARTITION_CONFIG, BOOT_WP). */
int emu_emmc_switch(struct emu_storage *s, unsigned index, uint8_t value);

/* Data access.  Return 0, or a negative MTK_E_* code with a sentence in the
 * storage's last-error buffer (emu_emmc_error()):
 *   MTK_E_NOTFOUND bad area, MTK_E_RANGE out of bounds,
 *   MTK_E_SECURITY write-protected, MTK_E_IO the backing file failed. */
int emu_emmc_read(struct emu_storage *s, int area, uint64_t off, void *buf, size_t len);
int emu_emmc_write(struct emu_storage *s, int area, uint64_t off, const void *buf, size_t len);
/* ERASE/TRIM: the range reads back as 0x00 afterwards. */
int emu_emmc_erase(struct emu_storage *s, int area, uint64_t off, uint64_t len);
const char *emu_emmc_error(const struct emu_storage *s);

/* Faults.  Writes overlapping [off, off+len) of `area` store every byte of the
 * overlap inverted (a flaky NAND page): the host's read-back check must catch it.
 * Up to EMU_EMMC_MAX_CORRUPT ranges. */
#define EMU_EMMC_MAX_CORRUPT 8
int emu_emmc_add_corrupt(struct emu_storage *s, int area, uint64_t off, uint64_t len);
/* The same for one write only (a transient fault): the first write that
 * overlaps the range is corrupted, later ones are stored as sent. */
int emu_emmc_add_corrupt_once(struct emu_storage *s, int area, uint64_t off, uint64_t len);
/* The first write that overlaps the range stops the emulator's process
 * (SIGSTOP) before it is stored; SIGCONT goes on as if nothing happened.  For
 * tests that signal the host at an exact point of a write. */
int emu_emmc_add_pause(struct emu_storage *s, int area, uint64_t off, uint64_t len);
/* Every write and erase fails with MTK_E_SECURITY (power-on write protection). */
void emu_emmc_set_write_protect(struct emu_storage *s, bool on);
bool emu_emmc_write_protected(const struct emu_storage *s);

/* Boot model.  The area the BootROM reads: boot2 when PARTITION_CONFIG's
 * BOOT_PARTITION_ENABLE selects it, boot1 otherwise (also for "disabled" and
 * "user": MediaTek BootROMs read boot1 regardless, formats.md §6.3). */
int emu_emmc_boot_area(const struct emu_storage *s);
/* True when `area` starts with an EMMC_BOOT device header and a BRLYT at
 * 0x200 (formats.md §4.2/§4.3): the BootROM would find a preloader there. */
bool emu_emmc_has_preloader(struct emu_storage *s, int area);

/* Boot/RPMB 4 MiB each, user = user_size or the profile's default. */
struct emu_profile;
void emu_geometry_default(struct emu_emmc_geometry *g, const struct emu_profile *prof, uint64_t user_size);

/* Deterministic CID for a seed string (an IMEI or the state path). */
void emu_emmc_make_cid(uint8_t cid[16], const char *seed);
/* The same with the board's flash id (emu_board_flash_id) as CID[0:9]. */
void emu_emmc_make_board_cid(uint8_t cid[16], const struct emu_profile *prof, const char *seed);

/* --- memstate.c: the state folder in memory (mtkemu_options.memstate) ------ */

const char *emu_memstate_name(const struct mtkemu_memstate *m);
/* The folder lock: false when another emulator holds it. */
bool emu_memstate_claim(struct mtkemu_memstate *m);
void emu_memstate_release(struct mtkemu_memstate *m);
/* Small files: a read-only stream (NULL when absent), the whole content
 * (bytes copied, MTK_E_NOTFOUND when absent), replace or create. */
FILE *emu_memstate_fopen(struct mtkemu_memstate *m, const char *name);
int emu_memstate_get(struct mtkemu_memstate *m, const char *name, void *buf, size_t cap);
int emu_memstate_put(struct mtkemu_memstate *m, const char *name, const void *data, size_t len);
bool emu_memstate_has(struct mtkemu_memstate *m, const char *name);
/* eMMC areas: (re)made all zero; data access within bounds the caller checked. */
int emu_memstate_make_area(struct mtkemu_memstate *m, int area, uint64_t size);
uint64_t emu_memstate_area_size(const struct mtkemu_memstate *m, int area);
void emu_memstate_read(const struct mtkemu_memstate *m, int area, uint64_t off, uint8_t *buf, size_t len);
int emu_memstate_write(struct mtkemu_memstate *m, int area, uint64_t off, const uint8_t *buf, size_t len);
int emu_memstate_erase(struct mtkemu_memstate *m, int area, uint64_t off, uint64_t len);
/* The boot model's verdict (an enum emu_mode) for what the snapshot holds,
 * kept per chip profile: a fuzz input boots the same snapshot every time,
 * and deciding was a tenth of its time.  `get` answers only while nothing
 * (page, area size, small file) has changed since the snapshot; `set`
 * keeps nothing otherwise.  A new snapshot forgets it. */
bool emu_memstate_boot_get(const struct mtkemu_memstate *m, const void *prof, int *mode);
void emu_memstate_boot_set(struct mtkemu_memstate *m, const void *prof, int mode);

/* --- scatter_lite.c ------------------------------------------------------- */

enum emu_scatter_region { EMU_SR_USER, EMU_SR_BOOT1, EMU_SR_BOOT2, EMU_SR_BOOT1_BOOT2 };

struct emu_scatter_part {
	char name[64];
	uint64_t linear;   /* linear_start_addr as written */
	uint64_t physical; /* physical_start_addr as written (0 when absent) */
	uint64_t size;     /* partition_size; 0 = up to the next partition */
	enum emu_scatter_region region;
	bool reserved; /* is_reserved, or a 0xFFFFxxxx address */
	bool download; /* is_download */
	bool fs_image; /* type YAFFS_IMG or EXT4_IMG (an MBR-era Linux partition) */
	unsigned line; /* where the record starts, for messages */
};

struct emu_scatter {
	char platform[32]; /* "MT6737M"; "" for v1.0 files */
	int version;       /* 10 = v1.0, 11 = V1.1.x, 20 = V2.x */
	/* V2.x: the storage_type blocks the file has ("EMMC, UFS") and the one
	 * the partitions come from (always EMMC: the emulator has no UFS) */
	char storages[32], storage[8];
	size_t count;
	struct emu_scatter_part *parts;
};

/* Strict reader for the v1.0, V1.1.x and V2.x (EMMC block) syntaxes.  `fname` only names the
 * file in messages ("FILE:LINE: ..."). */
int emu_scatter_parse(const char *text, size_t len, const char *fname, struct emu_scatter *out, char *err,
                      size_t errlen);
int emu_scatter_load(const char *path, struct emu_scatter *out, char *err, size_t errlen);
void emu_scatter_free(struct emu_scatter *sc);

/* --- tables.c: MBR/EBR, PMT and GPT as the factory writes them ----------- */

/* One partition as the table writers see it. */
struct emu_table_part {
	char name[64];
	uint64_t offset;   /* user-area byte offset (user partitions) */
	uint64_t size;     /* bytes, as placed */
	uint64_t linear;   /* PMT offset: the scatter's linear address */
	uint64_t pmt_size; /* PMT size: the scatter's partition_size */
	bool user;         /* lives in the user area */
	bool in_mbr;       /* a Linux (0x83) entry of the MBR/EBR chain */
	bool in_pmt;       /* a PMT record (everything up to the last user partition) */
	bool in_gpt;       /* a GPT entry */
};

#define EMU_MBR_MAX_TABLES 8 /* the MBR and up to 7 EBRs */
struct emu_mbr_sectors {
	size_t count;
	uint64_t offset[EMU_MBR_MAX_TABLES]; /* user-area byte offset of each table */
	uint8_t sector[EMU_MBR_MAX_TABLES][512];
};
/* The MBR (at the partition named MBR, which must start the user area) and
 * the EBRs (at EBR1, EBR2, ...) listing the in_mbr partitions. */
int emu_mbr_build(const struct emu_table_part *parts, size_t n, struct emu_mbr_sectors *out, char *err,
                  size_t errlen);

#define EMU_PMT_COPY_SIZE   4096u
#define EMU_PMT_RECORD      0x60u
#define EMU_PMT_NAME_LEN    64u
#define EMU_PMT_MAX_RECORDS 40 /* MediaTek's PART_MAX_COUNT */
#define EMU_PMT_SIG_MAIN    0x50547631u /* "PTv1" as a little-endian u32 */
#define EMU_PMT_SIG_MIRROR  0x4D505431u /* "MPT1" */
/* The u64 at 0x48 of a record.  mtkclient reads a 0xA5 payload only when
 * byte 0x48 of the first record is 0xFF (da-legacy.md §4.9); the reference
 * gives no other value a real table holds there, so every record gets it
 * [inferred]. */
#define EMU_PMT_PART_ID 0xFFu
/* Main copy + mirror (2 × 4 KiB) of the in_pmt partitions, in array order. */
int emu_pmt_build(const struct emu_table_part *parts, size_t n, uint8_t buf[2 * EMU_PMT_COPY_SIZE], char *err,
                  size_t errlen);
/* User-area offset of the main copy: user_size - 1 MiB (formats.md §5.2). */
int emu_pmt_location(uint64_t user_size, uint64_t *off);
/* The 0xA5 payload (the stored 0x60-byte records) from the two stored
 * copies; the mirror when the main copy is bad.  Returns its length (0: no
 * valid table; *out NULL) and a malloc'd buffer in *out. */
int emu_pmt_payload(const uint8_t stored[2 * EMU_PMT_COPY_SIZE], uint8_t **out);

/* Protective MBR + primary and backup GPT of the in_gpt user partitions
 * (128 entries, "basic data" type, GUIDs derived from seed). */
int emu_gpt_write(struct emu_storage *s, const struct emu_table_part *parts, size_t n, uint64_t seed, char *err,
                  size_t errlen);

/* --- provision.c ---------------------------------------------------------- */

struct emu_provision_opts {
	const char *chip;
	const char *state_dir;
	const char *scatter; /* NULL: the chip's default layout */
	uint64_t user_size;  /* 0: profile default */
	const char *imei;    /* NULL: derived from the state path */
	bool force;          /* allow a non-empty state directory */
	struct mtkemu_memstate *memstate; /* non-NULL: provision into it (state_dir only names it) */
	/* Non-NULL: a partition gets its filler contents (pattern, boot image,
	 * lk) only if this says its first bytes [off, off+len) are wanted.
	 * Tables, preloaders and the IMEI record are always written.  For a
	 * harness that keeps a few windows of the storage and should not pay
	 * for making the rest. */
	bool (*fill_wanted)(void *ctx, int area, uint64_t off, uint64_t len);
	void *fill_ctx;
};

/* Where one partition ended up (for the summary and for tests). */
struct emu_placed_part {
	char name[64];
	int area;
	uint64_t offset, size;
	/* from the scatter record, for the PMT and the MBR/EBR chain */
	uint64_t linear, scatter_size;
	bool reserved; /* a reserved tail partition (0xFFFFxxxx address) */
	bool fs_image; /* type YAFFS_IMG / EXT4_IMG: a filesystem the kernel mounts */
};

struct emu_provision_result {
	size_t count;
	struct emu_placed_part parts[160];
	char table[16]; /* "gpt" | "mbr+pmt" */
	char imei[16];
	char imei_part[64];   /* partition holding the IMEI record, "" if none */
	uint64_t imei_offset; /* user-area offset of the record */
	uint64_t user_size;   /* the user area made */
	bool user_sized;      /* user_size was chosen to fit the scatter (no --user-size) */
	char storages[32];    /* V2.x scatter: its storage_type blocks ("EMMC, UFS"), else "" */
};

int emu_provision(const struct emu_provision_opts *o, struct emu_provision_result *res, char *err,
                  size_t errlen);
int emu_provision_main(int argc, char **argv);

/* The EMI (DRAM) settings record of the board, as its factory preloader's
 * MTK_BLOADER_INFO_v20 block holds it (formats.md §4.5, da-legacy.md §7): the
 * legacy DA's DRAM init succeeds only with this record (da_legacy.c). */
#define EMU_EMI_RECORD_SIZE 0xBCu
#define EMU_EMI_MR5_OFF     0xB0u
void emu_board_emi_record(const struct emu_profile *prof, uint8_t rec[EMU_EMI_RECORD_SIZE]);
/* The board's flash id: the first 9 CID bytes (MID, CBX, OID, PNM), which a
 * preloader's EMI records name (formats.md §4.5.2). */
#define EMU_FLASH_ID_LEN 9u
void emu_board_flash_id(const struct emu_profile *prof, uint8_t id[EMU_FLASH_ID_LEN]);

/* The chip's default layout placed on its default eMMC (profile user
 * size): one table for `provision` without --scatter and for the scatter
 * `mkfirmware` writes.  Sorted by area, then offset. */
int emu_default_layout(const struct emu_profile *prof, struct emu_placed_part *parts, size_t cap, size_t *count,
                       char *err, size_t errlen);
/* The MBR and EBR sectors `provision` writes for these partitions (MBR era). */
int emu_layout_mbr_sectors(const struct emu_placed_part *parts, size_t n, struct emu_mbr_sectors *out, char *err,
                           size_t errlen);

/* A boot-area preloader image (EMMC_BOOT + BRLYT + GFH FILE_INFO/BL_INFO +
 * code + MTK_BLOADER_INFO_v20 with one EMI record + signature), the form a
 * boot1 dump holds (formats.md §4.1). */
struct emu_preloader_spec {
	uint32_t load_addr; /* GFH load address: says which SoC it was built for */
	uint32_t code_len;
	uint32_t code_seed;
	char name[61];      /* embedded image name, "preloader_<project>.bin" */
	uint8_t emi[EMU_EMI_RECORD_SIZE];
};
uint32_t emu_preloader_load_addr(const struct emu_profile *prof);
size_t emu_preloader_size(uint32_t code_len);
/* Returns the image size, 0 when cap is too small. */
size_t emu_preloader_build(uint8_t *img, size_t cap, const struct emu_preloader_spec *spec);

/* The deterministic content generators provisioning uses. */
uint32_t emu_fnv1a(const char *s, uint32_t h);
void emu_pattern(uint8_t *buf, size_t len, uint32_t seed);
/* Whether buf[from, to) is the xorshift32 stream of `seed` that the synthetic
 * DAs are filled with (docs/da-synthetic.md: the state starts at `seed`,
 * each byte is the low byte of the next state), the stream starting at
 * offset `from`; the bytes in [hole_from, hole_to) are not compared. */
bool emu_xorshift_matches(const uint8_t *buf, size_t from, size_t to, uint32_t seed, size_t hole_from,
                          size_t hole_to);

/* The IMEI record inside an NVRAM-class partition: a 512-byte block at the
 * start of the partition holding the text "MTKEMU-NVRAM\nIMEI1=<15 digits>\n"
 * padded with NULs.  Parsed back by emu_imei_record_parse(). */
#define EMU_IMEI_MAGIC "MTKEMU-NVRAM\n"
int emu_imei_record_parse(const uint8_t *buf, size_t len, char imei[16]);

#endif
