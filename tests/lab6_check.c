/*
 * tests/lab6_check.c - the checker for lab 6 (make check6).
 *
 * Part A: each bounded operation runs against a failing service, on its own
 * thread, which the checker joins with a deadline of its own: a wait that is
 * not bounded is named ("still waiting 3 s after a 200 ms deadline") instead
 * of hanging the check.  Times are on CLOCK_MONOTONIC; a wait must not end
 * before its deadline, nor more than MARGIN_MS after it (wide enough for a
 * busy 2-core machine).  The checks force what a lucky run would hide:
 * wake-ups without the value (6.1), many waiters (6.1), a grandchild that
 * holds the pipe and ignores SIGTERM (6.4), a transfer on which no byte
 * moves when the flag is set (6.5).
 *
 * Part B: the answers (6.6) are compared with the planted bugs, found in the
 * zoo's sources by the code that carries them; each fix (6.7 - 6.11) runs
 * under forced interleavings, many threads and repeats, so that a fix that
 * only makes the bug rarer (a sleep, a yield) still fails; the hang doctor
 * (6.12) is run on processes the checker deadlocks on purpose.
 */
#include "checker.h"
#include "exercises.h"
#include "procs.h"
#include "server.h"
#include "http.h"
#include "timing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const struct wb_check_exercise exercises[] = {
	{ "6.1", "future_wait", "a future with a timeout", NULL },
	{ "6.2", "fetch_bounded", "a request with a budget", NULL },
	{ "6.3", "join_bounded", "a join with a deadline", NULL },
	{ "6.4", "run_child_bounded", "a child with a deadline", NULL },
	{ "6.5", "fetch_cancellable", "cancelling a transfer in flight", NULL },
	{ "6.6", "diagnose", "name the planted bugs", NULL },
	{ "6.7", "tally_add", "fix the data race", NULL },
	{ "6.8", "transfer", "fix the lock order", NULL },
	{ "6.9", "mailbox_get", "fix the lost wake-up", NULL },
	{ "6.10", "settings_lock_init", "fix the writer starvation", NULL },
	{ "6.11", "spawn_helpers", "fix the leaks", NULL },
	{ "6.12", "hang_doctor", "a hang doctor", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 6,
	.title = "timeouts and debugging",
	.file = "labs/06-timeouts/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

/* How late a bounded wait may end on a busy machine (the lab asks for 100 ms on
 * an idle one). */
#define MARGIN_MS 250

/* ---- running a call with a deadline of the checker's own ------------------------ */

struct call {
	int (*fn)(void *arg);
	void *arg;
	int rc;
	double start, end;
	atomic_int finished;
};

static void *call_main(void *arg)
{
	struct call *c = arg;
	c->start = wb_now();
	c->rc = c->fn(c->arg);
	c->end = wb_now();
	atomic_store(&c->finished, 1);
	return NULL;
}

/* Run fn(arg) on a thread; 1 if it returned within limit_s (then joined), else 0
 * (the thread is left to the test process, which ends with the failure). */
static int bounded_call(struct call *c, int (*fn)(void *), void *arg, double limit_s)
{
	c->fn = fn;
	c->arg = arg;
	atomic_store(&c->finished, 0);
	pthread_t t;
	cr_assert(pthread_create(&t, NULL, call_main, c) == 0, "checker: pthread_create failed");
	double until = wb_now() + limit_s;
	while (!atomic_load(&c->finished) && wb_now() < until)
		wb_sleep(0.002);
	if (!atomic_load(&c->finished))
		return 0;
	pthread_join(t, NULL);
	return 1;
}

static double ms_of(const struct call *c)
{
	return (c->end - c->start) * 1e3;
}

/* Ended no earlier than the deadline, and not more than MARGIN_MS after it. */
static void assert_on_time(const char *fn, const char *what, double took_ms, double deadline_ms)
{
	cr_assert(took_ms >= deadline_ms - 5, "%s: %s ended after %.0f ms, before its deadline of "
		  "%.0f ms", fn, what, took_ms, deadline_ms);
	cr_assert(took_ms <= deadline_ms + MARGIN_MS, "%s: %s ended after %.0f ms, %.0f ms past its "
		  "deadline of %.0f ms (allowed: %d)", fn, what, took_ms, took_ms - deadline_ms,
		  deadline_ms, MARGIN_MS);
}

static int threads_now(void)
{
	return wb_check_threads();
}

/* ---- 6.1 ------------------------------------------------------------------------------ */

struct fwait { struct future *f; int ms; long value; };

static int call_future_wait(void *arg)
{
	struct fwait *w = arg;
	return future_wait(w->f, w->ms, &w->value);
}

static void init_future(struct future *f)
{
	int rc = future_init(f);
	REQUIRE_DONE(rc, "6.1");
	cr_assert(rc == 0, "future_init returned %d", rc);
}

Test(ex6_1, condvar_on_monotonic_clock, .timeout = 10)
{
	struct future f;
	init_future(&f);
	/* glibc keeps the clock in bit 1 of __wrefs (0: REALTIME, 1: MONOTONIC) */
	cr_assert((f.ready.__data.__wrefs >> 1) & 1, "future_init: the condition variable waits on "
		  "CLOCK_REALTIME (the default): setting the wall clock back an hour would make "
		  "every future_wait wait an hour longer.  Give it CLOCK_MONOTONIC: "
		  "pthread_condattr_setclock, then pthread_cond_init with that attribute");
	long v;
	REQUIRE_DONE(future_wait(&f, 1, &v), "6.1");
}

Test(ex6_1, times_out_on_time, .timeout = 10)
{
	struct future f;
	init_future(&f);
	struct fwait w = { &f, 150, 0 };
	struct call c;
	cr_assert(bounded_call(&c, call_future_wait, &w, 3), "future_wait: still waiting 3 s "
		  "after a 150 ms deadline on a future nobody sets");
	REQUIRE_DONE(c.rc, "6.1");
	cr_assert(c.rc == TIMED_OUT, "future_wait: returned %d for a future nobody set, expected "
		  "TIMED_OUT (%d)", c.rc, TIMED_OUT);
	assert_on_time("future_wait", "a wait of 150 ms", ms_of(&c), 150);
}

struct setter { struct future *f; double after_s; long value; };

static void *set_later(void *arg)
{
	struct setter *s = arg;
	wb_sleep(s->after_s);
	future_set(s->f, s->value);
	return NULL;
}

Test(ex6_1, returns_the_value_when_set, .timeout = 10)
{
	struct future f;
	init_future(&f);
	struct setter s = { &f, 0.05, 4242 };
	pthread_t t;
	pthread_create(&t, NULL, set_later, &s);
	struct fwait w = { &f, 2000, 0 };
	struct call c;
	cr_assert(bounded_call(&c, call_future_wait, &w, 4), "future_wait: still waiting 4 s "
		  "after the value was set at 50 ms (deadline 2 s)");
	pthread_join(t, NULL);
	REQUIRE_DONE(c.rc, "6.1");
	cr_assert(c.rc == 0 && w.value == 4242, "future_wait: set to 4242 at 50 ms, it returned "
		  "%d with %ld", c.rc, w.value);
	cr_assert(ms_of(&c) < 50 + MARGIN_MS, "future_wait: the value came at 50 ms, it returned "
		  "at %.0f ms: did it wait for the deadline anyway?", ms_of(&c));
	/* and a future already set answers at once */
	w.ms = 1000;
	cr_assert(bounded_call(&c, call_future_wait, &w, 3) && c.rc == 0 && w.value == 4242 &&
		  ms_of(&c) < 100, "future_wait: on a future already set it returned %d after "
		  "%.0f ms", c.rc, ms_of(&c));
}

/* Wake-ups without the value: a broadcast every 2 ms. */
struct noise { struct future *f; atomic_int stop; };

static void *make_noise(void *arg)
{
	struct noise *n = arg;
	while (!atomic_load(&n->stop)) {
		pthread_mutex_lock(&n->f->lock);
		pthread_cond_broadcast(&n->f->ready);
		pthread_mutex_unlock(&n->f->lock);
		wb_sleep(0.002);
	}
	return NULL;
}

Test(ex6_1, wakeups_without_the_value, .timeout = 10)
{
	struct future f;
	init_future(&f);
	struct noise n = { &f, 0 };
	pthread_t t;
	pthread_create(&t, NULL, make_noise, &n);
	struct fwait w = { &f, 200, -1 };
	struct call c;
	int ended = bounded_call(&c, call_future_wait, &w, 2);
	atomic_store(&n.stop, 1);
	pthread_join(t, NULL);
	cr_assert(ended, "future_wait: still waiting 2 s after a 200 ms deadline while others "
		  "broadcast the condition variable every 2 ms: does each wake-up start a new "
		  "timeout?  Compute the deadline once, before the loop");
	REQUIRE_DONE(c.rc, "6.1");
	cr_assert(c.rc == TIMED_OUT, "future_wait: returned %d (value %ld) after %.0f ms although "
		  "nobody set the future: a wake-up is not the value; wait in a `while (!done)` "
		  "loop", c.rc, w.value, ms_of(&c));
	assert_on_time("future_wait", "a 200 ms wait among spurious wake-ups", ms_of(&c), 200);
}

Test(ex6_1, every_waiter_gets_the_value, .timeout = 10)
{
	struct future f;
	init_future(&f);
	enum { WAITERS = 4 };
	struct fwait w[WAITERS];
	struct call c[WAITERS];
	pthread_t t[WAITERS];
	for (int i = 0; i < WAITERS; i++) {
		w[i] = (struct fwait){ &f, 3000, 0 };
		c[i] = (struct call){ .fn = call_future_wait, .arg = &w[i] };
		pthread_create(&t[i], NULL, call_main, &c[i]);
	}
	/* all four asleep on f.ready (at most 2 s: a busy machine may be slow to start them) */
	for (double until = wb_now() + 2; wb_check_cond_waiters(&f.ready) < WAITERS && wb_now() < until;)
		wb_sleep(0.002);
	double set_at = wb_now();
	REQUIRE_DONE(future_set(&f, 7), "6.1");
	wb_sleep(0.5);
	int woke = 0;
	for (int i = 0; i < WAITERS; i++)
		woke += atomic_load(&c[i].finished) && c[i].end - set_at < 0.5;
	cr_assert(woke == WAITERS, "future_set: 4 threads waited; 500 ms after the value was set "
		  "only %d had it: wake them all (pthread_cond_broadcast, not signal)", woke);
	for (int i = 0; i < WAITERS; i++) {
		pthread_join(t[i], NULL);
		cr_assert(c[i].rc == 0 && w[i].value == 7, "future_wait: waiter %d got %d / %ld", i,
			  c[i].rc, w[i].value);
	}
}

/* ---- 6.2 ------------------------------------------------------------------------------ */

struct fetch { const char *url; struct budget b; struct outcome o; };

static int call_fetch(void *arg)
{
	struct fetch *f = arg;
	return fetch_bounded(f->url, &f->b, &f->o);
}

static const struct budget B = { .connect_ms = 300, .total_ms = 800, .low_speed_bytes = 100,
				 .low_speed_s = 1 };

static struct call run_fetch(struct fetch *f, const char *case_name)
{
	struct call c;
	wb_http_init();
	cr_assert(bounded_call(&c, call_fetch, f, 4), "fetch_bounded: %s still running after 4 s "
		  "with a budget of connect %d ms, total %d ms: are CURLOPT_CONNECTTIMEOUT_MS and "
		  "CURLOPT_TIMEOUT_MS set?", case_name, f->b.connect_ms, f->b.total_ms);
	REQUIRE_DONE(c.rc, "6.2");
	cr_assert(c.rc == 0, "fetch_bounded returned %d for %s: it returns 0 whatever the transfer "
		  "did (the outcome says how it ended)", c.rc, case_name);
	return c;
}

static void assert_class(const struct fetch *f, enum failure want, const char *case_name)
{
	cr_assert(f->o.failure == want, "fetch_bounded: %s ended as \"%s\" (curl code %d: %s), "
		  "expected \"%s\"", case_name, failure_name(f->o.failure), f->o.curl_code,
		  f->o.error, failure_name(want));
}

Test(ex6_2, refused_port, .timeout = 10)
{
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/get", refused_port());
	struct fetch f = { url, B, { 0 } };
	struct call c = run_fetch(&f, "a refused port");
	assert_class(&f, FAIL_REFUSED, "a refused port");
	cr_assert(ms_of(&c) < 300, "fetch_bounded: a refused port took %.0f ms", ms_of(&c));
}

Test(ex6_2, full_backlog_is_a_connect_timeout, .timeout = 10)
{
	struct backlog bl;
	full_backlog(&bl);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/get", bl.port);
	struct fetch f = { url, B, { 0 } };
	f.b.total_ms = 2000;
	struct call c = run_fetch(&f, "a listener with a full backlog");
	close_backlog(&bl);
	assert_class(&f, FAIL_CONNECT_TIMEOUT, "a listener with a full backlog (the SYN is dropped)");
	assert_on_time("fetch_bounded", "a connection that never completes (connect budget 300 ms)",
		       ms_of(&c), 300);
}

Test(ex6_2, silent_server_is_a_total_timeout, .timeout = 10)
{
	char url[256];
	wb_url(url, sizeof url, wb_server_url(NULL), "/hang");
	struct fetch f = { url, B, { 0 } };
	struct call c = run_fetch(&f, "/hang");
	assert_class(&f, FAIL_TOTAL_TIMEOUT, "/hang (it accepts, then says nothing)");
	assert_on_time("fetch_bounded", "/hang (total budget 800 ms)", ms_of(&c), 800);
}

Test(ex6_2, dripping_server_is_too_slow, .timeout = 10)
{
	char url[256];
	wb_url(url, sizeof url, wb_server_url(NULL), "/drip?duration=10&numbytes=10");
	struct fetch f = { url, B, { 0 } };
	f.b.total_ms = 3000;
	struct call c = run_fetch(&f, "/drip (1 byte a second)");
	assert_class(&f, FAIL_TOO_SLOW, "/drip at 1 byte a second (limit 100 B/s for 1 s)");
	cr_assert(ms_of(&c) >= 950 && ms_of(&c) <= 1000 + 2 * MARGIN_MS, "fetch_bounded: /drip "
		  "ended after %.0f ms; the speed limit (1 s) should end it at about 1000",
		  ms_of(&c));
}

Test(ex6_2, answering_server_is_ok, .timeout = 10)
{
	char url[256];
	wb_url(url, sizeof url, wb_server_url(NULL), "/get");
	struct fetch f = { url, B, { 0 } };
	run_fetch(&f, "/get");
	assert_class(&f, FAIL_NONE, "/get");
	cr_assert(f.o.http_status == 200, "fetch_bounded: /get gave HTTP %ld", f.o.http_status);
}

/* ---- 6.3 ------------------------------------------------------------------------------ */

struct worker {
	atomic_int *stop;
	double run_s;        /* how long it works unless stopped */
	int obeys;           /* checks the flag */
	double flag_seen;    /* when it saw the flag (0: never) */
	double started;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	while (wb_now() - w->started < w->run_s) {
		if (w->obeys && atomic_load(w->stop)) {
			w->flag_seen = wb_now();
			break;
		}
		wb_sleep(0.002);
	}
	return NULL;
}

struct joining {
	pthread_t t[8];
	int n;
	atomic_int stop;
	int deadline_ms, grace_ms;
	int ignored[8];
	struct worker w[8];
};

static int call_join(void *arg)
{
	struct joining *j = arg;
	return join_bounded(j->t, j->n, &j->stop, j->deadline_ms, j->grace_ms, j->ignored);
}

static void start_workers(struct joining *j)
{
	atomic_store(&j->stop, 0);
	for (int i = 0; i < j->n; i++) {
		j->w[i].stop = &j->stop;
		j->w[i].started = wb_now();
		j->ignored[i] = -1;
		pthread_create(&j->t[i], NULL, worker_main, &j->w[i]);
	}
}

static struct call run_join(struct joining *j, double limit_s)
{
	struct call c;
	cr_assert(bounded_call(&c, call_join, j, limit_s), "join_bounded: still joining %.0f s "
		  "after a deadline of %d ms + %d ms grace: pthread_join waits for ever; use "
		  "pthread_clockjoin_np", limit_s, j->deadline_ms, j->grace_ms);
	REQUIRE_DONE(c.rc, "6.3");
	return c;
}

Test(ex6_3, threads_that_finish_in_time, .timeout = 10)
{
	struct joining j = { .n = 3, .deadline_ms = 1000, .grace_ms = 500 };
	for (int i = 0; i < 3; i++)
		j.w[i] = (struct worker){ .run_s = 0.02 * (i + 1), .obeys = 1 };
	int before = threads_now();
	start_workers(&j);
	struct call c = run_join(&j, 4);
	cr_assert(c.rc == 0, "join_bounded: 3 threads that end within 60 ms: returned %d", c.rc);
	cr_assert(ms_of(&c) < 60 + MARGIN_MS, "join_bounded: the threads ended within 60 ms, it "
		  "returned after %.0f ms", ms_of(&c));
	cr_assert(!atomic_load(&j.stop), "join_bounded: set the stop flag although every thread "
		  "ended before the deadline: only a thread that misses it is asked to stop");
	for (int i = 0; i < 3; i++)
		cr_assert(j.ignored[i] == 0, "join_bounded: ignored[%d] = %d for a thread that ended",
			  i, j.ignored[i]);
	cr_assert(threads_now() == before, "join_bounded: %d threads left", threads_now() - before);
}

Test(ex6_3, threads_that_stop_when_asked, .timeout = 10)
{
	struct joining j = { .n = 3, .deadline_ms = 200, .grace_ms = 1000 };
	for (int i = 0; i < 3; i++)
		j.w[i] = (struct worker){ .run_s = 30, .obeys = 1 };
	int before = threads_now();
	start_workers(&j);
	double start = wb_now();
	struct call c = run_join(&j, 2.5);
	cr_assert(c.rc == 0, "join_bounded: 3 threads that stop when asked: returned %d", c.rc);
	for (int i = 0; i < 3; i++) {
		cr_assert(j.w[i].flag_seen > 0, "join_bounded: thread %d never saw the stop flag", i);
		cr_assert(j.w[i].flag_seen - start >= 0.195, "join_bounded: the stop flag was set "
			  "after %.0f ms, before the deadline of 200 ms", (j.w[i].flag_seen - start) * 1e3);
		cr_assert(j.ignored[i] == 0, "join_bounded: ignored[%d] = %d for a thread that stopped",
			  i, j.ignored[i]);
	}
	/* one deadline for all three: the flag at 200 ms, all joined soon after */
	cr_assert(ms_of(&c) <= 200 + MARGIN_MS, "join_bounded: returned after %.0f ms; the flag at "
		  "200 ms stops all three at once.  One absolute deadline for every thread, not "
		  "200 ms each", ms_of(&c));
	cr_assert(threads_now() == before, "join_bounded: %d threads left", threads_now() - before);
}

Test(ex6_3, names_the_thread_that_ignored_the_flag, .timeout = 10)
{
	struct joining j = { .n = 3, .deadline_ms = 200, .grace_ms = 200 };
	j.w[0] = (struct worker){ .run_s = 0.02, .obeys = 1 };
	j.w[1] = (struct worker){ .run_s = 1.5, .obeys = 0 };
	j.w[2] = (struct worker){ .run_s = 30, .obeys = 1 };
	int before = threads_now();
	start_workers(&j);
	struct call c = run_join(&j, 2.5);
	cr_assert(c.rc == 1, "join_bounded: one of 3 threads ignores the flag; returned %d", c.rc);
	cr_assert(j.ignored[0] == 0 && j.ignored[1] == 1 && j.ignored[2] == 0, "join_bounded: "
		  "thread 1 ignored the flag, but ignored[] = {%d, %d, %d}", j.ignored[0],
		  j.ignored[1], j.ignored[2]);
	assert_on_time("join_bounded", "deadline 200 ms + grace 200 ms", ms_of(&c), 400);
	/* still running: it must have been detached, so that it frees itself */
	pthread_attr_t attr;
	int state = -1;
	if (pthread_getattr_np(j.t[1], &attr) == 0) {
		pthread_attr_getdetachstate(&attr, &state);
		pthread_attr_destroy(&attr);
	}
	cr_assert(state == PTHREAD_CREATE_DETACHED, "join_bounded: the thread that ignored the flag "
		  "is still joinable: pthread_detach it, or its memory is never freed");
	double until = wb_now() + 3;
	while (threads_now() > before && wb_now() < until)
		wb_sleep(0.01);
	cr_assert(threads_now() == before, "join_bounded: %d threads still there 3 s later",
		  threads_now() - before);
}

/* ---- 6.4 ------------------------------------------------------------------------------ */

struct child_call { char **argv; int deadline_ms, grace_ms; struct child_end end; };

static int call_child(void *arg)
{
	struct child_call *c = arg;
	return run_child_bounded(c->argv, c->deadline_ms, c->grace_ms, &c->end);
}

/* Processes of process group pgid that are not zombies. */
static int alive_in_group(pid_t pgid)
{
	return wb_group_alive(pgid);
}

/* Run script under run_child_bounded; $1 is the write end of a pipe its children inherit.
 * (The scripts end by themselves within about 6 s, so that a wrong solution that kills
 * nothing leaves nothing running for long.) */
static struct call run_script(struct child_call *cc, const char *script, int *eof_after_ms)
{
	int fds[2];
	cr_assert(pipe(fds) == 0);   /* not close-on-exec: the child and its children inherit it */
	char fdarg[16];
	snprintf(fdarg, sizeof fdarg, "%d", fds[1]);
	char *argv[] = { "bash", "-c", (char *)script, "bash", fdarg, NULL };   /* dash: fds 0-9 only */
	cc->argv = argv;
	struct call c;
	cr_assert(bounded_call(&c, call_child, cc, 3), "run_child_bounded: still waiting 3 s after "
		  "a deadline of %d ms (+%d ms grace): wait with a timeout (pidfd_open + poll)",
		  cc->deadline_ms, cc->grace_ms);
	close(fds[1]);
	REQUIRE_DONE(c.rc, "6.4");
	cr_assert(c.rc == 0, "run_child_bounded returned %d", c.rc);
	/* end-of-file once every holder of the write end is gone */
	struct pollfd p = { .fd = fds[0], .events = POLLIN };
	double from = wb_now();
	char byte;
	*eof_after_ms = -1;
	while (wb_now() - from < 1.5)
		if (poll(&p, 1, 50) > 0 && read(fds[0], &byte, 1) == 0) {
			*eof_after_ms = (int)((wb_now() - from) * 1000);
			break;
		}
	close(fds[0]);
	return c;
}

static void assert_nothing_left(const struct child_end *e, int eof_ms)
{
	double until = wb_now() + 1;
	int left;
	while ((left = alive_in_group(e->pid)) > 0 && wb_now() < until)
		wb_sleep(0.01);
	if (left)
		kill(-e->pid, SIGKILL);   /* the checker cleans up after the failure */
	cr_assert(left == 0, "run_child_bounded: %d process(es) of the child's group still alive "
		  "1 s after it returned: kill the whole group, kill(-pid, ...), after putting the "
		  "child in a group of its own (setpgid)", left);
	cr_assert(eof_ms >= 0, "run_child_bounded: the pipe the grandchild holds is still open "
		  "1.5 s after the call returned: somebody of the group is still alive");
	cr_assert(waitpid(e->pid, NULL, WNOHANG) == -1 && errno == ECHILD, "run_child_bounded: "
		  "the child %d was not reaped (a zombie): waitpid it", (int)e->pid);
}

Test(ex6_4, child_that_ends_by_itself, .timeout = 10)
{
	struct child_call cc = { .deadline_ms = 3000, .grace_ms = 500 };
	int eof;
	struct call c = run_script(&cc, "exit 3", &eof);
	cr_assert(cc.end.exited && cc.end.status == 3 && !cc.end.term_sent, "run_child_bounded: "
		  "`exit 3` gave exited %d status %d term_sent %d", cc.end.exited, cc.end.status,
		  cc.end.term_sent);
	cr_assert(ms_of(&c) < 1000, "run_child_bounded: `exit 3` took %.0f ms: did it wait for the "
		  "deadline?", ms_of(&c));
	assert_nothing_left(&cc.end, eof);
}

Test(ex6_4, grandchild_holds_the_pipe, .timeout = 10)
{
	/* deadlines of 600 ms and more here: the shell must have set its trap by then,
	 * on a busy machine too */
	struct child_call cc = { .deadline_ms = 600, .grace_ms = 1000 };
	int eof;
	struct call c = run_script(&cc, "exec 2>/dev/null; sleep 6 >&$1 & trap 'exit 0' TERM; "
				   "i=0; while [ $i -lt 120 ]; do sleep 0.05; i=$((i+1)); done", &eof);
	cr_assert(cc.end.term_sent, "run_child_bounded: the child ran past its deadline, but "
		  "term_sent is 0");
	cr_assert(!cc.end.kill_sent && cc.end.exited && cc.end.status == 0, "run_child_bounded: "
		  "the child exits 0 on SIGTERM, but it ended %s (kill_sent %d): give it its grace "
		  "after SIGTERM before SIGKILL", cc.end.exited ? "exited" : "by a signal",
		  cc.end.kill_sent);
	assert_on_time("run_child_bounded", "a child stopped by SIGTERM at 600 ms", ms_of(&c), 600);
	assert_nothing_left(&cc.end, eof);
}

Test(ex6_4, group_that_ignores_sigterm, .timeout = 10)
{
	struct child_call cc = { .deadline_ms = 600, .grace_ms = 200 };
	int eof;
	struct call c = run_script(&cc, "exec 2>/dev/null; trap '' TERM; sleep 6 >&$1 & "
				   "i=0; while [ $i -lt 120 ]; do sleep 0.05; i=$((i+1)); done", &eof);
	cr_assert(cc.end.term_sent && cc.end.kill_sent && cc.end.signal == SIGKILL,
		  "run_child_bounded: a group that ignores SIGTERM: term_sent %d kill_sent %d "
		  "signal %d (expected SIGKILL after the grace)", cc.end.term_sent, cc.end.kill_sent,
		  cc.end.signal);
	assert_on_time("run_child_bounded", "deadline 600 ms + grace 200 ms", ms_of(&c), 800);
	assert_nothing_left(&cc.end, eof);
}

/* ---- 6.5 ------------------------------------------------------------------------------ */

struct cancelling { const char *url; atomic_int flag; int total_ms; struct outcome o; };

static int call_cancellable(void *arg)
{
	struct cancelling *k = arg;
	return fetch_cancellable(k->url, &k->flag, k->total_ms, &k->o);
}

/* Start the transfer, set the flag after_s later; returns ms from the flag to the end. */
static double cancel_after(struct cancelling *k, double after_s, const char *case_name)
{
	wb_http_init();
	struct call c = { .fn = call_cancellable, .arg = k };
	atomic_store(&c.finished, 0);
	pthread_t t;
	pthread_create(&t, NULL, call_main, &c);
	/* the clock starts once the request is on the server: a transfer that began
	 * after the flag would see it at its first callback, whatever drives it */
	struct wb_server_stats now = { 0 };
	char err[256];
	for (double until = wb_now() + 2; wb_now() < until && !atomic_load(&c.finished); wb_sleep(0.002))
		if (wb_server_stats(wb_server_url(NULL), 0, &now, err, sizeof err) != 0 || now.in_flight > 0)
			break;
	wb_sleep(after_s);
	if (atomic_load(&c.finished)) {
		pthread_join(t, NULL);
		REQUIRE_DONE(c.rc, "6.5");
	}
	double flag_at = wb_now();
	atomic_store(&k->flag, 1);
	while (!atomic_load(&c.finished) && wb_now() - flag_at < 3)
		wb_sleep(0.002);
	cr_assert(atomic_load(&c.finished), "fetch_cancellable: %s still running 3 s after the "
		  "flag was set: does the xferinfo callback return non-zero once it is set, and "
		  "is CURLOPT_NOPROGRESS 0?", case_name);
	pthread_join(t, NULL);
	REQUIRE_DONE(c.rc, "6.5");
	cr_assert(c.rc == 0, "fetch_cancellable returned %d", c.rc);
	cr_assert(k->o.failure == FAIL_CANCELLED, "fetch_cancellable: %s ended as \"%s\" (curl %d: "
		  "%s), expected \"cancelled\"", case_name, failure_name(k->o.failure),
		  k->o.curl_code, k->o.error);
	cr_assert(c.end - flag_at >= 0, "fetch_cancellable: %s ended before the flag was set",
		  case_name);
	return (c.end - flag_at) * 1e3;
}

Test(ex6_5, cancel_while_bytes_drip, .timeout = 10)
{
	char url[256];
	wb_url(url, sizeof url, wb_server_url(NULL), "/drip?duration=10&numbytes=10");
	struct cancelling k = { .url = url, .total_ms = 8000 };
	double ms = cancel_after(&k, 0.3, "/drip");
	cr_assert(ms <= 200, "fetch_cancellable: /drip ended %.0f ms after the flag (allowed 200)",
		  ms);
}

Test(ex6_5, cancel_while_nothing_moves, .timeout = 10)
{
	char url[256];
	wb_url(url, sizeof url, wb_server_url(NULL), "/hang");
	struct cancelling k = { .url = url, .total_ms = 8000 };
	double ms = cancel_after(&k, 0.3, "/hang");
	cr_assert(ms <= 200, "fetch_cancellable: /hang (no byte moves) ended %.0f ms after the "
		  "flag (allowed 200): curl_easy_perform calls the callback about once a second "
		  "when nothing moves; drive the transfer with curl_multi_poll, 50 ms at a time", ms);
}

Test(ex6_5, no_cancel_no_abort, .timeout = 10)
{
	char url[256];
	wb_url(url, sizeof url, wb_server_url(NULL), "/get");
	struct cancelling k = { .url = url, .total_ms = 5000 };
	wb_http_init();
	struct call c;
	cr_assert(bounded_call(&c, call_cancellable, &k, 6), "fetch_cancellable: /get still running "
		  "after 6 s");
	REQUIRE_DONE(c.rc, "6.5");
	cr_assert(c.rc == 0 && k.o.failure == FAIL_NONE && k.o.http_status == 200,
		  "fetch_cancellable: /get with the flag never set ended as \"%s\" (HTTP %ld, curl "
		  "%d: %s)", failure_name(k.o.failure), k.o.http_status, k.o.curl_code, k.o.error);
	wb_url(url, sizeof url, wb_server_url(NULL), "/hang");
	k.total_ms = 400;
	cr_assert(bounded_call(&c, call_cancellable, &k, 4), "fetch_cancellable: /hang with a "
		  "total of 400 ms still running after 4 s: set CURLOPT_TIMEOUT_MS as the safety net");
	cr_assert(k.o.failure == FAIL_TOTAL_TIMEOUT, "fetch_cancellable: /hang with total_ms 400 "
		  "ended as \"%s\", expected a total timeout", failure_name(k.o.failure));
	assert_on_time("fetch_cancellable", "/hang (total 400 ms)", ms_of(&c), 400);
}

/* ---- 6.6 ------------------------------------------------------------------------------ */

/* The line of zoo/<program>.c holding `code` (after the first line holding `after`, if
 * given): where the bug is planted. */
static int planted_line(const char *program, const char *after, const char *code)
{
	char path[4096], line[512];
	snprintf(path, sizeof path, "%s/labs/06-timeouts/zoo/%s.c", WB_SOURCE_DIR, program);
	FILE *f = fopen(path, "r");
	cr_assert(f, "checker: cannot read %s", path);
	int n = 0, found = 0, past = after == NULL;
	while (!found && fgets(line, sizeof line, f)) {
		n++;
		past |= after && strstr(line, after);
		found = past && strstr(line, code);
	}
	fclose(f);
	cr_assert(found, "checker: %s has no line with \"%s\"", path, code);
	return n;
}

struct truth { enum bug bug; int line, line2; unsigned tools; };
#define T(x) (1u << (x))

static void check_answers(const char *program, const struct truth *truth, int n)
{
	struct diagnosis d[8];
	memset(d, 0, sizeof d);
	int k = diagnose(program, d, 8);
	REQUIRE_DONE(k, "6.6");
	cr_assert(k == n, "diagnose(\"%s\"): %d answer(s); zoo/%s.c has %d planted bug(s)", program,
		  k, program, n);
	for (int i = 0; i < n; i++) {
		int match = -1;
		for (int j = 0; j < k; j++)
			if (d[j].bug == truth[i].bug)
				match = j;
		cr_assert(match >= 0, "diagnose(\"%s\"): the planted bug is not among your answers "
			  "(you named: %s%s%s); run the tools again", program, bug_name(d[0].bug),
			  k > 1 ? ", " : "", k > 1 ? bug_name(d[1].bug) : "");
		const struct diagnosis *a = &d[match];
		cr_assert(a->line == truth[i].line || a->line == truth[i].line2, "diagnose(\"%s\"): "
			  "the %s is not at line %d: the tool's report names the line", program,
			  bug_name(a->bug), a->line);
		cr_assert(truth[i].tools & T(a->tool), "diagnose(\"%s\"): %s does not show the %s "
			  "in this program: which tool did?", program, tool_name(a->tool),
			  bug_name(a->bug));
	}
}

Test(ex6_6, tally, .timeout = 10)
{
	struct truth t = { BUG_DATA_RACE, planted_line("tally", NULL, "t->total += amount"), 0,
			   T(TOOL_TSAN) | T(TOOL_HELGRIND) };
	check_answers("tally", &t, 1);
}

Test(ex6_6, accounts, .timeout = 10)
{
	struct truth t = { BUG_LOCK_ORDER, planted_line("accounts", NULL, "lock(&to->lock)"),
			   planted_line("accounts", NULL, "lock(&from->lock)"),
			   T(TOOL_TSAN) | T(TOOL_HELGRIND) | T(TOOL_GDB) };
	check_answers("accounts", &t, 1);
}

Test(ex6_6, mailbox, .timeout = 10)
{
	struct truth t = { BUG_LOST_WAKEUP, planted_line("mailbox", "close_box(void)", "cond_signal"),
			   0, T(TOOL_GDB) | T(TOOL_PROC) };
	check_answers("mailbox", &t, 1);
}

Test(ex6_6, settings, .timeout = 10)
{
	struct truth t = { BUG_STARVATION, planted_line("settings", NULL, "pthread_rwlock_init("), 0,
			   T(TOOL_MEASURE) | T(TOOL_PROC) | T(TOOL_GDB) };
	check_answers("settings", &t, 1);
}

Test(ex6_6, spawner, .timeout = 10)
{
	struct truth t[3] = {
		{ BUG_LEAKED_THREAD, planted_line("spawner", NULL, "pthread_create("), 0,
		  T(TOOL_TSAN) },
		{ BUG_ZOMBIE, planted_line("spawner", NULL, "fork()"), 0, T(TOOL_PROC) },
		{ BUG_LEAKED_FD, planted_line("spawner", NULL, "open(\"/dev/null\""), 0, T(TOOL_PROC) },
	};
	check_answers("spawner", t, 3);
}

/* ---- 6.7 ------------------------------------------------------------------------------ */

/* Each seller adds for 100 ms (not a count: on a busy machine a count this small
 * would be done within one time slice, and the threads would never overlap). */
enum { SELLERS = 8 };
#define SELL_S 0.1
static struct tally shared_tally;
static pthread_barrier_t start_line;
static long sold[SELLERS];

static void *seller(void *arg)
{
	long k = (long)arg, n = 0;
	pthread_barrier_wait(&start_line);   /* all at once: the race has every chance */
	double until = wb_now() + SELL_S;
	do {
		for (int i = 0; i < 256; i++)
			tally_add(&shared_tally, 1);
		n += 256;
	} while (wb_now() < until);
	sold[k] = n;
	return NULL;
}

static int run_sellers(void *arg)
{
	(void)arg;
	pthread_t t[SELLERS];
	pthread_barrier_init(&start_line, NULL, SELLERS);
	for (long i = 0; i < SELLERS; i++)
		pthread_create(&t[i], NULL, seller, (void *)i);
	for (int i = 0; i < SELLERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start_line);
	return 0;
}

static void *add_one(void *arg)
{
	(void)arg;
	tally_add(&shared_tally, 1);
	return NULL;
}

/* Deterministic, whatever the load: while the checker holds t->lock, an add must wait. */
Test(ex6_7, adds_under_the_lock, .timeout = 10)
{
	pthread_mutex_init(&shared_tally.lock, NULL);
	shared_tally.total = 0;
	REQUIRE_DONE(tally_add(&shared_tally, 1), "6.7");
	shared_tally.total = 0;
	pthread_mutex_lock(&shared_tally.lock);
	pthread_t t;
	pthread_create(&t, NULL, add_one, NULL);
	/* until the add waits for the lock, or has added without it (at most 2 s) */
	for (double until = wb_now() + 2; !wb_check_mutex_has_waiter(&shared_tally.lock) &&
	     __atomic_load_n(&shared_tally.total, __ATOMIC_RELAXED) == 0 && wb_now() < until;)
		wb_sleep(0.002);
	long during = __atomic_load_n(&shared_tally.total, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&shared_tally.lock);
	pthread_join(t, NULL);
	cr_assert(during == 0, "tally_add: it added while another thread held t->lock: the add "
		  "is not under the lock (a sleep or a yield before it only makes the race rarer)");
	cr_assert(shared_tally.total == 1, "tally_add(t, 1) left the total at %ld",
		  shared_tally.total);
}

Test(ex6_7, no_update_lost, .timeout = 15)
{
	pthread_mutex_init(&shared_tally.lock, NULL);
	shared_tally.total = 0;
	REQUIRE_DONE(tally_add(&shared_tally, 1), "6.7");
	for (int rep = 0; rep < 3; rep++) {
		shared_tally.total = 0;
		struct call c;
		cr_assert(bounded_call(&c, run_sellers, NULL, 10), "tally_add: %d threads adding "
			  "for %.0f ms each were not done after 10 s", SELLERS, SELL_S * 1e3);
		long expected = 0;
		for (int i = 0; i < SELLERS; i++)
			expected += sold[i];
		cr_assert(shared_tally.total == expected, "tally_add: %d threads added at once: "
			  "total %ld, expected %ld: %ld updates lost (round %d of 3)", SELLERS,
			  shared_tally.total, expected, expected - shared_tally.total, rep + 1);
	}
}

/* ---- 6.8 ------------------------------------------------------------------------------ */

/* Each clerk pays for 150 ms (a count would let a clerk finish within its time slice
 * on a busy machine, before the others start). */
enum { CLERKS = 4 };
#define PAY_S 0.15
static struct account books[3];
static atomic_int clerks_done;
static long paid[CLERKS];

static void pay(long k, long i)
{
	/* clerks 0 and 2 pay 0->1->2, clerks 1 and 3 the other way round */
	int from = (int)((i + k) % 3), to = (from + (k % 2 ? 2 : 1)) % 3;
	transfer(&books[from], &books[to], 1);
}

static void *clerk(void *arg)
{
	long k = (long)arg, n = 0;
	double until = wb_now() + PAY_S;
	do {
		for (int i = 0; i < 64; i++)
			pay(k, n++);
	} while (wb_now() < until);
	paid[k] = n;
	atomic_fetch_add(&clerks_done, 1);
	return NULL;
}

Test(ex6_8, transfers_both_ways_never_deadlock, .timeout = 15)
{
	for (int i = 0; i < 3; i++) {
		pthread_mutex_init(&books[i].lock, NULL);
		books[i].id = 3 - i;   /* ids not in address order */
		books[i].balance = 1000000;
	}
	REQUIRE_DONE(transfer(&books[0], &books[1], 0), "6.8");
	pthread_t t[CLERKS];
	atomic_store(&clerks_done, 0);
	for (long k = 0; k < CLERKS; k++)
		pthread_create(&t[k], NULL, clerk, (void *)k);
	double until = wb_now() + 2;
	while (atomic_load(&clerks_done) < CLERKS && wb_now() < until)
		wb_sleep(0.005);
	int done = atomic_load(&clerks_done);
	cr_assert(done == CLERKS, "transfer: deadlocked - %d of %d clerks still waiting after 2 s "
		  "(paying both ways round 3 accounts): each holds one "
		  "account's lock and waits for another's.  Take the two locks in one global order "
		  "(by id) whichever way the money goes", CLERKS - done, CLERKS);
	for (int k = 0; k < CLERKS; k++)
		pthread_join(t[k], NULL);
	long sum = books[0].balance + books[1].balance + books[2].balance;
	cr_assert(sum == 3000000, "transfer: the accounts add up to %ld, not 3000000: money "
		  "appeared or vanished (is every balance changed under its own lock?)", sum);
	/* the same transfers one after another: each account's balance */
	long expect[3] = { 1000000, 1000000, 1000000 };
	for (int k = 0; k < CLERKS; k++)
		for (long i = 0; i < paid[k]; i++) {
			int from = (int)((i + k) % 3), to = (from + (k % 2 ? 2 : 1)) % 3;
			expect[from]--;
			expect[to]++;
		}
	for (int i = 0; i < 3; i++)
		cr_assert(books[i].balance == expect[i], "transfer: account %d has %ld, but the "
			  "same transfers one after another leave it %ld: a transfer was skipped or "
			  "half done", books[i].id, books[i].balance, expect[i]);
}

/* ---- 6.9 ------------------------------------------------------------------------------ */

static struct mailbox box;

struct reader { int got, gets, closed_seen; double ended; atomic_int done; long sum; };

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	int item, rc;
	while ((rc = mailbox_get(&box, &item)) == 0) {
		r->got++;
		r->sum += item;
	}
	r->closed_seen = rc == 1;
	r->ended = wb_now();
	atomic_store(&r->done, 1);
	return NULL;
}

