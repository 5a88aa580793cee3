/*
 * interpreter.h - lab 4's given machinery: the simulated interpreter around
 * your GIL (given: read it, don't change it; your work is in exercises.c).
 *
 * The code is in interpreter.c, which the Makefile links into the lab
 * program, the checker and the reference build alike: what they share, and
 * what no edit of exercises.c can break.
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

/* What the code around the GIL uses, and so does yours. */
#include "checked.h"
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

void gil_init(struct gil *g, enum gil_mode mode, double interval_s);

/* Only once no thread uses it any more (every thread joined). */
void gil_destroy(struct gil *g);

const char *gil_mode_name(enum gil_mode mode);

/* --- Helpers your exercises call ------------------------------------------ */

/* The moment `seconds` from now, for pthread_cond_timedwait on g->cond. */
struct timespec gil_deadline(double seconds);

/*
 * Call with g->mutex held, each time a wait on g->cond returns.  A wake-up
 * that finds the GIL locked again was futile: another thread got there
 * first, and this one goes back to sleep having gained nothing.
 */
void gil_note_wakeup(struct gil *g, int timed_out);

/*
 * Call with g->mutex held, right after setting g->locked.  When the GIL
 * passes to another thread than the one that had it last, that is a
 * hand-off: switch_number counts them.  Then it wakes the previous holder if
 * it waits for exactly that (forced switching, 4.3).  last_holder changes
 * under switch_mutex as well, so that wait_for_switch may read it holding
 * switch_mutex alone, and cannot miss the signal.
 */
void gil_note_taken(struct gil *g, int who);

/* --- What every simulated thread calls ------------------------------------- */

/* Take the GIL (your plain_take or interval_take, by mode). */
int gil_take(struct gil *g, int who);

/* Drop the GIL (your plain_drop); after a drop on request, wait for the switch (4.3). */
int gil_drop(struct gil *g, int who, enum gil_drop_why why);

/* After every tick: your interval_tick or old_tick, by mode. */
int gil_tick(struct gil *g, int who);

/* --- The bytecode loop ------------------------------------------------------ */

/* Ticks that take about `seconds` of one core here (calibrated, at least 1). */
uint64_t gil_ticks_for(double seconds);

/*
 * Run ticks [first, first + count) with the GIL held, calling gil_tick
 * after each, as CPython's evaluation loop checks its "eval breaker"
 * between instructions.  Stops early once *stop is set (if stop is not
 * NULL).  Adds the work to *sum and the ticks run to *done.
 */
int gil_run_ticks(struct gil *g, int who, uint64_t first, uint64_t count, atomic_int *stop,
		  uint64_t *sum, uint64_t *done);

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

void *gil_cpu_thread_main(void *arg);

/* --- Which exercises are done? ----------------------------------------------- */

#define GIL_NEEDS(k) (1u << (k))

/* Not the placeholder any more (done, or at least started). */
int gil_exercise_done(int k);

/* Why a run that needs `needs` (GIL_NEEDS(1) | GIL_NEEDS(2) ...) cannot run yet:
 * "exercise 4.k not done yet", or that it never returns; NULL when it can. */
const char *gil_missing(unsigned needs);

/* What a mode needs: the lock (4.1), and the mode's own exercises. */
unsigned gil_needs(enum gil_mode mode, int forced_switching);

#endif
