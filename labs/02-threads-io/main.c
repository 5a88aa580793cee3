/*
 * Lab 2: threads for I/O - the driver (scaffolding: read it, but your work
 * goes in exercises.c).
 *
 * N requests to /delay/D, four ways: one after another (the driver's
 * baseline), a thread per request (2.1), a pool of W threads (2.2), and the
 * pool with kept-alive connections (2.4).  For each, the server's own count
 * of requests in flight proves how many really overlapped.  Then a sweep of
 * pool sizes against your predicted staircase (2.5), and what a thread costs.
 */
#include "exercises.h"
#include "lab.h"

#include "checked.h"
#include "costs.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct wb_lab_spec spec = {
	.prog = "lab2",
	.summary = "threads for I/O: N waits overlapped into one",
	.accepts = WB_OPT_URL | WB_OPT_REQUESTS | WB_OPT_DELAY | WB_OPT_WORKERS,
	.defaults = { .requests = 10, .delay = 0.5, .workers = 4 },
	.server = wb_lab_server,
	.quick = { .requests = 6, .delay = 0.1, .workers = 3 },
};

/* The sequential baseline is skipped when it would take longer than this. */
#define MAX_BASELINE_S 20.0

typedef int (*fetch_fn)(const char *const *urls, int n, int workers,
			struct fetch_result *results, struct wb_timeline *tl);

/* 2.1 has no worker count; adapt it to the shape of the pools. */
static int thread_per_request(const char *const *urls, int n, int workers,
			      struct fetch_result *results, struct wb_timeline *tl)
{
	(void)workers;
	return fetch_thread_per_request(urls, n, results, tl);
}

/* The driver's own baseline: plain sequential requests (lab 1's exercise 1.2). */
static int one_after_another(const char *const *urls, int n, int workers,
			     struct fetch_result *results, struct wb_timeline *tl)
{
	(void)workers;
	for (int i = 0; i < n; i++) {
		double start = wb_now();
		results[i].rc = wb_http_fetch(urls[i], REQUEST_TIMEOUT_S, &results[i].http, NULL);
		wb_timeline_record(tl, 0, i, "fetch", start, wb_now());
		if (results[i].rc != 0)
			return 0;
	}
	return 0;
}

struct run {
	struct wb_measure m;            /* status, wall and CPU time */
	struct wb_server_stats stats;   /* the server's view of this run */
	int have_stats;                 /* 0: the server keeps no counts (not ours) */
	long connections;               /* connections the server accepted during the run */
	struct fetch_result *results;   /* one per request (free it) */
};

/* One fetch function's arguments, for wb_lab_measure. */
struct fetch_call {
	fetch_fn fn;
	const char *const *urls;
	int n, workers;
	struct fetch_result *results;
	struct wb_timeline *tl;
};

static int call_fetch(void *arg)
{
	struct fetch_call *c = arg;
	return c->fn(c->urls, c->n, c->workers, c->results, c->tl);
}

/* Run one experiment: reset the server's peak, fetch, read the peak back. */
static void run_fetch(struct wb_lab *lab, const char *exercise, fetch_fn fn,
		      const char *const *urls, int n, int workers, struct wb_timeline *tl,
		      struct run *out)
{
	struct fetch_result *results = wb_xcalloc((size_t)n, sizeof *results);
	out->results = results;
	struct wb_server_stats before;
	wb_server_counts(lab->url, 1, &before);
	wb_timeline_reset(tl);
	struct fetch_call call = { fn, urls, n, workers, results, tl };
	/* one request after another is the slowest a correct exercise can be */
	out->m = wb_lab_measure(lab, exercise, "fetching", n * (lab->opt.delay + 0.05), call_fetch,
				&call);
	out->have_stats = wb_server_counts(lab->url, 0, &out->stats);
	/* minus one: the /stats request that read these figures came on a connection of its own */
	out->connections = out->stats.connections_accepted - before.connections_accepted - 1;
	for (int i = 0; out->m.status == 0 && i < n; i++)
		if (results[i].rc != 0)
			wb_lab_wrong(lab, exercise ? exercise : "(driver)", "request %d failed: %s", i,
				     results[i].http.error);
}

