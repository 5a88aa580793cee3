/*
 * Lab 5: the hybrid pipeline - reference solutions.
 * (For instructors: `make solution5` runs the lab with this file.)
 */
#include "exercises.h"

#include "checked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- 5.1: a bounded queue with close ------------------------------------ */

int queue_push(struct queue *q, void *item)
{
	CHECK_PT(pthread_mutex_lock(&q->lock));
	while (q->count == q->bound && !q->closed)
		CHECK_PT(pthread_cond_wait(&q->not_full, &q->lock));
	if (q->closed) {
		CHECK_PT(pthread_mutex_unlock(&q->lock));
		return -1;
	}
	q->slots[(q->head + q->count) % q->bound] = item;
	q->count++;
	if (q->count > q->peak)
		q->peak = q->count;
	CHECK_PT(pthread_cond_signal(&q->not_empty));
	CHECK_PT(pthread_mutex_unlock(&q->lock));
	return 0;
}

int queue_pop(struct queue *q, void **item)
{
	CHECK_PT(pthread_mutex_lock(&q->lock));
	while (q->count == 0 && !q->closed)
		CHECK_PT(pthread_cond_wait(&q->not_empty, &q->lock));
	if (q->count == 0) {   /* closed and drained */
		CHECK_PT(pthread_mutex_unlock(&q->lock));
		return QUEUE_CLOSED;
	}
	*item = q->slots[q->head];
	q->head = (q->head + 1) % q->bound;
	q->count--;
	CHECK_PT(pthread_cond_signal(&q->not_full));
	CHECK_PT(pthread_mutex_unlock(&q->lock));
	return 0;
}

int queue_close(struct queue *q)
{
	CHECK_PT(pthread_mutex_lock(&q->lock));
	q->closed = 1;
	CHECK_PT(pthread_cond_broadcast(&q->not_empty));
	CHECK_PT(pthread_cond_broadcast(&q->not_full));
	CHECK_PT(pthread_mutex_unlock(&q->lock));
	return 0;
}

/* --- What every pipeline shares ------------------------------------------ */

/* One run's shared state: the next item to fetch, the queue, errors. */
struct run {
	struct workload *w;
	uint64_t *results;
	struct queue q;
	pthread_mutex_t lock;      /* guards next, finished, error, stop */
	int next;                  /* next item to fetch */
	int finished;              /* fetches finished (either way) */
	int failed;                /* a fetch failed */
	int stop;                  /* 5.5: stop taking new items */
	char error[320];
	int stop_after;            /* 5.5: <= 0: none */
	atomic_int claimed;        /* 5.5: items a worker decided to process */
	struct item *items;        /* 5.2: the array between the phases */
	/* 5.4 */
	pthread_cond_t token_back, ready_cond;
	int tokens;                /* tokens free */
	struct item **ready;       /* [n] processed items waiting for the sink */
	uint64_t *ready_result;    /* [n] */
	int sink_next;             /* the next index the sink writes */
	/* 5.6: worker k's pipes */
	int *to_child, *from_child;
};

struct thread_arg {
	struct run *run;
	int id;
};

static void run_init(struct run *r, struct workload *w, uint64_t *results)
{
	memset(r, 0, sizeof *r);
	r->w = w;
	r->results = results;
	CHECK_PT(pthread_mutex_init(&r->lock, NULL));
	CHECK_PT(pthread_cond_init(&r->token_back, NULL));
	CHECK_PT(pthread_cond_init(&r->ready_cond, NULL));
}

static void run_destroy(struct run *r)
{
	CHECK_PT(pthread_cond_destroy(&r->ready_cond));
	CHECK_PT(pthread_cond_destroy(&r->token_back));
	CHECK_PT(pthread_mutex_destroy(&r->lock));
}

