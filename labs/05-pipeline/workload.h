/*
 * Lab 5: the workload - given code (read it; your work goes in exercises.c).
 *
 * An item is one real download from the lab server followed by real CPU
 * work on the bytes received:
 *   - fetch (item_fetch): GET /delay/D (the wait) with the thread's client,
 *     then GET /bytes/N?seed=i on a fresh connection
 *     (the data: N bytes only item i has);
 *   - process (item_process): `rounds` passes of a hash over the body,
 *     calibrated so that one item costs about --task-ms of one core.
 * Each item's result depends on its own bytes and its index, so a pipeline
 * that loses, duplicates, swaps or corrupts an item gives a wrong result; the
 * driver compares every run with a reference it computed itself.
 *
 * The given functions also keep the books the driver and the checker read:
 * spans on the timeline ("fetch" by fetcher f, "cpu" by worker w), how many
 * times each item was fetched and processed, and the items alive: an item is
 * alive from the moment its fetch starts until item_release frees it.
 * Those counters live in shared memory, so a forked worker's counts reach
 * the parent (5.6).
 */
#ifndef LAB5_WORKLOAD_H
#define LAB5_WORKLOAD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "timeline.h"

/* What a run works on: set by the driver (or the checker) before a run. */
struct workload {
	const char *base_url;   /* the lab server */
	int n;                  /* items 0 .. n-1 */
	double delay_s;         /* the wait of each fetch (/delay/D) */
	size_t body_bytes;      /* the data of each item (/bytes/N), 8 .. 1 MiB */
	uint64_t rounds;        /* hash passes over the body per item (the CPU cost) */
	int fail_at;            /* -1, or the item whose fetch fails (/status/500): 5.5 */
	double jitter_s;        /* item i waits delay_s + jitter_s x (i x 7 mod 4) / 3, so that
	                         * items arrive out of order (0: all wait delay_s) */
	struct wb_timeline *tl; /* where the spans go (may be NULL) */
	int peak_queue;         /* deepest a queue of this run got (queue_init's `peak`) */
	struct workload_books *books;   /* the counters, in shared memory (private) */
};

/* One fetched item.  body is malloc'd by item_fetch, freed by item_release. */
struct item {
	int index;
	unsigned char *body;
	size_t len;
};

/* Make the books for `w->n` items (a MAP_SHARED mapping: call before any fork)
 * and free them.  workload_reset zeroes every counter for the next run. */
void workload_open(struct workload *w);
void workload_close(struct workload *w);
void workload_reset(struct workload *w);

/*
 * Fetch item i with client c (one client per thread), as fetcher `fetcher`:
 * returns 0 with *it filled in (the item is now alive), or -1 if the fetch
 * failed (then nothing is alive, it->body is NULL, and `error` says why).
 * Records the span (fetcher, i, "fetch").  Thread-safe.
 */
int item_fetch(const struct workload *w, struct wb_http_client *c, int fetcher, int i,
	       struct item *it, char *error, size_t cap);

/* The wait of item i: delay_s, plus its share of jitter_s. */
double item_delay(const struct workload *w, int i);

/* The CPU stage: item `it`'s result, computed by worker `worker` (a thread or
 * a process), recorded as the span (worker, it->index, "cpu").  Thread-safe;
 * may be called in a forked child. */
uint64_t item_process(const struct workload *w, int worker, const struct item *it);

/* Free the item's body: it is no longer alive.  Every fetched item must be
 * released exactly once, whatever else happens. */
void item_release(const struct workload *w, struct item *it);

/* The ordered sink of 5.4: write item `index`'s result as the next output.
 * Call it for 0, 1, 2, ... in order, one thread at a time. */
void item_sink(const struct workload *w, int index, uint64_t result);

/* --- What the books say (the driver's and the checker's view) -------------- */

struct workload_report {
	int fetched, processed, released, sunk;  /* calls so far */
	int alive, peak_alive;                   /* items alive now, and the most at once */
	int first_twice;                         /* an item fetched or processed twice (-1: none) */
	int sink_out_of_order;                   /* position of the first wrong sink write (-1: none) */
};
void workload_report(const struct workload *w, struct workload_report *r);

/* How many times item i was processed, and what the sink wrote at position k. */
int workload_processed(const struct workload *w, int i);
uint64_t workload_sunk(const struct workload *w, int k, int *index);

/* --- The driver's side ------------------------------------------------------ */

/* Hash passes over a body of `bytes` that take about `seconds` of one core here. */
uint64_t workload_rounds_for(double seconds, size_t bytes);

/* The result item i must have (the body regenerated here, as the server makes it). */
uint64_t workload_expected(const struct workload *w, int i);

/* The bytes the server sends for /bytes/N?seed=i (malloc'd; caller frees). */
unsigned char *workload_body(int i, size_t bytes);

/* The hash itself: `rounds` passes over buf, started from `seed`. */
uint64_t workload_hash(const unsigned char *buf, size_t len, uint64_t rounds, uint64_t seed);

#endif