/* One row of the table from one run; returns NULL if the exercise is not done. */
static struct wb_row *add_run(struct wb_lab *lab, const char *name, const char *exercise,
			      const struct run *run, double ideal_s, int show_connections)
{
	struct wb_row *row = wb_lab_row(lab, name, exercise, &run->m, ideal_s);
	if (!row)
		return NULL;
	if (!run->have_stats)
		wb_row_note(row, "(this server keeps no counts)");
	else if (show_connections)
		wb_row_note(row, "peak in flight %ld, %ld connections", run->stats.peak_in_flight,
			    run->connections);
	else
		wb_row_note(row, "peak in flight %ld", run->stats.peak_in_flight);
	return row;
}

/* Exercise 2.3: one thread per result adds it to one shared summary, all at once. */
struct tally {
	struct summary *summary;
	const struct fetch_result *result;
	int rc;
};

static void *tally_one(void *arg)
{
	struct tally *t = arg;
	t->rc = summary_add(t->summary, t->result->http.bytes, t->result->http.seconds);
	return NULL;
}

static void summarize(const struct run *run, int n)
{
	struct summary s = SUMMARY_INIT;
	pthread_t *threads = wb_xcalloc((size_t)n, sizeof *threads);
	struct tally *tallies = wb_xcalloc((size_t)n, sizeof *tallies);
	for (int i = 0; i < n; i++) {
		tallies[i] = (struct tally){ &s, &run->results[i], 0 };
		CHECK_PT(pthread_create(&threads[i], NULL, tally_one, &tallies[i]));
	}
	for (int i = 0; i < n; i++)
		CHECK_PT(pthread_join(threads[i], NULL));
	if (tallies[0].rc == WB_NOT_DONE)
		printf("\nsummary of the thread-per-request run: exercise 2.3 not done yet\n");
	else
		printf("\nsummary of the thread-per-request run (2.3, added up by %d threads at once):\n"
		       "  %d requests, %zu bytes, fastest %.3f s, slowest %.3f s\n",
		       n, s.count, s.total_bytes, s.fastest_s, s.slowest_s);
	free(tallies);
	free(threads);
}

static double rounds_time(int n, int workers, double delay)
{
	return ((n + workers - 1) / workers) * delay;
}

/* Every size up to 12 requests, to show the flat steps of the staircase;
 * beyond that 1, 2, 4, 8, ... then n itself.  Past n, stop. */
static int next_pool_size(int w, int n)
{
	if (w >= n)
		return n + 1;
	if (n <= 12)
		return w + 1;
	return w * 2 < n ? w * 2 : n;
}

/* Exercise 2.5's sweep: every pool size up to 12 (then doubling), measured vs predicted. */
static void sweep_workers(struct wb_lab *lab, const char *const *urls, struct wb_timeline *tl)
{
	int n = lab->opt.requests;
	double x[32], measured[32], predicted[32];
	int rows = 0;
	printf("\nHow many workers? %d requests of %g s, pool sizes from 1 to %d:\n", n,
	       lab->opt.delay, n);
	printf("  %8s %12s %12s %10s\n", "workers", "measured s", "predicted s", "peak");
	for (int w = 1; rows < 32 && w <= n; w = next_pool_size(w, n)) {
		double guess;
		int rc = predict_pool_time(n, w, lab->opt.delay, &guess);
		if (rc == WB_NOT_DONE) {
			printf("  (the sweep needs exercise 2.5 for its predictions: not done yet)\n");
			return;
		}
		if (rounds_time(n, w, lab->opt.delay) > MAX_BASELINE_S) {
			printf("  %8d %12s %12.3f   skipped: over %.0f s\n", w, "-", guess,
			       MAX_BASELINE_S);
			continue;
		}
		struct run run;
		run_fetch(lab, "2.2", fetch_with_pool, urls, n, w, tl, &run);
		if (run.m.status == WB_NOT_DONE) {
			free(run.results);
			printf("  (the sweep runs your pool from exercise 2.2: not done yet)\n");
			return;
		}
		x[rows] = w;
		measured[rows] = run.m.wall_s;
		predicted[rows] = guess;
		char peak[16] = "-";	/* "-": this server keeps no counts, so none is shown */
		if (run.have_stats)
			snprintf(peak, sizeof peak, "%ld", run.stats.peak_in_flight);
		printf("  %8d %12.3f %12.3f %10s\n", w, run.m.wall_s, guess, peak);
		free(run.results);
		rows++;
	}
	struct wb_sweep sweep = {
		.name = "workers", .title = "Lab 2: time vs pool size, and the staircase you predicted",
		.xlabel = "workers", .ylabel = "seconds",
		.x = x, .measured = measured, .ideal = predicted, .rows = rows,
		.ideal_title = "predicted (2.5)",
	};
	wb_lab_sweep(lab, &sweep);
}

