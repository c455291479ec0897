/* SPDX-License-Identifier: MIT */
/* The status-code catalogue: every SP Flash Tool status (S_*, STATUS_*, tool
 * level), every BootROM/preloader and xflash DA status we know, and mtkflash's
 * own MTK_E_*, each with what it means, its likely causes and what to do.
 * One table, generated from data/status/ (docs/status-codes.md lists it). */
#ifndef MTKFLASH_STATUS_H
#define MTKFLASH_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mtk_status {
	const char *name;  /* "S_FT_DA_NO_RESPONSE" */
	const char *table; /* where the number comes from: "spft5", "maui", "brom", "xflash", "mtkflash", ... */
	int64_t value;     /* 32-bit STATUS_* as unsigned (0xC0060003), MTK_E_* negative */
	const char *meaning, *causes, *fix;
	bool described; /* false: the text is its range's, with the name spelled out */
};

/* A table key's description ("SP Flash Tool v5.1952.00 BROM-DLL (...)"), NULL if unknown. */
const char *mtk_status_table_desc(const char *table);
size_t mtk_status_count(void);
/* Entries sorted by value, then table; NULL past the end. */
const struct mtk_status *mtk_status_at(size_t i);
/* The entry of `table` with this value, NULL if none. */
const struct mtk_status *mtk_status_find(const char *table, int64_t value);

/* Every entry a query names, in catalogue order, at most `max` stored in out[];
 * returns how many there are (0: nothing known).  The query may be
 *   a number: 4001, 0xC0060003, -1073348605 (a 32-bit status printed signed), -4;
 *   a name, any case: S_FT_DA_NO_RESPONSE, STATUS_BROM_CMD_SEND_DA_FAIL, E_TIMEOUT;
 *   a log line: "BROM ERROR : S_FT_DA_NO_RESPONSE (4001)" -- names in it win, and a
 *   number beside a name picks that name's generation.
 * A number or name with several meanings (other tool generations, other tables)
 * yields all of them. */
size_t mtk_status_explain(const char *query, const struct mtk_status **out, size_t max);

/* A catalogue sentence as a clause inside another message: first letter
 * lowered, final period dropped ("This phone ..." -> "this phone ..."). */
void mtk_status_clause(const char *sentence, char *out, size_t cap);

/* The word `mtkflash explain` takes for an MTK_E_* code ("E_TIMEOUT"), NULL if none. */
const char *mtk_status_error_key(int code);

#ifdef __cplusplus
}
#endif

#endif
