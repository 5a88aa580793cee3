/*
 * tests/lab2_check.c - the checker for lab 2 (make check2).
 *
 * Checks that hold on a busy 2-core machine: counts and invariants, never
 * speed.  Every fetch function runs on a thread of the check's own (the
 * "caller") while the check watches it, so the check knows:
 *   - how many threads it had alive at once, and how many are left after it
 *     returns (none may be), and whether it detached any;
 *   - what the results and the timeline held at the moment it returned (a
 *     request that outlasts any sleep must be finished by then);
 *   - from the server's /stats: requests served, connections, peak in flight;
 *   - from the spans: each URL fetched exactly once, by which worker, on
 *     which thread;
 *   - and, when it has not returned in time, what it had done so far: a
 *     stuck pool is named within seconds, not at the framework's 15 s.
 *
 * Races are forced, not hoped for.  The student's exercises.o is linked into
 * this program, so its calls to these functions come to the checker's own
 * versions first (each then calls the C library's, or libcurl's):
 *   - pthread_mutex_unlock and pthread_cond_wait: "under stress", every
 *     unlock gives the processor away for a moment and every other wait on a
 *     condition variable returns at once - a spurious wake-up, which POSIX
 *     allows.  A take outside the lock, or an `if` where the wait needs a
 *     `while`, then fails on every run, not once in a thousand;
 *   - pthread_create: marks the student's threads, and can start them a gap
 *     apart, so that the first workers really do wait on an empty queue;
 *   - sched_yield, sleep, usleep, nanosleep: counted on the student's
 *     threads.  A queue without a mutex cannot use a condition variable, so
 *     its workers must poll: that shows on every run, where the race it
 *     allows would show once in thousands.  One that polls without any call
 *     is seen in /proc: while no URL can have been put, a waiting worker is
 *     asleep in the kernel, however busy the machine, and a spinning one is
 *     not;
 *   - pthread_detach, pthread_attr_setdetachstate: counted (join is the
 *     contract, a sleep is only a guess);
 *   - pthread_mutex_lock/trylock/unlock on one summary's lock (2.3): a field
 *     written while that lock is free is seen at once, by one thread;
 *   - curl_easy_setopt/perform: a client touched by a second thread while
 *     the first is in a request is caught before it can crash libcurl (2.4).
 */