static void thread_costs(void)
{
	struct wb_summary cost;
	struct wb_thread_memory mem;
	wb_cost_thread(500, &cost);
	wb_cost_thread_memory(100, &mem);
	printf("\nWhat a thread costs here (measured just now):\n");
	printf("  create + join:  median %.1f us  (min %.1f, max %.1f, %d runs)\n",
	       cost.median * 1e6, cost.min * 1e6, cost.max * 1e6, cost.count);
	printf("  memory:         %.0f KiB of address space reserved per thread (stack %zu KiB),\n"
	       "                  but only %.0f KiB really used (RSS) per idle thread, with %d alive\n",
	       mem.vm_kib_per_thread, mem.stack_bytes / 1024, mem.rss_kib_per_thread, mem.threads);
	printf("  (a stack is reserved address space; pages become memory only when touched)\n");
}

int main(int argc, char **argv)
{
	struct wb_lab lab;
	wb_lab_start(&lab, &spec, 2, "threads for I/O", argc, argv);
	const struct wb_options *o = &lab.opt;
	struct wb_results *r = &lab.results;
	int n = o->requests, w = o->workers;
	wb_results_param(r, "requests", n);
	wb_results_param(r, "delay_s", o->delay);
	wb_results_param(r, "workers", w);

	char url[512];
	wb_url(url, sizeof url, lab.url, "/delay/%g", o->delay);
	const char **urls = wb_xcalloc((size_t)n, sizeof *urls);
	for (int i = 0; i < n; i++)
		urls[i] = url;
	struct wb_timeline *tl = wb_timeline_new((size_t)n + 8);


	struct run run;
	char name[64];
	snprintf(name, sizeof name, "sequential, %d requests", n);
	if (n * o->delay <= MAX_BASELINE_S) {
		run_fetch(&lab, NULL, one_after_another, urls, n, 1, tl, &run);
		struct wb_row *row = add_run(&lab, name, NULL, &run, n * o->delay, 0);
		wb_results_set_baseline(r, row);
		wb_lab_timeline(&lab, tl, "timeline-sequential", "Lab 2: one after another");
		free(run.results);
	} else {
		char why[96];
		snprintf(why, sizeof why, "skipped: would take %.0f s (over %.0f s)", n * o->delay,
			 MAX_BASELINE_S);
		wb_results_add_missing(r, name, why);
	}

	snprintf(name, sizeof name, "thread per request (2.1)");
	run_fetch(&lab, "2.1", thread_per_request, urls, n, n, tl, &run);
	if (add_run(&lab, name, "2.1", &run, o->delay, 0)) {
		wb_lab_timeline(&lab, tl, "timeline-threads", "Lab 2: a thread per request");
		summarize(&run, n);
	}
	free(run.results);

	snprintf(name, sizeof name, "pool of %d (2.2)", w);
	run_fetch(&lab, "2.2", fetch_with_pool, urls, n, w, tl, &run);
	if (add_run(&lab, name, "2.2", &run, rounds_time(n, w, o->delay), 1))
		wb_lab_timeline(&lab, tl, "timeline-pool", "Lab 2: a pool of workers");
	free(run.results);

	snprintf(name, sizeof name, "pool of %d, keep-alive (2.4)", w);
	run_fetch(&lab, "2.4", fetch_with_pool_keepalive, urls, n, w, tl, &run);
	add_run(&lab, name, "2.4", &run, rounds_time(n, w, o->delay), 1);
	free(run.results);

	sweep_workers(&lab, urls, tl);
	thread_costs();
	wb_lab_finish(&lab);

	free(urls);
	wb_timeline_free(tl);
	return 0;
}
