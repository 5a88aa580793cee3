/* workload.c - the items, their CPU stage and their books (see workload.h). */
#include "workload.h"

#include "checked.h"
#include "cpuwork.h"
#include "timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* The counters, in one MAP_SHARED mapping: threads and forked workers alike
 * update them with atomics (lock-free atomics work across processes). */
struct workload_books {
	int n;
	atomic_int fetched_calls, processed_calls, released_calls, sunk_calls;
	atomic_int alive, peak_alive;
	atomic_int first_twice, sink_out_of_order;
	atomic_int *fetched;      /* [n] */
	atomic_int *processed;    /* [n] */
	int *sunk_index;          /* [n] what the sink wrote, in order */
	uint64_t *sunk_result;    /* [n] */
	size_t size;              /* of the mapping */
};

void workload_open(struct workload *w)
{
	size_t n = (size_t)w->n;
	size_t size = sizeof(struct workload_books) + n * (2 * sizeof(atomic_int) + sizeof(int) +
							       sizeof(uint64_t)) + 64;
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		DIE("mmap(%zu bytes of books): %s", size, wb_strerror(errno));
	struct workload_books *b = map;
	unsigned char *p = (unsigned char *)(b + 1);
	b->sunk_result = (uint64_t *)p;   /* the 8-byte array first: it stays aligned */
	p += n * sizeof(uint64_t);
	b->fetched = (atomic_int *)p;
	p += n * sizeof(atomic_int);
	b->processed = (atomic_int *)p;
	p += n * sizeof(atomic_int);
	b->sunk_index = (int *)p;
	b->n = w->n;
	b->size = size;
	w->books = b;
	workload_reset(w);
}

void workload_close(struct workload *w)
{
	if (w->books)
		CHECK_SYS(munmap(w->books, w->books->size));
	w->books = NULL;
}

void workload_reset(struct workload *w)
{
	struct workload_books *b = w->books;
	atomic_store(&b->fetched_calls, 0);
	atomic_store(&b->processed_calls, 0);
	atomic_store(&b->released_calls, 0);
	atomic_store(&b->sunk_calls, 0);
	atomic_store(&b->alive, 0);
	atomic_store(&b->peak_alive, 0);
	atomic_store(&b->first_twice, -1);
	atomic_store(&b->sink_out_of_order, -1);
	for (int i = 0; i < b->n; i++) {
		atomic_store(&b->fetched[i], 0);
		atomic_store(&b->processed[i], 0);
		b->sunk_index[i] = -1;
		b->sunk_result[i] = 0;
	}
	w->peak_queue = 0;
}

static void note_twice(struct workload_books *b, int i)
{
	int none = -1;
	atomic_compare_exchange_strong(&b->first_twice, &none, i);
}

/* One more item alive; keep the peak (a compare-and-swap loop: no lock). */
static void alive_up(struct workload_books *b)
{
	int now = atomic_fetch_add(&b->alive, 1) + 1;
	int peak = atomic_load(&b->peak_alive);
	while (now > peak && !atomic_compare_exchange_weak(&b->peak_alive, &peak, now))
		;
}

double item_delay(const struct workload *w, int i)
{
	return w->delay_s + w->jitter_s * ((i * 7) % 4) / 3.0;
}

int item_fetch(const struct workload *w, struct wb_http_client *c, int fetcher, int i,
	       struct item *it, char *error, size_t cap)
{
	struct workload_books *b = w->books;
	if (i < 0 || i >= w->n)
		DIE("item_fetch: item %d is not one of 0..%d", i, w->n - 1);
	it->index = i;
	it->body = NULL;
	it->len = 0;
	atomic_fetch_add(&b->fetched_calls, 1);
	if (atomic_fetch_add(&b->fetched[i], 1) > 0)
		note_twice(b, i);
	/* Alive from the start of its fetch: its buffer is about to be filled. */
	alive_up(b);
	double start = wb_now();
	char url[512];
	struct wb_http_result res;
	wb_url(url, sizeof url, w->base_url, "/delay/%g", item_delay(w, i));
	int rc = wb_http_get(c, url, &res, NULL);
	if (rc == 0) {
		if (i == w->fail_at)
			wb_url(url, sizeof url, w->base_url, "/status/500");
		else
			wb_url(url, sizeof url, w->base_url, "/bytes/%zu?seed=%d", w->body_bytes, i);
		/* The same connection that carried the /delay reply. */
		char *body = NULL;
		rc = wb_http_get(c, url, &res, &body);
		if (rc == 0 && res.bytes != w->body_bytes) {
			snprintf(res.error, sizeof res.error, "GET %.200s: %zu bytes, not %zu", url,
				 res.bytes, w->body_bytes);
			free(body);
			rc = -1;
		}
		if (rc == 0) {
			it->body = (unsigned char *)body;
			it->len = res.bytes;
		}
	}
	if (w->tl)
		wb_timeline_record(w->tl, fetcher, i, "fetch", start, wb_now());
	if (rc != 0) {
		atomic_fetch_sub(&b->alive, 1);
		snprintf(error, cap, "item %d: %s", i, res.error);
	}
	return rc;
}

