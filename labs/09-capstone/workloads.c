/*
 * workloads.c - the six mystery workloads and every model's reference
 * implementation of each (given code).  Everything here runs inside the
 * child process that measure.c forks for one run, and leaves with
 * _exit(0) when the work was done, 1 when it failed.
 *
 * The kinds (which of m1 ... m6 is which depends on the seed: wl_kind_of):
 *   waiting    N fetches of /delay/d: nothing to compute;
 *   parallel   T CPU tasks that share nothing;
 *   locked     steps that each update one shared state under one fair lock;
 *   tiny       a stream of records, each a fraction of a microsecond of work;
 *   staged     N items, each a fetch (/delay/d) and then c seconds of CPU;
 *   idle       C connections held open at once, each waiting for its reply.
 */
#include "workloads_impl.h"

#include "checked.h"
#include "cpuwork.h"
#include "http.h"
#include "procs.h"
#include "timing.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/event.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* libcurl's body callback: the bodies are counted by the server, not kept. */
static size_t discard_body(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* One byte to the measuring parent. */
static void tell(int fd, char c)
{
	if (fd >= 0 && write(fd, &c, 1) != 1)
		_exit(1);
}

/* The job of this run (the idle connections' threads read it). */
static const struct wl_job *idle_job;

/* --- The work of one task ------------------------------------------------ */

/* The one global lock of the locked workload, and the state it guards: in
 * a shared mapping, so that the processes model shares it too.  The lock is
 * a fair spin lock (a ticket lock, as the Linux kernel's were): whoever has
 * waited longest gets it next, and a waiter spins a little, then gives its
 * core away (sched_yield).  Two workers that both want it hand it back and
 * forth at every step, the state's cache line with it. */
struct shared {
	atomic_ulong next_ticket;
	atomic_ulong serving;
	uint64_t state;
	atomic_int next;        /* the next task, for pools of processes */
	atomic_int held;        /* idle connections open */
};
static struct shared *shared;

static void shared_init(void)
{
	shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		DIE("mmap: %s", wb_strerror(errno));
	atomic_init(&shared->next_ticket, 0);
	atomic_init(&shared->serving, 0);
	shared->state = 0;
	atomic_init(&shared->next, 0);
	atomic_init(&shared->held, 0);
}

static void global_lock(void)
{
	unsigned long mine = atomic_fetch_add(&shared->next_ticket, 1);
	for (int spins = 0; atomic_load_explicit(&shared->serving, memory_order_acquire) != mine;)
		if (++spins % 64 == 0)
			sched_yield();
}

static void global_unlock(void)
{
	atomic_fetch_add_explicit(&shared->serving, 1, memory_order_release);
}

/* What one worker keeps: its HTTP client (made on first use). */
struct worker {
	const struct wl_job *job;
	struct wb_http_client *http;
	uint64_t sum;
	int failed;
};

static void fetch_one(struct worker *w, int i)
{
	if (!w->http)
		w->http = wb_http_client_new(REQUEST_TIMEOUT_S);
	char url[256];
	wb_url(url, sizeof url, w->job->p->url, "/delay/%.3f?item=%d", w->job->p->delay_s, i);
	struct wb_http_result res;
	if (wb_http_get(w->http, url, &res, NULL) != 0)
		w->failed = 1;
}

/* One locked step: a few rounds of the mix on the shared state. */
static void locked_steps(const struct wl_job *job, int i)
{
	for (int s = 0; s < job->steps_per_task; s++) {
		global_lock();
		uint64_t x = shared->state + (uint64_t)i;
		for (int k = 0; k < job->mixes_per_step; k++)
			x = wb_cpu_mix(x);
		shared->state = x;
		global_unlock();
	}
}

/* The computing part of task i (none for waiting). */
static uint64_t compute(const struct wl_job *job, int i)
{
	return wb_cpu_sum((uint64_t)i * job->items, job->items);
}

/* Task i, whole, as the sequential, threads and processes models do it. */
static void do_task(struct worker *w, int i)
{
	const struct wl_job *job = w->job;
	switch (job->p->kind) {
	case WL_WAITING:
		fetch_one(w, i);
		break;
	case WL_STAGED:
		fetch_one(w, i);
		w->sum += compute(job, i);
		break;
	case WL_PARALLEL:
	case WL_TINY:
		w->sum += compute(job, i);
		break;
	case WL_LOCKED:
		locked_steps(job, i);
		break;
	case WL_IDLE:
		DIE("do_task: idle connections are not tasks");
	}
}

static void worker_done(struct worker *w)
{
	if (w->http)
		wb_http_client_free(w->http);
	w->http = NULL;
}

/* --- A bounded queue of task numbers (threads for tiny, every pipeline) --- */

/* A pipe is the queue: the kernel does the blocking (a write waits while the
 * pipe is full, a read while it is empty) and closing the write end is the
 * "closed" every reader sees once the pipe is drained.  Each task number is
 * one 4-byte write, and writes of up to PIPE_BUF bytes are never split, so
 * several readers each get whole numbers.  (Lab 5 builds the same queue
 * from a mutex and two condition variables; it costs a system call per item
 * here, which is part of what "many tiny tasks" measures.) */
struct queue {
	int fd[2];   /* [0] the readers' end, [1] the writer's (-1 once closed) */
};

static void queue_init(struct queue *q)
{
	CHECK_SYS(pipe2(q->fd, O_CLOEXEC));
}

static void queue_destroy(struct queue *q)
{
	CHECK_SYS(close(q->fd[0]));
	if (q->fd[1] >= 0)
		CHECK_SYS(close(q->fd[1]));
}

static void queue_put(struct queue *q, int item)
{
	ssize_t n;
	do
		n = write(q->fd[1], &item, sizeof item);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof item)
		DIE("queue: write to the pipe: %s", n < 0 ? wb_strerror(errno) : "short write");
}

