/*
 * tests/lab7_check.c - the checker for lab 7 (make check7).
 *
 * Checks that hold on a busy 2-core machine: structure, never speed.
 *   - libcurl's multi calls are the checker's own first (the student's
 *     exercises.o is linked into this program, so its calls come here, and
 *     each then calls libcurl's): the checker counts the handles in each
 *     multi at every moment (a window never exceeds k), which loop drives
 *     them (perform or socket_action), and that every easy handle and
 *     multi handle is cleaned up;
 *   - the lab server's /stats gives the peak in flight: the overlap is
 *     real, seen from the other end;
 *   - every transfer is reported exactly once, with the outcome its URL
 *     must give (a status, a refused port, a port that never answers, a
 *     deadline that passes while queued);
 *   - /proc/self gives the threads and descriptors left after each call,
 *     and the thread each CPU job ran and finished on;
 *   - a timer on the loop measures its lag while CPU work runs.
 */
#include "checker.h"
#include "exercises.h"
#include "http.h"
#include "server.h"
#include "timing.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpuwork.h"

static const struct wb_check_exercise exercises[] = {
	{ "7.1", "fetch_window", "a window of transfers (perform + poll)", NULL },
	{ "7.2", "fetch_socket_action", "socket_action on libevent, all at once", NULL },
	{ "7.3", "fetch_accounted", "every outcome accounted for, one deadline", NULL },
	{ "7.4", "run_jobs_off_loop", "CPU work off the loop, results back through a pipe", NULL },
	{ "7.5", "echo_listen", "a line-echo server on libevent", NULL },
	{ "7.6", "read_task_memory", "memory, measured fairly (PSS, USS, kernel stacks)", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 7,
	.title = "the event loop",
	.file = "labs/07-event-loop/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

/* ==== libcurl's multi calls, watched ==================================== */

static CURLMcode (*real_add)(CURLM *, CURL *);
static CURLMcode (*real_remove)(CURLM *, CURL *);
static CURLMcode (*real_perform)(CURLM *, int *);
static CURLMcode (*real_socket_action)(CURLM *, curl_socket_t, int, int *);
static CURLMcode (*real_multi_cleanup)(CURLM *);
static void (*real_easy_cleanup)(CURL *);

static void *next_symbol(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);
	if (!fn) {
		fprintf(stderr, "lab7 checker: cannot find libcurl's %s\n", name);
		abort();
	}
	return fn;
}

__attribute__((constructor)) static void resolve_all(void)
{
	*(void **)&real_add = next_symbol("curl_multi_add_handle");
	*(void **)&real_remove = next_symbol("curl_multi_remove_handle");
	*(void **)&real_perform = next_symbol("curl_multi_perform");
	*(void **)&real_socket_action = next_symbol("curl_multi_socket_action");
	*(void **)&real_multi_cleanup = next_symbol("curl_multi_cleanup");
	*(void **)&real_easy_cleanup = next_symbol("curl_easy_cleanup");
	/* a transfer per descriptor: the checker's own runs need a few hundred */
	struct rlimit l;
	if (getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
		l.rlim_cur = l.rlim_max;
		setrlimit(RLIMIT_NOFILE, &l);
	}
}

/* Counted only while the student's function runs (watching = 1): the
 * checker's own /stats requests go through libcurl too. */
static int watching;
#define WATCH(call) (watching = 1, wb_watch_rc_ = (call), watching = 0, wb_watch_rc_)
static int wb_watch_rc_;

/* Only the thread that calls the student's function touches these. */
static struct {
	int attached, max_attached;   /* handles in the multi now, and the most at once */
	int adds, removes, easy_cleanups, multi_cleanups, performs, socket_actions;
} seen;

CURLMcode curl_multi_add_handle(CURLM *m, CURL *e)
{
	CURLMcode rc = real_add(m, e);
	if (rc == CURLM_OK && watching) {
		seen.adds++;
		if (++seen.attached > seen.max_attached)
			seen.max_attached = seen.attached;
	}
	return rc;
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *e)
{
	CURLMcode rc = real_remove(m, e);
	if (rc == CURLM_OK && watching) {
		seen.removes++;
		seen.attached--;
	}
	return rc;
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
	seen.performs += watching;
	return real_perform(m, running);
}

CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s, int mask, int *running)
{
	seen.socket_actions += watching;
	return real_socket_action(m, s, mask, running);
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
	seen.multi_cleanups += watching;
	return real_multi_cleanup(m);
}

