/* SPDX-License-Identifier: MIT */
/* Policy and station files: whatever parses is self-consistent (an operator
 * policy never allows service mode nor overrides, every list within its
 * bounds) and can be printed and applied to a request and a plan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtkflash/policy.h"

static void apply(const struct mtk_policy *p)
{
	static const char *const names[] = { "nvram", "system" };
	struct mtk_policy_request req = { .mode = MTK_FMODE_SERVICE, .scene = MTK_SCENE_UPGRADE, .overrides = names,
					  .noverrides = 2, .only = names, .nonly = 2, .after = 1, .device_checks = 0 };
	struct mtk_policy_verdict v = { .count = 0 };
	mtk_policy_check_request(p, &req, &v);
	if (p->role == MTK_ROLE_OPERATOR && v.count == 0)
		abort(); /* service mode slipped past an operator policy */
	struct mtk_plan_entry e[2] = { { .name = "nvram", .action = MTK_ACT_ERASE }, { .name = "system" } };
	struct mtk_plan plan = { .entries = e, .count = 2 };
	struct mtk_fingerprint fp;
	memset(&fp, 0, sizeof fp);
	struct mtk_decision d = { .level = MTK_RISK_HIGH };
	struct mtk_policy_package pkg = { .sig = MTK_SIG_BAD };
	struct mtk_policy_subject s = { &pkg, &fp, &plan, &d, false };
	mtk_policy_check_plan(p, &s, &v);
	json_decref(mtk_policy_to_json(p));
	json_decref(mtk_policy_verdict_to_json(&v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_policy *p = NULL;
	if (mtk_policy_parse(NULL, "fuzz.json", data, size, &p) == 0) {
		if (p->role == MTK_ROLE_OPERATOR && ((p->modes & (1u << MTK_FMODE_SERVICE)) || p->overrides.count))
			abort();
		if (p->never_write.count > MTK_POLICY_MAX_NAMES || p->npackages > MTK_POLICY_MAX_PACKAGES ||
		    p->nkeys > MTK_POLICY_MAX_KEYS || (unsigned)p->max_risk > MTK_RISK_HIGH)
			abort();
		apply(p);
		mtk_policy_free(p);
	}
	struct mtk_station st;
	if (mtk_station_parse(NULL, "fuzz.json", data, size, &st) == 0 && st.require_signed_policy && !st.nkeys)
		abort();
	return 0;
}
