/*
 * Lab 3: processes for CPU - the driver (scaffolding: read it, but your
 * work goes in exercises.c).
 *
 * T CPU tasks, five ways: one after another (the driver's baseline), a
 * process per task with pipes (3.1) and with shared memory (3.2), a thread
 * per task (the driver: C threads run in parallel too, and it would be
 * dishonest to hide it), and a process pool (3.3).  Then a sweep of pool
 * sizes, what a process costs (3.4) and the task size below which forking
 * does not pay, and what a crashing worker looks like (3.5).
 */
#include "exercises.h"
#include "lab.h"

#include "checked.h"
#include "costs.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct wb_lab_spec spec = {
	.prog = "lab3",
	.summary = "processes for CPU: spreading computation over the cores",
	.accepts = WB_OPT_TASKS | WB_OPT_WORKERS | WB_OPT_TASK_MS,
	/* 0 tasks / workers: decided from the core count at run time */
	.defaults = { .tasks = 0, .workers = 0, .task_ms = 250 },
	.quick = { .tasks = 0, .workers = 0, .task_ms = 40 },
};

typedef int (*run_fn)(int tasks, int workers, uint64_t items, uint64_t *results,
		      struct wb_timeline *tl);

/* --- The driver's own variants: sequential and threads ------------------ */

static int one_after_another(int tasks, int workers, uint64_t items, uint64_t *results,
			     struct wb_timeline *tl)
{
	(void)workers;
	for (int i = 0; i < tasks; i++) {
		double start = wb_now();
		results[i] = wb_cpu_sum((uint64_t)i * items, items);
		wb_timeline_record(tl, 0, i, "cpu", start, wb_now());
	}
	return 0;
}

struct thread_task {
	int task;
	uint64_t items;
	uint64_t *result;
	struct wb_timeline *tl;
};

static void *thread_task_main(void *arg)
{
	struct thread_task *t = arg;
	double start = wb_now();
	*t->result = wb_cpu_sum((uint64_t)t->task * t->items, t->items);
	wb_timeline_record(t->tl, t->task, t->task, "cpu", start, wb_now());
	return NULL;
}

static int thread_per_task(int tasks, int workers, uint64_t items, uint64_t *results,
			   struct wb_timeline *tl)
{
	(void)workers;
	pthread_t *threads = wb_xcalloc((size_t)tasks, sizeof *threads);
	struct thread_task *args = wb_xcalloc((size_t)tasks, sizeof *args);
	for (int i = 0; i < tasks; i++) {
		args[i] = (struct thread_task){ i, items, &results[i], tl };
		CHECK_PT(pthread_create(&threads[i], NULL, thread_task_main, &args[i]));
	}
	for (int i = 0; i < tasks; i++)
		CHECK_PT(pthread_join(threads[i], NULL));
	free(args);
	free(threads);
	return 0;
}

/* --- Adapters: the exercises in one shape ------------------------------- */

static int forked(int tasks, int workers, uint64_t items, uint64_t *results,
		  struct wb_timeline *tl)
{
	(void)workers;
	return run_forked(tasks, items, results, tl);
}

static int forked_shared(int tasks, int workers, uint64_t items, uint64_t *results,
			 struct wb_timeline *tl)
{
	(void)workers;
	return run_forked_shared(tasks, items, results, tl);
}

/* --- Running and checking one variant ------------------------------------ */

struct outcome {
	int status;        /* the function's return value */
	double wall_s, cpu_s;
	int processes;     /* distinct processes that recorded work */
	int overlap;       /* most tasks running at one instant */
};

static uint64_t checksum(const uint64_t *results, int tasks)
{
	uint64_t sum = 0;
	for (int i = 0; i < tasks; i++)
		sum += results[i];
	return sum;
}

/* One variant's arguments, for wb_lab_measure. */
struct variant_call {
	run_fn fn;
	int tasks, workers;
	uint64_t items;
	uint64_t *results;
	struct wb_timeline *tl;
};

static int call_variant(void *arg)
{
	struct variant_call *c = arg;
	return c->fn(c->tasks, c->workers, c->items, c->results, c->tl);
}

