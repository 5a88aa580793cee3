/*
 * Lab 1: the sequential baseline - the driver (scaffolding: read it, but
 * your work goes in exercises.c).
 *
 * It runs each experiment with your exercise functions, measures it, and
 * prints the table every later lab will beat: N requests one after another,
 * T CPU tasks one after another, how each spends its time (waiting or
 * computing), and what you predicted beforehand.
 */
#include "exercises.h"
#include "lab.h"

#include "checked.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>

static const struct wb_lab_spec spec = {
	.prog = "lab1",
	.summary = "the sequential baseline: how long things take one after another",
	.accepts = WB_OPT_URL | WB_OPT_REQUESTS | WB_OPT_DELAY | WB_OPT_TASKS | WB_OPT_TASK_MS,
	.defaults = { .requests = 10, .delay = 0.5, .tasks = 4, .task_ms = 250 },
	.server = wb_lab_server,
	.quick = { .requests = 4, .delay = 0.1, .tasks = 2, .task_ms = 50 },
};

/* The two workloads, packaged so that exercise 1.4 can profile either one. */
struct fetch_job {
	const char *const *urls;
	int n;
	double *times;
	struct wb_timeline *tl;
};

static int run_fetch_job(void *arg)
{
	struct fetch_job *job = arg;
	return fetch_sequentially(job->urls, job->n, job->times, job->tl);
}

struct cpu_job {
	int tasks;
	uint64_t items;
	uint64_t *results;
	struct wb_timeline *tl;
};

static int run_cpu_job(void *arg)
{
	struct cpu_job *job = arg;
	return run_tasks_sequentially(job->tasks, job->items, job->results, job->tl);
}

static void note_classification(struct wb_row *row, const struct workload_profile *p,
				int classified)
{
	if (!classified)
		wb_row_note(row, "class: exercise 1.4 not done yet");
	else
		wb_row_note(row, "%s (cpu %.0f%%, waiting for a core %.0f%% of wall; blocked %ld x, "
			    "preempted %ld x)", p->kind == WORKLOAD_CPU_BOUND ? "CPU-bound" : "I/O-bound",
			    100 * p->cpu_share, p->wall_s > 0 ? 100 * p->waited_s / p->wall_s : 0,
			    p->voluntary_switches, p->involuntary_switches);
}

/*
 * A workload run through exercise 1.4.  While 1.4 is not done, the work
 * runs alone: wb_lab_measure's own wall and CPU time fill the table, and the
 * classification column says what is missing.
 */
struct profiled {
	int (*work)(void *);
	void *arg;
	struct workload_profile p;
	int classified;         /* 1.4 did it */
};

static int run_profiled(void *arg)
{
	struct profiled *q = arg;
	int rc = profile_workload(q->work, q->arg, &q->p);
	q->classified = rc != WB_NOT_DONE;
	return rc != WB_NOT_DONE ? rc : q->work(q->arg);
}

/* The workload's row: with 1.4's own figures once it is done. */
static struct wb_row *add_profiled_row(struct wb_lab *lab, const char *name, const char *exercise,
				       struct wb_measure *m, const struct profiled *q, double ideal)
{
	if (q->classified && m->status == 0) {
		m->wall_s = q->p.wall_s;
		m->cpu_s = q->p.cpu_s;
	}
	struct wb_row *row = wb_lab_row(lab, name, exercise, m, ideal);
	if (row)
		note_classification(row, &q->p, q->classified);
	return row;
}

struct one_request {
	const char *url;
	double seconds;
};

static int run_one_request(void *arg)
{
	struct one_request *r = arg;
	return time_one_request(r->url, &r->seconds);
}

