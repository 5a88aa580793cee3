/*
 * Lab 4: a GIL, simulated - reference solutions.
 * (For instructors: `make solution4` runs the lab with this file.)
 *
 * The new GIL follows CPython's Python/ceval_gil.c (3.2 to 3.12) step for
 * step: take_gil is interval_take, drop_gil is plain_drop followed by
 * wait_for_switch, and the eval breaker's drop request is interval_tick.
 */
#include "exercises.h"

#include "checked.h"

#include <errno.h>
#include <stdio.h>

/* --- 4.1: a plain lock ----------------------------------------------------- */

int plain_take(struct gil *g, int who)
{
	CHECK_PT(pthread_mutex_lock(&g->mutex));
	while (g->locked) {
		CHECK_PT(pthread_cond_wait(&g->cond, &g->mutex));
		gil_note_wakeup(g, 0);
	}
	g->locked = 1;
	gil_note_taken(g, who);
	CHECK_PT(pthread_mutex_unlock(&g->mutex));
	return 0;
}

int plain_drop(struct gil *g, int who)
{
	(void)who;
	CHECK_PT(pthread_mutex_lock(&g->mutex));
	g->locked = 0;
	/* One waiter is enough: only one thread can have the GIL next. */
	CHECK_PT(pthread_cond_signal(&g->cond));
	CHECK_PT(pthread_mutex_unlock(&g->mutex));
	return 0;
}

/* --- 4.2: the switch interval ----------------------------------------------- */

/* Wait on g->cond for at most one interval (g->mutex held); 1 if it timed out. */
static int wait_one_interval(struct gil *g)
{
	struct timespec deadline = gil_deadline(g->interval_s);
	int rc = pthread_cond_timedwait(&g->cond, &g->mutex, &deadline);
	if (rc != 0 && rc != ETIMEDOUT)
		DIE("pthread_cond_timedwait: %s", wb_strerror(rc));
	return rc == ETIMEDOUT;
}

int interval_take(struct gil *g, int who)
{
	CHECK_PT(pthread_mutex_lock(&g->mutex));
	while (g->locked) {
		unsigned long switches_before = g->switch_number;
		int timed_out = wait_one_interval(g);
		gil_note_wakeup(g, timed_out);
		/* A whole interval went by and the GIL never changed hands: whoever
		 * has it has had it long enough.  (If it did change hands, the new
		 * holder gets a full interval of its own before we ask.) */
		if (timed_out && g->locked && g->switch_number == switches_before) {
			atomic_store(&g->drop_request, 1);
			g->stats.requests++;
		}
	}
	g->locked = 1;
	gil_note_taken(g, who);
	/* Whatever was asked of the last holder has been done: it let go. */
	atomic_store(&g->drop_request, 0);
	CHECK_PT(pthread_mutex_unlock(&g->mutex));
	return 0;
}

int interval_tick(struct gil *g, int who)
{
	/* The common case: one relaxed load, no lock, no system call. */
	if (!atomic_load_explicit(&g->drop_request, memory_order_relaxed))
		return 0;
	int rc = gil_drop(g, who, GIL_DROP_ASKED);
	if (rc != 0)
		return rc;
	/* Other threads run now.  Then queue up for it like everyone else. */
	return gil_take(g, who);
}

/* --- 4.3: forced switching ----------------------------------------------------- */

int wait_for_switch(struct gil *g, int who)
{
	CHECK_PT(pthread_mutex_lock(&g->switch_mutex));
	/* Test the state, not the signal: the waiter may have taken the GIL
	 * (and signalled nobody) before we got here. */
	while (g->last_holder == who)
		CHECK_PT(pthread_cond_wait(&g->switch_cond, &g->switch_mutex));
	CHECK_PT(pthread_mutex_unlock(&g->switch_mutex));
	return 0;
}

/* --- 4.4: let go around blocking calls ----------------------------------------- */

int gil_blocking_call(struct gil *g, int who, void (*fn)(void *arg), void *arg)
{
	int rc = gil_drop(g, who, GIL_DROP_IO);
	if (rc != 0)
		return rc;
	fn(arg);	/* may block as long as it likes: others run bytecode meanwhile */
	return gil_take(g, who);
}

/* --- 4.5: the old GIL ---------------------------------------------------------- */

int old_tick(struct gil *g, int who)
{
	if (++g->ticker < g->check_interval)
		return 0;
	g->ticker = 0;
	/* Let go and take it straight back.  The waiter is asleep and must be
	 * woken; we are running.  Guess who usually wins. */
	int rc = gil_drop(g, who, GIL_DROP_CHECK);
	if (rc != 0)
		return rc;
	return gil_take(g, who);
}