/* Run one variant (exercise `exercise`, or NULL for the driver's own) and check its results. */
static struct outcome run_variant(struct wb_lab *lab, const char *exercise, run_fn fn, int tasks,
				  int workers, uint64_t items, struct wb_timeline *tl,
				  uint64_t expected_sum)
{
	struct outcome o = { 0 };
	uint64_t *results = wb_xcalloc((size_t)tasks, sizeof *results);
	struct variant_call call = { fn, tasks, workers, items, results, tl };
	wb_timeline_reset(tl);
	/* one task after another is the slowest a correct exercise can be */
	struct wb_measure m = wb_lab_measure(lab, exercise, "computing",
					     tasks * items * wb_cpu_ns_per_item() / 1e9, call_variant,
					     &call);
	o.status = m.status;
	o.wall_s = m.wall_s;
	o.cpu_s = m.cpu_s;
	o.processes = wb_timeline_distinct_pids(tl, "cpu");
	o.overlap = wb_timeline_max_overlap(tl, "cpu");
	if (o.status == 0 && expected_sum && checksum(results, tasks) != expected_sum)
		wb_lab_wrong(lab, exercise ? exercise : "(driver)",
			     "the combined result is wrong: %llu, expected %llu",
			     (unsigned long long)checksum(results, tasks),
			     (unsigned long long)expected_sum);
	free(results);
	return o;
}

static void add_row(struct wb_lab *lab, const char *name, const char *exercise,
		    const struct outcome *o, double ideal_s)
{
	struct wb_measure m = { o->status, o->wall_s, o->cpu_s };
	struct wb_row *row = wb_lab_row(lab, name, exercise, &m, ideal_s);
	if (!row)
		return;
	wb_row_note(row, "checksum ok; %d process%s, up to %d at once", o->processes,
		    o->processes == 1 ? "" : "es", o->overlap);
}

/*
 * The best speedup `workers` can give `tasks` equal tasks on `cores` cores
 * when the kernel shares the cores out fairly, as Linux does: each worker
 * takes the next task as soon as it is free, and while more workers run than
 * there are cores, each runs at cores/running of one.  Up to `cores` workers
 * this is tasks / rounds, rounds = ceil(tasks / workers).  Beyond, the
 * sharing stretches every round: 3 workers for 4 tasks on 2 cores finish
 * three tasks together after 1.5 task-times, then the fourth alone, 2.5 in
 * all: 1.6x, not the 2x that rounds alone would promise.
 */
static double ideal_pool_speedup(int tasks, int workers, int cores)
{
	enum { MOST = 256 };
	double left[MOST], now = 0;   /* each running task's work still to do, in task-times */
	int running = 0, queued = tasks;
	if (workers > MOST)
		workers = MOST;
	while (queued > 0 && running < workers) {
		left[running++] = 1;
		queued--;
	}
	while (running > 0) {
		double rate = running > cores ? (double)cores / running : 1;
		double first = left[0];
		for (int i = 1; i < running; i++)
			first = left[i] < first ? left[i] : first;
		now += first / rate;          /* until the first of them finishes */
		int still = 0;
		for (int i = 0; i < running; i++) {
			left[i] -= first;
			if (left[i] > 1e-9) {
				left[still++] = left[i];
			} else if (queued > 0) {
				left[still++] = 1;    /* its worker takes the next task */
				queued--;
			}
		}
		running = still;
	}
	return tasks / now;
}

/* --- Sweeps --------------------------------------------------------------- */

/* Speedup of the pool against the baseline, for 1 .. 2 x cores workers. */
static void sweep_workers(struct wb_lab *lab, int tasks, uint64_t items, double seq_s,
			  uint64_t expected_sum, struct wb_timeline *tl)
{
	int cores = wb_cores(), most = 2 * cores;
	double x[64], measured[64], ideal[64];
	int rows = 0;
	printf("\nSpeedup of the pool (3.3) by workers, %d tasks on %d cores:\n", tasks, cores);
	printf("  %8s %10s %10s %10s\n", "workers", "wall s", "speedup", "ideal");
	for (int w = 1; w <= most && rows < 64; w++) {
		struct outcome o = run_variant(lab, "3.3", run_process_pool, tasks, w, items, tl,
					       expected_sum);
		if (o.status == WB_NOT_DONE) {
			printf("  (the sweep runs your pool from exercise 3.3: not done yet)\n");
			return;
		}
		x[rows] = w;
		measured[rows] = seq_s / o.wall_s;
		ideal[rows] = ideal_pool_speedup(tasks, w, cores);
		printf("  %8d %10.3f %9.2fx %9.2fx\n", w, o.wall_s, measured[rows], ideal[rows]);
		rows++;
	}
	char title[128];
	snprintf(title, sizeof title, "Lab 3: speedup vs workers, %d tasks on %d cores", tasks, cores);
	struct wb_sweep sweep = {
		.name = "speedup", .title = title,
		.xlabel = "workers", .ylabel = "speedup over one after another",
		.x = x, .measured = measured, .ideal = ideal, .rows = rows,
		.ideal_title = "ideal (cores shared fairly)",
	};
	wb_lab_sweep(lab, &sweep);
}

