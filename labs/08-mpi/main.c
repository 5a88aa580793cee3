/*
 * Lab 8: beyond one machine (MPI) - the driver (scaffolding: read it, but
 * your work goes in exercises.c).
 *
 * This program is both the launcher and the ranks: it runs `mpirun` on
 * itself, and the copies mpirun starts see WB_LAB8_RANK_JOB and run as
 * ranks (driver_rank.c).  The launcher measures the one-machine baselines
 * (one after another, a process pool like lab 3's, a pipe round trip),
 * runs the jobs - over shared memory, over TCP loopback, with more ranks
 * than cores - and one in which it kills a rank (8.5), then checks,
 * prints and draws what the ranks reported.
 */
#include "driver.h"
#include "driver_pool.h"
#include "lab.h"
#include "mpilaunch.h"
#include "ranklib.h"

#include "checked.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const struct wb_lab_spec spec = {
	.prog = "lab8",
	.summary = "beyond one machine: the same program as N ranks of an MPI job",
	.accepts = WB_OPT_TASKS | WB_OPT_TASK_MS,
	.defaults = { .tasks = 0, .task_ms = 250 },	/* 0 tasks: 2 x cores, as lab 3 */
	.quick = { .tasks = 0, .task_ms = 40 },
};

struct lab8_run {
	struct wb_lab *lab;
	struct lab8_params p;
	int ranks;                     /* one per core (at least 2) */
	struct lab8_tasks uniform, uneven;
	uint64_t *seq_uniform, *seq_uneven;   /* the sequential results, per task */
	double seq_uniform_s, seq_uneven_s;
	struct wb_timeline *tl;
};

/* --- Running a job --------------------------------------------------------- */

struct job_call {
	struct lab8_run *run;
	struct lab8_job_spec spec;
	const char *what;
	double limit_s;
	struct lab8_report *rep;
};

/* Start the job, wait for it (at most limit_s), read its report.  A job that
 * does not end in time is killed, and the experiment it was in is named. */
static int run_job(void *arg)
{
	struct job_call *c = arg;
	char params[128];
	lab8_params_format(&c->run->p, params, sizeof params);
	c->spec.args = params;
	struct lab8_job job;
	lab8_job_start(&c->spec, &job);
	printf("\n%s: %s\n", c->what, job.command);
	fflush(stdout);
	int status;
	int stuck = lab8_job_wait(&job, c->limit_s, &status);
	lab8_report_load(c->rep, job.report_path);
	lab8_job_cleanup(&job);
	char where[64];
	if (stuck) {
		const char *at = lab8_report_last_begin(c->rep, where, sizeof where);
		fprintf(stderr, "lab8: the job (%s) was still running after %.0f s%s%s: stopped, with "
			"every rank.\nlab8: a rank waiting for a message nobody sends? `make check8` "
			"names the exercise.\n", c->what, c->limit_s, at ? ", in experiment " : "",
			at ? at : "");
		exit(1);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *at = lab8_report_last_begin(c->rep, where, sizeof where);
		fprintf(stderr, "lab8: the job (%s) failed (mpirun's status %#x)%s%s; its message is "
			"above.\n", c->what, status, at ? ", in experiment " : "", at ? at : "");
		exit(1);
	}
	return 0;
}

static void job(struct lab8_run *run, const char *name, const char *transport, int ranks,
		const char *what, struct lab8_report *rep)
{
	/* the slowest correct run: every task one after another, twice, plus the jobs' start */
	double expected = 2 * (run->seq_uniform_s + run->seq_uneven_s) + 10;
	struct job_call c = { run, { name, NULL, ranks, transport, 0, 0 }, what, stuck_after(expected),
			      rep };
	wb_lab_measure(run->lab, NULL, what, 0, run_job, &c);
}

/* --- What the ranks reported ----------------------------------------------- */

struct experiment {
	int status;          /* 0, WB_NOT_DONE */
	int ranks;
	double wall_s, cpu_s, work_s, sends, bytes, collectives;
	struct lab8_rank_row rows[64];
};

