/* SPDX-License-Identifier: MIT */
/* The emulated eMMC: four hardware partitions backed by sparse files, an
 * EXT_CSD register that encodes their sizes the way a real part does, and the
 * storage faults (corrupt writes, write protection).  See emu_storage.h for the
 * state directory layout and the erase semantics. */
#include "emu_storage.h"
#include "emu_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "mtkflash/core.h"

static const char *const area_files[EMU_AREA_COUNT] = {"boot1.bin", "boot2.bin", "rpmb.bin", "user.bin"};
static const char *const area_names[EMU_AREA_COUNT] = {"boot1", "boot2", "rpmb", "user"};
static const char *const size_keys[EMU_AREA_COUNT] = {"boot1_size", "boot2_size", "rpmb_size", "user_size"};

struct emu_storage {
	char dir[4096];               /* the state folder, or the memstate's name */
	struct mtkemu_memstate *mem; /* non-NULL: the state is in memory, no fds */
	int fd[EMU_AREA_COUNT];
	struct emu_emmc_geometry geo;
	uint8_t ext_csd[512];
	bool write_protect;
	size_t ncorrupt;
	struct {
		int area;
		uint64_t off, len;
		bool once, spent;
		bool pause; /* stop the process instead of corrupting (emu_emmc_add_pause) */
	} corrupt[EMU_EMMC_MAX_CORRUPT];
	char err[512];
};

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#define SFAIL(s, code, ...) (seterr((s)->err, sizeof((s)->err), __VA_ARGS__), (code))

int emu_area_from_name(const char *name)
{
	for (int i = 0; i < EMU_AREA_COUNT; i++)
		if (name && strcasecmp(name, area_names[i]) == 0)
			return i;
	return -1;
}

const char *emu_area_name(int area)
{
	return area >= 0 && area < EMU_AREA_COUNT ? area_names[area] : "?";
}

int emu_area_from_selector(unsigned sel)
{
	switch (sel) {
	case 1:
		return EMU_AREA_BOOT1;
	case 2:
		return EMU_AREA_BOOT2;
	case 3:
		return EMU_AREA_RPMB;
	case 8:
		return EMU_AREA_USER;
	default:
		return -1;
	}
}

/* CRC7 (x^7 + x^3 + 1) over the first 15 CID bytes, as the card computes it. */
static uint8_t crc7(const uint8_t *p, size_t n)
{
	uint8_t crc = 0;
	for (size_t i = 0; i < n; i++) {
		for (int b = 7; b >= 0; b--) {
			unsigned in = (p[i] >> b) & 1u;
			unsigned top = (crc >> 6) & 1u;
			crc = (uint8_t)((crc << 1) & 0x7F);
			if (in ^ top)
				crc ^= 0x09;
		}
	}
	return crc;
}

/* FNV-1a, only to spread a seed string over the serial-number bits. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

void emu_emmc_make_cid(uint8_t cid[16], const char *seed)
{
	/* MID 0x90 (Hynix) / BGA / OID 0x4A as in da-legacy.md's example, then a
	 * product name that says what this is. */
	static const uint8_t head[9] = {0x90, 0x01, 0x4A, 'E', 'M', 'U', 'M', 'M', 'C'};
	memcpy(cid, head, sizeof(head));
	cid[9] = 0x10; /* PRV 1.0 */
	mtk_put_u32be(cid + 10, fnv1a(seed) | 1u);
	cid[14] = 0x6C; /* MDT: month 6, year 2013 + 12 (the EXT_CSD_REV > 4 year base) */
	cid[15] = (uint8_t)(crc7(cid, 15) << 1 | 1);
}

void emu_emmc_make_board_cid(uint8_t cid[16], const struct emu_profile *prof, const char *seed)
{
	emu_emmc_make_cid(cid, seed);
	emu_board_flash_id(prof, cid);
	cid[15] = (uint8_t)(crc7(cid, 15) << 1 | 1);
}