static void require_mailbox_done(void)
{
	struct mailbox scratch;
	mailbox_init(&scratch);
	int item;
	REQUIRE_DONE(mailbox_put(&scratch, 1), "6.9");
	REQUIRE_DONE(mailbox_get(&scratch, &item), "6.9");
	REQUIRE_DONE(mailbox_close(&scratch), "6.9");
}

static int readers_done(struct reader *r, int n)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += atomic_load(&r[i].done);
	return k;
}

Test(ex6_9, close_wakes_every_reader, .timeout = 10)
{
	require_mailbox_done();
	enum { N = 4 };
	mailbox_init(&box);
	struct reader r[N];
	memset(r, 0, sizeof r);
	pthread_t t[N];
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, reader_main, &r[i]);
	/* all four asleep on the empty box (at most 2 s) */
	for (double until = wb_now() + 2; wb_check_cond_waiters(&box.changed) < N && wb_now() < until;)
		wb_sleep(0.002);
	cr_assert(readers_done(r, N) == 0, "mailbox_get: returned while the box was empty and open");
	mailbox_close(&box);
	double until = wb_now() + 1;
	while (readers_done(r, N) < N && wb_now() < until)
		wb_sleep(0.002);
	cr_assert(readers_done(r, N) == N, "mailbox_close: 4 readers waited on the empty box; 1 s "
		  "after the close %d of them still sleep: wake them all (broadcast, not signal)",
		  N - readers_done(r, N));
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		cr_assert(r[i].closed_seen, "mailbox_get: returned something other than 1 on a "
			  "closed, empty box");
	}
	int item;
	cr_assert(mailbox_put(&box, 1) == -1, "mailbox_put: accepted a letter into a closed box");
	cr_assert(mailbox_get(&box, &item) == 1, "mailbox_get: a closed empty box must answer 1");
}

