/* SPDX-License-Identifier: MIT */
/* Chip profiles: what each emulated SoC reports (brom-protocol.md §5).
 *
 * Choices the reference leaves open, made once here:
 *
 * - hw_sub_code / hw_ver / sw_ver are the values of the chip's DA-file entry
 *   (§5.5), so a host that picks the DA entry by exact match and one that
 *   uses the "entry hw_version <= reported hw_ver" rule (§6.4) both find it.
 *   That makes MT6797 report hw_ver 0x8A00 and the legacy chips and
 *   MT6755/MT6750/MT6757/MT6797 report hw_sub_code 0x0000; everything else
 *   reports the common 8A00/CA00/0000 of §5.1.
 * - BL version (GET_BL_VER in preloader mode): 3 for every xflash-era chip
 *   (their preloaders implement GET_ME_ID/GET_SOC_ID/GET_PL_CAP, §3.4).  1 for
 *   the legacy-DA chips: MediaTek's own tool reads "version < 2" as "no xflash
 *   support", which is exactly what these chips' preloaders lack, and the
 *   MT6582-era preloader source [PL-old] answers 1.  No profile answers 2.
 * - MT6750 uses the 0x0326 code it shares with MT6755 (the common case, §5.2).
 * - has_soc_id follows §5.3: only chips with a socid_addr have one.
 * - Partition tables: MT6572/MT6582 firmware uses PMT with an MBR/EBR chain;
 *   everything from MT6580 on uses GPT (formats.md).
 * - target_config is 0 (unfused, §5.1); --secure overrides it.
 * - eMMC user area 8 GiB, 16 GiB on MT6785, whose factory layout (provision.c)
 *   needs more.
 * - Memory: every board is an eMMC MCP (formats.md §4.5.2 type 0x02xx) with
 *   LPDDR2 on MT6572 (its era) and LPDDR3 elsewhere, a Hynix part (MR5 0x06,
 *   matching the CID's MID 0x90); the flash id is per chip
 *   (emu_board_flash_id), so one chip's preloader does not fit another's.
 * - Reply variants: "CHIP+QUIRK[+QUIRK...]" is CHIP answering as some real
 *   devices do where the reference says otherwise (EMU_Q_*, quirk_names
 *   below); the variants are not listed among the chip names.
 * - Boot partition policy (formats.md §6.3/§6.4): the chips whose preloader
 *   trees carry MediaTek's A/B preloader code (MT6580, MT6739, MT6755, MT6757,
 *   MT6761 onward; MT6750 is an MT6755 and MT6797 comes after MT6761) flip
 *   BOOT_PARTITION_ENABLE and reset, so their BootROMs boot the partition it
 *   selects; for MT6572/MT6582/MT6735/MT6737/MT6753 no code ever selects
 *   boot2, so their BootROMs are modelled reading boot1 only. */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "emu_internal.h"

#define GIB (1024ull * 1024 * 1024)

#define LEGACY_PL(n, code, dacode, wdt, tbl, old_pl)                                                          \
	{ .name = n, .hw_code = code, .hw_sub_code = 0x0000, .hw_ver = 0xCA00, .sw_ver = 0x0000,             \
	  .brom_ver = 0x05, .bl_ver = 1, .target_config = 0, .wdt_addr = wdt, .da_code = dacode,              \
	  .da_family = EMU_DA_LEGACY, .has_soc_id = false, .table = tbl, .user_size = 8 * GIB,               \
	  .dram_type = (code) == 0x6572 ? 2 : 3, .dram_mr5 = 0x06, .pl_region_asserts = old_pl,               \
	  .auth_unlocks = EMU_AUTH_UNLOCKS,                                                                   \
	  .boot_select = (code) == 0x6580 ? EMU_BOOT_EXT_CSD : EMU_BOOT_BOOT1_ONLY }
#define LEGACY(n, code, dacode, wdt, tbl) LEGACY_PL(n, code, dacode, wdt, tbl, false)

#define XFLASH(n, code, dacode, sub, hwv, socid) XFLASH_SZ(n, code, dacode, sub, hwv, socid, 8 * GIB)
#define XFLASH_SZ(n, code, dacode, sub, hwv, socid, usz)                                                     \
	{ .name = n, .hw_code = code, .hw_sub_code = sub, .hw_ver = hwv, .sw_ver = 0x0000, .brom_ver = 0x05,  \
	  .bl_ver = 3, .target_config = 0, .wdt_addr = 0x10007000, .da_code = dacode,                         \
	  .da_family = EMU_DA_XFLASH, .has_soc_id = socid, .table = EMU_TABLE_GPT, .user_size = usz,      \
	  .dram_type = 3, .dram_mr5 = 0x06, .boot_select = EMU_BOOT_EXT_CSD,                              \
	  .auth_unlocks = EMU_AUTH_UNLOCKS }