static void queue_close(struct queue *q)
{
	CHECK_SYS(close(q->fd[1]));
	q->fd[1] = -1;
}

/* The next item, or -1 once the queue is closed and empty. */
static int queue_take(struct queue *q)
{
	int item;
	ssize_t n;
	do
		n = read(q->fd[0], &item, sizeof item);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -1;   /* end of file: closed, and nothing left */
	if (n != (ssize_t)sizeof item)
		DIE("queue: read from the pipe: %s", n < 0 ? wb_strerror(errno) : "short read");
	return item;
}

/* --- Pools of threads ---------------------------------------------------- */

struct pool {
	const struct wl_job *job;
	atomic_int next;
	struct queue *queue;     /* NULL: take task numbers from `next` */
	int stage_two;           /* pipeline: only the computing part of each item */
	atomic_int failed;
};

static void *pool_worker(void *arg)
{
	struct pool *pool = arg;
	struct worker w = { .job = pool->job };
	for (;;) {
		int i = pool->queue ? queue_take(pool->queue) : atomic_fetch_add(&pool->next, 1);
		if (i < 0 || i >= pool->job->p->tasks)
			break;
		if (pool->stage_two) {
			if (pool->job->p->kind == WL_LOCKED)
				locked_steps(pool->job, i);
			else if (pool->job->p->kind != WL_WAITING)
				w.sum += compute(pool->job, i);
		} else {
			do_task(&w, i);
		}
	}
	worker_done(&w);
	if (w.failed)
		atomic_store(&pool->failed, 1);
	return NULL;
}

static void start_pool(struct pool *pool, pthread_t *threads, int n)
{
	for (int t = 0; t < n; t++)
		CHECK_PT(pthread_create(&threads[t], NULL, pool_worker, pool));
}

static int join_pool(struct pool *pool, pthread_t *threads, int n)
{
	for (int t = 0; t < n; t++)
		CHECK_PT(pthread_join(threads[t], NULL));
	return atomic_load(&pool->failed) ? -1 : 0;
}

/* `workers` threads, each doing whole tasks; tiny records come from the main
 * thread one at a time through a queue (they are a stream). */
