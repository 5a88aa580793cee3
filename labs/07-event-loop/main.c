/*
 * Lab 7: the event loop - the driver (scaffolding: read it, but your work
 * goes in exercises.c).
 *
 * One thread and an event loop against threads and processes, on the same
 * server: the three-way table up to 10,000 transfers of /delay/1; the cost
 * per loop iteration of perform+poll (7.1) against socket_action (7.2);
 * the latency of every transfer; the URL health checker in three models
 * (7.3); a blocking call inside the loop and its fix (7.4); an echo server
 * on the loop against a thread per connection (7.5); and memory per task,
 * measured fairly (7.6).
 */
#include "driver.h"
#include "lab.h"

#include "checked.h"
#include "cpuwork.h"
#include "http.h"
#include "plot.h"
#include "server.h"
#include "timing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct wb_lab_spec spec = {
	.prog = "lab7",
	.summary = "the event loop: one thread, 10,000 transfers",
	.accepts = WB_OPT_URL | WB_OPT_REQUESTS | WB_OPT_DELAY,
	.defaults = { .requests = 10000, .delay = 1.0 },
	.server = wb_lab_server,
	.quick = { .requests = 1000, .delay = 0.3 },
};

/* Models that hold a thread or a process per request stop here (see the table's notes). */
#define MAX_THREADS 1000
#define MAX_PROCESSES 100
#define MAX_SEQUENTIAL_S 10.0

static struct event_base *new_base(void)
{
	struct event_config *cfg = CHECK_PTR(event_config_new());
	CHECK_SYS(event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER));
	struct event_base *base = CHECK_PTR(event_base_new_with_config(cfg));
	event_config_free(cfg);
	return base;
}

static struct transfer *make_transfers(const char *url, int n)
{
	struct transfer *t = wb_xcalloc((size_t)n, sizeof *t);
	for (int i = 0; i < n; i++)
		t[i].url = url;
	return t;
}

/* --- one run of one model ------------------------------------------------------ */

enum model { SEQUENTIAL, THREADS, PROCESSES, WINDOW, SOCKET_ACTION };
static const char *const model_names[] = { "sequential", "threads", "processes",
					   "perform+poll (7.1)", "event loop (7.2)" };
static const char *const model_exercise[] = { NULL, NULL, NULL, "7.1", "7.2" };

struct run {
	enum model model;
	struct transfer *t;
	int n;
	struct loop_stats st;
	struct event_base *base;
	/* the largest reading of this process's memory during the run (7.2) */
	struct event *probe;
	int probe_rc;
	struct task_memory mid;
	/* results */
	struct wb_measure m;
	struct wb_server_stats stats;
	int have_stats, errors;
};

static int call_model(void *arg)
{
	struct run *r = arg;
	switch (r->model) {
	case SEQUENTIAL:
		return model_sequential(r->t, r->n);
	case THREADS:
		return model_threads(r->t, r->n);
	case PROCESSES:
		return model_processes(r->t, r->n, r->n);
	case WINDOW:
		return fetch_window(r->t, r->n, r->n, &r->st);
	case SOCKET_ACTION:
		return fetch_socket_action(r->base, r->t, r->n, &r->st);
	}
	return -1;
}

static void read_mid(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct run *r = arg;
	struct task_memory now;
	if (read_task_memory(getpid(), &now) == 0 && (r->probe_rc != 0 || now.pss_kib > r->mid.pss_kib)) {
		r->mid = now;
		r->probe_rc = 0;
	}
}

