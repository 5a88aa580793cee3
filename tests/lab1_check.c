/*
 * tests/lab1_check.c - the checker for lab 1 (make check1).
 *
 * Each test calls one of your exercise functions and checks what it did,
 * not what it printed.  The checks hold on a busy 2-core machine: a time you
 * measured is compared with what the test itself measured around your call
 * (nothing inside a call can take longer than the call), and with what the
 * server is known to take (it never answers /delay/s before s seconds), never
 * with a tight figure.  The server is started by each test (its own process).
 *
 * One Criterion test per exercise, running that exercise's checks in order.
 * When a check fails, the checker stops Criterion's runner at once; a runner
 * stopped just as it was starting a next test of the same exercise would
 * leave that test's process behind, stopped before it ever ran.  With one
 * test per exercise there is no next test.
 */
#include "checker.h"
#include "exercises.h"
#include "server.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct wb_check_exercise exercises[] = {
	{ "1.1", "time_one_request", "time one request", NULL },
	{ "1.2", "fetch_sequentially", "fetch N URLs one after another", NULL },
	{ "1.3", "run_tasks_sequentially", "run T CPU tasks one after another", NULL },
	{ "1.4", "profile_workload", "measure wall vs CPU time, and classify", NULL },
	{ "1.5", "predict_sequential_time", "predict before you measure", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 1,
	.title = "the sequential baseline",
	.file = "labs/01-sequential/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

/* A port nothing listens on: connecting fails at once. */
#define DEAD_URL "http://127.0.0.1:1/get"

/* Two clock readings a moment apart may differ by this much on a busy machine. */
#define SLACK_S 0.05

/* The server may wake a hair early, and %g rounds: a /delay/s answer takes at least this less. */
#define EARLY_S 0.01

static void delay_url(char *buf, size_t cap, double seconds)
{
	wb_url(buf, cap, wb_server_url(NULL), "/delay/%g", seconds);
}

static struct wb_server_stats server_stats(void)
{
	struct wb_server_stats st;
	char err[256];
	cr_assert(wb_server_stats(wb_server_url(NULL), 0, &st, err, sizeof err) == 0,
		  "checker: cannot read the lab server's /stats: %s", err);
	return st;
}

/* --- Durations ---------------------------------------------------------- */

/*
 * A duration the student measured, and what it must be: at least `lo`, at
 * most `hi`, each with a margin that the messages do not show.  `lo_why` and
 * `hi_why` end in the figure they introduce: "... took" 0.302 s.  t0 and t1
 * are the test's own wb_now() readings around the call, to recognise a
 * clock reading.
 */
struct duration_check {
	const char *fn;          /* the function at fault */
	const char *what;        /* "*seconds", "times[2]" */
	double lo, lo_slack, hi, hi_slack;
	const char *lo_why;      /* "the server does not answer /delay/0.3 before" */
	const char *hi_why;      /* "the whole call took" */
	const char *short_hint;  /* where to look when it is too short */
	const char *long_hint;   /* where to look when it is too long */
	double t0, t1;
};

static void assert_duration(const struct duration_check *c, double got)
{
	double lo = c->lo - c->lo_slack, hi = c->hi + c->hi_slack;
	if (got >= lo && got <= hi)
		return;
	/* The likely mistakes first, each with its own message. */
	cr_assert(!(got >= c->t0 - SLACK_S && got <= c->t1 + SLACK_S),
		  "%s: %s = %.3f, which is a reading of the clock (wb_now() read %.3f to %.3f "
		  "during the call), not a duration - store end - start, the difference of two "
		  "readings", c->fn, c->what, got, c->t0, c->t1);
	cr_assert(!(got >= 1 && got / 1000 >= lo && got / 1000 <= hi),
		  "%s: %s = %.1f, but %s %.3f s - is your unit seconds?  %.1f milliseconds would "
		  "fit; wb_now() and the stopwatch count seconds: store them as they are",
		  c->fn, c->what, got, c->hi_why, c->hi, got);
	cr_assert(got >= lo, "%s: %s = %.3f s, but %s %.3f s - %s", c->fn, c->what, got,
		  c->lo_why, c->lo, c->short_hint);
	cr_assert(got <= hi, "%s: %s = %.3f s, but %s %.3f s - %s", c->fn, c->what, got,
		  c->hi_why, c->hi, c->long_hint);
}

/* --- 1.1 ---------------------------------------------------------------- */

static void times_a_delayed_request(void)
{
	const double delay = 0.3;
	char url[256];
	double seconds = -1;
	delay_url(url, sizeof url, delay);
	double t0 = wb_now();
	int rc = time_one_request(url, &seconds);
	double t1 = wb_now();
	REQUIRE_DONE(rc, "1.1");
	cr_assert(rc == 0, "time_one_request: GET %s returned %d, expected 0 - the server is up "
		  "and answers 200; a request that worked returns 0", url, rc);
	struct duration_check c = {
		.fn = "time_one_request", .what = "*seconds",
		.lo = delay, .lo_slack = EARLY_S,
		.lo_why = "the server does not answer /delay/0.3 before",
		.short_hint = "start the stopwatch before wb_http_fetch, and read it only after "
			      "wb_http_fetch returns (a wall-clock stopwatch, not clock(), which "
			      "counts CPU time)",
		.hi = t1 - t0, .hi_slack = 0.001, .hi_why = "the whole call to time_one_request took",
		.long_hint = "read the stopwatch (wb_stopwatch_elapsed) right after the request, "
			     "in seconds",
		.t0 = t0, .t1 = t1,
	};
	assert_duration(&c, seconds);
}

static void reports_a_dead_server(void)
{
	double seconds = 0;
	int rc = time_one_request(DEAD_URL, &seconds);
	REQUIRE_DONE(rc, "1.1");
	cr_assert(rc == -1,
		  "time_one_request: GET %s (nothing listens there) returned %d; a failed request "
		  "must return -1 - check what wb_http_fetch returns, and print result.error",
		  DEAD_URL, rc);
}

/* One test per exercise, its checks in order (see the top of the file). */
Test(ex1_1, times_requests, .timeout = 10)
{
	times_a_delayed_request();
	reports_a_dead_server();
}

/* --- 1.2 ---------------------------------------------------------------- */

/* Each URL its own delay: a time stored in another URL's slot shows. */
enum { N_FETCH = 4 };
static const double fetch_delays[N_FETCH] = { 0.2, 0.05, 0.3, 0.1 };

/* Span k of a sequential fetch: who, which request, and within the call. */
static void assert_fetch_span(const struct wb_timeline *tl, int k, double t0, double t1)
{
	const struct wb_span *s = wb_timeline_span(tl, (size_t)k);
	cr_assert(s, "fetch_sequentially: span %d is missing from the timeline", k);
	cr_assert(strcmp(s->kind, "fetch") == 0,
		  "fetch_sequentially: span %d has kind \"%s\", expected \"fetch\"", k, s->kind);
	cr_assert(s->worker == 0,
		  "fetch_sequentially: span %d has worker %d, expected 0 - in sequential code one "
		  "worker makes every request: wb_timeline_record(tl, 0, i, ...)", k, s->worker);
	cr_assert(s->task == k,
		  "fetch_sequentially: span %d (the request for urls[%d]) has task %d, expected %d - "
		  "the task is the request's index i: wb_timeline_record(tl, 0, i, ...)",
		  k, k, s->task, k);
	cr_assert(s->start >= t0 - 0.001 && s->end <= t1 + 0.001 && s->end >= s->start,
		  "fetch_sequentially: span %d runs from %.3f to %.3f, but your call ran from "
		  "%.3f to %.3f by wb_now() - record the wb_now() readings taken just before and "
		  "just after the request (start, end), not a duration or times since the run "
		  "began", k, s->start, s->end, t0, t1);
	cr_assert(s->end - s->start >= fetch_delays[k] - EARLY_S,
		  "fetch_sequentially: span %d lasts %.3f s, but the server waits %.2f s before it "
		  "answers urls[%d] - read the end time after wb_http_fetch returns", k,
		  s->end - s->start, fetch_delays[k], k);
	if (k > 0) {
		const struct wb_span *prev = wb_timeline_span(tl, (size_t)k - 1);
		cr_assert(s->start >= prev->end - 1e-6,
			  "fetch_sequentially: span %d starts at %.3f, before span %d ends (%.3f) - "
			  "one after another, in order: urls[0], then urls[1], ...", k, s->start,
			  k - 1, prev->end);
	}
}

static void one_after_another(void)
{
	char url_store[N_FETCH][256];
	const char *urls[N_FETCH];
	double times[N_FETCH], total_delay = 0;
	for (int i = 0; i < N_FETCH; i++) {
		delay_url(url_store[i], sizeof url_store[i], fetch_delays[i]);
		urls[i] = url_store[i];
		times[i] = -1;
		total_delay += fetch_delays[i];
	}
	struct wb_timeline *tl = wb_timeline_new(64);
	struct wb_server_stats st;
	char err[256];
	cr_assert(wb_server_stats(wb_server_url(NULL), 1, &st, err, sizeof err) == 0,
		  "checker: cannot reset the lab server's /stats: %s", err);

	double t0 = wb_now();
	int rc = fetch_sequentially(urls, N_FETCH, times, tl);
	double t1 = wb_now();
	REQUIRE_DONE(rc, "1.2");
	cr_assert(rc == 0, "fetch_sequentially: fetching %d URLs from a working server returned "
		  "%d, expected 0", N_FETCH, rc);
	cr_assert(wb_timeline_count(tl) == N_FETCH,
		  "fetch_sequentially: the timeline holds %zu spans, expected one per request (%d) - "
		  "call wb_timeline_record once for each request, after it ends",
		  wb_timeline_count(tl), N_FETCH);
	for (int k = 0; k < N_FETCH; k++)
		assert_fetch_span(tl, k, t0, t1);
	for (int i = 0; i < N_FETCH; i++) {
		const struct wb_span *s = wb_timeline_span(tl, (size_t)i);
		char what[32], lo_why[96];
		snprintf(what, sizeof what, "times[%d]", i);
		snprintf(lo_why, sizeof lo_why, "the server does not answer urls[%d] before", i);
		struct duration_check c = {
			.fn = "fetch_sequentially", .what = what,
			.lo = fetch_delays[i], .lo_slack = EARLY_S, .lo_why = lo_why,
			.short_hint = "read the clock again after wb_http_fetch returns, and store "
				      "the time of urls[i] in times[i]",
			.hi = s->end - s->start, .hi_slack = SLACK_S,
			.hi_why = "the request itself (its span on your timeline) took",
			.long_hint = "times[i] is the time of request i alone (end - start of that "
				     "request), not the time since the run began, and it goes in "
				     "the slot of urls[i]",
			.t0 = t0, .t1 = t1,
		};
		assert_duration(&c, times[i]);
	}
	cr_assert(t1 - t0 >= total_delay - EARLY_S,
		  "fetch_sequentially: requests that wait %.2f s in all took only %.3f s - they "
		  "cannot have run one after another", total_delay, t1 - t0);
	st = server_stats();
	cr_assert(st.peak_in_flight == 1,
		  "fetch_sequentially: the server saw %ld requests at once; sequential means one at "
		  "a time", st.peak_in_flight);
	wb_timeline_free(tl);
}

static void stops_at_a_failure(void)
{
	char url[256];
	wb_url(url, sizeof url, wb_server_url(NULL), "/get");
	const char *urls[3] = { url, DEAD_URL, url };
	double times[3] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(16);
	long served_before = server_stats().requests_served;
	int rc = fetch_sequentially(urls, 3, times, tl);
	REQUIRE_DONE(rc, "1.2");
	cr_assert(rc == -1,
		  "fetch_sequentially: urls[1] points at a dead server, yet you returned %d "
		  "(expected -1) - check what wb_http_fetch returns for every request", rc);
	long served = server_stats().requests_served - served_before;
	cr_assert(served == 1,
		  "fetch_sequentially: urls = { /get, a dead server, /get }: the server answered "
		  "%ld request(s), expected 1 - stop at the first failure and return -1 at once, "
		  "without making the requests after it", served);
	wb_timeline_free(tl);
}

Test(ex1_2, fetches_one_after_another, .timeout = 10)
{
	one_after_another();
	stops_at_a_failure();
}

/* --- 1.3 ---------------------------------------------------------------- */

static double thread_cpu_now(void)
{
	struct timespec ts;
	cr_assert(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0, "checker: clock_gettime: %s",
		  strerror(errno));
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Why results[i] may be wrong, from the wrong answers a student is likely to compute. */
static const char *wrong_result_hint(int tasks, int i, uint64_t items, uint64_t got)
{
	if (got == wb_cpu_sum((uint64_t)i, items))
		return " - that is wb_cpu_sum(i, items): task i's range starts at i * items";
	if (got == wb_cpu_sum((uint64_t)i * items, (uint64_t)(i + 1) * items))
		return " - the second argument of wb_cpu_sum is how many items (items), not where "
		       "the range ends";
	for (int j = 0; j < tasks; j++)
		if (j != i && got == wb_cpu_sum((uint64_t)j * items, items))
			return " - that is another task's result: store task i's in results[i]";
	return " - task i covers the items [i * items, (i + 1) * items)";
}

/* Exactly one span for each task, each by worker 0, of kind "cpu", within the call. */
static void assert_task_spans(const struct wb_timeline *tl, int tasks, double t0, double t1)
{
	int seen[16] = { 0 };
	cr_assert(wb_timeline_count(tl) == (size_t)tasks,
		  "run_tasks_sequentially: the timeline holds %zu spans, expected one per task (%d) "
		  "- call wb_timeline_record once for each task", wb_timeline_count(tl), tasks);
	for (int k = 0; k < tasks; k++) {
		const struct wb_span *s = wb_timeline_span(tl, (size_t)k);
		cr_assert(s, "run_tasks_sequentially: span %d is missing from the timeline", k);
		cr_assert(strcmp(s->kind, "cpu") == 0,
			  "run_tasks_sequentially: span %d has kind \"%s\", expected \"cpu\"", k,
			  s->kind);
		cr_assert(s->worker == 0,
			  "run_tasks_sequentially: span %d has worker %d, expected 0 - in sequential "
			  "code one worker runs every task: wb_timeline_record(tl, 0, i, ...)", k,
			  s->worker);
		cr_assert(s->task >= 0 && s->task < tasks && !seen[s->task],
			  "run_tasks_sequentially: span %d has task %d - expected each task 0 .. %d "
			  "exactly once: wb_timeline_record(tl, 0, i, \"cpu\", start, end)", k,
			  s->task, tasks - 1);
		seen[s->task] = 1;
		cr_assert(s->start >= t0 - 0.001 && s->end <= t1 + 0.001 && s->end >= s->start,
			  "run_tasks_sequentially: span %d runs from %.3f to %.3f, but your call ran "
			  "from %.3f to %.3f by wb_now() - record the wb_now() readings taken just "
			  "before and just after the task", k, s->start, s->end, t0, t1);
	}
	cr_assert(wb_timeline_max_overlap(tl, "cpu") == 1,
		  "run_tasks_sequentially: your task spans overlap; tasks one after another never do");
}

Test(ex1_3, right_results_and_spans, .timeout = 10)
{
	enum { T = 4 };
	const uint64_t items = 5000000;
	const uint64_t unset = 0xdeadbeefULL;
	uint64_t results[T] = { unset, unset, unset, unset };
	struct wb_timeline *tl = wb_timeline_new(16);
	double cpu0 = thread_cpu_now(), t0 = wb_now();
	int rc = run_tasks_sequentially(T, items, results, tl);
	double t1 = wb_now(), cpu = thread_cpu_now() - cpu0;
	REQUIRE_DONE(rc, "1.3");
	cr_assert(rc == 0, "run_tasks_sequentially: returned %d, expected 0", rc);
	for (int i = 0; i < T; i++) {
		uint64_t want = wb_cpu_sum((uint64_t)i * items, items);
		if (results[i] != want)
			cr_assert_fail("run_tasks_sequentially: %d tasks of %llu items: results[%d] = "
				       "%llu, expected wb_cpu_sum(%d * items, items) = %llu%s", T,
				       (unsigned long long)items, i,
				       (unsigned long long)results[i], i, (unsigned long long)want,
				       wrong_result_hint(T, i, items, results[i]));
	}
	assert_task_spans(tl, T, t0, t1);
	/* Spans that cover the computing add up to at least the CPU time it took
	 * (on one thread, CPU time never exceeds wall time): load cannot fool this. */
	double covered = 0;
	for (int k = 0; k < T; k++) {
		const struct wb_span *s = wb_timeline_span(tl, (size_t)k);
		covered += s->end - s->start;
	}
	cr_assert(covered >= 0.5 * cpu,
		  "run_tasks_sequentially: your spans add up to %.4f s, but the tasks computed for "
		  "%.4f s of CPU time - each span must cover its task: read the clock just before "
		  "wb_cpu_sum and again after it returns", covered, cpu);
	wb_timeline_free(tl);
}

/* --- 1.4 ---------------------------------------------------------------- */

enum { N_SLEEPS = 8 };

/* I/O-like work: it waits N_SLEEPS times, giving up the CPU at each wait. */
static int sleeping_work(void *arg)
{
	double each = *(double *)arg / N_SLEEPS;
	for (int i = 0; i < N_SLEEPS; i++)
		wb_sleep(each);
	return 0;
}

/* Pure computation for *arg seconds of wall time: it never waits on anything. */
static int spinning_work(void *arg)
{
	double until = wb_now() + *(double *)arg;
	volatile uint64_t sink = 0;
	while (wb_now() < until)
		sink += wb_cpu_sum(sink, 20000);
	return 0;
}

static int failing_work(void *arg)
{
	(void)arg;
	return 7;
}

/*
 * Block a few dozen times, as any program has before it profiles something:
 * then switches counted since the process began differ plainly from those
 * counted during the work.
 */
static void block_a_while(void)
{
	for (int i = 0; i < 40; i++)
		wb_sleep(0.0005);
}

/* What the test measures around the call, to hold the student's figures against. */
struct reference {
	double t0, t1;       /* wb_now() */
	double cpu_s;        /* this process's CPU time during the call */
	double waited_s;     /* this thread's time waiting for a core during the call */
	long voluntary, involuntary;   /* switches during the call */
	struct rusage before, after;   /* the process's totals around it */
};

static double process_cpu_now(void)
{
	struct timespec ts;
	cr_assert(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0,
		  "checker: clock_gettime: %s", strerror(errno));
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void reference_begin(struct reference *r)
{
	cr_assert(getrusage(RUSAGE_SELF, &r->before) == 0, "checker: getrusage: %s",
		  strerror(errno));
	r->waited_s = wb_waited_now();
	r->cpu_s = process_cpu_now();
	r->t0 = wb_now();
}

static void reference_end(struct reference *r)
{
	r->t1 = wb_now();
	r->cpu_s = process_cpu_now() - r->cpu_s;
	r->waited_s = wb_waited_now() - r->waited_s;
	cr_assert(getrusage(RUSAGE_SELF, &r->after) == 0, "checker: getrusage: %s",
		  strerror(errno));
	r->voluntary = r->after.ru_nvcsw - r->before.ru_nvcsw;
	r->involuntary = r->after.ru_nivcsw - r->before.ru_nivcsw;
}

static enum workload_kind kind_by_the_rule(const struct workload_profile *p)
{
	return p->cpu_s + p->waited_s >= 0.5 * p->wall_s ? WORKLOAD_CPU_BOUND : WORKLOAD_IO_BOUND;
}

static const char *kind_name(enum workload_kind k)
{
	if (k == WORKLOAD_CPU_BOUND)
		return "CPU-bound";
	return k == WORKLOAD_IO_BOUND ? "I/O-bound" : "neither kind";
}

/* The fewest switches of a kind the work can have made, when the whole call made `ref`:
 * a few may fall outside the student's window, in the call but not in the work. */
static long fewest_switches(long ref)
{
	return ref - ref / 4 - 2;
}

/* One switch count as the student stored it, and what the test counted around the call. */
struct switch_count {
	const char *field;    /* "voluntary_switches" */
	const char *from;     /* "ru_nvcsw" */
	long got;
	long ref;             /* this kind, during the call */
	long other_ref;       /* the other kind, during the call: to recognise the two swapped */
	long total_before, total_after;   /* this kind since the process began, around the call */
};

/*
 * The student's window lies inside the call, so the count can be no larger
 * than the test's, and hardly smaller.  The likely mistakes are recognised
 * first: a total since the process began, or the other kind's count.
 */
static void assert_switches(const struct switch_count *c)
{
	if (c->got <= c->ref && c->got >= fewest_switches(c->ref))
		return;
	cr_assert(!(c->got >= c->total_before && c->got <= c->total_after),
		  "profile_workload: %s = %ld, which is this process's total since it began, "
		  "not the work's: it made %ld such switches during the call - store the change "
		  "in %s of getrusage(RUSAGE_SELF): after the work minus before it", c->field,
		  c->got, c->ref, c->from);
	cr_assert(!(c->got <= c->other_ref && c->got >= fewest_switches(c->other_ref)),
		  "profile_workload: %s = %ld, but this process made %ld such switches during the "
		  "call, and %ld of the other kind - are the two swapped?  ru_nvcsw counts "
		  "voluntary switches, ru_nivcsw involuntary ones", c->field, c->got, c->ref,
		  c->other_ref);
	cr_assert_fail("profile_workload: %s = %ld, but this process made %ld such switches "
		       "during the call, nearly all of them inside the work - store the change "
		       "in %s of getrusage(RUSAGE_SELF) from before the work to after it",
		       c->field, c->got, c->ref, c->from);
}

/*
 * Every figure of a profile against the test's reference, then the kind
 * against the rule in exercises.h applied to the student's own figures.
 * `least_wall` is how long the work takes at the least.
 */
static void assert_profile(const struct workload_profile *p, const struct reference *r,
			   double least_wall)
{
	struct duration_check wall = {
		.fn = "profile_workload", .what = "wall_s",
		.lo = least_wall, .lo_slack = EARLY_S, .lo_why = "the work runs by the clock for",
		.short_hint = "wall time is elapsed time on a clock (wb_usage's wall_s, or "
			      "wb_now()), not CPU time such as clock() gives",
		.hi = r->t1 - r->t0, .hi_slack = 0.001,
		.hi_why = "the whole call to profile_workload took",
		.long_hint = "read the clock just before work(arg) and just after it",
		.t0 = r->t0, .t1 = r->t1,
	};
	assert_duration(&wall, p->wall_s);
	/* As low as half, for a CPU clock that lags; never below 0. */
	double lo_slack = fmin(0.5 * r->cpu_s + 0.01, r->cpu_s);
	struct duration_check cpu = {
		.fn = "profile_workload", .what = "cpu_s",
		.lo = r->cpu_s, .lo_slack = lo_slack,
		.lo_why = "during the call this process computed for",
		.short_hint = "CPU time is what this process computed while the work ran "
			      "(wb_usage's cpu_s)",
		.hi = r->cpu_s, .hi_slack = 0.01,
		.hi_why = "during the whole call this process computed for only",
		.long_hint = "CPU time is what this process computed (wb_usage's cpu_s), not the "
			     "wall time",
		.t0 = r->t0, .t1 = r->t1,
	};
	assert_duration(&cpu, p->cpu_s);
	double share = p->wall_s > 0 ? p->cpu_s / p->wall_s : 0;
	cr_assert(fabs(p->cpu_share - share) <= 1e-6 * (1 + share),
		  "profile_workload: cpu_share = %.4f, but cpu_s / wall_s = %.3f / %.3f = %.4f",
		  p->cpu_share, p->cpu_s, p->wall_s, share);
	const struct switch_count voluntary = {
		"voluntary_switches", "ru_nvcsw", p->voluntary_switches, r->voluntary,
		r->involuntary, r->before.ru_nvcsw, r->after.ru_nvcsw,
	};
	const struct switch_count involuntary = {
		"involuntary_switches", "ru_nivcsw", p->involuntary_switches, r->involuntary,
		r->voluntary, r->before.ru_nivcsw, r->after.ru_nivcsw,
	};
	assert_switches(&voluntary);
	assert_switches(&involuntary);
	/* The wait for a core comes from the kernel; the test read it around the whole call. */
	cr_assert(p->waited_s >= 0 && p->waited_s <= r->waited_s + 0.005 &&
			  p->waited_s >= 0.5 * r->waited_s - 0.02,
		  "profile_workload: waited_s = %.3f s, but this thread waited %.3f s for a core "
		  "during the whole call - store wb_usage's waited_s over the work", p->waited_s,
		  r->waited_s);
	enum workload_kind want = kind_by_the_rule(p);
	cr_assert(p->kind == want,
		  "profile_workload: kind is %s, but your own figures (wall %.3f s, cpu %.3f s, "
		  "waited for a core %.3f s) make it %s - the rule (exercises.h): CPU-bound when "
		  "cpu_s + waited_s >= wall_s / 2, else I/O-bound",
		  kind_name(p->kind), p->wall_s, p->cpu_s, p->waited_s, kind_name(want));
}

/* Profile `work` the way every 1.4 test does, with the test's reference around it. */
static int profile_measured(int (*work)(void *), double seconds, struct workload_profile *p,
			    struct reference *r)
{
	block_a_while();
	reference_begin(r);
	int rc = profile_workload(work, &seconds, p);
	reference_end(r);
	return rc;
}

static void waiting_is_io_bound(void)
{
	struct workload_profile p = { .kind = WORKLOAD_CPU_BOUND };
	struct reference r;
	int rc = profile_measured(sleeping_work, 0.32, &p, &r);
	REQUIRE_DONE(rc, "1.4");
	cr_assert(rc == 0, "profile_workload: returned %d for a workload that succeeded", rc);
	assert_profile(&p, &r, 0.32);
	cr_assert(p.voluntary_switches >= N_SLEEPS,
		  "profile_workload: the work slept %d times, so it gave up the CPU at least %d "
		  "times, yet voluntary_switches = %ld - store the change in ru_nvcsw over the work",
		  N_SLEEPS, N_SLEEPS, p.voluntary_switches);
	cr_assert(p.kind == WORKLOAD_IO_BOUND,
		  "profile_workload: work that only sleeps (cpu share %.2f, blocked %ld times, "
		  "preempted %ld times) must be classified I/O-bound", p.cpu_share,
		  p.voluntary_switches, p.involuntary_switches);
}

static void computing_is_cpu_bound(void)
{
	struct workload_profile p = { .kind = WORKLOAD_IO_BOUND };
	struct reference r;
	int rc = profile_measured(spinning_work, 0.3, &p, &r);
	REQUIRE_DONE(rc, "1.4");
	cr_assert(rc == 0, "profile_workload: returned %d for a workload that succeeded", rc);
	assert_profile(&p, &r, 0.3);
	cr_assert(p.kind == WORKLOAD_CPU_BOUND,
		  "profile_workload: pure computation (cpu share %.2f, blocked %ld times, "
		  "preempted %ld times) must be classified CPU-bound", p.cpu_share,
		  p.voluntary_switches, p.involuntary_switches);
}

/* --- 1.4 on a loaded machine --------------------------------------------- */

#define MAX_HOGS 256

/* Busy programs, one pinned to each core this process may use. */
struct hogs {
	pid_t pid[MAX_HOGS];
	int count;
};

static _Noreturn void hog_main(int cpu, pid_t parent, int ready_fd)
{
	/* Die with the test, however it ends. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(1);
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	(void)sched_setaffinity(0, sizeof one, &one);   /* unpinned, it still loads the machine */
	char byte = 1;
	ssize_t n = write(ready_fd, &byte, 1);
	(void)n;   /* nothing to do if it failed: the test stops waiting at end of file */
	close(ready_fd);
	volatile uint64_t sink = 0;
	for (;;)
		sink += wb_cpu_mix(sink);
}

/* Stop and reap them all: kill first, then wait, so no hog outlives the test. */
static void hogs_stop(struct hogs *h)
{
	for (int i = 0; i < h->count; i++)
		kill(h->pid[i], SIGKILL);
	for (int i = 0; i < h->count; i++)
		while (waitpid(h->pid[i], NULL, 0) < 0 && errno == EINTR)
			;
	h->count = 0;
}

/*
 * One hog per core (wb_cores()), each spinning at this process's priority,
 * then this process lowered by 10 nice levels: the hogs win every core, so
 * the work gets about a tenth of one and its cpu_share falls far below 0.5,
 * as on a machine far busier than 2 programs on 2 cores.
 */
static void hogs_start(struct hogs *h)
{
	cpu_set_t mine;
	cr_assert(sched_getaffinity(0, sizeof mine, &mine) == 0, "checker: sched_getaffinity: %s",
		  strerror(errno));
	int fds[2];
	cr_assert(pipe(fds) == 0, "checker: pipe: %s", strerror(errno));
	pid_t parent = getpid();
	h->count = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE && h->count < MAX_HOGS; cpu++) {
		if (!CPU_ISSET(cpu, &mine))
			continue;
		pid_t pid = fork();
		if (pid == 0)
			hog_main(cpu, parent, fds[1]);
		if (pid < 0) {
			hogs_stop(h);
			cr_assert_fail("checker: fork: %s", strerror(errno));
		}
		h->pid[h->count++] = pid;
	}
	close(fds[1]);
	char byte;
	for (int i = 0; i < h->count; i++)
		if (read(fds[0], &byte, 1) != 1)
			break;   /* a hog died before it started: the others still load */
	close(fds[0]);
	errno = 0;
	if (nice(10) == -1 && errno != 0) {
		hogs_stop(h);
		cr_assert_fail("checker: nice: %s", strerror(errno));
	}
	/* Let the scheduler place everyone before the work starts. */
	double one_tenth = 0.1;
	spinning_work(&one_tenth);
}

/* Both workloads profiled beside the same hogs, which are stopped before anything is judged. */
struct busy_run {
	struct workload_profile computing, waiting;
	struct reference computing_ref, waiting_ref;
	int computing_rc, waiting_rc;
	int hogs;
};

static void profile_on_a_busy_machine(struct busy_run *b)
{
	struct hogs h;
	hogs_start(&h);
	b->hogs = h.count;
	b->computing.kind = WORKLOAD_IO_BOUND;
	b->computing_rc = profile_measured(spinning_work, 0.4, &b->computing, &b->computing_ref);
	b->waiting.kind = WORKLOAD_CPU_BOUND;
	b->waiting_rc = profile_measured(sleeping_work, 0.32, &b->waiting, &b->waiting_ref);
	hogs_stop(&h);
}

static void classifies_on_a_busy_machine(void)
{
	struct busy_run b;
	profile_on_a_busy_machine(&b);
	const struct workload_profile *p = &b.computing;
	REQUIRE_DONE(b.computing_rc, "1.4");
	cr_assert(b.computing_rc == 0, "profile_workload: returned %d for a workload that "
		  "succeeded", b.computing_rc);
	assert_profile(p, &b.computing_ref, 0.4);
	cr_assert(p->kind == WORKLOAD_CPU_BOUND,
		  "profile_workload: pure computation beside %d busy programs (one per core) got "
		  "only %.0f%% of the wall clock, and you classified it I/O-bound - it never waited "
		  "on anything but a core (%.3f s of its %.3f s; preempted %ld times, blocked %ld "
		  "times).  A low cpu_share alone is no proof of waiting; see the rule in "
		  "exercises.h", b.hogs, 100 * p->cpu_share, p->waited_s, p->wall_s,
		  p->involuntary_switches, p->voluntary_switches);
	p = &b.waiting;
	cr_assert(b.waiting_rc == 0, "profile_workload: returned %d for a workload that "
		  "succeeded", b.waiting_rc);
	assert_profile(p, &b.waiting_ref, 0.32);
	cr_assert(p->kind == WORKLOAD_IO_BOUND,
		  "profile_workload: work that only sleeps, beside %d busy programs (cpu share "
		  "%.2f, blocked %ld times, preempted %ld times), must be classified I/O-bound",
		  b.hogs, p->cpu_share, p->voluntary_switches, p->involuntary_switches);
}

static void passes_failure_through(void)
{
	struct workload_profile p = { 0 };
	int rc = profile_workload(failing_work, NULL, &p);
	REQUIRE_DONE(rc, "1.4");
	cr_assert(rc == 7, "profile_workload: the workload returned 7, you returned %d - when "
		  "work(arg) returns non-zero, return that same value", rc);
}

Test(ex1_4, profiles_and_classifies, .timeout = 10)
{
	waiting_is_io_bound();
	computing_is_cpu_bound();
	classifies_on_a_busy_machine();
	passes_failure_through();
}

/* --- 1.5 ---------------------------------------------------------------- */

/* The wrong predictions students make, each with what it forgot. */
static double forgot_overhead(const struct plan *pl)
{
	return pl->requests * pl->delay_s + pl->tasks * pl->task_s;
}

static double forgot_tasks(const struct plan *pl)
{
	return pl->requests * (pl->delay_s + pl->request_overhead_s);
}

static double forgot_requests(const struct plan *pl)
{
	return pl->tasks * pl->task_s;
}

static double overhead_once(const struct plan *pl)
{
	return pl->requests * pl->delay_s + pl->request_overhead_s + pl->tasks * pl->task_s;
}

static double assumed_overlap(const struct plan *pl)
{
	return fmax(forgot_tasks(pl), forgot_requests(pl));
}

static const struct {
	double (*predict)(const struct plan *pl);
	const char *hint;
} likely_mistakes[] = {
	{ assumed_overlap, "nothing overlaps in sequential code: add the requests' time and the "
			   "tasks' time, do not take the larger" },
	{ forgot_overhead, "the overhead is missing: every request costs its delay plus the "
			   "overhead" },
	{ overhead_once, "the overhead is paid by every request, not once" },
	{ forgot_tasks, "the tasks are missing: the program runs them after the requests" },
	{ forgot_requests, "the requests are missing" },
};

enum { N_PLANS = 5 };
static const struct plan plans[N_PLANS] = {
	{ 10, 0.5, 0.002, 4, 0.25 },
	{ 3, 0.2, 0.0125, 2, 0.35 },   /* the tasks take longer than the requests */
	{ 0, 0.5, 0.002, 3, 0.1 },
	{ 5, 1.0, 0.0, 0, 0.25 },
	{ 100, 0.5, 0.001, 2, 0.0 },
};

/* The mistake that explains every prediction the student made, or the formula. */
static const char *prediction_hint(const double *got)
{
	for (size_t m = 0; m < sizeof likely_mistakes / sizeof likely_mistakes[0]; m++) {
		int all = 1;
		for (int i = 0; i < N_PLANS; i++)
			all &= fabs(got[i] - likely_mistakes[m].predict(&plans[i])) < 1e-9;
		if (all)
			return likely_mistakes[m].hint;
	}
	return "requests x (delay + overhead) + tasks x task time";
}

Test(ex1_5, predicts_from_the_plan, .timeout = 10)
{
	const double want[N_PLANS] = {
		10 * 0.502 + 4 * 0.25, 3 * 0.2125 + 2 * 0.35, 0.3, 5.0, 50.1,
	};
	double got[N_PLANS];
	for (int i = 0; i < N_PLANS; i++) {
		got[i] = -1;
		int rc = predict_sequential_time(&plans[i], &got[i]);
		REQUIRE_DONE(rc, "1.5");
		cr_assert(rc == 0, "predict_sequential_time: returned %d, expected 0", rc);
	}
	for (int i = 0; i < N_PLANS; i++) {
		const struct plan *pl = &plans[i];
		cr_assert(fabs(got[i] - want[i]) < 1e-9,
			  "predict_sequential_time: %d requests x (%.3f s delay + %.4f s overhead) + "
			  "%d tasks x %.3f s: you predicted %.4f s, expected %.4f s - %s",
			  pl->requests, pl->delay_s, pl->request_overhead_s, pl->tasks, pl->task_s,
			  got[i], want[i], prediction_hint(got));
	}
}