void curl_easy_cleanup(CURL *e)
{
	seen.easy_cleanups += watching;
	real_easy_cleanup(e);
}

/* ==== helpers =========================================================== */

#define MAXN 400
static char url_store[MAXN][256];

static const char *server(void)
{
	return wb_server_url(NULL);
}

static struct wb_server_stats stats(int reset)
{
	struct wb_server_stats st;
	char err[512];
	cr_assert(wb_server_stats(server(), reset, &st, err, sizeof err) == 0,
		  "the checker could not read the lab server's /stats: %s", err);
	return st;
}

/* Transfers of <server><path>; the server started, /stats read once (so
 * the descriptors counted after this are the call's own). */
static struct transfer *transfers(int n, const char *path)
{
	stats(1);
	struct transfer *t = calloc((size_t)n, sizeof *t);
	cr_assert(t != NULL);
	for (int i = 0; i < n; i++) {
		wb_url(url_store[i], sizeof url_store[i], server(), "%s", path);
		t[i].url = url_store[i];
	}
	memset(&seen, 0, sizeof seen);
	return t;
}

static void each_reported_once(const char *fn, const struct transfer *t, int n, int want_ok)
{
	for (int i = 0; i < n; i++) {
		cr_assert(t[i].reports == 1,
			  "%s: transfer %d (%s) was reported %d times: each CURLMSG_DONE calls "
			  "transfer_done exactly once, and every transfer gets one", fn, i, t[i].url,
			  t[i].reports);
		if (want_ok)
			cr_assert(t[i].result == CURLE_OK && t[i].status == 200,
				  "%s: transfer %d (%s) ended with curl code %d (%s), HTTP %ld, where the "
				  "server answers 200", fn, i, t[i].url, (int)t[i].result,
				  curl_easy_strerror(t[i].result), t[i].status);
	}
}

static void nothing_left(const char *fn, int fds_before, int n)
{
	cr_assert(seen.multi_cleanups >= 1, "%s: the multi handle was never cleaned up "
		  "(curl_multi_cleanup): its connections stay open", fn);
	cr_assert(seen.attached == 0, "%s: %d easy handles still in the multi at the end "
		  "(curl_multi_remove_handle each one when it is done)", fn, seen.attached);
	cr_assert(seen.easy_cleanups >= n, "%s: %d of %d easy handles cleaned up "
		  "(curl_easy_cleanup each one after removing it)", fn, seen.easy_cleanups, n);
	int fds = wb_check_open_fds();
	cr_assert(fds <= fds_before, "%s: %d descriptors left open after it returned "
		  "(%d before): a connection or an event's socket not closed", fn, fds - fds_before,
		  fds_before);
}

/* ==== 7.1 =============================================================== */

Test(ex7_1, window_of_k_refilled, .timeout = 20)
{
	int n = 20, k = 4;
	struct transfer *t = transfers(n, "/delay/0.1");
	/* transfer 0 takes 0.6 s: while it waits, the window keeps flowing around it */
	wb_url(url_store[0], sizeof url_store[0], server(), "/delay/0.6");
	int fds = wb_check_open_fds();
	struct loop_stats st = { 0 };
	int rc = WATCH(fetch_window(t, n, k, &st));
	REQUIRE_DONE(rc, "7.1");
	struct wb_server_stats after = stats(0);
	cr_assert(rc == 0, "fetch_window: returned %d, 0 expected", rc);
	each_reported_once("fetch_window", t, n, 1);
	cr_assert(seen.max_attached <= k, "fetch_window: %d handles in the multi at once, with a "
		  "window of k = %d (add the next one only when one is done)", seen.max_attached, k);
	cr_assert(after.peak_in_flight == k, "fetch_window: the server saw at most %ld requests at "
		  "once; a window of %d keeps %d in flight", after.peak_in_flight, k, k);
	int done_before_first = 0;
	for (int i = 1; i < n; i++)
		if (t[i].ended_s < t[0].ended_s)
			done_before_first++;
	cr_assert(done_before_first >= 2 * k, "fetch_window: only %d transfers finished while the "
		  "first (0.6 s) was in flight: refill the window as each one finishes (from "
		  "curl_multi_info_read), do not wait for the whole batch", done_before_first);
	cr_assert(seen.performs > 0 && st.iterations == seen.performs,
		  "fetch_window: st->iterations is %ld, but curl_multi_perform was called %d times",
		  st.iterations, seen.performs);
	cr_assert(st.max_in_flight == k, "fetch_window: st->max_in_flight is %d, with k = %d",
		  st.max_in_flight, k);
	nothing_left("fetch_window", fds, n);
	free(t);
}