static int run_threads(const struct wl_job *job, int workers)
{
	struct pool pool = { .job = job };
	atomic_init(&pool.next, 0);
	atomic_init(&pool.failed, 0);
	struct queue q;
	if (job->p->kind == WL_TINY) {
		queue_init(&q);
		pool.queue = &q;
	}
	pthread_t threads[64];
	if (workers > 64)
		workers = 64;
	start_pool(&pool, threads, workers);
	if (pool.queue) {
		for (int i = 0; i < job->p->tasks; i++)
			queue_put(&q, i);
		queue_close(&q);
	}
	int rc = join_pool(&pool, threads, workers);
	if (pool.queue)
		queue_destroy(&q);
	return rc;
}

static int run_sequential(const struct wl_job *job)
{
	struct worker w = { .job = job };
	for (int i = 0; i < job->p->tasks; i++)
		do_task(&w, i);
	worker_done(&w);
	return w.failed ? -1 : 0;
}

/* --- A pool of processes -------------------------------------------------- */

/* One worker process: whole tasks from the shared counter, or (tiny) records
 * read one at a time from the stream's pipe. */
static _Noreturn void process_worker(const struct wl_job *job, int records_fd)
{
	struct worker w = { .job = job };
	for (;;) {
		int i;
		if (records_fd >= 0) {
			ssize_t n = read(records_fd, &i, sizeof i);
			if (n != (ssize_t)sizeof i)
				break;
		} else {
			i = atomic_fetch_add(&shared->next, 1);
		}
		if (i >= job->p->tasks)
			break;
		do_task(&w, i);
	}
	worker_done(&w);
	_exit(w.failed ? 1 : 0);
}

static int reap_all(const pid_t *pids, int n)
{
	int rc = 0;
	for (int k = 0; k < n; k++) {
		int status = wb_reap(pids[k]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = -1;
	}
	return rc;
}

static int run_processes(const struct wl_job *job, int workers)
{
	int fds[2] = { -1, -1 };
	if (job->p->kind == WL_TINY)
		CHECK_SYS(pipe(fds));
	pid_t pids[64];
	if (workers > 64)
		workers = 64;
	for (int k = 0; k < workers; k++) {
		pids[k] = CHECK_SYS(fork());
		if (pids[k] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive the run */
			if (fds[1] >= 0)
				close(fds[1]);
			process_worker(job, fds[0]);
		}
	}
	if (fds[1] >= 0) {
		close(fds[0]);
		for (int i = 0; i < job->p->tasks; i++)
			if (write(fds[1], &i, sizeof i) != (ssize_t)sizeof i)
				DIE("write to the record pipe: %s", wb_strerror(errno));
		close(fds[1]);
	}
	return reap_all(pids, workers);
}

/* --- Event loops ----------------------------------------------------------- */

/* Every fetch in flight at once through libcurl's multi interface; each
 * finished item is handed to on_done (computing in the loop, or a queue). */
static int fetch_all_multi(const struct wl_job *job, void (*on_done)(void *arg, int item),
			   void *arg)
{
	CURLM *multi = CHECK_PTR(curl_multi_init());
	int n = job->p->tasks, failed = 0;
	CURL **easy = wb_xcalloc((size_t)n, sizeof *easy);
	char url[256];
	for (int i = 0; i < n; i++) {
		easy[i] = CHECK_PTR(curl_easy_init());
		wb_url(url, sizeof url, job->p->url, "/delay/%.3f?item=%d", job->p->delay_s, i);
		curl_easy_setopt(easy[i], CURLOPT_URL, url);
		curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS, (long)(REQUEST_TIMEOUT_S * 1000));
		curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard_body);
		curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (char *)NULL + i);
		if (curl_multi_add_handle(multi, easy[i]) != CURLM_OK)
			DIE("curl_multi_add_handle failed");
	}
	int running = n;
	while (running > 0) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			DIE("curl_multi_perform failed");
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			char *priv;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			long code = 0;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result != CURLE_OK || code != 200)
				failed = 1;
			on_done(arg, (int)(priv - (char *)NULL));
		}
		if (running > 0 && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
			DIE("curl_multi_poll failed");
	}
	for (int i = 0; i < n; i++) {
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	free(easy);
	curl_multi_cleanup(multi);
	return failed ? -1 : 0;
}

