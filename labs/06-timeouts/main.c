/*
 * Lab 6: timeouts and debugging - the driver (scaffolding: read it, but your
 * work goes in exercises.c).
 *
 * Part A: every wait is bounded.  Each bounded operation runs against a
 * failing service (a future nobody sets, a refused port, a full backlog, a
 * server that accepts and says nothing, one that drips, threads that do not
 * stop, a child whose grandchild holds the pipe, a transfer we cancel), and
 * the lab prints its deadline, when it really ended (the slack), how it
 * failed, and what it left behind.  Part B (driver_zoo.c): the bug zoo.
 */
#include "driver.h"
#include "procs.h"
#include "exercises.h"

#include "checked.h"
#include "http.h"
#include "plot.h"
#include "server.h"
#include "timing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct wb_lab_spec spec = {
	.prog = "lab6",
	.summary = "timeouts and debugging: bound every wait, find each bug with the right tool",
	.accepts = WB_OPT_URL,
	.server = wb_lab_server,
};

/* ---- shared with driver_zoo.c --------------------------------------------- */

void bounded_add(struct bounded_log *log, const char *label, double start, double end,
		 double deadline)
{
	/* the table's row: the wall time beside the deadline as its ideal */
	char name[96];
	snprintf(name, sizeof name, "bounded: %s", label);
	struct wb_row *row = wb_results_add(&log->lab->results, name, end - start, 0,
					    deadline > start ? deadline - start : 0);
	if (deadline > start)
		wb_row_note(row, "slack %+.0f ms", (end - deadline) * 1e3);
	if (log->n == MOST_BOUNDED)
		return;
	struct bounded *b = &log->op[log->n++];
	snprintf(b->label, sizeof b->label, "%s", label);
	b->start = start - log->origin;
	b->end = end - log->origin;
	b->deadline = deadline > 0 ? deadline - log->origin : -1;   /* -1: none */
}

int threads_now(void)
{
	return wb_count_entries("/proc/self/task");
}

int group_members(pid_t pgid)
{
	return wb_group_alive(pgid);
}

