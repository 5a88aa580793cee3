/*
 * Lab 4: a GIL, simulated - the driver (scaffolding: read it, but your work
 * goes in exercises.c).
 *
 * 1. CPU-bound: two tasks one after another, then on two threads under each
 *    GIL (naive 4.1, new 4.2-4.3, new without forced switching, old 4.5),
 *    with no GIL at all, and in two processes with a GIL each.
 * 2. I/O-bound under the new GIL: N threads fetching /delay/D, first holding
 *    the GIL while they wait, then letting go of it (4.4).  The server's peak
 *    of requests in flight is the proof of overlap.
 * 3. The convoy effect: one thread making short round trips to an echo
 *    thread, alone, then beside one and two CPU-bound threads.
 * 4. What the switch interval trades: the convoy, and the bookkeeping of two
 *    CPU threads, at 0.5, 5 and 50 ms; the old GIL beside them.
 * When out/lab4/python.dat exists (make lab4-python), real CPython's figures
 * are printed and plotted beside the simulation's.
 */
#include "driver.h"

#include "checked.h"
#include "http.h"
#include "plot.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct wb_lab_spec spec = {
	.prog = "lab4",
	.summary = "a GIL, simulated: why Python threads do not speed up computing, yet do speed up waiting",
	.accepts = WB_OPT_URL | WB_OPT_REQUESTS | WB_OPT_DELAY | WB_OPT_TASK_MS | WB_OPT_INTERVAL,
	.defaults = { .requests = 8, .delay = 0.25, .task_ms = 500, .interval_ms = 5 },
	.quick = { .requests = 4, .delay = 0.1, .task_ms = 100, .interval_ms = 5 },
	.server = wb_lab_server,
};

#define TASKS 2                  /* two CPU-bound tasks, two threads: the course's figures */
#define FETCH_TICKS 2000         /* bytecode around each fetch: build the request, read the reply */
#define ROUND_TRIP_TICKS 20      /* bytecode around each round trip of the convoy */
#define MAX_ROUND_TRIPS 200000
#define FETCH_TIMEOUT_S 30.0
#define MAX_THREADS 16

/* The switch intervals of the sweep, in ms: CPython's default in the middle. */
const double sweep_ms[SWEEP_POINTS] = { 0.5, 5, 50 };



/* The lab this program runs: every experiment is measured through it (wb_lab_measure). */
static struct wb_lab lab4;

/* "4.1, 4.2, 4.3": the exercises an experiment runs, for its messages; NULL
 * when it runs none (the driver's own code: no time limit needed). */
static const char *exercises_in(unsigned needs, char *out, size_t cap)
{
	out[0] = '\0';
	for (int k = 1; k <= 5; k++)
		if (needs & GIL_NEEDS(k))
			snprintf(out + strlen(out), cap - strlen(out), "%s4.%d", *out ? ", " : "", k);
	return *out ? out : NULL;
}

/* Threads under one GIL, started together and joined: what most experiments measure. */
struct gil_threads {
	int n;
	void *(*main)(void *);
	void *arg;
	size_t arg_size;        /* arg is an array of n of these */
	double stop_after_s;    /* > 0: set *stop after that long */
	atomic_int *stop;
};

static int start_and_join(void *arg)
{
	struct gil_threads *gt = arg;
	pthread_t *tid = wb_xcalloc((size_t)gt->n, sizeof *tid);
	for (int i = 0; i < gt->n; i++)
		CHECK_PT(pthread_create(&tid[i], NULL, gt->main,
					(char *)gt->arg + (size_t)i * gt->arg_size));
	if (gt->stop_after_s > 0) {
		wb_sleep(gt->stop_after_s);
		atomic_store(gt->stop, 1);
	}
	for (int i = 0; i < gt->n; i++)
		CHECK_PT(pthread_join(tid[i], NULL));
	free(tid);
	return 0;
}

/* Run them, measured; the time limit is far above `expected_s`. */
static struct wb_usage measure_threads(struct gil_threads *gt, unsigned needs, const char *label,
				       double expected_s)
{
	char which[32];
	struct wb_measure m = wb_lab_measure(&lab4, exercises_in(needs, which, sizeof which), label,
					     expected_s, start_and_join, gt);
	return (struct wb_usage){ .wall_s = m.wall_s, .cpu_s = m.cpu_s };
}

static void gil_setup_init(struct gil *g, const struct gil_setup *gs, struct wb_timeline *tl)
{
	gil_init(g, gs->mode, gs->interval_s);
	g->forced_switching = gs->forced_switching;
	g->tl = tl;
}

static void need_no_violation(const struct gil *g, const char *what)
{
	long v = atomic_load(&g->violations);
	if (v != 0)
		fprintf(stderr, "lab4: %s: %ld times a thread ran bytecode while another held the GIL "
			"(or without holding it) - make check4 says where\n", what, v);
}