uint64_t workload_hash(const unsigned char *buf, size_t len, uint64_t rounds, uint64_t seed)
{
	/* Each word feeds the next mix: one long dependency chain that no
	 * compiler can shorten, so the cost is exactly rounds x len. */
	uint64_t h = seed;
	for (uint64_t r = 0; r < rounds; r++) {
		for (size_t k = 0; k + 8 <= len; k += 8) {
			uint64_t word;
			memcpy(&word, buf + k, 8);
			h = wb_cpu_mix(h ^ word);
		}
		h = wb_cpu_mix(h + r);
	}
	return h;
}

uint64_t item_process(const struct workload *w, int worker, const struct item *it)
{
	struct workload_books *b = w->books;
	if (it->index < 0 || it->index >= w->n || !it->body)
		DIE("item_process: item %d has no body (released already, or never fetched?)",
		    it->index);
	double start = wb_now();
	uint64_t result = workload_hash(it->body, it->len, w->rounds, (uint64_t)it->index);
	if (w->tl)
		wb_timeline_record(w->tl, worker, it->index, "cpu", start, wb_now());
	atomic_fetch_add(&b->processed_calls, 1);
	if (atomic_fetch_add(&b->processed[it->index], 1) > 0)
		note_twice(b, it->index);
	return result;
}

void item_release(const struct workload *w, struct item *it)
{
	if (!it->body)
		DIE("item_release: item %d has no body (released twice?)", it->index);
	free(it->body);
	it->body = NULL;
	atomic_fetch_add(&w->books->released_calls, 1);
	atomic_fetch_sub(&w->books->alive, 1);
}

void item_sink(const struct workload *w, int index, uint64_t result)
{
	struct workload_books *b = w->books;
	int k = atomic_fetch_add(&b->sunk_calls, 1);
	if (k >= b->n)
		DIE("item_sink: more than %d results written", b->n);
	b->sunk_index[k] = index;
	b->sunk_result[k] = result;
	if (index != k) {
		int none = -1;
		atomic_compare_exchange_strong(&b->sink_out_of_order, &none, k);
	}
}

void workload_report(const struct workload *w, struct workload_report *r)
{
	struct workload_books *b = w->books;
	r->fetched = atomic_load(&b->fetched_calls);
	r->processed = atomic_load(&b->processed_calls);
	r->released = atomic_load(&b->released_calls);
	r->sunk = atomic_load(&b->sunk_calls);
	r->alive = atomic_load(&b->alive);
	r->peak_alive = atomic_load(&b->peak_alive);
	r->first_twice = atomic_load(&b->first_twice);
	r->sink_out_of_order = atomic_load(&b->sink_out_of_order);
}

int workload_processed(const struct workload *w, int i)
{
	return atomic_load(&w->books->processed[i]);
}

uint64_t workload_sunk(const struct workload *w, int k, int *index)
{
	*index = w->books->sunk_index[k];
	return w->books->sunk_result[k];
}

unsigned char *workload_body(int i, size_t bytes)
{
	/* The server's /bytes: splitmix64 words from the seed, little-endian, cut to n. */
	unsigned char *body = CHECK_PTR(malloc(bytes + 8));
	uint64_t seed = (uint64_t)i;
	for (size_t k = 0; k < bytes; k += 8) {
		uint64_t word = wb_splitmix64(&seed);
		memcpy(body + k, &word, 8);
	}
	return body;
}

uint64_t workload_expected(const struct workload *w, int i)
{
	unsigned char *body = workload_body(i, w->body_bytes);
	uint64_t h = workload_hash(body, w->body_bytes, w->rounds, (uint64_t)i);
	free(body);
	return h;
}

static volatile uint64_t calibration_sink;

/* This thread's CPU time: on a busy machine the wall clock also counts the
 * time other programs had the core, and the items would come out too short. */
static double thread_cpu_now(void)
{
	struct timespec ts;
	CHECK_SYS(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts));
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t workload_rounds_for(double seconds, size_t bytes)
{
	/* Time passes over a body of this size until 30 ms of CPU have gone by;
	 * keep the fastest of three such measurements. */
	unsigned char *body = workload_body(0, bytes);
	double best = 1e9;
	for (int run = 0; run < 3; run++) {
		uint64_t passes = 0;
		double t0 = thread_cpu_now(), took;
		do {
			calibration_sink = workload_hash(body, bytes, 4, passes);
			passes += 4;
			took = thread_cpu_now() - t0;
		} while (took < 0.03);
		if (took / (double)passes < best)
			best = took / (double)passes;
	}
	free(body);
	double rounds = seconds / best;
	return rounds < 1 ? 1 : (uint64_t)rounds;
}