Test(ex7_1, window_larger_than_n, .timeout = 20)
{
	int n = 50;
	struct transfer *t = transfers(n, "/delay/0.6");
	int fds = wb_check_open_fds();
	struct loop_stats st = { 0 };
	int rc = WATCH(fetch_window(t, n, 100, &st));
	REQUIRE_DONE(rc, "7.1");
	struct wb_server_stats after = stats(0);
	each_reported_once("fetch_window", t, n, 1);
	cr_assert(after.peak_in_flight == n, "fetch_window: with k = 100 > n = %d all should be in "
		  "flight at once; the server saw a peak of %ld", n, after.peak_in_flight);
	nothing_left("fetch_window", fds, n);
	free(t);
}

/* ==== 7.2 =============================================================== */

static struct event_base *new_base(void)
{
	struct event_base *b = event_base_new();
	cr_assert(b != NULL, "event_base_new failed");
	return b;
}

Test(ex7_2, all_at_once_on_libevent, .timeout = 20)
{
	int n = 300;
	/* a second for all 300 to be on the server at once, on a busy machine too */
	struct transfer *t = transfers(n, "/delay/1");
	struct event_base *base = new_base();
	int fds = wb_check_open_fds();
	struct loop_stats st = { 0 };
	int rc = WATCH(fetch_socket_action(base, t, n, &st));
	REQUIRE_DONE(rc, "7.2");
	struct wb_server_stats after = stats(0);
	cr_assert(rc == 0, "fetch_socket_action: returned %d, 0 expected", rc);
	each_reported_once("fetch_socket_action", t, n, 1);
	cr_assert(after.peak_in_flight == n, "fetch_socket_action: the server saw at most %ld of "
		  "the %d requests at once: all are added before the loop runs", after.peak_in_flight, n);
	cr_assert(seen.performs == 0, "fetch_socket_action: called curl_multi_perform %d times: "
		  "this loop drives curl with curl_multi_socket_action only", seen.performs);
	cr_assert(seen.socket_actions > 0 && st.iterations == seen.socket_actions,
		  "fetch_socket_action: st->iterations is %ld, curl_multi_socket_action was called %d "
		  "times", st.iterations, seen.socket_actions);
	int left = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
	cr_assert(left == 0, "fetch_socket_action: %d events still on the base when it returned "
		  "(the timer, or a socket curl never removed: event_free them)", left);
	nothing_left("fetch_socket_action", fds, n);
	event_base_free(base);
	free(t);
}

Test(ex7_2, waits_for_the_slowest, .timeout = 20)
{
	int n = 20;
	struct transfer *t = transfers(n, "/status/200");
	wb_url(url_store[7], sizeof url_store[7], server(), "/delay/1");
	struct event_base *base = new_base();
	struct loop_stats st = { 0 };
	double start = wb_now();
	int rc = WATCH(fetch_socket_action(base, t, n, &st));
	REQUIRE_DONE(rc, "7.2");
	double took = wb_now() - start;
	cr_assert(t[7].reports == 1 && t[7].result == CURLE_OK,
		  "fetch_socket_action: returned after %.2f s without the slow transfer (/delay/1) "
		  "reported: run the loop until every transfer is done, not for a fixed time", took);
	cr_assert(took >= 1.0, "fetch_socket_action: returned after %.2f s, before the slow "
		  "transfer could end", took);
	each_reported_once("fetch_socket_action", t, n, 1);
	/* and the same base again: nothing of the first call is left on it */
	struct transfer *u = transfers(5, "/status/200");
	rc = WATCH(fetch_socket_action(base, u, 5, &st));
	each_reported_once("fetch_socket_action (called a second time on the same base)", u, 5, 1);
	event_base_free(base);
	free(u);
	free(t);
}

/* ==== 7.3 =============================================================== */

/* A port where nobody listens (bound, then closed) and one that never answers. */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
		  getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	close(fd);
	return ntohs(a.sin_port);
}

static int silent_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 16) == 0 &&
		  getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

