/* SPDX-License-Identifier: MIT */
/* A state folder held in memory (mtkemu_options.memstate), for fuzzers and
 * unit tests: a fuzzer runs one input per reset, and with the real folder
 * half of an input's cost was system calls.
 *
 * The eMMC areas are 4 KiB pages over a snapshot: a write copies the page
 * into an overlay and notes its index, so a reset drops only the pages the
 * input touched and costs what the input did, not what the storage holds.
 * An erase of whole 2 MiB chunks marks the chunk, not its 512 pages (a
 * FORMAT of a whole user area was a fuzz run's most expensive command).
 * The folder's small files (device.ini, ext_csd.bin, identity.ini,
 * power.ini) are named blobs, read through fmemopen() by the same parsers as
 * the real files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checksum.h" /* MTK_NO_COVERAGE */
#include "emu_internal.h"
#include "emu_storage.h"
#include "mtkflash/core.h"

#define PAGE         4096u
#define CHUNK_PAGES  512u /* one page-table entry covers 2 MiB */
#define MAX_FILES    8
#define MAX_FILE_LEN 2048

/* Sparse page table: a NULL chunk or page is all zero. */
struct pagemap {
	size_t nchunks;
	uint8_t ***chunk;
};

struct idx_list {
	uint64_t *v;
	size_t n, cap;
};

struct mem_area {
	uint64_t size;
	struct pagemap base; /* the snapshot: never written */
	struct pagemap top;  /* pages changed since, or `erased`; whole chunks `erased_chunk` */
	struct idx_list dirty;        /* page indices with a `top` entry */
	struct idx_list dirty_chunks; /* chunk indices that were `erased_chunk` */
	bool spare; /* size 0 again, but tables kept for a device of the old size (reset) */
	/* Overlay pages a reset dropped, for the next writes: a fuzz input
	 * writes the same few dozen pages as the one before, and a malloc and
	 * free of each (ASan poisoning it twice) was a third of fuzz_emu_boot. */
	uint8_t **pool;
	size_t npool, pool_cap;
};

struct mem_file {
	char name[32]; /* "" = free slot */
	size_t len;
	uint8_t data[MAX_FILE_LEN];
};

struct mem_files {
	struct mem_file f[MAX_FILES];
	uint64_t size[EMU_AREA_COUNT];
};

struct mtkemu_memstate {
	char name[256];
	bool in_use;
	bool files_dirty;
	struct mem_files cur, snap;
	struct mem_area area[EMU_AREA_COUNT];
	const void *boot_prof; /* the boot verdict's chip; NULL: none kept */
	int boot_mode;
};

/* An erased page in the overlay: reads as zero over whatever the snapshot has. */
static uint8_t erased_page[PAGE];
static const uint8_t zero_page[PAGE];
/* A top chunk every page of which is erased; only ever replaces a NULL chunk. */
static uint8_t *erased_chunk[1];

/* ---- page tables --------------------------------------------------------------- */

static void pagemap_free(struct pagemap *pm, bool pages)
{
	for (size_t c = 0; c < pm->nchunks; c++) {
		if (!pm->chunk[c] || pm->chunk[c] == erased_chunk)
			continue;
		for (size_t i = 0; pages && i < CHUNK_PAGES; i++)
			if (pm->chunk[c][i] != erased_page)
				free(pm->chunk[c][i]);
		free(pm->chunk[c]);
	}
	free(pm->chunk);
	*pm = (struct pagemap){0};
}

static int pagemap_init(struct pagemap *pm, uint64_t size)
{
	uint64_t pages = (size + PAGE - 1) / PAGE;
	pm->nchunks = (size_t)((pages + CHUNK_PAGES - 1) / CHUNK_PAGES);
	pm->chunk = calloc(pm->nchunks ? pm->nchunks : 1, sizeof *pm->chunk);
	return pm->chunk ? 0 : MTK_E_NOMEM;
}