/* The rank lines of one experiment; exits when a rank says its exercise failed. */
static struct experiment experiment(struct lab8_run *run, const struct lab8_report *rep,
				    const char *label, const char *exercise)
{
	struct experiment e = { 0 };
	e.ranks = lab8_report_rows(rep, label, e.rows, 64);
	if (e.ranks == 0)
		wb_lab_wrong(run->lab, exercise, "experiment %s: no rank reported", label);
	double start = e.rows[0].start, end = e.rows[0].end;
	for (int k = 0; k < e.ranks; k++) {
		const struct lab8_rank_row *r = &e.rows[k];
		if (r->rc == WB_NOT_DONE)
			e.status = WB_NOT_DONE;
		else if (r->rc != 0)
			wb_lab_wrong(run->lab, exercise, "rank %d returned %d in experiment %s", k, r->rc,
				     label);
		start = r->start < start ? r->start : start;
		end = r->end > end ? r->end : end;
		e.cpu_s += r->cpu_s;
		e.work_s += r->work_s;
		e.sends += r->sends;
		e.bytes += r->bytes;
		e.collectives += r->collectives;
	}
	e.wall_s = end - start;
	return e;
}

static uint64_t halves(const struct lab8_report *rep, const char *label, const char *key)
{
	char lo[32], hi[32];
	double l = 0, h = 0;
	snprintf(lo, sizeof lo, "%s_lo", key);
	snprintf(hi, sizeof hi, "%s_hi", key);
	if (!lab8_report_get(rep, label, lo, &l) || !lab8_report_get(rep, label, hi, &h))
		return 0;
	return (uint64_t)l | (uint64_t)h << 32;
}

/* Every task done exactly once, by the spans the ranks logged. */
static void check_tasks(struct lab8_run *run, const struct lab8_report *rep, const char *label,
			const char *exercise, int count)
{
	int *done = wb_xcalloc((size_t)count + 1, sizeof *done);
	lab8_report_spans(rep, label, NULL, done, count);
	for (int i = 0; i < count; i++)
		if (done[i] != 1)
			wb_lab_wrong(run->lab, exercise, "experiment %s: task %d was done %d times", label,
				     i, done[i]);
	free(done);
}

static void print_ranks(const struct experiment *e)
{
	printf("    %4s %9s %9s %9s %8s %10s %6s\n", "rank", "work s", "cpu s", "wall s", "msgs", "bytes",
	       "coll");
	for (int k = 0; k < e->ranks; k++) {
		const struct lab8_rank_row *r = &e->rows[k];
		printf("    %4d %9.3f %9.3f %9.3f %8.0f %10.0f %6.0f%s\n", k, r->work_s, r->cpu_s,
		       r->end - r->start, r->sends, r->bytes, r->collectives,
		       r->cpu_s > 1.3 * r->work_s + 0.01 ? "   <- cpu beyond its work: polling" : "");
	}
}

/* One experiment's row in the table, after checking its result. */
static void row(struct lab8_run *run, const struct lab8_report *rep, const char *label,
		const char *exercise, const char *name, const struct lab8_tasks *t,
		const uint64_t *seq, double seq_s, const char *gantt)
{
	struct experiment e = experiment(run, rep, label, exercise);
	struct wb_measure m = { e.status, e.wall_s, e.cpu_s };
	double ideal = seq_s / (e.ranks < wb_cores() ? e.ranks : wb_cores());
	struct wb_row *r = wb_lab_row(run->lab, name, exercise, &m, ideal);
	if (!r)
		return;
	if (strcmp(exercise, "8.2") == 0) {
		uint64_t want = 0;
		for (int i = 0; i < t->count; i++)
			want += seq[i];
		if (halves(rep, label, "total") != want)
			wb_lab_wrong(run->lab, exercise, "experiment %s: the total is %llu, expected %llu",
				     label, (unsigned long long)halves(rep, label, "total"),
				     (unsigned long long)want);
	} else if (halves(rep, label, "hash") != lab8_results_hash(seq, t->count)) {
		wb_lab_wrong(run->lab, exercise, "experiment %s: results[] differ from the sequential "
			     "ones", label);
	}
	check_tasks(run, rep, label, exercise, t->count);
	wb_row_note(r, "result ok; %d ranks, %.0f msgs (%.0f bytes), %.0f collectives", e.ranks,
		    e.sends, e.bytes, e.collectives);
	printf("  %s: %.3f s (ideal %.3f s, efficiency %.2f)\n", name, e.wall_s, ideal,
	       ideal / e.wall_s);
	print_ranks(&e);
	if (gantt) {
		char title[128];
		snprintf(title, sizeof title, "Lab 8: %s, one row per rank", name);
		wb_timeline_reset(run->tl);
		lab8_report_spans(rep, label, run->tl, NULL, 0);
		wb_timeline_set_origin(run->tl, e.rows[0].start);
		wb_lab_timeline(run->lab, run->tl, gantt, title);
	}
}