static int path_in(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

bool emu_emmc_exists(const char *dir)
{
	char p[4200];
	return path_in(p, sizeof(p), dir, "device.ini") == 0 && access(p, F_OK) == 0;
}

static bool device_exists(const char *dir, struct mtkemu_memstate *mem)
{
	return mem ? emu_memstate_has(mem, "device.ini") : emu_emmc_exists(dir);
}

static int write_whole(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	char tmp[4300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		seterr(err, errlen, "%s: %s", tmp, strerror(errno));
		return MTK_E_IO;
	}
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			seterr(err, errlen, "%s: %s", tmp, strerror(errno));
			close(fd);
			return MTK_E_IO;
		}
		done += (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return MTK_E_IO;
	}
	return 0;
}

/* One of the folder's small files, whole, in the folder or in memory. */
static int store_file(const char *dir, struct mtkemu_memstate *mem, const char *name, const void *buf, size_t len,
                      char *err, size_t errlen)
{
	char p[4200];
	if (mem) {
		int rc = emu_memstate_put(mem, name, buf, len);
		if (rc)
			seterr(err, errlen, "%s/%s: %zu bytes do not fit the in-memory state", dir, name, len);
		return rc;
	}
	if (path_in(p, sizeof(p), dir, name) != 0) {
		seterr(err, errlen, "%s: path too long", dir);
		return MTK_E_INVAL;
	}
	return write_whole(p, buf, len, err, errlen);
}

static FILE *open_file(const char *dir, struct mtkemu_memstate *mem, const char *name, char *path, size_t pathlen)
{
	path_in(path, pathlen, dir, name);
	if (mem) {
		FILE *f = emu_memstate_fopen(mem, name);
		if (!f)
			errno = ENOENT;
		return f;
	}
	return fopen(path, "re");
}

static int geometry_check(const struct emu_emmc_geometry *g, char *err, size_t errlen)
{
	if (g->size[EMU_AREA_BOOT1] != g->size[EMU_AREA_BOOT2]) {
		seterr(err, errlen, "boot1 and boot2 must have one size (EXT_CSD has one BOOT_SIZE_MULT)");
		return MTK_E_RANGE;
	}
	for (int a = 0; a < EMU_AREA_USER; a++) {
		uint64_t mult = g->size[a] / EMU_EMMC_MULT_UNIT;
		if (g->size[a] % EMU_EMMC_MULT_UNIT || mult == 0 || mult > 255) {
			seterr(err, errlen, "%s size %llu is not 1..255 x 128 KiB", area_names[a],
			       (unsigned long long)g->size[a]);
			return MTK_E_RANGE;
		}
	}
	uint64_t sec = g->size[EMU_AREA_USER] / EMU_EMMC_BLOCK;
	if (g->size[EMU_AREA_USER] % EMU_EMMC_BLOCK || sec == 0 || sec > UINT32_MAX) {
		seterr(err, errlen,
		       "user area size %llu is not a whole number of 512-byte sectors below 2 TiB",
		       (unsigned long long)g->size[EMU_AREA_USER]);
		return MTK_E_RANGE;
	}
	return 0;
}

static void hex16(char out[33], const uint8_t b[16])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int write_device_ini(const char *dir, struct mtkemu_memstate *mem, const struct emu_emmc_geometry *g,
                            char *err, size_t errlen)
{
	char cid[33], buf[1024];
	hex16(cid, g->cid);
	int n = snprintf(buf, sizeof(buf),
	                 "# mtkemu device state (written by mtkemu provision)\n"
	                 "chip=%s\nboot1_size=%llu\nboot2_size=%llu\nrpmb_size=%llu\nuser_size=%llu\ncid=%"
	                 "s\nimei=%s\n",
	                 g->chip, (unsigned long long)g->size[0], (unsigned long long)g->size[1],
	                 (unsigned long long)g->size[2], (unsigned long long)g->size[3], cid, g->imei);
	return store_file(dir, mem, "device.ini", buf, (size_t)n, err, errlen);
}

