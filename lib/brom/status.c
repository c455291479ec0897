/* SPDX-License-Identifier: MIT */
/* BootROM/preloader status words and target-config flags, as data.
 * The names and texts of status words live in the status catalogue
 * (data/status/, mtkflash/status.h): the BROM answers the BROM-DLL numbers
 * of SP Flash Tool (1000-7003, 10001-) and its own (table "brom"). */
#include "mtkflash/brom.h"
#include "mtkflash/status.h"

#include <stdlib.h>
#include <string.h>

static const struct mtk_status *brom_status(uint16_t status)
{
	const struct mtk_status *e = mtk_status_find("brom", status);
	return e ? e : mtk_status_find("spft5", status);
}

const char *mtk_brom_status_name(uint16_t status)
{
	const struct mtk_status *e = brom_status(status);
	return e ? e->name : NULL;
}

/* Only a code with its own text has something to add for the person holding
 * the phone; a range's text would repeat what the name says. */
const char *mtk_brom_status_hint(uint16_t status)
{
	const struct mtk_status *e = brom_status(status);
	return e && e->described && strcmp(e->table, "brom") == 0 ? e->meaning : NULL;
}

/* Ranges of §4.2 whose codes come from the device's security checks
 * (SLA, DAA, SBC, certificates, anti-rollback), single codes included. */
static const struct {
	uint16_t lo, hi;
} security_ranges[] = {
	{ 0x1770, 0x17F0 }, /* security: S_SECURITY_* 6000-6128 */
	{ 0x1D0C, 0x1D0D }, /* auth not needed / SLA required */
	{ 0x1D15, 0x1D15 }, /* unsigned DA on a DAA part */
	{ 0x1D17, 0x1D17 }, /* DA vs auth file */
	{ 0x2000, 0x2006 }, /* DA image auth */
	{ 0x5A5B, 0x5A5B }, /* DA blacklist */
	{ 0x6000, 0x6005 }, /* SBC */
	{ 0x7015, 0x7024 }, /* DAA */
	{ 0x8000, 0x8001 }, /* signature size */
	{ 0x9000, 0x9015 }, /* certificate */
	{ 0xA000, 0xA005 }, /* anti-rollback / OTP */
};

bool mtk_brom_status_is_security(uint16_t status)
{
	for (size_t i = 0; i < sizeof security_ranges / sizeof security_ranges[0]; i++)
		if (status >= security_ranges[i].lo && status <= security_ranges[i].hi)
			return true;
	return false;
}

const struct mtk_tgt_flag_info mtk_tgt_flags[] = {
	{ MTK_TGT_SBC, "SBC",
	  "secure boot: the device only boots a preloader, lk and boot image signed for it, so images from another "
	  "model or an unsigned build will not boot" },
	{ MTK_TGT_SLA, "SLA",
	  "serial link authentication: the BootROM accepts a Download Agent only after a challenge signed with the "
	  "vendor's key" },
	{ MTK_TGT_DAA, "DAA", "the Download Agent must be signed by the vendor" },
	{ MTK_TGT_EPP, "EPP",
	  "the BootROM reads external-RAM parameters (EPP) from the boot region; no effect on a normal flash" },
	{ MTK_TGT_ROOTCERT, "ROOT_CERT",
	  "a root certificate must be sent (SEND_CERT) before a Download Agent is accepted" },
	{ MTK_TGT_MEM_READ_AUTH, "MEM_READ_AUTH",
	  "memory reads through the BootROM are restricted: protected ranges cannot be read before the DA runs" },
	{ MTK_TGT_MEM_WRITE_AUTH, "MEM_WRITE_AUTH",
	  "memory writes through the BootROM are restricted: even the watchdog write may be refused" },
	{ MTK_TGT_CMD_C8_BLOCKED, "CMD_C8_BLOCKED",
	  "the cache-control command 0xC8 is blocked; this only matters to exploit tools, not to flashing" },
	{ MTK_TGT_SCTRL_CERT, "SCTRL_CERT",
	  "a secure-control certificate is configured (meaning uncertain; flashing does not use it)" },
	{ 0, NULL, NULL },
};