/* The next item to fetch, or -1 when there is none (or the run stops). */
static int take_index(struct run *r)
{
	CHECK_PT(pthread_mutex_lock(&r->lock));
	int i = (r->stop || r->next >= r->w->n) ? -1 : r->next++;
	CHECK_PT(pthread_mutex_unlock(&r->lock));
	return i;
}

/* A fetch is over (ok or not); the one that ends the last closes the queue. */
static void fetch_finished(struct run *r, int ok, const char *error, int close_queue)
{
	CHECK_PT(pthread_mutex_lock(&r->lock));
	r->finished++;
	if (!ok && !r->failed) {
		r->failed = 1;
		snprintf(r->error, sizeof r->error, "%s", error);
	}
	int last = r->finished == r->w->n;
	CHECK_PT(pthread_mutex_unlock(&r->lock));
	if (last && close_queue)
		queue_close(&r->q);
}

/* Start `count` threads running fn, then (later) join them. */
static void start_threads(pthread_t *threads, struct thread_arg *args, int count, struct run *r,
			  void *(*fn)(void *))
{
	for (int k = 0; k < count; k++) {
		args[k] = (struct thread_arg){ r, k };
		CHECK_PT(pthread_create(&threads[k], NULL, fn, &args[k]));
	}
}

static void join_threads(pthread_t *threads, int count)
{
	for (int k = 0; k < count; k++)
		CHECK_PT(pthread_join(threads[k], NULL));
}

static int report_failure(struct run *r, const char *who)
{
	if (!r->failed)
		return 0;
	fprintf(stderr, "%s: %s\n", who, r->error);
	return -1;
}

/* --- 5.2: phased --------------------------------------------------------- */

static void *phased_fetcher(void *arg)
{
	struct thread_arg *a = arg;
	struct run *r = a->run;
	struct wb_http_client *c = wb_http_client_new(REQUEST_TIMEOUT_S);
	char error[300];
	for (int i; (i = take_index(r)) >= 0;) {
		int rc = item_fetch(r->w, c, a->id, i, &r->items[i], error, sizeof error);
		fetch_finished(r, rc == 0, error, 0);
	}
	wb_http_client_free(c);
	return NULL;
}

static void *phased_worker(void *arg)
{
	struct thread_arg *a = arg;
	struct run *r = a->run;
	for (int i; (i = take_index(r)) >= 0;) {
		r->results[i] = item_process(r->w, a->id, &r->items[i]);
		item_release(r->w, &r->items[i]);
	}
	return NULL;
}

int run_phased(struct workload *w, int fetchers, int workers, uint64_t *results)
{
	struct run r;
	run_init(&r, w, results);
	r.items = wb_xcalloc((size_t)w->n, sizeof *r.items);
	int most = fetchers > workers ? fetchers : workers;
	pthread_t *threads = wb_xcalloc((size_t)most, sizeof *threads);
	struct thread_arg *args = wb_xcalloc((size_t)most, sizeof *args);

	start_threads(threads, args, fetchers, &r, phased_fetcher);
	join_threads(threads, fetchers);
	if (!r.failed) {
		r.next = 0;   /* the second phase hands the same indexes out again */
		start_threads(threads, args, workers, &r, phased_worker);
		join_threads(threads, workers);
	} else {
		for (int i = 0; i < w->n; i++)
			if (r.items[i].body)
				item_release(w, &r.items[i]);
	}
	int rc = report_failure(&r, "run_phased");
	free(args);
	free(threads);
	free(r.items);
	run_destroy(&r);
	return rc;
}

/* --- 5.3: streamed ------------------------------------------------------- */

static void *streamed_fetcher(void *arg)
{
	struct thread_arg *a = arg;
	struct run *r = a->run;
	struct wb_http_client *c = wb_http_client_new(REQUEST_TIMEOUT_S);
	char error[300];
	for (int i; (i = take_index(r)) >= 0;) {
		struct item *it = wb_xcalloc(1, sizeof *it);
		int rc = item_fetch(r->w, c, a->id, i, it, error, sizeof error);
		if (rc == 0 && queue_push(&r->q, it) != 0)
			DIE("run_streamed: the queue closed before the last fetch");
		if (rc != 0)
			free(it);
		fetch_finished(r, rc == 0, error, 1);
	}
	wb_http_client_free(c);
	return NULL;
}

