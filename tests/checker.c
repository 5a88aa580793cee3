/*
 * checker.c - the main() of every lab checker: run the Criterion tests,
 * then report per exercise.
 *
 *   checkN                   the student's report; exit 0 only if every exercise is done
 *   checkN --status          one line per exercise (for make status); exit 0
 *   checkN --expect-not-done for make test on the untouched handout: exit 0 only if
 *                            every check FAILS (proof that no check passes vacuously)
 *
 * Criterion's own options (e.g. --filter) still work.
 */
#include "checker.h"
#include "procs.h"

#include <criterion/hooks.h>
#include <criterion/options.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TESTS 128

enum verdict { PASSED, NOT_DONE, FAILING, TIMED_OUT, CRASHED };

struct outcome {
	const struct criterion_test_stats *stats;
	char exercise[8];     /* "1.2", from the suite name ex1_2 */
	char test[64];
	enum verdict verdict;
	char why[320];
};

static struct outcome outcomes[MAX_TESTS];
static int noutcomes;

/* Entries of a /proc directory, but "." and "..". */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		cr_assert_fail("cannot open %s: %s", dir, strerror(errno));
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int wb_check_threads(void)
{
	return count_entries("/proc/self/task");
}

int wb_check_open_fds(void)
{
	/* opendir itself holds one descriptor while counting: take it off */
	return count_entries("/proc/self/fd") - 1;
}

/* "ex1_2" -> "1.2" */
static void exercise_of(const char *suite, char *out, size_t cap)
{
	snprintf(out, cap, "%s", strncmp(suite, "ex", 2) == 0 ? suite + 2 : suite);
	char *sep = strchr(out, '_');
	if (sep)
		*sep = '.';
}

static const char *first_failed_message(const struct criterion_test_stats *stats)
{
	for (const struct criterion_assert_stats *a = stats->asserts; a; a = a->next)
		if (!a->passed && a->message && *a->message)
			return a->message;
	return stats->message;
}

/* Record one test's outcome; a test reported twice (crash, then post-test) counts once. */
static void record_outcome(struct criterion_test_stats *stats)
{
	for (int i = 0; i < noutcomes; i++)
		if (outcomes[i].stats == stats)
			return;
	if (noutcomes == MAX_TESTS)
		return;
	struct outcome *o = &outcomes[noutcomes++];
	o->stats = stats;
	exercise_of(stats->test->category, o->exercise, sizeof o->exercise);
	snprintf(o->test, sizeof o->test, "%s", stats->test->name);
	const char *msg = first_failed_message(stats);
	if (stats->timed_out) {
		o->verdict = TIMED_OUT;
		snprintf(o->why, sizeof o->why,
			 "timed out after %.0f s and was stopped: is a thread or process waiting "
			 "forever (a missing unlock, signal, join or close)?",
			 stats->test->data->timeout);
	} else if (stats->crashed) {
		o->verdict = CRASHED;
		snprintf(o->why, sizeof o->why, "crashed with signal %d (%s)%s%s", stats->signal,
			 strsignal(stats->signal), msg ? ": " : "", msg ? msg : "");
	} else if (stats->test_status == CR_STATUS_PASSED) {
		o->verdict = PASSED;
	} else if (msg && strstr(msg, "not done yet")) {
		o->verdict = NOT_DONE;
		snprintf(o->why, sizeof o->why, "%s", msg);
	} else {
		o->verdict = FAILING;
		snprintf(o->why, sizeof o->why, "%s", msg ? msg : "failed");
	}
}

/* Both run in the runner process, after a test's own process has ended:
 * POST_TEST for tests that finished or timed out, TEST_CRASH for crashes. */
ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
	record_outcome(stats);
}

ReportHook(TEST_CRASH)(struct criterion_test_stats *stats)
{
	record_outcome(stats);
}

/* The worst verdict of an exercise's tests decides the exercise's. */
static enum verdict exercise_verdict(const char *id, const char **why, int *tests)
{
	enum verdict worst = PASSED;
	*why = "";
	*tests = 0;
	for (int i = 0; i < noutcomes; i++) {
		if (strcmp(outcomes[i].exercise, id) != 0)
			continue;
		(*tests)++;
		if (outcomes[i].verdict > worst || (worst == PASSED && outcomes[i].verdict != PASSED)) {
			worst = outcomes[i].verdict;
			*why = outcomes[i].why;
		}
	}
	return worst;
}

static const char *verdict_word(enum verdict v)
{
	switch (v) {
	case PASSED: return "done";
	case NOT_DONE: return "not done";
	case FAILING: return "FAILING";
	case TIMED_OUT: return "TIMED OUT";
	case CRASHED: return "CRASHED";
	}
	return "?";
}

/* checkN-solution checks the reference file, not the student's. */
static int checking_solution;