/* --- 8.1: ping-pong, beside a pipe ----------------------------------------- */

static double lab8_first_rt(const struct lab8_report *rep, int bytes)
{
	char label[32];
	double rt = 0;
	snprintf(label, sizeof label, "8.1-%d", bytes);
	lab8_report_get(rep, label, "round_trip_s", &rt);
	return rt;
}

static void pingpong_table(struct lab8_run *run, const struct lab8_report *shm,
			   const struct lab8_report *tcp, double pipe_rt)
{
	int bytes[16], reps[16];
	int n = lab8_pingpong_sizes(&run->p, bytes, reps, 16);
	double x[16], bw_shm[16], bw_tcp[16];
	printf("\nPing-pong (8.1): round trip and bandwidth by message size, 2 ranks\n");
	printf("  %9s %12s %11s %12s %11s\n", "bytes", "shm rt us", "shm MB/s", "tcp rt us",
	       "tcp MB/s");
	int rows = 0;
	for (int k = 0; k < n; k++) {
		char label[32];
		snprintf(label, sizeof label, "8.1-%d", bytes[k]);
		struct experiment es = experiment(run, shm, label, "8.1");
		struct experiment et = experiment(run, tcp, label, "8.1");
		if (es.status == WB_NOT_DONE || et.status == WB_NOT_DONE) {
			printf("  (exercise 8.1 not done yet)\n");
			break;
		}
		double rs = 0, rt = 0;
		lab8_report_get(shm, label, "round_trip_s", &rs);
		lab8_report_get(tcp, label, "round_trip_s", &rt);
		if (!(rs > 0) || !(rt > 0))
			wb_lab_wrong(run->lab, "8.1", "no round trip time for %d bytes", bytes[k]);
		x[rows] = bytes[k];
		bw_shm[rows] = 2.0 * bytes[k] / rs / 1e6;
		bw_tcp[rows] = 2.0 * bytes[k] / rt / 1e6;
		printf("  %9d %12.2f %11.1f %12.2f %11.1f\n", bytes[k], rs * 1e6, bw_shm[rows],
		       rt * 1e6, bw_tcp[rows]);
		if (k == 0) {	/* figures, not experiments with a wall time: parameters of the run */
			wb_results_param(&run->lab->results, "rt_1B_shm_us", rs * 1e6);
			wb_results_param(&run->lab->results, "rt_1B_tcp_us", rt * 1e6);
			wb_results_param(&run->lab->results, "rt_1B_pipe_us", pipe_rt * 1e6);
		}
		rows++;
	}
	if (rows == 0) {
		struct wb_measure m = { WB_NOT_DONE, 0, 0 };
		wb_lab_row(run->lab, "1 B round trip (8.1)", "8.1", &m, 0);
		return;
	}
	printf("  a pipe pair between two processes (driver): %.2f us round trip (1 byte)\n",
	       pipe_rt * 1e6);
	printf("  1 byte: shared memory %.2fx a pipe's round trip, TCP loopback %.2fx (%.1fx shm)\n",
	       lab8_first_rt(shm, bytes[0]) / pipe_rt,
	       lab8_first_rt(tcp, bytes[0]) / pipe_rt,
	       lab8_first_rt(tcp, bytes[0]) / lab8_first_rt(shm, bytes[0]));
	struct wb_sweep sw = {
		.name = "bandwidth", .title = "Lab 8: ping-pong bandwidth by message size (8.1)",
		.xlabel = "message bytes (log scale)",
		.ylabel = "MB/s (measured: shared memory)",
		.x = x, .measured = bw_shm, .ideal = bw_tcp, .ideal_title = "TCP loopback",
		.rows = rows, .logx = 1,
	};
	wb_lab_sweep(run->lab, &sw);
}

/* --- 8.4: granularity --------------------------------------------------------- */