Test(ex7_3, classifies_every_outcome, .timeout = 20)
{
	int n = 12, silent_port;
	struct transfer *t = transfers(n, "/status/200");   /* 0..2: ok */
	int silent = silent_listener(&silent_port);
	int refused = closed_port();
	const char *path[] = { NULL, NULL, NULL, "/status/500", "/status/503", "/status/404",
			       "/delay/3" };
	for (int i = 3; i <= 6; i++)
		wb_url(url_store[i], sizeof url_store[i], server(), "%s", path[i]);
	for (int i = 7; i <= 8; i++)
		snprintf(url_store[i], sizeof url_store[i], "http://127.0.0.1:%d/get", silent_port);
	for (int i = 9; i <= 10; i++)
		snprintf(url_store[i], sizeof url_store[i], "http://127.0.0.1:%d/get", refused);
	snprintf(url_store[11], sizeof url_store[11], "nosuchscheme://127.0.0.1/");
	enum outcome want[] = { OUTCOME_OK, OUTCOME_OK, OUTCOME_OK, OUTCOME_HTTP, OUTCOME_HTTP,
				OUTCOME_HTTP, OUTCOME_TIMEOUT, OUTCOME_TIMEOUT, OUTCOME_TIMEOUT,
				OUTCOME_REFUSED, OUTCOME_REFUSED, OUTCOME_OTHER };
	long counts[OUTCOME_COUNT] = { 0 };
	int fds = wb_check_open_fds();
	int rc = WATCH(fetch_accounted(t, n, n, 0.6, counts));
	REQUIRE_DONE(rc, "7.3");
	close(silent);
	cr_assert(rc == 0, "fetch_accounted: returned %d: failed transfers are outcomes, not a "
		  "failure of the call (0 expected)", rc);
	each_reported_once("fetch_accounted", t, n, 0);
	for (int i = 0; i < n; i++)
		cr_assert(t[i].outcome == want[i], "fetch_accounted: %s (curl code %d, HTTP %ld) was "
			  "classified \"%s\"; it is \"%s\"", t[i].url, (int)t[i].result, t[i].status,
			  outcome_name(t[i].outcome), outcome_name(want[i]));
	long wantc[OUTCOME_COUNT] = { 0, 3, 3, 3, 2, 1 };
	for (int c = 1; c < OUTCOME_COUNT; c++)
		cr_assert(counts[c] == wantc[c], "fetch_accounted: counts[%s] is %ld, %ld expected",
			  outcome_name(c), counts[c], wantc[c]);
	cr_assert(counts[OUTCOME_NONE] == 0);
	nothing_left("fetch_accounted", fds + 1, 0);
	free(t);
}

Test(ex7_3, deadline_counts_time_queued, .timeout = 20)
{
	/* k = 2, 6 x /delay/0.8, deadline 1.4 s: 2 done at 0.8 s; 2 start with 0.6 s
	 * left and time out; 2 are still queued at 1.4 s */
	int n = 6;
	struct transfer *t = transfers(n, "/delay/0.8");
	long counts[OUTCOME_COUNT] = { 0 };
	double start = wb_now();
	int rc = WATCH(fetch_accounted(t, n, 2, 1.4, counts));
	REQUIRE_DONE(rc, "7.3");
	double took = wb_now() - start;
	each_reported_once("fetch_accounted", t, n, 0);
	cr_assert(seen.max_attached <= 2, "fetch_accounted: %d transfers in flight at once with "
		  "k = 2", seen.max_attached);
	cr_assert(counts[OUTCOME_OK] == 2 && counts[OUTCOME_TIMEOUT] == 4,
		  "fetch_accounted: ok %ld, timeout %ld (2 and 4 expected): with a deadline of 1.4 s "
		  "from the call's start, a transfer started at 0.8 s has 0.6 s left, not a fresh "
		  "1.4 s, and one still queued at the deadline has timed out", counts[OUTCOME_OK],
		  counts[OUTCOME_TIMEOUT]);
	cr_assert(took < 1.4 + 1.0, "fetch_accounted: took %.2f s with a deadline of 1.4 s", took);
	free(t);
}

/* ==== 7.4 =============================================================== */

struct probe {
	struct event *ev;
	double last, max_lag;
	long ticks;
};

static void tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct probe *p = arg;
	double now = wb_now();
	if (p->ticks++ > 0 && now - p->last > p->max_lag)
		p->max_lag = now - p->last;
	p->last = now;
}

