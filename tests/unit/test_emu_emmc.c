/* SPDX-License-Identifier: MIT */
/* The emulator's eMMC model: sparse backing, bounds, erase, faults, EXT_CSD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/bytes.h"
#include "emu_internal.h"
#include "emu_storage.h"
#include "mtkflash/core.h"
#include "mtkflash/storage.h"
#include "testutil.h"

#define GIB (1024ull * 1024 * 1024)
#define MIB (1024ull * 1024)

struct fx {
	char dir[64];
	struct emu_storage *s;
};

static void geo16(struct emu_emmc_geometry *g)
{
	memset(g, 0, sizeof(*g));
	g->size[EMU_AREA_BOOT1] = g->size[EMU_AREA_BOOT2] = 4 * MIB;
	g->size[EMU_AREA_RPMB] = 1 * MIB;
	g->size[EMU_AREA_USER] = 16 * GIB;
	snprintf(g->chip, sizeof(g->chip), "mt6737");
	snprintf(g->imei, sizeof(g->imei), "352099001761481");
	emu_emmc_make_cid(g->cid, g->imei);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	test_mkdtemp(f->dir, sizeof(f->dir), "test_emu_emmc");
	struct emu_emmc_geometry g;
	geo16(&g);
	char err[256];
	assert_int_equal(emu_emmc_create(f->dir, &g, err, sizeof(err)), 0);
	assert_int_equal(emu_emmc_open(f->dir, &f->s, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	emu_emmc_close(f->s);
	test_rmtree(f->dir);
	free(f);
	return 0;
}

static uint64_t allocated(const char *dir, const char *name)
{
	char p[128];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(stat(p, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static void test_sparse_16g(void **state)
{
	struct fx *f = *state;
	char p[128];
	struct stat st;
	snprintf(p, sizeof(p), "%s/user.bin", f->dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal((uint64_t)st.st_size, 16 * GIB);
	assert_true(allocated(f->dir, "user.bin") < MIB);
	/* a write at the very end costs one block, not 16 GiB */
	uint8_t b[512];
	memset(b, 0xA7, sizeof(b));
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, 16 * GIB - 512, b, 512), 0);
	assert_true(allocated(f->dir, "user.bin") < MIB);
	uint8_t r[512];
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 16 * GIB - 512, r, 512), 0);
	assert_memory_equal(r, b, 512);
	/* never-written space reads as zero */
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 8 * GIB, r, 512), 0);
	for (int i = 0; i < 512; i++)
		assert_int_equal(r[i], 0);
}

static void test_bounds(void **state)
{
	struct fx *f = *state;
	uint8_t b[1024] = {0};
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_BOOT1, 4 * MIB - 512, b, 512), 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_BOOT1, 4 * MIB - 512, b, 1024), MTK_E_RANGE);
	assert_non_null(strstr(emu_emmc_error(f->s), "boot1"));
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_RPMB, 1 * MIB, b, 1), MTK_E_RANGE);
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, UINT64_MAX - 10, b, 512), MTK_E_RANGE);
	assert_int_equal(emu_emmc_erase(f->s, EMU_AREA_USER, 16 * GIB, 1), MTK_E_RANGE);
	assert_int_equal(emu_emmc_read(f->s, 7, 0, b, 1), MTK_E_NOTFOUND);
	assert_int_equal(emu_emmc_read(f->s, -1, 0, b, 1), MTK_E_NOTFOUND);
	assert_int_equal(emu_emmc_size(f->s, EMU_AREA_RPMB), 1 * MIB);
	/* DA selectors: 1 boot1, 2 boot2, 3 rpmb, 8 user; GP areas do not exist */
	assert_int_equal(emu_area_from_selector(1), EMU_AREA_BOOT1);
	assert_int_equal(emu_area_from_selector(2), EMU_AREA_BOOT2);
	assert_int_equal(emu_area_from_selector(3), EMU_AREA_RPMB);
	assert_int_equal(emu_area_from_selector(8), EMU_AREA_USER);
	assert_int_equal(emu_area_from_selector(4), -1);
	assert_int_equal(emu_area_from_selector(9), -1);
	assert_int_equal(emu_area_from_name("USER"), EMU_AREA_USER);
	assert_int_equal(emu_area_from_name("gp1"), -1);
}