int run_logged(char *const argv[], const char *log, double limit_s, double *seconds,
	       int *timed_out)
{
	double start = wb_now();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {   /* dies with the lab, should the lab be stopped meanwhile */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	int pidfd = CHECK_SYS(pidfd_open(pid, 0));
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int ready;
	while ((ready = poll(&p, 1, (int)(limit_s * 1000))) < 0 && errno == EINTR)
		;
	*timed_out = ready == 0;
	if (ready == 0)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			DIE("waitpid: %s", wb_strerror(errno));
	close(pidfd);
	*seconds = wb_now() - start;
	return status;
}

/* ---- the deadline plot ------------------------------------------------------ */

static void deadline_plot(struct wb_lab *lab, const struct bounded_log *log)
{
	char dat[4096], png[4096];
	wb_out_path(dat, sizeof dat, 6, "deadlines.dat");
	wb_out_path(png, sizeof png, 6, "deadlines.png");
	FILE *f = fopen(dat, "w");
	if (!f)
		DIE("writing %s: %s", dat, wb_strerror(errno));
	/* row  start  end  deadline  "label" */
	for (int i = 0; i < log->n; i++)
		if (log->op[i].deadline >= 0)
			fprintf(f, "%d %.4f %.4f %.4f \"%s\"\n", i, log->op[i].start, log->op[i].end,
				log->op[i].deadline, log->op[i].label);
		else   /* meant to end early: no mark */
			fprintf(f, "%d %.4f %.4f NaN \"%s\"\n", i, log->op[i].start, log->op[i].end,
				log->op[i].label);
	fclose(f);
	char extra[64];
	snprintf(extra, sizeof extra, "rows=%d", log->n);
	struct wb_plot plot = {
		.script = "deadlines.gp", .datafile = dat, .png = png,
		.title = "Lab 6: each bounded operation (bar) and its deadline (square)",
		.terminal = !lab->opt.no_plot, .extra = extra,
	};
	wb_plot_draw(&plot);
}

/* ---- Part A ------------------------------------------------------------------- */

struct part_a {
	struct wb_lab *lab;
	struct bounded_log *log;
	int quick;
};

/* One line of the slack table. */
static void slack_line(const char *what, double deadline_ms, double ended_ms, const char *result)
{
	printf("  %-44s %8.0f %8.0f %+7.0f   %s\n", what, deadline_ms, ended_ms,
	       ended_ms - deadline_ms, result);
}

/* 6.1: a future nobody sets, and one set in time. */
struct setter { struct future *f; double after_s, at; };

static void *set_later(void *arg)
{
	struct setter *s = arg;
	wb_sleep(s->after_s);
	s->at = wb_now();   /* when it really set it: on a busy machine, later than asked */
	future_set(s->f, 42);
	return NULL;
}

static void future_cases(struct part_a *a)
{
	struct future f;
	if (future_init(&f) == WB_NOT_DONE) {
		printf("  6.1 future_init:                         not done yet\n");
		return;
	}
	int ms = a->quick ? 200 : 500;
	long value = 0;
	double start = wb_now();
	int rc = future_wait(&f, ms, &value);
	double end = wb_now();
	if (rc == WB_NOT_DONE) {
		printf("  6.1 future_wait:                         not done yet\n");
		return;
	}
	if (rc != TIMED_OUT)
		wb_lab_wrong(a->lab, "6.1", "future_wait returned %d for a future nobody set", rc);
	bounded_add(a->log, "future, never set", start, end, start + ms / 1e3);
	slack_line("6.1 future nobody sets", ms, (end - start) * 1e3, "TIMED_OUT");

	struct future g;
	CHECK_SYS(future_init(&g));
	struct setter s = { &g, ms / 4e3, 0 };
	pthread_t t;
	CHECK_PT(pthread_create(&t, NULL, set_later, &s));
	start = wb_now();
	rc = future_wait(&g, ms, &value);
	end = wb_now();
	CHECK_PT(pthread_join(t, NULL));
	if (rc != 0 || value != 42)
		wb_lab_wrong(a->lab, "6.1", "future_wait: set to 42 after %.0f ms, it returned %d "
			     "with %ld", s.after_s * 1e3, rc, value);
	bounded_add(a->log, "future, set at 1/4", start, end, 0);
	printf("  %-44s %8d %8.0f %7s   value 42 (set at %.0f ms)\n", "6.1 future set in time", ms,
	       (end - start) * 1e3, "early", (s.at - start) * 1e3);
}

/* 6.2: the four failing services and one that answers.  /hang gets a total budget
 * shorter than the speed limit's time, /drip a longer one: a silent server is also
 * "too slow" (0 bytes a second) once LOW_SPEED_TIME has passed. */
static void budget_cases(struct part_a *a)
{
	const struct budget b = { .connect_ms = 300, .total_ms = 1200, .low_speed_bytes = 100,
				  .low_speed_s = 1 };
	struct budget hang_b = b, drip_b = b;
	hang_b.total_ms = 800;
	drip_b.total_ms = 3000;
	char refused[64], backlog_url[64], hang[256], drip[256], get[256];
	snprintf(refused, sizeof refused, "http://127.0.0.1:%d/get", refused_port());
	struct backlog bl;
	full_backlog(&bl);
	snprintf(backlog_url, sizeof backlog_url, "http://127.0.0.1:%d/get", bl.port);
	wb_url(hang, sizeof hang, a->lab->url, "/hang");
	wb_url(drip, sizeof drip, a->lab->url, "/drip?duration=10&numbytes=10");
	wb_url(get, sizeof get, a->lab->url, "/get");
	const struct {
		const char *what, *url, *label;
		const struct budget *b;
		enum failure expected;
		int deadline_ms;
	} cases[] = {
		{ "6.2 refused port", refused, "refused port", &b, FAIL_REFUSED, b.total_ms },
		{ "6.2 full backlog (SYN dropped)", backlog_url, "full backlog", &b,
		  FAIL_CONNECT_TIMEOUT, b.connect_ms },
		{ "6.2 /hang: accepts, never answers", hang, "/hang", &hang_b, FAIL_TOTAL_TIMEOUT,
		  hang_b.total_ms },
		{ "6.2 /drip: 1 byte a second", drip, "/drip", &drip_b, FAIL_TOO_SLOW,
		  drip_b.low_speed_s * 1000 },
		{ "6.2 /get: answers", get, "/get", &b, FAIL_NONE, b.total_ms },
	};
	printf("  (budget: connect %d ms, total %d ms (/hang %d, /drip %d), too slow below "
	       "%ld B/s for %d s)\n", b.connect_ms, b.total_ms, hang_b.total_ms, drip_b.total_ms,
	       b.low_speed_bytes, b.low_speed_s);
	int done = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct outcome o;
		double start = wb_now();
		int rc = fetch_bounded(cases[i].url, cases[i].b, &o);
		double end = wb_now();
		if (rc == WB_NOT_DONE) {
			printf("  6.2 fetch_bounded:                       not done yet\n");
			break;
		}
		if (rc != 0)
			wb_lab_wrong(a->lab, "6.2", "fetch_bounded failed on %s", cases[i].url);
		done = 1;
		char result[320];
		snprintf(result, sizeof result, "%s%s (curl %d)", failure_name(o.failure),
			 o.failure == cases[i].expected ? "" : " - NOT the class expected", o.curl_code);
		/* a refused port and an answer end long before their deadline: no slack to show */
		int early = cases[i].expected == FAIL_REFUSED || cases[i].expected == FAIL_NONE;
		if (early)
			printf("  %-44s %8d %8.0f %7s   %s\n", cases[i].what, cases[i].deadline_ms,
			       (end - start) * 1e3, "early", result);
		else
			slack_line(cases[i].what, cases[i].deadline_ms, (end - start) * 1e3, result);
		bounded_add(a->log, cases[i].label, start, end,
			    early ? 0 : start + cases[i].deadline_ms / 1e3);
	}
	close_backlog(&bl);
	if (done)
		printf("  (the connect timeout of %d ms did not stop /hang: it had connected)\n",
		       b.connect_ms);
}