/* Wake-ups without a letter: readers must go back to sleep, not return. */
Test(ex6_9, wakeups_without_a_letter, .timeout = 10)
{
	require_mailbox_done();
	enum { N = 3 };
	mailbox_init(&box);
	struct reader r[N];
	memset(r, 0, sizeof r);
	pthread_t t[N];
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, reader_main, &r[i]);
	for (int k = 0; k < 100; k++) {
		pthread_mutex_lock(&box.lock);
		pthread_cond_broadcast(&box.changed);
		pthread_mutex_unlock(&box.lock);
		wb_sleep(0.002);
	}
	int early = readers_done(r, N);
	mailbox_close(&box);
	double until = wb_now() + 2;
	while (readers_done(r, N) < N && wb_now() < until)
		wb_sleep(0.002);
	int woke = readers_done(r, N);
	for (int i = 0; i < N && woke == N; i++)
		pthread_join(t[i], NULL);
	cr_assert(early == 0, "mailbox_get: %d of %d readers returned while the box was open and "
		  "empty, after a broadcast that brought no letter: wait in a `while`, not an `if`",
		  early, N);
	cr_assert(woke == N, "mailbox_close: %d readers still asleep 2 s after the close",
		  N - woke);
}

static int letters_left(void)
{
	pthread_mutex_lock(&box.lock);
	int left = box.count;
	pthread_mutex_unlock(&box.lock);
	return left;
}