static void granularity(struct lab8_run *run, const struct lab8_report *rep, const char *transport)
{
	double task_s[16], eff[16], ideal[16], ms[16];
	int tasks[16];
	int n = lab8_sweep_sizes(&run->p, task_s, tasks, 16), rows = 0;
	printf("\nGranularity over %s (8.3's master and workers, %d ranks):\n", transport, run->ranks);
	printf("  %10s %8s %10s %10s\n", "task ms", "tasks", "wall ms", "efficiency");
	for (int k = 0; k < n; k++) {
		char label[48];
		snprintf(label, sizeof label, "8.4-%s-%d", transport, k);
		struct experiment e = experiment(run, rep, label, "8.3");
		if (e.status == WB_NOT_DONE) {
			printf("  (the sweep runs your exercise 8.3: not done yet)\n");
			return;
		}
		uint64_t items = (uint64_t)(task_s[k] * 1e9 / run->p.ns_per_item);
		double work = tasks[k] * (double)(items ? items : 1) * run->p.ns_per_item / 1e9;
		double best = work / (run->ranks < wb_cores() ? run->ranks : wb_cores());
		ms[k] = task_s[k] * 1e3;
		eff[k] = best / e.wall_s;
		ideal[k] = 1;
		printf("  %10.4f %8d %10.2f %10.2f\n", ms[k], tasks[k], e.wall_s * 1e3, eff[k]);
		rows++;
	}
	double be = 0;
	char name[40];
	snprintf(name, sizeof name, "break-even, %s (8.4)", transport);
	struct wb_measure m = { 0, 0, -1 };
	m.status = find_break_even(task_s, eff, rows, 0.5, &be);
	if (m.status == -1)
		wb_lab_wrong(run->lab, "8.4", "find_break_even failed");
	if (m.status == WB_NOT_DONE) {
		wb_lab_row(run->lab, name, "8.4", &m, 0);
		printf("  break-even (8.4): exercise 8.4 not done yet\n");
	} else {
		/* a size, not an experiment: a parameter of the run (-1: above every size tried) */
		snprintf(name, sizeof name, "break_even_%s_ms", transport);
		wb_results_param(&run->lab->results, name, isfinite(be) ? be * 1e3 : -1);
		if (isinf(be))
			printf("  break-even (8.4): efficiency stays below 0.5 up to tasks of %.0f ms\n",
			       ms[rows - 1]);
		else if (be == 0)
			printf("  break-even (8.4): efficiency is above 0.5 even for tasks of %.3f ms\n",
			       ms[0]);
		else
			printf("  break-even (8.4): efficiency falls below 0.5 under tasks of %.4f ms\n",
			       be * 1e3);
	}
	char title[128], file[32];
	snprintf(title, sizeof title, "Lab 8: efficiency by task size over %s (dotted: efficiency "
		 "0.5, and the break-even size of 8.4 where it is crossed)", transport);
	snprintf(file, sizeof file, "granularity-%s", transport);
	struct wb_sweep sw = {
		.name = file, .title = title, .xlabel = "task ms (log scale)", .ylabel = "efficiency",
		.x = ms, .measured = eff, .ideal = ideal, .rows = rows, .logx = 1,
		.mark = isfinite(be) ? be * 1e3 : 0, .hline = 0.5,
	};
	wb_lab_sweep(run->lab, &sw);
}

/* --- 8.5: a rank dies -------------------------------------------------------- */

static void a_rank_dies(struct lab8_run *run)
{
	int ranks = run->ranks + 1;	/* a master and a worker per core */
	char params[128];
	lab8_params_format(&run->p, params, sizeof params);
	struct lab8_job_spec js = { "die", params, ranks, NULL, 1, 0 };
	struct lab8_job job;
	lab8_job_start(&js, &job);
	printf("\nA rank dies (8.5): %s\n", job.command);
	char line[256];
	pid_t pids[64];
	if (lab8_job_await_line(&job, "running", 30, line, sizeof line) != 0 ||
	    lab8_report_pids(job.report_path, pids, 64) != ranks) {
		lab8_job_kill(&job);
		lab8_job_cleanup(&job);
		DIE("the 8.5 job did not start its rounds");
	}
	struct lab8_job_end end = { 0 };
	int victim = ranks - 1;
	printf("  %d ranks running rounds of work + MPI_Allreduce; killing rank %d (pid %d)\n", ranks,
	       victim, (int)pids[victim]);
	struct wb_measure m = { 0, 0, -1 };
	m.status = watch_job(job.pid, pids, ranks, victim, 10, &end);
	if (m.status == WB_NOT_DONE) {
		lab8_job_kill(&job);	/* the placeholder touched nothing: clean up for it */
		printf("  exercise 8.5 not done yet\n");
	} else if (m.status != 0) {
		lab8_job_kill(&job);
		lab8_job_cleanup(&job);
		wb_lab_wrong(run->lab, "8.5", "watch_job failed");
	} else {
		m.wall_s = end.ended_after_s;
		wb_results_param(&run->lab->results, "abort_after_kill_s", end.ended_after_s);
		const char *how = WIFEXITED(end.status) ? "exited with status" : "was killed by signal";
		int code = WIFEXITED(end.status) ? WEXITSTATUS(end.status) : WTERMSIG(end.status);
		printf("  the job %s by itself %.2f s after the kill: mpirun %s %d\n",
		       end.ended_by_itself ? "ended" : "did NOT end", end.ended_after_s, how, code);
		printf("  ranks left running then: %d (killed); now: %d\n", end.survivors,
		       lab8_count_alive(pids, ranks));
		FILE *f = fopen(job.err_path, "r");
		if (f) {
			printf("  what mpirun said:\n");
			while (fgets(line, sizeof line, f))
				if (line[0] != '-' && line[0] != '\n')
					printf("  | %s", line);
			fclose(f);
		}
		job.pid = 0;
	}
	if (m.status == WB_NOT_DONE)
		wb_lab_row(run->lab, "a rank killed (8.5)", "8.5", &m, 0);
	if (lab8_count_alive(pids, ranks) > 0)
		wb_lab_wrong(run->lab, "8.5", "%d ranks still running", lab8_count_alive(pids, ranks));
	lab8_job_cleanup(&job);
}