static uint8_t *pagemap_get(const struct pagemap *pm, uint64_t page)
{
	uint8_t **c = pm->chunk[page / CHUNK_PAGES];
	if (c == erased_chunk)
		return erased_page;
	return c ? c[page % CHUNK_PAGES] : NULL;
}

/* Room for `more` entries. */
static int reserve(struct idx_list *l, size_t more)
{
	if (l->n + more <= l->cap)
		return 0;
	size_t cap = l->cap ? 2 * l->cap : 64;
	while (cap < l->n + more)
		cap *= 2;
	uint64_t *d = realloc(l->v, cap * sizeof *d);
	if (!d)
		return MTK_E_NOMEM;
	l->v = d;
	l->cap = cap;
	return 0;
}

static int note(struct idx_list *l, uint64_t v)
{
	if (reserve(l, 1) != 0)
		return MTK_E_NOMEM;
	l->v[l->n++] = v;
	return 0;
}

/* An erased chunk becomes a table of erased pages, each noted as changed. */
static uint8_t **unfold_erased(struct pagemap *pm, uint64_t chunk, struct idx_list *dirty)
{
	uint8_t **t = malloc(CHUNK_PAGES * sizeof *t);
	if (!t || reserve(dirty, CHUNK_PAGES) != 0) {
		free(t);
		return NULL;
	}
	for (size_t i = 0; i < CHUNK_PAGES; i++) {
		t[i] = erased_page;
		dirty->v[dirty->n++] = chunk * CHUNK_PAGES + i;
	}
	return pm->chunk[chunk] = t;
}

/* `dirty` NULL: the base map, which never has erased chunks. */
static uint8_t **pagemap_slot(struct pagemap *pm, uint64_t page, struct idx_list *dirty)
{
	uint64_t ci = page / CHUNK_PAGES;
	uint8_t ***c = &pm->chunk[ci];
	if (*c == erased_chunk && !unfold_erased(pm, ci, dirty))
		return NULL;
	if (!*c)
		*c = calloc(CHUNK_PAGES, sizeof **c);
	return *c ? &(*c)[page % CHUNK_PAGES] : NULL;
}

/* ---- areas ------------------------------------------------------------------------- */

static void area_free(struct mem_area *a)
{
	for (size_t i = 0; i < a->npool; i++)
		free(a->pool[i]);
	free(a->pool);
	pagemap_free(&a->base, true);
	pagemap_free(&a->top, true);
	free(a->dirty.v);
	free(a->dirty_chunks.v);
	*a = (struct mem_area){0};
}

static size_t chunks_for(uint64_t size)
{
	return (size_t)(((size + PAGE - 1) / PAGE + CHUNK_PAGES - 1) / CHUNK_PAGES);
}

static int area_init(struct mem_area *a, uint64_t size)
{
	/* A spare area (reset) has empty maps: the emulator making the same
	 * default device again reuses them instead of two large callocs. */
	if (a->spare && a->size == 0 && a->top.nchunks == chunks_for(size) && chunks_for(size) > 0) {
		a->size = size;
		a->spare = false;
		return 0;
	}
	area_free(a);
	a->size = size;
	if (pagemap_init(&a->base, size) || pagemap_init(&a->top, size)) {
		area_free(a);
		return MTK_E_NOMEM;
	}
	return 0;
}

static const uint8_t *area_page(const struct mem_area *a, uint64_t page)
{
	const uint8_t *p = pagemap_get(&a->top, page);
	if (p == erased_page)
		return zero_page;
	if (!p)
		p = pagemap_get(&a->base, page);
	return p ? p : zero_page;
}

/* A dropped overlay page goes to the pool (freed when it cannot grow). */
static void page_drop(struct mem_area *a, uint8_t *p)
{
	if (a->npool == a->pool_cap) {
		size_t cap = a->pool_cap ? 2 * a->pool_cap : 64;
		uint8_t **v = realloc(a->pool, cap * sizeof *v);
		if (!v) {
			free(p);
			return;
		}
		a->pool = v;
		a->pool_cap = cap;
	}
	a->pool[a->npool++] = p;
}