static void compute_in_loop(void *arg, int item)
{
	const struct wl_job *job = arg;
	if (job->p->kind == WL_STAGED)
		(void)compute(job, item);
}

/* Computing tasks in a libevent loop: each task a callback the loop runs
 * on a zero timer, which schedules the next one (a task per loop turn). */
struct loop_tasks {
	const struct wl_job *job;
	struct event_base *base;
	int next;
	uint64_t sum;
};

static const struct timeval no_time = { 0, 0 };

static void loop_task_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct loop_tasks *lt = arg;
	int i = lt->next++;
	if (lt->job->p->kind == WL_LOCKED)
		locked_steps(lt->job, i);
	else
		lt->sum += compute(lt->job, i);
	if (lt->next < lt->job->p->tasks &&
	    event_base_once(lt->base, -1, EV_TIMEOUT, loop_task_cb, lt, &no_time) == -1)
		DIE("event_base_once failed");
}

static int run_event_loop(const struct wl_job *job)
{
	if (job->p->kind == WL_WAITING || job->p->kind == WL_STAGED)
		return fetch_all_multi(job, compute_in_loop, (void *)job);
	struct loop_tasks lt = { .job = job };
	lt.base = CHECK_PTR(event_base_new());
	if (event_base_once(lt.base, -1, EV_TIMEOUT, loop_task_cb, &lt, &no_time) == -1)
		DIE("event_base_once failed");
	if (event_base_dispatch(lt.base) == -1)
		DIE("event_base_dispatch failed");
	event_base_free(lt.base);
	return lt.next == job->p->tasks ? 0 : -1;
}

/* --- Pipelines -------------------------------------------------------------- */

static void to_queue(void *arg, int item)
{
	queue_put(arg, item);
}

struct fetch_stage {
	const struct wl_job *job;
	struct queue *q;
	int rc;
};

/* Stage one: the waiting (an event loop over every fetch), or producing task numbers. */
static void *stage_one(void *arg)
{
	struct fetch_stage *fs = arg;
	if (fs->job->p->kind == WL_WAITING || fs->job->p->kind == WL_STAGED) {
		fs->rc = fetch_all_multi(fs->job, to_queue, fs->q);
	} else {
		for (int i = 0; i < fs->job->p->tasks; i++)
			queue_put(fs->q, i);
	}
	queue_close(fs->q);
	return NULL;
}

static int run_pipeline(const struct wl_job *job)
{
	struct queue q;
	queue_init(&q);
	struct pool pool = { .job = job, .queue = &q, .stage_two = 1 };
	atomic_init(&pool.next, 0);
	atomic_init(&pool.failed, 0);
	pthread_t threads[64], first;
	int n = job->p->cores < 64 ? job->p->cores : 64;
	start_pool(&pool, threads, n);
	struct fetch_stage fs = { job, &q, 0 };
	CHECK_PT(pthread_create(&first, NULL, stage_one, &fs));
	CHECK_PT(pthread_join(first, NULL));
	int rc = join_pool(&pool, threads, n);
	queue_destroy(&q);
	return rc == 0 && fs.rc == 0 ? 0 : -1;
}

/* --- Idle connections ---------------------------------------------------------- */

static struct addrinfo *server_addr;

static void resolve_server(const char *url)
{
	char host[128] = "127.0.0.1", port[16] = "80";
	if (sscanf(url, "http://%127[^:/]:%15[0-9]", host, port) < 1)
		DIE("cannot read host and port from %s", url);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	int err = getaddrinfo(host, port, &hints, &server_addr);
	if (err)
		DIE("getaddrinfo %s: %s", host, gai_strerror(err));
}

