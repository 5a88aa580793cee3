/*
 * tests/lab5_check.c - the checker for lab 5 (make check5).
 *
 * Checks that hold on a busy 2-core machine: orderings, counts and
 * invariants, never speed.
 *   - The given workload keeps the books (workload.h): how often each item
 *     was fetched and processed, items alive now and at most, what the sink
 *     wrote; the timeline says when each fetch and each CPU span ran and in
 *     which process.
 *   - Every call runs on a thread of the check's own, with a time limit: a
 *     pipeline that hangs (a waiter nobody wakes, a fetcher asleep on a full
 *     queue) is named within seconds, with what it is.
 *   - Races are forced: under "stress" every other pthread_cond_wait of the
 *     student's code returns at once, without waiting - a spurious wake-up,
 *     which POSIX allows - so an `if` where a `while` is needed fails every
 *     run.  fork is watched: 5.6 must fork before it starts any thread.
 */
#include "checker.h"
#include "exercises.h"
#include "procs.h"
#include "server.h"
#include "timing.h"

#include <dirent.h>
#include <dlfcn.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct wb_check_exercise exercises[] = {
	{ "5.1", "queue_push / queue_pop / queue_close", "a bounded queue with close", NULL },
	{ "5.2", "run_phased", "phased: all the fetching, then all the computing", NULL },
	{ "5.3", "run_streamed", "streamed: compute each item as it arrives", "5.1" },
	{ "5.4", "run_tokens_ordered", "tokens bound the items alive; an ordered sink", "5.1" },
	{ "5.5", "run_stop_short", "stopping short: every thread joined, nothing left", "5.1" },
	{ "5.6", "run_streamed_procs", "the CPU stage in processes, forked first", "5.1" },
};