#include "checker.h"
#include "exercises.h"
#include "server.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct wb_check_exercise exercises[] = {
	{ "2.1", "fetch_thread_per_request", "a thread per request", NULL },
	{ "2.2", "fetch_with_pool", "a pool of workers with a queue and poison pills", NULL },
	{ "2.3", "summary_add", "shared state done right (a lock)", NULL },
	/* 2.4 runs the pool code of 2.2, but `needs` stays empty: checkN --only 2.4
	 * (and --expect-failing 2.4) would report it skipped, as 2.2 is not run then. */
	{ "2.4", "fetch_with_pool_keepalive", "connection reuse (keep-alive)", "2.2" },
	{ "2.5", "predict_pool_time", "how many workers? (the staircase)", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 2,
	.title = "threads for I/O",
	.file = "labs/02-threads-io/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

/* ==== Forcing the interleavings: the checker's own pthread functions ==== */

static atomic_int stress;     /* 1 while a check runs the student's threads under stress */
static atomic_int detached;   /* threads detached since the last reset */
static atomic_int polls;      /* sleeps and yields by the student's threads since the last reset */
static const char *_Atomic polled_with;   /* the function of the first of them */

/* Set on the thread that calls the student's function and on every thread it starts. */
static _Thread_local int students_thread;

/* The student's threads started since the last reset, by kernel thread id. */
#define MAX_STUDENT_THREADS 256
static _Atomic pid_t student_tids[MAX_STUDENT_THREADS];
static atomic_int student_threads;

static atomic_int start_gap_us;      /* pause after each of the student's pthread_create calls */
static atomic_int producer_paused;   /* 1 during such a pause: no URL can have been put yet */

/* The C library's function behind ours.  pthread_cond_wait has two versions
 * in glibc; the default one (2.3.2 on x86-64) is the one programs get. */
static void *next_symbol(const char *name, const char *version)
{
	void *fn = version ? dlvsym(RTLD_NEXT, name, version) : NULL;
	if (!fn)
		fn = dlsym(RTLD_NEXT, name);
	if (!fn) {
		fprintf(stderr, "lab2 checker: cannot find the C library's %s\n", name);
		abort();
	}
	return fn;
}

/* Resolved on first use: by resolve_all below, before main() and any thread
 * (or earlier, by a library's own start-up code). */
#define REAL(fn, name, version) \
	((fn) ? (fn) : (*(void **)&(fn) = next_symbol((name), (version)), (fn)))

static int (*real_lock)(pthread_mutex_t *);
static int (*real_trylock)(pthread_mutex_t *);
static int (*real_unlock)(pthread_mutex_t *);
static int (*real_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_detach)(pthread_t);
static int (*real_setdetachstate)(pthread_attr_t *, int);
static int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static int (*real_nanosleep)(const struct timespec *, struct timespec *);
static int (*real_clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
static int (*real_sched_yield)(void);
static int (*real_usleep)(useconds_t);
static unsigned (*real_sleep)(unsigned);

static CURLcode (*real_setopt)(CURL *, CURLoption, ...);
static CURLcode (*real_perform)(CURL *);

__attribute__((constructor)) static void resolve_all(void)
{
	REAL(real_lock, "pthread_mutex_lock", NULL);
	REAL(real_trylock, "pthread_mutex_trylock", NULL);
	REAL(real_unlock, "pthread_mutex_unlock", NULL);
	REAL(real_cond_wait, "pthread_cond_wait", "GLIBC_2.3.2");
	REAL(real_detach, "pthread_detach", NULL);
	REAL(real_setdetachstate, "pthread_attr_setdetachstate", NULL);
	REAL(real_create, "pthread_create", NULL);
	REAL(real_nanosleep, "nanosleep", NULL);
	REAL(real_clock_nanosleep, "clock_nanosleep", NULL);
	REAL(real_sched_yield, "sched_yield", NULL);
	REAL(real_usleep, "usleep", NULL);
	REAL(real_sleep, "sleep", NULL);
	REAL(real_setopt, "curl_easy_setopt", NULL);
	REAL(real_perform, "curl_easy_perform", NULL);
}

/* Let other threads run now: long enough for another core to take the lock
 * just released, and to see what this thread has not yet written. */
static void pause_for(long microseconds)
{
	struct timespec pause = { microseconds / 1000000, microseconds % 1000000 * 1000 };
	REAL(real_nanosleep, "nanosleep", NULL)(&pause, NULL);
}

static void give_way(void)
{
	pause_for(20);
}

/* --- 2.3: watching one summary's lock ---------------------------------- */

struct summary_fields {
	int count;
	size_t bytes;
	double fastest_s, slowest_s;
};

/* Only the 2.3 check's own thread calls summary_add while a summary is watched. */
static struct summary *_Atomic watched;   /* the summary watched (NULL: none) */
static struct {
	struct summary *s;                  /* = watched */
	struct summary_fields at_release;   /* its fields when its lock was last free */
	int acquired;                       /* times its lock was taken */
	int held;                           /* 1 while its lock is taken */
	const char *changed;                /* the first field written while the lock was free */
	const char *when;                   /* "before it locked ..." or "after it unlocked ..." */
} watch;

static int is_watched(const pthread_mutex_t *m)
{
	struct summary *s = atomic_load_explicit(&watched, memory_order_relaxed);
	return s && m == &s->lock;
}

static struct summary_fields fields_of(const struct summary *s)
{
	return (struct summary_fields){ s->count, s->total_bytes, s->fastest_s, s->slowest_s };
}

/* Which field differs from what it was when the lock was last free (NULL: none). */
static const char *changed_field(const struct summary_fields *was, const struct summary_fields *now)
{
	if (was->count != now->count)
		return "count";
	if (was->bytes != now->bytes)
		return "total_bytes";
	if (was->fastest_s != now->fastest_s)
		return "fastest_s";
	if (was->slowest_s != now->slowest_s)
		return "slowest_s";
	return NULL;
}

/* The watched lock was just taken: nothing may have changed since it was last free. */
static void watch_acquired(void)
{
	watch.acquired++;
	watch.held = 1;
	struct summary_fields now = fields_of(watch.s);
	const char *what = changed_field(&watch.at_release, &now);
	if (what && !watch.changed) {
		watch.changed = what;
		watch.when = "before it locked s->lock";
	}
}

/* summary_add has returned: nothing may have changed since its last unlock. */
static void watch_returned(void)
{
	if (watch.held)
		return;   /* still locked: that is the fault to report */
	struct summary_fields now = fields_of(watch.s);
	const char *what = changed_field(&watch.at_release, &now);
	if (what && !watch.changed) {
		watch.changed = what;
		watch.when = "after it unlocked s->lock";
	}
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	int err = REAL(real_lock, "pthread_mutex_lock", NULL)(m);
	if (err == 0 && is_watched(m))
		watch_acquired();
	return err;
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	int err = REAL(real_trylock, "pthread_mutex_trylock", NULL)(m);
	if (err == 0 && is_watched(m))
		watch_acquired();
	return err;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (is_watched(m)) {
		watch.at_release = fields_of(watch.s);
		watch.held = 0;
	}
	int err = REAL(real_unlock, "pthread_mutex_unlock", NULL)(m);
	if (err == 0 && atomic_load_explicit(&stress, memory_order_relaxed))
		give_way();
	return err;
}

int pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m)
{
	static _Thread_local unsigned waits;
	if (atomic_load_explicit(&stress, memory_order_relaxed) && waits++ % 2 == 0) {
		/* A spurious wake-up: let the mutex go, let others run, take it back. */
		int err = REAL(real_unlock, "pthread_mutex_unlock", NULL)(m);
		if (err != 0)
			return err;
		give_way();
		return pthread_mutex_lock(m);
	}
	return REAL(real_cond_wait, "pthread_cond_wait", "GLIBC_2.3.2")(c, m);
}

int pthread_detach(pthread_t t)
{
	atomic_fetch_add(&detached, 1);
	return REAL(real_detach, "pthread_detach", NULL)(t);
}

int pthread_attr_setdetachstate(pthread_attr_t *attr, int state)
{
	if (state == PTHREAD_CREATE_DETACHED)
		atomic_fetch_add(&detached, 1);
	return REAL(real_setdetachstate, "pthread_attr_setdetachstate", NULL)(attr, state);
}

/* --- The student's threads: marked, and started slowly when asked ------ */

struct start {
	void *(*fn)(void *);
	void *arg;
	int students;
};

static void *start_marked(void *arg)
{
	struct start start = *(struct start *)arg;
	free(arg);
	students_thread = start.students;
	if (students_thread) {
		int k = atomic_fetch_add(&student_threads, 1);
		if (k < MAX_STUDENT_THREADS)
			atomic_store(&student_tids[k], gettid());
	}
	return start.fn(start.arg);
}

int pthread_create(pthread_t *restrict t, const pthread_attr_t *restrict attr,
		   void *(*fn)(void *), void *restrict arg)
{
	struct start *start = malloc(sizeof *start);
	if (!start)
		return EAGAIN;
	*start = (struct start){ fn, arg, students_thread };
	int err = REAL(real_create, "pthread_create", NULL)(t, attr, start_marked, start);
	if (err != 0) {
		free(start);
		return err;
	}
	/* The workers start one by one, a gap apart, so that the first of them
	 * really do wait on an empty queue before any URL is put. */
	int gap = atomic_load_explicit(&start_gap_us, memory_order_relaxed);
	if (students_thread && gap > 0) {
		atomic_store(&producer_paused, 1);
		pause_for(gap);
		atomic_store(&producer_paused, 0);
	}
	return 0;
}

/* --- Sleeping and yielding: a thread that waits must block, not poll ---- */

static void note_poll(const char *how)
{
	if (!students_thread)
		return;
	if (atomic_fetch_add(&polls, 1) == 0)
		atomic_store(&polled_with, how);
}

int sched_yield(void)
{
	note_poll("sched_yield");
	return REAL(real_sched_yield, "sched_yield", NULL)();
}

int nanosleep(const struct timespec *want, struct timespec *left)
{
	note_poll("nanosleep");
	return REAL(real_nanosleep, "nanosleep", NULL)(want, left);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *want, struct timespec *left)
{
	note_poll("clock_nanosleep");
	return REAL(real_clock_nanosleep, "clock_nanosleep", NULL)(clock, flags, want, left);
}

int usleep(useconds_t us)
{
	note_poll("usleep");
	return REAL(real_usleep, "usleep", NULL)(us);
}

unsigned sleep(unsigned seconds)
{
	note_poll("sleep");
	return REAL(real_sleep, "sleep", NULL)(seconds);
}

/* --- 2.4: a client is one thread's at a time ----------------------------- */

/*
 * A client (one libcurl handle) used by two threads at once corrupts both
 * transfers, and often crashes libcurl before any check could say why.  So
 * the checker notes which thread is in the middle of a transfer on which
 * handle; a second thread that touches that handle meanwhile is stopped
 * right there, before it does any harm, and the watching thread fails the
 * check with the reason.
 */
static atomic_int shared_client;   /* a thread touched a handle another was using */

static struct {
	pthread_mutex_t lock;      /* taken with the C library's own functions */
	CURL *handle[256];         /* transfers in progress... */
	pid_t tid[256];            /* ...and the thread of each */
} busy = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Another thread is in a transfer on h: say so, then stop this thread for good. */
static void stop_if_busy_elsewhere(CURL *h)
{
	pid_t me = gettid();
	int elsewhere = 0;
	REAL(real_lock, "pthread_mutex_lock", NULL)(&busy.lock);
	for (int i = 0; i < 256; i++)
		elsewhere |= busy.handle[i] == h && busy.tid[i] != me;
	REAL(real_unlock, "pthread_mutex_unlock", NULL)(&busy.lock);
	if (!elsewhere)
		return;
	atomic_store(&shared_client, 1);
	for (;;)
		pause();   /* the check ends the process */
}

/* Note a transfer on this thread: begun (from NULL to h) or done (from h to NULL). */
static void mark_busy(CURL *from, CURL *to)
{
	pid_t me = gettid();
	REAL(real_lock, "pthread_mutex_lock", NULL)(&busy.lock);
	for (int i = 0; i < 256; i++) {
		if (busy.handle[i] == from && (from == NULL || busy.tid[i] == me)) {
			busy.handle[i] = to;
			busy.tid[i] = me;
			break;
		}
	}
	REAL(real_unlock, "pthread_mutex_unlock", NULL)(&busy.lock);
}

CURLcode (curl_easy_perform)(CURL *h)
{
	stop_if_busy_elsewhere(h);
	mark_busy(NULL, h);
	CURLcode rc = REAL(real_perform, "curl_easy_perform", NULL)(h);
	mark_busy(h, NULL);
	return rc;
}

/* The option's type says how its one argument was passed (curl.h's CURLOPTTYPE_*):
 * a long, a curl_off_t, or a pointer (objects, callbacks and blobs alike). */
CURLcode (curl_easy_setopt)(CURL *h, CURLoption option, ...)
{
	stop_if_busy_elsewhere(h);
	va_list ap;
	va_start(ap, option);
	CURLcode rc;
	REAL(real_setopt, "curl_easy_setopt", NULL);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = real_setopt(h, option, va_arg(ap, long));
	else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB)
		rc = real_setopt(h, option, va_arg(ap, curl_off_t));
	else
		rc = real_setopt(h, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* ==== URLs: slot i always answers i + 1 bytes ========================== */

#define DEAD_URL "http://127.0.0.1:1/get"
#define MAXN 64

static char url_store[MAXN][256];
static const char *urls[MAXN];

/* urls[i] = <server>/bytes/<i + 1>: a fast request, and each slot's answer has its own size */
static void bytes_urls(int n)
{
	for (int i = 0; i < n; i++) {
		wb_url(url_store[i], sizeof url_store[i], wb_server_url(NULL), "/bytes/%d", i + 1);
		urls[i] = url_store[i];
	}
}

/* urls[i] answers i + 1 bytes after `seconds` */
static void slow_url(int i, double seconds)
{
	wb_url(url_store[i], sizeof url_store[i], wb_server_url(NULL),
	       "/drip?delay=%g&duration=0&numbytes=%d", seconds, i + 1);
	urls[i] = url_store[i];
}

static void slow_urls(int n, double seconds)
{
	for (int i = 0; i < n; i++)
		slow_url(i, seconds);
}

static struct wb_server_stats stats(int reset)
{
	struct wb_server_stats st;
	char err[512];
	cr_assert(wb_server_stats(wb_server_url(NULL), reset, &st, err, sizeof err) == 0,
		  "the checker could not read the lab server's /stats: %s", err);
	return st;
}

static void sleep_s(double seconds)
{
	struct timespec t = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	nanosleep(&t, NULL);
}

/* ==== Calling a fetch function and watching it ======================== */

typedef int (*fetch_fn)(const char *const *urls, int n, int workers,
			struct fetch_result *results, struct wb_timeline *tl);

#define HINT_CLIENT "Each worker needs its own client: a client belongs to one thread at " \
	"a time, so make it with wb_http_client_new when the worker starts and use it only " \
	"there."
#define HINT_OWN_ARG "Does each thread get an argument of its own (its index, its slot), " \
	"one that stays valid until the thread is joined?"
#define HINT_TAKE "Is every take from the queue (the wait, the read, the update of its head " \
	"and count) done under the queue's mutex, with the wait in a while loop?"

struct call {
	const char *function;   /* for the messages: "fetch_with_pool" */
	fetch_fn fetch;
	int n, workers;         /* workers: 0 for 2.1, a thread per request */
	int under_stress;
	int start_gap_us;       /* the pause after each thread it starts (0: none) */
	double give_up_s;       /* it is stuck if it has not returned after this long */
	struct wb_timeline *tl;
	struct fetch_result res[MAXN];
	/* What happened */
	int rc;
	atomic_int returned;
	double took_s;
	pid_t caller_tid;
	struct fetch_result at_return[MAXN];   /* the results the moment it returned */
	size_t spans_at_return;
	int base_threads;       /* the process's threads before the call */
	int threads_at_return;  /* its threads alive the moment it returned */
	int peak_threads;       /* the most threads of its own alive at once */
	int threads_left;       /* its threads still alive after it returned */
	int detached;
	int polls;              /* sleeps and yields by its threads */
	const char *polled_with;
	int fds_left;           /* descriptors it left open */
	/* While it was held back from putting any URL: how often each of its
	 * threads was looked at, and how often it was found running, not asleep */
	int looks[MAX_STUDENT_THREADS], running[MAX_STUDENT_THREADS];
	struct wb_server_stats before, after;
};

static struct call *new_call(const char *function, fetch_fn fetch, int n, int workers)
{
	struct call *c = calloc(1, sizeof *c);
	cr_assert(c != NULL, "the checker ran out of memory");
	c->function = function;
	c->fetch = fetch;
	c->n = n;
	c->workers = workers;
	c->give_up_s = 5;
	c->tl = wb_timeline_new(8 * MAXN);
	return c;
}

static void free_call(struct call *c)
{
	wb_timeline_free(c->tl);
	free(c);
}

/* The caller thread: one call of the fetch function, and what it left at that moment. */
static void *caller_main(void *arg)
{
	struct call *c = arg;
	c->caller_tid = gettid();
	students_thread = 1;
	double start = wb_now();
	c->rc = c->fetch(urls, c->n, c->workers, c->res, c->tl);
	c->took_s = wb_now() - start;
	c->spans_at_return = wb_timeline_count(c->tl);
	c->threads_at_return = wb_check_threads() - c->base_threads - 1;   /* less this one */
	memcpy(c->at_return, c->res, sizeof c->at_return);
	atomic_store(&c->returned, 1);
	return NULL;
}

/* No URL may be fetched twice: checked as the spans come in, so a queue that
 * hands one index to two workers is named at once, not when it jams later. */
static void check_no_url_twice(struct call *c, const char *when)
{
	int seen[MAXN] = { 0 };
	size_t count = wb_timeline_count(c->tl);
	for (size_t k = 0; k < count; k++) {
		const struct wb_span *s = wb_timeline_span(c->tl, k);
		if (!s)
			continue;   /* still being written */
		int bad = s->task < 0 || s->task >= c->n || ++seen[s->task] > 1;
		if (!bad)
			continue;
		atomic_store(&stress, 0);
		if (s->task < 0 || s->task >= c->n)
			cr_assert_fail("%s: a span says URL index %d %s, but the indexes are 0..%d.  %s",
				       c->function, s->task, when, c->n - 1,
				       c->workers == 0 ? HINT_OWN_ARG : HINT_TAKE);
		if (c->workers == 0)
			cr_assert_fail("%s: URL %d was fetched twice %s: two threads made the same "
				       "request.  %s", c->function, s->task, when, HINT_OWN_ARG);
		cr_assert_fail("%s: URL %d was fetched twice %s: two workers took the same "
			       "index.  %s", c->function, s->task, when, HINT_TAKE);
	}
}

/* Stops the check once a thread has touched a client that another thread was using. */
static void check_no_shared_client(const struct call *c)
{
	if (!atomic_load(&shared_client))
		return;
	atomic_store(&stress, 0);
	cr_assert_fail("%s: two threads used the same client at the same time (one was in the "
		       "middle of a request when another touched it).  %s", c->function,
		       HINT_CLIENT);
}

/* It has not returned in time: say what it had done, and stop the check. */
static _Noreturn void stuck(struct call *c)
{
	atomic_store(&stress, 0);
	atomic_store(&start_gap_us, 0);
	check_no_url_twice(c, "before it got stuck");
	size_t spans = wb_timeline_count(c->tl);
	struct wb_server_stats now = stats(0);
	if ((int)spans >= c->n && now.in_flight == 0)
		cr_assert_fail("%s: had not returned %.0f s after it was called, though all %d "
			       "requests were done: some thread never ends, so a join waits for "
			       "ever.  Does every worker get a poison pill of its own (one per "
			       "worker), does every put signal the condition variable (a worker "
			       "asleep on an empty queue wakes only when signalled), and does a "
			       "worker stop when it takes its pill?", c->function, c->give_up_s,
			       c->n);
	cr_assert_fail("%s: stuck: %.0f s after it was called only %zu of %d requests had been "
		       "made and %ld were in flight.  Are all the threads started before you join "
		       "any?  Does every put signal the condition variable, and does every "
		       "worker wait for it in a while loop, under the lock?", c->function,
		       c->give_up_s, spans, c->n, now.in_flight);
	abort();   /* not reached: cr_assert_fail ends the check */
}

/* Is thread tid running or runnable ('R'), rather than asleep in the kernel?  -1: it is gone. */
static int is_running(pid_t tid)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *got = fgets(line, sizeof line, f);
	fclose(f);
	char *paren = got ? strrchr(line, ')') : NULL;   /* the name may hold spaces */
	if (!paren || paren[1] != ' ')
		return -1;
	return paren[2] == 'R';
}

/* While the producer is held back, look at each worker: one that waits properly sleeps. */
static void look_at_workers(struct call *c)
{
	if (!atomic_load(&producer_paused))
		return;
	int n = atomic_load(&student_threads);
	for (int k = 0; k < n && k < MAX_STUDENT_THREADS; k++) {
		pid_t tid = atomic_load(&student_tids[k]);
		int r = tid > 0 ? is_running(tid) : -1;
		if (r < 0)
			continue;
		c->looks[k]++;
		c->running[k] += r;
	}
}

/* Threads still alive: a joined thread leaves /proc within moments; allow half a second. */
static int threads_left_after(int base)
{
	double until = wb_now() + 0.5;
	int left;
	while ((left = wb_check_threads() - base) > 0 && wb_now() < until)
		sleep_s(0.005);
	return left;
}

/* Call c->fetch on a thread of its own; watch its threads while it runs. */
static void run_call(struct call *c)
{
	memset(c->res, 0, sizeof c->res);
	wb_timeline_reset(c->tl);
	c->before = stats(1);
	int fds = wb_check_open_fds();
	int base = c->base_threads = wb_check_threads();
	atomic_store(&detached, 0);
	atomic_store(&polls, 0);
	atomic_store(&polled_with, NULL);
	atomic_store(&c->returned, 0);
	atomic_store(&student_threads, 0);
	memset(c->looks, 0, sizeof c->looks);
	memset(c->running, 0, sizeof c->running);
	atomic_store(&start_gap_us, c->start_gap_us);
	atomic_store(&stress, c->under_stress);
	pthread_t caller;
	cr_assert(pthread_create(&caller, NULL, caller_main, c) == 0,
		  "the checker could not start a thread");
	double give_up = wb_now() + c->give_up_s;
	c->peak_threads = 0;
	while (!atomic_load(&c->returned)) {
		int mine = wb_check_threads() - base - 1;   /* less the caller itself */
		if (mine > c->peak_threads)
			c->peak_threads = mine;
		if (wb_now() > give_up)
			stuck(c);
		check_no_url_twice(c, "while it was still running");
		check_no_shared_client(c);
		look_at_workers(c);
		sleep_s(0.001);
	}
	atomic_store(&stress, 0);
	atomic_store(&start_gap_us, 0);
	pthread_join(caller, NULL);
	c->detached = atomic_load(&detached);
	c->polls = atomic_load(&polls);
	c->polled_with = atomic_load(&polled_with);
	c->threads_left = threads_left_after(base);
	c->fds_left = wb_check_open_fds() - fds;
	c->after = stats(0);
}

/* ==== What every fetch function must do =============================== */

/* rc: 0 (REQUIRE_DONE first: the handout's placeholder is "not done") */
static void check_returned_0(const struct call *c, const char *id)
{
	REQUIRE_DONE(c->rc, id);
	cr_assert(c->rc == 0, "%s: returned %d, expected 0 (every thread started)", c->function,
		  c->rc);
}

/* No thread detached, none alive after the return, every request done by then. */
static void check_waited_for_all(const struct call *c, const char *what)
{
	cr_assert(c->detached == 0,
		  "%s: detached %d thread(s): nothing then says when a detached thread is done, "
		  "so you cannot know its result is there (a sleep is only a guess).  Join every "
		  "%s instead (pthread_join).", c->function, c->detached, what);
	cr_assert(c->polls == 0,
		  "%s: its threads called %s (%d sleeps and yields while it ran): a thread that "
		  "waits must block until it is woken - pthread_join for a thread, "
		  "pthread_cond_wait (in a while loop, under the queue's mutex) for work.  A "
		  "sleep is only a guess, polling burns the processor, and a queue polled "
		  "without its mutex can hand one index to two workers", c->function,
		  c->polled_with ? c->polled_with : "sleep", c->polls);
	if ((int)c->spans_at_return < c->n && c->threads_at_return > 0)
		cr_assert_fail("%s: returned after %.2f s while %d of its threads were still "
			       "working (%zu of %d requests done): join every %s before returning",
			       c->function, c->took_s, c->threads_at_return, c->spans_at_return,
			       c->n, what);
	cr_assert((int)c->spans_at_return >= c->n,
		  "%s: returned when only %zu of its %d requests had been made, with no thread of "
		  "its own left running: %s", c->function, c->spans_at_return, c->n,
		  c->workers > 0 ? "every worker had stopped early.  A worker stops at its "
				   "poison pill, so the pills go in after all the URLs"
				 : "start a thread for every URL, and join them all");
	cr_assert(c->threads_left == 0,
		  "%s: %d of your threads were still alive after you returned: join every %s "
		  "before returning", c->function, c->threads_left, what);
}

/* results[i] holds URL i's answer, i + 1 bytes: each result in its own slot.
 * `hint` says what to look at when a request failed. */
static void check_slots(const struct call *c, const char *hint)
{
	const char *where = c->workers > 0 ? "the worker that took index i writes results[i] "
					     "(not results[its own number])"
					   : "thread i writes results[i] and nothing else";
	for (int i = 0; i < c->n; i++) {
		const struct fetch_result *r = &c->at_return[i];
		cr_assert(r->rc != 0 || r->http.status != 0,
			  "%s: results[%d] was still empty when you returned, though every request "
			  "was done: URL i's result goes in results[i] - %s", c->function, i, where);
		cr_assert(r->rc == 0 && r->http.status == 200,
			  "%s: results[%d] has rc %d, status %ld - every request should have "
			  "succeeded%s%s.  %s", c->function, i, r->rc, r->http.status,
			  r->http.error[0] ? ": " : "", r->http.error, hint);
		cr_assert(r->http.bytes == (size_t)(i + 1),
			  "%s: results[%d] holds %zu bytes, but URL %d answers %d bytes: URL i's "
			  "result goes in results[i] - %s", c->function, i, r->http.bytes, i, i + 1,
			  where);
	}
}

/*
 * The spans and the server: each URL fetched exactly once, by a worker in
 * range, each worker a thread of its own (2.1: worker i is request i's thread).
 */
static void check_each_url_once(const struct call *c, const char *hint)
{
	int workers = c->workers > 0 ? c->workers : c->n;
	int seen[MAXN] = { 0 };
	pid_t tid_of[MAXN] = { 0 };
	size_t count = wb_timeline_count(c->tl);
	for (size_t k = 0; k < count; k++) {
		const struct wb_span *s = wb_timeline_span(c->tl, k);
		cr_assert(s != NULL, "%s: a span was still being recorded after you returned: a "
			  "thread was still working", c->function);
		cr_assert(s->task >= 0 && s->task < c->n && s->worker >= 0 && s->worker < workers,
			  "%s: a span says task %d, worker %d; tasks are 0..%d, workers 0..%d",
			  c->function, s->task, s->worker, c->n - 1, workers - 1);
		cr_assert(c->workers > 0 || s->worker == s->task,
			  "%s: the span of request %d says worker %d: thread i records (worker i, "
			  "task i)", c->function, s->task, s->worker);
		seen[s->task]++;
		cr_assert(s->tid != c->caller_tid,
			  "%s: request %d ran on the thread that called you: start %s",
			  c->function, s->task, c->workers > 0 ? "the workers and let them make "
			  "every request" : "a thread for it");
		if (tid_of[s->worker] == 0)
			tid_of[s->worker] = s->tid;
		cr_assert(tid_of[s->worker] == s->tid,
			  "%s: worker %d's requests ran on more than one thread: a worker is one "
			  "thread that takes URL after URL from the queue until it gets its pill "
			  "(not a new batch of threads each round)", c->function, s->worker);
	}
	for (int i = 0; i < c->n; i++)
		cr_assert(seen[i] == 1, "%s: URL %d was fetched %d times (%zu spans for %d URLs); "
			  "each URL must be fetched exactly once.  %s", c->function, i, seen[i],
			  count, c->n, hint);
	for (int a = 0; a < workers; a++)
		for (int b = a + 1; b < workers; b++)
			cr_assert(tid_of[a] == 0 || tid_of[a] != tid_of[b],
				  "%s: workers %d and %d ran on the same thread: each worker is a "
				  "thread of its own", c->function, a, b);
}

/*
 * Asleep while there is nothing to do.  A worker waiting on a condition
 * variable, or on the server inside libcurl, is asleep in the kernel ('S'),
 * however busy the machine; one that loops on the queue's count is running
 * or waiting for a processor ('R').  Judged on the threads looked at often
 * enough while the producer was held back.
 */
static void check_no_spinning(const struct call *c)
{
	for (int k = 0; k < MAX_STUDENT_THREADS; k++) {
		if (c->looks[k] < 20 || c->running[k] * 10 < c->looks[k] * 8)
			continue;
		cr_assert_fail("%s: a worker was running, not asleep, in %d of %d looks while "
			       "no URL had been put yet: it spins on the queue.  A worker with "
			       "nothing to take waits with pthread_cond_wait, under the queue's "
			       "mutex, which puts it to sleep until a put signals it; a loop on "
			       "the count burns a processor, and without the mutex two workers "
			       "can take the same index", c->function, c->running[k],
			       c->looks[k]);
	}
}

/* The server's count: one request per URL, no more, no fewer. */
static void check_served(const struct call *c, const char *hint)
{
	long served = c->after.requests_served - c->before.requests_served;
	cr_assert(served == c->n, "%s: the server answered %ld requests for %d URLs: each URL "
		  "must be fetched exactly once.  %s", c->function, served, c->n, hint);
}

/* The threads it had alive at once: never more than its workers (2.1: its requests). */
static void check_thread_count(const struct call *c, int exactly)
{
	int want = c->workers > 0 ? c->workers : c->n;
	if (exactly)
		cr_assert(c->peak_threads == want,
			  "%s: %d threads of yours were alive at once, expected %d (%s)",
			  c->function, c->peak_threads, want,
			  c->workers > 0 ? "one per worker, all started before any is joined"
					 : "one per request, all started before any is joined");
	else
		cr_assert(c->peak_threads <= want,
			  "%s: %d threads of yours were alive at once, expected at most %d",
			  c->function, c->peak_threads, want);
}

/* --- 2.1 ---------------------------------------------------------------- */

static int thread_per_request(const char *const *u, int n, int workers,
			      struct fetch_result *res, struct wb_timeline *tl)
{
	(void)workers;
	return fetch_thread_per_request(u, n, res, tl);
}

#define HINT_2_1 HINT_OWN_ARG
/* what to look at when one of the lab server's URLs did not answer 200 */
#define HINT_SERVER "(The lab server answers every one of these URLs.)"

Test(ex2_1, all_requests_overlap, .timeout = 15)
{
	enum { N = 16, SLOW = 11 };
	struct call *c = new_call("fetch_thread_per_request", thread_per_request, N, 0);
	slow_urls(N, 0.25);
	slow_url(SLOW, 1.5);   /* outlasts any sleep a student might wait "long enough" with */
	c->give_up_s = 10;
	run_call(c);
	check_returned_0(c, "2.1");
	check_waited_for_all(c, "thread");
	cr_assert(c->after.peak_in_flight == N,
		  "%s: %d requests took %.2f s, but the server saw at most %ld at once: start "
		  "every thread first, then join them all (joining each one right after "
		  "creating it runs them one at a time)", c->function, N, c->took_s,
		  c->after.peak_in_flight);
	check_thread_count(c, 1);
	cr_assert(wb_timeline_max_overlap(c->tl, "fetch") == N,
		  "%s: your spans show at most %d requests at once, expected %d: record each "
		  "span from just before the request to just after it", c->function,
		  wb_timeline_max_overlap(c->tl, "fetch"), N);
	check_each_url_once(c, HINT_2_1);
	check_slots(c, HINT_SERVER);
	check_served(c, HINT_2_1);
	free_call(c);
}

Test(ex2_1, each_url_on_its_own_thread, .timeout = 15)
{
	struct call *c = new_call("fetch_thread_per_request", thread_per_request, 32, 0);
	bytes_urls(c->n);
	run_call(c);
	check_returned_0(c, "2.1");
	check_waited_for_all(c, "thread");
	check_each_url_once(c, HINT_2_1);
	check_slots(c, HINT_SERVER);
	check_served(c, HINT_2_1);
	check_thread_count(c, 0);
	free_call(c);
}

Test(ex2_1, failed_request_stays_in_its_slot, .timeout = 15)
{
	struct call *c = new_call("fetch_thread_per_request", thread_per_request, 3, 0);
	bytes_urls(c->n);
	urls[1] = DEAD_URL;
	run_call(c);
	REQUIRE_DONE(c->rc, "2.1");
	cr_assert(c->rc == 0, "%s: one failed request is not a failure to run threads; return 0 "
		  "and let results[1].rc say -1 (you returned %d)", c->function, c->rc);
	cr_assert(c->res[1].rc == -1 && strstr(c->res[1].http.error, "127.0.0.1:1"),
		  "%s: results[1] should record the failed request (rc -1, the error naming the "
		  "URL)", c->function);
	cr_assert(c->res[0].rc == 0 && c->res[2].rc == 0,
		  "%s: the other requests should have succeeded", c->function);
	free_call(c);
}

/* --- 2.2 and 2.4: the pools -------------------------------------------- */

#define HINT_POOL HINT_TAKE

/* One connection per worker that made requests, and none left open. */
static void check_one_connection_per_worker(const struct call *c)
{
	int worked[MAXN] = { 0 }, workers_that_worked = 0;
	for (size_t k = 0; k < wb_timeline_count(c->tl); k++) {
		int w = wb_timeline_span(c->tl, k)->worker;
		workers_that_worked += !worked[w];
		worked[w] = 1;
	}
	long conns = c->after.connections_accepted - c->before.connections_accepted - 1;
	cr_assert(conns >= workers_that_worked,
		  "%s: %d workers made %d requests over %ld connection(s).  %s", c->function,
		  workers_that_worked, c->n, conns, HINT_CLIENT);
	cr_assert(conns == workers_that_worked,
		  "%s: %d workers made %d requests over %ld connections; with one kept-alive "
		  "client per worker that is one connection per worker (%d): make the client "
		  "once, when the worker starts (not per request), and make every request with "
		  "wb_http_get on it, not wb_http_fetch", c->function, workers_that_worked, c->n,
		  conns, workers_that_worked);
	cr_assert(c->fds_left <= 0,
		  "%s: %d descriptors were still open after you returned: each worker frees its "
		  "client (wb_http_client_free) when it stops, which closes its connection",
		  c->function, c->fds_left);
}

/* More workers than URLs: the idle ones must stop too. */
static void check_all_workers_stop(const char *function, fetch_fn fetch, const char *id,
				   const char *hint)
{
	struct call *c = new_call(function, fetch, 3, 8);
	bytes_urls(c->n);
	c->give_up_s = 4;
	run_call(c);
	check_returned_0(c, id);
	check_waited_for_all(c, "worker");
	check_each_url_once(c, HINT_POOL);
	check_slots(c, hint);
	check_served(c, hint);
	check_thread_count(c, 0);
	free_call(c);
}

/*
 * Many workers, many tiny requests, several rounds, under stress (every
 * unlock gives way, every other wait wakes up spuriously): each index must
 * still be taken exactly once.  Returns the call of the last round (free it).
 */
static struct call *rounds_under_stress(const char *function, fetch_fn fetch, const char *id,
					const char *hint, int rounds, int n, int workers,
					int keepalive)
{
	struct call *c = new_call(function, fetch, n, workers);
	bytes_urls(n);
	c->under_stress = 1;
	c->start_gap_us = 1000;
	c->give_up_s = 3;   /* a round takes a tenth of a second */
	for (int r = 0; r < rounds; r++) {
		run_call(c);
		check_returned_0(c, id);
		check_waited_for_all(c, "worker");
		check_each_url_once(c, HINT_POOL);
		if (keepalive)
			check_one_connection_per_worker(c);
		check_slots(c, hint);
		check_served(c, hint);
		check_thread_count(c, 0);
	}
	return c;
}

Test(ex2_2, all_workers_stop, .timeout = 10)
{
	check_all_workers_stop("fetch_with_pool", fetch_with_pool, "2.2", HINT_SERVER);
}

Test(ex2_2, each_url_taken_exactly_once, .timeout = 15)
{
	free_call(rounds_under_stress("fetch_with_pool", fetch_with_pool, "2.2", HINT_SERVER, 8,
				      64, 32, 0));
}

/* Workers started 100 ms apart, slow URLs: every worker spends most of its life waiting. */
static void check_idle_workers_sleep(const char *function, fetch_fn fetch, const char *id)
{
	enum { N = 6, W = 4 };
	struct call *c = new_call(function, fetch, N, W);
	slow_urls(N, 0.3);
	c->start_gap_us = 100 * 1000;
	run_call(c);
	check_returned_0(c, id);
	check_no_spinning(c);
	check_waited_for_all(c, "worker");
	check_each_url_once(c, HINT_POOL);
	check_slots(c, HINT_SERVER);
	free_call(c);
}

Test(ex2_2, idle_workers_sleep, .timeout = 15)
{
	check_idle_workers_sleep("fetch_with_pool", fetch_with_pool, "2.2");
}

Test(ex2_2, peak_is_the_pool_size, .timeout = 15)
{
	enum { N = 13, W = 4, SLOW = 5 };
	struct call *c = new_call("fetch_with_pool", fetch_with_pool, N, W);
	slow_urls(N, 0.3);
	slow_url(SLOW, 1.5);
	c->give_up_s = 10;
	run_call(c);
	check_returned_0(c, "2.2");
	check_waited_for_all(c, "worker");
	cr_assert(c->after.peak_in_flight == W,
		  "%s: a pool of %d workers had %ld requests in flight at once (in %.2f s); it "
		  "should have exactly %d - one per worker", c->function, W,
		  c->after.peak_in_flight, c->took_s, W);
	check_thread_count(c, 1);
	check_each_url_once(c, HINT_POOL);
	check_slots(c, HINT_SERVER);
	check_served(c, HINT_POOL);
	int by_worker[W] = { 0 };
	for (size_t k = 0; k < wb_timeline_count(c->tl); k++)
		by_worker[wb_timeline_span(c->tl, k)->worker]++;
	for (int w = 0; w < W; w++)
		cr_assert(by_worker[w] > 0, "%s: worker %d did no work at all", c->function, w);
	cr_assert(c->after.connections_accepted - c->before.connections_accepted - 1 >= N,
		  "%s: use wb_http_fetch (a new connection per request) here; keep-alive is "
		  "exercise 2.4", c->function);
	free_call(c);
}

/* --- 2.3 ---------------------------------------------------------------- */

/* One call of summary_add, with the summary's lock watched. */
static void add_watched(struct summary *s, size_t bytes, double seconds)
{
	watch.s = s;
	watch.at_release = fields_of(s);
	watch.acquired = watch.held = 0;
	atomic_store(&watched, s);
	int rc = summary_add(s, bytes, seconds);
	watch_returned();
	atomic_store(&watched, NULL);
	REQUIRE_DONE(rc, "2.3");
	cr_assert(rc == 0, "summary_add: returned %d, expected 0", rc);
	cr_assert(watch.acquired > 0,
		  "summary_add: returned without ever locking s->lock.  Many threads call it at "
		  "once: lock s->lock (pthread_mutex_lock(&s->lock)) before you touch any field, "
		  "unlock it after the last");
	int err = pthread_mutex_trylock(&s->lock);
	cr_assert(!watch.held && err == 0,
		  "summary_add: returned with s->lock still locked, so the next call waits for "
		  "ever: unlock it on every way out of the function");
	pthread_mutex_unlock(&s->lock);
	cr_assert(!watch.changed,
		  "summary_add: changed %s %s: every read and write of the summary goes between "
		  "the lock and the unlock - a fastest or slowest updated outside the lock loses "
		  "updates when threads race", watch.changed, watch.when);
}

static void expect_summary(const struct summary *s, int count, size_t bytes, double fastest,
			   double slowest, const char *after)
{
	cr_assert(s->count == count && s->total_bytes == bytes && s->fastest_s == fastest &&
			  s->slowest_s == slowest,
		  "summary_add: after %s the summary says count %d, bytes %zu, fastest %g s, "
		  "slowest %g s; expected %d, %zu, %g, %g%s", after, s->count, s->total_bytes,
		  s->fastest_s, s->slowest_s, count, bytes, fastest, slowest,
		  count == 1 ? " (the first request sets both fastest and slowest: fastest_s "
			       "starts at 0)" : "");
}

Test(ex2_3, every_field_under_the_lock, .timeout = 10)
{
	struct summary s = SUMMARY_INIT;
	add_watched(&s, 1, 0.25);
	expect_summary(&s, 1, 1, 0.25, 0.25, "one request of 1 byte in 0.25 s");
	add_watched(&s, 2, 0.5);
	expect_summary(&s, 2, 3, 0.25, 0.5, "a second of 2 bytes in 0.5 s");
	add_watched(&s, 4, 0.125);
	expect_summary(&s, 3, 7, 0.125, 0.5, "a third of 4 bytes in 0.125 s");
	add_watched(&s, 8, 0.3);
	expect_summary(&s, 4, 15, 0.125, 0.5, "a fourth of 8 bytes in 0.3 s");
}

enum { ADDERS = 8, ADDS = 20000 };

/* Adder t's k-th time: every adder's times fall, or rise, so each add is a new extreme. */
static double time_of(int t, int k)
{
	double step = (k * ADDERS + t) * 1e-6;
	return k % 2 == 0 ? 1.0 - step : 2.0 + step;
}

struct adder {
	struct summary *s;
	int t;    /* which adder: its times are time_of(t, k) */
	int rc;   /* the first call that did not return 0, or 0 */
};

static void *add_many(void *arg)
{
	struct adder *a = arg;
	for (int k = 0; k < ADDS && a->rc == 0; k++)
		a->rc = summary_add(a->s, 3, time_of(a->t, k));
	return NULL;
}

Test(ex2_3, many_threads_one_summary, .timeout = 15)
{
	struct summary s = SUMMARY_INIT;
	pthread_t t[ADDERS];
	struct adder a[ADDERS];
	for (int i = 0; i < ADDERS; i++) {
		a[i] = (struct adder){ &s, i, 0 };
		cr_assert(pthread_create(&t[i], NULL, add_many, &a[i]) == 0,
			  "the checker could not start a thread");
	}
	for (int i = 0; i < ADDERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < ADDERS; i++) {
		REQUIRE_DONE(a[i].rc, "2.3");
		cr_assert(a[i].rc == 0, "summary_add: returned %d, expected 0", a[i].rc);
	}
	cr_assert(s.count == ADDERS * ADDS && s.total_bytes == 3u * ADDERS * ADDS,
		  "summary_add: %d threads added %d requests each, and the summary counts %d "
		  "requests, %zu bytes (expected %d, %d) - is every update under the lock?",
		  ADDERS, ADDS, s.count, s.total_bytes, ADDERS * ADDS, 3 * ADDERS * ADDS);
	double fastest = time_of(ADDERS - 1, ADDS - 2), slowest = time_of(ADDERS - 1, ADDS - 1);
	cr_assert(s.fastest_s == fastest && s.slowest_s == slowest,
		  "summary_add: %d threads added times from %.6f to %.6f s, and the summary says "
		  "fastest %.6f, slowest %.6f: a lost update - are fastest and slowest compared "
		  "and set under the lock?", ADDERS, fastest, slowest, s.fastest_s, s.slowest_s);
}

/* --- 2.4 ---------------------------------------------------------------- */

Test(ex2_4, all_workers_stop, .timeout = 10)
{
	check_all_workers_stop("fetch_with_pool_keepalive", fetch_with_pool_keepalive, "2.4",
			       HINT_CLIENT);
}

Test(ex2_4, connection_per_worker, .timeout = 15)
{
	enum { N = 16, W = 4 };
	struct call *c = new_call("fetch_with_pool_keepalive", fetch_with_pool_keepalive, N, W);
	slow_urls(N, 0.05);
	run_call(c);
	check_returned_0(c, "2.4");
	check_waited_for_all(c, "worker");
	check_each_url_once(c, HINT_POOL);
	check_one_connection_per_worker(c);
	check_slots(c, HINT_CLIENT);
	check_served(c, HINT_CLIENT);
	check_thread_count(c, 0);
	free_call(c);
}

Test(ex2_4, each_url_taken_exactly_once, .timeout = 15)
{
	free_call(rounds_under_stress("fetch_with_pool_keepalive", fetch_with_pool_keepalive,
				      "2.4", HINT_CLIENT, 4, 48, 16, 1));
}

Test(ex2_4, idle_workers_sleep, .timeout = 15)
{
	check_idle_workers_sleep("fetch_with_pool_keepalive", fetch_with_pool_keepalive, "2.4");
}

/* --- 2.5 ---------------------------------------------------------------- */

Test(ex2_5, the_staircase, .timeout = 10)
{
	const struct {
		int n, w;
		double delay, want;
	} cases[] = {
		{ 10, 1, 0.5, 5.0 }, { 10, 2, 0.5, 2.5 }, { 10, 3, 0.5, 2.0 }, { 10, 4, 0.5, 1.5 },
		{ 10, 10, 0.5, 0.5 }, { 10, 16, 0.5, 0.5 }, { 100, 10, 0.5, 5.0 }, { 1, 1, 2.0, 2.0 },
		{ 7, 3, 0.25, 0.75 }, { 5, 4, 1.0, 2.0 }, { 4, 4, 1.0, 1.0 }, { 3, 8, 0.2, 0.2 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = -1;
		int rc = predict_pool_time(cases[i].n, cases[i].w, cases[i].delay, &got);
		REQUIRE_DONE(rc, "2.5");
		cr_assert(rc == 0 && got > cases[i].want - 1e-9 && got < cases[i].want + 1e-9,
			  "predict_pool_time: %d requests of %g s on %d workers: you predicted %g "
			  "s, expected %g s (rounds x delay, the rounds rounded up: %d requests on "
			  "%d workers is %d rounds)", cases[i].n, cases[i].delay, cases[i].w, got,
			  cases[i].want, cases[i].n, cases[i].w,
			  (cases[i].n + cases[i].w - 1) / cases[i].w);
	}
}