static void *streamed_worker(void *arg)
{
	struct thread_arg *a = arg;
	struct run *r = a->run;
	void *p;
	while (queue_pop(&r->q, &p) == 0) {
		struct item *it = p;
		r->results[it->index] = item_process(r->w, a->id, it);
		item_release(r->w, it);
		free(it);
	}
	return NULL;
}

/* Fetchers and workers around one queue; the workers are started by `worker`. */
static int run_stages(struct run *r, int fetchers, int workers, int bound,
		      void *(*fetcher)(void *), void *(*worker)(void *))
{
	queue_init(&r->q, bound, &r->w->peak_queue);
	pthread_t *threads = wb_xcalloc((size_t)(fetchers + workers), sizeof *threads);
	struct thread_arg *args = wb_xcalloc((size_t)(fetchers + workers), sizeof *args);
	start_threads(threads, args, workers, r, worker);
	start_threads(threads + workers, args + workers, fetchers, r, fetcher);
	join_threads(threads, fetchers + workers);
	queue_destroy(&r->q);
	free(args);
	free(threads);
	return 0;
}

int run_streamed(struct workload *w, int fetchers, int workers, int bound, uint64_t *results)
{
	struct run r;
	run_init(&r, w, results);
	run_stages(&r, fetchers, workers, bound, streamed_fetcher, streamed_worker);
	int rc = report_failure(&r, "run_streamed");
	run_destroy(&r);
	return rc;
}

/* --- 5.4: tokens and an ordered sink -------------------------------------- */

static void *token_fetcher(void *arg)
{
	struct thread_arg *a = arg;
	struct run *r = a->run;
	struct wb_http_client *c = wb_http_client_new(REQUEST_TIMEOUT_S);
	char error[300];
	for (;;) {
		/* The token first, then the index: an index taken first could wait
		 * for a token held by later items that wait, in the sink, for it. */
		CHECK_PT(pthread_mutex_lock(&r->lock));
		while (r->tokens == 0 && r->next < r->w->n)
			CHECK_PT(pthread_cond_wait(&r->token_back, &r->lock));
		int i = r->next < r->w->n ? r->next++ : -1;
		if (i >= 0)
			r->tokens--;
		if (r->next == r->w->n)   /* nothing left: the fetchers waiting for a token leave */
			CHECK_PT(pthread_cond_broadcast(&r->token_back));
		CHECK_PT(pthread_mutex_unlock(&r->lock));
		if (i < 0)
			break;
		struct item *it = wb_xcalloc(1, sizeof *it);
		int rc = item_fetch(r->w, c, a->id, i, it, error, sizeof error);
		if (rc != 0)
			DIE("run_tokens_ordered: %s", error);
		if (queue_push(&r->q, it) != 0)
			DIE("run_tokens_ordered: the queue closed before the last fetch");
		fetch_finished(r, 1, "", 1);
	}
	wb_http_client_free(c);
	return NULL;
}

static void *token_worker(void *arg)
{
	struct thread_arg *a = arg;
	struct run *r = a->run;
	void *p;
	while (queue_pop(&r->q, &p) == 0) {
		struct item *it = p;
		uint64_t result = item_process(r->w, a->id, it);
		CHECK_PT(pthread_mutex_lock(&r->lock));
		r->ready[it->index] = it;
		r->ready_result[it->index] = result;
		if (it->index == r->sink_next)
			CHECK_PT(pthread_cond_signal(&r->ready_cond));
		CHECK_PT(pthread_mutex_unlock(&r->lock));
	}
	return NULL;
}