static void run_model(struct wb_lab *lab, struct run *r, enum model model, const char *url, int n,
		      double delay, double probe_at)
{
	memset(r, 0, sizeof *r);
	r->model = model;
	r->n = n;
	r->t = make_transfers(url, n);
	r->probe_rc = WB_NOT_DONE;
	if (model == SOCKET_ACTION) {
		r->base = new_base();
		if (probe_at > 0) {
			/* the most this process holds while the transfers run, read every probe_at s */
			r->probe = CHECK_PTR(event_new(r->base, -1, EV_PERSIST, read_mid, r));
			struct timeval tv = { (long)probe_at, (long)((probe_at - (long)probe_at) * 1e6) };
			CHECK_SYS(event_add(r->probe, &tv));
		}
	}
	struct wb_server_stats before;
	wb_server_counts(lab->url, 1, &before);
	double expected = model == SEQUENTIAL ? n * (delay + 0.05) : delay + 2 + n / 2000.0;
	r->m = wb_lab_measure(lab, model_exercise[model], model_names[model], expected, call_model, r);
	r->have_stats = wb_server_counts(lab->url, 0, &r->stats);
	if (r->probe)
		event_free(r->probe);
	if (r->base)
		event_base_free(r->base);
	if (r->m.status != 0)
		return;
	for (int i = 0; i < n; i++) {
		if (r->t[i].reports != 1)
			wb_lab_wrong(lab, model_exercise[model] ? model_exercise[model] : "(driver)",
				     "transfer %d was reported %d times (exactly once expected)", i,
				     r->t[i].reports);
		if (driver_classify(&r->t[i]) != OUTCOME_OK)
			r->errors++;
	}
}

static struct wb_row *add_row(struct wb_lab *lab, const char *name, const struct run *r,
			      double ideal)
{
	struct wb_row *row = wb_lab_row(lab, name, model_exercise[r->model], &r->m, ideal);
	if (!row)
		return NULL;
	if (r->have_stats)
		wb_row_note(row, "peak in flight %ld, %d errors", r->stats.peak_in_flight, r->errors);
	else
		wb_row_note(row, "%d errors (this server keeps no counts)", r->errors);
	return row;
}

/* --- the three-way table ----------------------------------------------------------- */

struct size { int n; double delay; };

/* What the biggest event-loop run left for the latency and memory sections. */
struct big_run {
	struct transfer *t;
	int n;
	double delay;
	double base_pss;             /* this process before the run */
	int have_mid;
	struct task_memory mid;      /* its peak during the run */
};

static void three_way_table(struct wb_lab *lab, struct big_run *big)
{
	const struct wb_options *o = &lab->opt;
	/* the course's two rows, then 100 and 1,000 below --requests, then --requests */
	struct size sizes[5];
	int count = 0;
	if (o->quick) {
		sizes[count++] = (struct size){ 5, 0.1 };
	} else {
		sizes[count++] = (struct size){ 10, 0.5 };
		sizes[count++] = (struct size){ 5, 1.0 };
		for (int n = 100; n <= 1000; n *= 10)
			if (n < o->requests)
				sizes[count++] = (struct size){ n, o->delay };
	}
	sizes[count++] = (struct size){ o->requests, o->delay };
	printf("\nThe three-way table: N transfers of /delay/D, four ways.\n");
	for (int s = 0; s < count; s++) {
		int n = sizes[s].n;
		double d = sizes[s].delay;
		char url[256], name[64];
		wb_url(url, sizeof url, lab->url, "/delay/%g", d);
		/* A speedup compares runs of the same workload: this size's own
		 * sequential run, or none ("-") where it was too long to run. */
		const struct wb_row *sequential_row = NULL;
		for (enum model m = SEQUENTIAL; m <= SOCKET_ACTION; m++) {
			if (m == WINDOW)
				continue;
			snprintf(name, sizeof name, "%s %dx%gs", m == SOCKET_ACTION ? "event loop" :
				 model_names[m], n, d);
			if (m == SEQUENTIAL && n * d > MAX_SEQUENTIAL_S) {
				printf("  %s: skipped, would take %.0f s\n", name, n * d);
				continue;
			}
			if ((m == THREADS && n > MAX_THREADS) || (m == PROCESSES && n > MAX_PROCESSES)) {
				char why[96];
				snprintf(why, sizeof why, "skipped: a %s per request past %d (see memory)",
					 m == THREADS ? "thread" : "process",
					 m == THREADS ? MAX_THREADS : MAX_PROCESSES);
				/* --quick keeps its table to rows that ran (make test checks that) */
				if (o->quick)
					printf("  %s: %s\n", name, why);
				else if (n >= 1000)
					wb_results_add_missing(&lab->results, name, why);
				continue;
			}
			int biggest = m == SOCKET_ACTION && s == count - 1;
			struct task_memory before;
			int have_before = biggest && read_task_memory(getpid(), &before) == 0;
			struct run r;
			run_model(lab, &r, m, url, n, d, have_before ? 0.1 : 0);
			struct wb_row *row = add_row(lab, name, &r, m == SEQUENTIAL ? n * d : d);
			if (row && m == SEQUENTIAL && s == 0)
				wb_results_set_baseline(&lab->results, row);
			if (row && m == SEQUENTIAL)
				sequential_row = row;
			if (row)
				wb_results_compare_with(&lab->results, row, sequential_row);
			if (biggest && r.m.status == 0) {
				big->t = r.t;
				big->n = n;
				big->delay = d;
				big->have_mid = have_before && r.probe_rc == 0;
				big->base_pss = have_before ? before.pss_kib : 0;
				big->mid = r.mid;
				continue;
			}
			free(r.t);
		}
	}
	printf("  (threads and processes hold a stack or a whole process per request: past %d and %d,\n"
	       "   10,000 of them would cost 10,000 x the memory measured at the end, and the table\n"
	       "   shows the loop doing it in one thread)\n", MAX_THREADS, MAX_PROCESSES);
}

