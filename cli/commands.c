/* SPDX-License-Identifier: MIT */
/* The command table.  Each command lives in its own cli/cmd_NAME.c. */
#include "commands.h"

const struct cli_command cli_commands[] = {
	{ "detect", "", "identify the device (BROM/preloader/DA facts)", cmd_detect },
	{ "keygen", "--out PREFIX", "create a key pair for signing packages", cmd_keygen },
	{ "manifest", "create|verify DIR", "write or check a signed SHA256SUMS", cmd_manifest },
	{ "da-info", "FILE", "list the chip entries of a Download Agent file", cmd_da_info },
	{ "printgpt", "", "the device's partition table (through the DA)", cmd_printgpt },
	{ "read", "PART FILE | --region R ...", "read a partition or an eMMC byte range into FILE", cmd_read },
	{ "write", "PART FILE", "write an image into one partition", cmd_write },
	{ "erase", "PART", "erase one partition", cmd_erase },
	{ "readback", "DIR", "back up every partition plus a scatter file", cmd_readback },
	{ "reboot", "[--mode reboot|poweroff]", "end the running DA (FINISH); the phone restarts", cmd_reboot },
	{ "plan", "SCATTER [--scene S] [--mode M] [--only P,Q] [--skip P] [--override F]",
	  "what flash would do, with the risk score, without writing", cmd_plan },
	{ "flash", "SCATTER [--scene S] [--mode M] [--yes] [--audit FILE]",
	  "flash a package: plan, risk, backup, verified writes, signed audit log", cmd_flash },
	{ "batch", "--package SCATTER [--ports LIST] [--max N] [--count N]",
	  "flash many phones at once, each as it arrives, each verified", cmd_batch },
	{ "recover", "[--finish|--rollback] [--yes]", "finish or roll back an interrupted flash (its journal)",
	  cmd_recover },
	{ "backup", "create|list|verify ID|restore ID", "the store of protected partitions (NVRAM, IMEI)",
	  cmd_backup },
	{ "service", "set-passphrase|check", "the passphrase that unlocks service mode", cmd_service },
	{ "inspect", "SCATTER|FILE", "check a firmware package or identify a file offline", cmd_inspect },
	{ "log", "verify|show FILE", "check or print an audit log", cmd_log },
	{ "doctor", "", "USB and port diagnostics, each with its fix", cmd_doctor },
	{ "explain", "CODE|NAME|LOG-LINE", "what a status code means, its causes and its fix", cmd_explain },
	{ NULL, NULL, NULL, NULL },
};