/* --- The one-machine baselines ------------------------------------------------ */

struct seq_call {
	const struct lab8_tasks *t;
	uint64_t *results;
	int workers;   /* 0: one after another */
};

static int compute(void *arg)
{
	struct seq_call *c = arg;
	if (c->workers == 0)
		for (int i = 0; i < c->t->count; i++)
			c->results[i] = wb_cpu_sum(c->t->first[i], c->t->items[i]);
	else
		lab8_pool_run(c->t, c->workers, c->results);
	return 0;
}

static double baseline(struct lab8_run *run, const struct lab8_tasks *t, uint64_t *results,
		       const char *name)
{
	struct seq_call c = { t, results, 0 };
	struct wb_measure m = wb_lab_measure(run->lab, NULL, "one after another", 0, compute, &c);
	struct wb_row *r = wb_results_add(&run->lab->results, name, m.wall_s, m.cpu_s, 0);
	wb_row_note(r, "the reference for the results");
	return m.wall_s;
}

static void pool(struct lab8_run *run)
{
	uint64_t *results = wb_xcalloc((size_t)run->uniform.count, sizeof *results);
	struct seq_call c = { &run->uniform, results, run->ranks };
	struct wb_measure m = wb_lab_measure(run->lab, NULL, "a process pool", 0, compute, &c);
	for (int i = 0; i < run->uniform.count; i++)
		if (results[i] != run->seq_uniform[i])
			DIE("the driver's pool got task %d wrong", i);
	char name[40];
	snprintf(name, sizeof name, "process pool of %d (as lab 3)", run->ranks);
	struct wb_row *r = wb_results_add(&run->lab->results, name, m.wall_s, m.cpu_s,
					  run->seq_uniform_s / (run->ranks < wb_cores() ? run->ranks :
								 wb_cores()));
	wb_row_note(r, "fork + shared memory, one machine");
	printf("  process pool of %d (driver): %.3f s\n", run->ranks, m.wall_s);
	free(results);
}

static void hellos(const struct lab8_report *rep)
{
	for (int i = 0; i < rep->n; i++)
		if (strncmp(rep->lines[i], "host ", 5) == 0) {
			int k;
			char host[64];
			if (sscanf(rep->lines[i] + 5, "%d %63s", &k, host) == 2)
				printf("  hello from rank %d on %s\n", k, host);
		}
}

