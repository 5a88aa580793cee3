/*
 * checker.c - the main() of every lab checker (the modes are in checker.h).
 *
 * How a run goes: the exercises are checked one at a time, in the lab's
 * order.  For each, a child process runs that exercise's Criterion tests
 * (suite exK_J) and sends this process one event when a test starts and
 * one when it ends.  So this process knows, at every moment, which test is
 * running and for how long: it prints each exercise's verdict as soon as
 * its last test ends, and when a test runs past WB_CHECK_HANG_S it first
 * notes where each of the test's threads waits (/proc: state and wchan),
 * then stops it and reports it as hung, with that picture.
 *
 * An exercise needs others when its checks run their code (lab 4's forced
 * switching runs on 4.2's switch interval).  If one it needs is not done,
 * it is reported as "skipped (needs 4.2)" instead of being blamed for a
 * mistake that is not its own.
 */
#include "checker.h"
#include "procs.h"
#include "timing.h"

#include <cJSON.h>
#include <criterion/hooks.h>
#include <criterion/options.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_EXERCISES 16

/* Worst last: an exercise's verdict is the worst of its tests'. */
enum verdict { UNKNOWN, PASSED, NOT_DONE, FAILING, TIMED_OUT, CRASHED, SKIPPED };

struct verdict_of_exercise {
	enum verdict verdict;
	int tests;            /* tests that ran */
	int tests_failed;     /* tests that did not pass */
	char why[2048];       /* the first failure's message */
};

static struct verdict_of_exercise verdicts[MAX_EXERCISES];

/* --json FILE: the report in Gradescope's results.json format, rewritten after
 * every exercise (so a checker stopped half-way still leaves what it found). */
static const char *json_path;
static void write_json(const int *chosen);

/* ---- /proc counters for the checks --------------------------------------- */

/* Entries of a /proc directory, but "." and "..". */
static int count_entries(const char *dir)
{
	int n = wb_count_entries(dir);
	if (n < 0)
		cr_assert_fail("cannot open %s: %s", dir, strerror(errno));
	return n;
}

int wb_check_threads(void)
{
	return count_entries("/proc/self/task");
}

unsigned wb_check_cond_waiters(pthread_cond_t *cond)
{
	return __atomic_load_n(&cond->__data.__wrefs, __ATOMIC_RELAXED) >> 3;
}

int wb_check_mutex_has_waiter(pthread_mutex_t *mutex)
{
	return __atomic_load_n(&mutex->__data.__lock, __ATOMIC_RELAXED) == 2;
}

int wb_check_open_fds(void)
{
	/* opendir itself holds one descriptor while counting: take it off */
	return count_entries("/proc/self/fd") - 1;
}

/* ---- The events a runner child sends ------------------------------------ */

enum event_kind { TEST_STARTED, TEST_ENDED };

/* Small enough for one atomic write() on a pipe (PIPE_BUF is 4096). */
struct event {
	enum event_kind kind;
	enum verdict verdict;   /* TEST_ENDED */
	double timeout_s;       /* TEST_STARTED: the test's own limit (0: none) */
	char test[64];
	char why[1024];
};

static int event_fd = -1;   /* in a runner child: where events go */

static void send_event(const struct event *ev)
{
	if (event_fd < 0)
		return;
	ssize_t n;
	do
		n = write(event_fd, ev, sizeof *ev);
	while (n < 0 && errno == EINTR);
}

static const char *first_failed_message(const struct criterion_test_stats *stats)
{
	for (const struct criterion_assert_stats *a = stats->asserts; a; a = a->next)
		if (!a->passed && a->message && *a->message)
			return a->message;
	return stats->message;
}

/* A test has ended: turn Criterion's statistics into a verdict and send it.
 * Criterion may report a test twice (crash, then post-test): send it once. */
