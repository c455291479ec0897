/* SPDX-License-Identifier: MIT */
/* Paths of the backup store and the service passphrase; reading a
 * passphrase from a file descriptor or, without echo, from the terminal. */
#include "cli_verify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "mtkflash/service.h"

#define TTY_POLL_MS 200

/* $XDG_<var> (when absolute, as XDG requires) or ~/<fallback>, then /mtkflash/<leaf>. */
static const char *xdg_path(const char *var, const char *fallback, const char *leaf, char *out, size_t cap)
{
	const char *xdg = getenv(var);
	const char *home = getenv("HOME");
	int n;
	if (xdg && xdg[0] == '/')
		n = snprintf(out, cap, "%s/mtkflash/%s", xdg, leaf);
	else if (home && *home)
		n = snprintf(out, cap, "%s/%s/mtkflash/%s", home, fallback, leaf);
	else
		return NULL;
	return n < 0 || (size_t)n >= cap ? NULL : out;
}

const char *cli_backup_root(char *out, size_t cap)
{
	return xdg_path("XDG_DATA_HOME", ".local/share", "backups", out, cap);
}

const char *cli_service_path(char *out, size_t cap)
{
	return xdg_path("XDG_CONFIG_HOME", ".config", "service.pass", out, cap);
}

/* Byte by byte, so that what follows the newline stays in the fd. */
static int read_line_fd(struct cli *cli, int fd, bool watch_stop, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	for (;;) {
		if (watch_stop) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (cli_stop_signal)
				return mtk_fail(cli->ctx, MTK_E_INTERRUPTED, "interrupted while reading the passphrase");
			if (poll(&p, 1, TTY_POLL_MS) <= 0)
				continue;
		}
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return mtk_fail(cli->ctx, MTK_E_IO, "reading the passphrase: %s", strerror(errno));
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= cap)
			return mtk_fail(cli->ctx, MTK_E_INVAL, "the passphrase is longer than %zu bytes", cap - 2);
		buf[n++] = c;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 0;
}

static int read_tty(struct cli *cli, const char *prompt, char *buf, size_t cap, size_t *len)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios old, quiet;
	if (fd < 0 || tcgetattr(fd, &old) < 0) {
		if (fd >= 0)
			close(fd);
		return mtk_fail(cli->ctx, MTK_E_INVAL, "no terminal to ask for the passphrase on: give it with "
							"--passphrase-fd N");
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		close(fd);
		return mtk_fail(cli->ctx, MTK_E_IO, "cannot turn off the terminal's echo: %s", strerror(errno));
	}
	int rc = read_line_fd(cli, fd, true, buf, cap, len);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		rc = rc < 0 ? rc : 0; /* the newline is cosmetic */
	close(fd);
	return rc;
}

int cli_read_passphrase(struct cli *cli, int fd, const char *prompt, char *buf, size_t cap, size_t *len)
{
	return fd >= 0 ? read_line_fd(cli, fd, false, buf, cap, len) : read_tty(cli, prompt, buf, cap, len);
}

int cli_service_unlock(struct cli *cli, int passphrase_fd)
{
	char path[4096];
	char pass[MTK_SERVICE_PASS_MAX + 2];
	size_t len = 0;
	if (!cli_service_path(path, sizeof path))
		return mtk_fail(cli->ctx, MTK_E_DENIED, "service mode is locked: neither XDG_CONFIG_HOME nor HOME is "
							"set, so there is no service passphrase");
	int rc = mtk_service_is_set(cli->ctx, path);
	if (rc == 0)
		return mtk_service_check(cli->ctx, path, "", 0); /* says how to set one */
	if (rc > 0)
		rc = cli_read_passphrase(cli, passphrase_fd, "Service passphrase: ", pass, sizeof pass, &len);
	if (rc >= 0)
		rc = mtk_service_check(cli->ctx, path, pass, len);
	OPENSSL_cleanse(pass, sizeof pass);
	return rc;
}