/* --- 7.1 against 7.2: wall, CPU and time per iteration as N grows ---------------- */

static void window_demo(struct wb_lab *lab)
{
	int n = lab->opt.quick ? 40 : 100, k = 10;
	char url[256];
	wb_url(url, sizeof url, lab->url, "/delay/0.1");
	struct transfer *t = make_transfers(url, n);
	struct loop_stats st = { 0 };
	struct wb_server_stats before, after;
	wb_server_counts(lab->url, 1, &before);
	int rc = fetch_window(t, n, k, &st);
	int have = wb_server_counts(lab->url, 0, &after);
	if (rc == WB_NOT_DONE) {
		printf("\nA window of %d (7.1): not done yet\n", k);
	} else if (rc != 0) {
		wb_lab_wrong(lab, "7.1", "fetch_window returned %d", rc);
	} else {
		printf("\nA window of %d (7.1): %d transfers of /delay/0.1, at most %d in flight", k, n,
		       st.max_in_flight);
		if (have)
			printf("; the server saw a peak of %ld", after.peak_in_flight);
		printf("\n");
	}
	free(t);
}

/* The sweep's figures, for the comparison with Python's at the end. */
static struct {
	int rows;
	double n[4], wall_window[4], wall_sa[4], cpu_sa[4];
} swept;

static void sweep_loops(struct wb_lab *lab)
{
	const struct wb_options *o = &lab->opt;
	/* 100, 1,000, 5,000 (100 alone with --quick) below --requests, then --requests */
	int ns[4], count = 0;
	const int steps[] = { 100, 1000, 5000 };
	for (int i = 0; i < (o->quick ? 1 : 3); i++)
		if (steps[i] < o->requests)
			ns[count++] = steps[i];
	ns[count++] = o->requests;
	double x[4], wall_w[4], wall_s[4], cpu_w[4], cpu_s[4];
	int rows = 0;
	char url[256];
	double delay = o->quick && o->delay > 0.2 ? 0.2 : o->delay;
	wb_url(url, sizeof url, lab->url, "/delay/%g", delay);
	printf("\nperform+poll (7.1, window = N) against socket_action (7.2), N x /delay/%g:\n", delay);
	printf("  %7s | %8s %8s %8s %12s | %8s %8s %8s %12s\n", "N", "wall s", "CPU s", "rounds",
	       "us/round", "wall s", "CPU s", "calls", "us/call");
	for (int i = 0; i < count; i++) {
		struct run w, s;
		run_model(lab, &w, WINDOW, url, ns[i], delay, 0);
		free(w.t);
		run_model(lab, &s, SOCKET_ACTION, url, ns[i], delay, 0);
		free(s.t);
		if (w.m.status != 0 || s.m.status != 0) {
			printf("  (needs 7.1 and 7.2: not done yet)\n");
			return;
		}
		x[rows] = ns[i];
		wall_w[rows] = w.m.wall_s;
		wall_s[rows] = s.m.wall_s;
		cpu_w[rows] = w.m.cpu_s;
		cpu_s[rows] = s.m.cpu_s;
		rows++;
		swept.n[swept.rows] = ns[i];
		swept.wall_window[swept.rows] = w.m.wall_s;
		swept.wall_sa[swept.rows] = s.m.wall_s;
		swept.cpu_sa[swept.rows++] = s.m.cpu_s;
		printf("  %7d | %8.3f %8.3f %8ld %12.1f | %8.3f %8.3f %8ld %12.1f\n", ns[i], w.m.wall_s,
		       w.m.cpu_s, w.st.iterations, w.m.cpu_s / (double)(w.st.iterations ? w.st.iterations : 1) * 1e6,
		       s.m.wall_s, s.m.cpu_s, s.st.iterations,
		       s.m.cpu_s / (double)(s.st.iterations ? s.st.iterations : 1) * 1e6);
	}
	printf("  (us per round: CPU time / perform calls - each perform looks at every transfer,\n"
	       "   so it grows with N; a socket_action call looks at one socket)\n");
	struct wb_sweep wall = {
		.name = "loops-wall", .title = "Lab 7: wall time vs N (measured: perform+poll, 7.1)",
		.xlabel = "transfers at once (N)", .ylabel = "seconds", .x = x, .measured = wall_w,
		.ideal = wall_s, .ideal_title = "socket_action (7.2)", .rows = rows, .logx = 1,
		.hline = delay,
	};
	wb_lab_sweep(lab, &wall);
	struct wb_sweep cpu = {
		.name = "loops-cpu", .title = "Lab 7: CPU time vs N (measured: perform+poll, 7.1)",
		.xlabel = "transfers at once (N)", .ylabel = "CPU seconds", .x = x, .measured = cpu_w,
		.ideal = cpu_s, .ideal_title = "socket_action (7.2)", .rows = rows, .logx = 1,
	};
	wb_lab_sweep(lab, &cpu);
}

