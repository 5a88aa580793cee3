/*
 * interpreter.c - lab 4's given machinery (see interpreter.h): read it,
 * don't change it; your work is in exercises.c.
 */
#include "interpreter.h"

#include "checked.h"
#include "cpuwork.h"
#include "timing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum gil_exercise_state { GIL_EXERCISE_NOT_DONE, GIL_EXERCISE_DONE, GIL_EXERCISE_STUCK };

/* A scratch GIL, and which exercise to try on it. */
struct gil_probe {
	struct gil g;
	int k;
	int rc;
};

void gil_init(struct gil *g, enum gil_mode mode, double interval_s)
{
	memset(g, 0, sizeof *g);
	g->mode = mode;
	g->interval_s = interval_s;
	g->check_interval = GIL_CHECK_INTERVAL;
	g->forced_switching = 1;
	g->last_holder = -1;
	atomic_init(&g->drop_request, 0);
	atomic_init(&g->inside, 0);
	atomic_init(&g->inside_who, -1);
	atomic_init(&g->violations, 0);
	CHECK_PT(pthread_mutex_init(&g->mutex, NULL));
	CHECK_PT(pthread_mutex_init(&g->switch_mutex, NULL));
	CHECK_PT(pthread_cond_init(&g->switch_cond, NULL));
	/* Timed waits measure the interval on the monotonic clock, which never
	 * jumps when someone sets the date (the default clock, CLOCK_REALTIME, can). */
	pthread_condattr_t attr;
	CHECK_PT(pthread_condattr_init(&attr));
	CHECK_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	CHECK_PT(pthread_cond_init(&g->cond, &attr));
	CHECK_PT(pthread_condattr_destroy(&attr));
}

void gil_destroy(struct gil *g)
{
	CHECK_PT(pthread_cond_destroy(&g->cond));
	CHECK_PT(pthread_cond_destroy(&g->switch_cond));
	CHECK_PT(pthread_mutex_destroy(&g->mutex));
	CHECK_PT(pthread_mutex_destroy(&g->switch_mutex));
}

const char *gil_mode_name(enum gil_mode mode)
{
	switch (mode) {
	case GIL_NONE: return "no GIL";
	case GIL_NAIVE: return "naive GIL";
	case GIL_NEW: return "new GIL";
	case GIL_OLD: return "old GIL";
	}
	return "?";
}

struct timespec gil_deadline(double seconds)
{
	return wb_deadline_in(CLOCK_MONOTONIC, seconds);
}

void gil_note_wakeup(struct gil *g, int timed_out)
{
	if (timed_out) {
		g->stats.timeouts++;
		return;
	}
	g->stats.wakeups++;
	if (g->locked)
		g->stats.futile_wakeups++;
}

void gil_note_taken(struct gil *g, int who)
{
	CHECK_PT(pthread_mutex_lock(&g->switch_mutex));
	if (who != g->last_holder) {
		if (g->last_holder != -1)
			g->switch_number++;
		g->last_holder = who;
	}
	/* Only the thread that held it last can be waiting: one signal will do. */
	CHECK_PT(pthread_cond_signal(&g->switch_cond));
	CHECK_PT(pthread_mutex_unlock(&g->switch_mutex));
}

static const char *gil_why_name(enum gil_drop_why why)
{
	switch (why) {
	case GIL_DROP_END: return "end";
	case GIL_DROP_IO: return "io";
	case GIL_DROP_ASKED: return "asked";
	case GIL_DROP_CHECK: return "check";
	case GIL_DROP_WHYS: break;
	}
	return "?";
}

/* A thread has just taken the GIL: nobody else may be inside. */
static void gil_enter(struct gil *g, int who)
{
	if (atomic_fetch_add(&g->inside, 1) != 0)
		atomic_fetch_add(&g->violations, 1);
	atomic_store(&g->inside_who, who);
	g->taken_at = wb_now();
}