static void send_outcome(struct criterion_test_stats *stats)
{
	static const struct criterion_test_stats *last;
	if (stats == last)
		return;
	last = stats;
	struct event ev = { .kind = TEST_ENDED };
	snprintf(ev.test, sizeof ev.test, "%s", stats->test->name);
	const char *msg = first_failed_message(stats);
	if (stats->timed_out) {
		ev.verdict = TIMED_OUT;
		snprintf(ev.why, sizeof ev.why, "did not finish within %.0f s and was stopped",
			 stats->test->data->timeout);
	} else if (stats->crashed) {
		ev.verdict = CRASHED;
		snprintf(ev.why, sizeof ev.why, "crashed with signal %d (%s)%s%s", stats->signal,
			 strsignal(stats->signal), msg ? ": " : "", msg ? msg : "");
	} else if (stats->test_status == CR_STATUS_PASSED) {
		ev.verdict = PASSED;
	} else if (msg && strstr(msg, "not done yet")) {
		ev.verdict = NOT_DONE;
		snprintf(ev.why, sizeof ev.why, "%s", msg);
	} else {
		ev.verdict = FAILING;
		if (msg)
			snprintf(ev.why, sizeof ev.why, "%s", msg);
		else
			snprintf(ev.why, sizeof ev.why, "the check %s stopped with exit status %d "
				 "before it could say why", stats->test->name,
				 stats->exit_code);
	}
	send_event(&ev);
}

/* These run in the runner child (Criterion calls report hooks in its runner). */
ReportHook(PRE_INIT)(struct criterion_test *test)
{
	struct event ev = { .kind = TEST_STARTED, .timeout_s = test->data->timeout };
	snprintf(ev.test, sizeof ev.test, "%s", test->name);
	send_event(&ev);
}

ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
	send_outcome(stats);
}

ReportHook(TEST_CRASH)(struct criterion_test_stats *stats)
{
	send_outcome(stats);
}

/* ---- Processes: the hung test's, and those a check left behind ----------- */

static char self_exe[4096];

static int runs_our_program(pid_t pid)
{
	char path[64], exe[4096];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, sizeof exe - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	return strcmp(exe, self_exe) == 0;
}

struct below {
	pid_t runner;
	char *picture;
	size_t cap;
	int threads;
};

/* A process of the running test: below the runner child, and our program
 * (the test's server is another program: its threads are not the student's). */
static int describe_if_test(pid_t pid, void *arg)
{
	struct below *b = arg;
	if (pid != b->runner && wb_is_descendant(pid, b->runner) && runs_our_program(pid))
		b->threads += wb_describe_threads(pid, b->picture, b->cap);
	return 0;
}

static int is_below_runner(pid_t pid, void *arg)
{
	struct below *b = arg;
	return pid != b->runner && wb_is_descendant(pid, b->runner);
}

/* The test has hung: say where its threads wait, then stop every process below the runner. */
static void stop_hung_test(pid_t runner, char *picture, size_t cap)
{
	struct below b = { runner, picture, cap, 0 };
	picture[0] = '\0';
	wb_kill_processes(describe_if_test, &b);   /* chooses none: it only describes */
	if (b.threads == 0)
		snprintf(picture, cap, "  (its threads could not be read from /proc)\n");
	wb_kill_processes(is_below_runner, &b);
}

/*
 * An orphan of a killed test: our program, in a session of its own whose
 * leader is gone, or that leads it with no program of ours above it.
 * (Criterion starts each test in a session of its own, so a pool worker
 * blocked on a pipe nobody will close outlives its killed test; and a test
 * whose runner was stopped just as it started it is a leader with no parent.)
 */
static int is_leftover(pid_t pid, void *unused)
{
	(void)unused;
	pid_t sid = getsid(pid);
	if (sid <= 0 || sid == getsid(0) || !runs_our_program(pid))
		return 0;
	if (kill(sid, 0) != 0 && errno == ESRCH)
		return 1;
	return sid == pid && !runs_our_program(wb_parent_of(pid));
}