/* A letter put while every reader sleeps on the empty box: one of them must
 * wake for it.  Ten rounds, each once all the readers wait on box.changed
 * (at most 2 s, then 20 ms more: a design that waits some other way is given
 * the time to fall asleep too). */
Test(ex6_9, a_put_wakes_a_sleeping_reader, .timeout = 15)
{
	require_mailbox_done();
	enum { N = 3, ROUNDS = 10 };
	mailbox_init(&box);
	struct reader r[N];
	memset(r, 0, sizeof r);
	pthread_t t[N];
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, reader_main, &r[i]);
	for (int round = 0; round < ROUNDS; round++) {
		for (double until = wb_now() + 2;
		     wb_check_cond_waiters(&box.changed) < N && wb_now() < until;)
			wb_sleep(0.002);
		wb_sleep(0.02);
		cr_assert(mailbox_put(&box, round + 1) == 0, "mailbox_put: refused a letter into an "
			  "empty, open box");
		double until = wb_now() + 2;
		while (letters_left() > 0 && wb_now() < until)
			wb_sleep(0.001);
		cr_assert(letters_left() == 0, "mailbox_put: %d readers slept on the empty box; the "
			  "letter put then was still there 2 s later (round %d of %d): a put must wake "
			  "a reader (signal m->changed)", N, round + 1, ROUNDS);
	}
	mailbox_close(&box);
	double until = wb_now() + 2;
	while (readers_done(r, N) < N && wb_now() < until)
		wb_sleep(0.002);
	cr_assert(readers_done(r, N) == N, "mailbox_close: %d readers still asleep 2 s after the "
		  "close", N - readers_done(r, N));
	int got = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		got += r[i].got;
	}
	cr_assert(got == ROUNDS, "mailbox: %d letters put, %d read", ROUNDS, got);
}