static int report(void)
{
	const struct wb_check_lab *lab = &wb_check_lab;
	const char *file = lab->file;
	char solution_file[256];
	if (checking_solution && strncmp(file, "labs/", 5) == 0) {
		snprintf(solution_file, sizeof solution_file, "solutions/%s", file + 5);
		file = solution_file;
	}
	printf("\nLab %d: %s - checking %s\n\n", lab->number, lab->title, file);
	int done = 0;
	for (int k = 0; k < lab->count; k++) {
		const struct wb_check_exercise *ex = &lab->exercises[k];
		const char *why;
		int tests;
		enum verdict v = exercise_verdict(ex->id, &why, &tests);
		if (tests == 0) {
			printf("  %-4s %-10s %s  (no check ran: was it filtered out?)\n", ex->id, "?", ex->title);
			continue;
		}
		done += v == PASSED;
		printf("  %-4s %-10s %s\n", ex->id, verdict_word(v), ex->title);
		if (v != PASSED && v != NOT_DONE)
			printf("       %s\n", why);
	}
	printf("\nScore: %d/%d exercises done.%s\n", done, lab->count,
	       done == lab->count ? "  Well done!" : "  Edit your file, then run the check again.");
	return done == lab->count ? 0 : 1;
}

static int status_line(void)
{
	const struct wb_check_lab *lab = &wb_check_lab;
	int done = 0;
	char marks[512] = "";
	for (int k = 0; k < lab->count; k++) {
		const char *why;
		int tests;
		enum verdict v = exercise_verdict(lab->exercises[k].id, &why, &tests);
		done += v == PASSED && tests > 0;
		char one[64];
		snprintf(one, sizeof one, "  %s %s", v == PASSED && tests ? "[x]" : "[ ]",
			 lab->exercises[k].id);
		strncat(marks, one, sizeof marks - strlen(marks) - 1);
	}
	printf("  lab %-2d %-28s %d/%d %s\n", lab->number, lab->title, done, lab->count, marks);
	for (int k = 0; k < lab->count; k++) {
		const char *why;
		int tests;
		if (exercise_verdict(lab->exercises[k].id, &why, &tests) != PASSED)
			return printf("         next: %s %s\n", lab->exercises[k].id,
				      lab->exercises[k].title), 0;
	}
	return 0;
}

/* make test, on the handout: every single check must fail. */
static int expect_not_done(void)
{
	int passed = 0;
	for (int i = 0; i < noutcomes; i++) {
		if (outcomes[i].verdict == PASSED) {
			printf("  VACUOUS: ex%s/%s passes on the untouched handout\n",
			       outcomes[i].exercise, outcomes[i].test);
			passed++;
		}
	}
	printf("  lab %d handout: %d of %d checks fail as they should\n", wb_check_lab.number,
	       noutcomes - passed, noutcomes);
	return passed == 0 && noutcomes > 0 ? 0 : 1;
}

/*
 * A timed-out test is killed, but processes it forked may live on (a pool
 * worker blocked on a pipe nobody will close).  Criterion starts each test
 * in a session of its own, so such an orphan runs our executable in a
 * session whose leader (the killed test) is gone: after the run, stop every
 * such process, so that no check leaves one behind.
 */
/* An orphan of a killed test: our executable, in a session whose leader is gone. */
static int is_leftover(pid_t pid, void *self_exe)
{
	char path[64], exe[4096];
	pid_t sid = getsid(pid);
	if (sid <= 0 || sid == getsid(0) || kill(sid, 0) == 0 || errno != ESRCH)
		return 0;	/* our own session, or its test is still alive */
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, sizeof exe - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	return strcmp(exe, self_exe) == 0;
}

static int stop_leftover_processes(void)
{
	char self_exe[4096];
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	if (n <= 0)
		return 0;
	self_exe[n] = '\0';
	return wb_kill_processes(is_leftover, self_exe);
}

int main(int argc, char **argv)
{
	enum { REPORT, STATUS, EXPECT_NOT_DONE } mode = REPORT;
	/* Take our own flags out; hand the rest to Criterion. */
	int kept = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0)
			mode = STATUS;
		else if (strcmp(argv[i], "--expect-not-done") == 0)
			mode = EXPECT_NOT_DONE;
		else
			argv[kept++] = argv[i];
	}
	argc = kept;
	argv[argc] = NULL;
	size_t len = strlen(argv[0]);
	checking_solution = len > 9 && strcmp(argv[0] + len - 9, "-solution") == 0;

	/* The placeholders' "not done yet" lines would drown the report. */
	setenv("WB_QUIET_TODO", "1", 1);

	struct criterion_test_set *tests = criterion_initialize();
	if (!criterion_handle_args(argc, argv, true)) {
		criterion_finalize(tests);
		return 2;
	}
	/* Our report replaces Criterion's per-test log.  One test at a time: the
	 * checks measure overlap and timing, and must not compete for the cores. */
	criterion_options.logging_threshold = CRITERION_LOG_LEVEL_QUIET;
	criterion_options.jobs = 1;
	criterion_options.always_succeed = true;
	criterion_run_all_tests(tests);
	criterion_finalize(tests);
	int leftovers = stop_leftover_processes();
	if (leftovers > 0 && mode != STATUS)
		printf("  (%d process%s left behind by the checks %s stopped)\n", leftovers,
		       leftovers == 1 ? "" : "es", leftovers == 1 ? "was" : "were");

	switch (mode) {
	case STATUS: return status_line();
	case EXPECT_NOT_DONE: return expect_not_done();
	default: return report();
	}
}
