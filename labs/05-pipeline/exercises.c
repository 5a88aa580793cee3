/*
 * Lab 5: the hybrid pipeline - YOUR FILE.
 *
 * This is the only file you edit in this lab.  Each exercise is a function
 * with a numbered TODO; replace its placeholder `return TODO("5.k", ...);`
 * with your code.  Then:
 *     make lab5      run the lab (it works before you start, and says what is not done)
 *     make check5    check your exercises
 * The contract is in exercises.h; the items are in workload.h (item_fetch,
 * item_process, item_release, item_sink) and the queue's struct in queue.h.
 * You will want helpers and a struct of your own (one run's shared state:
 * the queue, the next index to fetch, a lock): put them here.  Lab 2's pool
 * and lab 3's process pool are the models; copy their ideas, not their files.
 */
#include "exercises.h"

#include "checked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int queue_push(struct queue *q, void *item)
{
	/*
	 * TODO 5.1 (1 of 3): push.
	 * Under q->lock: WHILE the queue is full and not closed, wait on
	 * q->not_full (a `while`, never an `if`: a wake-up may be spurious, or
	 * another pusher may have filled the slot first).  Closed: unlock and
	 * return -1.  Else store the item at slot (head + count) % bound,
	 * count++, keep q->peak, signal q->not_empty, unlock, return 0.
	 */
	return TODO("5.1", q, item);
}

int queue_pop(struct queue *q, void **item)
{
	/*
	 * TODO 5.1 (2 of 3): pop.
	 * Under q->lock: WHILE the queue is empty and not closed, wait on
	 * q->not_empty.  Still empty (so closed): unlock, return QUEUE_CLOSED.
	 * Else take slots[head], move head on (modulo bound), count--, signal
	 * q->not_full, unlock, return 0.  Note the order of the tests: a closed
	 * queue that still holds items gives them out first.
	 */
	return TODO("5.1", q, item);
}

int queue_close(struct queue *q)
{
	/*
	 * TODO 5.1 (3 of 3): close.
	 * Under the lock, set q->closed and BROADCAST both conditions.  A
	 * signal wakes one waiter: with three workers waiting on an empty
	 * queue, two would sleep for ever, and the join would hang.  Closing
	 * replaces lab 2's poison pills: one call stops any number of poppers,
	 * and it also frees the pushers blocked on a full queue (5.5 needs it).
	 */
	return TODO("5.1", q);
}

int run_phased(struct workload *w, int fetchers, int workers, uint64_t *results)
{
	/*
	 * TODO 5.2: phased (the Python course's hybrid: gather every fetch,
	 * then hand every item to the pool).
	 *  - an array of w->n struct item, and a shared "next index" (a mutex
	 *    and an int, or an atomic_int);
	 *  - start `fetchers` threads: each makes ONE wb_http_client, takes
	 *    indexes until none is left, item_fetch(w, client, f, i, &items[i],
	 *    ...) (f = its own number, for the timeline), frees its client;
	 *  - join them all: only then does the second phase start;
	 *  - start `workers` threads that take indexes again: results[i] =
	 *    item_process(w, k, &items[i]); item_release(w, &items[i]);
	 *  - join them.  A failed fetch: release what was fetched, return -1.
	 * Predict before you run: N items, F fetchers, fetch time d, W workers,
	 * CPU c per item.  How long is phase 1?  Phase 2?  (Round up.)
	 */
	return TODO("5.2", w, fetchers, workers, results);
}

int run_streamed(struct workload *w, int fetchers, int workers, int bound, uint64_t *results)
{
	/*
	 * TODO 5.3: streamed.
	 *  - queue_init(&q, bound, &w->peak_queue);
	 *  - the workers first: each pops (struct item *) until QUEUE_CLOSED,
	 *    processes, stores results[it->index], releases, frees the struct;
	 *  - the fetchers: each item in a malloc'd struct item, pushed as soon
	 *    as item_fetch returns;
	 *  - close the queue when the LAST fetch has finished, not when the first
	 *    fetcher runs out of indexes (others may still be fetching): count
	 *    finished fetches under a lock; the one that makes it n closes;
	 *  - join everything, queue_destroy.
	 * The checker looks at the timeline: some CPU span must start before the
	 * last fetch ends, or it was not streamed.
	 */
	return TODO("5.3", w, fetchers, workers, bound, results);
}