Test(ex7_4, loop_keeps_running, .timeout = 20)
{
	int n = 6, workers = 2;
	uint64_t items = wb_cpu_items_for(0.12);
	struct cpu_job jobs[8];
	memset(jobs, 0, sizeof jobs);
	for (int i = 0; i < n; i++)
		jobs[i].items = items;
	/* counted before the base exists: freeing it closes its own descriptors */
	int threads = wb_check_threads(), fds = wb_check_open_fds();
	struct event_base *base = new_base();
	struct probe p = { 0 };
	p.ev = event_new(base, -1, EV_PERSIST, tick, &p);
	struct timeval five = { 0, 5000 };
	cr_assert(p.ev && event_add(p.ev, &five) == 0);
	pid_t me = gettid();
	double start = wb_now();
	int rc = WATCH(run_jobs_off_loop(base, jobs, n, workers));
	REQUIRE_DONE(rc, "7.4");
	double took = wb_now() - start;
	cr_assert(rc == 0, "run_jobs_off_loop: returned %d", rc);
	uint64_t want = wb_cpu_sum(0, items);
	pid_t ran[8];
	int distinct = 0;
	for (int i = 0; i < n; i++) {
		cr_assert(jobs[i].finished == 1, "run_jobs_off_loop: job %d finished %d times when it "
			  "returned (every job exactly once, and all before returning)", i,
			  jobs[i].finished);
		cr_assert(jobs[i].result == want, "run_jobs_off_loop: job %d has a wrong result", i);
		cr_assert(jobs[i].ran_on != me, "run_jobs_off_loop: job %d ran on the loop's own thread: "
			  "the loop must hand CPU work to the workers (while it computes, nothing else "
			  "on the loop moves)", i);
		cr_assert(jobs[i].finished_on == me, "run_jobs_off_loop: job %d was finished on thread "
			  "%d, not on the loop's thread (%d): the worker writes to the pipe, and the "
			  "loop's callback calls cpu_job_finish", i, (int)jobs[i].finished_on, (int)me);
		int k = 0;
		while (k < distinct && ran[k] != jobs[i].ran_on)
			k++;
		if (k == distinct)
			ran[distinct++] = jobs[i].ran_on;
	}
	cr_assert(distinct <= workers, "run_jobs_off_loop: the jobs ran on %d threads, with %d "
		  "workers asked for", distinct, workers);
	cr_assert(p.ticks >= 5, "run_jobs_off_loop: a 5 ms timer on the base ticked %ld times in "
		  "%.2f s: run the base (event_base_dispatch) while the workers compute", p.ticks, took);
	cr_assert(p.max_lag < 0.3, "run_jobs_off_loop: the loop stalled for %.0f ms while 6 jobs of "
		  "120 ms ran on 2 workers: is the loop blocked (a join, a blocking read) while the "
		  "workers compute?",
		  p.max_lag * 1000);
	event_free(p.ev);
	int left = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
	cr_assert(left == 0, "run_jobs_off_loop: %d events of yours left on the base", left);
	event_base_free(base);
	int tleft = wb_check_threads() - threads, fleft = wb_check_open_fds() - fds;
	cr_assert(tleft <= 0, "run_jobs_off_loop: %d worker threads still alive after it returned "
		  "(join them)", tleft);
	cr_assert(fleft <= 0, "run_jobs_off_loop: %d descriptors left open (close both ends of the "
		  "pipe)", fleft);
}

Test(ex7_4, many_small_jobs, .timeout = 20)
{
	enum { N = 300 };
	static struct cpu_job jobs[N];
	for (int i = 0; i < N; i++)
		jobs[i] = (struct cpu_job){ .items = 1000 + (uint64_t)i };
	struct event_base *base = new_base();
	int rc = WATCH(run_jobs_off_loop(base, jobs, N, 3));
	REQUIRE_DONE(rc, "7.4");
	pid_t me = gettid();
	for (int i = 0; i < N; i++)
		cr_assert(jobs[i].finished == 1 && jobs[i].finished_on == me &&
			  jobs[i].result == wb_cpu_sum(0, jobs[i].items),
			  "run_jobs_off_loop: job %d of %d: finished %d times (on thread %d, the loop is "
			  "%d): when several results wait in the pipe, read them all", i, N,
			  jobs[i].finished, (int)jobs[i].finished_on, (int)me);
	event_base_free(base);
}