/* The sink: one thread, writing 0, 1, 2, ... as each becomes ready. */
static void *token_sink(void *arg)
{
	struct run *r = arg;
	for (int k = 0; k < r->w->n; k++) {
		CHECK_PT(pthread_mutex_lock(&r->lock));
		while (!r->ready[k])
			CHECK_PT(pthread_cond_wait(&r->ready_cond, &r->lock));
		struct item *it = r->ready[k];
		uint64_t result = r->ready_result[k];
		r->sink_next = k + 1;
		CHECK_PT(pthread_mutex_unlock(&r->lock));

		item_sink(r->w, k, result);
		item_release(r->w, it);
		free(it);

		CHECK_PT(pthread_mutex_lock(&r->lock));
		r->tokens++;
		CHECK_PT(pthread_cond_signal(&r->token_back));
		CHECK_PT(pthread_mutex_unlock(&r->lock));
	}
	return NULL;
}

int run_tokens_ordered(struct workload *w, int fetchers, int workers, int tokens)
{
	struct run r;
	run_init(&r, w, NULL);
	r.tokens = tokens;
	r.ready = wb_xcalloc((size_t)w->n, sizeof *r.ready);
	r.ready_result = wb_xcalloc((size_t)w->n, sizeof *r.ready_result);
	pthread_t sink;
	CHECK_PT(pthread_create(&sink, NULL, token_sink, &r));
	/* Never more than `tokens` items in the queue: that bound is enough. */
	run_stages(&r, fetchers, workers, tokens, token_fetcher, token_worker);
	CHECK_PT(pthread_join(sink, NULL));
	free(r.ready_result);
	free(r.ready);
	run_destroy(&r);
	return 0;
}

/* --- 5.5: stopping short --------------------------------------------------- */

/* Stop the run: no new fetches, and every thread blocked on the queue wakes. */
static void stop_run(struct run *r)
{
	CHECK_PT(pthread_mutex_lock(&r->lock));
	r->stop = 1;
	CHECK_PT(pthread_mutex_unlock(&r->lock));
	queue_close(&r->q);
}

static void *stopping_fetcher(void *arg)
{
	struct thread_arg *a = arg;
	struct run *r = a->run;
	struct wb_http_client *c = wb_http_client_new(REQUEST_TIMEOUT_S);
	char error[300];
	for (int i; (i = take_index(r)) >= 0;) {
		struct item *it = wb_xcalloc(1, sizeof *it);
		int rc = item_fetch(r->w, c, a->id, i, it, error, sizeof error);
		if (rc == 0 && queue_push(&r->q, it) != 0) {
			item_release(r->w, it);   /* closed: the run stopped meanwhile */
			free(it);
		} else if (rc != 0) {
			free(it);
		}
		fetch_finished(r, rc == 0, error, 1);
		if (rc != 0)
			stop_run(r);
	}
	wb_http_client_free(c);
	return NULL;
}

static void *stopping_worker(void *arg)
{
	struct thread_arg *a = arg;
	struct run *r = a->run;
	void *p;
	while (queue_pop(&r->q, &p) == 0) {
		struct item *it = p;
		/* claim a place among the first stop_after: exactly that many are processed */
		int place = atomic_fetch_add(&r->claimed, 1);
		int mine = r->stop_after <= 0 || place < r->stop_after;
		if (mine) {
			r->results[it->index] = item_process(r->w, a->id, it);
			if (r->stop_after > 0 && atomic_load(&r->claimed) >= r->stop_after)
				stop_run(r);
		}
		item_release(r->w, it);   /* processed, or left after the stop */
		free(it);
	}
	return NULL;
}

int run_stop_short(struct workload *w, int fetchers, int workers, int bound, int stop_after,
		   uint64_t *results, int *processed)
{
	struct run r;
	run_init(&r, w, results);
	r.stop_after = stop_after;
	run_stages(&r, fetchers, workers, bound, stopping_fetcher, stopping_worker);
	int claimed = atomic_load(&r.claimed);
	*processed = stop_after > 0 && claimed > stop_after ? stop_after : claimed;
	int rc = report_failure(&r, "run_stop_short");
	run_destroy(&r);
	return rc;
}

