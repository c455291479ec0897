/* SPDX-License-Identifier: MIT */
/* Partition tables (GPT, MBR/EBR, PMT), the eMMC region model and EXT_CSD.
 *
 * The client's own: the emulator has separate tables (emu/tables.c) so that
 * one misreading cannot pass both sides.  Only libc and lib/core here.
 * Readers come in two shapes: a pure buffer parser (fuzzable) and, where the
 * table sits at both ends of a disk, a reader that pulls just the sectors it
 * needs through a caller's callback.  Writers (GPT, MBR) build the bytes a
 * factory-fresh device would hold.
 *
 * Units: every `start`/`size` in this API is in bytes; LBAs appear only in
 * callbacks and in GPT header fields.  References: formats.md §1.7, §5, §6;
 * da-legacy.md §4.9 (0xA5), §8.3. */
#ifndef MTKFLASH_STORAGE_H
#define MTKFLASH_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtkflash/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- regions */

/* eMMC hardware partitions ("areas"), in the order the MT6572-era linear
 * address space concatenates them (formats.md §1.7). */
enum mtk_region {
	MTK_REGION_BOOT1 = 0,
	MTK_REGION_BOOT2,
	MTK_REGION_RPMB,
	MTK_REGION_USER,
	MTK_REGION_COUNT
};

/* "boot1", "boot2", "rpmb", "user"; "?" when out of range. */
const char *mtk_region_name(enum mtk_region r);

/* Accepts our names and the scatter spellings, case-insensitively:
 * boot1 / EMMC_BOOT1 / EMMC_BOOT_1 / UFS_LU0, boot2 / EMMC_BOOT2 / UFS_LU1,
 * rpmb / EMMC_RPMB, user / EMMC_USER / UFS_LU2.
 * Returns 0, or 1 when the name means "the same image in boot1 and boot2"
 * (EMMC_BOOT1_BOOT2, UFS_LU0_LU1; *out is then BOOT1), or MTK_E_NOTFOUND. */
int mtk_region_from_name(const char *name, enum mtk_region *out);

/* Legacy DA / mtkclient partition ids (formats.md §6.1): boot1=1, boot2=2,
 * rpmb=3, user=8; and the reverse (ids 10 = BOOT1_BOOT2 -> BOOT1; GP ids and
 * unknown ids give MTK_E_NOTFOUND). */
uint8_t mtk_region_da_id(enum mtk_region r);
int mtk_region_from_da_id(uint64_t id, enum mtk_region *out);

/* Sizes of the areas of one device, in bytes (0 = absent). */
struct mtk_regions {
	uint64_t size[MTK_REGION_COUNT];
};

/* RPMB is authenticated storage (formats.md §6.1): a plain read, write or
 * erase of it is refused with MTK_E_POLICY and an explanation; 0 for the
 * other areas.  Callers check before they connect where they can. */
int mtk_region_plain_access(mtk_ctx *ctx, enum mtk_region r);

/* Fails with MTK_E_RANGE unless [off, off+len) lies inside region r. */
int mtk_region_check(mtk_ctx *ctx, const struct mtk_regions *rg, enum mtk_region r, uint64_t off,
                     uint64_t len);

/* The MT6572/MT6582-era scatter "linear" address space: BOOT1 ‖ BOOT2 ‖ RPMB,
 * then USER starting at `user_base`.  ptgen sets user_base (= the linear
 * address of the MBR partition) to the largest boot+rpmb sum of all eMMC parts
 * a board supports, so it can exceed this device's boot1+boot2+rpmb: the
 * bytes in between address nothing. */
struct mtk_old_space {
	struct mtk_regions rg;
	uint64_t user_base;
};

/* user_base = boot1 + boot2 + rpmb: the space when the scatter gives no MBR. */
void mtk_old_space_init(struct mtk_old_space *s, const struct mtk_regions *rg);

/* Linear address -> (region, offset in region); *avail (may be NULL) gets the
 * bytes left in that region from there.  MTK_E_RANGE for the gap between the
 * boot areas and user_base, or past the end of the user area (when its size
 * is known, i.e. non-zero). */
