/* SPDX-License-Identifier: MIT */
/* Scanning /proc/PID/fd for a device node that another program holds. */
#include "transport/holders.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool fd_matches(const char *link, const char *devpath, dev_t rdev)
{
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n > 0 && devpath) {
		target[n] = '\0';
		if (strcmp(target, devpath) == 0)
			return true;
	}
	struct stat st;
	return rdev != 0 && stat(link, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == rdev;
}

static bool pid_holds(const char *piddir, const char *devpath, dev_t rdev)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s/fd", piddir) >= (int)sizeof dir)
		return false;
	DIR *fds = opendir(dir);
	if (!fds)
		return false;
	bool found = false;
	for (struct dirent *fe; !found && (fe = readdir(fds));) {
		char link[PATH_MAX];
		if (fe->d_name[0] != '.' && snprintf(link, sizeof link, "%s/%s", dir, fe->d_name) < (int)sizeof link)
			found = fd_matches(link, devpath, rdev);
	}
	closedir(fds);
	return found;
}

/* comm holds the name with a newline; a process that exits meanwhile leaves "". */
static void read_comm(const char *piddir, char *comm, size_t cap)
{
	char path[PATH_MAX];
	comm[0] = '\0';
	if (snprintf(path, sizeof path, "%s/comm", piddir) >= (int)sizeof path)
		return;
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, (int)cap, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

long mtk_find_holder(const char *procroot, const char *devpath, dev_t rdev, long self, char *comm, size_t cap)
{
	DIR *proc = opendir(procroot);
	if (!proc)
		return 0;
	long holder = 0;
	char piddir[PATH_MAX];
	for (struct dirent *de; !holder && (de = readdir(proc));) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		if (snprintf(piddir, sizeof piddir, "%s/%s", procroot, de->d_name) < (int)sizeof piddir &&
		    pid_holds(piddir, devpath, rdev))
			holder = pid;
	}
	closedir(proc);
	if (holder && comm && cap)
		read_comm(piddir, comm, cap);
	return holder;
}
