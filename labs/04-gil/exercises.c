/*
 * Lab 4: a GIL, simulated - YOUR FILE.
 *
 * This is the only file you edit in this lab.  Each exercise is a function
 * with a numbered TODO; replace its placeholder `return TODO("4.k", ...);` with
 * your code.  Then:
 *     make lab4      run the lab (it works before you start, and says what is not done)
 *     make check4    check your exercises
 * The contract for each function is in exercises.h; the machinery that
 * calls them (gil_take, gil_drop, gil_tick, the bytecode loop) is in
 * interpreter.h: read both first.  The order matters: 4.1's plain lock is
 * the lock under every later exercise.
 *
 * Rules of the GIL's state: g->locked, g->last_holder, g->switch_number and
 * g->stats are read and written with g->mutex held; g->drop_request is an
 * atomic, read without any lock; g->ticker belongs to whoever holds the GIL.
 * Check every pthread call (CHECK_PT, from checked.h).
 */
#include "exercises.h"

#include "checked.h"

#include <errno.h>
#include <stdio.h>

int plain_take(struct gil *g, int who)
{
	/*
	 * TODO 4.1a: take a plain lock.
	 *  - lock g->mutex;
	 *  - while g->locked: wait on g->cond (pthread_cond_wait releases the
	 *    mutex while it sleeps), then gil_note_wakeup(g, 0);
	 *  - set g->locked, call gil_note_taken(g, who), unlock the mutex.
	 * Why a while and not an if?  When you wake up, another thread may have
	 * taken the GIL first: that is a futile wake-up, and 4.5 counts them.
	 * (A wait may even end for no reason at all, a "spurious" wake-up: POSIX
	 * allows it, and the checker wakes your waits that way on purpose.)
	 */
	return TODO("4.1", g, who);
}

int plain_drop(struct gil *g, int who)
{
	/*
	 * TODO 4.1b: drop it.
	 * Under g->mutex: clear g->locked and signal g->cond (one waiter is
	 * enough: only one can have the GIL next).  Who gets it next is not
	 * yours to choose: the OS wakes a waiter, and anyone may get there first.
	 */
	return TODO("4.1", g, who);
}

int interval_take(struct gil *g, int who)
{
	/*
	 * TODO 4.2a: the switch interval (CPython's take_gil).
	 * As plain_take, but while g->locked:
	 *  - note g->switch_number;
	 *  - struct timespec deadline = gil_deadline(g->interval_s);
	 *    rc = pthread_cond_timedwait(&g->cond, &g->mutex, &deadline):
	 *    ETIMEDOUT means the interval passed (check any other non-zero rc);
	 *  - gil_note_wakeup(g, rc == ETIMEDOUT);
	 *  - timed out, still locked, and switch_number unchanged?  Then the
	 *    holder has had it for a whole interval: set the drop request
	 *    (atomic_store(&g->drop_request, 1)) and count it in g->stats.requests.
	 * Once you have it (locked, gil_note_taken), clear the drop request.
	 */
	return TODO("4.2", g, who);
}

int interval_tick(struct gil *g, int who)
{
	/*
	 * TODO 4.2b: the holder's check, after every tick.
	 * If the drop request is set: gil_drop(g, who, GIL_DROP_ASKED), then
	 * gil_take(g, who); return whichever of them fails, else 0.
	 * This runs after every tick, so the common case must cost one atomic
	 * load and nothing else: no lock, no system call.
	 */
	return TODO("4.2", g, who);
}

int wait_for_switch(struct gil *g, int who)
{
	/*
	 * TODO 4.3: forced switching (CPython's FORCE_SWITCHING).
	 * Lock g->switch_mutex; while g->last_holder == who, wait on
	 * g->switch_cond; unlock.
	 * Why the loop reads last_holder instead of just waiting for a signal:
	 * the waiter may take the GIL before you even get here, and a signal
	 * sent while nobody waits is lost; and a wake-up may be spurious.
	 */
	return TODO("4.3", g, who);
}

int gil_blocking_call(struct gil *g, int who, void (*fn)(void *arg), void *arg)
{
	/*
	 * TODO 4.4: let go around a blocking call.
	 * gil_drop(g, who, GIL_DROP_IO); fn(arg); gil_take(g, who).
	 * Return what the drop or the take returned if it was not 0.
	 * While fn blocks, other threads run bytecode: this is why Python
	 * threads speed up waiting.
	 */
	return TODO("4.4", g, who, fn, arg);
}

int old_tick(struct gil *g, int who)
{
	/*
	 * TODO 4.5: the old GIL's tick (Python 2's check interval).
	 * ++g->ticker; once it reaches g->check_interval: set it back to 0,
	 * gil_drop(g, who, GIL_DROP_CHECK), gil_take(g, who).
	 * Predict first: on 2 cores, with another thread waiting, who takes the
	 * GIL after the drop, the waiter (asleep) or you (running)?
	 */
	return TODO("4.5", g, who);
}