/* 6.3: three threads - one finishes, one stops when asked, one ignores the flag. */
struct worker { atomic_int *stop; int kind; double run_s; atomic_int ended; };

static void *work(void *arg)
{
	struct worker *w = arg;
	double start = wb_now();
	while (wb_now() - start < w->run_s) {
		if (w->kind == 1 && atomic_load(w->stop))
			break;
		wb_sleep(0.005);
	}
	atomic_store(&w->ended, 1);   /* after its last use of *w: see join_case */
	return NULL;
}

static void join_case(struct part_a *a)
{
#ifdef __SANITIZE_THREAD__
	/* gcc 12's ThreadSanitizer does not intercept pthread_clockjoin_np: it would take
	 * every joined thread for a live one, and abort at the next pthread_create
	 * ("dup thread with used id").  The checker runs 6.3 without it. */
	(void)a;
	printf("  6.3 join_bounded: skipped under ThreadSanitizer (it does not know "
	       "pthread_clockjoin_np)\n");
	return;
#endif
	int deadline_ms = a->quick ? 200 : 400, grace_ms = a->quick ? 150 : 300;
	atomic_int stop = 0;
	double slow = (deadline_ms + grace_ms) / 1e3 + 0.4;
	struct worker w[3] = { { &stop, 0, 0.05, 0 }, { &stop, 1, 30, 0 }, { &stop, 2, slow, 0 } };
	pthread_t t[3];
	int before = threads_now();
	for (int i = 0; i < 3; i++)
		CHECK_PT(pthread_create(&t[i], NULL, work, &w[i]));
	int ignored[3] = { 0 };
	double start = wb_now();
	int rc = join_bounded(t, 3, &stop, deadline_ms, grace_ms, ignored);
	double end = wb_now();
	if (rc == WB_NOT_DONE) {
		printf("  6.3 join_bounded:                        not done yet\n");
		atomic_store(&stop, 1);
		for (int i = 0; i < 3; i++)
			CHECK_PT(pthread_join(t[i], NULL));
		return;
	}
	int left = threads_now() - before;
	if (rc != 1 || !ignored[2] || ignored[0] || ignored[1])
		wb_lab_wrong(a->lab, "6.3", "join_bounded returned %d with ignored = {%d, %d, %d}; "
			     "only thread 2 ignores the flag", rc, ignored[0], ignored[1], ignored[2]);
	char result[128];
	snprintf(result, sizeof result, "thread 2 ignored the flag; %d thread%s left running",
		 left, left == 1 ? "" : "s");
	slack_line("6.3 join 3 threads (deadline + grace)", deadline_ms + grace_ms,
		   (end - start) * 1e3, result);
	bounded_add(a->log, "join + grace", start, end, start + (deadline_ms + grace_ms) / 1e3);
	/* the detached thread ends by itself; wait for it (it uses w[2], on this stack),
	 * then for its kernel thread to go, so nothing outlives the lab.  (The flags of
	 * the joined ones too: ThreadSanitizer does not know pthread_clockjoin_np, and
	 * would take the reuse of this stack for a race.) */
	for (int i = 0; i < 3; i++)
		while (!atomic_load(&w[i].ended))
			wb_sleep(0.01);
	while (threads_now() > before)
		wb_sleep(0.01);
}