static void test_erase_reads_zero(void **state)
{
	struct fx *f = *state;
	size_t n = 3 * MIB;
	uint8_t *b = malloc(n), *r = malloc(n);
	memset(b, 0x5C, n);
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, 64 * MIB, b, n), 0);
	uint64_t before = allocated(f->dir, "user.bin");
	assert_int_equal(emu_emmc_erase(f->s, EMU_AREA_USER, 64 * MIB + MIB, MIB), 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 64 * MIB, r, n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(r[i], i >= MIB && i < 2 * MIB ? 0x00 : 0x5C);
	assert_true(allocated(f->dir, "user.bin") < before); /* hole punched */
	/* an unaligned erase is exact too */
	assert_int_equal(emu_emmc_erase(f->s, EMU_AREA_USER, 64 * MIB + 3, 5), 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 64 * MIB, r, 16), 0);
	static const uint8_t want[16] = {0x5C, 0x5C, 0x5C, 0,    0,    0,    0,    0,
	                                 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C, 0x5C};
	assert_memory_equal(r, want, 16);
	free(b);
	free(r);
}

static void test_corrupt_write(void **state)
{
	struct fx *f = *state;
	assert_int_equal(emu_emmc_add_corrupt(f->s, EMU_AREA_USER, 0x1100, 0x80), 0);
	assert_int_equal(emu_emmc_add_corrupt(f->s, EMU_AREA_BOOT2, 0, 4), 0);
	assert_int_equal(emu_emmc_add_corrupt(f->s, 9, 0, 4), MTK_E_INVAL);
	uint8_t b[0x2000], r[0x2000];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 7);
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, 0x1000, b, sizeof(b)), 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 0x1000, r, sizeof(r)), 0);
	for (size_t i = 0; i < sizeof(b); i++) {
		bool hit = i >= 0x100 && i < 0x180;
		assert_int_equal(r[i], hit ? (uint8_t)~b[i] : b[i]);
	}
	/* other areas and ranges are untouched */
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_BOOT1, 0, b, 16), 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_BOOT1, 0, r, 16), 0);
	assert_memory_equal(r, b, 16);
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_BOOT2, 2, b, 4), 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_BOOT2, 2, r, 4), 0);
	assert_int_equal(r[0], (uint8_t)~b[0]);
	assert_int_equal(r[1], (uint8_t)~b[1]);
	assert_int_equal(r[2], b[2]);
}

/* A transient fault: the first write over the range is damaged, a rewrite is not;
 * a write elsewhere does not use it up. */
static void test_corrupt_write_once(void **state)
{
	struct fx *f = *state;
	assert_int_equal(emu_emmc_add_corrupt_once(f->s, EMU_AREA_USER, 0x2000, 2), 0);
	uint8_t b[4] = {1, 2, 3, 4}, r[4];
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, 0x1000, b, 4), 0);
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, 0x2000, b, 4), 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 0x2000, r, 4), 0);
	assert_int_equal(r[0], (uint8_t)~1);
	assert_int_equal(r[1], (uint8_t)~2);
	assert_int_equal(r[2], 3);
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, 0x2000, b, 4), 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 0x2000, r, 4), 0);
	assert_memory_equal(r, b, 4);
}

/* pause-at-write: the first write over the range stops the process before it
 * is stored (a child here, so the test can watch it stop), and SIGCONT goes
 * on; the range is not corrupted and does not stop a second time. */
static void test_pause_write(void **state)
{
	struct fx *f = *state;
	assert_int_equal(emu_emmc_add_pause(f->s, EMU_AREA_USER, 0x3000, 0x1000), 0);
	uint8_t b[4] = {1, 2, 3, 4}, r[4];
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bool ok = emu_emmc_write(f->s, EMU_AREA_USER, 0x1000, b, 4) == 0 &&
			  emu_emmc_write(f->s, EMU_AREA_USER, 0x2ffe, b, 4) == 0 &&
			  emu_emmc_write(f->s, EMU_AREA_USER, 0x3800, b, 4) == 0;
		_exit(ok ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
	assert_true(WIFSTOPPED(st));
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 0x1000, r, 4), 0);
	assert_memory_equal(r, b, 4);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 0x2ffe, r, 4), 0);
	assert_int_equal(r[0], 0); /* held before it is stored */
	assert_int_equal(kill(pid, SIGCONT), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 0x2ffe, r, 4), 0);
	assert_memory_equal(r, b, 4);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 0x3800, r, 4), 0);
	assert_memory_equal(r, b, 4);
}

