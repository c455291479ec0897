/* SPDX-License-Identifier: MIT */
/* `mtkemu boot-check --state DIR [--json]`: would this phone boot now, and
 * why not.  Reads the state folder only (no lock: a running emulator may
 * hold it), so tests can ask between flashes.
 *
 * Exit status: 0 it boots (preloader mode), 1 it does not (BROM mode),
 * 2 bad usage or no readable device in DIR. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "emu_internal.h"
#include "emu_storage.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mtkemu boot-check --state DIR [--json]\n"
		   "  says whether the phone in DIR would boot (preloader mode) or stay in BROM\n"
		   "  mode, which boot partition its BootROM reads and what failed\n");
}

/* The why-texts are the emulator's own ASCII; quotes and backslashes are
 * all JSON needs escaped in them. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar((unsigned char)*s >= 0x20 ? *s : '?');
	}
	putchar('"');
}

static void print_verdict(const struct emu_profile *prof, const struct emu_boot_verdict *v, bool json)
{
	const char *mode = v->boots ? "preloader" : "brom";
	const char *policy = emu_boot_select_name(prof->boot_select);
	if (!json) {
		printf("chip: %s\nboots: %s\nmode: %s\nboot partition: %s (policy %s, BOOT_PARTITION_ENABLE %u)\n",
		       prof->name, v->boots ? "yes" : "no", mode, emu_area_name(v->boot_area), policy, v->enable);
		if (!v->boots)
			printf("failed: %s\n", v->failed);
		printf("why: %s\n", v->why);
		return;
	}
	printf("{\"chip\": \"%s\", \"boots\": %s, \"mode\": \"%s\", \"boot_partition\": \"%s\", \"policy\": \"%s\", "
	       "\"boot_partition_enable\": %u, \"failed\": ",
	       prof->name, v->boots ? "true" : "false", mode, emu_area_name(v->boot_area), policy, v->enable);
	v->boots ? printf("null") : json_str(v->failed);
	printf(", \"why\": ");
	json_str(v->why);
	printf("}\n");
}

static int check_dir(const char *dir, bool json)
{
	char err[512];
	struct emu_storage *s;
	if (!emu_emmc_exists(dir)) {
		fprintf(stderr, "mtkemu boot-check: %s holds no device (no device.ini): a blank eMMC boots nothing\n",
			dir);
		return 2;
	}
	if (emu_emmc_open(dir, &s, err, sizeof err) != 0) {
		fprintf(stderr, "mtkemu boot-check: %s\n", err);
		return 2;
	}
	const struct emu_profile *prof = emu_profile_find(emu_emmc_geometry(s)->chip);
	if (!prof) {
		fprintf(stderr, "mtkemu boot-check: %s/device.ini: unknown chip '%s'\n", dir,
			emu_emmc_geometry(s)->chip);
		emu_emmc_close(s);
		return 2;
	}
	struct emu_boot_verdict v;
	emu_boot_check(prof, s, &v);
	emu_emmc_close(s);
	print_verdict(prof, &v, json);
	return v.boots ? 0 : 1;
}

int emu_boot_check_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	bool json = false;
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
		if (c == 's')
			dir = optarg;
		else if (c == 'j')
			json = true;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!dir || optind < argc) {
		usage(stderr);
		return 2;
	}
	return check_dir(dir, json);
}