static uint8_t *page_take(struct mem_area *a)
{
	return a->npool ? a->pool[--a->npool] : malloc(PAGE);
}

/* The overlay page for a write, made from what the page reads now. */
static uint8_t *writable_page(struct mem_area *a, uint64_t page)
{
	uint8_t **slot = pagemap_slot(&a->top, page, &a->dirty);
	if (!slot)
		return NULL;
	if (*slot && *slot != erased_page)
		return *slot;
	uint8_t *p = page_take(a);
	if (!p || (!*slot && note(&a->dirty, page) != 0)) {
		if (p)
			page_drop(a, p);
		return NULL;
	}
	memcpy(p, area_page(a, page), PAGE);
	*slot = p;
	return p;
}

static int erase_page(struct mem_area *a, uint64_t page)
{
	uint8_t **slot = pagemap_slot(&a->top, page, &a->dirty);
	if (!slot)
		return MTK_E_NOMEM;
	if (*slot == erased_page)
		return 0;
	if (*slot)
		page_drop(a, *slot);
	else if (note(&a->dirty, page) != 0)
		return MTK_E_NOMEM;
	*slot = erased_page;
	return 0;
}

/* Not traced: a straight scan of 512 pointers. */
MTK_NO_COVERAGE static bool table_empty(uint8_t *const *t)
{
	for (size_t i = 0; i < CHUNK_PAGES; i++)
		if (t[i])
			return false;
	return true;
}

/* A whole chunk: one mark if nothing in it changed since the snapshot (its
 * table, kept across resets, is empty), else page by page. */
static int erase_chunk(struct mem_area *a, uint64_t chunk)
{
	uint8_t ***c = &a->top.chunk[chunk];
	if (*c == erased_chunk)
		return 0;
	if (*c && table_empty(*c)) {
		free(*c);
		*c = NULL;
	}
	if (!*c) {
		if (note(&a->dirty_chunks, chunk) != 0)
			return MTK_E_NOMEM;
		*c = erased_chunk;
		return 0;
	}
	for (uint64_t i = 0; i < CHUNK_PAGES; i++) {
		int rc = erase_page(a, chunk * CHUNK_PAGES + i);
		if (rc)
			return rc;
	}
	return 0;
}

/* Erased chunks that were unfolded since are reset through their pages. */
static void area_reset(struct mem_area *a)
{
	for (size_t i = 0; i < a->dirty.n; i++) {
		uint64_t pg = a->dirty.v[i];
		uint8_t **slot = &a->top.chunk[pg / CHUNK_PAGES][pg % CHUNK_PAGES];
		if (*slot != erased_page)
			page_drop(a, *slot);
		*slot = NULL;
	}
	a->dirty.n = 0;
	for (size_t i = 0; i < a->dirty_chunks.n; i++)
		if (a->top.chunk[a->dirty_chunks.v[i]] == erased_chunk)
			a->top.chunk[a->dirty_chunks.v[i]] = NULL;
	a->dirty_chunks.n = 0;
}

static bool all_zero(const uint8_t *p)
{
	return p[0] == 0 && memcmp(p, p + 1, PAGE - 1) == 0;
}

