/* SPDX-License-Identifier: MIT */
/* When no phone answers: what `mtkflash doctor` finds on this host, one line
 * per problem with its fix, for the Device section. */
#include <glib.h>
#include <unistd.h>

#include "mtkflash/doctor.h"
#include "run.h"

bool gui_doctor_wanted(int rc)
{
	return rc == MTK_E_NODEV || rc == MTK_E_TIMEOUT || rc == MTK_E_IO;
}

char *gui_doctor_summary(void)
{
	struct mtk_check checks[MTK_DOCTOR_CHECKS];
	struct mtk_doctor_env env = {.user = g_get_user_name(), .uid = (unsigned)getuid()};
	mtk_ctx *ctx = mtk_ctx_new();
	int n = ctx ? mtk_doctor_run(ctx, &env, checks, MTK_DOCTOR_CHECKS) : MTK_E_NOMEM;
	mtk_ctx_free(ctx);
	if (n < 0)
		return NULL;
	GString *s = g_string_new("What this computer may be missing:");
	size_t shown = 0;
	for (size_t i = 0; i < MTK_DOCTOR_CHECKS; i++) {
		if (checks[i].status == MTK_CHECK_OK)
			continue;
		g_string_append_printf(s, "\n• %s: %s", mtk_check_status_name(checks[i].status), checks[i].finding);
		if (checks[i].fix[0])
			g_string_append_printf(s, " Fix: %s", checks[i].fix);
		shown++;
	}
	if (!shown)
		g_string_append(s, " nothing (the host looks ready: check the cable and the phone).");
	return g_string_free(s, FALSE);
}