int mtk_old_to_region(mtk_ctx *ctx, const struct mtk_old_space *s, uint64_t linear, enum mtk_region *reg,
                      uint64_t *off, uint64_t *avail);
/* The reverse; MTK_E_RANGE when off is outside the region. */
int mtk_region_to_old(mtk_ctx *ctx, const struct mtk_old_space *s, enum mtk_region reg, uint64_t off,
                      uint64_t *linear);

/* ------------------------------------------------------------- partitions */

/* 36 UTF-16 code units of a GPT name as UTF-8 need at most 108 bytes. */
#define MTK_PART_NAME_SIZE 112

struct mtk_part {
	char name[MTK_PART_NAME_SIZE]; /* UTF-8, NUL-terminated */
	uint64_t start;                /* bytes from the start of `region` */
	uint64_t size;                 /* bytes */
	enum mtk_region region;
	uint8_t type_guid[16]; /* GPT, on-disk (mixed-endian) byte order; zero otherwise */
	uint8_t uuid[16];      /* GPT unique GUID, on-disk order; zero = derive when writing */
	uint64_t attrs;        /* GPT attribute bits; PMT mask_flags */
	uint64_t part_id;      /* PMT 1.1 part_id as stored (also for 0xA5 records) */
	uint8_t mbr_type;      /* MBR/EBR type byte (0x83 Linux); 0 = not in the MBR chain */
};

enum mtk_ptable_kind { MTK_PTABLE_NONE = 0, MTK_PTABLE_GPT, MTK_PTABLE_PMT, MTK_PTABLE_MBR };
/* "none", "gpt", "pmt", "mbr". */
const char *mtk_ptable_kind_name(enum mtk_ptable_kind k);

/* PMT record layouts (formats.md §5.2). */
enum mtk_pmt_variant {
	MTK_PMT_NONE = 0,
	MTK_PMT_NAND32,  /* name[64], size u32, offset u32, mask_flags u32: 76 bytes */
	MTK_PMT_EMMC_10, /* "1.0": name[64], size u64, offset u64, mask_flags u64: 88 bytes */
	MTK_PMT_EMMC_11, /* "1.1": name[64], size u64, part_id u64, offset u64, mask_flags u64: 96 bytes */
};

struct mtk_ptable {
	enum mtk_ptable_kind kind;
	struct mtk_part *parts; /* owned; free with mtk_ptable_free() */
	size_t count;
	size_t cap;
	uint64_t disk_size;   /* bytes of the area the table describes (0 = unknown) */
	uint32_t sector_size; /* GPT/MBR logical block size (512; UFS 4096) */
	bool used_backup;     /* primary copy unusable: GPT backup or PMT mirror was used */
	char warning[200];    /* why used_backup is set ("" otherwise) */
	/* GPT */
	uint8_t disk_guid[16]; /* on-disk order; zero = derive from the seed when writing */
	uint64_t first_usable; /* LBA; 0 = default when writing (34 for 512-byte sectors) */
	uint64_t last_usable;  /* LBA; 0 = default when writing (last LBA - 33) */
	/* PMT */
	enum mtk_pmt_variant pmt_variant;
};

/* Zeroed table of a kind (parts NULL).  Free releases parts and re-zeroes. */
void mtk_ptable_init(struct mtk_ptable *t, enum mtk_ptable_kind kind);
void mtk_ptable_free(struct mtk_ptable *t);
/* Appends a copy of *p (growing parts); MTK_E_NOMEM. */
int mtk_ptable_add(mtk_ctx *ctx, struct mtk_ptable *t, const struct mtk_part *p);
/* Convenience for builders and tests: a user-area partition with zero GUIDs. */
int mtk_ptable_add_simple(mtk_ctx *ctx, struct mtk_ptable *t, const char *name, uint64_t start,
                          uint64_t size);
/* Sorts by (region, start); then MTK_E_RANGE naming both partitions if two
 * overlap in one region, or one ends past disk_size (user area, when known). */