/* --- latency at 10,000 ------------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void latency(struct wb_lab *lab, const struct big_run *big)
{
	if (!big->t)
		return;
	double *lat = wb_xcalloc((size_t)big->n, sizeof *lat);
	for (int i = 0; i < big->n; i++)
		lat[i] = big->t[i].ended_s - big->t[i].started_s;
	qsort(lat, (size_t)big->n, sizeof *lat, by_value);
	double x[21], y[21], ideal[21];
	for (int p = 0; p <= 20; p++) {
		int k = p * 5 * (big->n - 1) / 100;
		x[p] = p * 5;
		y[p] = lat[k];
		ideal[p] = big->delay;
	}
	int p99 = 99 * (big->n - 1) / 100;
	printf("\nLatency of each of the %d transfers (7.2): min %.3f s, median %.3f s, p99 %.3f s, "
	       "max %.3f s (the server waits %g s)\n", big->n, lat[0], lat[big->n / 2], lat[p99],
	       lat[big->n - 1], big->delay);
	struct wb_sweep sw = {
		.name = "latency", .title = "Lab 7: latency of each transfer at N at once (percentiles)",
		.xlabel = "percentile", .ylabel = "seconds", .x = x, .measured = y, .ideal = ideal,
		.ideal_title = "the delay the server waits", .rows = 21,
	};
	wb_lab_sweep(lab, &sw);
	free(lat);
}

/* --- 7.3: the URL health checker in three models ------------------------------------ */

struct health_call {
	int model;
	struct transfer *t;
	int n, workers;
	double deadline;
	long *counts;
};

static int call_health(void *arg)
{
	struct health_call *c = arg;
	if (c->model == 0)
		return model_thread_pool(c->t, c->n, c->workers);
	if (c->model == 1)
		return model_processes(c->t, c->n, c->workers);
	return fetch_accounted(c->t, c->n, c->n, c->deadline, c->counts);
}

/* Rows of one experiment compare with its first row, not with the table's
 * baseline (10 waits one after another): a speedup means something only
 * between runs of the same work. */
static void compare_with_first(struct wb_lab *lab, struct wb_row *row, struct wb_row **first)
{
	if (!row)
		return;
	if (!*first)
		*first = row;
	wb_results_compare_with(&lab->results, row, *first);
}