/* Median length of the slices that ended with `kind` ("asked", "io", ...); 0 if none. */
static double median_slice(const struct wb_timeline *tl, const char *kind)
{
	size_t n = wb_timeline_count(tl), k = 0;
	if (n == 0)
		return 0;
	double *v = wb_xcalloc(n, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		if (s && strcmp(s->kind, kind) == 0)
			v[k++] = s->end - s->start;
	}
	struct wb_summary sum = { 0 };
	if (k > 0)
		wb_summarize(v, (int)k, &sum);
	free(v);
	return sum.median;
}

/* --- 1. CPU-bound --------------------------------------------------------- */


/*
 * `threads` CPU threads under one GIL: each runs `ticks` ticks, or, with
 * stop_after_s > 0, until that many seconds have passed.  Every finished
 * thread's checksum must be `expected` (unless 0).
 */
static struct cpu_run run_cpu(const struct gil_setup *gs, int threads, uint64_t ticks,
			      double stop_after_s, uint64_t expected, struct wb_timeline *tl)
{
	unsigned needs = gil_needs(gs->mode, gs->forced_switching);
	struct cpu_run r = { .missing = gil_missing(needs) };
	if (r.missing)
		return r;
	struct gil g;
	struct gil_cpu_thread t[MAX_THREADS];
	atomic_int stop;
	atomic_init(&stop, 0);
	wb_timeline_reset(tl);
	gil_setup_init(&g, gs, tl);
	for (int i = 0; i < threads; i++)
		t[i] = (struct gil_cpu_thread){ .g = &g, .who = i, .ticks = ticks,
						.stop = stop_after_s > 0 ? &stop : NULL };
	struct gil_threads gt = { .n = threads, .main = gil_cpu_thread_main, .arg = t,
				  .arg_size = sizeof t[0], .stop_after_s = stop_after_s,
				  .stop = &stop };
	/* the slowest a right GIL can be: every tick of every thread, one after another */
	double slowest = stop_after_s > 0 ? stop_after_s :
			 threads * (double)ticks * GIL_ITEMS_PER_TICK * wb_cpu_ns_per_item() / 1e9;
	r.usage = measure_threads(&gt, needs, "computing", 2 * slowest);
	for (int i = 0; i < threads; i++) {
		if (t[i].rc != 0)
			DIE("thread %d stopped: an exercise returned %d (see above)", i, t[i].rc);
		if (expected && t[i].sum != expected)
			DIE("thread %d computed %016llx, expected %016llx", i,
			    (unsigned long long)t[i].sum, (unsigned long long)expected);
	}
	need_no_violation(&g, gil_mode_name(gs->mode));
	r.handoffs = g.switch_number;
	r.stats = g.stats;
	r.asked_slice_s = median_slice(tl, "asked");
	gil_destroy(&g);
	return r;
}

/* One task after another on one thread.  No GIL: alone, a thread never switches
 * anyway, and this row must not wait for any exercise. */
struct sequential {
	const struct settings *s;
	uint64_t sum;          /* one task's checksum (every task does the same work) */
};

static int tasks_in_a_row(void *arg)
{
	struct sequential *q = arg;
	struct gil g;
	uint64_t done = 0;
	gil_init(&g, GIL_NONE, q->s->interval_s);
	for (int task = 0; task < TASKS; task++) {
		q->sum = 0;
		if (gil_run_ticks(&g, 0, 0, q->s->ticks, NULL, &q->sum, &done) != 0)
			DIE("the bytecode loop failed without a GIL");
	}
	gil_destroy(&g);
	return 0;
}

static uint64_t run_sequential(const struct settings *s, struct wb_usage *u)
{
	struct sequential q = { s, 0 };
	struct wb_measure m = wb_lab_measure(&lab4, NULL, "computing", 0, tasks_in_a_row, &q);
	*u = (struct wb_usage){ .wall_s = m.wall_s, .cpu_s = m.cpu_s };
	return q.sum;
}

/* A child process: an interpreter of its own, with its own GIL, alone. */
static void process_task(const struct settings *s, uint64_t *result)
{
	struct gil g;
	uint64_t done = 0;
	gil_init(&g, GIL_NEW, s->interval_s);
	if (gil_take(&g, 0) != 0 ||
	    gil_run_ticks(&g, 0, 0, s->ticks, NULL, result, &done) != 0 ||
	    gil_drop(&g, 0, GIL_DROP_END) != 0)
		_exit(1);
	gil_destroy(&g);
}