int mtk_ptable_check(mtk_ctx *ctx, struct mtk_ptable *t);

/* Partition names: MT6572-era upper-case names are aliases of the GPT-era
 * names (formats.md §1.10): ANDROID=system, USRDATA=userdata, BOOTIMG=boot,
 * UBOOT=lk, SEC_RO=secro, PRO_INFO=proinfo, PROTECT_F=protect1,
 * PROTECT_S=protect2, plus the rest of that era's names, which only changed
 * case (CACHE, RECOVERY, PRELOADER, NVRAM, LOGO, MISC, EXPDB, SECCFG, ...). */

/* GPT-era spelling of a name ("ANDROID" -> "system"); for a name without an
 * alias, NULL. */
const char *mtk_part_alias(const char *name);
/* Same partition: equal ignoring case, or equal after mapping aliases. */
bool mtk_part_name_eq(const char *a, const char *b);
/* First partition matching `name` (exact case-insensitive match preferred over
 * an alias match), or NULL. */
const struct mtk_part *mtk_part_find(const struct mtk_ptable *t, const char *name);
/* Like mtk_part_find, but fails with MTK_E_NOTFOUND:
 *   "no partition 'foo' (the table has: preloader, boot, system, ...)". */
int mtk_part_lookup(mtk_ctx *ctx, const struct mtk_ptable *t, const char *name, const struct mtk_part **out);
/* "preloader, boot, system" into buf (truncated with "..." if short); returns
 * the length it wanted, like snprintf. */
size_t mtk_part_list_names(const struct mtk_ptable *t, char *buf, size_t len);

/* Callbacks for readers that fetch only what they need.  Return 0 or a
 * negative MTK_E_* (recorded by the callback with mtk_fail if it has a ctx). */
typedef int (*mtk_read_sectors_fn)(void *user, uint64_t lba, uint32_t count, uint8_t *buf);
typedef int (*mtk_write_sectors_fn)(void *user, uint64_t lba, uint32_t count, const uint8_t *buf);

/* -------------------------------------------------------------------- GPT */

#define MTK_GPT_ENTRY_COUNT 128
#define MTK_GPT_ENTRY_SIZE  128
#define MTK_GPT_NAME_UNITS  36 /* UTF-16 code units in an entry name */

/* Sectors of one entry array (32 at 512 bytes, 4 at 4096). */
uint32_t mtk_gpt_entry_sectors(uint32_t sector_size);
/* Bytes at the head (protective MBR + header + entries: 34 sectors at 512)
 * and at the tail (entries + backup header: 33 sectors at 512). */
size_t mtk_gpt_head_bytes(uint32_t sector_size);
size_t mtk_gpt_tail_bytes(uint32_t sector_size);

/* Reads LBA 0..head and the last tail sectors through `rd`, checks the header
 * CRC32, the entries CRC32, my_lba and the entry geometry.  A bad primary
 * falls back to the backup at the last LBA: then used_backup is set and
 * warning says why ("primary GPT header CRC mismatch (stored 0x…, computed
 * 0x…)").  Both bad: MTK_E_PARSE with both reasons.  Partition start/size come
 * out in bytes, region USER, empty entries (zero type GUID) skipped.
 * disk_sectors is the number of LBAs of the area. */
int mtk_gpt_read(mtk_ctx *ctx, mtk_read_sectors_fn rd, void *user, uint32_t sector_size,
                 uint64_t disk_sectors, struct mtk_ptable *out);

/* The same on buffers: `head` holds the area from LBA 0, `tail` its last
 * tail_len bytes (ending at the last LBA); either may be short or NULL
 * (sectors outside them count as unreadable). */
int mtk_gpt_parse(mtk_ctx *ctx, const uint8_t *head, size_t head_len, const uint8_t *tail, size_t tail_len,
                  uint32_t sector_size, uint64_t disk_sectors, struct mtk_ptable *out);

