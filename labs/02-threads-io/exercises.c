/*
 * Lab 2: threads for I/O - YOUR FILE.
 *
 * This is the only file you edit in this lab.  Each exercise is a function
 * with a numbered TODO; replace its placeholder `return TODO("2.k", ...);` with
 * your code.  Then:
 *     make lab2      run the lab (it works before you start, and says what is not done)
 *     make check2    check your exercises
 * The contract for each function is in exercises.h; the toolkit is in
 * common/ (http.h, timeline.h, timing.h).  You will want helper functions
 * and structs of your own (a thread's argument, the queue): put them here.
 */
#include "exercises.h"

#include <stdio.h>
#include <stdlib.h>

int fetch_thread_per_request(const char *const *urls, int n, struct fetch_result *results,
			     struct wb_timeline *tl)
{
	/*
	 * TODO 2.1: a thread per request.
	 *  - write a thread function that takes a small struct (the URL, where
	 *    its result goes, its index, the timeline), notes wb_now(), calls
	 *    wb_http_fetch(url, REQUEST_TIMEOUT_S, &result->http, NULL), stores
	 *    the rc, and records the span (worker i, task i, "fetch");
	 *  - start all n threads (pthread_create, checked), THEN join them all.
	 * Why is no lock needed here?  Each thread writes only its own slot.
	 * Careful:
	 *  - joining each thread right after creating it runs them one at a time;
	 *  - give each thread an argument of its own (an array of n structs), not
	 *    one struct you refill for the next thread: it may not have read it yet;
	 *  - only pthread_join says a thread is done.  Do not detach the threads
	 *    and sleep "long enough": the checker sends one request that outlasts
	 *    any such guess, and counts your threads after you return.
	 */
	return TODO("2.1", urls, n, results, tl);
}

int fetch_with_pool(const char *const *urls, int n, int workers, struct fetch_result *results,
		    struct wb_timeline *tl)
{
	/*
	 * TODO 2.2: a pool of workers.
	 *  - a queue of ints (URL indexes, and -1 as the poison pill) guarded by
	 *    a mutex, with a condition variable that workers wait on while it is
	 *    empty (wait in a while loop: wake-ups can be spurious);
	 *  - start `workers` threads; each loops: take an index, stop on -1,
	 *    fetch urls[index] into results[index], record the span
	 *    (worker w, task index, "fetch");
	 *  - put the n indexes in the queue, then one pill per worker;
	 *  - join every worker, then destroy the mutex and condition variable.
	 * Everything a worker does to the queue - the wait, reading the item,
	 * moving head and count - happens between lock and unlock.  A worker
	 * with nothing to take sleeps on the condition variable; it never
	 * loops on the count (with or without sched_yield or usleep).
	 * Worker w is one thread for the whole run (not a new batch of threads
	 * each round).
	 * The checker forces the bad interleavings: under its stress test every
	 * unlock lets other threads run, and every other wait returns at once
	 * (a spurious wake-up, which POSIX allows), so an `if` where the wait
	 * needs a `while`, or a take outside the lock, fails every time.
	 */
	return TODO("2.2", urls, n, workers, results, tl);
}

int summary_add(struct summary *s, size_t bytes, double seconds)
{
	/*
	 * TODO 2.3: shared state done right.
	 * Under s->lock: count one more request, add its bytes, and update the
	 * fastest and slowest times (the first request sets both: fastest_s
	 * starts at 0).  All of it under the lock, the comparisons too: a
	 * minimum updated after the unlock loses updates when threads race (the
	 * checker watches s->lock and sees any field written while it is free).
	 * Unlock on every way out of the function.
	 * Lab 6 runs this without the lock and watches the totals go wrong.
	 */
	return TODO("2.3", s, bytes, seconds);
}

int fetch_with_pool_keepalive(const char *const *urls, int n, int workers,
			      struct fetch_result *results, struct wb_timeline *tl)
{
	/*
	 * TODO 2.4: connection reuse.
	 * The pool of 2.2, except that each worker creates one client with
	 * wb_http_client_new(REQUEST_TIMEOUT_S) when it starts, makes every
	 * request with wb_http_get(client, ...), and frees it when it stops.
	 * Reuse your 2.2 code: a flag in the worker's argument is enough.
	 * Each worker needs its own client: a client belongs to one thread at a
	 * time, so one client shared by the workers corrupts their requests.
	 * A client not freed keeps its connection (a descriptor) open.
	 */
	return TODO("2.4", urls, n, workers, results, tl);
}

int predict_pool_time(int n, int workers, double delay_s, double *predicted_s)
{
	/*
	 * TODO 2.5: how many workers?
	 * W workers take the n requests W at a time: how many rounds is that,
	 * and how long is each round?  (Round up: 10 requests on 4 workers is
	 * 3 rounds.)
	 */
	return TODO("2.5", n, workers, delay_s, predicted_s);
}