/* Connect and send GET /delay/hold: the connection then waits for its reply. */
static int open_idle(const struct wl_job *job, int i)
{
	int fd = CHECK_SYS(socket(server_addr->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
	CHECK_SYS(connect(fd, server_addr->ai_addr, server_addr->ai_addrlen));
	char req[160];
	int len = snprintf(req, sizeof req, "GET /delay/%.3f?conn=%d HTTP/1.1\r\nHost: lab\r\n"
			   "Connection: close\r\n\r\n", job->p->delay_s, i);
	if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len)
		DIE("send: %s", wb_strerror(errno));
	return fd;
}

/* Read the reply to its end. */
static void await_reply(int fd)
{
	char buf[512];
	while (read(fd, buf, sizeof buf) > 0)
		continue;
	close(fd);
}

/* This connection is open: the last one to open says so. */
static void one_more_held(const struct wl_job *job)
{
	if (atomic_fetch_add(&shared->held, 1) + 1 == job->p->tasks)
		tell(job->report_fd, 'a');
}

static void *idle_thread(void *arg)
{
	const struct wl_job *job = idle_job;
	int fd = open_idle(job, (int)(intptr_t)arg);
	one_more_held(job);
	await_reply(fd);
	return NULL;
}

static int idle_threads(const struct wl_job *job)
{
	int n = job->p->tasks;
	pthread_t *t = wb_xcalloc((size_t)n, sizeof *t);
	pthread_attr_t attr;
	CHECK_PT(pthread_attr_init(&attr));
	for (int i = 0; i < n; i++)
		CHECK_PT(pthread_create(&t[i], &attr, idle_thread, (void *)(intptr_t)i));
	for (int i = 0; i < n; i++)
		CHECK_PT(pthread_join(t[i], NULL));
	CHECK_PT(pthread_attr_destroy(&attr));
	free(t);
	return 0;
}

static int idle_processes(const struct wl_job *job)
{
	int n = job->p->tasks;
	pid_t *pids = wb_xcalloc((size_t)n, sizeof *pids);
	for (int i = 0; i < n; i++) {
		pids[i] = CHECK_SYS(fork());
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive the run */
			int fd = open_idle(job, i);
			one_more_held(job);
			await_reply(fd);
			_exit(0);
		}
	}
	int rc = reap_all(pids, n);
	free(pids);
	return rc;
}

static int idle_event_loop(const struct wl_job *job)
{
	int n = job->p->tasks, ep = CHECK_SYS(epoll_create1(EPOLL_CLOEXEC));
	for (int i = 0; i < n; i++) {
		int fd = open_idle(job, i);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
		one_more_held(job);
	}
	int open = n;
	char buf[512];
	struct epoll_event evs[64];
	while (open > 0) {
		int k = epoll_wait(ep, evs, 64, 1000);
		if (k == -1 && errno != EINTR)
			DIE("epoll_wait: %s", wb_strerror(errno));
		for (int e = 0; e < k; e++) {
			if (read(evs[e].data.fd, buf, sizeof buf) > 0)
				continue;
			close(evs[e].data.fd);
			open--;
		}
	}
	close(ep);
	return 0;
}

/* One at a time: each connection waits for its reply before the next opens. */
static int idle_sequential(const struct wl_job *job)
{
	for (int i = 0; i < job->p->tasks; i++) {
		int fd = open_idle(job, i);
		one_more_held(job);
		await_reply(fd);
	}
	return 0;
}

/* --- One run ------------------------------------------------------------------ */

int wl_run_job(const struct wl_job *job)
{
	shared_init();
	wb_http_init();
	if (job->p->kind == WL_IDLE) {
		idle_job = job;
		resolve_server(job->p->url);
		switch (job->model) {
		case MODEL_SEQUENTIAL: return idle_sequential(job);
		case MODEL_PROCESSES: return idle_processes(job);
		case MODEL_EVENT_LOOP: return idle_event_loop(job);
		default: return idle_threads(job);   /* threads, and the probe's form */
		}
	}
	switch (job->model) {
	case MODEL_SEQUENTIAL: return run_sequential(job);
	case MODEL_PROCESSES: return run_processes(job, job->p->cores);
	case MODEL_EVENT_LOOP: return run_event_loop(job);
	case MODEL_PIPELINE: return run_pipeline(job);
	case MODEL_THREADS: return run_threads(job, job->p->cores);
	default: return run_threads(job, job->workers);   /* the probe's form */
	}
}
