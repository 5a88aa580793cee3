/*
 * Lab 5: the hybrid pipeline - the contract.
 *
 * These are the functions you write in exercises.c.  The driver (main.c)
 * and the checker (tests/lab5_check.c) call them exactly as declared here,
 * so do not change this file: change exercises.c.
 *
 * Every function returns 0 on success, -1 on failure (after saying why),
 * or WB_NOT_DONE while it is still the handout's placeholder.
 *
 * The items and their two stages are given (workload.h): item_fetch waits
 * and downloads, item_process computes, item_release frees.  What you build
 * is what connects the stages: a queue, pools of threads (and of processes),
 * a limit on what is alive, an ordered sink, and a clean early stop.
 */
#ifndef LAB5_EXERCISES_H
#define LAB5_EXERCISES_H

#include <pthread.h>
#include <stdint.h>

#include "exercise.h"
#include "queue.h"
#include "workload.h"

/*
 * Exercise 5.1 - a bounded queue with close (the struct is in queue.h).
 * queue_push: wait while the queue is full and open; then, if it is closed,
 *   return -1 (the item stays the caller's); else append the item, keep
 *   q->peak (the most items it ever held), wake a popper, return 0.
 * queue_pop: wait while the queue is empty and open; take the oldest item
 *   into *item and return 0; once it is closed AND empty, return
 *   QUEUE_CLOSED (1) at once, every time.
 * queue_close: mark it closed and wake EVERY waiter, pushers and poppers.
 *   Items already in the queue can still be popped.
 */
int queue_push(struct queue *q, void *item);
int queue_pop(struct queue *q, void **item);
int queue_close(struct queue *q);

/*
 * Exercise 5.2 - phased: all the waiting, then all the computing.
 * `fetchers` threads fetch the n items into an array (item i by whichever
 * fetcher takes it, each with its own wb_http_client); join them all; then
 * `workers` threads process the array; results[i] = item i's result.  Every
 * item is fetched once, processed once and released once.  No CPU work may
 * start before the last fetch has ended.  -1 if any fetch failed.
 */
int run_phased(struct workload *w, int fetchers, int workers, uint64_t *results);

/*
 * Exercise 5.3 - streamed: compute each item as soon as it has arrived.
 * The same result, but the fetchers push each fetched item into a queue of
 * `bound` slots (5.1), and the workers pop and process while fetching goes
 * on.  Whoever fetched the last item closes the queue (and only then).
 * queue_init(&q, bound, &w->peak_queue) lets the driver see the depth.
 */
int run_streamed(struct workload *w, int fetchers, int workers, int bound, uint64_t *results);

/*
 * Exercise 5.4 - a limit on items alive, and order.
 * Streamed as 5.3 (a queue of any bound), but at most `tokens` items alive
 * at once: a fetcher takes a token before item_fetch and the token comes
 * back only when the item has been released.  The results leave through
 * item_sink(w, i, result) in input order, 0, 1, 2, ..., while work goes on:
 * a result that is ready early waits for the ones before it.  1 <= tokens.
 */
int run_tokens_ordered(struct workload *w, int fetchers, int workers, int tokens);

/*
 * Exercise 5.5 - stopping short.
 * Streamed as 5.3, results into results[i], but stop early: at the first
 * failed fetch (return -1, after saying which), or once `stop_after` items
 * have been processed - exactly that many, not one more (return 0;
 * stop_after <= 0: no such limit).  No new fetch starts after the stop.
 * Then every thread is joined within a second or so, even those blocked on
 * a full queue or waiting on an empty one; every fetched item is released;
 * nothing is left open.
 * *processed = how many items were processed.
 */
int run_stop_short(struct workload *w, int fetchers, int workers, int bound, int stop_after,
		   uint64_t *results, int *processed);

/*
 * Exercise 5.6 - the CPU stage in processes.
 * Streamed as 5.3, but the items are processed by `workers` forked worker
 * processes: each item's index, length and body go to a worker through a
 * pipe, the 8-byte result comes back through another.  Fork the workers
 * FIRST, before any thread of this call exists.  Reap every worker; -1 if
 * any failed.
 */
int run_streamed_procs(struct workload *w, int fetchers, int workers, int bound,
		       uint64_t *results);

#endif