/* 6.4: a child whose grandchild holds the pipe, and ignores SIGTERM. */
static void child_case(struct part_a *a, const char *what, const char *label, const char *script)
{
	int deadline_ms = a->quick ? 200 : 400, grace_ms = a->quick ? 150 : 300;
	int fds[2];
	CHECK_SYS(pipe(fds));   /* not close-on-exec: the child and its grandchild inherit it */
	char fdarg[16];
	snprintf(fdarg, sizeof fdarg, "%d", fds[1]);
	char *argv[] = { "bash", "-c", (char *)script, "bash", fdarg, NULL };   /* dash: fds 0-9 only */
	struct child_end c;
	double start = wb_now();
	int rc = run_child_bounded(argv, deadline_ms, grace_ms, &c);
	double end = wb_now();
	CHECK_SYS(close(fds[1]));
	if (rc == WB_NOT_DONE) {
		printf("  6.4 run_child_bounded:                   not done yet\n");
		CHECK_SYS(close(fds[0]));
		return;
	}
	if (rc != 0)
		wb_lab_wrong(a->lab, "6.4", "run_child_bounded failed");
	/* end-of-file on the pipe means every holder is gone; give them 1 s */
	struct pollfd p = { .fd = fds[0], .events = POLLIN };
	char byte;
	int eof = 0;
	double until = wb_now() + 1;
	while (!eof && wb_now() < until && poll(&p, 1, 100) >= 0)
		if (p.revents && read(fds[0], &byte, 1) == 0)
			eof = 1;
	CHECK_SYS(close(fds[0]));
	/* SIGKILL is delivered at once, but dying takes a moment: up to 1 s */
	int left = group_members(c.pid);
	for (until = wb_now() + 1; left > 0 && wb_now() < until; left = group_members(c.pid))
		wb_sleep(0.01);
	char result[160];
	snprintf(result, sizeof result, "%s%s; %d of its group left; pipe %s",
		 c.exited ? "exited" : c.signal == SIGKILL ? "SIGKILL" : "SIGTERM",
		 c.kill_sent ? " after the grace" : "", left, eof ? "at EOF" : "STILL OPEN");
	slack_line(what, deadline_ms + (c.kill_sent ? grace_ms : 0), (end - start) * 1e3, result);
	bounded_add(a->log, label, start, end,
		    start + (deadline_ms + (c.kill_sent ? grace_ms : 0)) / 1e3);
	if (left || !eof)
		wb_lab_wrong(a->lab, "6.4", "run_child_bounded left %d process(es) of the group, "
			     "pipe %s", left, eof ? "at EOF" : "still open");
}