static const struct emu_profile profiles[] = {
	/* The MT6572 preloader's sec_region_check ASSERTs (brom-protocol.md §3.9). */
	LEGACY_PL("mt6572", 0x6572, 0x6572, 0x10007000, EMU_TABLE_PMT_MBR, true),
	LEGACY("mt6580", 0x6580, 0x6580, 0x10007000, EMU_TABLE_GPT),
	LEGACY("mt6582", 0x6582, 0x6582, 0x10007000, EMU_TABLE_PMT_MBR),
	LEGACY("mt6735", 0x0321, 0x6735, 0x10212000, EMU_TABLE_GPT),
	LEGACY("mt6737", 0x0335, 0x6735, 0x10212000, EMU_TABLE_GPT),
	XFLASH("mt6739", 0x0699, 0x6739, 0x8A00, 0xCA00, true),
	XFLASH("mt6750", 0x0326, 0x6755, 0x0000, 0xCA00, false),
	LEGACY("mt6753", 0x0337, 0x6735, 0x10212000, EMU_TABLE_GPT),
	XFLASH("mt6755", 0x0326, 0x6755, 0x0000, 0xCA00, false),
	XFLASH("mt6757", 0x0551, 0x6757, 0x0000, 0xCA00, false),
	XFLASH("mt6761", 0x0717, 0x6761, 0x8A00, 0xCA00, true),
	XFLASH("mt6762", 0x0717, 0x6761, 0x8A00, 0xCA00, true),
	XFLASH("mt6763", 0x0690, 0x6763, 0x8A00, 0xCA00, true),
	XFLASH("mt6765", 0x0766, 0x6765, 0x8A00, 0xCA00, true),
	XFLASH("mt6768", 0x0707, 0x6768, 0x8A00, 0xCA00, true),
	XFLASH("mt6771", 0x0788, 0x6771, 0x8A00, 0xCA00, true),
	/* 16 GiB: its factory layout (super, cache) ends past 8 GiB */
	XFLASH_SZ("mt6785", 0x0813, 0x6785, 0x8A00, 0xCA00, true, 16 * GIB),
	XFLASH("mt6797", 0x0279, 0x6797, 0x0000, 0x8A00, false),
};

#define NPROFILES (sizeof profiles / sizeof profiles[0])

static const char *names[NPROFILES + 1];

static const struct emu_profile *base_profile(const char *name, size_t len)
{
	for (size_t i = 0; name && i < NPROFILES; i++)
		if (strlen(profiles[i].name) == len && strncasecmp(profiles[i].name, name, len) == 0)
			return &profiles[i];
	return NULL;
}

static const struct {
	const char *name;
	uint32_t bit;
} quirk_names[] = {
        {"hw-code-word2", EMU_Q_HW_CODE_WORD2},       {"no-target-config", EMU_Q_NO_TARGET_CONFIG},
        {"bl-ver-4", EMU_Q_BL_VER_4},                 {"write-status-3", EMU_Q_WRITE_STATUS_3},
        {"send-da-status-low", EMU_Q_SEND_DA_STATUS_LOW}, {"send-da-checksum-0", EMU_Q_SEND_DA_CHK_ZERO},
};

/* "+a+b" -> bits; false on an unknown name. */
static bool parse_quirks(const char *s, uint32_t *bits)
{
	*bits = 0;
	while (*s == '+') {
		s++;
		size_t n = strcspn(s, "+");
		size_t i = 0;
		while (i < sizeof quirk_names / sizeof quirk_names[0] &&
		       (strlen(quirk_names[i].name) != n || strncasecmp(quirk_names[i].name, s, n) != 0))
			i++;
		if (i == sizeof quirk_names / sizeof quirk_names[0])
			return false;
		*bits |= quirk_names[i].bit;
		s += n;
	}
	return *s == '\0';
}

/* Variant profiles live for the process: one per (chip, quirks) asked for. */
#define MAX_VARIANTS 64
static struct emu_profile variants[MAX_VARIANTS];
static size_t nvariants;
static pthread_mutex_t variants_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct emu_profile *variant(const struct emu_profile *base, uint32_t quirks)
{
	const struct emu_profile *found = NULL;
	pthread_mutex_lock(&variants_lock);
	for (size_t i = 0; i < nvariants && !found; i++)
		if (variants[i].hw_code == base->hw_code && strcmp(variants[i].name, base->name) == 0 &&
		    variants[i].quirks == quirks)
			found = &variants[i];
	if (!found && nvariants < MAX_VARIANTS) {
		variants[nvariants] = *base;
		variants[nvariants].quirks = quirks;
		found = &variants[nvariants++];
	}
	pthread_mutex_unlock(&variants_lock);
	return found;
}

const struct emu_profile *emu_profile_find(const char *name)
{
	if (!name)
		return NULL;
	size_t len = strcspn(name, "+");
	const struct emu_profile *base = base_profile(name, len);
	uint32_t quirks;
	if (!base || !parse_quirks(name + len, &quirks))
		return NULL;
	return quirks ? variant(base, quirks) : base;
}

static void names_init(void)
{
	for (size_t i = 0; i < NPROFILES; i++)
		names[i] = profiles[i].name;
	names[NPROFILES] = NULL;
}

const char *const *mtkemu_chip_names(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, names_init);
	return names;
}
