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
	 * Careful: joining each thread right after creating it runs them one
	 * at a time.
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
	 */
	return TODO("2.2", urls, n, workers, results, tl);
}

int summary_add(struct summary *s, size_t bytes, double seconds)
{
	/*
	 * TODO 2.3: shared state done right.
	 * Under s->lock: count one more request, add its bytes, and update the
	 * fastest and slowest times (the first request sets both).
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
