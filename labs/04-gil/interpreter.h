/*
 * interpreter.h - lab 4's given machinery: the simulated interpreter around
 * your GIL (given: read it, don't change it; your work is in exercises.c).
 *
 * Why a header of static inline functions: the Makefile builds exactly two
 * files per lab, main.c and exercises.c, and links your exercises.c (or the
 * reference one) into both the lab program and the checker.  Code that all
 * of them share, and that edits to exercises.c must not be able to break,
 * can only live in a header.  In exercises.c it would be yours to change by
 * accident, and the reference solution would need a second copy that could
 * drift from the first.
 *
 *   gil_init, gil_destroy      set a GIL up, and down again
 *   gil_deadline               a deadline for pthread_cond_timedwait (4.2)
 *   gil_note_wakeup            your take calls it after each wait: counts wake-ups
 *   gil_note_taken             your take calls it once it has the GIL: hand-offs
 *   gil_take, gil_drop,        what every simulated thread calls: they run your
 *   gil_tick                   function for the mode and keep the instrumentation
 *   gil_run_ticks              the bytecode loop: ticks of CPU work, gil_tick after each
 *   gil_cpu_thread_main        a CPU-bound simulated thread, from start to end
 *   gil_missing                which of the exercises a run needs are not done yet
 *
 * The instrumentation: gil_take and gil_drop count the threads inside (between
 * a take and its drop), gil_tick checks at every tick that the ticking thread
 * is the one and only thread inside, and any breach of that rule is counted
 * in g->violations (the checker requires 0).  Each time a thread held the GIL
 * ("a slice") is timed, counted by why it ended, and recorded as a span on
 * g->tl if there is one: the timeline of who held the GIL when.
 */
#ifndef LAB4_INTERPRETER_H
#define LAB4_INTERPRETER_H

#include "exercises.h"

#include "check.h"
#include "cpuwork.h"
#include "timing.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A tick is one "bytecode": 32 items of the CPU kernel, some 35 ns, about
 * what CPython spends on a simple bytecode instruction. */
#define GIL_ITEMS_PER_TICK 32
/* Python 2's sys.setcheckinterval default: a release every 100 ticks. */
#define GIL_CHECK_INTERVAL 100
/* CPython's default switch interval, sys.getswitchinterval(): 5 ms. */
#define GIL_DEFAULT_INTERVAL_S 0.005

/* --- Setting up ------------------------------------------------------------ */

static inline void gil_init(struct gil *g, enum gil_mode mode, double interval_s)
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

/* Only once no thread uses it any more (every thread joined). */
static inline void gil_destroy(struct gil *g)
{
	CHECK_PT(pthread_cond_destroy(&g->cond));
	CHECK_PT(pthread_cond_destroy(&g->switch_cond));
	CHECK_PT(pthread_mutex_destroy(&g->mutex));
	CHECK_PT(pthread_mutex_destroy(&g->switch_mutex));
}

static inline const char *gil_mode_name(enum gil_mode mode)
{
	switch (mode) {
	case GIL_NONE: return "no GIL";
	case GIL_NAIVE: return "naive GIL";
	case GIL_NEW: return "new GIL";
	case GIL_OLD: return "old GIL";
	}
	return "?";
}

/* --- Helpers your exercises call ------------------------------------------ */

/* The moment `seconds` from now, for pthread_cond_timedwait on g->cond. */
static inline struct timespec gil_deadline(double seconds)
{
	return wb_deadline_in(CLOCK_MONOTONIC, seconds);
}

/*
 * Call with g->mutex held, each time a wait on g->cond returns.  A wake-up
 * that finds the GIL locked again was futile: another thread got there
 * first, and this one goes back to sleep having gained nothing.
 */
static inline void gil_note_wakeup(struct gil *g, int timed_out)
{
	if (timed_out) {
		g->stats.timeouts++;
		return;
	}
	g->stats.wakeups++;
	if (g->locked)
		g->stats.futile_wakeups++;
}

/*
 * Call with g->mutex held, right after setting g->locked.  When the GIL
 * passes to another thread than the one that had it last, that is a
 * hand-off: switch_number counts them.  Then it wakes the previous holder if
 * it waits for exactly that (forced switching, 4.3).  last_holder changes
 * under switch_mutex as well, so that wait_for_switch may read it holding
 * switch_mutex alone, and cannot miss the signal.
 */
static inline void gil_note_taken(struct gil *g, int who)
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

/* --- Instrumentation (around your functions, so that it cannot be skipped) */

static inline const char *gil_why_name(enum gil_drop_why why)
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
static inline void gil_enter(struct gil *g, int who)
{
	if (atomic_fetch_add(&g->inside, 1) != 0)
		atomic_fetch_add(&g->violations, 1);
	atomic_store(&g->inside_who, who);
	g->taken_at = wb_now();
}

