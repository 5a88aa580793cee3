/*
 * tests/lab3_check.c - the checker for lab 3 (make check3).
 *
 * Structural checks that hold on a busy 2-core machine: the combined result
 * equals the sequential one, the work ran in distinct processes whose
 * intervals overlap, every child is reaped (no zombie) and every pipe
 * closed (no descriptor leak), and a crashing child is reported.
 */
#include "checker.h"
#include "exercises.h"
#include "procs.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct wb_check_exercise exercises[] = {
	{ "3.1", "run_forked", "a process per task, results through pipes", NULL },
	{ "3.2", "run_forked_shared", "a process per task, results in shared memory", NULL },
	{ "3.3", "run_process_pool", "a process pool", NULL },
	{ "3.4", "measure_fork_wait", "what a process costs (fork + wait)", NULL },
	{ "3.5", "wait_for_workers", "failure is visible", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 3,
	.title = "processes for CPU",
	.file = "labs/03-processes-cpu/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

/* True if this process has no child left at all, zombie or running. */
static int no_children_left(void)
{
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* Processes created on the whole machine since boot (/proc/stat). */
static long forks_so_far(void)
{
	FILE *f = fopen("/proc/stat", "r");
	cr_assert(f, "cannot open /proc/stat");
	char line[512];
	long n = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "processes %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static void assert_results(const char *ex, const uint64_t *results, int tasks, uint64_t items)
{
	for (int i = 0; i < tasks; i++) {
		uint64_t want = wb_cpu_sum((uint64_t)i * items, items);
		cr_assert(results[i] == want,
			  "exercise %s: results[%d] = %llu, expected %llu (task i sums items "
			  "[i * items, (i + 1) * items))", ex, i, (unsigned long long)results[i],
			  (unsigned long long)want);
	}
}

/* Common checks on a per-task run's timeline: one span per task, each in a
 * process of its own (not this one), running at the same time. */
static void assert_process_per_task(const char *ex, const struct wb_timeline *tl, int tasks)
{
	cr_assert(wb_timeline_count(tl) == (size_t)tasks,
		  "exercise %s: %zu spans recorded for %d tasks - does each child record its task?",
		  ex, wb_timeline_count(tl), tasks);
	cr_assert(wb_timeline_distinct_pids(tl, "cpu") == tasks,
		  "exercise %s: the tasks ran in %d processes, expected %d (one per task)", ex,
		  wb_timeline_distinct_pids(tl, "cpu"), tasks);
	for (size_t i = 0; i < wb_timeline_count(tl); i++)
		cr_assert(wb_timeline_span(tl, i)->pid != getpid(),
			  "exercise %s: a task ran in the parent; every task runs in a child", ex);
	cr_assert(wb_timeline_max_overlap(tl, "cpu") >= 2,
		  "exercise %s: no two tasks ever ran at the same time - are you waiting for each "
		  "child (or reading its result) before forking the next?", ex);
}

static int is_sibling(pid_t pid, void *parent)
{
	return wb_parent_of(pid) == *(pid_t *)parent;
}

/* Run in a child of the test process: SIGKILL every other child of our parent. */
static void kill_siblings(void)
{
	pid_t parent = getppid();
	wb_kill_processes(is_sibling, &parent);
}

/*
 * 3.1 and 3.2 share their main check: T tasks give the right results, each
 * in a process of its own, all reaped, every descriptor closed.
 */
typedef int (*per_task_fn)(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl);

static void check_process_per_task(const char *ex, per_task_fn run, const char *fd_hint)
{
	enum { T = 4 };
	uint64_t items = wb_cpu_items_for(0.05);
	uint64_t results[T] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(64);
	int fds_before = wb_check_open_fds();
	int rc = run(T, items, results, tl);
	REQUIRE_DONE(rc, ex);
	cr_assert(rc == 0, "exercise %s: returned %d, expected 0", ex, rc);
	assert_results(ex, results, T, items);
	assert_process_per_task(ex, tl, T);
	cr_assert(no_children_left(),
		  "exercise %s: a child was never reaped (a zombie is left) - waitpid every child", ex);
	cr_assert(wb_check_open_fds() == fds_before,
		  "exercise %s: %d descriptors more are open after you returned%s", ex,
		  wb_check_open_fds() - fds_before, fd_hint);
	wb_timeline_free(tl);
}

/* --- 3.1 ---------------------------------------------------------------- */

Test(ex3_1, results_processes_and_cleanup, .timeout = 30)
{
	check_process_per_task("3.1", run_forked, " - close both ends of every pipe");
}

Test(ex3_1, a_crashed_child_fails_the_run, .timeout = 30)
{
	/* items so large that the children are still computing when we kill them */
	uint64_t items = wb_cpu_items_for(20.0);
	uint64_t results[2] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(16);
	pid_t killer = fork();
	cr_assert(killer >= 0);
	if (killer == 0) {
		wb_sleep(0.5);
		kill_siblings();
		_exit(0);
	}
	int rc = run_forked(2, items, results, tl);
	waitpid(killer, NULL, 0);
	REQUIRE_DONE(rc, "3.1");
	cr_assert(rc == -1,
		  "exercise 3.1: the children were killed before they wrote a result, yet you "
		  "returned %d - a missing result must fail the run (-1)", rc);
	wb_timeline_free(tl);
}

/* --- 3.2 ---------------------------------------------------------------- */

Test(ex3_2, results_in_shared_memory, .timeout = 30)
{
	check_process_per_task("3.2", run_forked_shared, "");
}

/* --- 3.3 ---------------------------------------------------------------- */

Test(ex3_3, pool_shares_the_tasks, .timeout = 30)
{
	enum { T = 8, W = 3 };
	uint64_t items = wb_cpu_items_for(0.03);
	uint64_t results[T] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(64);
	int fds_before = wb_check_open_fds();
	int rc = run_process_pool(T, W, items, results, tl);
	REQUIRE_DONE(rc, "3.3");
	cr_assert(rc == 0, "exercise 3.3: returned %d, expected 0", rc);
	assert_results("3.3", results, T, items);
	cr_assert(wb_timeline_count(tl) == T, "exercise 3.3: %zu spans recorded for %d tasks",
		  wb_timeline_count(tl), T);
	int seen[T] = { 0 };
	for (size_t i = 0; i < wb_timeline_count(tl); i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		cr_assert(s->worker >= 0 && s->worker < W && s->task >= 0 && s->task < T,
			  "exercise 3.3: a span has worker %d, task %d", s->worker, s->task);
		cr_assert(s->pid != getpid(), "exercise 3.3: a task ran in the parent");
		seen[s->task]++;
	}
	for (int t = 0; t < T; t++)
		cr_assert(seen[t] == 1, "exercise 3.3: task %d ran %d times, expected once", t, seen[t]);
	int procs = wb_timeline_distinct_pids(tl, "cpu");
	cr_assert(procs >= 2 && procs <= W,
		  "exercise 3.3: %d tasks ran in %d processes; a pool of %d should spread them over "
		  "2 to %d worker processes (not one per task)", T, procs, W, W);
	cr_assert(no_children_left(),
		  "exercise 3.3: a worker was never reaped - do all of them see end-of-file on the "
		  "task pipe, and do you wait for each?");
	cr_assert(wb_check_open_fds() == fds_before, "exercise 3.3: %d descriptors leaked",
		  wb_check_open_fds() - fds_before);
	wb_timeline_free(tl);
}

Test(ex3_3, more_workers_than_tasks, .timeout = 20)
{
	enum { T = 2, W = 4 };
	uint64_t items = 1000;
	uint64_t results[T] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(16);
	int rc = run_process_pool(T, W, items, results, tl);
	REQUIRE_DONE(rc, "3.3");
	cr_assert(rc == 0, "exercise 3.3: returned %d with more workers than tasks", rc);
	assert_results("3.3", results, T, items);
	cr_assert(no_children_left(), "exercise 3.3: idle workers must stop and be reaped too");
	wb_timeline_free(tl);
}

/* --- 3.4 ---------------------------------------------------------------- */

Test(ex3_4, measures_real_forks, .timeout = 30)
{
	enum { REPS = 40 };
	struct wb_summary cost = { 0 };
	long before = forks_so_far();
	int rc = measure_fork_wait(REPS, &cost);
	REQUIRE_DONE(rc, "3.4");
	long forked = forks_so_far() - before;
	cr_assert(rc == 0, "exercise 3.4: returned %d", rc);
	cr_assert(forked >= REPS,
		  "exercise 3.4: only %ld processes were created on this machine meanwhile; %d "
		  "fork-and-waits create %d", forked, REPS, REPS);
	cr_assert(cost.count == REPS && cost.min > 0 && cost.min <= cost.median &&
		  cost.median <= cost.max && cost.median < 0.1,
		  "exercise 3.4: the summary says count %d, min %g, median %g, max %g s", cost.count,
		  cost.min, cost.median, cost.max);
	cr_assert(no_children_left(), "exercise 3.4: a child was never waited for");
}

/* --- 3.5 ---------------------------------------------------------------- */

static pid_t child_that(int how)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (how == 1) {
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
		}
		_exit(how == 2 ? 3 : 0);
	}
	return pid;
}

Test(ex3_5, reports_crash_and_exit_status, .timeout = 20)
{
	pid_t pids[3] = { child_that(0), child_that(1), child_that(2) };
	char report[512] = "";
	int rc = wait_for_workers(pids, 3, report, sizeof report);
	REQUIRE_DONE(rc, "3.5");
	cr_assert(rc == -1, "exercise 3.5: two workers failed, yet you returned %d", rc);
	cr_assert(strstr(report, "worker 1 killed by SIGSEGV"),
		  "exercise 3.5: worker 1 crashed; the report should say \"worker 1 killed by "
		  "SIGSEGV\", it says: \"%s\"", report);
	cr_assert(strstr(report, "worker 2 exited with status 3"),
		  "exercise 3.5: worker 2 exited 3; the report should say \"worker 2 exited with "
		  "status 3\", it says: \"%s\"", report);
	cr_assert(!strstr(report, "worker 0"),
		  "exercise 3.5: worker 0 exited cleanly and should not be reported");
	cr_assert(no_children_left(), "exercise 3.5: every child must be reaped, failed or not");
}

Test(ex3_5, all_clean_is_success, .timeout = 20)
{
	pid_t pids[2] = { child_that(0), child_that(0) };
	char report[256] = "";
	int rc = wait_for_workers(pids, 2, report, sizeof report);
	REQUIRE_DONE(rc, "3.5");
	cr_assert(rc == 0 && report[0] == '\0',
		  "exercise 3.5: two clean exits: expected 0 and an empty report, got %d and \"%s\"",
		  rc, report);
	cr_assert(no_children_left(), "exercise 3.5: every child must be reaped");
}