/* Forking costs a fixed amount per task: below some task size it does not pay. */
static void sweep_task_sizes(struct wb_lab *lab, double fork_s, struct wb_timeline *tl)
{
	int cores = wb_cores();
	int tasks = cores > 1 ? cores : 2;
	const double sizes_ms[] = { 0.01, 0.03, 0.1, 0.3, 1, 3, 10 };
	const int nsizes = sizeof sizes_ms / sizeof sizes_ms[0];
	double x[16], measured[16], ideal[16];
	/* Parallel ≈ forking `tasks` children one after another, then one task;
	 * sequential = tasks x task.  Equal when task = fork x tasks / (tasks - 1). */
	double break_even_ms = fork_s * tasks / (tasks - 1) * 1000;
	printf("\nWhen does forking pay?  %d tasks (3.1) vs one after another, by task size:\n",
	       tasks);
	printf("  %10s %14s %14s %10s\n", "task ms", "sequential ms", "forked ms", "speedup");
	for (int k = 0; k < nsizes; k++) {
		uint64_t items = wb_cpu_items_for(sizes_ms[k] / 1000);
		double best_seq = 1e9, best_par = 1e9;
		for (int rep = 0; rep < 3; rep++) {	/* best of 3: small times are noisy */
			struct outcome s = run_variant(lab, NULL, one_after_another, tasks, 1, items, tl, 0);
			struct outcome p = run_variant(lab, "3.1", forked, tasks, tasks, items, tl, 0);
			if (p.status == WB_NOT_DONE) {
				printf("  (the sweep runs your exercise 3.1: not done yet)\n");
				return;
			}
			best_seq = s.wall_s < best_seq ? s.wall_s : best_seq;
			best_par = p.wall_s < best_par ? p.wall_s : best_par;
		}
		x[k] = sizes_ms[k];
		measured[k] = best_seq / best_par;
		ideal[k] = tasks < cores ? tasks : cores;
		printf("  %10.2f %14.3f %14.3f %9.2fx\n", sizes_ms[k], best_seq * 1000,
		       best_par * 1000, measured[k]);
	}
	printf("  break-even predicted from the fork cost (3.4): tasks of %.3f ms\n", break_even_ms);
	struct wb_sweep sweep = {
		.name = "task-size",
		.title = "Lab 3: speedup of forking vs task size (dotted: predicted break-even)",
		.xlabel = "task ms (log scale)", .ylabel = "speedup",
		.x = x, .measured = measured, .ideal = ideal, .rows = nsizes,
		.logx = 1, .mark = break_even_ms, .hline = 1,
	};
	wb_lab_sweep(lab, &sweep);
}

/* --- Costs and failures ------------------------------------------------- */

static double process_costs(void)
{
	struct wb_summary fork_cost, spawn_cost, thread_cost;
	int rc = measure_fork_wait(300, &fork_cost);
	wb_cost_spawn(100, &spawn_cost);
	wb_cost_thread(300, &thread_cost);
	printf("\nWhat a worker costs here (medians, measured just now):\n");
	if (rc == WB_NOT_DONE)
		printf("  fork + wait (3.4):          exercise 3.4 not done yet\n");
	else if (rc != 0)
		DIE("exercise 3.4 failed");
	else
		printf("  fork + wait (3.4):          %8.1f us  (min %.1f, max %.1f)\n",
		       fork_cost.median * 1e6, fork_cost.min * 1e6, fork_cost.max * 1e6);
	printf("  posix_spawn /bin/true:      %8.1f us  (a new program: exec and its start-up)\n",
	       spawn_cost.median * 1e6);
	printf("  thread create + join:       %8.1f us\n", thread_cost.median * 1e6);
	return rc == 0 ? fork_cost.median : 0;
}