/* TASKS processes (fork), the results in a shared mapping; the "multiprocessing" row. */
static const char *run_processes(const struct settings *s, uint64_t expected, struct wb_usage *u)
{
	const char *missing = gil_missing(gil_needs(GIL_NEW, 0));
	if (missing)
		return missing;
	uint64_t *results = mmap(NULL, TASKS * sizeof *results, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (results == MAP_FAILED)
		DIE("mmap: %s", wb_strerror(errno));
	pid_t pids[TASKS];
	fflush(NULL);	/* the children must not flush a copy of our buffers */
	wb_usage_begin(u);
	for (int i = 0; i < TASKS; i++) {
		pids[i] = CHECK_SYS(fork());
		if (pids[i] == 0) {
			results[i] = 0;
			process_task(s, &results[i]);
			_exit(0);
		}
	}
	for (int i = 0; i < TASKS; i++) {
		int status;
		while (waitpid(pids[i], &status, 0) == -1)
			if (errno != EINTR)
				DIE("waitpid: %s", wb_strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || results[i] != expected)
			DIE("process %d failed or computed a wrong result", i);
	}
	wb_usage_end(u);
	if (munmap(results, TASKS * sizeof *results) == -1)
		DIE("munmap: %s", wb_strerror(errno));
	return NULL;
}

/*
 * The note of a threads row: the speedup, the cores busy on average (CPU time
 * over wall time: unlike the speedup, it does not depend on the machine
 * keeping the same speed from one run to the next), and what the GIL did.
 */
static void note_cpu_row(struct wb_row *row, const struct gil_setup *gs, const struct cpu_run *r,
			 double seq_s)
{
	double wall = r->usage.wall_s, speedup = seq_s / wall, cores = r->usage.cpu_s / wall;
	switch (gs->mode) {
	case GIL_NONE:
		wb_row_note(row, "speedup %.2fx, %.1f cores busy: C threads, as always", speedup,
			    cores);
		break;
	case GIL_NAIVE:
		wb_row_note(row, "speedup %.2fx, %.1f cores busy; %lu hand-off: one, then the other",
			    speedup, cores, r->handoffs);
		break;
	case GIL_NEW:
		if (gs->forced_switching)
			wb_row_note(row, "speedup %.2fx, %.1f cores busy; %.0f hand-offs/s, slices "
				    "%.2f ms", speedup, cores, r->handoffs / wall,
				    r->asked_slice_s * 1e3);
		else
			wb_row_note(row, "speedup %.2fx, %.1f cores busy; %ld requests, %lu hand-off(s)",
				    speedup, cores, r->stats.requests, r->handoffs);
		break;
	case GIL_OLD:
		wb_row_note(row, "speedup %.2fx, %.1f cores busy; %.0f hand-offs/s, %.0f futile "
			    "wake-ups/s", speedup, cores, r->handoffs / wall,
			    r->stats.futile_wakeups / wall);
		break;
	}
}

/* The figures part 1 hands on to the summary. */

/* Two threads, each running one task, under each kind of GIL and without. */
static void cpu_threads(struct wb_lab *lab, const struct settings *s, uint64_t expected,
			double ideal, struct wb_timeline *tl, struct cpu_figures *fig)
{
	const struct {
		const char *name;
		struct gil_setup gil;
	} variants[] = {
		{ "2 threads, naive GIL (4.1)", { GIL_NAIVE, 1, s->interval_s } },
		{ "2 threads, new GIL (4.2,4.3)", { GIL_NEW, 1, s->interval_s } },
		{ "2 threads, not forced (4.2)", { GIL_NEW, 0, s->interval_s } },
		{ "2 threads, old GIL (4.5)", { GIL_OLD, 0, s->interval_s } },
		{ "2 threads, no GIL (PEP 703)", { GIL_NONE, 0, s->interval_s } },
	};
	for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
		const struct gil_setup *gs = &variants[v].gil;
		struct cpu_run r = run_cpu(gs, TASKS, s->ticks, 0, expected, tl);
		if (r.missing) {
			wb_results_add_missing(&lab->results, variants[v].name, r.missing);
			continue;
		}
		double wall = r.usage.wall_s;
		struct wb_row *row = wb_results_add(&lab->results, variants[v].name, wall,
						    r.usage.cpu_s, ideal);
		note_cpu_row(row, gs, &r, fig->seq_s);
		if (gs->mode == GIL_NEW && gs->forced_switching) {
			fig->new_measured = 1;
			fig->new_ratio = wall / fig->seq_s;
			fig->new_cores = r.usage.cpu_s / wall;
			fig->handoffs_per_s = r.handoffs / wall;
		}
		if (gs->mode == GIL_NONE) {
			fig->nogil_speedup = fig->seq_s / wall;
			fig->nogil_cores = r.usage.cpu_s / wall;
		}
	}
}