/* A thread is about to drop the GIL: time its slice, and record it. */
static void gil_leave(struct gil *g, int who, enum gil_drop_why why)
{
	struct gil_stats *s = &g->stats;
	double now = wb_now(), held = now - g->taken_at;
	long slices = 0;
	for (int w = 0; w < GIL_DROP_WHYS; w++)
		slices += s->slices[w];
	s->slices[why]++;
	s->held_s[why] += held;
	if (held > s->longest_slice_s)
		s->longest_slice_s = held;
	if (g->tl)	/* a full timeline just stops recording: the figures stay right */
		(void)wb_timeline_record(g->tl, who, (int)slices, gil_why_name(why), g->taken_at, now);
	atomic_store(&g->inside_who, -1);
	atomic_fetch_sub(&g->inside, 1);
}

/* At every tick: the ticking thread must be inside, and alone. */
static void gil_check_alone(struct gil *g, int who)
{
	if (atomic_load_explicit(&g->inside, memory_order_relaxed) != 1 ||
	    atomic_load_explicit(&g->inside_who, memory_order_relaxed) != who)
		atomic_fetch_add(&g->violations, 1);
}

int gil_take(struct gil *g, int who)
{
	int rc = 0;
	switch (g->mode) {
	case GIL_NONE:
		return 0;	/* free-threaded: there is nothing to take */
	case GIL_NAIVE:
	case GIL_OLD:
		rc = plain_take(g, who);
		break;
	case GIL_NEW:
		rc = interval_take(g, who);
		break;
	}
	if (rc == 0)
		gil_enter(g, who);
	return rc;
}

int gil_drop(struct gil *g, int who, enum gil_drop_why why)
{
	if (g->mode == GIL_NONE)
		return 0;
	gil_leave(g, who, why);
	int rc = plain_drop(g, who);
	if (rc == 0 && why == GIL_DROP_ASKED && g->mode == GIL_NEW && g->forced_switching)
		rc = wait_for_switch(g, who);
	return rc;
}

int gil_tick(struct gil *g, int who)
{
	switch (g->mode) {
	case GIL_NONE:
		return 0;	/* nothing to check: threads really run at once */
	case GIL_NAIVE:
		gil_check_alone(g, who);
		return 0;	/* held to the end: never lets go */
	case GIL_NEW:
		gil_check_alone(g, who);
		return interval_tick(g, who);
	case GIL_OLD:
		gil_check_alone(g, who);
		return old_tick(g, who);
	}
	return 0;
}

/* One tick of work.  Ticks 0 .. n-1 add up to wb_cpu_sum(0, n * GIL_ITEMS_PER_TICK). */
static uint64_t gil_tick_work(uint64_t tick)
{
	return wb_cpu_sum(tick * GIL_ITEMS_PER_TICK, GIL_ITEMS_PER_TICK);
}

uint64_t gil_ticks_for(double seconds)
{
	uint64_t ticks = wb_cpu_items_for(seconds) / GIL_ITEMS_PER_TICK;
	return ticks ? ticks : 1;
}

int gil_run_ticks(struct gil *g, int who, uint64_t first, uint64_t count, atomic_int *stop,
		  uint64_t *sum, uint64_t *done)
{
	/* Count in locals and write *sum and *done once, at the end: they may sit
	 * on a cache line shared with another thread's (or, in a MAP_SHARED
	 * page, another process's), and writing it at every tick would make the
	 * cores fight over that line ("false sharing") far longer than a tick. */
	uint64_t local_sum = 0, local_done = 0;
	int rc = 0;
	for (uint64_t t = first; t < first + count; t++) {
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			break;
		local_sum += gil_tick_work(t);
		local_done++;
		rc = gil_tick(g, who);
		if (rc != 0)
			break;
	}
	*sum += local_sum;
	*done += local_done;
	return rc;
}

void *gil_cpu_thread_main(void *arg)
{
	struct gil_cpu_thread *t = arg;
	t->started = wb_now();
	t->rc = gil_take(t->g, t->who);
	if (t->rc == 0)
		t->rc = gil_run_ticks(t->g, t->who, 0, t->ticks, t->stop, &t->sum, &t->ticks_done);
	if (t->rc == 0)
		t->rc = gil_drop(t->g, t->who, GIL_DROP_END);
	t->finished = wb_now();
	return NULL;
}

static void gil_noop(void *arg)
{
	(void)arg;
}

/* Exercise 4.k's functions, once each, by a thread alone, in a state where a
 * correct version returns at once. */
