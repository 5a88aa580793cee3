/*
 * Lab 4: a GIL, simulated - the contract.
 *
 * These are the functions you write in exercises.c.  The driver (main.c),
 * the checker (tests/lab4_check.c) and the given machinery (interpreter.h)
 * call them exactly as declared here, so do not change this file: change
 * exercises.c.
 *
 * The model.  A simulated Python thread is a C thread that runs "bytecode":
 * ticks of a little CPU work each (interpreter.h).  It must hold the GIL, one
 * lock shared by all the threads of the simulated interpreter, to run
 * bytecode; it calls gil_tick() after every tick, which is where the GIL can
 * take the CPU away from it; and it lets go of the GIL around blocking calls.
 * Threads are numbered 0, 1, 2 ... ("who"), as CPython tells its threads
 * apart by their thread state.
 *
 * Four kinds of interpreter, one mode each:
 *   GIL_NAIVE  a plain lock, taken at the start and held to the end    (4.1)
 *   GIL_NEW    CPython since 3.2: a switch interval, drop requests
 *              and forced switching                                    (4.2, 4.3)
 *   GIL_OLD    Python 2: let go and take it back every 100 ticks       (4.5)
 *   GIL_NONE   no GIL at all: the free-threaded build (PEP 703), in spirit
 * In every mode a thread lets go around blocking calls                 (4.4).
 *
 * Every function returns 0 on success, -1 on failure (after saying why),
 * or WB_NOT_DONE while it is still the handout's placeholder.
 */
#ifndef LAB4_EXERCISES_H
#define LAB4_EXERCISES_H

#include <pthread.h>
#include <stdatomic.h>

#include "exercise.h"
#include "timeline.h"

enum gil_mode { GIL_NONE, GIL_NAIVE, GIL_NEW, GIL_OLD };

/* Why a thread let go of the GIL (for the statistics; only ASKED changes behaviour). */
enum gil_drop_why {
	GIL_DROP_END,      /* its bytecode is finished */
	GIL_DROP_IO,       /* around a blocking call (4.4) */
	GIL_DROP_ASKED,    /* a waiter asked, through the drop request (4.2) */
	GIL_DROP_CHECK,    /* the old GIL's check interval came round (4.5) */
	GIL_DROP_WHYS
};

struct gil_stats {
	/* Guarded by gil.mutex: written by waiting threads. */
	long wakeups;              /* a waiter woke because the GIL was dropped ... */
	long futile_wakeups;       /* ... and found it taken again: the "GIL battle" */
	long timeouts;             /* a timed wait ran out (4.2) */
	long requests;             /* drop requests made (4.2) */
	/* Guarded by the GIL itself: only the holder writes them. */
	long slices[GIL_DROP_WHYS];     /* times held, by why it was dropped */
	double held_s[GIL_DROP_WHYS];   /* seconds held, by why it was dropped */
	double longest_slice_s;
};

struct gil {
	enum gil_mode mode;
	double interval_s;          /* the switch interval (sys.setswitchinterval), GIL_NEW */
	int check_interval;         /* ticks between releases, GIL_OLD (Python 2: 100) */
	int forced_switching;       /* GIL_NEW: 1 to wait for a hand-off after a drop on request (4.3) */

	pthread_mutex_t mutex;      /* guards locked, last_holder, switch_number, stats */
	pthread_cond_t cond;        /* signalled when the GIL is dropped */
	int locked;                 /* 1 while a thread holds the GIL */
	int last_holder;            /* who took it last, -1 before anyone did (see gil_note_taken) */
	unsigned long switch_number; /* hand-offs: times it passed to a different thread */
	atomic_int drop_request;    /* set by a waiter that waited an interval; polled every tick */

	pthread_mutex_t switch_mutex;  /* forced switching (4.3): last_holder is also written under it */
	pthread_cond_t switch_cond;    /* signalled whenever a thread takes the GIL */