/* Builds protective MBR + primary header + entries into head[0..head_bytes)
 * and entries + backup header into tail[0..tail_bytes) (to be written at
 * LBA disk_sectors - tail_bytes/sector_size).  Partitions must be in the user
 * region, sector aligned, inside [first_usable, last_usable], not overlapping,
 * at most 128, names at most 36 UTF-16 units.  Zero GUIDs (disk, unique) are
 * derived from `seed` and the entry index, so the same input gives the same
 * bytes; a zero type GUID becomes "basic data" (EBD0A0A2-B9E5-4433-87C0-
 * 68B6B72699C7).  Entries are written in the order of t->parts. */
int mtk_gpt_build(mtk_ctx *ctx, const struct mtk_ptable *t, uint32_t sector_size, uint64_t disk_sectors,
                  uint64_t seed, uint8_t *head, size_t head_len, uint8_t *tail, size_t tail_len);
/* mtk_gpt_build, then writes both copies through `wr`. */
int mtk_gpt_write(mtk_ctx *ctx, const struct mtk_ptable *t, uint32_t sector_size, uint64_t disk_sectors,
                  uint64_t seed, mtk_write_sectors_fn wr, void *user);

/* "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" from on-disk bytes (buf >= 37). */
void mtk_guid_format(const uint8_t guid[16], char *buf, size_t len);

/* ---------------------------------------------------------------- MBR/EBR */

/* MediaTek's MBR/EBR chain (formats.md §5.1): the MBR sits at user-area
 * offset 0, its entry 0 is an extended (0x05) entry pointing at EBR1, the
 * other entries and each EBR's entries are Linux (0x83) partitions; LBAs in
 * an EBR count from that EBR's own position; the last partition's size is
 * 0xFFFFFFFF - start ("to the end").  Raw partitions are not in it. */
#define MTK_MBR_MAX_SECTORS 8 /* MBR + up to 7 EBRs */

/* Reads the MBR at LBA 0 and follows the chain through `rd`.  Partitions get
 * region USER, start/size in bytes from the MBR position, mbr_type set, and
 * Linux-style names (tables carry none): "p1".."p4" by MBR slot, "p5" on in
 * chain order.  The "to the end" size is clipped to disk_sectors when that is
 * non-zero.  Loops, more than MTK_MBR_MAX_SECTORS tables, entries past the
 * disk, a GPT protective MBR: MTK_E_PARSE; read failures pass rd's code up. */
int mtk_mbr_read(mtk_ctx *ctx, mtk_read_sectors_fn rd, void *user, uint64_t disk_sectors,
                 struct mtk_ptable *out);
/* The same on a buffer holding the user area from offset 0 (at least up to
 * the last EBR sector). */
int mtk_mbr_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, uint64_t disk_sectors,
                  struct mtk_ptable *out);

/* The sectors to write for a table. */
struct mtk_mbr_image {
	size_t count;
	uint64_t offset[MTK_MBR_MAX_SECTORS]; /* user-area byte offset of each sector */
	uint8_t sector[MTK_MBR_MAX_SECTORS][512];
};
/* From the user-area partitions of t: those with mbr_type != 0 become
 * entries, in start order; the table sectors go where the partitions named
 * "MBR", "EBR1", "EBR2", … start (the MBR must start at 0).  See mbr.c for how
 * entries are spread over the MBR and EBRs.  The last entry's size is
 * written "to the end" when `last_to_end`. */
int mtk_mbr_build(mtk_ctx *ctx, const struct mtk_ptable *t, bool last_to_end, struct mtk_mbr_image *out);
/* Is this sector an MBR-like table (0x55AA)? Is entry 0 of it the 0xEE
 * protective entry of a GPT? */
bool mtk_mbr_is_valid(const uint8_t *sector, size_t len);
bool mtk_mbr_is_protective(const uint8_t *sector, size_t len);

/* -------------------------------------------------------------------- PMT */