static void cpu_bound(struct wb_lab *lab, const struct settings *s, struct wb_timeline *tl,
		      struct cpu_figures *fig)
{
	int cores = wb_cores();
	double ideal = s->task_s * TASKS / (cores < TASKS ? cores : TASKS);
	printf("\n1. CPU-bound: %d tasks of %.0f ms (%llu ticks each)\n", TASKS, s->task_s * 1e3,
	       (unsigned long long)s->ticks);
	struct wb_usage u;
	uint64_t expected = run_sequential(s, &u);
	fig->seq_s = u.wall_s;
	struct wb_row *row = wb_results_add(&lab->results, "sequential, 2 tasks", u.wall_s,
					    u.cpu_s, TASKS * s->task_s);
	wb_row_note(row, "the baseline: one thread, one task after the other");

	cpu_threads(lab, s, expected, ideal, tl, fig);

	const char *missing = run_processes(s, expected, &u);
	if (missing) {
		wb_results_add_missing(&lab->results, "2 processes (fork)", missing);
		return;
	}
	row = wb_results_add(&lab->results, "2 processes (fork)", u.wall_s, u.cpu_s, ideal);
	wb_row_note(row, "speedup %.2fx, %.1f cores busy: a GIL each, never contended",
		    fig->seq_s / u.wall_s, u.cpu_s / u.wall_s);
	fig->process_measured = 1;
	fig->process_speedup = fig->seq_s / u.wall_s;
}

/* --- 2. I/O-bound ------------------------------------------------------------ */

/* One simulated thread that fetches `count` URLs, running bytecode around each. */
struct fetcher {
	struct gil *g;
	int who;
	const char *url;
	int count;
	int let_go;             /* 1: release the GIL around the fetch (4.4) */
	int rc;                 /* what an exercise returned */
	int failed;             /* a fetch failed (error in res) */
	struct wb_http_result res;
	uint64_t sum, ticks;
};

static void fetch_once(void *arg)
{
	struct fetcher *f = arg;
	if (wb_http_fetch(f->url, FETCH_TIMEOUT_S, &f->res, NULL) != 0)
		f->failed = 1;
}

static int fetch_with_bytecode(struct fetcher *f)
{
	int rc = gil_run_ticks(f->g, f->who, 0, FETCH_TICKS, NULL, &f->sum, &f->ticks);
	if (rc != 0)
		return rc;
	if (f->let_go)
		rc = gil_blocking_call(f->g, f->who, fetch_once, f);
	else
		fetch_once(f);	/* blocks holding the GIL: nobody else runs meanwhile */
	if (rc != 0)
		return rc;
	return gil_run_ticks(f->g, f->who, 0, FETCH_TICKS, NULL, &f->sum, &f->ticks);
}

static void *fetcher_main(void *arg)
{
	struct fetcher *f = arg;
	f->rc = gil_take(f->g, f->who);
	for (int i = 0; f->rc == 0 && i < f->count && !f->failed; i++)
		f->rc = fetch_with_bytecode(f);
	if (f->rc == 0)
		f->rc = gil_drop(f->g, f->who, GIL_DROP_END);
	return NULL;
}

struct io_run {
	const char *missing;
	struct wb_usage usage;
	char peak[16];          /* the server's peak in flight, or "-" if it keeps no counts */
};

/* `threads` threads share `requests` fetches of url under the GIL `gs`. */
static struct io_run run_fetchers(struct wb_lab *lab, const struct gil_setup *gs, int threads,
				  int requests, int let_go, const char *url)
{
	unsigned needs = gil_needs(gs->mode, gs->forced_switching) | (let_go ? GIL_NEEDS(4) : 0);
	struct io_run r = { .missing = gil_missing(needs) };
	if (r.missing)
		return r;
	struct gil g;
	struct fetcher *f = wb_xcalloc((size_t)threads, sizeof *f);
	struct wb_server_stats st;
	gil_setup_init(&g, gs, NULL);
	wb_server_counts(lab->url, 1, &st);
	for (int i = 0; i < threads; i++)
		f[i] = (struct fetcher){ .g = &g, .who = i, .url = url, .let_go = let_go,
					 .count = requests / threads + (i < requests % threads) };
	struct gil_threads gt = { .n = threads, .main = fetcher_main, .arg = f, .arg_size = sizeof f[0] };
	/* one fetch after another is the slowest a right GIL can be */
	r.usage = measure_threads(&gt, needs, "fetching", requests * (lab->opt.delay + 0.05));
	if (wb_server_counts(lab->url, 0, &st))
		snprintf(r.peak, sizeof r.peak, "%ld", st.peak_in_flight);
	else
		snprintf(r.peak, sizeof r.peak, "-");
	for (int i = 0; i < threads; i++) {
		if (f[i].rc != 0)
			DIE("fetcher %d stopped: an exercise returned %d (see above)", i, f[i].rc);
		if (f[i].failed)
			DIE("%s", f[i].res.error);
	}
	need_no_violation(&g, "fetching");
	gil_destroy(&g);
	free(f);
	return r;
}