/* Stop the runner and everything below it.  The runner is frozen first, so
 * that it cannot start another test while its tests are being killed. */
static void stop_runner(pid_t runner)
{
	struct below b = { runner, NULL, 0, 0 };
	kill(runner, SIGSTOP);
	wb_kill_processes(is_below_runner, &b);
	kill(runner, SIGKILL);
}

/* ---- Running one exercise ------------------------------------------------ */

static struct criterion_test_set *all_tests;
static int fail_fast = 1;   /* an exercise stops at its first failing check */
static double hang_after_s = WB_CHECK_HANG_S;
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/* "2.2" -> "ex2_2/<asterisk>": Criterion's filter for that exercise's suite. */
static void pattern_of(const char *id, char *out, size_t cap)
{
	snprintf(out, cap, "ex%s/*", id);
	char *dot = strchr(out, '.');
	if (dot)
		*dot = '_';
}

/* The runner child: run one exercise's tests, send the events, exit.  What
 * the tests print on stderr goes to `printed` (it is shown only for an
 * exercise that did not pass: a passing one's expected error lines are noise). */
static _Noreturn void run_tests_in_child(const char *id, int fd, int printed)
{
	static char pattern[32];
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (printed >= 0 && dup2(printed, STDERR_FILENO) < 0)
		_exit(2);
	event_fd = fd;
	pattern_of(id, pattern, sizeof pattern);
	criterion_options.pattern = pattern;
	criterion_options.fail_fast = fail_fast;
	criterion_run_all_tests(all_tests);
	_exit(0);
}

static void note_test_verdict(struct verdict_of_exercise *v, const struct event *ev)
{
	v->tests++;
	if (ev->verdict == PASSED)
		return;
	v->tests_failed++;
	/* the worst test's message is the one to show */
	if (v->verdict == UNKNOWN || v->verdict == PASSED || ev->verdict > v->verdict) {
		v->verdict = ev->verdict;
		snprintf(v->why, sizeof v->why, "%s", ev->why);
	}
}

/* When the running test must be named as hung: just before its own limit, at most hang_after_s. */
static double hang_deadline(double started, double own_timeout)
{
	double limit = hang_after_s;
	if (own_timeout > 1.5 && own_timeout - 1 < limit)
		limit = own_timeout - 1;
	return started + limit;
}

/* The last lines the tests printed (at most `cap` bytes' worth), appended to why. */
static void append_printed(int printed, char *why, size_t cap)
{
	char tail[700];
	off_t size = lseek(printed, 0, SEEK_END);
	if (size <= 0)
		return;
	off_t from = size > (off_t)sizeof tail - 1 ? size - (off_t)sizeof tail + 1 : 0;
	ssize_t n = pread(printed, tail, sizeof tail - 1, from);
	if (n <= 0)
		return;
	tail[n] = '\0';
	const char *start = tail;
	if (from > 0 && strchr(tail, '\n'))
		start = strchr(tail, '\n') + 1;   /* whole lines only */
	size_t used = strlen(why);
	snprintf(why + used, cap - used, "%sWhat it printed on stderr%s:\n%s", used ? "\n" : "",
		 from > 0 ? " (the end)" : "", start);
	used = strlen(why);
	if (used > 0 && why[used - 1] == '\n')
		why[used - 1] = '\0';
}