/* 6.5: cancel a slow transfer from another thread. */
struct canceller { atomic_int *flag; double after_s, at; };

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;
	wb_sleep(c->after_s);
	c->at = wb_now();
	atomic_store(c->flag, 1);
	return NULL;
}

static void cancel_case(struct part_a *a)
{
	char url[256];
	wb_url(url, sizeof url, a->lab->url, "/drip?duration=10&numbytes=10");
	atomic_int flag = 0;
	struct canceller c = { &flag, a->quick ? 0.3 : 0.6, 0 };
	pthread_t t;
	CHECK_PT(pthread_create(&t, NULL, cancel_later, &c));
	struct outcome o;
	double start = wb_now();
	int rc = fetch_cancellable(url, &flag, 10000, &o);
	double end = wb_now();
	CHECK_PT(pthread_join(t, NULL));
	if (rc == WB_NOT_DONE) {
		printf("  6.5 fetch_cancellable:                   not done yet\n");
		return;
	}
	if (rc != 0 || o.failure != FAIL_CANCELLED)
		wb_lab_wrong(a->lab, "6.5", "fetch_cancellable: cancelled after %.0f ms, it ended "
			     "as %s (%s)", c.after_s * 1e3, failure_name(o.failure), o.error);
	char result[96];
	snprintf(result, sizeof result, "cancelled, %.0f ms after the flag (goal < 200)",
		 (end - c.at) * 1e3);
	slack_line("6.5 /drip cancelled by a flag", (c.at - start) * 1e3, (end - start) * 1e3,
		   result);
	bounded_add(a->log, "cancel", start, end, c.at);
}

/* Part A through wb_lab_measure, so that a stuck exercise is named and stopped. */
static int part_a_run(void *arg)
{
	struct part_a *a = arg;
	printf("\nPart A: every wait is bounded (deadline, when it ended, slack = end - deadline)\n");
	printf("  %-44s %8s %8s %7s   %s\n", "operation", "deadline", "ended", "slack", "result");
	printf("  %-44s %8s %8s %7s\n", "", "ms", "ms", "ms");
	/* the driver's own: how late the kernel's timer alone wakes us (the floor of any slack) */
	int ms = a->quick ? 100 : 200;
	double start = wb_now();
	CHECK_SYS(poll(NULL, 0, ms));
	double end = wb_now();
	slack_line("(driver) poll() with nothing to wait for", ms, (end - start) * 1e3,
		   "the timer alone");
	bounded_add(a->log, "poll() alone", start, end, start + ms / 1e3);
	future_cases(a);
	budget_cases(a);
	join_case(a);
	child_case(a, "6.4 child; grandchild holds pipe, TERM ok", "child (TERM)",
		   "exec 2>/dev/null; sleep 30 >&$1 & trap 'exit 0' TERM; while :; do sleep 0.05; done");
	child_case(a, "6.4 child ignoring TERM, grandchild too", "child (KILL)",
		   "exec 2>/dev/null; trap '' TERM; sleep 30 >&$1 & while :; do sleep 0.05; done");
	cancel_case(a);
	return 0;
}

int main(int argc, char **argv)
{
	struct wb_lab lab;
	wb_lab_start(&lab, &spec, 6, "timeouts and debugging", argc, argv);
	wb_http_init();   /* before any thread; it also ignores SIGPIPE (NOSIGNAL does not) */
	struct bounded_log log = { .origin = wb_now(), .lab = &lab };
	struct part_a a = { &lab, &log, lab.opt.quick };
	struct wb_measure m = wb_lab_measure(&lab, NULL, "bounded waits", lab.opt.quick ? 6 : 12,
					     part_a_run, &a);
	(void)m;
	if (log.n > 0)
		deadline_plot(&lab, &log);
	zoo_part(&lab);
	return wb_lab_finish(&lab);
}