static void health_checker(struct wb_lab *lab)
{
	double d = lab->opt.quick ? 0.2 : 1.0, deadline = d + (lab->opt.quick ? 0.3 : 1.0);
	/* a port that never answers: listening, never accepting */
	int silent = CHECK_SYS(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK_SYS(bind(silent, (struct sockaddr *)&a, sizeof a));
	CHECK_SYS(listen(silent, 64));
	socklen_t len = sizeof a;
	CHECK_SYS(getsockname(silent, (struct sockaddr *)&a, &len));
	static char ok_url[256], slow_url[256], bad_url[256], silent_url[256];
	const char *refused_url = "http://127.0.0.1:1/get";
	wb_url(ok_url, sizeof ok_url, lab->url, "/status/200");
	wb_url(slow_url, sizeof slow_url, lab->url, "/delay/%g", d);
	wb_url(bad_url, sizeof bad_url, lab->url, "/status/500");
	snprintf(silent_url, sizeof silent_url, "http://127.0.0.1:%d/get", ntohs(a.sin_port));
	enum { N = 50 };
	const char *urls[N];
	for (int i = 0; i < N; i++)
		urls[i] = i < 20 ? ok_url : i < 40 ? slow_url : i < 44 ? bad_url : i < 48 ? silent_url :
			refused_url;
	printf("\nThe URL health checker (7.3): %d URLs (20 ok, 20 slow, 4 HTTP 500, 4 silent, 2 refused),\n"
	       "deadline %.1f s, in three models (the pools give each request the whole deadline\n"
	       "from when it starts; 7.3 counts the time spent queued):\n", N, deadline);
	int workers = lab->opt.quick ? 25 : 10;
	char pool_name[40], procs_name[40];
	snprintf(pool_name, sizeof pool_name, "health: thread pool of %d", workers);
	snprintf(procs_name, sizeof procs_name, "health: %d processes", workers);
	const char *names[] = { pool_name, procs_name, "health: event loop (7.3)" };
	struct wb_row *first = NULL;
	for (int model = 0; model < 3; model++) {
		struct transfer t[N];
		memset(t, 0, sizeof t);
		for (int i = 0; i < N; i++) {
			t[i].url = urls[i];
			t[i].timeout_ms = (long)(deadline * 1000);
		}
		long counts[OUTCOME_COUNT] = { 0 };
		struct health_call call = { model, t, N, workers, deadline, counts };
		struct wb_measure m = wb_lab_measure(lab, model == 2 ? "7.3" : NULL, "checking", deadline * 3,
						     call_health, &call);
		struct wb_row *row = wb_lab_row(lab, names[model], model == 2 ? "7.3" : NULL, &m, deadline);
		if (!row)
			continue;
		compare_with_first(lab, row, &first);
		long total = 0;
		if (model < 2)
			for (int i = 0; i < N; i++)
				counts[driver_classify(&t[i])]++;
		for (int i = 0; i < N; i++)
			if (t[i].reports != 1)
				wb_lab_wrong(lab, model == 2 ? "7.3" : "(driver)",
					     "URL %d reported %d times", i, t[i].reports);
		for (int c = 0; c < OUTCOME_COUNT; c++)
			total += counts[c];
		if (total != N)
			wb_lab_wrong(lab, "7.3", "the counts add up to %ld, not %d", total, N);
		wb_row_note(row, "ok %ld, http %ld, timeout %ld, refused %ld, other %ld",
			    counts[OUTCOME_OK], counts[OUTCOME_HTTP], counts[OUTCOME_TIMEOUT],
			    counts[OUTCOME_REFUSED], counts[OUTCOME_OTHER]);
	}
	CHECK_SYS(close(silent));
}

/* --- 7.4: a blocking call in the loop, and the fix --------------------------------- */

struct lag_probe {
	struct event *ev;
	double last, max_lag;
	long ticks;
};

#define PROBE_MS 10

static void probe_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct lag_probe *p = arg;
	double now = wb_now();
	if (p->ticks++ > 0 && now - p->last - PROBE_MS / 1000.0 > p->max_lag)
		p->max_lag = now - p->last - PROBE_MS / 1000.0;
	p->last = now;
}

struct blocking {
	struct event_base *base;
	struct cpu_job *jobs;
	int n;
};

/* The course's mistake: the CPU work right inside a callback on the loop. */
static void run_inline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct blocking *b = arg;
	for (int i = 0; i < b->n; i++) {
		cpu_job_run(&b->jobs[i]);
		cpu_job_finish(&b->jobs[i]);
	}
	/* a little longer, so that the timer can show how late it is */
	struct timeval after = { 0, 50000 };
	event_base_loopexit(b->base, &after);
}