Test(ex6_9, every_letter_read_once, .timeout = 15)
{
	require_mailbox_done();
	enum { N = 4, LETTERS = 20000 };
	mailbox_init(&box);
	struct reader r[N];
	memset(r, 0, sizeof r);
	pthread_t t[N];
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, reader_main, &r[i]);
	long expected = 0;
	double full_until = wb_now() + 1.5;
	for (int i = 1; i <= LETTERS; i++) {
		while (mailbox_put(&box, i) != 0) {   /* full: let the readers catch up */
			cr_assert(wb_now() < full_until, "mailbox: the box stayed full for 1.5 s with 4 "
				  "readers waiting: does mailbox_put wake a reader?");
			sched_yield();
		}
		full_until = wb_now() + 1.5;   /* 1.5 s for each letter, not for all of them */
		expected += i;
	}
	double until = wb_now() + 5;
	for (;;) {   /* wait until the box is empty, then close it */
		pthread_mutex_lock(&box.lock);
		int left = box.count;
		pthread_mutex_unlock(&box.lock);
		if (left == 0 || wb_now() > until)
			break;
		wb_sleep(0.001);
	}
	mailbox_close(&box);
	until = wb_now() + 3;
	while (readers_done(r, N) < N && wb_now() < until)
		wb_sleep(0.002);
	cr_assert(readers_done(r, N) == N, "mailbox: %d of %d readers never ended after %d letters "
		  "and the close", N - readers_done(r, N), N, LETTERS);
	long got = 0, sum = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		got += r[i].got;
		sum += r[i].sum;
	}
	cr_assert(got == LETTERS && sum == expected, "mailbox: %d letters put, %ld read (sum %ld, "
		  "expected %ld): letters were lost or read twice", LETTERS, got, sum, expected);
}

