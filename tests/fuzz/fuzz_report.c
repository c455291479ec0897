/* SPDX-License-Identifier: MIT */
/* The report's two readers on arbitrary bytes: the audit-log summary
 * (mtk_report_parse) and the seal block of a PDF (mtk_report_check_seal).
 * Against a fixed trusted key that no seed was signed with, a seal must
 * never check out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixed_key.h"
#include "mtkflash/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtk_report rep;
	if (mtk_report_parse(NULL, data, size, &rep) == 0) {
		for (size_t i = 0; i < rep.nsteps; i++)
			if (strlen(rep.steps[i].partition) >= sizeof rep.steps[i].partition)
				abort();
		mtk_report_free(&rep);
	}
	struct mtk_report_seal seal;
	enum mtk_report_verdict v;
	char detail[256];
	if (mtk_report_check_seal(NULL, data, size, &fixed_key, 1, &seal, &v, detail, sizeof detail) == 0 &&
	    v == MTK_REPORT_OK)
		abort();
	return 0;
}