static void check_exercise(const struct wb_check_exercise *ex, struct verdict_of_exercise *v)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		perror("checker: pipe");
		exit(2);
	}
	FILE *printed_file = tmpfile();
	int printed = printed_file ? fileno(printed_file) : -1;
	fflush(stdout);
	pid_t runner = fork();
	if (runner < 0) {
		perror("checker: fork");
		exit(2);
	}
	if (runner == 0) {
		close(fds[0]);
		run_tests_in_child(ex->id, fds[1], printed);
	}
	close(fds[1]);
	v->verdict = UNKNOWN;
	double started = 0, own_timeout = 0;
	int running = 0, hung = 0;
	char picture[1536], hung_test[64] = "";
	for (;;) {
		if (interrupted) {
			stop_runner(runner);
			waitpid(runner, NULL, 0);
			signal((int)interrupted, SIG_DFL);
			raise((int)interrupted);
		}
		int wait_ms = 200;
		if (running) {
			double left = hang_deadline(started, own_timeout) - wb_now();
			if (left <= 0) {
				stop_hung_test(runner, picture, sizeof picture);
				hung = 1;
				running = 0;
				continue;
			}
			if (left * 1000 < wait_ms)
				wait_ms = (int)(left * 1000) + 1;
		}
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int ready = poll(&p, 1, wait_ms);
		if (ready < 0 && errno != EINTR)
			break;
		if (ready <= 0)
			continue;
		struct event ev;
		ssize_t n = read(fds[0], &ev, sizeof ev);
		if (n == 0)
			break;   /* the runner is done (and so is every test it started) */
		if (n != (ssize_t)sizeof ev)
			continue;
		if (ev.kind == TEST_STARTED) {
			running = 1;
			started = wb_now();
			own_timeout = ev.timeout_s;
			snprintf(hung_test, sizeof hung_test, "%s", ev.test);
			continue;
		}
		running = 0;
		if (hung && strcmp(ev.test, hung_test) == 0) {
			ev.verdict = TIMED_OUT;
			snprintf(ev.why, sizeof ev.why,
				 "%s (check %s) had not returned after %.0f s, so it was stopped. "
				 "Where its threads were waiting:\n%s", ex->function, ev.test,
				 hang_deadline(0, own_timeout), picture);
			hung = 0;
		}
		note_test_verdict(v, &ev);
		if (fail_fast && ev.verdict != PASSED) {
			/* the first failure is what the student needs: stop the exercise here */
			stop_runner(runner);
			break;
		}
	}
	close(fds[0]);
	int status;
	while (waitpid(runner, &status, 0) < 0 && errno == EINTR)
		;
	if (v->tests == 0 && v->verdict == UNKNOWN) {
		v->verdict = CRASHED;
		snprintf(v->why, sizeof v->why, "the checker's runner ended before any check of %s "
			 "reported (exit status %d)", ex->id, status);
	} else if (v->verdict == UNKNOWN) {
		v->verdict = PASSED;
	}
	wb_kill_processes(is_leftover, NULL);
	if (printed >= 0 && v->verdict != PASSED && v->verdict != NOT_DONE)
		append_printed(printed, v->why, sizeof v->why);
	if (printed_file)
		fclose(printed_file);
}

/* ---- Which exercises, in what order -------------------------------------- */

static int index_of(const char *id)
{
	for (int k = 0; k < wb_check_lab.count; k++)
		if (strcmp(wb_check_lab.exercises[k].id, id) == 0)
			return k;
	return -1;
}

/* Does exercise k need exercise j (directly or through others)? */
static int needs(int k, int j)
{
	const char *list = wb_check_lab.exercises[k].needs;
	if (!list)
		return 0;
	char copy[64];
	snprintf(copy, sizeof copy, "%s", list);
	for (char *save, *id = strtok_r(copy, " ,", &save); id; id = strtok_r(NULL, " ,", &save)) {
		int i = index_of(id);
		if (i == j || (i >= 0 && i != k && needs(i, j)))
			return 1;
	}
	return 0;
}

/* The first exercise k needs that is not done, or -1. */
static int missing_need(int k)
{
	for (int j = 0; j < wb_check_lab.count; j++)
		if (j != k && needs(k, j) && verdicts[j].verdict != PASSED)
			return j;
	return -1;
}