/* ==== 7.5 =============================================================== */

struct echo_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *stop;
	int stop_fds[2];
	int port, rc;
	pthread_t thread;
};

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *serve(void *arg)
{
	struct echo_server *s = arg;
	event_base_dispatch(s->base);
	return NULL;
}

static int start_echo(struct echo_server *s)
{
	memset(s, 0, sizeof *s);
	s->base = new_base();
	s->rc = echo_listen(s->base, 1024, &s->port, &s->listener);
	if (s->rc != 0)
		return s->rc;
	cr_assert(pipe(s->stop_fds) == 0);
	s->stop = event_new(s->base, s->stop_fds[0], EV_READ, on_stop, s->base);
	cr_assert(s->stop && event_add(s->stop, NULL) == 0);
	cr_assert(pthread_create(&s->thread, NULL, serve, s) == 0);
	return 0;
}

static void stop_echo(struct echo_server *s)
{
	cr_assert(write(s->stop_fds[1], "x", 1) == 1);
	pthread_join(s->thread, NULL);
	evconnlistener_free(s->listener);
	event_free(s->stop);
	close(s->stop_fds[0]);
	close(s->stop_fds[1]);
	event_base_free(s->base);
}

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert(fd >= 0);
	cr_assert(connect(fd, (struct sockaddr *)&a, sizeof a) == 0,
		  "echo_listen: cannot connect to 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

/* Read until `want` bytes came or 3 s passed; NUL-terminated. */
static size_t read_reply(int fd, char *buf, size_t want)
{
	size_t have = 0;
	double until = wb_now() + 3;
	while (have < want && wb_now() < until) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t got = read(fd, buf + have, want - have);
		if (got <= 0)
			break;
		have += (size_t)got;
	}
	buf[have] = 0;
	return have;
}