static void io_bound(struct wb_lab *lab, const struct settings *s, double *speedup)
{
	char url[512], name[64];
	int n = s->requests;
	wb_url(url, sizeof url, lab->url, "/delay/%g", s->delay_s);
	printf("\n2. I/O-bound: %d fetches of /delay/%g under the new GIL\n", n, s->delay_s);
	wb_http_init();	/* before any thread */
	struct gil_setup none = { GIL_NONE, 0, s->interval_s };	/* the driver's baseline */
	struct io_run one = run_fetchers(lab, &none, 1, n, 0, url);
	snprintf(name, sizeof name, "%d fetches (1 thread)", n);
	struct wb_row *row = wb_results_add(&lab->results, name, one.usage.wall_s, one.usage.cpu_s,
					    n * s->delay_s);
	wb_row_note(row, "the baseline: one fetch after another; peak in flight %s", one.peak);

	struct gil_setup new_gil = { GIL_NEW, 1, s->interval_s };
	struct io_run held = run_fetchers(lab, &new_gil, n, n, 0, url);
	snprintf(name, sizeof name, "%d threads (GIL held)", n);
	if (held.missing) {
		wb_results_add_missing(&lab->results, name, held.missing);
	} else {
		row = wb_results_add(&lab->results, name, held.usage.wall_s, held.usage.cpu_s,
				     s->delay_s);
		wb_row_note(row, "speedup %.2fx; peak in flight %s: one wait at a time",
			    one.usage.wall_s / held.usage.wall_s, held.peak);
	}

	struct io_run free_io = run_fetchers(lab, &new_gil, n, n, 1, url);
	snprintf(name, sizeof name, "%d threads, GIL let go (4.4)", n);
	if (free_io.missing) {
		wb_results_add_missing(&lab->results, name, free_io.missing);
		return;
	}
	row = wb_results_add(&lab->results, name, free_io.usage.wall_s, free_io.usage.cpu_s,
			     s->delay_s);
	*speedup = one.usage.wall_s / free_io.usage.wall_s;
	wb_row_note(row, "speedup %.2fx; peak in flight %s: the waits overlap", *speedup,
		    free_io.peak);
}

/* --- 3. The convoy effect ---------------------------------------------------- */


/* One round trip as Python's sock.sendall(b); sock.recv(1) makes it: a little
 * bytecode, then two blocking calls, each letting go of the GIL. */
static int round_trip(struct gil *g, struct byte_io *io, uint64_t *sum, uint64_t *ticks)
{
	int rc = gil_run_ticks(g, 0, 0, ROUND_TRIP_TICKS, NULL, sum, ticks);
	if (rc == 0)
		rc = gil_blocking_call(g, 0, echo_send, io);
	if (rc == 0)
		rc = gil_blocking_call(g, 0, echo_receive, io);
	return rc;
}

/* The I/O thread (this one, who 0): round trips for `seconds`; their latencies in lat[]. */
static int round_trips_for(struct gil *g, int fd, double seconds, double *lat, int *count)
{
	struct byte_io io = { fd, 'x' };
	uint64_t sum = 0, ticks = 0;
	int rc = gil_take(g, 0);
	double end = wb_now() + seconds;
	*count = 0;
	while (rc == 0 && *count < MAX_ROUND_TRIPS && wb_now() < end) {
		double t0 = wb_now();
		rc = round_trip(g, &io, &sum, &ticks);
		lat[(*count)++] = wb_now() - t0;
	}
	if (rc == 0)
		rc = gil_drop(g, 0, GIL_DROP_END);
	return rc;
}

/* The convoy's experiment: CPU threads started, this thread's round trips, CPU threads stopped. */
struct convoy_call {
	struct gil_threads cpu;
	struct gil *g;
	int fd;
	double seconds;
	double *lat;
	int count, rc;          /* round trips made; what the I/O thread's exercises returned */
};

static int convoy_round_trips(void *arg)
{
	struct convoy_call *c = arg;
	struct gil_cpu_thread *t = c->cpu.arg;
	pthread_t tid[MAX_THREADS];
	for (int i = 0; i < c->cpu.n; i++)
		CHECK_PT(pthread_create(&tid[i], NULL, gil_cpu_thread_main, &t[i]));
	c->rc = round_trips_for(c->g, c->fd, c->seconds, c->lat, &c->count);
	atomic_store(c->cpu.stop, 1);	/* the CPU threads run until the round trips are over */
	for (int i = 0; i < c->cpu.n; i++)
		CHECK_PT(pthread_join(tid[i], NULL));
	return 0;
}

