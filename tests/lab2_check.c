/*
 * tests/lab2_check.c - the checker for lab 2 (make check2).
 *
 * Structural checks that hold on a busy 2-core machine: requests that
 * overlap (the server counts how many were in flight at once), each URL
 * fetched exactly once into its own slot, no thread left behind.
 */
#include "checker.h"
#include "exercises.h"
#include "server.h"

#include <stdio.h>
#include <string.h>

static const struct wb_check_exercise exercises[] = {
	{ "2.1", "fetch_thread_per_request", "a thread per request", NULL },
	{ "2.2", "fetch_with_pool", "a pool of workers with a queue and poison pills", NULL },
	{ "2.3", "summary_add", "shared state done right (a lock)", NULL },
	{ "2.4", "fetch_with_pool_keepalive", "connection reuse (keep-alive)", "2.2" },
	{ "2.5", "predict_pool_time", "how many workers? (the staircase)", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 2,
	.title = "threads for I/O",
	.file = "labs/02-threads-io/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

#define DEAD_URL "http://127.0.0.1:1/get"
#define MAXN 32

static char url_store[MAXN][256];
static const char *urls[MAXN];

/* urls[i] = <server>/delay/<seconds> for every i */
static void delay_urls(int n, double seconds)
{
	for (int i = 0; i < n; i++) {
		wb_url(url_store[i], sizeof url_store[i], wb_server_url(NULL), "/delay/%g", seconds);
		urls[i] = url_store[i];
	}
}

/* urls[i] = <server>/bytes/<i + 1>: each slot's answer has its own size */
static void bytes_urls(int n)
{
	for (int i = 0; i < n; i++) {
		wb_url(url_store[i], sizeof url_store[i], wb_server_url(NULL), "/bytes/%d", i + 1);
		urls[i] = url_store[i];
	}
}

static struct wb_server_stats stats(int reset)
{
	struct wb_server_stats st;
	char err[512];
	cr_assert(wb_server_stats(wb_server_url(NULL), reset, &st, err, sizeof err) == 0, "%s", err);
	return st;
}

typedef int (*fetch_fn)(const char *const *urls, int n, int workers,
			struct fetch_result *results, struct wb_timeline *tl);

static void assert_each_slot_filled(const char *ex, const struct fetch_result *res, int n)
{
	for (int i = 0; i < n; i++) {
		cr_assert(res[i].rc == 0 && res[i].http.status == 200,
			  "exercise %s: results[%d] has rc %d, status %ld - every request should "
			  "have succeeded (%s)", ex, i, res[i].rc, res[i].http.status, res[i].http.error);
		cr_assert(res[i].http.bytes == (size_t)(i + 1),
			  "exercise %s: results[%d] holds %zu bytes, but URL %d answers %d bytes - is "
			  "each request's result stored in its own slot?", ex, i, res[i].http.bytes, i,
			  i + 1);
	}
}

/*
 * Run n requests for distinct /bytes URLs through `fetch`, then check that
 * each answer landed in its own slot and that no thread outlived the call.
 * `leftover_hint` says what a student should look at if threads remain.
 */
static void check_slots_and_threads(const char *ex, fetch_fn fetch, int n, int workers,
				    const char *leftover_hint)
{
	struct fetch_result res[MAXN] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(64);
	bytes_urls(n);
	int threads_before = wb_check_threads();
	int rc = fetch(urls, n, workers, res, tl);
	REQUIRE_DONE(rc, ex);
	assert_each_slot_filled(ex, res, n);
	cr_assert(wb_check_threads() == threads_before,
		  "exercise %s: %d threads are still alive after you returned - %s", ex,
		  wb_check_threads() - threads_before, leftover_hint);
	wb_timeline_free(tl);
}

/* 2.1 in the shape of the pools, for check_slots_and_threads. */
static int thread_per_request(const char *const *u, int n, int workers,
			      struct fetch_result *res, struct wb_timeline *tl)
{
	(void)workers;
	return fetch_thread_per_request(u, n, res, tl);
}

/* --- 2.1 ---------------------------------------------------------------- */

Test(ex2_1, requests_overlap, .timeout = 30)
{
	enum { N = 8 };
	const double delay = 0.4;
	struct fetch_result res[N] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(64);
	delay_urls(N, delay);
	stats(1);
	double t0 = wb_now();
	int rc = fetch_thread_per_request(urls, N, res, tl);
	double wall = wb_now() - t0;
	REQUIRE_DONE(rc, "2.1");
	cr_assert(rc == 0, "exercise 2.1: returned %d, expected 0", rc);
	struct wb_server_stats st = stats(0);
	cr_assert(st.peak_in_flight == N,
		  "exercise 2.1: %d requests took %.2f s, but the server saw at most %ld at once - "
		  "are you joining each thread right after creating it?", N, wall,
		  st.peak_in_flight);
	cr_assert(wb_timeline_count(tl) == N, "exercise 2.1: %zu spans recorded, expected %d",
		  wb_timeline_count(tl), N);
	cr_assert(wb_timeline_max_overlap(tl, "fetch") == N,
		  "exercise 2.1: your spans show at most %d requests at once, expected %d",
		  wb_timeline_max_overlap(tl, "fetch"), N);
	wb_timeline_free(tl);
}

Test(ex2_1, results_in_their_slots, .timeout = 30)
{
	check_slots_and_threads("2.1", thread_per_request, 10, 0, "join them all");
}

Test(ex2_1, a_failure_stays_in_its_slot, .timeout = 30)
{
	enum { N = 3 };
	struct fetch_result res[N] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(16);
	bytes_urls(N);
	urls[1] = DEAD_URL;
	int rc = fetch_thread_per_request(urls, N, res, tl);
	REQUIRE_DONE(rc, "2.1");
	cr_assert(rc == 0, "exercise 2.1: one failed request is not a failure to run threads; "
			   "return 0 and let results[1].rc say -1 (you returned %d)", rc);
	cr_assert(res[1].rc == -1 && strstr(res[1].http.error, "127.0.0.1:1"),
		  "exercise 2.1: results[1] should record the failed request (rc -1, the error "
		  "naming the URL)");
	cr_assert(res[0].rc == 0 && res[2].rc == 0,
		  "exercise 2.1: the other requests should have succeeded");
	wb_timeline_free(tl);
}

/* --- 2.2 ---------------------------------------------------------------- */

Test(ex2_2, peak_is_the_pool_size, .timeout = 15)
{
	enum { N = 9, W = 3 };
	const double delay = 0.3;
	struct fetch_result res[N] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(64);
	delay_urls(N, delay);
	struct wb_server_stats before = stats(1);
	double t0 = wb_now();
	int rc = fetch_with_pool(urls, N, W, res, tl);
	double wall = wb_now() - t0;
	REQUIRE_DONE(rc, "2.2");
	cr_assert(rc == 0, "exercise 2.2: returned %d, expected 0", rc);
	struct wb_server_stats st = stats(0);
	cr_assert(st.peak_in_flight == W,
		  "exercise 2.2: a pool of %d workers had %ld requests in flight at once (in %.2f "
		  "s); it should have exactly %d - one per worker", W, st.peak_in_flight, wall, W);
	/* (the server does not count /stats requests among those served) */
	cr_assert(st.requests_served - before.requests_served == N,
		  "exercise 2.2: the server served %ld requests for %d URLs: each URL must be "
		  "fetched exactly once", st.requests_served - before.requests_served, N);
	cr_assert(st.connections_accepted - before.connections_accepted >= N,
		  "exercise 2.2: use wb_http_fetch (a new connection per request) here; keep-alive "
		  "is exercise 2.4");
	cr_assert(wb_timeline_count(tl) == N, "exercise 2.2: %zu spans recorded, expected %d",
		  wb_timeline_count(tl), N);
	int seen[N] = { 0 }, by_worker[W] = { 0 };
	for (size_t i = 0; i < wb_timeline_count(tl); i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		cr_assert(s->task >= 0 && s->task < N && s->worker >= 0 && s->worker < W,
			  "exercise 2.2: a span has task %d, worker %d (tasks 0..%d, workers 0..%d)",
			  s->task, s->worker, N - 1, W - 1);
		seen[s->task]++;
		by_worker[s->worker]++;
	}
	for (int i = 0; i < N; i++)
		cr_assert(seen[i] == 1, "exercise 2.2: URL %d was fetched %d times, expected once", i,
			  seen[i]);
	for (int w = 0; w < W; w++)
		cr_assert(by_worker[w] > 0, "exercise 2.2: worker %d did no work at all", w);
	wb_timeline_free(tl);
}

Test(ex2_2, slots_and_clean_shutdown, .timeout = 15)
{
	check_slots_and_threads("2.2", fetch_with_pool, 12, 4,
				"does each worker get a poison pill, and do you join them all?");
}

Test(ex2_2, more_workers_than_urls, .timeout = 15)
{
	check_slots_and_threads("2.2", fetch_with_pool, 2, 5,
				"with more workers than URLs, idle workers must stop too (one "
				"poison pill per worker)");
}

/* --- 2.3 ---------------------------------------------------------------- */

enum { ADDERS = 8, ADDS = 20000 };

static void *add_many(void *arg)
{
	struct summary *s = arg;
	for (int i = 0; i < ADDS; i++)
		if (summary_add(s, 3, 0.5 + (i % 100) * 0.001) != 0)
			return (void *)1;
	return NULL;
}

Test(ex2_3, many_threads_one_summary, .timeout = 30)
{
	struct summary s = SUMMARY_INIT;
	int rc = summary_add(&s, 1, 0.25);
	REQUIRE_DONE(rc, "2.3");
	cr_assert(s.count == 1 && s.total_bytes == 1 && s.fastest_s == 0.25 && s.slowest_s == 0.25,
		  "exercise 2.3: after one request of 1 byte in 0.25 s the summary says count %d, "
		  "bytes %zu, fastest %g, slowest %g", s.count, s.total_bytes, s.fastest_s,
		  s.slowest_s);
	pthread_t t[ADDERS];
	for (int i = 0; i < ADDERS; i++)
		cr_assert(pthread_create(&t[i], NULL, add_many, &s) == 0);
	for (int i = 0; i < ADDERS; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		cr_assert(ret == NULL, "exercise 2.3: summary_add returned an error");
	}
	cr_assert(s.count == 1 + ADDERS * ADDS && s.total_bytes == 1 + 3u * ADDERS * ADDS,
		  "exercise 2.3: %d threads added %d requests each, and the summary counts %d "
		  "requests, %zu bytes (expected %d, %d) - is every update under the lock?",
		  ADDERS, ADDS, s.count - 1, s.total_bytes - 1, ADDERS * ADDS, 3 * ADDERS * ADDS);
	cr_assert(s.fastest_s == 0.25 && s.slowest_s == 0.5 + 99 * 0.001,
		  "exercise 2.3: fastest %g s, slowest %g s; expected 0.25 and 0.599", s.fastest_s,
		  s.slowest_s);
}

/* --- 2.4 ---------------------------------------------------------------- */

Test(ex2_4, one_connection_per_worker, .timeout = 15)
{
	enum { N = 10, W = 2 };
	struct fetch_result res[N] = { 0 };
	struct wb_timeline *tl = wb_timeline_new(64);
	delay_urls(N, 0.05);
	int threads_before = wb_check_threads();
	struct wb_server_stats before = stats(1);
	int rc = fetch_with_pool_keepalive(urls, N, W, res, tl);
	REQUIRE_DONE(rc, "2.4");
	cr_assert(rc == 0, "exercise 2.4: returned %d, expected 0", rc);
	struct wb_server_stats st = stats(0);
	long conns = st.connections_accepted - before.connections_accepted - 1;
	cr_assert(conns >= 1 && conns <= W,
		  "exercise 2.4: %d workers opened %ld connections for %d requests; with one "
		  "kept-alive client per worker it should be at most %d", W, conns, N, W);
	cr_assert(st.peak_in_flight == W, "exercise 2.4: %ld requests in flight at once, expected %d",
		  st.peak_in_flight, W);
	for (int i = 0; i < N; i++)
		cr_assert(res[i].rc == 0, "exercise 2.4: request %d failed: %s", i, res[i].http.error);
	cr_assert(wb_timeline_count(tl) == N, "exercise 2.4: %zu spans recorded, expected %d",
		  wb_timeline_count(tl), N);
	cr_assert(wb_check_threads() == threads_before,
		  "exercise 2.4: worker threads are still alive after you returned");
	wb_timeline_free(tl);
}

/* --- 2.5 ---------------------------------------------------------------- */

Test(ex2_5, the_staircase, .timeout = 10)
{
	const struct {
		int n, w;
		double delay, want;
	} cases[] = {
		{ 10, 1, 0.5, 5.0 }, { 10, 2, 0.5, 2.5 }, { 10, 3, 0.5, 2.0 }, { 10, 4, 0.5, 1.5 },
		{ 10, 10, 0.5, 0.5 }, { 10, 16, 0.5, 0.5 }, { 100, 10, 0.5, 5.0 }, { 1, 1, 2.0, 2.0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = -1;
		int rc = predict_pool_time(cases[i].n, cases[i].w, cases[i].delay, &got);
		REQUIRE_DONE(rc, "2.5");
		cr_assert(rc == 0 && got > cases[i].want - 1e-9 && got < cases[i].want + 1e-9,
			  "exercise 2.5: %d requests of %g s on %d workers: you predicted %g s, "
			  "expected %g s (rounds x delay, rounds rounded up)", cases[i].n,
			  cases[i].delay, cases[i].w, got, cases[i].want);
	}
}