static const char *verdict_word(enum verdict v)
{
	switch (v) {
	case PASSED: return "done";
	case NOT_DONE: return "not done";
	case FAILING: return "FAILING";
	case TIMED_OUT: return "HUNG";
	case CRASHED: return "CRASHED";
	case SKIPPED: return "skipped";
	case UNKNOWN: break;
	}
	return "?";
}

static void print_verdict(int k, int show_why)
{
	const struct wb_check_exercise *ex = &wb_check_lab.exercises[k];
	const struct verdict_of_exercise *v = &verdicts[k];
	printf("  %-4s %-9s %s - %s\n", ex->id, verdict_word(v->verdict), ex->function, ex->title);
	if (show_why && (v->verdict == FAILING || v->verdict == TIMED_OUT || v->verdict == CRASHED ||
			 v->verdict == SKIPPED)) {
		/* indent every line of the message under the exercise */
		const char *line = v->why;
		while (*line) {
			size_t len = strcspn(line, "\n");
			printf("       %.*s\n", (int)len, line);
			line += len + (line[len] == '\n');
		}
	}
	fflush(stdout);
}

/*
 * Check the chosen exercises in order.  `honour_needs` skips those whose
 * needs are not done (off for the handout proof, where every check must run).
 */
static void check_all(const int *chosen, int honour_needs, int show_why)
{
	for (int k = 0; k < wb_check_lab.count; k++) {
		if (!chosen[k])
			continue;
		int j = honour_needs ? missing_need(k) : -1;
		if (j >= 0) {
			verdicts[k].verdict = SKIPPED;
			snprintf(verdicts[k].why, sizeof verdicts[k].why,
				 "(needs %s, %s, which is %s: this exercise runs its code)",
				 wb_check_lab.exercises[j].id, wb_check_lab.exercises[j].function,
				 verdict_word(verdicts[j].verdict));
		} else {
			if (isatty(STDOUT_FILENO) && show_why) {
				printf("  %-4s checking %s ...\r", wb_check_lab.exercises[k].id,
				       wb_check_lab.exercises[k].function);
				fflush(stdout);
			}
			check_exercise(&wb_check_lab.exercises[k], &verdicts[k]);
			if (isatty(STDOUT_FILENO) && show_why)
				printf("\033[K");
		}
		if (show_why)
			print_verdict(k, 1);
		if (json_path)
			write_json(chosen);
	}
}

/* ---- --json FILE: Gradescope's results.json --------------------------------- */

/* One exercise as a Gradescope test: 1 point when done, 0 otherwise, the verdict and why. */
static cJSON *exercise_json(int k)
{
	const struct wb_check_exercise *ex = &wb_check_lab.exercises[k];
	const struct verdict_of_exercise *v = &verdicts[k];
	char name[256], output[2200];
	snprintf(name, sizeof name, "%s %s - %s", ex->id, ex->function, ex->title);
	if (v->verdict == UNKNOWN)
		snprintf(output, sizeof output, "not checked: the checker stopped before it got here");
	else if (v->why[0] && v->verdict != PASSED)
		snprintf(output, sizeof output, "%s: %s", verdict_word(v->verdict), v->why);
	else
		snprintf(output, sizeof output, "%s", verdict_word(v->verdict));
	int done = v->verdict == PASSED;
	cJSON *t = cJSON_CreateObject();
	if (!t)
		return NULL;
	cJSON_AddStringToObject(t, "name", name);
	cJSON_AddStringToObject(t, "number", ex->id);
	cJSON_AddNumberToObject(t, "score", done);
	cJSON_AddNumberToObject(t, "max_score", 1);
	cJSON_AddStringToObject(t, "status", done ? "passed" : "failed");
	cJSON_AddStringToObject(t, "output", output);
	cJSON_AddStringToObject(t, "visibility", "visible");
	return t;
}

/* Write the chosen exercises' verdicts so far to json_path (through a temporary file,
 * so that a reader never sees half a file).  A failure to write is said, not fatal. */
