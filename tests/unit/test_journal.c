/* SPDX-License-Identifier: MIT */
/* The flash journal: parsing (states, torn last line, refusals naming the
 * line), writing (modes, fsynced lines read back), finding the open one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mtkflash/journal.h"
#include "testutil.h"

#define SHA_A "577c5ff47ca4d29c6236a183d432e4835e88b83e56efbe0faa8d7dccf714177d"
#define SHA_B "e0e75e31d750d333f3694d961bf5deca87f150c99a9bc0f923f1a439c8137ce2"
#define BEGIN                                                                                                    \
	"{\"rec\":\"begin\",\"flash_id\":\"F1\",\"device_id\":\"dev-1\",\"mode\":\"safe\",\"scene\":\"download\","  \
	"\"plan\":[{\"partition\":\"boot\",\"region\":\"user\",\"offset\":4096,\"size\":65536,\"image\":\"/b.img\"},"  \
	"{\"partition\":\"lk\",\"region\":\"user\",\"offset\":131072,\"size\":8192,\"image\":\"/lk.bin\"}]}\n"
#define STASH_BOOT                                                                                               \
	"{\"rec\":\"stash\",\"partition\":\"boot\",\"file\":\"stash-000.bin\",\"ranges\":[[0,512],[1024,2048]],"      \
	"\"old_sha256\":\"" SHA_A "\",\"new_sha256\":\"" SHA_B "\"}\n"

static int parse(const char *text, struct mtk_journal_state *s, mtk_ctx *ctx)
{
	return mtk_journal_parse(ctx, (const uint8_t *)text, strlen(text), s);
}

static void states_follow_records(void **state)
{
	(void)state;
	struct mtk_journal_state s;
	const char *j = BEGIN STASH_BOOT "{\"rec\":\"start\",\"partition\":\"boot\"}\n"
				"{\"rec\":\"end\",\"partition\":\"boot\"}\n{\"rec\":\"start\",\"partition\":\"lk\"}\n";
	assert_int_equal(parse(j, &s, NULL), 0);
	assert_string_equal(s.flash_id, "F1");
	assert_string_equal(s.mode, "safe");
	assert_int_equal(s.count, 2);
	assert_int_equal(s.parts[0].state, MTK_JP_ENDED);
	assert_true(s.parts[0].stashed);
	assert_string_equal(s.parts[0].stash, "stash-000.bin");
	assert_int_equal(s.parts[0].nranges, 2);
	assert_int_equal(s.parts[0].ranges[1].off, 1024);
	assert_int_equal(s.parts[0].old_sha256[0], 0x57);
	assert_int_equal(s.parts[1].state, MTK_JP_STARTED);
	assert_true(mtk_journal_in_doubt(&s.parts[1]));
	assert_false(s.closed);
	mtk_journal_state_free(&s);
}

static void torn_last_line_ignored(void **state)
{
	(void)state;
	struct mtk_journal_state s;
	assert_int_equal(parse(BEGIN "{\"rec\":\"close\",\"res", &s, NULL), 0);
	assert_false(s.closed);
	mtk_journal_state_free(&s);
	assert_int_equal(parse(BEGIN "{\"rec\":\"close\",\"result\":\"verified\"}\n", &s, NULL), 0);
	assert_true(s.closed);
	assert_string_equal(s.result, "verified");
	mtk_journal_state_free(&s);
}

static void refuse(const char *text, const char *want)
{
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_journal_state s;
	assert_int_equal(parse(text, &s, ctx), MTK_E_PARSE);
	if (!strstr(mtk_ctx_error(ctx), want))
		fail_msg("'%s' does not say '%s'", mtk_ctx_error(ctx), want);
	mtk_ctx_free(ctx);
}

static void hostile_records_refused(void **state)
{
	(void)state;
	refuse("{\"rec\":\"start\",\"partition\":\"boot\"}\n", "line 1: a record before the begin record");
	refuse("", "no begin record");
	refuse(BEGIN "not json\n", "journal line 2");
	refuse(BEGIN "{\"rec\":\"start\",\"partition\":\"nvram\"}\n", "line 2: \"partition\" is not one the plan");
	refuse(BEGIN "{\"rec\":\"stash\",\"partition\":\"boot\",\"file\":\"../x\",\"ranges\":[],\"old_sha256\":\"" SHA_A
		     "\",\"new_sha256\":\"" SHA_B "\"}\n",
	       "not a plain file name");
	refuse(BEGIN "{\"rec\":\"stash\",\"partition\":\"boot\",\"ranges\":[[65536,1]],\"old_sha256\":\"" SHA_A
		     "\",\"new_sha256\":\"" SHA_B "\"}\n",
	       "outside the partition");
	refuse(BEGIN "{\"rec\":\"stash\",\"partition\":\"boot\",\"ranges\":[[-1,1]],\"old_sha256\":\"" SHA_A
		     "\",\"new_sha256\":\"" SHA_B "\"}\n",
	       "[offset, length]");
	refuse(BEGIN "{\"rec\":\"stash\",\"partition\":\"boot\",\"ranges\":[],\"old_sha256\":\"zz\",\"new_sha256\":\"" SHA_B
		     "\"}\n",
	       "not a SHA-256");
	refuse(BEGIN BEGIN, "a second begin record");
	refuse("{\"rec\":\"begin\",\"flash_id\":\"F\",\"device_id\":\"d\",\"mode\":\"safe\",\"scene\":\"x\",\"plan\":"
	       "[{\"partition\":\"b\",\"region\":\"nowhere\",\"offset\":0,\"size\":1,\"image\":\"/i\"}]}\n",
	       "unknown region");
}

#define BEGIN_STAGED                                                                                             \
	"{\"rec\":\"begin\",\"flash_id\":\"F2\",\"device_id\":\"dev-1\",\"mode\":\"safe\",\"scene\":\"download\"," \
	"\"boot_select\":\"ext-csd\",\"dram_id\":\"90014a454d36373337\",\"plan\":["                               \
	"{\"partition\":\"preloader@boot2\",\"region\":\"boot2\",\"offset\":0,\"size\":262144,\"image\":\"/p\"},"  \
	"{\"partition\":\"preloader\",\"region\":\"boot1\",\"offset\":0,\"size\":262144,\"image\":\"/p\"}]}\n"

/* The staged preloader's records: the DRAM id and policy of the begin
 * record, the last BOOT_PARTITION_ENABLE set, which parts are preloader copies. */