static void failure_demo(void)
{
	pid_t pids[3];
	fflush(NULL);
	for (int k = 0; k < 3; k++) {
		pids[k] = CHECK_SYS(fork());
		if (pids[k] != 0)
			continue;
		if (k == 1) {	/* a crash: default action for SIGSEGV, whatever tools are loaded */
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
		}
		_exit(k == 2 ? 3 : 0);
	}
	char report[512] = "";
	int rc = wait_for_workers(pids, 3, report, sizeof report);
	printf("\nThree workers: one exits 0, one crashes, one exits 3.  Your report (3.5):\n");
	if (rc == WB_NOT_DONE) {
		/* reap them ourselves: the placeholder did not */
		for (int k = 0; k < 3; k++)
			waitpid(pids[k], NULL, 0);
		printf("  exercise 3.5 not done yet\n");
	} else {
		for (char *line = strtok(report, "\n"); line; line = strtok(NULL, "\n"))
			printf("  | %s\n", line);
		printf("  -> returned %d%s\n", rc,
		       rc == -1 ? " (the run fails, as it should)" : " (a failure went unnoticed!)");
	}
}

int main(int argc, char **argv)
{
	struct wb_lab lab;
	wb_lab_start(&lab, &spec, 3, "processes for CPU", argc, argv);
	struct wb_options *o = &lab.opt;
	int cores = wb_cores();
	int tasks = o->tasks ? o->tasks : 2 * cores;
	int workers = o->workers ? o->workers : cores;
	uint64_t items = wb_cpu_items_for(o->task_ms / 1000);
	wb_results_param(&lab.results, "tasks", tasks);
	wb_results_param(&lab.results, "workers", workers);
	wb_results_param(&lab.results, "task_ms", o->task_ms);
	printf("cpu work: %llu items per %.0f ms task (%.2f ns per item)\n",
	       (unsigned long long)items, o->task_ms, wb_cpu_ns_per_item());

	struct wb_timeline *tl = wb_timeline_new((size_t)tasks + 64);
	uint64_t *expected = wb_xcalloc((size_t)tasks, sizeof *expected);
	struct variant_call baseline = { one_after_another, tasks, 1, items, expected, tl };
	struct wb_measure m = wb_lab_measure(&lab, NULL, "computing", 0, call_variant, &baseline);
	uint64_t sum = checksum(expected, tasks);
	double seq_s = m.wall_s;
	char name[64];
	snprintf(name, sizeof name, "sequential, %d tasks", tasks);
	struct wb_row *base = wb_results_add(&lab.results, name, m.wall_s, m.cpu_s, 0);
	wb_row_note(base, "the baseline (calibrated for %.3f s); checksum %016llx",
		    tasks * o->task_ms / 1000, (unsigned long long)sum);
	wb_results_set_baseline(&lab.results, base);

	/* a task each: all `tasks` at once, sharing the cores */
	double ideal = seq_s / ideal_pool_speedup(tasks, tasks, cores);
	char shared[64] = "";
	if (tasks > cores)
		snprintf(shared, sizeof shared, ": %d at once, time-shared on %d cores", tasks, cores);
	char title[128];
	struct outcome out = run_variant(&lab, "3.1", forked, tasks, tasks, items, tl, sum);
	add_row(&lab, "process per task (3.1)", "3.1", &out, ideal);
	snprintf(title, sizeof title, "Lab 3: a process per task%s", shared);
	if (out.status == 0)
		wb_lab_timeline(&lab, tl, "timeline-forked", title);

	out = run_variant(&lab, "3.2", forked_shared, tasks, tasks, items, tl, sum);
	add_row(&lab, "shared memory (3.2)", "3.2", &out, ideal);

	out = run_variant(&lab, NULL, thread_per_task, tasks, tasks, items, tl, sum);
	add_row(&lab, "C thread per task (driver)", NULL, &out, ideal);
	snprintf(title, sizeof title, "Lab 3: a C thread per task%s", shared);
	wb_lab_timeline(&lab, tl, "timeline-threads", title);

	snprintf(name, sizeof name, "process pool of %d (3.3)", workers);
	out = run_variant(&lab, "3.3", run_process_pool, tasks, workers, items, tl, sum);
	add_row(&lab, name, "3.3", &out, seq_s / ideal_pool_speedup(tasks, workers, cores));
	if (out.status == 0)
		wb_lab_timeline(&lab, tl, "timeline-pool", "Lab 3: a pool of worker processes");

	sweep_workers(&lab, tasks, items, seq_s, sum, tl);
	double fork_s = process_costs();
	if (fork_s > 0)
		sweep_task_sizes(&lab, fork_s, tl);
	failure_demo();
	wb_lab_finish(&lab);

	free(expected);
	wb_timeline_free(tl);
	return 0;
}