/* The I/O thread's round trips beside `cpu_threads` CPU-bound threads, under the new GIL. */
static struct convoy_run run_convoy(int cpu_threads, double interval_s, double seconds,
				    struct wb_timeline *tl)
{
	unsigned needs = gil_needs(GIL_NEW, 1) | GIL_NEEDS(4);
	struct convoy_run r = { .missing = gil_missing(needs) };
	if (r.missing)
		return r;
	struct gil g;
	struct gil_setup gs = { GIL_NEW, 1, interval_s };
	struct gil_cpu_thread t[MAX_THREADS];
	pthread_t echo;
	atomic_int stop;
	int fds[2];
	double *lat = wb_xcalloc(MAX_ROUND_TRIPS, sizeof *lat);
	atomic_init(&stop, 0);
	CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
	CHECK_PT(pthread_create(&echo, NULL, echo_main, &fds[1]));
	if (tl)
		wb_timeline_reset(tl);
	gil_setup_init(&g, &gs, tl);
	for (int i = 0; i < cpu_threads; i++)
		t[i] = (struct gil_cpu_thread){ .g = &g, .who = i + 1, .ticks = UINT64_MAX / 2,
						.stop = &stop };
	struct convoy_call call = {
		.cpu = { .n = cpu_threads, .main = gil_cpu_thread_main, .arg = t,
			 .arg_size = sizeof t[0], .stop = &stop },
		.g = &g, .fd = fds[0], .seconds = seconds, .lat = lat,
	};
	char which[32];
	struct wb_measure m = wb_lab_measure(&lab4, exercises_in(needs, which, sizeof which),
					     "round trips", seconds,
					     convoy_round_trips, &call);
	r.usage = (struct wb_usage){ .wall_s = m.wall_s, .cpu_s = m.cpu_s };
	r.round_trips = call.count;
	int rc = call.rc;
	CHECK_SYS(shutdown(fds[0], SHUT_WR));	/* the echo thread reads end-of-file and stops */
	CHECK_PT(pthread_join(echo, NULL));
	CHECK_SYS(close(fds[0]));
	CHECK_SYS(close(fds[1]));
	if (rc != 0)
		DIE("the I/O thread stopped: an exercise returned %d (see above)", rc);
	for (int i = 0; i < cpu_threads; i++)
		if (t[i].rc != 0)
			DIE("CPU thread %d stopped: an exercise returned %d", i + 1, t[i].rc);
	need_no_violation(&g, "the convoy");
	r.per_s = r.round_trips / r.usage.wall_s;
	wb_summarize(lat, r.round_trips, &r.latency);
	r.handoffs = g.switch_number;
	gil_destroy(&g);
	free(lat);
	return r;
}

/* How long to measure at an interval: at least `base`, and some 20 intervals. */
static double convoy_seconds(double base, double interval_s)
{
	double enough = 20 * interval_s;
	return base > enough ? base : enough;
}

static struct wb_row *add_convoy_row(struct wb_lab *lab, const char *name,
				     const struct convoy_run *r, double alone_per_s)
{
	if (r->missing) {
		wb_results_add_missing(&lab->results, name, r->missing);
		return NULL;
	}
	struct wb_row *row = wb_results_add(&lab->results, name, r->usage.wall_s, r->usage.cpu_s, 0);
	if (alone_per_s > 0)
		wb_row_note(row, "%.0f round trips/s (%.0fx fewer); median %.2f ms, p99 %.2f ms",
			    r->per_s, alone_per_s / r->per_s, r->latency.median * 1e3,
			    r->latency.p99 * 1e3);
	else
		wb_row_note(row, "%.0f round trips/s; median %.3f ms, p99 %.3f ms", r->per_s,
			    r->latency.median * 1e3, r->latency.p99 * 1e3);
	return row;
}


static void convoy(struct wb_lab *lab, const struct settings *s, struct wb_timeline *tl,
		   struct convoy_figures *fig)
{
	printf("\n3. The convoy effect: round trips to an echo thread, GIL let go around each "
	       "send and receive, at %g ms\n", s->interval_s * 1e3);
	struct convoy_run alone = run_convoy(0, s->interval_s, s->convoy_s / 3, NULL);
	add_convoy_row(lab, "convoy (alone)", &alone, 0);
	if (alone.missing) {	/* the others need the same exercises */
		wb_results_add_missing(&lab->results, "convoy (+1 CPU)", alone.missing);
		wb_results_add_missing(&lab->results, "convoy (+2 CPU)", alone.missing);
		return;
	}
	struct convoy_run one = run_convoy(1, s->interval_s, convoy_seconds(s->convoy_s, s->interval_s),
					   NULL);
	add_convoy_row(lab, "convoy (+1 CPU)", &one, alone.per_s);
	struct convoy_run two = run_convoy(2, s->interval_s, convoy_seconds(s->convoy_s, s->interval_s),
					   NULL);
	add_convoy_row(lab, "convoy (+2 CPU)", &two, alone.per_s);
	*fig = (struct convoy_figures){ 1, alone.per_s, one.per_s, one.latency.median,
					one.latency.p99, two.per_s, two.latency.p99 };
	printf("  alone: %.0f round trips/s.  Beside one CPU thread: %.0f/s, median %.2f ms, p99 "
	       "%.2f ms;\n  beside two: %.0f/s, p99 %.2f ms (max %.1f ms).  A round trip waits about "
	       "one interval\n  for the GIL to come back: the CPU thread keeps it until it is asked.\n",
	       alone.per_s, one.per_s, one.latency.median * 1e3, one.latency.p99 * 1e3, two.per_s,
	       two.latency.p99 * 1e3, two.latency.max * 1e3);