static void write_json(const int *chosen)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *tests = doc ? cJSON_AddArrayToObject(doc, "tests") : NULL;
	int done = 0, asked = 0;
	for (int k = 0; tests && k < wb_check_lab.count; k++) {
		if (!chosen[k])
			continue;
		asked++;
		done += verdicts[k].verdict == PASSED;
		cJSON *t = exercise_json(k);
		if (t)
			cJSON_AddItemToArray(tests, t);
	}
	char summary[256];
	snprintf(summary, sizeof summary, "Lab %d (%s): %d/%d exercises done", wb_check_lab.number,
		 wb_check_lab.title, done, asked);
	char *text = NULL;
	if (tests) {
		cJSON_AddNumberToObject(doc, "score", done);
		cJSON_AddStringToObject(doc, "output", summary);
		cJSON_AddStringToObject(doc, "visibility", "visible");
		/* Gradescope reads only its own keys; ours go in extra_data */
		cJSON *extra = cJSON_AddObjectToObject(doc, "extra_data");
		if (extra) {
			cJSON_AddNumberToObject(extra, "lab", wb_check_lab.number);
			cJSON_AddStringToObject(extra, "title", wb_check_lab.title);
			cJSON_AddNumberToObject(extra, "max_score", asked);
		}
		text = cJSON_Print(doc);
	}
	cJSON_Delete(doc);
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", json_path);
	FILE *f = text ? fopen(tmp, "w") : NULL;
	int ok = f && fprintf(f, "%s\n", text) >= 0;
	if (f)
		ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, json_path) != 0)
		fprintf(stderr, "checker: cannot write %s: %s\n", json_path, strerror(errno));
	free(text);
}

/* ---- The modes ------------------------------------------------------------ */

/* make status reads the last full report while the checker has not been rebuilt since
 * (a rebuilt checker means an edited exercises.c): build/bin/checkN -> build/status/labN. */
static void status_cache_path(char *out, size_t cap)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", self_exe);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, cap, "%s/../status/lab%d", dir, wb_check_lab.number);
}

static void save_status(void)
{
	char path[4200], dir[4200];
	status_cache_path(path, sizeof path);
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir(dir, 0777);
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	for (int k = 0; k < wb_check_lab.count; k++)
		fprintf(f, "%d\n", (int)verdicts[k].verdict);
	fclose(f);
}

static int load_status(void)
{
	char path[4200];
	struct stat cache, exe;
	status_cache_path(path, sizeof path);
	if (stat(path, &cache) != 0 || stat(self_exe, &exe) != 0 || cache.st_mtime < exe.st_mtime)
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int k = 0, v;
	while (k < wb_check_lab.count && fscanf(f, "%d", &v) == 1)
		verdicts[k++].verdict = (enum verdict)v;
	fclose(f);
	return k == wb_check_lab.count;
}

static int report(int checking_solution, const int *chosen)
{
	const struct wb_check_lab *lab = &wb_check_lab;
	const char *file = lab->file;
	char solution_file[256];
	if (checking_solution && strncmp(file, "labs/", 5) == 0) {
		snprintf(solution_file, sizeof solution_file, "solutions/%s", file + 5);
		file = solution_file;
	}
	printf("\nLab %d: %s - checking %s\n\n", lab->number, lab->title, file);
	if (json_path)
		write_json(chosen);   /* every exercise "not checked" until its verdict is in */
	check_all(chosen, 1, 1);
	int done = 0, asked = 0;
	for (int k = 0; k < lab->count; k++) {
		asked += chosen[k];
		done += chosen[k] && verdicts[k].verdict == PASSED;
	}
	if (asked == lab->count && !checking_solution)
		save_status();
	printf("\nScore: %d/%d exercises done.%s\n", done, asked,
	       done == asked ? "  Well done!" : "  Edit your file, then run the check again.");
	return done == asked ? 0 : 1;
}