static int call_blocking(void *arg)
{
	struct blocking *b = arg;
	return event_base_dispatch(b->base);
}

static int call_offload(void *arg)
{
	struct blocking *b = arg;
	return run_jobs_off_loop(b->base, b->jobs, b->n, 2);
}

static void loop_lag(struct wb_lab *lab)
{
	int n = lab->opt.quick ? 4 : 8;
	double job_s = lab->opt.quick ? 0.05 : 0.1;
	uint64_t items = wb_cpu_items_for(job_s);
	printf("\nNever block the loop (7.4): %d CPU jobs of %.0f ms while a %d ms timer ticks:\n", n,
	       job_s * 1000, PROBE_MS);
	struct wb_row *first = NULL;
	for (int fixed = 0; fixed < 2; fixed++) {
		struct event_base *base = new_base();
		struct lag_probe p = { 0 };
		p.ev = CHECK_PTR(event_new(base, -1, EV_PERSIST, probe_tick, &p));
		struct timeval tick = { 0, PROBE_MS * 1000 };
		CHECK_SYS(event_add(p.ev, &tick));
		struct cpu_job *jobs = wb_xcalloc((size_t)n, sizeof *jobs);
		for (int i = 0; i < n; i++)
			jobs[i].items = items;
		struct blocking b = { base, jobs, n };
		struct event *once = NULL;
		if (!fixed) {
			once = CHECK_PTR(evtimer_new(base, run_inline, &b));
			struct timeval soon = { 0, 50000 };
			CHECK_SYS(evtimer_add(once, &soon));
		}
		struct wb_measure m = wb_lab_measure(lab, fixed ? "7.4" : NULL, "computing", n * job_s + 1,
						     fixed ? call_offload : call_blocking, &b);
		if (once)
			event_free(once);
		event_free(p.ev);
		event_base_free(base);
		struct wb_row *row = wb_lab_row(lab, fixed ? "worker pool + pipe (7.4)" :
						"blocking call in the loop", fixed ? "7.4" : NULL, &m,
						fixed ? n * job_s / 2 : n * job_s);
		compare_with_first(lab, row, &first);
		if (row) {
			pid_t me = gettid();
			for (int i = 0; i < n; i++)
				if (jobs[i].finished != 1 || jobs[i].finished_on != me ||
				    jobs[i].result != wb_cpu_sum(0, items))
					wb_lab_wrong(lab, "7.4", "job %d: finished %d times, on thread %d "
						     "(the loop is %d), result %s", i, jobs[i].finished,
						     (int)jobs[i].finished_on, (int)me,
						     jobs[i].result == wb_cpu_sum(0, items) ? "right" : "wrong");
			wb_row_note(row, "worst loop lag %.0f ms over %ld ticks", p.max_lag * 1000, p.ticks);
			printf("  %-28s worst loop lag %6.1f ms (a timer due every %d ms)\n",
			       fixed ? "jobs on 2 workers (7.4):" : "jobs inside the loop:", p.max_lag * 1000,
			       PROBE_MS);
		}
		free(jobs);
	}
}

/* --- 7.5: echo servers, memory per connection ---------------------------------------- */

struct echo_memory {
	pid_t server;
	int rc;
	struct task_memory m;
};

static void read_server(void *arg)
{
	struct echo_memory *e = arg;
	e->rc = read_task_memory(e->server, &e->m);
}