int main(int argc, char **argv)
{
	struct wb_lab lab;
	wb_lab_start(&lab, &spec, 1, "the sequential baseline", argc, argv);
	const struct wb_options *o = &lab.opt;
	struct wb_results *r = &lab.results;
	wb_results_param(r, "requests", o->requests);
	wb_results_param(r, "delay_s", o->delay);
	wb_results_param(r, "tasks", o->tasks);
	wb_results_param(r, "task_ms", o->task_ms);

	/* The driver's own probe: one small request, so the table has a real
	 * number before any exercise is done (and the connection path is warm). */
	char url[512];
	struct wb_http_result probe;
	wb_url(url, sizeof url, lab.url, "/get");
	if (wb_http_fetch(url, REQUEST_TIMEOUT_S, &probe, NULL) != 0) {
		fprintf(stderr, "lab1: %s\n", probe.error);
		return 1;
	}
	wb_row_note(wb_results_add(r, "probe: GET /get (driver)", probe.seconds, -1, 0),
		    "measured by the driver, not an exercise");

	/* Calibrate the CPU work so that one task takes --task-ms on this machine. */
	uint64_t items = wb_cpu_items_for(o->task_ms / 1000);
	printf("cpu work: %.2f ns per item, %llu items per %.0f ms task\n",
	       wb_cpu_ns_per_item(), (unsigned long long)items, o->task_ms);

	/* 1.1: one request. */
	char delay_url[512];
	wb_url(delay_url, sizeof delay_url, lab.url, "/delay/%g", o->delay);
	struct one_request one = { delay_url, 0 };
	struct wb_measure m = wb_lab_measure(&lab, "1.1", "fetching", o->delay, run_one_request, &one);
	double overhead = 0;
	m.wall_s = one.seconds;	/* the row shows what 1.1 measured */
	struct wb_row *row = wb_lab_row(&lab, "one request (1.1)", "1.1", &m, o->delay);
	if (row) {
		overhead = one.seconds > o->delay ? one.seconds - o->delay : 0;
		row->cpu_s = -1;
		wb_row_note(row, "overhead beyond the delay: %.1f ms", 1000 * overhead);
	}

	/* 1.5: predict, before running anything big. */
	struct plan plan = {
		.requests = o->requests, .delay_s = o->delay, .request_overhead_s = overhead,
		.tasks = o->tasks, .task_s = o->task_ms / 1000,
	};
	double predicted = 0;
	int rc = predict_sequential_time(&plan, &predicted);
	if (rc == WB_NOT_DONE)
		printf("prediction: exercise 1.5 not done yet\n");
	else
		printf("prediction: %d requests + %d tasks one after another take %.3f s\n",
		       o->requests, o->tasks, predicted);
	fflush(stdout);

	/* 1.2 (+1.4): N requests one after another. */
	struct wb_timeline *tl = wb_timeline_new((size_t)(o->requests + o->tasks) + 8);
	const char **urls = wb_xcalloc((size_t)o->requests, sizeof *urls);
	for (int i = 0; i < o->requests; i++)
		urls[i] = delay_url;
	double *times = wb_xcalloc((size_t)o->requests, sizeof *times);
	struct fetch_job fetch = { urls, o->requests, times, tl };
	struct profiled fp = { .work = run_fetch_job, .arg = &fetch };
	char name[64];
	snprintf(name, sizeof name, "%d requests in a row (1.2)", o->requests);
	m = wb_lab_measure(&lab, "1.2", "fetching", o->requests * (o->delay + 0.05), run_profiled,
			   &fp);
	double measured_total = 0;
	if (add_profiled_row(&lab, name, "1.2", &m, &fp, o->requests * o->delay))
		measured_total += m.wall_s;

	/* 1.3 (+1.4): T CPU tasks one after another. */
	uint64_t *results = wb_xcalloc((size_t)o->tasks, sizeof *results);
	struct cpu_job cpu = { o->tasks, items, results, tl };
	struct profiled cp = { .work = run_cpu_job, .arg = &cpu };
	snprintf(name, sizeof name, "%d CPU tasks in a row (1.3)", o->tasks);
	m = wb_lab_measure(&lab, "1.3", "computing", o->tasks * o->task_ms / 1000, run_profiled, &cp);
	int both_ran = measured_total > 0;
	if (add_profiled_row(&lab, name, "1.3", &m, &cp, o->tasks * o->task_ms / 1000))
		measured_total += m.wall_s;
	else
		both_ran = 0;

	if (wb_timeline_count(tl) > 0)
		wb_lab_timeline(&lab, tl, "timeline", "Lab 1: one thing at a time");
	wb_lab_finish(&lab);

	if (predicted > 0 && both_ran)
		printf("\nprediction %.3f s, measured %.3f s: off by %+.1f%%\n", predicted,
		       measured_total, 100 * (measured_total - predicted) / predicted);

	int cores = wb_cores();
	int lanes = o->tasks < cores ? o->tasks : cores;
	printf("\nThe ideals the next labs chase (from this run's parameters, %d cores):\n", cores);
	printf("  lab 2, threads for I/O:    %d requests in %.3f s  (every wait overlaps: one delay)\n",
	       o->requests, o->delay);
	printf("  lab 3, processes for CPU:  %d tasks in %.3f s  (tasks x task time / min(tasks, cores))\n",
	       o->tasks, o->tasks * o->task_ms / 1000 / lanes);

	free(results);
	free(times);
	free(urls);
	wb_timeline_free(tl);
	return 0;
}