	/* Its own picture: round trips per second are not seconds, so they stay out of the
	 * table's bar chart (whose bars are wall times beside ideal times). */
	const char *labels[] = { "alone", "beside 1 CPU thread", "beside 2 CPU threads" };
	const double per_s[] = { alone.per_s, one.per_s, two.per_s };
	char title[128];
	snprintf(title, sizeof title, "Lab 4: the convoy - round trips per second at a %g ms "
		 "switch interval", s->interval_s * 1e3);
	struct wb_bars bars = {
		.name = "convoy", .title = title, .xlabel = "round trips per second (log scale)",
		.labels = labels, .values = per_s, .rows = 3, .logx = 1,
	};
	wb_lab_bars(lab, &bars);

	/* The picture: some 30 intervals of who held the GIL, I/O thread on row 0. */
	run_convoy(2, s->interval_s, 30 * s->interval_s, tl);
	snprintf(title, sizeof title, "Lab 4: who held the GIL, and why they let go (0: I/O "
		 "thread; 1, 2: CPU threads; %g ms)", s->interval_s * 1e3);
	wb_lab_timeline(lab, tl, "gil-timeline", title);
}

/* --- 4. The switch interval's trade ------------------------------------------- */


static void print_book_row(const char *label, const struct cpu_run *r)
{
	if (r->missing) {
		printf("  %-30s %s\n", label, r->missing);
		return;
	}
	double w = r->usage.wall_s;
	printf("  %-30s %9.0f %9.0f %9.0f %9.0f %10.3f\n", label, r->handoffs / w,
	       r->stats.requests / w, r->stats.wakeups / w, r->stats.futile_wakeups / w,
	       r->asked_slice_s * 1e3);
}

static void bookkeeping_table(const struct settings *s, struct sweep_point *pts,
			      struct wb_timeline *tl)
{
	printf("\n  The GIL's bookkeeping, two CPU threads (per second; slice: median time held "
	       "before a request):\n");
	printf("  %-30s %9s %9s %9s %9s %10s\n", "", "hand-offs", "requests", "wake-ups", "futile",
	       "slice ms");
	char label[64];
	for (int k = 0; k < SWEEP_POINTS; k++) {
		struct gil_setup gs = { GIL_NEW, 1, sweep_ms[k] / 1e3 };
		pts[k].book = run_cpu(&gs, TASKS, UINT64_MAX / 2,
				      convoy_seconds(s->book_s, sweep_ms[k] / 1e3), 0, tl);
		snprintf(label, sizeof label, "new GIL, %g ms", sweep_ms[k]);
		print_book_row(label, &pts[k].book);
	}
	struct gil_setup unforced = { GIL_NEW, 0, s->interval_s };
	struct cpu_run r = run_cpu(&unforced, TASKS, UINT64_MAX / 2, s->book_s, 0, tl);
	snprintf(label, sizeof label, "new GIL, %g ms, not forced", s->interval_s * 1e3);
	print_book_row(label, &r);
	struct gil_setup old_gil = { GIL_OLD, 0, s->interval_s };
	r = run_cpu(&old_gil, TASKS, UINT64_MAX / 2, s->book_s, 0, tl);
	print_book_row("old GIL, every 100 ticks", &r);
	printf("  Not forced: the thread asked to let go takes the GIL straight back (it is "
	       "running, the\n  waiter is asleep), so most requests end in no hand-off.  The old "
	       "GIL lets go every\n  100 ticks and nearly always wins it back: a battle of futile "
	       "wake-ups.\n");
}

