/*
 * tests/lab4_check.c - the checker for lab 4 (make check4).
 *
 * Structural checks that hold on a busy 2-core machine: never two threads
 * inside the GIL at once (the occupancy counter that gil_tick checks at
 * every tick); a lone thread never switches; a waiter asks after about one
 * interval and not before; after a forced drop another thread gets the GIL;
 * two CPU threads hand off about once per interval (within wide margins);
 * a thread blocked in I/O lets the others run; the old GIL lets go every
 * 100 ticks; no mode deadlocks, with threads waiting on the GIL when it is
 * dropped.  Threads are joined with a time limit, so that a thread stuck
 * on the GIL fails its check with a hint instead of a bare time-out; what
 * such threads use is static, so that once the check has failed they are
 * not left pointing into a stack frame that is gone.
 */
#include "checker.h"
#include "exercises.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const struct wb_check_exercise exercises[] = {
	{ "4.1", "plain_take, plain_drop", "a plain lock: the naive GIL", NULL },
	{ "4.2", "interval_take, interval_tick", "the switch interval: timed wait, drop request, the tick's check", NULL },
	{ "4.3", "wait_for_switch", "forced switching: wait for the hand-off", "4.2" },
	{ "4.4", "gil_blocking_call", "let go of the GIL around blocking calls", "4.2" },
	{ "4.5", "old_tick", "the old GIL: let go every 100 ticks", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 4,
	.title = "a GIL, simulated",
	.file = "labs/04-gil/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

/* --- Helpers ---------------------------------------------------------------- */

/* WB_NOT_DONE while exercise 4.k still has a placeholder, else 0. */
static int done_rc(int k)
{
	return gil_exercise_done(k) ? 0 : WB_NOT_DONE;
}

/* The exercise under test first (so that every check fails on the handout),
 * then those it builds on, each with its own message. */
#define REQUIRE_BUILDS_ON(k, on)                                                         \
	do {                                                                             \
		if (done_rc(on) == WB_NOT_DONE)                                          \
			cr_assert_fail("exercise 4.%d (which 4.%d builds on) not done yet", \
				       (on), (k));                                        \
	} while (0)

/* Join within `seconds`; 0, or ETIMEDOUT if the thread is still running. */
static int join_within(pthread_t t, double seconds)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long ns = ts.tv_nsec + (long long)(seconds * 1e9);
	ts.tv_sec += (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	return pthread_timedjoin_np(t, NULL, &ts);
}

/* Join by an absolute time on wb_now()'s clock: one deadline for a group of threads. */
static int join_by(pthread_t t, double deadline)
{
	double left = deadline - wb_now();
	return join_within(t, left > 0 ? left : 0);
}

static void assert_no_violation(const struct gil *g, const char *ex, const char *where)
{
	long v = atomic_load(&g->violations);
	cr_assert(v == 0,
		  "exercise %s: %ld times a thread ran bytecode while another one was inside the "
		  "GIL, or without holding it - look at %s", ex, v, where);
}

/* The mutex must be free again whenever a function of yours has returned. */
static void assert_mutexes_free(struct gil *g, const char *ex, const char *fn)
{
	int rc = pthread_mutex_trylock(&g->mutex);
	cr_assert(rc == 0, "exercise %s: %s returned with g->mutex still locked", ex, fn);
	CHECK_PT(pthread_mutex_unlock(&g->mutex));
	rc = pthread_mutex_trylock(&g->switch_mutex);
	cr_assert(rc == 0, "exercise %s: %s returned with g->switch_mutex still locked", ex, fn);
	CHECK_PT(pthread_mutex_unlock(&g->switch_mutex));
}

/* A simulated thread that takes the GIL, runs some ticks, and drops it. */
struct visitor {
	struct gil *g;
	int who;
	uint64_t ticks;
	atomic_int got;          /* 1 once it held the GIL */
	double got_at;
	int rc;
};

static void *visitor_main(void *arg)
{
	struct visitor *v = arg;
	uint64_t sum = 0, done = 0;
	v->rc = gil_take(v->g, v->who);
	if (v->rc != 0)
		return NULL;
	v->got_at = wb_now();
	atomic_store(&v->got, 1);
	v->rc = gil_run_ticks(v->g, v->who, 0, v->ticks, NULL, &sum, &done);
	if (v->rc == 0)
		v->rc = gil_drop(v->g, v->who, GIL_DROP_END);
	return NULL;
}

static void start_visitor(struct visitor *v, struct gil *g, int who, uint64_t ticks,
			  pthread_t *tid)
{
	v->g = g;
	v->who = who;
	v->ticks = ticks;
	atomic_init(&v->got, 0);
	v->rc = 0;
	CHECK_PT(pthread_create(tid, NULL, visitor_main, v));
}

static void sleep_blocking(void *arg)
{
	wb_sleep(*(double *)arg);
}

/* Check every CPU thread finished cleanly with the right checksum. */
static void assert_threads_ok(const struct gil_cpu_thread *t, int n, uint64_t ticks,
			      const char *ex)
{
	uint64_t want = wb_cpu_sum(0, ticks * GIL_ITEMS_PER_TICK);
	for (int i = 0; i < n; i++) {
		cr_assert(t[i].rc == 0, "exercise %s: thread %d stopped: a function returned %d",
			  ex, i, t[i].rc);
		cr_assert(t[i].sum == want && t[i].ticks_done == ticks,
			  "exercise %s: thread %d ran %llu of %llu ticks", ex, i,
			  (unsigned long long)t[i].ticks_done, (unsigned long long)ticks);
	}
}

/*
 * Start n CPU threads (gil_cpu_thread_main, who = 0 .. n-1) and join each
 * within `limit_s`, or fail with a hint (a thread stuck on the GIL stays
 * behind; the test's process ends with the failure).
 */
static void run_cpu_threads_within(struct gil *g, int n, uint64_t ticks,
				   struct gil_cpu_thread *t, double limit_s, const char *ex)
{
	pthread_t tid[16];
	for (int i = 0; i < n; i++) {
		t[i] = (struct gil_cpu_thread){ .g = g, .who = i, .ticks = ticks };
		CHECK_PT(pthread_create(&tid[i], NULL, gil_cpu_thread_main, &t[i]));
	}
	double deadline = wb_now() + limit_s;
	for (int i = 0; i < n; i++)
		cr_assert(join_by(tid[i], deadline) == 0,
			  "exercise %s: under the %s, CPU thread %d is still running after %.0f s "
			  "(%d threads of %.2f s of work each) - a thread waiting for a GIL that "
			  "is never handed over?  plain_drop must clear g->locked and signal g->cond",
			  ex, gil_mode_name(g->mode), i, limit_s, n,
			  (double)ticks * GIL_ITEMS_PER_TICK * wb_cpu_ns_per_item() / 1e9);
}

/* --- 4.1: a plain lock -------------------------------------------------------- */

Test(ex4_1, take_and_drop, .timeout = 10)
{
	static struct gil g;
	gil_init(&g, GIL_NAIVE, GIL_DEFAULT_INTERVAL_S);
	int rc = plain_take(&g, 0);
	REQUIRE_DONE(rc, "4.1");
	cr_assert(rc == 0, "exercise 4.1: plain_take returned %d", rc);
	cr_assert(g.locked == 1, "exercise 4.1: after plain_take, g->locked is %d, expected 1",
		  g.locked);
	cr_assert(g.last_holder == 0,
		  "exercise 4.1: after thread 0 took it, last_holder is %d - call "
		  "gil_note_taken(g, who) once you have set locked", g.last_holder);
	assert_mutexes_free(&g, "4.1", "plain_take");
	rc = plain_drop(&g, 0);
	REQUIRE_DONE(rc, "4.1");
	cr_assert(rc == 0 && g.locked == 0,
		  "exercise 4.1: after plain_drop, g->locked is %d, expected 0", g.locked);
	assert_mutexes_free(&g, "4.1", "plain_drop");
	cr_assert(plain_take(&g, 1) == 0 && g.last_holder == 1 && g.switch_number == 1,
		  "exercise 4.1: thread 1 took it after thread 0: expected last_holder 1 and one "
		  "hand-off, got %d and %lu", g.last_holder, g.switch_number);
	cr_assert(plain_drop(&g, 1) == 0);
	gil_destroy(&g);
}

Test(ex4_1, cpu_threads_run_one_after_the_other, .timeout = 30)
{
	REQUIRE_DONE(done_rc(1), "4.1");
	enum { N = 2 };
	uint64_t ticks = gil_ticks_for(0.1);
	static struct gil g;
	static struct gil_cpu_thread t[N];
	gil_init(&g, GIL_NAIVE, GIL_DEFAULT_INTERVAL_S);
	g.tl = wb_timeline_new(64);
	run_cpu_threads_within(&g, N, ticks, t, 10, "4.1");
	assert_threads_ok(t, N, ticks, "4.1");
	assert_no_violation(&g, "4.1", "plain_take: wait while g->locked is set");
	cr_assert(wb_timeline_max_overlap(g.tl, NULL) == 1,
		  "exercise 4.1: the two threads held the GIL at the same time");
	cr_assert(g.switch_number == 1,
		  "exercise 4.1: under the naive GIL each thread keeps it to the end, so it changes "
		  "hands once; it changed %lu times", g.switch_number);
	wb_timeline_free(g.tl);
	gil_destroy(&g);
}

Test(ex4_1, waiting_threads_all_get_their_turn, .timeout = 30)
{
	REQUIRE_DONE(done_rc(1), "4.1");
	enum { N = 4 };
	static struct gil g;
	static struct visitor v[N];
	pthread_t tid[N];
	gil_init(&g, GIL_NAIVE, GIL_DEFAULT_INTERVAL_S);
	cr_assert(gil_take(&g, 0) == 0);
	for (int i = 0; i < N; i++)
		start_visitor(&v[i], &g, i + 1, 1000, &tid[i]);
	wb_sleep(0.1);
	for (int i = 0; i < N; i++)
		cr_assert(!atomic_load(&v[i].got),
			  "exercise 4.1: thread %d took the GIL while thread 0 held it - plain_take "
			  "must wait while g->locked is set", i + 1);
	cr_assert(gil_drop(&g, 0, GIL_DROP_END) == 0);
	double deadline = wb_now() + 10;
	for (int i = 0; i < N; i++) {
		cr_assert(join_by(tid[i], deadline) == 0,
			  "exercise 4.1: thread %d still waits for the GIL 10 s after it was dropped "
			  "- does plain_drop signal g->cond, and does each thread drop it in turn?",
			  i + 1);
		cr_assert(v[i].rc == 0 && atomic_load(&v[i].got),
			  "exercise 4.1: thread %d never got the GIL (rc %d)", i + 1, v[i].rc);
	}
	assert_no_violation(&g, "4.1", "plain_take");
	cr_assert(g.stats.wakeups >= N,
		  "exercise 4.1: %d threads waited and woke up, but only %ld wake-ups were counted "
		  "- call gil_note_wakeup(g, 0) after each pthread_cond_wait", N, g.stats.wakeups);
	gil_destroy(&g);
}

/* Many short turns: take, a few ticks, drop, again and again. */
static void *short_turns_main(void *arg)
{
	struct visitor *v = arg;
	for (int turn = 0; turn < 300 && v->rc == 0; turn++) {
		uint64_t sum = 0, done = 0;
		v->rc = gil_take(v->g, v->who);
		if (v->rc == 0)
			v->rc = gil_run_ticks(v->g, v->who, 0, v->ticks, NULL, &sum, &done);
		if (v->rc == 0)
			v->rc = gil_drop(v->g, v->who, GIL_DROP_END);
	}
	return NULL;
}

Test(ex4_1, many_short_turns, .timeout = 30)
{
	REQUIRE_DONE(done_rc(1), "4.1");
	enum { N = 4 };
	static struct gil g;
	static struct visitor v[N];
	pthread_t tid[N];
	gil_init(&g, GIL_NAIVE, GIL_DEFAULT_INTERVAL_S);
	for (int i = 0; i < N; i++) {
		v[i] = (struct visitor){ .g = &g, .who = i, .ticks = 50 };
		CHECK_PT(pthread_create(&tid[i], NULL, short_turns_main, &v[i]));
	}
	double deadline = wb_now() + 20;
	for (int i = 0; i < N; i++) {
		cr_assert(join_by(tid[i], deadline) == 0,
			  "exercise 4.1: thread %d is stuck after 20 s of short turns on the GIL - "
			  "a lost wake-up? (plain_drop must signal while holding g->mutex, and "
			  "plain_take must wait in a while loop)", i);
		cr_assert(v[i].rc == 0, "exercise 4.1: thread %d stopped with rc %d", i, v[i].rc);
	}
	assert_no_violation(&g, "4.1", "plain_take and plain_drop");
	gil_destroy(&g);
}

/* --- 4.2: the switch interval ------------------------------------------------- */

Test(ex4_2, lone_thread_never_switches, .timeout = 20)
{
	REQUIRE_DONE(done_rc(2), "4.2");
	REQUIRE_BUILDS_ON(2, 1);
	static struct gil g;
	static struct gil_cpu_thread t;
	uint64_t ticks = gil_ticks_for(0.3);
	gil_init(&g, GIL_NEW, 0.005);
	g.forced_switching = 0;
	run_cpu_threads_within(&g, 1, ticks, &t, 10, "4.2");
	assert_threads_ok(&t, 1, ticks, "4.2");
	cr_assert(g.stats.requests == 0 && g.stats.slices[GIL_DROP_ASKED] == 0 &&
		  g.switch_number == 0,
		  "exercise 4.2: one thread alone for 0.3 s was asked to let go %ld times and "
		  "handed off %lu times; with nobody waiting nobody may ask - only a waiter whose "
		  "timed wait ran out sets the request", g.stats.requests, g.switch_number);
	assert_mutexes_free(&g, "4.2", "interval_take");
	gil_destroy(&g);
}

Test(ex4_2, a_waiter_asks_after_one_interval, .timeout = 30)
{
	REQUIRE_DONE(done_rc(2), "4.2");
	REQUIRE_BUILDS_ON(2, 1);
	const double interval = 0.02;
	static struct gil g;
	static struct visitor v;
	pthread_t tid;
	gil_init(&g, GIL_NEW, interval);
	g.forced_switching = 0;	/* 4.3's part; this check does without it */
	cr_assert(gil_take(&g, 0) == 0);
	double t0 = wb_now();
	start_visitor(&v, &g, 1, 1000, &tid);
	while (!atomic_load(&g.drop_request) && wb_now() - t0 < 3)
		wb_sleep(0.0005);
	double asked = wb_now() - t0;
	cr_assert(atomic_load(&g.drop_request),
		  "exercise 4.2: a thread has waited 3 s for the GIL and never set the drop "
		  "request - after a timed wait of g->interval_s runs out, with the GIL still "
		  "locked and switch_number unchanged, set g->drop_request to 1");
	cr_assert(asked >= interval / 2,
		  "exercise 4.2: the waiter asked after %.1f ms, before even half its interval of "
		  "%.0f ms - wait first, with gil_deadline(g->interval_s)", asked * 1e3, interval * 1e3);
	int rc = gil_tick(&g, 0);
	REQUIRE_DONE(rc, "4.2");
	cr_assert(rc == 0, "exercise 4.2: interval_tick returned %d", rc);
	int held_after = atomic_load(&g.inside_who);
	int still_asked = atomic_load(&g.drop_request);
	cr_assert(gil_drop(&g, 0, GIL_DROP_END) == 0);
	cr_assert(join_within(tid, 10) == 0 && v.rc == 0 && atomic_load(&v.got),
		  "exercise 4.2: the waiting thread never got the GIL (rc %d)", v.rc);
	cr_assert(g.stats.slices[GIL_DROP_ASKED] >= 1,
		  "exercise 4.2: the drop request was set, yet interval_tick did not drop the GIL "
		  "- when it is set: gil_drop(g, who, GIL_DROP_ASKED), then gil_take(g, who)");
	cr_assert(g.stats.slices[GIL_DROP_ASKED] == 1,
		  "exercise 4.2: one request, yet the GIL was dropped on request %ld times: the "
		  "request stayed set - interval_take must clear g->drop_request once it has the "
		  "GIL", g.stats.slices[GIL_DROP_ASKED]);
	cr_assert(held_after == 0,
		  "exercise 4.2: after dropping on request, interval_tick must take the GIL back "
		  "(gil_take) before returning");
	cr_assert(!still_asked,
		  "exercise 4.2: the GIL was dropped and taken again, but the drop request was "
		  "still set - clear it in interval_take once you have the GIL");
	cr_assert(g.stats.requests >= 1,
		  "exercise 4.2: count each drop request in g->stats.requests");
	assert_no_violation(&g, "4.2", "interval_take");
	gil_destroy(&g);
}

Test(ex4_2, nobody_asks_before_the_interval, .timeout = 20)
{
	REQUIRE_DONE(done_rc(2), "4.2");
	REQUIRE_BUILDS_ON(2, 1);
	const double interval = 0.3;
	static struct gil g;
	static struct visitor v;
	pthread_t tid;
	gil_init(&g, GIL_NEW, interval);
	g.forced_switching = 0;
	cr_assert(gil_take(&g, 0) == 0);
	start_visitor(&v, &g, 1, 1000, &tid);
	wb_sleep(0.03);	/* hold it a tenth of the interval, then let go */
	cr_assert(gil_drop(&g, 0, GIL_DROP_END) == 0);
	cr_assert(join_within(tid, 10) == 0 && v.rc == 0 && atomic_load(&v.got),
		  "exercise 4.2: the waiter never got the GIL after it was dropped (rc %d) - "
		  "keep waiting while g->locked, and plain_drop signals g->cond", v.rc);
	cr_assert(g.stats.requests == 0 && g.stats.timeouts == 0,
		  "exercise 4.2: the GIL was held 30 ms of a %.0f ms interval, yet the waiter timed "
		  "out %ld times and asked %ld times - time each wait with "
		  "gil_deadline(g->interval_s); and a drop must wake the waiter (plain_drop "
		  "signals g->cond)", interval * 1e3, g.stats.timeouts, g.stats.requests);
	assert_no_violation(&g, "4.2", "interval_take");
	gil_destroy(&g);
}

/* --- 4.3: forced switching ------------------------------------------------------ */

struct switch_wait {
	struct gil *g;
	int who;
	int rc;
};

static void *switch_wait_main(void *arg)
{
	struct switch_wait *w = arg;
	w->rc = wait_for_switch(w->g, w->who);
	return NULL;
}

/* The first call runs in a thread of its own, so that a wait that never ends
 * fails with a hint; on the handout it returns WB_NOT_DONE at once. */
Test(ex4_3, waits_until_another_thread_took_it, .timeout = 20)
{
	static struct gil g;
	pthread_t tid;
	gil_init(&g, GIL_NEW, GIL_DEFAULT_INTERVAL_S);
	/* Someone else holds it already: no wait at all. */
	g.last_holder = 1;
	static struct switch_wait w;
	w = (struct switch_wait){ &g, 0, 0 };
	CHECK_PT(pthread_create(&tid, NULL, switch_wait_main, &w));
	cr_assert(join_within(tid, 5) == 0,
		  "exercise 4.3: wait_for_switch(g, 0) waited although thread 1 had already taken "
		  "the GIL - wait only while g->last_holder == who");
	REQUIRE_DONE(w.rc, "4.3");
	cr_assert(w.rc == 0, "exercise 4.3: wait_for_switch returned %d", w.rc);
	assert_mutexes_free(&g, "4.3", "wait_for_switch");
	/* Thread 0 held it last: wait until thread 1 takes it. */
	g.last_holder = 0;
	CHECK_PT(pthread_create(&tid, NULL, switch_wait_main, &w));
	wb_sleep(0.1);
	cr_assert(join_within(tid, 0.001) == ETIMEDOUT,
		  "exercise 4.3: wait_for_switch(g, 0) returned while thread 0 was still the last "
		  "holder - wait on g->switch_cond while g->last_holder == who");
	CHECK_PT(pthread_mutex_lock(&g.mutex));
	g.locked = 1;
	gil_note_taken(&g, 1);	/* what a take by thread 1 does */
	CHECK_PT(pthread_mutex_unlock(&g.mutex));
	cr_assert(join_within(tid, 5) == 0,
		  "exercise 4.3: thread 1 took the GIL (and signalled g->switch_cond), but "
		  "wait_for_switch still waits 5 s later - wait on g->switch_cond under "
		  "g->switch_mutex, in a loop that re-reads last_holder");
	gil_destroy(&g);
}

/* Thread 0 of a forced round: hold the GIL and tick until asked to let go. */
struct holder {
	struct gil *g;
	struct visitor *asker;
	atomic_int holding;
	int asked;              /* it was asked, and dropped the GIL on request */
	int switched;           /* the asker had the GIL by the time thread 0 had it back */
	int rc;
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;
	uint64_t sum = 0, done = 0;
	h->rc = gil_take(h->g, 0);
	atomic_store(&h->holding, 1);
	double t0 = wb_now();
	while (h->rc == 0 && h->g->stats.slices[GIL_DROP_ASKED] == 0 && wb_now() - t0 < 5)
		h->rc = gil_run_ticks(h->g, 0, 0, 1000, NULL, &sum, &done);
	h->asked = h->g->stats.slices[GIL_DROP_ASKED] > 0;
	h->switched = atomic_load(&h->asker->got);
	/* Whatever happened, let the asker have its turn before the next round. */
	while (h->rc == 0 && !atomic_load(&h->asker->got) && wb_now() - t0 < 10)
		h->rc = gil_run_ticks(h->g, 0, 0, 1000, NULL, &sum, &done);
	if (h->rc == 0)
		h->rc = gil_drop(h->g, 0, GIL_DROP_END);
	return NULL;
}

/* Thread 0 holds the GIL and ticks; thread 1 asks for it.  1 if thread 1 had
 * it by the time thread 0, asked to let go, had dropped it and taken it back. */
static int forced_round(struct gil *g)
{
	static struct visitor v;	/* static: see the note at the top */
	static struct holder h;
	pthread_t holder_tid, asker_tid;
	g->stats.slices[GIL_DROP_ASKED] = 0;
	h = (struct holder){ .g = g, .asker = &v };
	atomic_init(&h.holding, 0);
	atomic_init(&v.got, 0);
	CHECK_PT(pthread_create(&holder_tid, NULL, holder_main, &h));
	double t0 = wb_now();
	while (!atomic_load(&h.holding) && wb_now() - t0 < 5)
		wb_sleep(0.001);
	cr_assert(atomic_load(&h.holding), "exercise 4.3: a lone thread could not take the GIL");
	start_visitor(&v, g, 1, 1000, &asker_tid);
	cr_assert(join_within(holder_tid, 15) == 0,
		  "exercise 4.3: thread 0 is stuck after it dropped the GIL on request, although "
		  "thread 1 took it - wait_for_switch must return once g->last_holder is no longer "
		  "`who`: test it in a loop, the signal may have come before you waited");
	cr_assert(h.rc == 0, "exercise 4.3: thread 0 stopped with rc %d", h.rc);
	cr_assert(h.asked, "exercise 4.3: thread 0 ticked for 5 s beside a waiting thread and "
		  "was never asked to let go (exercise 4.2)");
	cr_assert(join_within(asker_tid, 10) == 0 && v.rc == 0,
		  "exercise 4.3: the waiting thread is stuck (rc %d)", v.rc);
	return h.switched;
}

Test(ex4_3, after_a_forced_drop_another_thread_has_it, .timeout = 40)
{
	REQUIRE_DONE(done_rc(3), "4.3");
	REQUIRE_BUILDS_ON(3, 1);
	REQUIRE_BUILDS_ON(3, 2);
	enum { ROUNDS = 3 };
	static struct gil g;
	gil_init(&g, GIL_NEW, 0.02);
	for (int round = 0; round < ROUNDS; round++)
		cr_assert(forced_round(&g),
			  "exercise 4.3: thread 0 was asked to let go, dropped the GIL and took it "
			  "back before the thread that asked ever had it (round %d of %d) - after a "
			  "drop on request, wait_for_switch must wait until another thread has "
			  "taken it", round + 1, ROUNDS);
	assert_no_violation(&g, "4.3", "wait_for_switch");
	gil_destroy(&g);
}

Test(ex4_3, two_cpu_threads_hand_off_once_per_interval, .timeout = 40)
{
	REQUIRE_DONE(done_rc(3), "4.3");
	REQUIRE_BUILDS_ON(3, 1);
	REQUIRE_BUILDS_ON(3, 2);
	enum { N = 2 };
	const double interval = 0.01;
	uint64_t ticks = gil_ticks_for(0.5);
	static struct gil g;
	static struct gil_cpu_thread t[N];
	gil_init(&g, GIL_NEW, interval);
	double t0 = wb_now();
	run_cpu_threads_within(&g, N, ticks, t, 15, "4.3");
	double wall = wb_now() - t0;
	assert_threads_ok(t, N, ticks, "4.3");
	assert_no_violation(&g, "4.3", "interval_take and wait_for_switch");
	/* Both threads busy until the first finishes: hand-offs happen over that time. */
	double busy = (t[0].finished < t[1].finished ? t[0].finished : t[1].finished) - t0;
	double per_s = g.switch_number / busy, expected = 1 / interval;
	cr_assert(per_s >= 0.2 * expected && per_s <= 3 * expected,
		  "exercise 4.3: two CPU threads handed the GIL over %.0f times a second (%lu in "
		  "%.2f s); with a %.0f ms interval expect about %.0f - each waiter asks after one "
		  "interval, and the holder waits for the switch", per_s, g.switch_number, wall,
		  interval * 1e3, expected);
	gil_destroy(&g);
}

/* --- 4.4: let go around blocking calls ---------------------------------------- */

struct sleeper {
	struct gil *g;
	int who;
	double seconds;
	double slept_from, slept_to;  /* the blocking call, seen from outside */
	int held_after;               /* who was inside the GIL right after it returned */
	atomic_int holding;
	int rc;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	uint64_t sum = 0, done = 0;
	s->rc = gil_take(s->g, s->who);
	if (s->rc != 0)
		return NULL;
	atomic_store(&s->holding, 1);
	s->rc = gil_run_ticks(s->g, s->who, 0, 1000, NULL, &sum, &done);
	s->slept_from = wb_now();
	if (s->rc == 0)
		s->rc = gil_blocking_call(s->g, s->who, sleep_blocking, &s->seconds);
	s->slept_to = wb_now();
	s->held_after = atomic_load(&s->g->inside_who);
	if (s->rc == 0)
		s->rc = gil_run_ticks(s->g, s->who, 0, 1000, NULL, &sum, &done);
	if (s->rc == 0)
		s->rc = gil_drop(s->g, s->who, GIL_DROP_END);
	return NULL;
}

static void start_sleeper(struct sleeper *s, struct gil *g, int who, double seconds,
			  pthread_t *tid)
{
	*s = (struct sleeper){ .g = g, .who = who, .seconds = seconds };
	atomic_init(&s->holding, 0);
	CHECK_PT(pthread_create(tid, NULL, sleeper_main, s));
}

Test(ex4_4, others_run_while_one_waits, .timeout = 30)
{
	REQUIRE_DONE(done_rc(4), "4.4");
	REQUIRE_BUILDS_ON(4, 1);
	static struct gil g;
	static struct sleeper s;
	static struct visitor v;
	pthread_t sleeper_tid, visitor_tid;
	gil_init(&g, GIL_NAIVE, GIL_DEFAULT_INTERVAL_S);	/* the plain lock of 4.1 */
	start_sleeper(&s, &g, 0, 0.5, &sleeper_tid);
	double t0 = wb_now();
	while (!atomic_load(&s.holding) && wb_now() - t0 < 5)
		wb_sleep(0.001);
	cr_assert(atomic_load(&s.holding), "exercise 4.4: a lone thread could not take the GIL");
	start_visitor(&v, &g, 1, gil_ticks_for(0.02), &visitor_tid);
	cr_assert(join_within(visitor_tid, 10) == 0 && v.rc == 0,
		  "exercise 4.4: a thread waiting for the GIL is stuck while another sleeps in "
		  "gil_blocking_call");
	cr_assert(join_within(sleeper_tid, 10) == 0 && s.rc == 0,
		  "exercise 4.4: the thread in gil_blocking_call never came back (rc %d)", s.rc);
	cr_assert(atomic_load(&v.got) && v.got_at < s.slept_to,
		  "exercise 4.4: the other thread only got the GIL after the blocking call had "
		  "ended - drop it (gil_drop(g, who, GIL_DROP_IO)) before calling fn");
	cr_assert(s.held_after == 0,
		  "exercise 4.4: gil_blocking_call returned without the GIL - take it back "
		  "(gil_take) after fn returns");
	cr_assert(g.stats.slices[GIL_DROP_IO] == 1,
		  "exercise 4.4: expected one drop for I/O, saw %ld - drop with GIL_DROP_IO",
		  g.stats.slices[GIL_DROP_IO]);
	assert_no_violation(&g, "4.4", "gil_blocking_call");
	gil_destroy(&g);
}

Test(ex4_4, waits_overlap_under_the_new_gil, .timeout = 30)
{
	REQUIRE_DONE(done_rc(4), "4.4");
	REQUIRE_BUILDS_ON(4, 1);
	REQUIRE_BUILDS_ON(4, 2);
	REQUIRE_BUILDS_ON(4, 3);
	enum { N = 4 };
	const double wait = 0.25;
	static struct gil g;
	static struct sleeper s[N];
	pthread_t tid[N];
	gil_init(&g, GIL_NEW, GIL_DEFAULT_INTERVAL_S);
	double t0 = wb_now();
	for (int i = 0; i < N; i++)
		start_sleeper(&s[i], &g, i, wait, &tid[i]);
	for (int i = 0; i < N; i++)
		cr_assert(join_by(tid[i], t0 + 10) == 0 && s[i].rc == 0,
			  "exercise 4.4: thread %d is stuck or failed (rc %d)", i, s[i].rc);
	double wall = wb_now() - t0;
	int overlapping = 0;
	for (int i = 1; i < N; i++)
		overlapping += s[i].slept_from < s[0].slept_to && s[0].slept_from < s[i].slept_to;
	cr_assert(overlapping == N - 1 && wall < 0.7 * N * wait,
		  "exercise 4.4: %d threads each blocked %.0f ms took %.2f s in all (%d overlapped "
		  "the first); released around the call, the waits overlap (about %.2f s)", N,
		  wait * 1e3, wall, overlapping, wait);
	assert_no_violation(&g, "4.4", "gil_blocking_call");
	gil_destroy(&g);
}

/* An I/O-bound simulated thread: many short blocking calls with some bytecode between. */
static void *short_waits_main(void *arg)
{
	struct sleeper *s = arg;
	uint64_t sum = 0, done = 0;
	s->rc = gil_take(s->g, s->who);
	for (int i = 0; i < 40 && s->rc == 0; i++) {
		s->rc = gil_run_ticks(s->g, s->who, 0, 200, NULL, &sum, &done);
		if (s->rc == 0)
			s->rc = gil_blocking_call(s->g, s->who, sleep_blocking, &s->seconds);
	}
	if (s->rc == 0)
		s->rc = gil_drop(s->g, s->who, GIL_DROP_END);
	return NULL;
}

/* CPU and I/O threads together under `mode`: everything finishes, nobody cheats. */
static void mixed_run(enum gil_mode mode, const char *ex)
{
	enum { CPU = 2, IO = 2 };
	static struct gil g;
	static struct gil_cpu_thread t[CPU];
	static struct sleeper s[IO];
	pthread_t cpu_tid[CPU], io_tid[IO];
	uint64_t ticks = gil_ticks_for(0.2);
	gil_init(&g, mode, GIL_DEFAULT_INTERVAL_S);
	for (int i = 0; i < CPU; i++) {
		t[i] = (struct gil_cpu_thread){ .g = &g, .who = i, .ticks = ticks };
		CHECK_PT(pthread_create(&cpu_tid[i], NULL, gil_cpu_thread_main, &t[i]));
	}
	for (int i = 0; i < IO; i++) {
		s[i] = (struct sleeper){ .g = &g, .who = CPU + i, .seconds = 0.002 };
		CHECK_PT(pthread_create(&io_tid[i], NULL, short_waits_main, &s[i]));
	}
	double deadline = wb_now() + 20;
	for (int i = 0; i < CPU; i++)
		cr_assert(join_by(cpu_tid[i], deadline) == 0,
			  "exercise %s: under the %s, CPU thread %d is stuck after 20 s beside "
			  "threads doing I/O", ex, gil_mode_name(mode), i);
	for (int i = 0; i < IO; i++)
		cr_assert(join_by(io_tid[i], deadline) == 0 && s[i].rc == 0,
			  "exercise %s: under the %s, I/O thread %d is stuck or failed (rc %d)", ex,
			  gil_mode_name(mode), CPU + i, s[i].rc);
	assert_threads_ok(t, CPU, ticks, ex);
	assert_no_violation(&g, ex, "gil_blocking_call and the take/drop of your mode");
	gil_destroy(&g);
}

Test(ex4_4, cpu_and_io_threads_under_the_new_gil, .timeout = 40)
{
	REQUIRE_DONE(done_rc(4), "4.4");
	REQUIRE_BUILDS_ON(4, 1);
	REQUIRE_BUILDS_ON(4, 2);
	REQUIRE_BUILDS_ON(4, 3);
	mixed_run(GIL_NEW, "4.4");
}

/* --- 4.5: the old GIL ----------------------------------------------------------- */

Test(ex4_5, lets_go_every_100_ticks, .timeout = 20)
{
	REQUIRE_DONE(done_rc(5), "4.5");
	REQUIRE_BUILDS_ON(5, 1);
	static struct gil g;
	static struct gil_cpu_thread t;
	gil_init(&g, GIL_OLD, GIL_DEFAULT_INTERVAL_S);
	run_cpu_threads_within(&g, 1, 1050, &t, 10, "4.5");
	assert_threads_ok(&t, 1, 1050, "4.5");
	long releases = g.stats.slices[GIL_DROP_CHECK];
	cr_assert(releases >= 9 && releases <= 11,
		  "exercise 4.5: 1050 ticks with a check interval of 100 should let go of the GIL "
		  "10 times (GIL_DROP_CHECK), it did %ld times", releases);
	cr_assert(g.switch_number == 0 && g.stats.requests == 0,
		  "exercise 4.5: a lone thread must keep winning the GIL back: no hand-off, no "
		  "request");
	gil_destroy(&g);
}

Test(ex4_5, two_threads_battle_without_breaking_the_rule, .timeout = 40)
{
	REQUIRE_DONE(done_rc(5), "4.5");
	REQUIRE_BUILDS_ON(5, 1);
	enum { N = 2 };
	uint64_t ticks = gil_ticks_for(0.15);
	static struct gil g;
	static struct gil_cpu_thread t[N];
	gil_init(&g, GIL_OLD, GIL_DEFAULT_INTERVAL_S);
	run_cpu_threads_within(&g, N, ticks, t, 10, "4.5");
	assert_threads_ok(t, N, ticks, "4.5");
	assert_no_violation(&g, "4.5", "old_tick");
	long releases = g.stats.slices[GIL_DROP_CHECK], expected = (long)(N * ticks / 100);
	cr_assert(releases >= expected - N && releases <= expected + N,
		  "exercise 4.5: %llu ticks in all should let go %ld times, one per 100 ticks of "
		  "the thread holding it; counted %ld", (unsigned long long)(N * ticks), expected,
		  releases);
	gil_destroy(&g);
}

Test(ex4_5, cpu_and_io_threads_under_the_old_gil, .timeout = 40)
{
	REQUIRE_DONE(done_rc(5), "4.5");
	REQUIRE_BUILDS_ON(5, 1);
	REQUIRE_BUILDS_ON(5, 4);
	mixed_run(GIL_OLD, "4.5");
}