static void test_write_protect(void **state)
{
	struct fx *f = *state;
	uint8_t b[512] = {1}, r[512];
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, 0, b, 512), 0);
	emu_emmc_set_write_protect(f->s, true);
	uint8_t z[512] = {0};
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, 0, z, 512), MTK_E_SECURITY);
	assert_int_equal(emu_emmc_erase(f->s, EMU_AREA_USER, 0, 512), MTK_E_SECURITY);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_USER, 0, r, 512), 0);
	assert_memory_equal(r, b, 512);
	emu_emmc_set_write_protect(f->s, false);
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_USER, 0, z, 512), 0);
}

static void test_ext_csd(void **state)
{
	struct fx *f = *state;
	const uint8_t *e = emu_emmc_ext_csd(f->s);
	assert_int_equal(mtk_get_u32le(e + 212), 16 * GIB / 512); /* SEC_COUNT */
	assert_int_equal(e[226], 32);                             /* BOOT_SIZE_MULT: 4 MiB */
	assert_int_equal(e[168], 8);                              /* RPMB_SIZE_MULT: 1 MiB */
	assert_int_equal(e[179], 0x48);                           /* boot1 + BOOT_ACK, access user */
	assert_int_equal(e[181], 0);                              /* erased memory reads 0 */
	struct mtk_extcsd x;
	assert_int_equal(mtk_extcsd_decode(NULL, e, 512, &x), 0);
	assert_int_equal(x.user_size, 16 * GIB);
	assert_int_equal(x.boot_size, 4 * MIB);
	assert_int_equal(x.rpmb_size, 1 * MIB);
	/* the file holds the same 512 bytes */
	char p[128];
	snprintf(p, sizeof(p), "%s/ext_csd.bin", f->dir);
	FILE *fp = fopen(p, "rb");
	uint8_t disk[600];
	assert_int_equal(fread(disk, 1, sizeof(disk), fp), 512);
	fclose(fp);
	assert_memory_equal(disk, e, 512);
	/* PARTITION_CONFIG is writable and persists; sizes are not writable */
	assert_int_equal(emu_emmc_switch(f->s, 179, 0x50), 0);
	assert_int_equal(emu_emmc_switch(f->s, 212, 1), MTK_E_INVAL);
	assert_int_equal(emu_emmc_boot_area(f->s), EMU_AREA_BOOT2);
	emu_emmc_close(f->s);
	char err[256];
	assert_int_equal(emu_emmc_open(f->dir, &f->s, err, sizeof(err)), 0);
	assert_int_equal(emu_emmc_ext_csd(f->s)[179], 0x50);
	assert_int_equal(emu_emmc_boot_area(f->s), EMU_AREA_BOOT2);
}

static void test_persist_and_identity(void **state)
{
	struct fx *f = *state;
	uint8_t b[4096], r[4096];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i ^ 0x3C);
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_BOOT2, 0x10000, b, sizeof(b)), 0);
	emu_emmc_close(f->s);
	char err[256];
	assert_int_equal(emu_emmc_open(f->dir, &f->s, err, sizeof(err)), 0);
	assert_int_equal(emu_emmc_read(f->s, EMU_AREA_BOOT2, 0x10000, r, sizeof(r)), 0);
	assert_memory_equal(r, b, sizeof(b));
	const struct emu_emmc_geometry *g = emu_emmc_geometry(f->s);
	assert_string_equal(g->chip, "mt6737");
	assert_string_equal(g->imei, "352099001761481");
	struct emu_emmc_geometry want;
	geo16(&want);
	assert_memory_equal(g->cid, want.cid, 16);
	assert_int_equal(g->cid[0], 0x90);
	assert_int_equal(g->cid[15] & 1, 1); /* CRC7 field ends in the stop bit */
	/* a second device in the same directory is refused */
	assert_int_not_equal(emu_emmc_create(f->dir, &want, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "device.ini"));
}