/* The overlay becomes the snapshot; zero pages are dropped so it stays sparse. */
static void area_freeze(struct mem_area *a)
{
	for (size_t i = 0; i < a->dirty_chunks.n; i++) {
		uint64_t c = a->dirty_chunks.v[i];
		if (a->top.chunk[c] != erased_chunk)
			continue; /* unfolded: its pages are in the list below */
		for (size_t k = 0; a->base.chunk[c] && k < CHUNK_PAGES; k++)
			free(a->base.chunk[c][k]);
		free(a->base.chunk[c]);
		a->base.chunk[c] = NULL;
		a->top.chunk[c] = NULL;
	}
	a->dirty_chunks.n = 0;
	for (size_t i = 0; i < a->dirty.n; i++) {
		uint64_t pg = a->dirty.v[i];
		uint8_t **top = &a->top.chunk[pg / CHUNK_PAGES][pg % CHUNK_PAGES];
		uint8_t **base = pagemap_slot(&a->base, pg, NULL);
		if (!base)
			abort(); /* out of memory while taking a snapshot: nothing sane to go back to */
		free(*base);
		*base = *top == erased_page || all_zero(*top) ? NULL : *top;
		if (!*base && *top != erased_page)
			free(*top);
		*top = NULL;
	}
	a->dirty.n = 0;
}

/* ---- public ------------------------------------------------------------------------- */

struct mtkemu_memstate *mtkemu_memstate_new(const char *name)
{
	struct mtkemu_memstate *m = calloc(1, sizeof *m);
	if (m)
		snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "memory");
	return m;
}

void mtkemu_memstate_free(struct mtkemu_memstate *m)
{
	if (!m)
		return;
	for (int a = 0; a < EMU_AREA_COUNT; a++)
		area_free(&m->area[a]);
	free(m);
}

void mtkemu_memstate_snapshot(struct mtkemu_memstate *m)
{
	for (int a = 0; a < EMU_AREA_COUNT; a++) {
		area_freeze(&m->area[a]);
		m->cur.size[a] = m->area[a].size;
	}
	m->snap = m->cur;
	m->files_dirty = false;
	m->boot_prof = NULL;
}

void mtkemu_memstate_reset(struct mtkemu_memstate *m)
{
	for (int a = 0; a < EMU_AREA_COUNT; a++) {
		struct mem_area *ar = &m->area[a];
		if (ar->size == m->snap.size[a]) {
			area_reset(ar);
		} else if (m->snap.size[a] == 0) { /* a device made since the snapshot: gone */
			area_reset(ar);
			ar->size = 0;
			ar->spare = true;
		} else {
			area_init(ar, m->snap.size[a]);
		}
	}
	if (m->files_dirty)
		m->cur = m->snap;
	m->files_dirty = false;
}

size_t mtkemu_memstate_files(const struct mtkemu_memstate *m, const char **names, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < MAX_FILES; i++)
		if (m->cur.f[i].name[0] && n < cap)
			names[n++] = m->cur.f[i].name;
	return n;
}

size_t mtkemu_memstate_pages_written(const struct mtkemu_memstate *m)
{
	size_t n = 0;
	for (int a = 0; a < EMU_AREA_COUNT; a++)
		n += m->area[a].dirty.n + m->area[a].dirty_chunks.n * CHUNK_PAGES;
	return n;
}

/* ---- inside the emulator ------------------------------------------------------------ */

static bool as_snapshot(const struct mtkemu_memstate *m)
{
	for (int a = 0; a < EMU_AREA_COUNT; a++)
		if (m->area[a].size != m->snap.size[a])
			return false;
	return !m->files_dirty && mtkemu_memstate_pages_written(m) == 0;
}

bool emu_memstate_boot_get(const struct mtkemu_memstate *m, const void *prof, int *mode)
{
	if (!m->boot_prof || m->boot_prof != prof || !as_snapshot(m))
		return false;
	*mode = m->boot_mode;
	return true;
}

void emu_memstate_boot_set(struct mtkemu_memstate *m, const void *prof, int mode)
{
	if (!as_snapshot(m))
		return;
	m->boot_prof = prof;
	m->boot_mode = mode;
}

const char *emu_memstate_name(const struct mtkemu_memstate *m)
{
	return m->name;
}

bool emu_memstate_claim(struct mtkemu_memstate *m)
{
	if (m->in_use)
		return false;
	m->in_use = true;
	return true;
}

void emu_memstate_release(struct mtkemu_memstate *m)
{
	m->in_use = false;
}