static int make_area_file(const char *dir, struct mtkemu_memstate *mem, int a, uint64_t size, char *err,
                          size_t errlen)
{
	char p[4200];
	if (mem) {
		int rc = emu_memstate_make_area(mem, a, size);
		if (rc)
			seterr(err, errlen, "%s/%s: out of memory", dir, area_files[a]);
		return rc;
	}
	if (path_in(p, sizeof(p), dir, area_files[a]) != 0) {
		seterr(err, errlen, "%s: path too long", dir);
		return MTK_E_INVAL;
	}
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		seterr(err, errlen, "%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return MTK_E_IO;
	}
	close(fd);
	return 0;
}

static int create_at(const char *dir, struct mtkemu_memstate *mem, const struct emu_emmc_geometry *g, char *err,
                     size_t errlen)
{
	if (device_exists(dir, mem)) {
		seterr(err, errlen, "%s: already holds a device (device.ini)", dir);
		return MTK_E_INVAL;
	}
	int rc = geometry_check(g, err, errlen);
	for (int a = 0; rc == 0 && a < EMU_AREA_COUNT; a++)
		rc = make_area_file(dir, mem, a, g->size[a], err, errlen);
	if (rc)
		return rc;
	uint8_t ecsd[512];
	if (emu_ext_csd_encode(ecsd, g) != 0) {
		seterr(err, errlen, "%s: sizes cannot be encoded in EXT_CSD", dir);
		return MTK_E_RANGE;
	}
	rc = store_file(dir, mem, "ext_csd.bin", ecsd, sizeof(ecsd), err, errlen);
	/* device.ini last: its presence means "a complete device is here". */
	return rc ? rc : write_device_ini(dir, mem, g, err, errlen);
}

int emu_emmc_create(const char *dir, const struct emu_emmc_geometry *g, char *err, size_t errlen)
{
	return create_at(dir, NULL, g, err, errlen);
}

int emu_emmc_create_mem(struct mtkemu_memstate *m, const struct emu_emmc_geometry *g, char *err, size_t errlen)
{
	return create_at(emu_memstate_name(m), m, g, err, errlen);
}

