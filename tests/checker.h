/*
 * checker.h - what every lab checker (tests/labN_check.c) includes.
 *
 * A checker is a Criterion test file.  Name each test's suite after the
 * exercise it checks, ex<lab>_<k>, and give it a timeout:
 *
 *     Test(ex1_2, keeps_each_time, .timeout = 20) { ... }
 *
 * Each test runs in its own process, so a crash or a deadlock in a
 * student's exercise fails that test alone.  A test still running after
 * WB_CHECK_HANG_S (or just before its own timeout, if that comes first) is
 * stopped, and the report says where each of its threads was waiting.
 * Messages are for students: name the function at fault, say what was
 * expected, what happened, and where to look.
 *
 * checker.c provides main(): it checks one exercise at a time, in the lab's
 * order, and prints each verdict as soon as it is known.  An exercise whose
 * `needs` are not all done is reported as skipped, never blamed.
 *
 *   checkN                    the student's report; exit 0 only if every exercise is done
 *   checkN --only K           exercise K, those it needs, and those that build on it
 *   checkN --status           one line for make status (from the last report when the
 *                             checker has not been rebuilt since)
 *   checkN --expect-not-done  make test, on the handout: every check must fail
 *   checkN --expect-failing K make test, on a mutant: K must fail, those that need K are
 *                             skipped, every other exercise passes
 *   checkN --json FILE        also write the report as Gradescope's results.json (one test
 *                             per exercise, 1 point when done), rewritten after each exercise
 */
#ifndef WB_CHECKER_H
#define WB_CHECKER_H

#include <criterion/criterion.h>
#include <pthread.h>

#include "exercise.h"

/* A check still running after this many seconds is named as hung and stopped. */
#define WB_CHECK_HANG_S 15.0

struct wb_check_exercise {
	const char *id;        /* "1.2" */
	const char *function;  /* "fetch_sequentially": what the student looks at first */
	const char *title;     /* "fetch N URLs one after another" */
	const char *needs;     /* exercises whose code this one runs: "2.2" or "4.1 4.2"; NULL: none */
};

struct wb_check_lab {
	int number;
	const char *title;
	const char *file;    /* the student's file, e.g. "labs/01-sequential/exercises.c" */
	const struct wb_check_exercise *exercises;
	int count;
	double hang_after_s;  /* 0: WB_CHECK_HANG_S; more for a lab whose checks measure for long */
};

/* Each labN_check.c defines this. */
extern const struct wb_check_lab wb_check_lab;

/* Threads alive in this process now (/proc/self/task): no thread may outlive a call. */
int wb_check_threads(void);

/* Descriptors open in this process now (/proc/self/fd): no pipe may be left open. */
int wb_check_open_fds(void);

/*
 * What glibc shows of a lock's waiters, so that a check waits for the state it
 * needs instead of sleeping and hoping the other threads got there:
 * threads asleep on a condition variable now (glibc counts them in
 * __wrefs >> 3), and whether a thread waits for a mutex (its __lock is 2).
 * Loop on these with a time limit, and carry on at the limit as after a sleep:
 * the code under test may wait some other way.
 */
unsigned wb_check_cond_waiters(pthread_cond_t *cond);
int wb_check_mutex_has_waiter(pthread_mutex_t *mutex);

/* Fail the test as "not done" when the exercise is still the placeholder. */
#define REQUIRE_DONE(rc, id)                                                        \
	do {                                                                        \
		if ((rc) == WB_NOT_DONE)                                            \
			cr_assert_fail("exercise %s not done yet", (id));           \
	} while (0)

#endif