/* --- 5.6: the CPU stage in processes --------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Exactly len bytes, or 0 at a clean end-of-file before the first byte, or -1. */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return got == 0 && n == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}

struct header {
	int index;
	size_t len;
};

/* A worker process: header, body, compute, result; until end-of-file. */
static _Noreturn void child_main(const struct workload *w, int k, int in, int out)
{
	struct header h;
	int rc;
	while ((rc = read_all(in, &h, sizeof h)) == 1) {
		struct item it = { h.index, malloc(h.len), h.len };
		if (!it.body || read_all(in, it.body, h.len) != 1)
			_exit(3);
		uint64_t result = item_process(w, k, &it);
		free(it.body);
		if (write_all(out, &result, sizeof result) != 0)
			_exit(4);
	}
	_exit(rc == 0 ? 0 : 5);
}

/* A feeder thread in the parent: its worker's pipes, one item at a time. */
static void *feeder(void *arg)
{
	struct thread_arg *a = arg;
	struct run *r = a->run;
	int to = r->to_child[a->id], from = r->from_child[a->id];
	void *p;
	while (queue_pop(&r->q, &p) == 0) {
		struct item *it = p;
		struct header h = { it->index, it->len };
		uint64_t result;
		if (write_all(to, &h, sizeof h) != 0 || write_all(to, it->body, it->len) != 0 ||
		    read_all(from, &result, sizeof result) != 1)
			DIE("run_streamed_procs: worker process %d stopped answering", a->id);
		r->results[it->index] = result;
		item_release(r->w, it);
		free(it);
	}
	CHECK_SYS(close(to));   /* end-of-file: the worker leaves */
	r->to_child[a->id] = -1;
	return NULL;
}

int run_streamed_procs(struct workload *w, int fetchers, int workers, int bound,
		       uint64_t *results)
{
	struct run r;
	run_init(&r, w, results);
	r.to_child = wb_xcalloc((size_t)workers, sizeof(int));
	r.from_child = wb_xcalloc((size_t)workers, sizeof(int));
	pid_t *pids = wb_xcalloc((size_t)workers, sizeof *pids);
	/* The processes first, while this call has no thread: a child of a
	 * threaded process gets only the forking thread, and any lock another
	 * thread held (malloc's, libcurl's) stays locked in it forever. */
	for (int k = 0; k < workers; k++) {
		int down[2], up[2];
		CHECK_SYS(pipe(down));
		CHECK_SYS(pipe(up));
		pids[k] = CHECK_SYS(fork());
		if (pids[k] == 0) {
			/* In the child the closes go unchecked: a failed close leaves a
			 * descriptor open, nothing worse, and dying here (exit) would
			 * run the parent's atexit handlers a second time. */
			for (int j = 0; j < k; j++) {   /* the earlier workers' parent ends */
				close(r.to_child[j]);
				close(r.from_child[j]);
			}
			close(down[1]);
			close(up[0]);
			child_main(w, k, down[0], up[1]);
		}
		CHECK_SYS(close(down[0]));
		CHECK_SYS(close(up[1]));
		r.to_child[k] = down[1];
		r.from_child[k] = up[0];
	}
	run_stages(&r, fetchers, workers, bound, streamed_fetcher, feeder);
	int rc = report_failure(&r, "run_streamed_procs");
	for (int k = 0; k < workers; k++) {
		CHECK_SYS(close(r.from_child[k]));
		int status;
		while (waitpid(pids[k], &status, 0) == -1)
			if (errno != EINTR)
				DIE("waitpid: %s", wb_strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "run_streamed_procs: worker process %d failed (status %d)\n",
				k, status);
			rc = -1;
		}
	}
	free(pids);
	free(r.from_child);
	free(r.to_child);
	run_destroy(&r);
	return rc;
}
