/* exercise.c - the placeholder's report (see exercise.h). */
#include "exercise.h"

#include "checked.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOLD 64

static pthread_mutex_t told_lock = PTHREAD_MUTEX_INITIALIZER;
static char told[MAX_TOLD][8];
static int ntold;

/* Say it once per exercise, however many threads or calls reach the placeholder. */
static int first_time(const char *exercise)
{
	int first = 1;
	CHECK_PT(pthread_mutex_lock(&told_lock));
	for (int i = 0; i < ntold && first; i++)
		first = strcmp(told[i], exercise) != 0;
	if (first && ntold < MAX_TOLD)
		snprintf(told[ntold++], sizeof told[0], "%s", exercise);
	CHECK_PT(pthread_mutex_unlock(&told_lock));
	return first;
}

int wb_todo(const char *exercise, ...)
{
	/* The checkers set WB_QUIET_TODO: their report says it better. */
	const char *quiet = getenv("WB_QUIET_TODO");
	if (first_time(exercise) && !(quiet && *quiet))
		fprintf(stderr, "exercise %s not done yet\n", exercise);
	return WB_NOT_DONE;
}