#define MTK_PMT_SIG         0x50547631u /* "PTv1" as a little-endian u32 */
#define MTK_PMT_MIRROR_SIG  0x4D505431u /* "MPT1" */
#define MTK_PMT_REGION_SIZE 4096u       /* one copy; the mirror follows */
#define MTK_PMT_MAX_COUNT   40          /* MTK's PART_MAX_COUNT (see pmt.c) */
#define MTK_PMT_DA_RECORD   0x60        /* 0xA5 payload record size */
/* Byte 0x48 of the first 0xA5 record, which mtkclient requires
 * (da-legacy.md §4.9). */
#define MTK_PMT_DA_PART_ID 0xFFu

/* User-area offset of the main copy: user_size - 1 MiB (MTK_E_RANGE if the
 * area is smaller than that). */
int mtk_pmt_offset(mtk_ctx *ctx, uint64_t user_size, uint64_t *off);

/* One 4 KiB copy (main or mirror): signature, version "1.0"/"1.1", records up
 * to the first empty name, trailing signature.  NAND32 copies carry no
 * version string and are recognised by `variant` = MTK_PMT_NAND32 only; pass
 * MTK_PMT_NONE to detect eMMC 1.0/1.1 from the version. */
int mtk_pmt_parse(mtk_ctx *ctx, const uint8_t *buf, size_t len, enum mtk_pmt_variant variant,
                  struct mtk_ptable *out);
/* Main copy at buf[0], mirror at buf[4096]: the mirror is used (used_backup,
 * warning) when the main copy is bad. */
int mtk_pmt_parse_pair(mtk_ctx *ctx, const uint8_t *buf, size_t len, enum mtk_pmt_variant variant,
                       struct mtk_ptable *out);
/* The DA's 0xA5 SDMMC_READ_PMT payload: bare 0x60-byte records (name[64],
 * size @0x40, part_id @0x48, offset @0x50, mask_flags @0x58).  Byte 0x48 of
 * the first record must be 0xFF (MTK_PMT_DA_PART_ID, the layout mtkclient
 * requires); records with an empty name are skipped; a trailing partial
 * record is MTK_E_PARSE.  An empty payload gives an empty table (no PMT).
 *
 * Here and in mtk_pmt_parse/_pair (eMMC variants), record offsets are LINEAR
 * addresses (formats.md §5.2): each partition comes out with
 *   user area: start = PMT offset - the MBR record's offset (>= it),
 *   boot1:     start = PMT offset (records below the MBR record: PRELOADER);
 * part_id is kept as stored but does not decide the area.  Refused
 * (MTK_E_PARSE, naming the record): no MBR record, a record running over the
 * MBR record's offset, overlapping records.  Records past the end of the
 * storage are refused by mtk_ptable_check() once disk_size is known. */
int mtk_pmt_parse_da(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_ptable *out);

/* One list from an MBR-era device whose user area begins with an MBR: the
 * MBR/EBR chain (mtk_mbr_read) is the authority for the partitions it
 * lists, the PMT (already in user offsets) names them and fills in the raw
 * partitions.  Each MBR partition must be matched by at most one PMT record,
 * at the same start with the same size (the chain's last partition, "to the
 * end", may be larger than its record); any other overlap is MTK_E_PARSE
 * saying which partition and record disagree.  An MBR partition with no
 * record keeps its "pN" name.  disk_size comes from mbr; out is checked
 * with mtk_ptable_check(). */
int mtk_pmt_merge_mbr(mtk_ctx *ctx, const struct mtk_ptable *mbr, const struct mtk_ptable *pmt,
                      struct mtk_ptable *out);

/* ---------------------------------------------------------------- EXT_CSD */

