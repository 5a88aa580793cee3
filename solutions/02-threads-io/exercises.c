/*
 * Lab 2: threads for I/O - reference solutions.
 * (For instructors: `make solution2` runs the lab with this file.)
 */
#include "exercises.h"

#include "checked.h"

#include <stdio.h>
#include <stdlib.h>

/* --- 2.1: a thread per request ------------------------------------------ */

struct one_request {
	const char *url;
	struct fetch_result *result;   /* this thread's own slot: nobody else writes it */
	int index;
	struct wb_timeline *tl;
};

static void *fetch_one(void *arg)
{
	struct one_request *req = arg;
	double start = wb_now();
	req->result->rc = wb_http_fetch(req->url, REQUEST_TIMEOUT_S, &req->result->http, NULL);
	wb_timeline_record(req->tl, req->index, req->index, "fetch", start, wb_now());
	return NULL;
}

int fetch_thread_per_request(const char *const *urls, int n, struct fetch_result *results,
			     struct wb_timeline *tl)
{
	pthread_t *threads = wb_xcalloc((size_t)n, sizeof *threads);
	struct one_request *reqs = wb_xcalloc((size_t)n, sizeof *reqs);
	int started = 0, rc = 0;

	for (; started < n; started++) {
		reqs[started] = (struct one_request){ urls[started], &results[started], started, tl };
		int err = pthread_create(&threads[started], NULL, fetch_one, &reqs[started]);
		if (err != 0) {
			fprintf(stderr, "pthread_create (thread %d): %s\n", started, wb_strerror(err));
			rc = -1;
			break;
		}
	}
	/* Join only after every thread has started: that is what lets them overlap. */
	for (int i = 0; i < started; i++)
		CHECK_PT(pthread_join(threads[i], NULL));
	free(reqs);
	free(threads);
	return rc;
}

/* --- 2.2 and 2.4: a pool of workers ----------------------------------- */

#define POISON_PILL (-1)

/* A bounded FIFO of URL indexes; producers never wait (it holds everything). */
struct index_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	int *items;
	int capacity, head, count;
};

static void queue_init(struct index_queue *q, int capacity)
{
	CHECK_PT(pthread_mutex_init(&q->lock, NULL));
	CHECK_PT(pthread_cond_init(&q->not_empty, NULL));
	q->items = wb_xcalloc((size_t)capacity, sizeof *q->items);
	q->capacity = capacity;
	q->head = q->count = 0;
}

static void queue_destroy(struct index_queue *q)
{
	CHECK_PT(pthread_cond_destroy(&q->not_empty));
	CHECK_PT(pthread_mutex_destroy(&q->lock));
	free(q->items);
}

static void queue_put(struct index_queue *q, int item)
{
	CHECK_PT(pthread_mutex_lock(&q->lock));
	if (q->count == q->capacity)
		DIE("queue overflow: capacity %d", q->capacity);
	q->items[(q->head + q->count) % q->capacity] = item;
	q->count++;
	CHECK_PT(pthread_cond_signal(&q->not_empty));
	CHECK_PT(pthread_mutex_unlock(&q->lock));
}

static int queue_take(struct index_queue *q)
{
	CHECK_PT(pthread_mutex_lock(&q->lock));
	while (q->count == 0)	/* a loop, not an if: wake-ups can be spurious */
		CHECK_PT(pthread_cond_wait(&q->not_empty, &q->lock));
	int item = q->items[q->head];
	q->head = (q->head + 1) % q->capacity;
	q->count--;
	CHECK_PT(pthread_mutex_unlock(&q->lock));
	return item;
}

struct pool_job {
	const char *const *urls;
	struct fetch_result *results;
	struct wb_timeline *tl;
	struct index_queue queue;
	int keepalive;   /* 2.4: one client (one connection) per worker */
};

struct worker {
	struct pool_job *job;
	int id;
};

static void *pool_worker(void *arg)
{
	struct worker *w = arg;
	struct pool_job *job = w->job;
	struct wb_http_client *client = job->keepalive ? wb_http_client_new(REQUEST_TIMEOUT_S) : NULL;

	for (;;) {
		int i = queue_take(&job->queue);
		if (i == POISON_PILL)
			break;
		struct fetch_result *res = &job->results[i];
		double start = wb_now();
		res->rc = client ? wb_http_get(client, job->urls[i], &res->http, NULL)
				 : wb_http_fetch(job->urls[i], REQUEST_TIMEOUT_S, &res->http, NULL);
		wb_timeline_record(job->tl, w->id, i, "fetch", start, wb_now());
	}
	if (client)
		wb_http_client_free(client);
	return NULL;
}

static int run_pool(const char *const *urls, int n, int workers, struct fetch_result *results,
		    struct wb_timeline *tl, int keepalive)
{
	struct pool_job job = { .urls = urls, .results = results, .tl = tl, .keepalive = keepalive };
	queue_init(&job.queue, n + workers);
	pthread_t *threads = wb_xcalloc((size_t)workers, sizeof *threads);
	struct worker *ws = wb_xcalloc((size_t)workers, sizeof *ws);
	int started = 0, rc = 0;

	for (; started < workers; started++) {
		ws[started] = (struct worker){ &job, started };
		int err = pthread_create(&threads[started], NULL, pool_worker, &ws[started]);
		if (err != 0) {
			fprintf(stderr, "pthread_create (worker %d): %s\n", started, wb_strerror(err));
			rc = -1;
			break;
		}
	}
	if (started > 0) {
		for (int i = 0; i < n; i++)
			queue_put(&job.queue, i);
	}
	/* One pill per started worker: each worker swallows exactly one and stops. */
	for (int w = 0; w < started; w++)
		queue_put(&job.queue, POISON_PILL);
	for (int w = 0; w < started; w++)
		CHECK_PT(pthread_join(threads[w], NULL));
	queue_destroy(&job.queue);
	free(ws);
	free(threads);
	return rc;
}

int fetch_with_pool(const char *const *urls, int n, int workers, struct fetch_result *results,
		    struct wb_timeline *tl)
{
	return run_pool(urls, n, workers, results, tl, 0);
}

int fetch_with_pool_keepalive(const char *const *urls, int n, int workers,
			      struct fetch_result *results, struct wb_timeline *tl)
{
	return run_pool(urls, n, workers, results, tl, 1);
}

/* --- 2.3: shared state done right --------------------------------------- */

int summary_add(struct summary *s, size_t bytes, double seconds)
{
	CHECK_PT(pthread_mutex_lock(&s->lock));
	if (s->count == 0 || seconds < s->fastest_s)
		s->fastest_s = seconds;
	if (s->count == 0 || seconds > s->slowest_s)
		s->slowest_s = seconds;
	s->count++;
	s->total_bytes += bytes;
	CHECK_PT(pthread_mutex_unlock(&s->lock));
	return 0;
}

/* --- 2.5: how many workers? --------------------------------------------- */

int predict_pool_time(int n, int workers, double delay_s, double *predicted_s)
{
	int rounds = (n + workers - 1) / workers;
	*predicted_s = rounds * delay_s;
	return 0;
}