int main(int argc, char **argv)
{
	if (lab8_rank_job())
		return lab8_rank_main(argc, argv);
	struct wb_lab lab;
	wb_lab_start(&lab, &spec, 8, "beyond one machine (MPI)", argc, argv);
	const char *why;
	if (!lab8_have_mpi(&why)) {
		printf("lab8: %s.\nlab8: lab 8 needs Open MPI: nothing to run here (skipped).\n", why);
		return 0;
	}
	struct lab8_run run = { .lab = &lab };
	int cores = wb_cores();
	run.ranks = cores > 1 ? cores : 2;
	run.p.tasks = lab.opt.tasks ? lab.opt.tasks : 2 * cores;
	run.p.items = wb_cpu_items_for(lab.opt.task_ms / 1000);
	run.p.quick = lab.opt.quick;
	run.p.ns_per_item = wb_cpu_ns_per_item();
	wb_results_param(&lab.results, "tasks", run.p.tasks);
	wb_results_param(&lab.results, "task_ms", lab.opt.task_ms);
	wb_results_param(&lab.results, "ranks", run.ranks);
	printf("cpu work: %d tasks of %llu items (%.0f ms), as lab 3; %d uneven tasks (a ramp)\n",
	       run.p.tasks, (unsigned long long)run.p.items, lab.opt.task_ms,
	       lab8_uneven_count(&run.p));
	lab8_tasks_uniform(&run.uniform, run.p.tasks, run.p.items);
	lab8_tasks_uneven(&run.uneven, lab8_uneven_count(&run.p), run.p.items / 2);
	run.seq_uniform = wb_xcalloc((size_t)run.uniform.count, sizeof *run.seq_uniform);
	run.seq_uneven = wb_xcalloc((size_t)run.uneven.count, sizeof *run.seq_uneven);
	run.tl = wb_timeline_new(4096);

	char name[40];
	snprintf(name, sizeof name, "sequential, %d tasks", run.uniform.count);
	run.seq_uniform_s = baseline(&run, &run.uniform, run.seq_uniform, name);
	wb_results_set_baseline(&lab.results, &lab.results.rows[lab.results.nrows - 1]);
	snprintf(name, sizeof name, "sequential, %d uneven tasks", run.uneven.count);
	run.seq_uneven_s = baseline(&run, &run.uneven, run.seq_uneven, name);
	pool(&run);
	double pipe_rt = lab8_pipe_round_trip(run.p.quick ? 5000 : 20000);

	struct lab8_report shm, tcp, over;
	job(&run, "shm", "shm", run.ranks, "the job over shared memory", &shm);
	hellos(&shm);
	job(&run, "tcp", "tcp", run.ranks, "the job over TCP loopback", &tcp);
	pingpong_table(&run, &shm, &tcp, pipe_rt);

	printf("\nThe same tasks, spread over %d ranks (shared memory):\n", run.ranks);
	row(&run, &shm, "8.2-uniform", "8.2", "static partition (8.2)", &run.uniform,
	    run.seq_uniform, run.seq_uniform_s, NULL);
	row(&run, &shm, "8.3-uniform", "8.3", "master and workers (8.3)", &run.uniform,
	    run.seq_uniform, run.seq_uniform_s, NULL);
	row(&run, &shm, "8.2-uneven", "8.2", "static, uneven tasks (8.2)", &run.uneven,
	    run.seq_uneven, run.seq_uneven_s, "timeline-static");
	row(&run, &shm, "8.3-uneven", "8.3", "master/workers, uneven (8.3)", &run.uneven,
	    run.seq_uneven, run.seq_uneven_s, "timeline-dynamic");

	if (!run.p.quick) {	/* one mpirun less under --quick (each costs about 0.5 s) */
		job(&run, "over", NULL, 2 * run.ranks, "more ranks than cores", &over);
		snprintf(name, sizeof name, "static, %d ranks (8.2)", 2 * run.ranks);
		row(&run, &over, "8.2-over", "8.2", name, &run.uniform, run.seq_uniform,
		    run.seq_uniform_s, NULL);
		snprintf(name, sizeof name, "static, uneven, %d ranks (8.2)", 2 * run.ranks);
		row(&run, &over, "8.2-over-uneven", "8.2", name, &run.uneven, run.seq_uneven,
		    run.seq_uneven_s, "timeline-static-more");
		snprintf(name, sizeof name, "master/w., uneven, %d ranks (8.3)", 2 * run.ranks);
		row(&run, &over, "8.3-over-uneven", "8.3", name, &run.uneven, run.seq_uneven,
		    run.seq_uneven_s, "timeline-dynamic-more");
	} else {
		over.lines = NULL;
		over.n = 0;
		printf("\n(--quick: the job with more ranks than cores is left out)\n");
	}

	granularity(&run, &shm, "shm");
	granularity(&run, &tcp, "tcp");
	a_rank_dies(&run);
	printf("\nOn real machines: the same binary, `mpirun -H node1,node2 -np 4 build/bin/lab8` "
	       "or `--hostfile FILE` (not run here).\n");
	wb_lab_finish(&lab);

	lab8_report_free(&shm);
	lab8_report_free(&tcp);
	lab8_report_free(&over);
	lab8_tasks_free(&run.uniform);
	lab8_tasks_free(&run.uneven);
	free(run.seq_uniform);
	free(run.seq_uneven);
	wb_timeline_free(run.tl);
	return 0;
}