static void test_open_rejects_mismatch(void **state)
{
	struct fx *f = *state;
	char p[128], err[256];
	snprintf(p, sizeof(p), "%s/rpmb.bin", f->dir);
	assert_int_equal(truncate(p, 12345), 0);
	struct emu_storage *s2 = NULL;
	assert_int_equal(emu_emmc_open(f->dir, &s2, err, sizeof(err)), MTK_E_PARSE);
	assert_null(s2);
	assert_non_null(strstr(err, "rpmb.bin"));
	/* geometry the register cannot encode */
	struct emu_emmc_geometry g;
	geo16(&g);
	g.size[EMU_AREA_BOOT2] = 2 * MIB;
	char d2[96];
	snprintf(d2, sizeof(d2), "%s/sub", f->dir);
	mkdir(d2, 0755);
	assert_int_equal(emu_emmc_create(d2, &g, err, sizeof(err)), MTK_E_RANGE);
	g.size[EMU_AREA_BOOT2] = g.size[EMU_AREA_BOOT1];
	g.size[EMU_AREA_USER] = 1000;
	assert_int_equal(emu_emmc_create(d2, &g, err, sizeof(err)), MTK_E_RANGE);
}

static void test_preloader_detection(void **state)
{
	struct fx *f = *state;
	assert_false(emu_emmc_has_preloader(f->s, EMU_AREA_BOOT1));
	uint8_t h[0x220];
	memset(h, 0xFF, sizeof(h));
	memcpy(h, "EMMC_BOOT\0\0\0", 12);
	mtk_put_u32le(h + 0x0C, 1);
	mtk_put_u32le(h + 0x10, 0x200);
	memcpy(h + 0x200, "BRLYT\0\0\0", 8);
	mtk_put_u32le(h + 0x214, 0x42424242);
	assert_int_equal(emu_emmc_write(f->s, EMU_AREA_BOOT1, 0, h, sizeof(h)), 0);
	assert_true(emu_emmc_has_preloader(f->s, EMU_AREA_BOOT1));
	assert_false(emu_emmc_has_preloader(f->s, EMU_AREA_BOOT2));
	assert_int_equal(emu_emmc_erase(f->s, EMU_AREA_BOOT1, 0, 4 * MIB), 0);
	assert_false(emu_emmc_has_preloader(f->s, EMU_AREA_BOOT1));
}

/* The device object's storage: created blank on first use, with the
 * corrupt-write faults from the fault spec applied. */
static void test_device_storage_and_faults(void **state)
{
	(void)state;
	char dir[64];
	test_mkdtemp(dir, sizeof(dir), "test_emu_emmc");
	struct mtkemu_options o = {
	        .chip = "mt6580", .state_dir = dir, .faults = "corrupt-write=user:0x200:16"};
	struct mtkemu *e;
	char err[256];
	assert_int_equal(mtkemu_new(&o, &e, err, sizeof(err)), 0);
	assert_int_equal(emu_boot_decide_mode(e), EMU_MODE_BROM); /* nothing provisioned */
	assert_int_equal(emu_storage_open(e, err, sizeof(err)), 0);
	assert_true(emu_emmc_exists(dir));
	assert_int_equal(emu_emmc_size(e->storage, EMU_AREA_USER), e->prof->user_size);
	uint8_t b[1024], r[1024];
	memset(b, 0x11, sizeof(b));
	assert_int_equal(emu_emmc_write(e->storage, EMU_AREA_USER, 0, b, sizeof(b)), 0);
	assert_int_equal(emu_emmc_read(e->storage, EMU_AREA_USER, 0, r, sizeof(r)), 0);
	for (size_t i = 0; i < sizeof(r); i++)
		assert_int_equal(r[i], i >= 0x200 && i < 0x210 ? 0xEE : 0x11);
	assert_int_equal(emu_boot_decide_mode(e), EMU_MODE_BROM); /* blank boot1: a brick */
	mtkemu_free(e);
	/* the same state directory served as another chip is refused */
	o.chip = "mt6737";
	o.faults = NULL;
	if (mtkemu_new(&o, &e, err, sizeof(err)) == 0) { /* device.c may refuse it first (identity.ini) */
		assert_int_equal(emu_storage_open(e, err, sizeof(err)), MTK_E_INVAL);
		assert_non_null(strstr(err, "holds a mt6580, not a mt6737"));
		assert_int_equal(emu_boot_decide_mode(e), EMU_MODE_BROM);
		mtkemu_free(e);
	}
	/* without the device's identity file, the storage check catches it */
	char idf[96];
	snprintf(idf, sizeof(idf), "%s/identity.ini", dir);
	unlink(idf);
	assert_int_equal(mtkemu_new(&o, &e, err, sizeof(err)), 0);
	assert_int_equal(emu_storage_open(e, err, sizeof(err)), MTK_E_INVAL);
	assert_non_null(strstr(err, "holds a mt6580, not a mt6737"));
	assert_int_equal(emu_boot_decide_mode(e), EMU_MODE_BROM);
	mtkemu_free(e);
	test_rmtree(dir);
}