static void echo_servers(struct wb_lab *lab, double per_conn_kib[2])
{
	int clients = lab->opt.quick ? 200 : 4000;
	printf("\nEcho servers (7.5): %d clients connected at once, one line each:\n", clients);
	per_conn_kib[0] = per_conn_kib[1] = -1;
	struct wb_row *first = NULL;
	for (int threaded = 0; threaded < 2; threaded++) {
		int port, status;
		pid_t pid = echo_server_child(threaded, &port, &status);
		const char *name = threaded ? "echo: thread per connection" : "echo: libevent (7.5)";
		if (pid < 0) {
			struct wb_measure m = { status, 0, 0 };
			wb_lab_row(lab, name, "7.5", &m, 0);
			continue;
		}
		wb_sleep(0.1);
		struct echo_memory idle = { .server = pid }, busy = { .server = pid };
		read_server(&idle);
		double *rtt = wb_xcalloc((size_t)clients, sizeof *rtt);
		double t0 = wb_now(), c0 = wb_cpu_now();
		int ok = echo_clients(port, clients, rtt, read_server, &busy);
		struct wb_measure m = { 0, wb_now() - t0, wb_cpu_now() - c0 };
		kill(pid, SIGKILL);
		CHECK_SYS(waitpid(pid, NULL, 0));
		if (!threaded && ok != clients)
			wb_lab_wrong(lab, "7.5", "%d of %d clients got their line back", ok, clients);
		qsort(rtt, (size_t)clients, sizeof *rtt, by_value);
		struct wb_row *row = wb_lab_row(lab, name, threaded ? NULL : "7.5", &m, 0);
		compare_with_first(lab, row, &first);
		double p50 = rtt[clients / 2], p99 = rtt[99 * (clients - 1) / 100];
		if (idle.rc == 0 && busy.rc == 0) {
			/* USS: the server is a forked child, whose PSS moves with what its
			 * parent (this lab) shares with it or stops sharing */
			per_conn_kib[threaded] = (busy.m.uss_kib - idle.m.uss_kib +
						  busy.m.kstack_kib - idle.m.kstack_kib) / clients;
			printf("  %-30s %d of %d answered, p50 %.2f ms, p99 %.2f ms; %.1f KiB per connection "
			       "(USS %.1f + kernel stacks %.1f)\n", name, ok, clients, p50 * 1000, p99 * 1000,
			       per_conn_kib[threaded], (busy.m.uss_kib - idle.m.uss_kib) / clients,
			       (busy.m.kstack_kib - idle.m.kstack_kib) / clients);
		} else {
			printf("  %-30s %d of %d answered, p50 %.2f ms, p99 %.2f ms (memory: 7.6 not done yet)\n",
			       name, ok, clients, p50 * 1000, p99 * 1000);
		}
		if (row)
			wb_row_note(row, "%d answered, p99 %.1f ms", ok, p99 * 1000);
		free(rtt);
	}
}

/* --- 7.6: memory per task, fairly ---------------------------------------------------- */

static void memory_per_task(struct wb_lab *lab, const struct big_run *big, const double conn[2])
{
	double thread_kib, kstack, uss, pss, rss;
	printf("\nMemory per task, measured fairly (7.6: PSS/USS from smaps_rollup, plus kernel stacks):\n");
	if (memory_of_threads(lab->opt.quick ? 50 : 200, &thread_kib, &kstack) != 0 ||
	    memory_of_children(lab->opt.quick ? 10 : 50, &uss, &pss, &rss) != 0) {
		printf("  (needs exercise 7.6: not done yet)\n");
		return;
	}
	double transfer = big->have_mid ? (big->mid.pss_kib - big->base_pss) / big->n : -1;
	printf("  %-34s %10s %10s   %s\n", "task", "KiB", "+kstack", "the course says");
	printf("  %-34s %10.1f %10.1f   ~8 KB (thread stack)\n", "idle thread (PSS)", thread_kib, kstack);
	printf("  %-34s %10.1f %10.1f   ~MB (full process; RSS shows %.0f, PSS %.0f)\n",
	       "forked child (USS)", uss, KERNEL_STACK_KIB, rss, pss);
	if (transfer >= 0)
		printf("  %-34s %10.1f %10.1f   ~KB (coroutine)\n", "transfer in flight (7.2, PSS)",
		       transfer, 0.0);
	else
		printf("  %-34s %10s %10s   (needs 7.2)\n", "transfer in flight", "-", "-");
	const char *cn[2] = { "connection, libevent server", "connection, thread server" };
	for (int k = 0; k < 2; k++)
		if (conn[k] >= 0)
			printf("  %-34s %10.1f %10s   (incl. kernel stacks)\n", cn[k], conn[k], "");
	if (transfer >= 0)
		printf("  in flight per transfer: %.1f KiB (goal <= 12 KiB)\n", transfer);
	const char *labels[5] = { "thread (PSS+kstack)", "child (USS+kstack)", "transfer (PSS)",
				  "libevent conn.", "thread conn." };
	double values[5] = { thread_kib + kstack, uss + KERNEL_STACK_KIB, transfer, conn[0], conn[1] };
	const char *l2[5];
	double v2[5];
	int rows = 0;
	for (int k = 0; k < 5; k++)
		if (values[k] >= 0) {
			l2[rows] = labels[k];
			v2[rows++] = values[k] > 0.1 ? values[k] : 0.1;
		}
	struct wb_bars bars = { .name = "memory", .title = "Lab 7: memory per task (KiB, log scale)",
				.xlabel = "KiB per task", .labels = l2, .values = v2, .rows = rows,
				.logx = 1 };
	wb_lab_bars(lab, &bars);
}

