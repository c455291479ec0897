/* SPDX-License-Identifier: MIT */
/* The phone stays plugged in between host sessions that are separate
 * processes (each `mtkflash --port emu:CHIP,state=DIR` run): what it runs is
 * kept in STATE_DIR/power.ini when one ends and taken up by the next.
 *
 * Only what a phone keeps while powered is here: the running stage, the
 * personality, the USB speed, the emergency-download flag, DA2's selected
 * partition, the listen window, what a running xflash DA was told
 * (environment, checksum level) and whether DRAM is up.  Not kept: RAM contents (a DA uploaded with
 * SEND_DA but not yet jumped to, the BROM log), so a JUMP_DA in the next
 * process is refused as if the upload had not happened. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emu_internal.h"
#include "emu_storage.h"

#define POWER_FILE "power.ini"

static const char *const run_names[] = {
	[EMU_RUN_BOOT] = "boot", [EMU_RUN_LISTEN] = "listen", [EMU_RUN_COMMANDS] = "commands",
	[EMU_RUN_DA1] = "hung", [EMU_RUN_DA2] = "da2",	      [EMU_RUN_HUNG] = "hung",
	[EMU_RUN_GONE] = "gone", [EMU_RUN_XDA1] = "xda1",
};

/* The eMMC files as the phone left them (inode, size, modification time).
 * Someone else changing them (a test or a user erasing user.bin) took the
 * eMMC out of the phone, which no running phone survives: the next session
 * starts as just plugged in.  The phone writes them only before it saves
 * this, so its own writes never look like someone else's. */
static void storage_stamp(const struct mtkemu *e, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (int a = 0; !e->memstate && a < EMU_AREA_COUNT; a++) {
		char path[4200];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s.bin", e->state_dir, emu_area_name(a));
		if (stat(path, &st) < 0)
			continue;
		int n = snprintf(out + o, cap - o, "%s%llu:%lld:%lld.%09ld", o ? "," : "", (unsigned long long)st.st_ino,
				 (long long)st.st_size, (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
		if (n < 0 || (size_t)n >= cap - o) {
			out[0] = '\0';
			return;
		}
		o += (size_t)n;
	}
}

/* Best effort: a phone whose state cannot be written looks replugged to
 * the next session, which is safe. */
void emu_power_save(const struct mtkemu *e)
{
	char text[1536], stamp[400];
	storage_stamp(e, stamp, sizeof stamp);
	int n = snprintf(text, sizeof text,
		"# mtkemu: what the phone runs while it stays plugged in; delete = replug\n"
		"chip=%s\nrun=%s\nmode=%s\nhigh_speed=%d\nusbdl=%d\nda_area=%d\nlistening=%d\nlisten_deadline_ms=%llu\n"
		"xda_env=%d\nxda_dram=%d\nxda_os=%u\nxda_chksum=%u\nstorage=%s\n",
		e->prof->name, run_names[e->run], e->mode == EMU_MODE_BROM ? "brom" : "preloader", e->high_speed,
		e->usbdl_flag, e->da_area, e->listening, (unsigned long long)e->listen_deadline_ms, e->xda.env_set,
		e->xda.dram_up, e->xda.system_os, e->xda.chksum_level, stamp);
	if (n > 0 && (size_t)n < sizeof text)
		emu_state_store(e, POWER_FILE, text, (size_t)n);
}

static bool parse_flag(const char *v, bool *out)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return false;
	*out = v[0] == '1';
	return true;
}

static bool parse_run(const char *v, enum emu_run *out)
{
	for (size_t i = 0; i < sizeof run_names / sizeof run_names[0]; i++)
		if (i != EMU_RUN_DA1 && strcmp(v, run_names[i]) == 0) {
			*out = (enum emu_run)i;
			return true;
		}
	return false;
}

static bool parse_num(const char *v, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi)
		return false;
	*out = n;
	return true;
}

static int power_line(struct mtkemu *e, char *line, bool *preloader)
{
	line[strcspn(line, "\r\n")] = '\0';
	if (!*line || *line == '#')
		return 0;
	char *v = strchr(line, '=');
	if (!v)
		return -1;
	*v++ = '\0';
	long long n;
	bool ok = true;
	if (strcmp(line, "chip") == 0)
		ok = strcasecmp(v, e->prof->name) == 0;
	else if (strcmp(line, "run") == 0)
		ok = parse_run(v, &e->run);
	else if (strcmp(line, "mode") == 0)
		ok = (*preloader = strcmp(v, "preloader") == 0) || strcmp(v, "brom") == 0;
	else if (strcmp(line, "high_speed") == 0)
		ok = parse_flag(v, &e->high_speed);
	else if (strcmp(line, "usbdl") == 0)
		ok = parse_flag(v, &e->usbdl_flag);
	else if (strcmp(line, "listening") == 0)
		ok = parse_flag(v, &e->listening);
	else if (strcmp(line, "da_area") == 0 && (ok = parse_num(v, -1, 7, &n)))
		e->da_area = (int)n;
	else if (strcmp(line, "xda_env") == 0)
		ok = parse_flag(v, &e->xda.env_set);
	else if (strcmp(line, "xda_dram") == 0)
		ok = parse_flag(v, &e->xda.dram_up);
	else if (strcmp(line, "xda_os") == 0 && (ok = parse_num(v, 0, UINT32_MAX, &n)))
		e->xda.system_os = (uint32_t)n;
	else if (strcmp(line, "xda_chksum") == 0 && (ok = parse_num(v, 0, 3, &n)))
		e->xda.chksum_level = (uint32_t)n;
	else if (strcmp(line, "listen_deadline_ms") == 0 && (ok = parse_num(v, 0, INT64_MAX, &n)))
		e->listen_deadline_ms = (uint64_t)n;
	else if (ok)
		ok = false;
	return ok ? 0 : -1;
}

int emu_power_load(struct mtkemu *e, char *err, size_t errlen)
{
	char path[4200], line[512];
	FILE *f = emu_state_fopen(e, POWER_FILE, path, sizeof path);
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	bool preloader = false, same_storage = true;
	unsigned lineno = 0;
	int rc = 0;
	char stamp[400];
	storage_stamp(e, stamp, sizeof stamp);
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		if (strncmp(line, "storage=", 8) == 0) /* absent in files of older versions: taken as unchanged */
			same_storage = strncmp(line + 8, stamp, strcspn(line + 8, "\r\n")) == 0 &&
				       strlen(stamp) == strcspn(line + 8, "\r\n");
		else
			rc = power_line(e, line, &preloader);
	}
	fclose(f);
	if (rc < 0) {
		snprintf(err, errlen, "%s:%u: bad line (delete the file to replug the phone)", path, lineno);
		return -1;
	}
	enum emu_mode saved = preloader ? EMU_MODE_PRELOADER : EMU_MODE_BROM;
	/* A forced mode that is not what the phone runs describes another
	 * phone set-up: start as just plugged in. */
	if ((e->mode_forced && saved != e->mode) || !same_storage)
		e->run = EMU_RUN_BOOT;
	if (e->run != EMU_RUN_BOOT) {
		e->mode = saved;
		emu_link_set_high_speed(e, e->high_speed);
	}
	return 0;
}
