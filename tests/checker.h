/*
 * checker.h - what every lab checker (tests/labN_check.c) includes.
 *
 * A checker is a Criterion test file.  Name each test's suite after the
 * exercise it checks, ex<lab>_<k>, and give it a timeout:
 *
 *     Test(ex1_2, keeps_each_time, .timeout = 20) { ... }
 *
 * Each test runs in its own process, so a crash or a deadlock in a
 * student's exercise fails that test alone; the timeout kills a hung one and
 * the report names the exercise.  Messages are for students: say what was
 * expected, what happened, and where to look.
 *
 * checker.c provides main(): it runs the tests and prints, per exercise,
 * done / not done / failing / timed out, then a score.
 */
#ifndef WB_CHECKER_H
#define WB_CHECKER_H

#include <criterion/criterion.h>

#include "exercise.h"

struct wb_check_exercise {
	const char *id;      /* "1.2" */
	const char *title;   /* "fetch N URLs one after another" */
};

struct wb_check_lab {
	int number;
	const char *title;
	const char *file;    /* the student's file, e.g. "labs/01-sequential/exercises.c" */
	const struct wb_check_exercise *exercises;
	int count;
};

/* Each labN_check.c defines this. */
extern const struct wb_check_lab wb_check_lab;

/* Threads alive in this process now (/proc/self/task): no thread may outlive a call. */
int wb_check_threads(void);

/* Descriptors open in this process now (/proc/self/fd): no pipe may be left open. */
int wb_check_open_fds(void);

/* Fail the test as "not done" when the exercise is still the placeholder. */
#define REQUIRE_DONE(rc, id)                                                        \
	do {                                                                        \
		if ((rc) == WB_NOT_DONE)                                            \
			cr_assert_fail("exercise %s not done yet", (id));           \
	} while (0)

#endif