static void *gil_probe_main(void *arg)
{
	struct gil_probe *p = arg;
	struct gil *g = &p->g;
	switch (p->k) {
	case 1:
		p->rc = plain_take(g, 0);
		if (p->rc == 0)
			p->rc = plain_drop(g, 0);
		break;
	case 2:
		p->rc = interval_take(g, 0);	/* nobody holds it: taken at once */
		if (p->rc == 0)
			p->rc = interval_tick(g, 0);	/* nobody asked: nothing to do */
		break;
	case 3:
		g->last_holder = 1;	/* somebody else took it already: no wait */
		p->rc = wait_for_switch(g, 0);
		break;
	case 4:
		p->rc = gil_blocking_call(g, 0, gil_noop, NULL);	/* no GIL: nothing to drop */
		break;
	case 5:
		g->locked = 1;
		p->rc = old_tick(g, 0);	/* tick 1 of 100: nothing to release yet */
		break;
	}
	return NULL;
}

/*
 * Is exercise 4.k done?  The placeholder returns WB_NOT_DONE at once; a
 * correct version returns 0 at once.  The try runs in a thread of its own,
 * so that a version that never returns (a wait nothing will end) is
 * reported as stuck instead of hanging the caller; that thread and its
 * scratch GIL are then left as they are.
 */
static enum gil_exercise_state gil_try_exercise(int k)
{
	struct gil_probe *p = wb_xcalloc(1, sizeof *p);
	p->k = k;
	gil_init(&p->g, k == 4 ? GIL_NONE : k == 5 ? GIL_OLD : GIL_NEW, GIL_DEFAULT_INTERVAL_S);
	pthread_t t;
	CHECK_PT(pthread_create(&t, NULL, gil_probe_main, p));
	struct timespec limit = wb_deadline_in(CLOCK_REALTIME, 2);	/* pthread_timedjoin_np's clock */
	int err = pthread_timedjoin_np(t, NULL, &limit);
	if (err == ETIMEDOUT) {
		CHECK_PT(pthread_detach(t));
		return GIL_EXERCISE_STUCK;
	}
	CHECK_PT(err);
	int rc = p->rc;
	gil_destroy(&p->g);
	free(p);
	return rc == WB_NOT_DONE ? GIL_EXERCISE_NOT_DONE : GIL_EXERCISE_DONE;
}

/* The same, remembered: the code cannot change while the program runs, and a
 * stuck try costs 2 s.  Call it from one thread only (the main one). */
static enum gil_exercise_state gil_exercise_state(int k)
{
	static int tried[6];
	static enum gil_exercise_state state[6];
	if (k < 1 || k > 5)
		DIE("no exercise 4.%d", k);
	if (!tried[k]) {
		state[k] = gil_try_exercise(k);
		tried[k] = 1;
	}
	return state[k];
}

int gil_exercise_done(int k)
{
	return gil_exercise_state(k) != GIL_EXERCISE_NOT_DONE;
}

const char *gil_missing(unsigned needs)
{
	static const char *const not_done[] = {
		"", "exercise 4.1 not done yet", "exercise 4.2 not done yet",
		"exercise 4.3 not done yet", "exercise 4.4 not done yet", "exercise 4.5 not done yet",
	};
	static const char *const stuck[] = {
		"", "exercise 4.1 never returns (make check4)", "exercise 4.2 never returns (make check4)",
		"exercise 4.3 never returns (make check4)", "exercise 4.4 never returns (make check4)",
		"exercise 4.5 never returns (make check4)",
	};
	for (int k = 1; k <= 5; k++) {
		if (!(needs & GIL_NEEDS(k)))
			continue;
		switch (gil_exercise_state(k)) {
		case GIL_EXERCISE_NOT_DONE: return not_done[k];
		case GIL_EXERCISE_STUCK: return stuck[k];
		case GIL_EXERCISE_DONE: break;
		}
	}
	return NULL;
}

unsigned gil_needs(enum gil_mode mode, int forced_switching)
{
	switch (mode) {
	case GIL_NONE: return 0;
	case GIL_NAIVE: return GIL_NEEDS(1);
	case GIL_NEW: return GIL_NEEDS(1) | GIL_NEEDS(2) | (forced_switching ? GIL_NEEDS(3) : 0);
	case GIL_OLD: return GIL_NEEDS(1) | GIL_NEEDS(5);
	}
	return 0;
}