static int status_line(const int *chosen)
{
	const struct wb_check_lab *lab = &wb_check_lab;
	if (!load_status())
		check_all(chosen, 1, 0);
	int done = 0, next = -1;
	char marks[512] = "";
	for (int k = 0; k < lab->count; k++) {
		int ok = verdicts[k].verdict == PASSED;
		done += ok;
		if (!ok && next < 0)
			next = k;
		size_t used = strlen(marks);
		snprintf(marks + used, sizeof marks - used, "  %s %s", ok ? "[x]" : "[ ]",
			 lab->exercises[k].id);
	}
	printf("  lab %-2d %-28s %d/%d %s\n", lab->number, lab->title, done, lab->count, marks);
	if (next >= 0)
		printf("         next: %s %s - %s\n", lab->exercises[next].id,
		       lab->exercises[next].function, lab->exercises[next].title);
	return 0;
}

/* make test, on the handout: every check of every exercise must fail. */
static int expect_not_done(const int *chosen)
{
	check_all(chosen, 0, 0);
	int vacuous = 0, tests = 0;
	for (int k = 0; k < wb_check_lab.count; k++) {
		if (!chosen[k])
			continue;
		const struct verdict_of_exercise *v = &verdicts[k];
		tests += v->tests;
		if (v->tests_failed < v->tests || v->tests == 0) {
			printf("  VACUOUS: %d of %d checks of exercise %s pass on the untouched handout\n",
			       v->tests - v->tests_failed, v->tests, wb_check_lab.exercises[k].id);
			vacuous++;
		}
	}
	printf("  lab %d handout: every exercise checked, %d checks, %s\n", wb_check_lab.number,
	       tests, vacuous ? "SOME PASS" : "all fail as they should");
	return vacuous == 0 && tests > 0 ? 0 : 1;
}

/* make test, on a mutant: the named exercise fails, those that need it are skipped, the rest pass. */
static int expect_failing(int target, const int *chosen)
{
	check_all(chosen, 1, 0);
	const struct verdict_of_exercise *t = &verdicts[target];
	int caught = t->verdict == FAILING || t->verdict == TIMED_OUT || t->verdict == CRASHED;
	int wrong_blame = 0;
	for (int k = 0; k < wb_check_lab.count; k++) {
		if (!chosen[k] || k == target)
			continue;
		enum verdict want = needs(k, target) ? SKIPPED : PASSED;
		if (verdicts[k].verdict != want) {
			printf("  exercise %s is %s, expected %s\n", wb_check_lab.exercises[k].id,
			       verdict_word(verdicts[k].verdict), verdict_word(want));
			if (verdicts[k].verdict != PASSED && verdicts[k].verdict != SKIPPED)
				printf("     %.300s\n", verdicts[k].why);
			wrong_blame++;
		}
	}
	char first_line[200];
	snprintf(first_line, sizeof first_line, "%s", t->why);
	first_line[strcspn(first_line, "\n")] = '\0';
	printf("  %s %s: %s%s%s\n", caught ? "caught," : "NOT CAUGHT,",
	       wb_check_lab.exercises[target].id, verdict_word(t->verdict), *first_line ? ": " : "",
	       first_line);
	return caught && !wrong_blame ? 0 : 1;
}

static _Noreturn void usage(const char *prog, const char *why)
{
	fprintf(stderr, "%s: %s\nusage: %s [--only K] [--status | --expect-not-done | "
		"--expect-failing K] [--hang-after S] [--json FILE] [Criterion options]\n", prog, why, prog);
	exit(2);
}

/* gcc says __SANITIZE_THREAD__, clang says __has_feature(thread_sanitizer). */
#if defined(__SANITIZE_THREAD__)
#define WB_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WB_UNDER_TSAN 1
#endif
#endif