const struct wb_check_lab wb_check_lab = {
	.number = 5,
	.title = "the hybrid pipeline",
	.file = "labs/05-pipeline/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

/* ==== Forced spurious wake-ups, and a watch on fork ======================== */

static atomic_int stress;
static atomic_int waits;

static int (*real_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static pid_t (*real_fork)(void);

__attribute__((constructor)) static void resolve_all(void)
{
	real_cond_wait = dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2");
	if (!real_cond_wait)
		real_cond_wait = dlsym(RTLD_NEXT, "pthread_cond_wait");
	real_fork = dlsym(RTLD_NEXT, "fork");
	if (!real_cond_wait || !real_fork) {
		fprintf(stderr, "lab5 checker: cannot find the C library's pthread_cond_wait/fork\n");
		abort();
	}
}

int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
	if (atomic_load(&stress) && atomic_fetch_add(&waits, 1) % 2 == 0) {
		/* a spurious wake-up: give the lock away for a moment, and return */
		pthread_mutex_unlock(mutex);
		struct timespec pause = { 0, 20000 };
		nanosleep(&pause, NULL);
		pthread_mutex_lock(mutex);
		return 0;
	}
	return real_cond_wait(cond, mutex);
}

static atomic_int fork_threads_expected;   /* 0: not watching */
static atomic_int forks, forks_with_threads, threads_at_bad_fork;

pid_t fork(void)
{
	int expected = atomic_load(&fork_threads_expected);
	if (expected > 0) {
		int now = wb_check_threads();
		atomic_fetch_add(&forks, 1);
		if (now > expected && atomic_fetch_add(&forks_with_threads, 1) == 0)
			atomic_store(&threads_at_bad_fork, now - expected);
	}
	return real_fork();
}

/* ==== Running a call with a time limit ======================================= */

struct bounded {
	int (*fn)(void *arg);
	void *arg;
	int rc;
	atomic_int done;
	int threads_before;   /* on the calling thread, just before the call */
};

static void *bounded_main(void *p)
{
	struct bounded *b = p;
	b->threads_before = wb_check_threads();
	atomic_store(&fork_threads_expected, b->threads_before);
	b->rc = b->fn(b->arg);
	atomic_store(&fork_threads_expected, 0);
	atomic_store(&b->done, 1);
	return NULL;
}

/* Call fn(arg) on a thread of its own; fail if it has not returned within limit_s. */
static int call_within(const char *what, double limit_s, int (*fn)(void *), void *arg,
		       const char *hint)
{
	struct bounded b = { .fn = fn, .arg = arg };
	pthread_t t;
	if (pthread_create(&t, NULL, bounded_main, &b) != 0)
		cr_assert_fail("lab5 checker: cannot start a thread");
	double t0 = wb_now();
	while (!atomic_load(&b.done) && wb_now() - t0 < limit_s)
		wb_sleep(0.005);
	if (!atomic_load(&b.done))
		cr_assert_fail("%s has not returned after %.0f s (it should take well under a second "
			       "or two): %s", what, limit_s, hint);
	pthread_join(t, NULL);
	return b.rc;
}

/* ==== Workloads ============================================================== */

static struct workload wl;
static uint64_t *results;

/* Hash passes for about `seconds` of CPU: the checks need items that take some
 * time, not an exact time, so a 2 ms probe does instead of the lab's calibration
 * (the fastest of a few: a preempted probe is only slower). */
static volatile uint64_t probe_sink;   /* so the probe is not optimised away */

static uint64_t quick_rounds(double seconds, size_t bytes)
{
	static unsigned char buf[1 << 16];
	double best = 1;
	for (int run = 0; run < 4; run++) {
		double t0 = wb_now();
		probe_sink = workload_hash(buf, bytes, 16, (uint64_t)run);
		best = fmin(best, (wb_now() - t0) / 16);
	}
	double rounds = seconds / fmax(best, 1e-9);
	return rounds < 1 ? 1 : (uint64_t)rounds;
}

static void open_workload(int n, double delay_s, double cpu_s)
{
	wl = (struct workload){ .base_url = wb_server_url(NULL), .n = n, .delay_s = delay_s,
				.body_bytes = 4096, .fail_at = -1,
				.tl = wb_timeline_new(4 * (size_t)n + 16) };
	wl.rounds = quick_rounds(cpu_s, wl.body_bytes);
	workload_open(&wl);
	results = calloc((size_t)n, sizeof *results);
	wb_http_init();
}

/* Every item fetched, processed and released once, with its own result. */
static void assert_books(const char *fn, int check_results)
{
	struct workload_report r;
	workload_report(&wl, &r);
	cr_assert(r.first_twice < 0, "%s: item %d was fetched or processed twice - each index "
		  "must be handed out once (under the lock)", fn, r.first_twice);
	cr_assert(r.fetched == wl.n, "%s: %d of %d items were fetched", fn, r.fetched, wl.n);
	cr_assert(r.processed == wl.n, "%s: %d of %d items were processed - one lost? (a queue "
		  "closed too early drops what is pushed after)", fn, r.processed, wl.n);
	cr_assert(r.alive == 0, "%s: %d items were never released (item_release)", fn, r.alive);
	for (int i = 0; check_results && i < wl.n; i++) {
		uint64_t want = workload_expected(&wl, i);
		if (results[i] == want)
			continue;
		for (int j = 0; j < wl.n; j++)
			if (results[i] == workload_expected(&wl, j))
				cr_assert_fail("%s: results[%d] holds item %d's result: results[i] is "
					       "item i's (it->index), whatever order they finish in",
					       fn, i, j);
		cr_assert_fail("%s: results[%d] is wrong: item %d's result was never stored", fn, i, i);
	}
}

static double last_end(const char *kind)
{
	double t = -INFINITY;
	for (size_t i = 0; i < wb_timeline_count(wl.tl); i++) {
		const struct wb_span *s = wb_timeline_span(wl.tl, i);
		if (s && strcmp(s->kind, kind) == 0)
			t = fmax(t, s->end);
	}
	return t;
}

static double first_start(const char *kind)
{
	double t = INFINITY;
	for (size_t i = 0; i < wb_timeline_count(wl.tl); i++) {
		const struct wb_span *s = wb_timeline_span(wl.tl, i);
		if (s && strcmp(s->kind, kind) == 0)
			t = fmin(t, s->start);
	}
	return t;
}

/* The threads are gone within a second of the return, and no descriptor is left. */
static void assert_clean(const char *fn, int threads_before, int fds_before)
{
	double t0 = wb_now();
	while (wb_check_threads() > threads_before && wb_now() - t0 < 1.0)
		wb_sleep(0.01);
	cr_assert(wb_check_threads() <= threads_before, "%s: %d thread(s) still alive 1 s after "
		  "it returned - join every thread you start", fn, wb_check_threads() - threads_before);
	cr_assert(wb_check_open_fds() <= fds_before, "%s: %d descriptor(s) more are open after it "
		  "returned (a client not freed? a pipe end not closed?)", fn,
		  wb_check_open_fds() - fds_before);
}

/* ==== 5.1: the queue ============================================================ */

static struct queue q;

struct qop {
	int push;            /* 1: push item; 0: pop into got */
	void *item, *got;
	int rc;
	atomic_int done;
};

static void *qop_main(void *p)
{
	struct qop *o = p;
	o->rc = o->push ? queue_push(&q, o->item) : queue_pop(&q, &o->got);
	atomic_store(&o->done, 1);
	return NULL;
}

static void wait_done(struct qop *ops, int n, double limit_s, const char *what)
{
	double t0 = wb_now();
	for (int k = 0; k < n; k++)
		while (!atomic_load(&ops[k].done)) {
			if (wb_now() - t0 > limit_s)
				cr_assert_fail("%s", what);
			wb_sleep(0.002);
		}
}

static int first_call(void)
{
	void *x;
	queue_init(&q, 4, NULL);
	/* push first: a pop from an empty queue would (rightly) wait */
	int rc = queue_push(&q, &x) == WB_NOT_DONE || queue_pop(&q, &x) == WB_NOT_DONE ||
		 queue_close(&q) == WB_NOT_DONE;
	return rc ? WB_NOT_DONE : 0;
}

Test(ex5_1, fifo_within_the_bound, .timeout = 10)
{
	REQUIRE_DONE(first_call(), "5.1");
	queue_destroy(&q);
	queue_init(&q, 3, NULL);
	static int v[8];
	for (int k = 0; k < 3; k++)
		cr_assert(queue_push(&q, &v[k]) == 0, "queue_push: push %d of 3 into an empty queue of "
			  "3 slots returned non-zero", k + 1);
	struct qop extra = { .push = 1, .item = &v[3] };
	pthread_t t;
	pthread_create(&t, NULL, qop_main, &extra);
	wb_sleep(0.08);
	cr_assert(!atomic_load(&extra.done), "queue_push: a push into a full queue (3 of 3) "
		  "returned at once - it must wait (on not_full) until a slot is free");
	void *got;
	cr_assert(queue_pop(&q, &got) == 0 && got == &v[0], "queue_pop: the first pop did not "
		  "give the first item pushed (a queue is first in, first out)");
	wait_done(&extra, 1, 2, "queue_push: a pusher waiting on a full queue was not woken when "
		  "queue_pop freed a slot (signal not_full after taking)");
	pthread_join(t, NULL);
	for (int k = 1; k <= 3; k++) {
		cr_assert(queue_pop(&q, &got) == 0, "queue_pop: returned non-zero with items left");
		cr_assert(got == &v[k], "queue_pop: item %d came out of order (first in, first out: "
			  "slots[(head + count) %% bound] to push, slots[head] to pop)", k);
	}
	cr_assert(q.peak == 3, "queue_push: q->peak is %d, but the queue held 3 items at once "
		  "(keep the most items it ever held)", q.peak);
	queue_destroy(&q);
}

Test(ex5_1, pop_waits_for_a_push, .timeout = 10)
{
	REQUIRE_DONE(first_call(), "5.1");
	queue_destroy(&q);
	queue_init(&q, 2, NULL);
	static int v;
	struct qop pop = { .push = 0 };
	pthread_t t;
	pthread_create(&t, NULL, qop_main, &pop);
	wb_sleep(0.08);
	cr_assert(!atomic_load(&pop.done), "queue_pop: a pop from an empty, open queue returned "
		  "(%d) at once - it must wait on not_empty", pop.rc);
	cr_assert(queue_push(&q, &v) == 0, "queue_push: returned non-zero on an open queue");
	wait_done(&pop, 1, 2, "queue_pop: a popper waiting on an empty queue was not woken by a "
		  "push (signal not_empty after adding)");
	pthread_join(t, NULL);
	cr_assert(pop.rc == 0 && pop.got == &v, "queue_pop: the waiting popper did not get the "
		  "item pushed");
	queue_destroy(&q);
}

Test(ex5_1, closed_queue_drains_then_says_closed, .timeout = 10)
{
	REQUIRE_DONE(first_call(), "5.1");
	queue_destroy(&q);
	queue_init(&q, 4, NULL);
	static int v[2];
	void *got;
	queue_push(&q, &v[0]);
	queue_push(&q, &v[1]);
	queue_close(&q);
	cr_assert(queue_push(&q, &v[0]) == -1, "queue_push: a push into a closed queue must "
		  "return -1 (the item stays the caller's)");
	cr_assert(queue_pop(&q, &got) == 0 && got == &v[0] && queue_pop(&q, &got) == 0 &&
		  got == &v[1], "queue_pop: a closed queue must still give out the items in it "
		  "first (test count before closed)");
	for (int k = 0; k < 3; k++)
		cr_assert(queue_pop(&q, &got) == QUEUE_CLOSED, "queue_pop: a closed, empty queue "
			  "must return QUEUE_CLOSED at once, every time");
	queue_destroy(&q);
}

Test(ex5_1, close_wakes_every_waiter, .timeout = 10)
{
	REQUIRE_DONE(first_call(), "5.1");
	queue_destroy(&q);
	enum { POPPERS = 6, ITEMS = 2, PUSHERS = 3 };
	queue_init(&q, 4, NULL);
	static int v[ITEMS];
	struct qop ops[POPPERS];
	pthread_t t[POPPERS];
	for (int k = 0; k < POPPERS; k++) {
		ops[k] = (struct qop){ .push = 0 };
		pthread_create(&t[k], NULL, qop_main, &ops[k]);
	}
	wb_sleep(0.1);
	for (int k = 0; k < ITEMS; k++)
		queue_push(&q, &v[k]);
	wb_sleep(0.05);
	queue_close(&q);
	wait_done(ops, POPPERS, 2, "queue_close: 6 poppers waited on an empty queue, 2 items "
		  "came, then close: some poppers never woke - close must BROADCAST not_empty "
		  "(a signal wakes one)");
	int got = 0, closed = 0;
	for (int k = 0; k < POPPERS; k++) {
		pthread_join(t[k], NULL);
		got += ops[k].rc == 0;
		closed += ops[k].rc == QUEUE_CLOSED;
	}
	cr_assert(got == ITEMS && closed == POPPERS - ITEMS, "queue_pop: of 6 waiting poppers, "
		  "%d got an item and %d were told QUEUE_CLOSED (expected 2 and 4)", got, closed);
	queue_destroy(&q);

	/* pushers asleep on a full queue wake too, and get -1 */
	queue_init(&q, 1, NULL);
	queue_push(&q, &v[0]);
	struct qop pushes[PUSHERS];
	for (int k = 0; k < PUSHERS; k++) {
		pushes[k] = (struct qop){ .push = 1, .item = &v[1] };
		pthread_create(&t[k], NULL, qop_main, &pushes[k]);
	}
	wb_sleep(0.1);
	queue_close(&q);
	wait_done(pushes, PUSHERS, 2, "queue_close: 3 pushers waited on a full queue; after close "
		  "some never woke - close must broadcast not_full too, and a woken pusher must "
		  "check closed");
	for (int k = 0; k < PUSHERS; k++) {
		pthread_join(t[k], NULL);
		cr_assert(pushes[k].rc == -1, "queue_push: a pusher woken by close must return -1, "
			  "not store into a closed queue");
	}
	queue_destroy(&q);
}

/* Many producers and consumers on a queue of 2, with spurious wake-ups forced. */
enum { PRODUCERS = 4, CONSUMERS = 4, EACH = 1500 };
static atomic_int popped_count;
static atomic_long popped_sum;
static int order_broken;

static void *producer(void *p)
{
	long id = (long)p;
	for (long k = 1; k <= EACH; k++)
		queue_push(&q, (void *)(id * 100000 + k));
	return NULL;
}

static void *consumer(void *p)
{
	(void)p;
	long last[PRODUCERS] = { 0 };
	void *got;
	while (queue_pop(&q, &got) == 0) {
		long v = (long)got, id = v / 100000, k = v % 100000;
		if (id < 0 || id >= PRODUCERS || k < 1 || k > EACH || k <= last[id])
			order_broken = 1;
		else
			last[id] = k;
		atomic_fetch_add(&popped_count, 1);
		atomic_fetch_add(&popped_sum, v);
	}
	return NULL;
}

static int stress_run(void *unused)
{
	(void)unused;
	pthread_t p[PRODUCERS], c[CONSUMERS];
	for (long k = 0; k < CONSUMERS; k++)
		pthread_create(&c[k], NULL, consumer, NULL);
	for (long k = 0; k < PRODUCERS; k++)
		pthread_create(&p[k], NULL, producer, (void *)k);
	for (int k = 0; k < PRODUCERS; k++)
		pthread_join(p[k], NULL);
	queue_close(&q);
	for (int k = 0; k < CONSUMERS; k++)
		pthread_join(c[k], NULL);
	return 0;
}

Test(ex5_1, many_threads_spurious_wakeups, .timeout = 15)
{
	REQUIRE_DONE(first_call(), "5.1");
	queue_destroy(&q);
	queue_init(&q, 2, NULL);
	atomic_store(&stress, 1);
	call_within("4 producers and 4 consumers on your queue", 4, stress_run, NULL,
		    "a waiter never woken? (broadcast on close; signal after each push and pop)");
	atomic_store(&stress, 0);
	long want = 0;
	for (long id = 0; id < PRODUCERS; id++)
		want += id * 100000 * EACH + (long)EACH * (EACH + 1) / 2;
	cr_assert(atomic_load(&popped_count) == PRODUCERS * EACH && atomic_load(&popped_sum) == want
		  && !order_broken && q.count == 0 && q.peak <= 2,
		  "queue_pop/queue_push: with spurious wake-ups, 6000 items through a queue of 2 came "
		  "out wrong (%d popped, order %s, %d left, peak %d): wait in a WHILE loop, and "
		  "re-test the condition after every wake-up", atomic_load(&popped_count),
		  order_broken ? "broken" : "kept", q.count, q.peak);
	queue_destroy(&q);
}

/* ==== 5.2 - 5.6: the pipelines ==================================================== */

static int fetchers_, workers_, bound_, tokens_, stop_after_, processed_;

static int call_phased(void *a)
{
	(void)a;
	return run_phased(&wl, fetchers_, workers_, results);
}

static int call_streamed(void *a)
{
	(void)a;
	return run_streamed(&wl, fetchers_, workers_, bound_, results);
}

static int call_tokens(void *a)
{
	(void)a;
	return run_tokens_ordered(&wl, fetchers_, workers_, tokens_);
}

static int call_stop(void *a)
{
	(void)a;
	return run_stop_short(&wl, fetchers_, workers_, bound_, stop_after_, results, &processed_);
}

static int call_procs(void *a)
{
	(void)a;
	return run_streamed_procs(&wl, fetchers_, workers_, bound_, results);
}

static const char HANG_HINT[] =
	"a thread waiting for something nobody will do (a queue never closed, a join of a "
	"thread blocked on a full queue, a token never given back)";

/* One pipeline run; returns its rc after the books were checked (rc 0 runs only). */
static int run_pipeline(const char *fn, int (*call)(void *), int f, int w, int bound, int tok)
{
	fetchers_ = f;
	workers_ = w;
	bound_ = bound;
	tokens_ = tok;
	workload_reset(&wl);
	wb_timeline_reset(wl.tl);
	int threads = wb_check_threads(), fds = wb_check_open_fds();
	int rc = call_within(fn, 3, call, NULL, HANG_HINT);
	if (rc == WB_NOT_DONE)
		return rc;
	assert_clean(fn, threads, fds);
	return rc;
}

Test(ex5_2, results_and_books, .timeout = 15)
{
	open_workload(14, 0.03, 0.002);
	wl.jitter_s = 0.03;
	int rc = run_pipeline("run_phased", call_phased, 4, 2, 0, 0);
	REQUIRE_DONE(rc, "5.2");
	cr_assert(rc == 0, "run_phased: returned %d with every fetch fine", rc);
	assert_books("run_phased", 1);
}

Test(ex5_2, no_cpu_before_the_last_fetch_ends, .timeout = 15)
{
	open_workload(9, 0.03, 0.003);
	wl.jitter_s = 0.04;
	int rc = run_pipeline("run_phased", call_phased, 3, 2, 0, 0);
	REQUIRE_DONE(rc, "5.2");
	double fetched = last_end("fetch"), computed = first_start("cpu");
	cr_assert(computed >= fetched, "run_phased: a CPU span started %.3f s before the last "
		  "fetch ended - phased means: join every fetcher, then start the workers",
		  fetched - computed);
	cr_assert(wb_timeline_max_overlap(wl.tl, "fetch") <= 3, "run_phased: %d fetches at once "
		  "with 3 fetchers", wb_timeline_max_overlap(wl.tl, "fetch"));
	cr_assert(wb_timeline_max_overlap(wl.tl, "fetch") >= 2, "run_phased: never two fetches "
		  "at once with 3 fetchers: start them all before joining any");
	cr_assert(wb_timeline_max_overlap(wl.tl, "cpu") <= 2, "run_phased: %d items processed at "
		  "once with 2 workers", wb_timeline_max_overlap(wl.tl, "cpu"));
}

Test(ex5_2, failed_fetch_releases_everything, .timeout = 15)
{
	open_workload(8, 0.02, 0.001);
	wl.fail_at = 5;
	int rc = run_pipeline("run_phased", call_phased, 3, 2, 0, 0);
	REQUIRE_DONE(rc, "5.2");
	struct workload_report r;
	workload_report(&wl, &r);
	cr_assert(rc == -1, "run_phased: item 5's fetch failed (HTTP 500), yet it returned %d", rc);
	cr_assert(r.alive == 0, "run_phased: after a failed fetch %d fetched items were never "
		  "released", r.alive);
}

Test(ex5_3, results_and_books, .timeout = 15)
{
	open_workload(13, 0.03, 0.002);
	wl.jitter_s = 0.05;
	atomic_store(&stress, 1);
	int rc = run_pipeline("run_streamed", call_streamed, 4, 2, 2, 0);
	atomic_store(&stress, 0);
	REQUIRE_DONE(rc, "5.3");
	cr_assert(rc == 0, "run_streamed: returned %d with every fetch fine", rc);
	assert_books("run_streamed", 1);
	cr_assert(wl.peak_queue >= 1 && wl.peak_queue <= 2, "run_streamed: the queue's peak was %d "
		  "with a bound of 2 (queue_init(&q, bound, &w->peak_queue))", wl.peak_queue);
}

Test(ex5_3, cpu_starts_before_the_last_fetch_ends, .timeout = 15)
{
	open_workload(8, 0.06, 0.003);
	int rc = run_pipeline("run_streamed", call_streamed, 2, 2, 8, 0);
	REQUIRE_DONE(rc, "5.3");
	double fetched = last_end("fetch"), computed = first_start("cpu");
	cr_assert(computed < fetched, "run_streamed: no CPU span started before the last fetch "
		  "ended (the first %.3f s after it): the workers must pop while fetching goes on",
		  computed - fetched);
	assert_books("run_streamed", 1);
}

Test(ex5_4, alive_never_exceeds_the_tokens, .timeout = 15)
{
	open_workload(20, 0.02, 0.003);
	wl.jitter_s = 0.04;
	int rc = run_pipeline("run_tokens_ordered", call_tokens, 6, 2, 0, 3);
	REQUIRE_DONE(rc, "5.4");
	struct workload_report r;
	workload_report(&wl, &r);
	cr_assert(r.peak_alive <= 3, "run_tokens_ordered: %d items alive at once with 3 tokens - "
		  "take a token BEFORE item_fetch, give it back after item_release", r.peak_alive);
	cr_assert(r.first_twice < 0 && r.processed == wl.n && r.alive == 0, "run_tokens_ordered: "
		  "%d of %d processed, %d never released", r.processed, wl.n, r.alive);
}

Test(ex5_4, sink_in_input_order, .timeout = 15)
{
	open_workload(16, 0.02, 0.002);
	wl.jitter_s = 0.06;   /* items arrive out of order: the sink must wait for the next one */
	int rc = run_pipeline("run_tokens_ordered", call_tokens, 8, 2, 0, 6);
	REQUIRE_DONE(rc, "5.4");
	struct workload_report r;
	workload_report(&wl, &r);
	cr_assert(r.sunk == wl.n, "run_tokens_ordered: the sink wrote %d results, not %d", r.sunk,
		  wl.n);
	cr_assert(r.sink_out_of_order < 0, "run_tokens_ordered: position %d of the output is not "
		  "item %d - item_sink(w, k, ...) for k = 0, 1, 2, ... only (wait for the next "
		  "number)", r.sink_out_of_order, r.sink_out_of_order);
	for (int k = 0; k < wl.n; k++) {
		int index;
		uint64_t got = workload_sunk(&wl, k, &index);
		cr_assert(got == workload_expected(&wl, index), "run_tokens_ordered: the sink wrote "
			  "a wrong result for item %d", index);
	}
	cr_assert(r.peak_alive <= 6, "run_tokens_ordered: %d alive with 6 tokens", r.peak_alive);
}

Test(ex5_4, one_token_does_not_deadlock, .timeout = 15)
{
	/* under stress: the fetchers waiting for the one token wake in any order, so
	 * a fetcher holding a later index than the next to write often gets it */
	open_workload(12, 0.01, 0.001);
	wl.jitter_s = 0.02;
	atomic_store(&stress, 1);
	int rc = run_pipeline("run_tokens_ordered (1 token, 4 fetchers)", call_tokens, 4, 2, 0, 1);
	atomic_store(&stress, 0);
	REQUIRE_DONE(rc, "5.4");
	struct workload_report r;
	workload_report(&wl, &r);
	cr_assert(r.sunk == wl.n && r.sink_out_of_order < 0 && r.peak_alive <= 1,
		  "run_tokens_ordered: with 1 token, %d written (order %s), peak alive %d", r.sunk,
		  r.sink_out_of_order < 0 ? "kept" : "broken", r.peak_alive);
}

/* 5.5 */
static int stop_run(int f, int w, int bound, int stop_after)
{
	stop_after_ = stop_after;
	return run_pipeline("run_stop_short", call_stop, f, w, bound, 0);
}

Test(ex5_5, stops_after_k_results, .timeout = 15)
{
	/* four workers, each with an item at the same moment, and room for only
	 * three more results: a worker that checks the count before processing,
	 * without claiming its place, makes it four */
	open_workload(40, 0.03, 0.05);
	int rc = stop_run(4, 4, 4, 3);
	REQUIRE_DONE(rc, "5.5");
	struct workload_report r;
	workload_report(&wl, &r);
	cr_assert(rc == 0, "run_stop_short: returned %d after stopping at 3 results", rc);
	cr_assert(r.processed == 3 && processed_ == 3, "run_stop_short: stop after 3: %d were "
		  "processed (*processed = %d) - claim a place (a counter, under a lock or atomic) "
		  "before processing", r.processed, processed_);
	cr_assert(r.fetched < wl.n, "run_stop_short: all %d items were fetched although it "
		  "stopped after 3 - fetchers must check the stop before taking an index", wl.n);
	cr_assert(r.alive == 0, "run_stop_short: %d fetched items were never released (those "
		  "popped after the stop, or held by a pusher the close turned away)", r.alive);
	for (size_t i = 0; i < wb_timeline_count(wl.tl); i++) {
		const struct wb_span *s = wb_timeline_span(wl.tl, i);
		if (s && strcmp(s->kind, "cpu") == 0)
			cr_assert(results[s->task] == workload_expected(&wl, s->task), "run_stop_short: "
				  "results[%d] is wrong", s->task);
	}
}

Test(ex5_5, blocked_fetchers_are_freed, .timeout = 15)
{
	/* Six fetchers, a queue of one, one slow worker: most fetchers sleep on the
	 * full queue when the stop comes; only the close can wake them. */
	open_workload(30, 0.005, 0.03);
	int rc = stop_run(6, 1, 1, 2);
	REQUIRE_DONE(rc, "5.5");
	struct workload_report r;
	workload_report(&wl, &r);
	cr_assert(r.processed == 2 && r.alive == 0, "run_stop_short: stop after 2: %d processed, "
		  "%d never released", r.processed, r.alive);
}

Test(ex5_5, stops_at_a_failed_fetch, .timeout = 15)
{
	open_workload(40, 0.03, 0.002);
	wl.fail_at = 3;
	int rc = stop_run(2, 2, 2, 0);
	REQUIRE_DONE(rc, "5.5");
	struct workload_report r;
	workload_report(&wl, &r);
	cr_assert(rc == -1, "run_stop_short: item 3's fetch failed (HTTP 500), yet it returned %d",
		  rc);
	cr_assert(r.fetched < wl.n, "run_stop_short: item 3 failed, yet all %d items were fetched: "
		  "stop taking indexes at the first failure", wl.n);
	cr_assert(r.alive == 0, "run_stop_short: %d items never released after the failure",
		  r.alive);
}

/* 5.6 */
static int children_left(void)
{
	/* children of this process but the lab server */
	int k = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0 || wb_parent_of(pid) != getpid())
			continue;
		char path[64], comm[64] = "";
		snprintf(path, sizeof path, "/proc/%d/comm", pid);
		FILE *f = fopen(path, "r");
		if (f) {
			if (!fgets(comm, sizeof comm, f))
				comm[0] = '\0';
			fclose(f);
		}
		k += strncmp(comm, "labserver", 9) != 0;
	}
	if (d)
		closedir(d);
	return k;
}

