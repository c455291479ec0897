/* SPDX-License-Identifier: MIT */
/* UTC calendar fields from a Unix time, without gmtime_r: glibc's gmtime_r
 * loads the local time zone (reads /etc/localtime, takes the tz lock) on
 * every call, although UTC needs no zone; audit lines are stamped often,
 * from several threads in a batch. */
#include <time.h>

#include "mtkflash/util.h"

#define SECS_PER_DAY 86400

/* Proleptic Gregorian calendar, counted in 400-year eras of 146097 days
 * that start on 1 March, so that the leap day ends the year. */
static void civil_from_days(int64_t days, int *year, int *month, int *mday)
{
	days += 719468; /* 1970-01-01 → 0000-03-01 */
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;                                  /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
	*mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(yoe + era * 400 + (*month <= 2));
}

static int day_of_year(int year, int month, int mday)
{
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return before[month - 1] + mday - 1 + (leap && month > 2);
}

void mtk_utc_tm(int64_t unix_seconds, struct tm *out)
{
	int64_t days = unix_seconds / SECS_PER_DAY, secs = unix_seconds % SECS_PER_DAY;
	if (secs < 0) {
		secs += SECS_PER_DAY;
		days--;
	}
	int year, month, mday;
	civil_from_days(days, &year, &month, &mday);
	*out = (struct tm){
		.tm_sec = (int)(secs % 60),
		.tm_min = (int)(secs / 60 % 60),
		.tm_hour = (int)(secs / 3600),
		.tm_mday = mday,
		.tm_mon = month - 1,
		.tm_year = year - 1900,
		.tm_wday = (int)(((days % 7) + 11) % 7), /* 1970-01-01 was a Thursday */
		.tm_yday = day_of_year(year, month, mday),
	};
}