/* The in-memory state: same data semantics as the files, and a reset puts
 * back exactly the snapshot, touching only the pages written since. */
static void test_memstate_snapshot_reset(void **state)
{
	(void)state;
	struct mtkemu_memstate *m = mtkemu_memstate_new("unit-mem");
	struct emu_emmc_geometry g;
	struct emu_storage *s;
	char err[256];
	uint8_t buf[8192], want[8192];
	geo16(&g);
	assert_non_null(m);
	assert_int_equal(emu_emmc_create_mem(m, &g, err, sizeof err), 0);
	assert_int_equal(emu_emmc_open_mem(m, &s, err, sizeof err), 0);
	memset(want, 0xA5, sizeof want);
	assert_int_equal(emu_emmc_write(s, EMU_AREA_USER, 1000, want, sizeof want), 0);
	assert_int_equal(emu_emmc_read(s, EMU_AREA_USER, 1000, buf, sizeof buf), 0);
	assert_memory_equal(buf, want, sizeof buf);
	assert_int_equal(emu_emmc_write(s, EMU_AREA_USER, g.size[EMU_AREA_USER] - 1, want, 2), MTK_E_RANGE);
	emu_emmc_close(s);
	mtkemu_memstate_snapshot(m);
	assert_int_equal(mtkemu_memstate_pages_written(m), 0);

	assert_int_equal(emu_emmc_open_mem(m, &s, err, sizeof err), 0);
	assert_int_equal(emu_emmc_erase(s, EMU_AREA_USER, 0, 8192), 0);
	assert_int_equal(emu_emmc_switch(s, EMU_EXT_CSD_PARTITION_CONFIG, 0x10), 0);
	assert_int_equal(emu_emmc_read(s, EMU_AREA_USER, 1000, buf, 16), 0);
	assert_int_equal(buf[0] | buf[15], 0);
	assert_int_equal(mtkemu_memstate_pages_written(m), 2);
	emu_emmc_close(s);
	mtkemu_memstate_reset(m);
	assert_int_equal(mtkemu_memstate_pages_written(m), 0);

	assert_int_equal(emu_emmc_open_mem(m, &s, err, sizeof err), 0);
	assert_int_equal(emu_emmc_read(s, EMU_AREA_USER, 1000, buf, sizeof buf), 0);
	assert_memory_equal(buf, want, sizeof buf);
	assert_int_equal(emu_emmc_ext_csd(s)[EMU_EXT_CSD_PARTITION_CONFIG], EMU_PARTITION_CONFIG_DEFAULT);
	emu_emmc_close(s);
	const char *names[8];
	assert_int_equal(mtkemu_memstate_files(m, names, 8), 2); /* ext_csd.bin, device.ini */
	mtkemu_memstate_free(m);
}

static void read_check(struct emu_storage *s, uint64_t off, uint8_t want, size_t len)
{
	uint8_t buf[4096];
	for (size_t done = 0; done < len; done += sizeof buf) {
		size_t n = len - done < sizeof buf ? len - done : sizeof buf;
		assert_int_equal(emu_emmc_read(s, EMU_AREA_USER, off + done, buf, n), 0);
		for (size_t i = 0; i < n; i++)
			if (buf[i] != want)
				fail_msg("byte 0x%llx is 0x%02x, not 0x%02x", (unsigned long long)(off + done + i), buf[i],
				         want);
	}
}