/* ---- 6.10 ----------------------------------------------------------------------------- */

static pthread_rwlock_t rw;
static atomic_int rw_stop;

static void *rw_reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&rw_stop)) {
		pthread_rwlock_rdlock(&rw);
		wb_sleep(0.002);
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

Test(ex6_10, writer_gets_in_among_readers, .timeout = 10)
{
	int rc = settings_lock_init(&rw);
	REQUIRE_DONE(rc, "6.10");
	cr_assert(rc == 0, "settings_lock_init returned %d", rc);
	atomic_store(&rw_stop, 0);
	pthread_t r[3];
	for (int i = 0; i < 3; i++) {
		pthread_create(&r[i], NULL, rw_reader, NULL);
		wb_sleep(0.0007);   /* staggered: at every instant some reader holds it */
	}
	wb_sleep(0.05);
	int got = 0, tries = 0;
	double worst = 0;
	for (int k = 0; k < 5 && got == tries; k++) {   /* up to 5 tries; the first miss ends it */
		tries++;
		struct timespec d;   /* REALTIME: timedwrlock's clock */
		clock_gettime(CLOCK_REALTIME, &d);
		d.tv_sec += 1;
		double asked = wb_now();
		int w = pthread_rwlock_timedwrlock(&rw, &d);
		double waited = wb_now() - asked;
		worst = waited > worst ? waited : worst;
		if (w == 0) {
			got++;
			pthread_rwlock_unlock(&rw);
		}
		wb_sleep(0.01);
	}
	atomic_store(&rw_stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	cr_assert(got == tries, "settings_lock_init: among 3 readers that keep overlapping, a "
		  "writer got the lock %d times out of %d (each try gives up after 1 s): glibc's default "
		  "rwlock lets new readers in ahead of a waiting writer.  Give it the kind "
		  "PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP (plain PREFER_WRITER_NP is ignored)",
		  got, tries);
}

struct hold { int saw_both; };
static atomic_int holding;

/* Hold a read lock until the other reader holds it too (at most 1 s): a handover,
 * so that however late the other starts, the two holds overlap if the lock allows. */
static void *hold_read(void *arg)
{
	struct hold *h = arg;
	pthread_rwlock_rdlock(&rw);
	h->saw_both = atomic_fetch_add(&holding, 1) + 1 >= 2;
	for (double until = wb_now() + 1; !h->saw_both && wb_now() < until;) {
		wb_sleep(0.001);
		h->saw_both = atomic_load(&holding) >= 2;
	}
	atomic_fetch_sub(&holding, 1);
	pthread_rwlock_unlock(&rw);
	return NULL;
}

Test(ex6_10, still_a_readers_writer_lock, .timeout = 10)
{
	int rc = settings_lock_init(&rw);
	REQUIRE_DONE(rc, "6.10");
	struct hold h[2] = { { 0 }, { 0 } };
	pthread_t t[2];
	atomic_store(&holding, 0);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, hold_read, &h[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cr_assert(h[0].saw_both || h[1].saw_both, "settings_lock_init: two readers "
		  "could not hold the lock at once: it is no longer a readers-writer lock");
}

/* ---- 6.11 ----------------------------------------------------------------------------- */

static int open_fds(void)
{
	return wb_check_open_fds();
}

Test(ex6_11, nothing_left_behind, .timeout = 10)
{
	int threads = threads_now(), fds = open_fds();
	long result = 0;
	int status = -1;
	int rc = spawn_helpers(&result, &status);
	REQUIRE_DONE(rc, "6.11");
	cr_assert(rc == 0, "spawn_helpers returned %d", rc);
	cr_assert(result == 42, "spawn_helpers: the helper thread returns 42, *thread_result is %ld: "
		  "pthread_join gives you what it returned", result);
	cr_assert(status == 7, "spawn_helpers: the child exits with 7, *child_status is %d", status);
	double until = wb_now() + 1;
	while (threads_now() > threads && wb_now() < until)
		wb_sleep(0.01);
	cr_assert(threads_now() == threads, "spawn_helpers: %d thread(s) left running",
		  threads_now() - threads);
	int zombie = waitpid(-1, NULL, WNOHANG);
	cr_assert(zombie == -1 && errno == ECHILD, "spawn_helpers: left a child behind (%s): reap "
		  "it with waitpid", zombie > 0 ? "a zombie, reaped now by the checker" : "still running");
	cr_assert(open_fds() == fds, "spawn_helpers: %d descriptor(s) left open", open_fds() - fds);
}

/* ---- 6.12 ----------------------------------------------------------------------------- */

/* A child process with `n` threads in a cycle of locks (thread i holds lock i and waits
 * for lock (i + 1) % n), `tail` more threads waiting for lock 0, and one thread asleep
 * on a condition variable; tids[] (shared memory) gets the cycle's thread ids. */
struct stuck { pid_t pid; pid_t *tids; int n; };

static pthread_mutex_t locks[4];
static pthread_barrier_t all_hold;
static pthread_cond_t never;
static pthread_mutex_t never_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t *shared_tids;
static int cycle_n;

static void *cycle_member(void *arg)
{
	long i = (long)arg;
	shared_tids[i] = gettid();
	pthread_mutex_lock(&locks[i]);
	pthread_barrier_wait(&all_hold);
	pthread_mutex_lock(&locks[(i + 1) % cycle_n]);
	return NULL;
}

static void *tail_member(void *arg)
{
	(void)arg;
	wb_sleep(0.1);
	pthread_mutex_lock(&locks[0]);
	return NULL;
}

static void *condvar_sleeper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&never_lock);
	for (;;)
		pthread_cond_wait(&never, &never_lock);
	return NULL;
}

static struct stuck start_stuck(int n, int tail)
{
	struct stuck s = { 0 };
	s.tids = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(s.tids != MAP_FAILED);
	s.n = n;
	fflush(NULL);
	s.pid = fork();
	cr_assert(s.pid >= 0);
	if (s.pid == 0) {
		shared_tids = s.tids;
		cycle_n = n;
		pthread_t t;
		pthread_cond_init(&never, NULL);
		if (n > 0) {
			pthread_barrier_init(&all_hold, NULL, (unsigned)n);
			for (int i = 0; i < n; i++)
				pthread_mutex_init(&locks[i], NULL);
			for (long i = 0; i < n; i++)
				pthread_create(&t, NULL, cycle_member, (void *)i);
		}
		for (int i = 0; i < tail; i++)
			pthread_create(&t, NULL, tail_member, NULL);
		pthread_create(&t, NULL, condvar_sleeper, NULL);
		for (;;)
			pause();
	}
	/* wait until the cycle, the tail and the condvar sleeper all wait in futex */
	int want = n + tail + 1;
	double until = wb_now() + 3;
	for (;;) {
		char buf[8192] = "";
		wb_describe_threads(s.pid, buf, sizeof buf);
		int waiting = 0;
		for (char *p = buf; (p = strstr(p, "futex")); p = strchr(p, '\n'))
			if (!p) break; else waiting++;
		if (waiting >= want || wb_now() > until)
			break;
		wb_sleep(0.01);
	}
	wb_sleep(0.05);
	return s;
}

static void stop_stuck(struct stuck *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	munmap(s->tids, 4096);
}

struct doctoring { pid_t pid; char buf[16384]; };

static int call_doctor(void *arg)
{
	struct doctoring *d = arg;
	d->buf[0] = '\0';
	return hang_doctor(d->pid, d->buf, sizeof d->buf);
}

static struct doctoring *doctor(struct stuck *s, int *rc)
{
	static struct doctoring d;
	d.pid = s->pid;
	char probe[64];
	snprintf(probe, sizeof probe, "/proc/%d/syscall", (int)s->pid);
	int fd = open(probe, O_RDONLY);
	if (fd < 0) {
		stop_stuck(s);
		cr_assert_fail("checker: this machine does not let a parent read its child's "
			       "/proc/PID/syscall (%s): ptrace is restricted here, so hang_doctor "
			       "cannot be checked; ask for kernel.yama.ptrace_scope <= 1, or run the "
			       "checker where ptrace is allowed", strerror(errno));
	}
	close(fd);
	struct call c;
	if (!bounded_call(&c, call_doctor, &d, 5)) {
		stop_stuck(s);
		cr_assert_fail("hang_doctor: still running after 5 s");
	}
	*rc = c.rc;
	return &d;
}

static void assert_cycle(struct stuck *s, struct doctoring *d, int rc)
{
	char want[256] = "";
	int n = s->n;
	char *line = strstr(d->buf, "deadlock:");
	char copy[512] = "";
	if (line)
		snprintf(copy, sizeof copy, "%.*s", (int)strcspn(line, "\n"), line);
	pid_t tids[4];
	memcpy(tids, s->tids, sizeof tids);
	stop_stuck(s);
	REQUIRE_DONE(rc, "6.12");
	cr_assert(rc == n, "hang_doctor: %d threads are in a cycle of locks (each holds one and "
		  "waits for the next), it returned %d.  Its report:\n%s", n, rc, d->buf);
	cr_assert(line, "hang_doctor: no \"deadlock:\" line in its report:\n%s", d->buf);
	for (int i = 0; i < n; i++) {
		snprintf(want, sizeof want, "%d", (int)tids[i]);
		cr_assert(strstr(copy, want), "hang_doctor: thread %d is in the cycle, but the "
			  "deadlock line is \"%s\"", (int)tids[i], copy);
	}
}

Test(ex6_12, two_threads_in_a_cycle, .timeout = 10)
{
	struct stuck s = start_stuck(2, 0);
	int rc;
	struct doctoring *d = doctor(&s, &rc);
	int described = 0;
	for (char *p = d->buf; (p = strstr(p, "sleeping")); p++)
		described++;
	if (rc != WB_NOT_DONE && described < 4) {
		stop_stuck(&s);
		cr_assert_fail("hang_doctor: the process has 4 threads, all asleep; its report "
			       "describes %d of them (wb_describe_threads does that part):\n%s",
			       described, d->buf);
	}
	assert_cycle(&s, d, rc);
}

Test(ex6_12, three_in_a_cycle_and_one_waiting_on_it, .timeout = 10)
{
	struct stuck s = start_stuck(3, 1);
	int rc;
	struct doctoring *d = doctor(&s, &rc);
	assert_cycle(&s, d, rc);
}

Test(ex6_12, no_cycle_no_deadlock, .timeout = 10)
{
	struct stuck s = start_stuck(0, 0);
	int rc;
	struct doctoring *d = doctor(&s, &rc);
	stop_stuck(&s);
	REQUIRE_DONE(rc, "6.12");
	cr_assert(rc == 0 && !strstr(d->buf, "deadlock:"), "hang_doctor: a process whose threads "
		  "sleep in pause() and on a condition variable holds no cycle, but it returned %d:\n%s",
		  rc, d->buf);
}