Test(ex5_6, results_from_worker_processes, .timeout = 15)
{
	open_workload(12, 0.02, 0.004);
	wl.jitter_s = 0.03;
	atomic_store(&forks, 0);
	int rc = run_pipeline("run_streamed_procs", call_procs, 4, 2, 4, 0);
	REQUIRE_DONE(rc, "5.6");
	cr_assert(rc == 0, "run_streamed_procs: returned %d with every fetch fine", rc);
	assert_books("run_streamed_procs", 1);
	int pids = wb_timeline_distinct_pids(wl.tl, "cpu");
	for (size_t i = 0; i < wb_timeline_count(wl.tl); i++) {
		const struct wb_span *s = wb_timeline_span(wl.tl, i);
		if (s && strcmp(s->kind, "cpu") == 0)
			cr_assert(s->pid != getpid(), "run_streamed_procs: item %d was processed in the "
				  "parent: item_process belongs in the worker processes", s->task);
	}
	cr_assert(pids == 2, "run_streamed_procs: the CPU work ran in %d processes, not the 2 "
		  "workers", pids);
	cr_assert(children_left() == 0, "run_streamed_procs: %d worker process(es) left after it "
		  "returned: waitpid each one", children_left());
}

Test(ex5_6, forks_before_any_thread, .timeout = 15)
{
	open_workload(6, 0.01, 0.002);
	atomic_store(&forks, 0);
	atomic_store(&forks_with_threads, 0);
	int rc = run_pipeline("run_streamed_procs", call_procs, 3, 3, 6, 0);
	REQUIRE_DONE(rc, "5.6");
	cr_assert(atomic_load(&forks) >= 3, "run_streamed_procs: %d forks for 3 workers (fork "
		  "each worker process, once)", atomic_load(&forks));
	cr_assert(atomic_load(&forks_with_threads) == 0, "run_streamed_procs: %d fork(s) while "
		  "%d thread(s) of the call were running - fork the worker processes FIRST: a "
		  "child of a threaded process inherits locks held by threads it does not have",
		  atomic_load(&forks_with_threads), atomic_load(&threads_at_bad_fork));
}