int run_tokens_ordered(struct workload *w, int fetchers, int workers, int tokens)
{
	/*
	 * TODO 5.4: tokens and order.
	 * Why tokens?  A bound of B on the queue does not bound memory: a
	 * fetcher blocked on a full queue still holds its item, so up to
	 * B + fetchers + workers items are alive.  A token is taken before the
	 * fetch and given back after item_release: never more than `tokens`.
	 *  - tokens: an int and a condition variable (or a semaphore);
	 *  - a fetcher takes a token FIRST, then the next index, under one lock.
	 *    (The other way round deadlocks: the fetcher holding index 3 waits
	 *    for a token, and the tokens are held by items 4, 5, 6 waiting in
	 *    the sink for item 3.)
	 *  - workers process, then hand (item, result) to the sink: an array
	 *    indexed by item, and the number of the next item to write;
	 *  - the sink (a thread of its own, or whichever worker completes the
	 *    next number) writes item_sink(w, k, result) for k = 0, 1, 2, ...,
	 *    releasing each item and giving its token back;
	 *  - when all n are written, join everything.
	 * Little's law: to keep W workers busy, tokens >= (W / c) x (d + c).
	 */
	return TODO("5.4", w, fetchers, workers, tokens);
}

int run_stop_short(struct workload *w, int fetchers, int workers, int bound, int stop_after,
		   uint64_t *results, int *processed)
{
	/*
	 * TODO 5.5: stopping short.
	 * 5.3, plus a `stop` flag under the run's lock:
	 *  - a fetch fails: set stop, remember the error, close the queue;
	 *  - a worker claims a place before processing (a counter): the first
	 *    stop_after places are processed, and then stop is set and the
	 *    queue closed;
	 *  - fetchers check stop before taking an index; a push that returns -1
	 *    (closed) means: release your item and leave;
	 *  - after the stop, workers still pop what is in the queue, but only
	 *    release it.
	 * Joining is the test: a fetcher asleep on a full queue that nobody will
	 * ever pop again never returns, unless close wakes it.  (Go's pipelines
	 * article calls this leak "stopping short".)  Return -1 after a failed
	 * fetch (say which), 0 after the limit; *processed = items processed.
	 */
	return TODO("5.5", w, fetchers, workers, bound, stop_after, results, processed);
}

int run_streamed_procs(struct workload *w, int fetchers, int workers, int bound,
		       uint64_t *results)
{
	/*
	 * TODO 5.6: the CPU stage in processes (Python's ProcessPoolExecutor).
	 *  - FIRST fork the `workers` processes, each with two pipes (parent to
	 *    worker, worker to parent).  Why first?  fork copies the whole
	 *    memory but only the calling thread: a lock that a fetch thread held
	 *    at that instant (malloc's, libcurl's, a queue's) stays locked in
	 *    the child for ever, with nobody left to unlock it.  fork(2): a
	 *    child of a threaded process may call only async-signal-safe
	 *    functions.  With no thread yet, nothing is half-held.
	 *  - each child closes the parent's ends, and those of the workers
	 *    forked before it (else their end-of-file never comes), then loops:
	 *    read a header (index, length), the body, item_process, write the
	 *    8-byte result; at end-of-file _exit(0);
	 *  - then the pipeline of 5.3, where worker k is a thread of the parent
	 *    (a "feeder") that writes each item it pops to process k and reads
	 *    back the result;
	 *  - close each feeder's pipe when the queue is drained, reap every
	 *    worker (waitpid by pid), -1 if one did not exit with 0.
	 * The lab measures what the copy through the pipe costs per MiB.
	 */
	return TODO("5.6", w, fetchers, workers, bound, results);
}