/* A thread is about to drop the GIL: time its slice, and record it. */
static inline void gil_leave(struct gil *g, int who, enum gil_drop_why why)
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
static inline void gil_check_alone(struct gil *g, int who)
{
	if (atomic_load_explicit(&g->inside, memory_order_relaxed) != 1 ||
	    atomic_load_explicit(&g->inside_who, memory_order_relaxed) != who)
		atomic_fetch_add(&g->violations, 1);
}

/* --- What every simulated thread calls ------------------------------------- */

/* Take the GIL (your plain_take or interval_take, by mode). */
static inline int gil_take(struct gil *g, int who)
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

/* Drop the GIL (your plain_drop); after a drop on request, wait for the switch (4.3). */
static inline int gil_drop(struct gil *g, int who, enum gil_drop_why why)
{
	if (g->mode == GIL_NONE)
		return 0;
	gil_leave(g, who, why);
	int rc = plain_drop(g, who);
	if (rc == 0 && why == GIL_DROP_ASKED && g->mode == GIL_NEW && g->forced_switching)
		rc = wait_for_switch(g, who);
	return rc;
}

/* After every tick: your interval_tick or old_tick, by mode. */
static inline int gil_tick(struct gil *g, int who)
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

/* --- The bytecode loop ------------------------------------------------------ */

/* One tick of work.  Ticks 0 .. n-1 add up to wb_cpu_sum(0, n * GIL_ITEMS_PER_TICK). */
static inline uint64_t gil_tick_work(uint64_t tick)
{
	return wb_cpu_sum(tick * GIL_ITEMS_PER_TICK, GIL_ITEMS_PER_TICK);
}

/* Ticks that take about `seconds` of one core here (calibrated, at least 1). */
static inline uint64_t gil_ticks_for(double seconds)
{
	uint64_t ticks = wb_cpu_items_for(seconds) / GIL_ITEMS_PER_TICK;
	return ticks ? ticks : 1;
}

/*
 * Run ticks [first, first + count) with the GIL held, calling gil_tick
 * after each, as CPython's evaluation loop checks its "eval breaker"
 * between instructions.  Stops early once *stop is set (if stop is not
 * NULL).  Adds the work to *sum and the ticks run to *done.
 */
static inline int gil_run_ticks(struct gil *g, int who, uint64_t first, uint64_t count,
				atomic_int *stop, uint64_t *sum, uint64_t *done)
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

/* A CPU-bound simulated thread: take the GIL, run its ticks, drop it. */
struct gil_cpu_thread {
	struct gil *g;
	int who;
	uint64_t ticks;         /* runs ticks 0 .. ticks-1 */
	atomic_int *stop;       /* if not NULL: stops early once it is set */
	/* results */
	uint64_t sum;           /* the work's checksum */
	uint64_t ticks_done;
	int rc;                 /* 0, or what an exercise returned */
	double started, finished;   /* wb_now() when it began and when it had dropped the GIL */
};

static inline void *gil_cpu_thread_main(void *arg)
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

/* --- Which exercises are done? ----------------------------------------------- */

#define GIL_NEEDS(k) (1u << (k))

enum gil_exercise_state { GIL_EXERCISE_NOT_DONE, GIL_EXERCISE_DONE, GIL_EXERCISE_STUCK };

static inline void gil_noop(void *arg)
{
	(void)arg;
}

/* A scratch GIL, and which exercise to try on it. */
struct gil_probe {
	struct gil g;
	int k;
	int rc;
};

/* Exercise 4.k's functions, once each, by a thread alone, in a state where a
 * correct version returns at once. */
static inline void *gil_probe_main(void *arg)
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
static inline enum gil_exercise_state gil_try_exercise(int k)
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
static inline enum gil_exercise_state gil_exercise_state(int k)
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

/* Not the placeholder any more (done, or at least started). */
static inline int gil_exercise_done(int k)
{
	return gil_exercise_state(k) != GIL_EXERCISE_NOT_DONE;
}

/* Why a run that needs `needs` (GIL_NEEDS(1) | GIL_NEEDS(2) ...) cannot run yet:
 * "exercise 4.k not done yet", or that it never returns; NULL when it can. */
static inline const char *gil_missing(unsigned needs)
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

/* What a mode needs: the lock (4.1), and the mode's own exercises. */
static inline unsigned gil_needs(enum gil_mode mode, int forced_switching)
{
	switch (mode) {
	case GIL_NONE: return 0;
	case GIL_NAIVE: return GIL_NEEDS(1);
	case GIL_NEW: return GIL_NEEDS(1) | GIL_NEEDS(2) | (forced_switching ? GIL_NEEDS(3) : 0);
	case GIL_OLD: return GIL_NEEDS(1) | GIL_NEEDS(5);
	}
	return 0;
}

#endif
