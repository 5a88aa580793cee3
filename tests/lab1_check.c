/*
 * tests/lab1_check.c - the checker for lab 1 (make check1).
 *
 * Each test calls one of your exercise functions and checks what it did,
 * not what it printed.  The server is started by each test (its own process).
 */
#include "checker.h"
#include "exercises.h"
#include "server.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

static void delay_url(char *buf, size_t cap, double seconds)
{
	wb_url(buf, cap, wb_server_url(NULL), "/delay/%g", seconds);
}

/* --- 1.1 ---------------------------------------------------------------- */

Test(ex1_1, times_a_delayed_request, .timeout = 20)
{
	char url[256];
	double seconds = -1;
	delay_url(url, sizeof url, 0.3);
	int rc = time_one_request(url, &seconds);
	REQUIRE_DONE(rc, "1.1");
	cr_assert(rc == 0, "exercise 1.1: GET %s returned %d, expected 0", url, rc);
	cr_assert(seconds >= 0.29 && seconds < 5.0,
		  "exercise 1.1: a request to /delay/0.3 took %.3f s by your measure; it must take "
		  "at least 0.3 s - are you reading the stopwatch after the request ends?",
		  seconds);
}

Test(ex1_1, reports_a_dead_server, .timeout = 20)
{
	double seconds = 0;
	int rc = time_one_request(DEAD_URL, &seconds);
	REQUIRE_DONE(rc, "1.1");
	cr_assert(rc == -1,
		  "exercise 1.1: GET %s (nothing listens there) returned %d; a failed request "
		  "must return -1",
		  DEAD_URL, rc);
}

/* --- 1.2 ---------------------------------------------------------------- */

Test(ex1_2, one_after_another, .timeout = 30)
{
	enum { N = 4 };
	const double delay = 0.15;
	char url[256];
	delay_url(url, sizeof url, delay);
	const char *urls[N] = { url, url, url, url };
	double times[N] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(64);
	struct wb_server_stats st;
	char err[256];
	cr_assert(wb_server_stats(wb_server_url(NULL), 1, &st, err, sizeof err) == 0, "%s", err);

	double t0 = wb_now();
	int rc = fetch_sequentially(urls, N, times, tl);
	double wall = wb_now() - t0;
	REQUIRE_DONE(rc, "1.2");
	cr_assert(rc == 0, "exercise 1.2: fetching %d URLs returned %d, expected 0", N, rc);
	for (int i = 0; i < N; i++)
		cr_assert(times[i] >= delay - 0.01,
			  "exercise 1.2: times[%d] = %.3f s, but each request takes at least %.2f s",
			  i, times[i], delay);
	cr_assert(wall >= N * delay - 0.02,
		  "exercise 1.2: %d requests of %.2f s each took only %.3f s - they cannot have "
		  "run one after another", N, delay, wall);
	cr_assert(wb_timeline_count(tl) == N,
		  "exercise 1.2: the timeline holds %zu spans, expected one per request (%d)",
		  wb_timeline_count(tl), N);
	for (int i = 0; i < N; i++) {
		const struct wb_span *s = wb_timeline_span(tl, (size_t)i);
		cr_assert(s && s->task == i && strcmp(s->kind, "fetch") == 0,
			  "exercise 1.2: span %d should be (worker 0, task %d, \"fetch\")", i, i);
	}
	cr_assert(wb_timeline_max_overlap(tl, "fetch") == 1,
		  "exercise 1.2: your spans overlap; requests one after another never do");
	cr_assert(wb_server_stats(wb_server_url(NULL), 0, &st, err, sizeof err) == 0, "%s", err);
	cr_assert(st.peak_in_flight == 1,
		  "exercise 1.2: the server saw %ld requests at once; sequential means one",
		  st.peak_in_flight);
	wb_timeline_free(tl);
}

Test(ex1_2, stops_at_a_failure, .timeout = 30)
{
	char url[256];
	delay_url(url, sizeof url, 0);
	const char *urls[3] = { url, DEAD_URL, url };
	double times[3] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(16);
	int rc = fetch_sequentially(urls, 3, times, tl);
	REQUIRE_DONE(rc, "1.2");
	cr_assert(rc == -1,
		  "exercise 1.2: the second URL points at a dead server, yet you returned %d "
		  "(expected -1)", rc);
	wb_timeline_free(tl);
}

/* --- 1.3 ---------------------------------------------------------------- */