static void staged_preloader_records(void **state)
{
	(void)state;
	struct mtk_journal_state s;
	assert_int_equal(parse(BEGIN_STAGED "{\"rec\":\"bootsel\",\"value\":2}\n", &s, NULL), 0);
	assert_string_equal(s.boot_select, "ext-csd");
	assert_int_equal(s.dram_id_len, 9);
	assert_int_equal(s.dram_id[0], 0x90);
	assert_int_equal(s.dram_id[8], 0x37);
	assert_int_equal(s.bootsel, 2);
	assert_true(mtk_journal_part_is_preloader(&s.parts[0]));
	assert_true(mtk_journal_part_is_preloader(&s.parts[1]));
	mtk_journal_state_free(&s);
	assert_int_equal(parse(BEGIN, &s, NULL), 0); /* a journal from before: none of it */
	assert_int_equal(s.dram_id_len, 0);
	assert_int_equal(s.bootsel, 0);
	assert_false(mtk_journal_part_is_preloader(&s.parts[0]));
	mtk_journal_state_free(&s);
	refuse(BEGIN_STAGED "{\"rec\":\"bootsel\",\"value\":7}\n", "line 2: \"value\" of a bootsel record");
	refuse("{\"rec\":\"begin\",\"flash_id\":\"F\",\"device_id\":\"d\",\"mode\":\"safe\",\"scene\":\"x\","
	       "\"dram_id\":\"9z\",\"plan\":[]}\n",
	       "\"dram_id\" is not hex");
	refuse("{\"rec\":\"begin\",\"flash_id\":\"F\",\"device_id\":\"d\",\"mode\":\"safe\",\"scene\":\"x\","
	       "\"dram_id\":\"00112233445566778899aabbccddeeff00\",\"plan\":[]}\n",
	       "up to 16 bytes");
}

static void written_then_found(void **state)
{
	(void)state;
	char dir[256], found[4096];
	test_mkdtemp(dir, sizeof dir, "test_journal");
	mtk_ctx *ctx = mtk_ctx_new();
	struct mtk_journal *j;
	assert_int_equal(mtk_journal_find_open(ctx, dir, "dev-1", found, sizeof found), 0);
	assert_int_equal(mtk_journal_create(ctx, dir, "dev-1", &j), 0);
	struct stat st;
	assert_int_equal(stat(mtk_journal_dir(j), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	const char *lines[] = { BEGIN, STASH_BOOT };
	for (size_t i = 0; i < 2; i++) {
		json_error_t err;
		assert_int_equal(mtk_journal_append(j, json_loads(lines[i], 0, &err)), 0);
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", mtk_journal_dir(j), MTK_JOURNAL_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(mtk_journal_find_open(ctx, dir, "dev-1", found, sizeof found), 1);
	assert_string_equal(found, mtk_journal_dir(j));
	assert_int_equal(mtk_journal_find_open(ctx, dir, "dev-2", found, sizeof found), 0);
	assert_int_equal(mtk_journal_append(j, json_pack("{s:s, s:s}", "rec", "close", "result", "verified")), 0);
	assert_int_equal(mtk_journal_find_open(ctx, dir, "dev-1", found, sizeof found), 0);
	mtk_journal_free(j);
	assert_int_equal(mtk_journal_create(ctx, dir, "../up", &j), MTK_E_INVAL);
	assert_null(j);
	mtk_ctx_free(ctx);
	test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(states_follow_records),
		cmocka_unit_test(torn_last_line_ignored),
		cmocka_unit_test(hostile_records_refused),
		cmocka_unit_test(written_then_found),
		cmocka_unit_test(staged_preloader_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