	long ticker;                /* GIL_OLD: ticks since the last release (guarded by the GIL) */

	/* Instrumentation, kept by interpreter.h around your functions. */
	atomic_int inside;          /* threads between taking and dropping: never more than 1 */
	atomic_int inside_who;      /* which thread that is (-1: none) */
	atomic_long violations;     /* ticks or takes that found the rule broken */
	double taken_at;            /* when the holder took it (guarded by the GIL) */
	struct wb_timeline *tl;     /* if set, each time a thread held the GIL is a span */
	struct gil_stats stats;
};

/*
 * Exercise 4.1 - a plain lock (GIL_NAIVE, and the lock under every mode).
 * plain_take: under g->mutex, wait on g->cond while g->locked is set; after
 * each wake-up call gil_note_wakeup(g, 0) (it counts the futile ones).  Then
 * set locked and call gil_note_taken(g, who), which records who has it.
 * plain_drop: under g->mutex, clear locked and signal g->cond, so that one
 * waiter wakes up and tries.  Every mode drops the GIL with plain_drop.
 */
int plain_take(struct gil *g, int who);
int plain_drop(struct gil *g, int who);

/*
 * Exercise 4.2 - the switch interval (GIL_NEW).
 * interval_take: plain_take with a time limit on each wait.  Before each
 * wait, note g->switch_number; wait on g->cond until gil_deadline(g->interval_s)
 * (pthread_cond_timedwait: ETIMEDOUT is not an error here); call
 * gil_note_wakeup(g, timed_out).  If the wait timed out, the GIL is still
 * locked and switch_number has not moved (nobody got it in a whole
 * interval), ask the holder to let go: set g->drop_request to 1 and count
 * it in g->stats.requests.  Keep waiting while it is locked.  Once you have
 * it (locked set, gil_note_taken called), clear g->drop_request.
 * interval_tick: the check the holder makes after every tick.  If
 * g->drop_request is set (one atomic load: this runs millions of times a
 * second), drop the GIL with gil_drop(g, who, GIL_DROP_ASKED), then take it
 * back with gil_take(g, who).
 */
int interval_take(struct gil *g, int who);
int interval_tick(struct gil *g, int who);

/*
 * Exercise 4.3 - forced switching.
 * After a drop on request, gil_drop() calls this (when g->forced_switching
 * is set): wait on g->switch_cond, under g->switch_mutex, until another
 * thread has taken the GIL, that is until g->last_holder is no longer `who`
 * (gil_note_taken changes it and signals switch_cond, under switch_mutex).
 * Return at once if another thread has already taken it.
 */
int wait_for_switch(struct gil *g, int who);

/*
 * Exercise 4.4 - let go around blocking calls (CPython's
 * Py_BEGIN_ALLOW_THREADS ... Py_END_ALLOW_THREADS).
 * The caller holds the GIL.  Drop it with gil_drop(g, who, GIL_DROP_IO),
 * call fn(arg), which may block as long as it likes, then take the GIL back
 * with gil_take(g, who) before returning.  fn runs without the GIL, so it
 * must not touch the interpreter's state (here: struct gil's fields).
 */
int gil_blocking_call(struct gil *g, int who, void (*fn)(void *arg), void *arg);

/*
 * Exercise 4.5 - the old GIL (Python 2, GIL_OLD).
 * The old interpreter's tick: count ticks in g->ticker, and every
 * g->check_interval ticks reset it, drop the GIL with
 * gil_drop(g, who, GIL_DROP_CHECK) and take it straight back with gil_take.
 * No request, no interval, no waiting for a hand-off: whoever wins the
 * lock gets it.  g->ticker needs no lock of its own: only the holder of
 * the GIL touches it.
 */
int old_tick(struct gil *g, int who);

/* The given machinery: gil_init, gil_take, gil_drop, gil_tick, the bytecode loop. */
#include "interpreter.h"

#endif