int main(int argc, char **argv)
{
#ifdef WB_UNDER_TSAN
	fprintf(stderr, "%s: a checker cannot run under ThreadSanitizer (Criterion's runner does "
		"not support it); run make tsan%d for your lab program under TSan instead\n",
		argv[0], wb_check_lab.number);
	return 2;
#endif
	enum { REPORT, STATUS, EXPECT_NOT_DONE, EXPECT_FAILING } mode = REPORT;
	const char *only = NULL, *target_id = NULL;
	if (wb_check_lab.hang_after_s > 0)
		hang_after_s = wb_check_lab.hang_after_s;
	/* Take our own flags out; hand the rest to Criterion. */
	int kept = 1;
	for (int i = 1; i < argc; i++) {
		int has_value = i + 1 < argc;
		if (strcmp(argv[i], "--status") == 0) {
			mode = STATUS;
		} else if (strcmp(argv[i], "--expect-not-done") == 0) {
			mode = EXPECT_NOT_DONE;
		} else if (strcmp(argv[i], "--expect-failing") == 0 && has_value) {
			mode = EXPECT_FAILING;
			target_id = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0 && has_value) {
			json_path = argv[++i];
		} else if (strcmp(argv[i], "--only") == 0 && has_value) {
			only = argv[++i];
		} else if (strcmp(argv[i], "--hang-after") == 0 && has_value) {
			hang_after_s = atof(argv[++i]);
			if (hang_after_s <= 0)
				usage(argv[0], "--hang-after takes a number of seconds");
		} else {
			argv[kept++] = argv[i];
		}
	}
	argc = kept;
	argv[argc] = NULL;
	if (wb_check_lab.count > MAX_EXERCISES)
		usage(argv[0], "too many exercises for checker.c");
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	self_exe[n > 0 ? n : 0] = '\0';
	size_t len = strlen(argv[0]);
	int checking_solution = len > 9 && strcmp(argv[0] + len - 9, "-solution") == 0;

	/* --only K (and --expect-failing K) check K and the exercises that need it. */
	int chosen[MAX_EXERCISES];
	int target = -1;
	if (target_id && !only)
		only = target_id;
	if (target_id && (target = index_of(target_id)) < 0)
		usage(argv[0], "--expect-failing names no exercise of this lab");
	int from = only ? index_of(only) : -1;
	if (only && from < 0)
		usage(argv[0], "--only names no exercise of this lab");
	/* K, the exercises K needs (they must be seen to pass first), and those that need K */
	for (int k = 0; k < wb_check_lab.count; k++)
		chosen[k] = !only || k == from || needs(k, from) || needs(from, k);
	if (mode == EXPECT_FAILING && getenv("WB_CHECK_ALL"))
		for (int k = 0; k < wb_check_lab.count; k++)
			chosen[k] = 1;

	/* The placeholders' "not done yet" lines would drown the report. */
	setenv("WB_QUIET_TODO", "1", 1);

	all_tests = criterion_initialize();
	if (!criterion_handle_args(argc, argv, true)) {
		criterion_finalize(all_tests);
		return 2;
	}
	/* Our report replaces Criterion's per-test log.  One test at a time: the
	 * checks measure overlap and timing, and must not compete for the cores. */
	/* A logger that says nothing: Criterion's quiet level would also swallow what
	 * a dying check prints on stderr, which is often the one useful line. */
	static struct criterion_logger silent;
	criterion_options.logger = &silent;
	criterion_options.jobs = 1;
	criterion_options.always_succeed = true;

	struct sigaction sa = { .sa_handler = on_interrupt };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	int rc;
	switch (mode) {
	case STATUS: rc = status_line(chosen); break;
	case EXPECT_NOT_DONE:
		fail_fast = 0;   /* every single check must be seen to fail */
		rc = expect_not_done(chosen);
		break;
	case EXPECT_FAILING: rc = expect_failing(target, chosen); break;
	default: rc = report(checking_solution, chosen); break;
	}
	criterion_finalize(all_tests);
	return rc;
}
