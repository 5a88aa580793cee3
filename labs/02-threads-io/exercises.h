/*
 * Lab 2: threads for I/O - the contract.
 *
 * These are the functions you write in exercises.c.  The driver (main.c)
 * and the checker (tests/lab2_check.c) call them exactly as declared here,
 * so do not change this file: change exercises.c.
 *
 * Every function returns 0 on success, -1 on failure (after printing why),
 * or WB_NOT_DONE while it is still the handout's placeholder.
 */
#ifndef LAB2_EXERCISES_H
#define LAB2_EXERCISES_H

#include <pthread.h>
#include <stddef.h>

#include "exercise.h"
#include "http.h"
#include "timeline.h"
#include "timing.h"

/* What one request gave: rc is 0 if it succeeded, -1 if not (http.error says why). */
struct fetch_result {
	int rc;
	struct wb_http_result http;
};

/*
 * Exercise 2.1 - a thread per request.
 * Start one thread per URL; thread i GETs urls[i] with wb_http_fetch, stores
 * what it got in results[i] and records a span (worker i, task i, "fetch").
 * Then join every thread (none is detached, none outlives the call).
 * Return 0 once all threads are joined, even if
 * some requests failed (their results say so); -1 only if a thread could
 * not be started.
 */
int fetch_thread_per_request(const char *const *urls, int n, struct fetch_result *results,
			     struct wb_timeline *tl);

/*
 * Exercise 2.2 - a pool of workers.
 * Start `workers` threads.  They take URL indexes from one shared queue
 * (a mutex and a condition variable) until each receives a "poison pill"
 * telling it to stop; worker w records each request it makes as a span
 * (worker w, task i, "fetch") and stores results[i].  Each URL is fetched
 * exactly once, with wb_http_fetch (a new connection per request).  Every
 * worker thread is joined before returning.  Worker w is one thread for the
 * whole call, and a worker with nothing to take blocks on the condition
 * variable: it does not poll (sleep or yield in a loop).
 * Return as 2.1 does: 0 once every worker is joined, even if some requests
 * failed (results[i].rc says which); -1 only if no worker could be started.
 */
int fetch_with_pool(const char *const *urls, int n, int workers, struct fetch_result *results,
		    struct wb_timeline *tl);

/* A summary shared by every thread of a run. */
struct summary {
	pthread_mutex_t lock;   /* guards every field below */
	int count;              /* successful requests added */
	size_t total_bytes;     /* their bytes, added up */
	double fastest_s;       /* shortest request time (0 while count is 0) */
	double slowest_s;       /* longest request time */
};

/* A summary ready for use:  struct summary s = SUMMARY_INIT; */
#define SUMMARY_INIT { .lock = PTHREAD_MUTEX_INITIALIZER }

/*
 * Exercise 2.3 - shared state done right.
 * Add one request's bytes and time to the summary.  Many threads call this
 * at once, so every read and write of the summary happens under its lock.
 */
int summary_add(struct summary *s, size_t bytes, double seconds);

/*
 * Exercise 2.4 - connection reuse.
 * The same pool as 2.2, but each worker makes ONE wb_http_client (one
 * long-lived connection, kept alive) and uses it for every request it
 * makes, freeing it when it stops.  No client is ever used by two threads at
 * once.  Compare the server's connection counts: one per worker.
 * Return values as in 2.2.
 */
int fetch_with_pool_keepalive(const char *const *urls, int n, int workers,
			      struct fetch_result *results, struct wb_timeline *tl);

/*
 * Exercise 2.5 - how many workers?
 * Predict how long `n` requests of `delay_s` seconds each take with a pool
 * of `workers` threads, if nothing but the delays took time.
 */
int predict_pool_time(int n, int workers, double delay_s, double *predicted_s);

#endif