static void send_str(int fd, const char *s)
{
	cr_assert(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

Test(ex7_5, answers_every_client, .timeout = 20)
{
	enum { N = 300 };
	int fds_before = wb_check_open_fds();
	struct echo_server s;
	int rc = start_echo(&s);
	REQUIRE_DONE(rc, "7.5");
	cr_assert(rc == 0, "echo_listen: returned %d", rc);
	int fds_listening = wb_check_open_fds();
	static int fd[N];
	for (int i = 0; i < N; i++)
		fd[i] = dial(s.port);
	for (int i = 0; i < N; i++) {
		char line[32];
		snprintf(line, sizeof line, "client %d\n", i);
		send_str(fd[i], line);
	}
	for (int i = 0; i < N; i++) {
		char want[48], got[64];
		snprintf(want, sizeof want, "echo: client %d\n", i);
		read_reply(fd[i], got, strlen(want));
		cr_assert_str_eq(got, want, "echo_listen: client %d of %d (all connected at once) sent "
				 "\"client %d\\n\" and got back \"%s\"", i, N, i, got);
	}
	for (int i = 0; i < N; i++)
		close(fd[i]);
	/* the server side of each connection must go when its client does */
	int left = 0;
	for (double until = wb_now() + 3; wb_now() < until; usleep(20000))
		if ((left = wb_check_open_fds() - fds_listening) <= 0)
			break;
	cr_assert(left <= 0, "echo_listen: %d of %d connections still open on the server's side "
		  "after their clients closed: on BEV_EVENT_EOF, bufferevent_free (with "
		  "BEV_OPT_CLOSE_ON_FREE)", left, N);
	stop_echo(&s);
	cr_assert(wb_check_open_fds() <= fds_before, "echo_listen: a descriptor left after the "
		  "listener was freed (LEV_OPT_CLOSE_ON_FREE)");
}

Test(ex7_5, lines_in_pieces_and_together, .timeout = 20)
{
	struct echo_server s;
	int rc = start_echo(&s);
	REQUIRE_DONE(rc, "7.5");
	int fd = dial(s.port);
	char got[128];
	send_str(fd, "ab");
	usleep(100000);
	send_str(fd, "c\nde");
	usleep(100000);
	send_str(fd, "f\n");
	const char *want = "echo: abc\necho: def\n";
	read_reply(fd, got, strlen(want));
	cr_assert_str_eq(got, want, "echo_listen: a client sent \"ab\", then \"c\\nde\", then "
			 "\"f\\n\" and got back \"%s\" (answer each complete line, keep a partial one "
			 "until its end comes)", got);
	send_str(fd, "x\ny\nz\n");
	want = "echo: x\necho: y\necho: z\n";
	read_reply(fd, got, strlen(want));
	cr_assert_str_eq(got, want, "echo_listen: three lines in one write (\"x\\ny\\nz\\n\") got "
			 "back \"%s\": answer every line in the buffer (a while around readln)", got);
	close(fd);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	cr_assert(getsockname(evconnlistener_get_fd(s.listener), (struct sockaddr *)&a, &len) == 0);
	cr_assert(a.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "echo_listen: listens on %s, not "
		  "127.0.0.1 (a lab server is not for the network)", inet_ntoa(a.sin_addr));
	stop_echo(&s);
}

/* ==== 7.6 =============================================================== */

static double field(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	cr_assert(f != NULL, "cannot read %s", path);
	char line[256];
	double v = -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0 && sscanf(line + strlen(key), "%lf", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void *idle_thread(void *arg)
{
	char c;
	while (read(*(int *)arg, &c, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

Test(ex7_6, reads_pss_uss_and_threads, .timeout = 20)
{
	int p[2], ready[2];
	cr_assert(pipe(p) == 0 && pipe(ready) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* a child with 3 threads and 4 MiB of its own dirty memory */
		close(p[1]);
		volatile char *mem = malloc(4 << 20);
		for (int i = 0; mem && i < 4 << 20; i += 1024)
			mem[i] = 1;
		pthread_t a, b;
		pthread_create(&a, NULL, idle_thread, &p[0]);
		pthread_create(&b, NULL, idle_thread, &p[0]);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		idle_thread(&p[0]);
		_exit(mem[1024] == 1 ? 0 : 1);
	}
	close(p[0]);
	char c;
	cr_assert(read(ready[0], &c, 1) == 1);
	usleep(50000);
	char rollup[64], status[64];
	snprintf(rollup, sizeof rollup, "/proc/%d/smaps_rollup", (int)pid);
	snprintf(status, sizeof status, "/proc/%d/status", (int)pid);
	struct task_memory m;
	memset(&m, 0, sizeof m);
	int rc = read_task_memory(pid, &m);
	double pss = field(rollup, "Pss:"), rss = field(rollup, "Rss:"),
	       uss = field(rollup, "Private_Clean:") + field(rollup, "Private_Dirty:");
	close(p[1]);
	int st;
	waitpid(pid, &st, 0);
	REQUIRE_DONE(rc, "7.6");
	cr_assert(rc == 0, "read_task_memory: returned %d for a live process", rc);
	cr_assert(m.pss_kib > 4000 && m.pss_kib > 0.97 * pss - 64 && m.pss_kib < 1.03 * pss + 64,
		  "read_task_memory: pss_kib %.0f; smaps_rollup says Pss: %.0f kB (in KiB, from the "
		  "\"Pss:\" line, not Pss_Anon or Rss)", m.pss_kib, pss);
	cr_assert(m.uss_kib > 0.97 * uss - 64 && m.uss_kib < 1.03 * uss + 64,
		  "read_task_memory: uss_kib %.0f; Private_Clean + Private_Dirty is %.0f kB",
		  m.uss_kib, uss);
	cr_assert(m.rss_kib > 0.97 * rss - 64 && m.rss_kib < 1.03 * rss + 64,
		  "read_task_memory: rss_kib %.0f; Rss: is %.0f kB", m.rss_kib, rss);
	cr_assert(m.rss_kib > m.uss_kib, "read_task_memory: rss_kib %.0f <= uss_kib %.0f: a forked "
		  "child shares its parent's pages, so its RSS is larger", m.rss_kib, m.uss_kib);
	cr_assert(m.threads == 3, "read_task_memory: threads %d; the child has 3 (status says %.0f)",
		  m.threads, field(status, "Threads:"));
	cr_assert(m.kstack_kib == 3 * KERNEL_STACK_KIB, "read_task_memory: kstack_kib %.1f for 3 "
		  "threads (KERNEL_STACK_KIB each)", m.kstack_kib);
}

Test(ex7_6, gone_process, .timeout = 10)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	struct task_memory m;
	int rc = read_task_memory(pid, &m);
	REQUIRE_DONE(rc, "7.6");
	cr_assert(rc == -1, "read_task_memory: returned %d for a process that is gone (-1 expected)",
		  rc);
}