static int parse_hex16(const char *s, uint8_t out[16])
{
	if (strlen(s) != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int ini_key(struct emu_emmc_geometry *g, const char *k, const char *v)
{
	for (int a = 0; a < EMU_AREA_COUNT; a++) {
		if (strcmp(k, size_keys[a]) == 0) {
			char *end;
			errno = 0;
			unsigned long long x = strtoull(v, &end, 0);
			if (errno || *end || end == v)
				return -1;
			g->size[a] = x;
			return 0;
		}
	}
	if (strcmp(k, "chip") == 0)
		return snprintf(g->chip, sizeof(g->chip), "%s", v) < (int)sizeof(g->chip) ? 0 : -1;
	if (strcmp(k, "imei") == 0)
		return snprintf(g->imei, sizeof(g->imei), "%s", v) < (int)sizeof(g->imei) ? 0 : -1;
	if (strcmp(k, "cid") == 0)
		return parse_hex16(v, g->cid);
	return 0; /* unknown keys: written by a newer version, ignore */
}

static int read_device_ini(const char *dir, struct mtkemu_memstate *mem, struct emu_emmc_geometry *g, char *err,
                           size_t errlen)
{
	char p[4200], line[512];
	FILE *f = open_file(dir, mem, "device.ini", p, sizeof(p));
	if (!f) {
		seterr(err, errlen, "%s: %s", p, strerror(errno));
		return MTK_E_IO;
	}
	memset(g, 0, sizeof(*g));
	unsigned ln = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		ln++;
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		char *eq = strchr(line, '=');
		if (!eq || ini_key(g, line, (*eq = 0, eq + 1)) != 0) {
			seterr(err, errlen, "%s:%u: bad line", p, ln);
			rc = MTK_E_PARSE;
		}
	}
	fclose(f);
	if (rc == 0 && !g->size[EMU_AREA_USER]) {
		seterr(err, errlen, "%s: no user_size", p);
		rc = MTK_E_PARSE;
	}
	return rc ? rc : geometry_check(g, err, errlen);
}

static int open_area(struct emu_storage *s, int a, char *err, size_t errlen)
{
	char p[4200];
	struct stat st;
	path_in(p, sizeof(p), s->dir, area_files[a]);
	uint64_t size = 0;
	if (s->mem) {
		size = emu_memstate_area_size(s->mem, a);
	} else {
		s->fd[a] = open(p, O_RDWR | O_CLOEXEC);
		if (s->fd[a] < 0 || fstat(s->fd[a], &st) != 0) {
			seterr(err, errlen, "%s: %s", p, strerror(errno));
			return MTK_E_IO;
		}
		size = (uint64_t)st.st_size;
	}
	if (size != s->geo.size[a]) {
		seterr(err, errlen, "%s: %llu bytes, device.ini says %llu", p, (unsigned long long)size,
		       (unsigned long long)s->geo.size[a]);
		return MTK_E_PARSE;
	}
	return 0;
}

static int load_ext_csd(struct emu_storage *s, char *err, size_t errlen)
{
	char p[4200];
	path_in(p, sizeof(p), s->dir, "ext_csd.bin");
	ssize_t n;
	if (s->mem) {
		n = emu_memstate_get(s->mem, "ext_csd.bin", s->ext_csd, sizeof(s->ext_csd));
		if (n < 0)
			errno = ENOENT;
	} else {
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? pread(fd, s->ext_csd, sizeof(s->ext_csd), 0) : -1;
		if (fd >= 0)
			close(fd);
	}
	if (n != (ssize_t)sizeof(s->ext_csd)) {
		seterr(err, errlen, "%s: %s", p, n < 0 ? strerror(errno) : "not 512 bytes");
		return n < 0 ? MTK_E_IO : MTK_E_PARSE;
	}
	/* The register must describe the same part as device.ini. */
	uint64_t size[EMU_AREA_COUNT];
	emu_ext_csd_sizes(s->ext_csd, size);
	if (size[EMU_AREA_BOOT1] != s->geo.size[EMU_AREA_BOOT1] || size[EMU_AREA_RPMB] != s->geo.size[EMU_AREA_RPMB] ||
	    size[EMU_AREA_USER] != s->geo.size[EMU_AREA_USER]) {
		seterr(err, errlen, "%s: sizes disagree with device.ini", p);
		return MTK_E_PARSE;
	}
	return 0;
}

static int open_at(const char *dir, struct mtkemu_memstate *mem, struct emu_storage **out, char *err,
                   size_t errlen)
{
	*out = NULL;
	struct emu_storage *s = calloc(1, sizeof(*s));
	if (!s) {
		seterr(err, errlen, "out of memory");
		return MTK_E_NOMEM;
	}
	for (int a = 0; a < EMU_AREA_COUNT; a++)
		s->fd[a] = -1;
	if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir)) {
		free(s);
		seterr(err, errlen, "%s: path too long", dir);
		return MTK_E_INVAL;
	}
	s->mem = mem;
	int rc = read_device_ini(dir, mem, &s->geo, err, errlen);
	for (int a = 0; rc == 0 && a < EMU_AREA_COUNT; a++)
		rc = open_area(s, a, err, errlen);
	if (rc == 0)
		rc = load_ext_csd(s, err, errlen);
	if (rc) {
		emu_emmc_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int emu_emmc_open(const char *dir, struct emu_storage **out, char *err, size_t errlen)
{
	return open_at(dir, NULL, out, err, errlen);
}

int emu_emmc_open_mem(struct mtkemu_memstate *m, struct emu_storage **out, char *err, size_t errlen)
{
	return open_at(emu_memstate_name(m), m, out, err, errlen);
}

void emu_emmc_close(struct emu_storage *s)
{
	if (!s)
		return;
	for (int a = 0; a < EMU_AREA_COUNT; a++)
		if (s->fd[a] >= 0)
			close(s->fd[a]);
	free(s);
}

const struct emu_emmc_geometry *emu_emmc_geometry(const struct emu_storage *s)
{
	return &s->geo;
}
const uint8_t *emu_emmc_ext_csd(const struct emu_storage *s)
{
	return s->ext_csd;
}
const char *emu_emmc_error(const struct emu_storage *s)
{
	return s->err;
}

uint64_t emu_emmc_size(const struct emu_storage *s, int area)
{
	return area >= 0 && area < EMU_AREA_COUNT ? s->geo.size[area] : 0;
}

int emu_emmc_switch(struct emu_storage *s, unsigned index, uint8_t value)
{
	if (index != EMU_EXT_CSD_PARTITION_CONFIG && index != EMU_EXT_CSD_BOOT_WP)
		return SFAIL(s, MTK_E_INVAL, "EXT_CSD[%u] is not writable", index);
	s->ext_csd[index] = value;
	return store_file(s->dir, s->mem, "ext_csd.bin", s->ext_csd, sizeof(s->ext_csd), s->err, sizeof(s->err));
}

static int check_range(struct emu_storage *s, int area, uint64_t off, uint64_t len)
{
	if (area < 0 || area >= EMU_AREA_COUNT)
		return SFAIL(s, MTK_E_NOTFOUND, "no such eMMC area %d", area);
	uint64_t end;
	if (mtk_add_overflows(off, len, &end) || end > s->geo.size[area])
		return SFAIL(s, MTK_E_RANGE, "%s: 0x%llx+0x%llx is beyond the area end 0x%llx",
		             area_names[area], (unsigned long long)off, (unsigned long long)len,
		             (unsigned long long)s->geo.size[area]);
	return 0;
}

int emu_emmc_read(struct emu_storage *s, int area, uint64_t off, void *buf, size_t len)
{
	int rc = check_range(s, area, off, len);
	if (rc)
		return rc;
	uint8_t *p = buf;
	size_t done = 0;
	if (s->mem) {
		emu_memstate_read(s->mem, area, off, p, len);
		return 0;
	}
	while (done < len) {
		ssize_t n = pread(s->fd[area], p + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SFAIL(s, MTK_E_IO, "%s: read at 0x%llx: %s", area_names[area],
			             (unsigned long long)(off + done),
			             n < 0 ? strerror(errno) : "short file");
		done += (size_t)n;
	}
	return 0;
}

static int pwrite_all(struct emu_storage *s, int area, uint64_t off, const uint8_t *p, size_t len)
{
	size_t done = 0;
	if (s->mem)
		return emu_memstate_write(s->mem, area, off, p, len) ? SFAIL(s, MTK_E_IO, "%s: out of memory", area_names[area]) : 0;
	while (done < len) {
		ssize_t n = pwrite(s->fd[area], p + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SFAIL(s, MTK_E_IO, "%s: write at 0x%llx: %s", area_names[area],
			             (unsigned long long)(off + done), strerror(errno));
		done += (size_t)n;
	}
	return 0;
}

/* Bytes of [off, off+len) that fall in a corrupt range are stored inverted. */
static int apply_corruption(struct emu_storage *s, int area, uint64_t off, const uint8_t *p, uint64_t len)
{
	for (size_t i = 0; i < s->ncorrupt; i++) {
		if (s->corrupt[i].area != area || s->corrupt[i].spent || s->corrupt[i].pause)
			continue;
		uint64_t cend = s->corrupt[i].off + s->corrupt[i].len, end = off + len;
		uint64_t lo = off > s->corrupt[i].off ? off : s->corrupt[i].off;
		uint64_t hi = end < cend ? end : cend;
		if (lo < hi && s->corrupt[i].once)
			s->corrupt[i].spent = true;
		uint8_t tmp[4096];
		for (uint64_t at = lo; at < hi;) {
			size_t n = hi - at < sizeof(tmp) ? (size_t)(hi - at) : sizeof(tmp);
			for (size_t k = 0; k < n; k++)
				tmp[k] = (uint8_t)~p[at - off + k];
			int rc = pwrite_all(s, area, at, tmp, n);
			if (rc)
				return rc;
			at += n;
		}
	}
	return 0;
}

/* A test that must signal the host at a known point of a write waits for this
 * stop (waitpid WUNTRACED) instead of racing a progress line against the link:
 * nothing moves until it sends SIGCONT, so where the host stops is exact. */
static void pause_if_due(struct emu_storage *s, int area, uint64_t off, uint64_t len)
{
	for (size_t i = 0; i < s->ncorrupt; i++) {
		if (!s->corrupt[i].pause || s->corrupt[i].spent || s->corrupt[i].area != area)
			continue;
		if (off < s->corrupt[i].off + s->corrupt[i].len && s->corrupt[i].off < off + len) {
			s->corrupt[i].spent = true;
			raise(SIGSTOP);
		}
	}
}

int emu_emmc_write(struct emu_storage *s, int area, uint64_t off, const void *buf, size_t len)
{
	int rc = check_range(s, area, off, len);
	if (rc)
		return rc;
	if (s->write_protect)
		return SFAIL(s, MTK_E_SECURITY, "%s is write-protected", area_names[area]);
	pause_if_due(s, area, off, len);
	rc = pwrite_all(s, area, off, buf, len);
	return rc ? rc : apply_corruption(s, area, off, buf, len);
}

static int zero_fill(struct emu_storage *s, int area, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[65536];
	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		int rc = pwrite_all(s, area, off, zeros, n);
		if (rc)
			return rc;
		off += n;
		len -= n;
	}
	return 0;
}

int emu_emmc_erase(struct emu_storage *s, int area, uint64_t off, uint64_t len)
{
	int rc = check_range(s, area, off, len);
	if (rc)
		return rc;
	if (s->write_protect)
		return SFAIL(s, MTK_E_SECURITY, "%s is write-protected", area_names[area]);
	if (len == 0)
		return 0;
	if (s->mem)
		return emu_memstate_erase(s->mem, area, off, len) ? SFAIL(s, MTK_E_IO, "%s: out of memory", area_names[area]) : 0;
	if (fallocate(s->fd[area], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	return zero_fill(s, area, off, len); /* file system without hole punching */
}

static int add_corrupt(struct emu_storage *s, int area, uint64_t off, uint64_t len, bool once, bool pause)
{
	uint64_t end;
	if (area < 0 || area >= EMU_AREA_COUNT || s->ncorrupt == EMU_EMMC_MAX_CORRUPT ||
	    mtk_add_overflows(off, len, &end))
		return SFAIL(s, MTK_E_INVAL, "corrupt-write range %s:0x%llx:0x%llx not usable",
		             emu_area_name(area), (unsigned long long)off, (unsigned long long)len);
	s->corrupt[s->ncorrupt].area = area;
	s->corrupt[s->ncorrupt].off = off;
	s->corrupt[s->ncorrupt].len = len;
	s->corrupt[s->ncorrupt].once = once;
	s->corrupt[s->ncorrupt].spent = false;
	s->corrupt[s->ncorrupt].pause = pause;
	s->ncorrupt++;
	return 0;
}

int emu_emmc_add_corrupt(struct emu_storage *s, int area, uint64_t off, uint64_t len)
{
	return add_corrupt(s, area, off, len, false, false);
}

int emu_emmc_add_corrupt_once(struct emu_storage *s, int area, uint64_t off, uint64_t len)
{
	return add_corrupt(s, area, off, len, true, false);
}

int emu_emmc_add_pause(struct emu_storage *s, int area, uint64_t off, uint64_t len)
{
	return add_corrupt(s, area, off, len, true, true);
}

void emu_emmc_set_write_protect(struct emu_storage *s, bool on)
{
	s->write_protect = on;
}

bool emu_emmc_write_protected(const struct emu_storage *s)
{
	return s->write_protect;
}

int emu_emmc_boot_area(const struct emu_storage *s)
{
	return EMU_BOOT_ENABLE(s->ext_csd[EMU_EXT_CSD_PARTITION_CONFIG]) == 2
	               ? EMU_AREA_BOOT2
	               : EMU_AREA_BOOT1;
}

bool emu_emmc_has_preloader(struct emu_storage *s, int area)
{
	uint8_t hdr[0x220];
	if (emu_emmc_read(s, area, 0, hdr, sizeof(hdr)) != 0)
		return false;
	return memcmp(hdr, "EMMC_BOOT", 9) == 0 && hdr[9] == 0 && mtk_get_u32le(hdr + 0x0C) == 1 &&
	       memcmp(hdr + 0x200, "BRLYT", 5) == 0 && mtk_get_u32le(hdr + 0x214) == 0x42424242;
}

/* The device's storage, created blank (a factory-fresh eMMC, all zero, no
 * preloader: the phone is a brick that only talks BROM) when the state
 * directory was never provisioned. */
int emu_storage_open(struct mtkemu *e, char *err, size_t errlen)
{
	if (e->storage)
		return 0;
	if (!emu_state_has_device(e)) {
		struct emu_emmc_geometry g = {0};
		emu_geometry_default(&g, e->prof, 0);
		emu_emmc_make_board_cid(g.cid, e->prof, e->state_dir);
		int rc = create_at(e->state_dir, e->memstate, &g, err, errlen);
		if (rc)
			return rc;
	}
	struct emu_storage *s;
	int rc = open_at(e->state_dir, e->memstate, &s, err, errlen);
	if (rc)
		return rc;
	if (strcasecmp(s->geo.chip, e->prof->name) != 0) {
		seterr(err, errlen, "%s holds a %s, not a %s", e->state_dir, s->geo.chip, e->prof->name);
		emu_emmc_close(s);
		return MTK_E_INVAL;
	}
	const struct emu_fault_corrupt *list;
	size_t n = emu_fault_corrupt_writes(e, &list);
	for (size_t i = 0; i < n && rc == 0; i++) {
		int area = emu_area_from_name(list[i].region);
		rc = list[i].pause  ? emu_emmc_add_pause(s, area, list[i].offset, list[i].len)
		     : list[i].once ? emu_emmc_add_corrupt_once(s, area, list[i].offset, list[i].len)
				    : emu_emmc_add_corrupt(s, area, list[i].offset, list[i].len);
		if (rc)
			seterr(err, errlen, "%s", s->err);
	}
	if (rc) {
		emu_emmc_close(s);
		return rc;
	}
	emu_emmc_set_write_protect(s, emu_fault_write_protect(e));
	e->storage = s;
	return 0;
}

bool emu_state_has_device(const struct mtkemu *e)
{
	return device_exists(e->state_dir, e->memstate);
}

void emu_storage_close(struct emu_storage *s)
{
	emu_emmc_close(s);
}

void emu_geometry_default(struct emu_emmc_geometry *g, const struct emu_profile *prof, uint64_t user_size)
{
	g->size[EMU_AREA_BOOT1] = g->size[EMU_AREA_BOOT2] = 4u << 20;
	g->size[EMU_AREA_RPMB] = 4u << 20;
	g->size[EMU_AREA_USER] = user_size ? user_size : prof->user_size;
	snprintf(g->chip, sizeof(g->chip), "%s", prof->name);
}