/* Whole 2 MiB chunks erase as one mark: reads are zero, a later write into
 * one unfolds it, a reset puts the snapshot back, a snapshot keeps it. */
static void test_memstate_chunk_erase(void **state)
{
	(void)state;
	struct mtkemu_memstate *m = mtkemu_memstate_new("unit-chunks");
	struct emu_emmc_geometry g;
	struct emu_storage *s;
	char err[256];
	static uint8_t fill[8 * MIB];
	geo16(&g);
	memset(fill, 0x5A, sizeof fill);
	assert_int_equal(emu_emmc_create_mem(m, &g, err, sizeof err), 0);
	assert_int_equal(emu_emmc_open_mem(m, &s, err, sizeof err), 0);
	assert_int_equal(emu_emmc_write(s, EMU_AREA_USER, 2 * MIB, fill, sizeof fill), 0);
	mtkemu_memstate_snapshot(m);

	/* chunks 1-2 whole, then one page and 100 bytes */
	assert_int_equal(emu_emmc_erase(s, EMU_AREA_USER, 2 * MIB, 4 * MIB + 4096 + 100), 0);
	assert_int_equal(mtkemu_memstate_pages_written(m), 2 * 512 + 2);
	read_check(s, 2 * MIB, 0, 4 * MIB + 4096 + 100);
	read_check(s, 6 * MIB + 4096 + 100, 0x5A, 4096);
	assert_int_equal(emu_emmc_write(s, EMU_AREA_USER, 3 * MIB + 10, fill, 16), 0);
	read_check(s, 3 * MIB, 0, 10);
	read_check(s, 3 * MIB + 10, 0x5A, 16);
	read_check(s, 3 * MIB + 26, 0, MIB);
	emu_emmc_close(s);
	mtkemu_memstate_reset(m);
	assert_int_equal(mtkemu_memstate_pages_written(m), 0);
	assert_int_equal(emu_emmc_open_mem(m, &s, err, sizeof err), 0);
	read_check(s, 2 * MIB, 0x5A, 8 * MIB);

	assert_int_equal(emu_emmc_erase(s, EMU_AREA_USER, 4 * MIB, 2 * MIB), 0);
	mtkemu_memstate_snapshot(m);
	mtkemu_memstate_reset(m);
	read_check(s, 2 * MIB, 0x5A, 2 * MIB);
	read_check(s, 4 * MIB, 0, 2 * MIB);
	read_check(s, 6 * MIB, 0x5A, 4 * MIB);
	emu_emmc_close(s);
	mtkemu_memstate_free(m);
}

/* The boot verdict kept for a snapshot answers only while the state is the
 * snapshot: not after a page, EXT_CSD (a small file) or a new snapshot
 * changed it; again after a reset.  Pages a reset dropped are reused with
 * what the new write puts there, nothing of the old. */