/* Python's figures from make lab7-python (OUT/python.dat), beside the C ones. */
static void companion(struct wb_lab *lab, const struct big_run *big)
{
	char path[512];
	snprintf(path, sizeof path, "%s/python.dat", wb_out_dir(7));
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("\nPython's asyncio on the same transfers: run make lab7-python (it writes %s)\n",
		       path);
		return;
	}
	struct stat st;
	double age = fstat(fileno(f), &st) == 0 ? difftime(time(NULL), st.st_mtime) : -1;
	printf("\nPython on the same machine (make lab7-python, %s, written %.0f s ago):\n", path, age);
	printf("  %-9s %7s %8s %8s %7s %12s   %s\n", "model", "N", "wall s", "CPU s", "errors",
	       "KiB/transfer", "C event loop (7.2) at the same N");
	char line[256], model[32];
	const char *labels[8];
	double values[8];
	static char names[8][48];
	int bars = 0;
	while (fgets(line, sizeof line, f)) {
		int n, errors, peak;
		double wall, cpu, kib;
		if (line[0] == '#' || sscanf(line, "%31s %d %lf %lf %d %d %lf", model, &n, &wall, &cpu,
					     &errors, &peak, &kib) != 7)
			continue;
		char c_side[128] = "";
		for (int i = 0; i < swept.rows; i++)
			if ((int)swept.n[i] == n) {
				snprintf(c_side, sizeof c_side, "%.3f s: %.1fx faster, %.1fx less CPU",
					 swept.wall_sa[i], wall / swept.wall_sa[i],
					 cpu / (swept.cpu_sa[i] > 0 ? swept.cpu_sa[i] : 1e-3));
				if (strcmp(model, "asyncio") == 0 && bars < 6) {
					snprintf(names[bars], sizeof names[bars], "C 7.2, N=%d", n);
					labels[bars] = names[bars];
					values[bars++] = swept.wall_sa[i];
					snprintf(names[bars], sizeof names[bars], "asyncio, N=%d", n);
					labels[bars] = names[bars];
					values[bars++] = wall;
				}
			}
		if (big->have_mid && n == big->n && kib > 0 && strcmp(model, "asyncio") == 0) {
			double c_kib = (big->mid.pss_kib - big->base_pss) / big->n;
			size_t len = strlen(c_side);
			snprintf(c_side + len, sizeof c_side - len, "; %.1f vs %.1f KiB: %.2f of asyncio's",
				 c_kib, kib, c_kib / kib);
		}
		printf("  %-9s %7d %8.3f %8.3f %7d %12.1f   %s\n", model, n, wall, cpu, errors, kib,
		       c_side);
	}
	fclose(f);
	if (bars > 0) {
		struct wb_bars b = { .name = "vs-python", .title = "Lab 7: wall time, C event loop vs asyncio",
				     .xlabel = "seconds", .labels = labels, .values = values, .rows = bars };
		wb_lab_bars(lab, &b);
	}
}

int main(int argc, char **argv)
{
	struct wb_lab lab;
	wb_lab_start(&lab, &spec, 7, "the event loop", argc, argv);
	wb_results_param(&lab.results, "requests", lab.opt.requests);
	wb_results_param(&lab.results, "delay_s", lab.opt.delay);
	wb_http_init();

	struct big_run big = { 0 };
	three_way_table(&lab, &big);
	window_demo(&lab);
	sweep_loops(&lab);
	latency(&lab, &big);
	health_checker(&lab);
	loop_lag(&lab);
	double conn[2];
	echo_servers(&lab, conn);
	memory_per_task(&lab, &big, conn);
	companion(&lab, &big);
	free(big.t);
	return wb_lab_finish(&lab);
}