Test(ex1_3, right_results_in_order, .timeout = 30)
{
	enum { T = 3 };
	const uint64_t items = 300000;
	uint64_t results[T] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(16);
	int rc = run_tasks_sequentially(T, items, results, tl);
	REQUIRE_DONE(rc, "1.3");
	cr_assert(rc == 0, "exercise 1.3: returned %d, expected 0", rc);
	for (int i = 0; i < T; i++) {
		uint64_t want = wb_cpu_sum((uint64_t)i * items, items);
		cr_assert(results[i] == want,
			  "exercise 1.3: results[%d] = %llu, expected %llu - task i covers items "
			  "[i * items, (i + 1) * items)", i, (unsigned long long)results[i],
			  (unsigned long long)want);
	}
	cr_assert(wb_timeline_count(tl) == T,
		  "exercise 1.3: the timeline holds %zu spans, expected one per task (%d)",
		  wb_timeline_count(tl), T);
	for (int i = 0; i < T; i++) {
		const struct wb_span *s = wb_timeline_span(tl, (size_t)i);
		cr_assert(s && s->task == i && strcmp(s->kind, "cpu") == 0 && s->end >= s->start,
			  "exercise 1.3: span %d should be (worker 0, task %d, \"cpu\")", i, i);
	}
	cr_assert(wb_timeline_max_overlap(tl, "cpu") == 1,
		  "exercise 1.3: your task spans overlap; one after another never do");
	wb_timeline_free(tl);
}

/* --- 1.4 ---------------------------------------------------------------- */

static int sleeping_work(void *arg)
{
	wb_sleep(*(double *)arg);
	return 0;
}

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

Test(ex1_4, waiting_is_io_bound, .timeout = 10)
{
	double seconds = 0.3;
	struct workload_profile p = { .kind = WORKLOAD_CPU_BOUND };
	int rc = profile_workload(sleeping_work, &seconds, &p);
	REQUIRE_DONE(rc, "1.4");
	cr_assert(rc == 0, "exercise 1.4: returned %d for a workload that succeeded", rc);
	cr_assert(p.wall_s >= 0.29 && p.wall_s < 3,
		  "exercise 1.4: a 0.3 s sleep measured %.3f s of wall time", p.wall_s);
	cr_assert(p.cpu_s < 0.1,
		  "exercise 1.4: a sleep used %.3f s of CPU by your measure - sleeping uses none; "
		  "are you measuring CPU time with wb_usage?", p.cpu_s);
	cr_assert(p.cpu_share < 0.3 && p.kind == WORKLOAD_IO_BOUND,
		  "exercise 1.4: a sleep (cpu share %.2f) must be classified I/O-bound", p.cpu_share);
}

Test(ex1_4, computing_is_cpu_bound, .timeout = 10)
{
	double seconds = 0.3;
	struct workload_profile p = { .kind = WORKLOAD_IO_BOUND };
	int rc = profile_workload(spinning_work, &seconds, &p);
	REQUIRE_DONE(rc, "1.4");
	cr_assert(rc == 0, "exercise 1.4: returned %d for a workload that succeeded", rc);
	cr_assert(p.cpu_s > 0.1 && p.cpu_share > 0.5,
		  "exercise 1.4: 0.3 s of pure computation measured cpu %.3f s of wall %.3f s",
		  p.cpu_s, p.wall_s);
	cr_assert(p.kind == WORKLOAD_CPU_BOUND,
		  "exercise 1.4: computation (cpu share %.2f) must be classified CPU-bound",
		  p.cpu_share);
}

Test(ex1_4, passes_failure_through, .timeout = 10)
{
	struct workload_profile p = { 0 };
	int rc = profile_workload(failing_work, NULL, &p);
	REQUIRE_DONE(rc, "1.4");
	cr_assert(rc == 7, "exercise 1.4: the workload returned 7, you returned %d", rc);
}

/* --- 1.5 ---------------------------------------------------------------- */

Test(ex1_5, predicts_from_the_plan, .timeout = 10)
{
	const struct {
		struct plan plan;
		double want;
	} cases[] = {
		{ { 10, 0.5, 0.002, 4, 0.25 }, 10 * 0.502 + 4 * 0.25 },
		{ { 0, 0.5, 0.002, 3, 0.1 }, 0.3 },
		{ { 5, 1.0, 0.0, 0, 0.25 }, 5.0 },
		{ { 100, 0.5, 0.001, 2, 0.0 }, 50.1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = -1;
		int rc = predict_sequential_time(&cases[i].plan, &got);
		REQUIRE_DONE(rc, "1.5");
		cr_assert(rc == 0, "exercise 1.5: returned %d", rc);
		cr_assert(fabs(got - cases[i].want) < 1e-9,
			  "exercise 1.5: %d requests x (%.3f s delay + %.3f s overhead) + %d tasks x "
			  "%.3f s: you predicted %.4f s, expected %.4f s",
			  cases[i].plan.requests, cases[i].plan.delay_s,
			  cases[i].plan.request_overhead_s, cases[i].plan.tasks, cases[i].plan.task_s,
			  got, cases[i].want);
	}
}