#define MTK_EXT_CSD_SIZE 512
enum mtk_ext_csd_index {
	MTK_EXT_CSD_GP_SIZE_MULT = 143, /* 4 × 3 bytes, little-endian */
	MTK_EXT_CSD_PARTITION_SETTING_COMPLETED = 155,
	MTK_EXT_CSD_PARTITION_SUPPORT = 160,
	MTK_EXT_CSD_RPMB_SIZE_MULT = 168, /* × 128 KiB */
	MTK_EXT_CSD_BOOT_WP = 173,
	MTK_EXT_CSD_ERASE_GROUP_DEF = 175,
	MTK_EXT_CSD_BOOT_BUS_CONDITIONS = 177, /* formerly BOOT_BUS_WIDTH */
	MTK_EXT_CSD_PARTITION_CONFIG = 179,
	MTK_EXT_CSD_REV = 192,
	MTK_EXT_CSD_SEC_COUNT = 212, /* 4 bytes, little-endian, × 512 */
	MTK_EXT_CSD_HC_WP_GRP_SIZE = 221,
	MTK_EXT_CSD_HC_ERASE_GRP_SIZE = 224,
	MTK_EXT_CSD_BOOT_SIZE_MULT = 226, /* × 128 KiB, each boot area */
	MTK_EXT_CSD_BOOT_INFO = 228,
};

/* PARTITION_CONFIG (EXT_CSD[179]): bit 6 BOOT_ACK, bits 5:3
 * BOOT_PARTITION_ENABLE, bits 2:0 PARTITION_ACCESS (formats.md §6.2). */
#define MTK_PARTCFG_BOOT_ACK 0x40u
enum mtk_boot_enable {
	MTK_BOOT_EN_NONE = 0,
	MTK_BOOT_EN_BOOT1 = 1,
	MTK_BOOT_EN_BOOT2 = 2,
	MTK_BOOT_EN_USER = 7
};
enum mtk_part_access { MTK_ACCESS_USER = 0, MTK_ACCESS_BOOT1 = 1, MTK_ACCESS_BOOT2 = 2, MTK_ACCESS_RPMB = 3 };
static inline uint8_t mtk_partcfg_make(int boot_ack, unsigned enable, unsigned access)
{
	return (uint8_t)((boot_ack ? MTK_PARTCFG_BOOT_ACK : 0) | (enable & 7u) << 3 | (access & 7u));
}
static inline unsigned mtk_partcfg_enable(uint8_t v)
{
	return (v >> 3) & 7u;
}
static inline unsigned mtk_partcfg_access(uint8_t v)
{
	return v & 7u;
}
/* PARTITION_ACCESS value <-> region (4-7 = GP areas: MTK_E_UNSUPPORTED). */
int mtk_partcfg_access_region(unsigned access, enum mtk_region *out);
unsigned mtk_region_access(enum mtk_region r);

struct mtk_extcsd {
	uint64_t boot_size;  /* each of boot1, boot2: BOOT_SIZE_MULT × 128 KiB */
	uint64_t rpmb_size;  /* RPMB_SIZE_MULT × 128 KiB */
	uint64_t gp_size[4]; /* GP_SIZE_MULT × HC_WP_GRP_SIZE × HC_ERASE_GRP_SIZE × 512 KiB */
	uint64_t user_size;  /* SEC_COUNT × 512 */
	uint8_t partition_config;
	uint8_t boot_wp;
	uint8_t boot_bus_conditions;
	uint8_t boot_info;
	uint8_t partition_setting_completed;
	uint8_t rev; /* EXT_CSD_REV */
	uint8_t hc_wp_grp_size;
	uint8_t hc_erase_grp_size;
};

/* Needs len >= 512; MTK_E_PARSE otherwise. */
int mtk_extcsd_decode(mtk_ctx *ctx, const uint8_t *buf, size_t len, struct mtk_extcsd *out);
/* Fills a 512-byte register image (other bytes zero).  Sizes must be exact
 * multiples of their unit and fit their fields (MTK_E_RANGE otherwise); a
 * zero rev becomes 8 (eMMC 5.1), zero group sizes become 1 when GP areas are
 * set. */
int mtk_extcsd_encode(mtk_ctx *ctx, const struct mtk_extcsd *in, uint8_t *buf, size_t len);
/* Boot1/boot2/rpmb/user sizes of a decoded register. */
void mtk_extcsd_regions(const struct mtk_extcsd *e, struct mtk_regions *rg);

#ifdef __cplusplus
}
#endif
#endif