static void test_memstate_boot_verdict(void **state)
{
	(void)state;
	struct mtkemu_memstate *m = mtkemu_memstate_new("unit-boot");
	struct emu_emmc_geometry g;
	struct emu_storage *s;
	char err[256];
	static const int prof_a, prof_b; /* stand for two chip profiles */
	uint8_t page[4096], buf[4096];
	int mode = -1;
	geo16(&g);
	assert_int_equal(emu_emmc_create_mem(m, &g, err, sizeof err), 0);
	mtkemu_memstate_snapshot(m);
	assert_false(emu_memstate_boot_get(m, &prof_a, &mode));
	emu_memstate_boot_set(m, &prof_a, 2);
	assert_true(emu_memstate_boot_get(m, &prof_a, &mode));
	assert_int_equal(mode, 2);
	assert_false(emu_memstate_boot_get(m, &prof_b, &mode));

	assert_int_equal(emu_emmc_open_mem(m, &s, err, sizeof err), 0);
	memset(page, 0x11, sizeof page);
	assert_int_equal(emu_emmc_write(s, EMU_AREA_BOOT1, 0, page, sizeof page), 0);
	assert_false(emu_memstate_boot_get(m, &prof_a, &mode));
	emu_memstate_boot_set(m, &prof_b, 1); /* not the snapshot: not kept */
	mtkemu_memstate_reset(m);
	assert_false(emu_memstate_boot_get(m, &prof_b, &mode));
	assert_true(emu_memstate_boot_get(m, &prof_a, &mode));

	memset(page, 0x22, 100);
	assert_int_equal(emu_emmc_write(s, EMU_AREA_BOOT1, 0, page, 100), 0); /* the pooled page */
	assert_int_equal(emu_emmc_read(s, EMU_AREA_BOOT1, 0, buf, sizeof buf), 0);
	assert_int_equal(buf[0], 0x22);
	assert_int_equal(buf[100], 0); /* the snapshot's byte, not the 0x11 of the dropped page */
	mtkemu_memstate_reset(m);

	assert_int_equal(emu_emmc_switch(s, EMU_EXT_CSD_PARTITION_CONFIG, 0x10), 0);
	assert_false(emu_memstate_boot_get(m, &prof_a, &mode));
	mtkemu_memstate_reset(m);
	assert_true(emu_memstate_boot_get(m, &prof_a, &mode));
	mtkemu_memstate_snapshot(m);
	assert_false(emu_memstate_boot_get(m, &prof_a, &mode));
	emu_emmc_close(s);
	mtkemu_memstate_free(m);
}

/* A device made after the snapshot is gone after a reset, and one made
 * again (on the kept tables) starts blank. */
static void test_memstate_device_made_again(void **state)
{
	(void)state;
	struct mtkemu_memstate *m = mtkemu_memstate_new("unit-again");
	struct emu_emmc_geometry g;
	struct emu_storage *s;
	char err[256];
	uint8_t data[16];
	memset(data, 0x77, sizeof data);
	geo16(&g);
	mtkemu_memstate_snapshot(m);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(emu_emmc_create_mem(m, &g, err, sizeof err), 0);
		assert_int_equal(emu_emmc_open_mem(m, &s, err, sizeof err), 0);
		read_check(s, 5 * MIB, 0, 4096);
		assert_int_equal(emu_emmc_write(s, EMU_AREA_USER, 5 * MIB, data, sizeof data), 0);
		assert_int_equal(emu_emmc_erase(s, EMU_AREA_USER, 8 * MIB, 2 * MIB), 0);
		emu_emmc_close(s);
		mtkemu_memstate_reset(m);
		assert_int_equal(emu_memstate_area_size(m, EMU_AREA_USER), 0);
		const char *names[8];
		assert_int_equal(mtkemu_memstate_files(m, names, 8), 0);
	}
	mtkemu_memstate_free(m);
}

/* One emulator per in-memory state, as one per state folder; nothing on disk. */
static void test_memstate_device(void **state)
{
	(void)state;
	struct mtkemu_memstate *m = mtkemu_memstate_new("unit-dev");
	struct mtkemu_options o = {.chip = "mt6737", .memstate = m};
	struct mtkemu *e, *e2;
	char err[256];
	assert_int_equal(mtkemu_new(&o, &e, err, sizeof err), 0);
	assert_int_not_equal(mtkemu_new(&o, &e2, err, sizeof err), 0);
	assert_non_null(strstr(err, "in use"));
	mtkemu_free(e);
	const char *names[8];
	assert_int_equal(mtkemu_memstate_files(m, names, 8), 1);
	assert_string_equal(names[0], "identity.ini");
	o.state_dir = "/nonexistent/never-made";
	assert_int_not_equal(mtkemu_new(&o, &e, err, sizeof err), 0);
	mtkemu_memstate_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sparse_16g, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_erase_reads_zero, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_corrupt_write, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_corrupt_write_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pause_write, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_write_protect, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ext_csd, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_persist_and_identity, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_open_rejects_mismatch, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_preloader_detection, setup, teardown),
	        cmocka_unit_test(test_device_storage_and_faults),
	        cmocka_unit_test(test_memstate_snapshot_reset),
	        cmocka_unit_test(test_memstate_device),
	        cmocka_unit_test(test_memstate_chunk_erase),
	        cmocka_unit_test(test_memstate_device_made_again),
	        cmocka_unit_test(test_memstate_boot_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