static void interval_sweep(struct wb_lab *lab, const struct settings *s,
			   struct sweep_point *pts, double alone_per_s)
{
	printf("\n4. The switch interval: a round trip beside one CPU thread, at %g, %g and %g ms\n",
	       sweep_ms[0], sweep_ms[1], sweep_ms[2]);
	double x[SWEEP_POINTS], measured[SWEEP_POINTS], ideal[SWEEP_POINTS];
	int rows = 0;
	char name[64];
	for (int k = 0; k < SWEEP_POINTS; k++) {
		double iv = sweep_ms[k] / 1e3;
		pts[k].convoy = run_convoy(1, iv, convoy_seconds(s->convoy_s, iv), NULL);
		snprintf(name, sizeof name, "convoy +1 CPU (%g ms)", sweep_ms[k]);
		if (!add_convoy_row(lab, name, &pts[k].convoy, alone_per_s))
			continue;
		pts[k].measured = 1;
		x[rows] = sweep_ms[k];
		measured[rows] = pts[k].convoy.latency.median / iv;
		ideal[rows] = 1;
		printf("  %5g ms: %7.0f round trips/s (1/interval: %5.0f), median %7.3f ms, p99 "
		       "%7.3f ms\n", sweep_ms[k], pts[k].convoy.per_s, 1 / iv,
		       pts[k].convoy.latency.median * 1e3, pts[k].convoy.latency.p99 * 1e3);
		rows++;
	}
	if (rows == 0)
		return;
	struct wb_sweep sweep = {
		.name = "interval",
		.title = "Lab 4: a round trip beside a CPU thread, measured in switch intervals",
		.xlabel = "switch interval, ms (log scale)",
		.ylabel = "median round trip / switch interval",
		.x = x, .measured = measured, .ideal = ideal, .rows = rows, .logx = 1,
		.ideal_title = "one interval (the model)",
	};
	wb_lab_sweep(lab, &sweep);
}

/* --- The summary -------------------------------------------------------------- */

static void summary(const struct cpu_figures *cpu, const struct convoy_figures *cv,
		    double io_speedup, const struct settings *s)
{
	printf("\nSummary (the figures make bench reports):\n");
	if (cpu->new_measured)
		printf("  CPU, 2 threads under the GIL:    %.2fx the sequential time (%.1f cores busy)\n",
		       cpu->new_ratio, cpu->new_cores);
	printf("  CPU, 2 threads without a GIL:    %.2fx faster than sequential (%.1f cores busy)\n",
	       cpu->nogil_speedup, cpu->nogil_cores);
	if (cpu->process_measured)
		printf("  CPU, 2 processes:                %.2fx faster than sequential\n",
		       cpu->process_speedup);
	if (cpu->new_measured)
		printf("  hand-offs, 2 CPU threads:        %.0f/s at %g ms (1/interval: %.0f)\n",
		       cpu->handoffs_per_s, s->interval_s * 1e3, 1 / s->interval_s);
	if (io_speedup > 0)
		printf("  I/O, %d threads under the GIL:    %.2fx faster than one thread\n",
		       s->requests, io_speedup);
	if (cv->measured)
		printf("  convoy at %g ms: median %.2f ms, p99 %.2f ms; %.0f/s alone, %.0f/s beside a "
		       "CPU thread (%.0fx fewer)\n", s->interval_s * 1e3, cv->one_median_s * 1e3,
		       cv->one_p99_s * 1e3, cv->alone_per_s, cv->one_per_s,
		       cv->alone_per_s / cv->one_per_s);
}

int main(int argc, char **argv)
{
	wb_lab_start(&lab4, &spec, 4, "a GIL, simulated", argc, argv);
	struct wb_options *o = &lab4.opt;
	struct settings s = {
		.interval_s = o->interval_ms / 1e3,
		.task_s = o->task_ms / 1e3,
		.ticks = gil_ticks_for(o->task_ms / 1e3),
		.requests = o->requests,
		.delay_s = o->delay,
		.convoy_s = o->quick ? 0.4 : 1.0,
		.book_s = o->quick ? 0.2 : 0.5,
	};
	wb_results_param(&lab4.results, "interval_ms", o->interval_ms);
	wb_results_param(&lab4.results, "task_ms", o->task_ms);
	wb_results_param(&lab4.results, "requests", o->requests);
	wb_results_param(&lab4.results, "delay", o->delay);
	printf("a tick (\"one bytecode\") is %d items of CPU work, %.0f ns here; switch interval %g ms\n",
	       GIL_ITEMS_PER_TICK, GIL_ITEMS_PER_TICK * wb_cpu_ns_per_item(), o->interval_ms);
	/* Room for every slice of a 1 s run at 0.5 ms; beyond that, slices go unrecorded. */
	struct wb_timeline *tl = wb_timeline_new(20000);

	struct cpu_figures cpu = { 0 };
	struct convoy_figures cv = { 0 };
	struct sweep_point pts[SWEEP_POINTS] = { 0 };
	double io_speedup = 0;
	cpu_bound(&lab4, &s, tl, &cpu);
	io_bound(&lab4, &s, &io_speedup);
	convoy(&lab4, &s, tl, &cv);
	interval_sweep(&lab4, &s, pts, cv.alone_per_s);
	bookkeeping_table(&s, pts, tl);
	wb_lab_finish(&lab4);
	beside_cpython(&lab4, &cpu, &cv, pts);
	summary(&cpu, &cv, io_speedup, &s);
	wb_timeline_free(tl);
	return 0;
}