static struct mem_file *find_file(struct mtkemu_memstate *m, const char *name)
{
	for (size_t i = 0; i < MAX_FILES; i++)
		if (strcmp(m->cur.f[i].name, name) == 0)
			return &m->cur.f[i];
	return NULL;
}

FILE *emu_memstate_fopen(struct mtkemu_memstate *m, const char *name)
{
	struct mem_file *f = name[0] ? find_file(m, name) : NULL;
	if (!f)
		return NULL;
	/* fmemopen() of 0 bytes fails on older C libraries: give it the NUL
	 * after the data, which a text parser reads as the end. */
	return fmemopen(f->data, f->len ? f->len : 1, "r");
}

int emu_memstate_get(struct mtkemu_memstate *m, const char *name, void *buf, size_t cap)
{
	struct mem_file *f = name[0] ? find_file(m, name) : NULL;
	if (!f)
		return MTK_E_NOTFOUND;
	size_t n = f->len < cap ? f->len : cap;
	memcpy(buf, f->data, n);
	return (int)n;
}

int emu_memstate_put(struct mtkemu_memstate *m, const char *name, const void *data, size_t len)
{
	struct mem_file *f = find_file(m, name);
	if (!f)
		f = find_file(m, "");
	if (!f || len >= MAX_FILE_LEN || strlen(name) >= sizeof f->name)
		return MTK_E_RANGE;
	snprintf(f->name, sizeof f->name, "%s", name);
	memcpy(f->data, data, len);
	f->data[len] = 0;
	f->len = len;
	m->files_dirty = true;
	return 0;
}

bool emu_memstate_has(struct mtkemu_memstate *m, const char *name)
{
	return name[0] && find_file(m, name) != NULL;
}

int emu_memstate_make_area(struct mtkemu_memstate *m, int area, uint64_t size)
{
	return area_init(&m->area[area], size);
}

uint64_t emu_memstate_area_size(const struct mtkemu_memstate *m, int area)
{
	return m->area[area].size;
}

/* The callers (emmc.c) have checked area and range. */
void emu_memstate_read(const struct mtkemu_memstate *m, int area, uint64_t off, uint8_t *buf, size_t len)
{
	const struct mem_area *a = &m->area[area];
	while (len) {
		size_t in = (size_t)(off % PAGE), n = PAGE - in < len ? PAGE - in : len;
		memcpy(buf, area_page(a, off / PAGE) + in, n);
		buf += n;
		off += n;
		len -= n;
	}
}

int emu_memstate_write(struct mtkemu_memstate *m, int area, uint64_t off, const uint8_t *buf, size_t len)
{
	struct mem_area *a = &m->area[area];
	while (len) {
		size_t in = (size_t)(off % PAGE), n = PAGE - in < len ? PAGE - in : len;
		uint8_t *p = writable_page(a, off / PAGE);
		if (!p)
			return MTK_E_NOMEM;
		memcpy(p + in, buf, n);
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Whole chunks and pages become `erased`; the partial pages at either end
 * are zeroed. */
int emu_memstate_erase(struct mtkemu_memstate *m, int area, uint64_t off, uint64_t len)
{
	struct mem_area *a = &m->area[area];
	const uint64_t chunk = (uint64_t)PAGE * CHUNK_PAGES;
	while (len) {
		size_t in = (size_t)(off % PAGE);
		uint64_t n = PAGE - in < len ? PAGE - in : len;
		int rc = 0;
		if (off % chunk == 0 && len >= chunk) {
			n = chunk;
			rc = erase_chunk(a, off / chunk);
		} else if (n == PAGE) {
			rc = erase_page(a, off / PAGE);
		} else {
			uint8_t *p = writable_page(a, off / PAGE);
			if (p)
				memset(p + in, 0, (size_t)n);
			else
				rc = MTK_E_NOMEM;
		}
		if (rc)
			return rc;
		off += n;
		len -= n;
	}
	return 0;
}
