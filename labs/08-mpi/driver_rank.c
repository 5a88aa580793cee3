/*
 * driver_rank.c - the lab program as one rank of an MPI job (mpirun starts
 * it again with WB_LAB8_RANK_JOB set).  Every rank runs the same code; what
 * each measured goes to rank 0, which writes the job's report.
 *   shm, tcp  hello, ping-pong by size (8.1), then on shm the static
 *             partition and master/workers on uniform and uneven tasks
 *             (8.2, 8.3), and on both the granularity sweep (8.3's code)
 *   over      more ranks than cores: the static partition again, and both
 *             designs on the uneven tasks (a master and three workers)
 *   die       a job of rounds (compute, then MPI_Allreduce) that runs until
 *             the launcher kills a rank (8.5)
 */
#include "driver.h"
#include "ranklib.h"

#include "checked.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void hello(struct lab8_rank *r)
{
	char name[64] = "?";
	if (gethostname(name, sizeof name) != 0)
		snprintf(name, sizeof name, "?");
	name[sizeof name - 1] = '\0';
	char *all = wb_xcalloc((size_t)r->size, sizeof name);
	MPI_Gather(name, sizeof name, MPI_CHAR, all, sizeof name, MPI_CHAR, 0, MPI_COMM_WORLD);
	for (int k = 0; r->out && k < r->size; k++)
		fprintf(r->out, "host %d %s\n", k, all + k * sizeof name);
	free(all);
}

static void pingpong_sizes(struct lab8_rank *r, const struct lab8_params *p, struct lab8_log *log)
{
	int bytes[16], reps[16];
	int n = lab8_pingpong_sizes(p, bytes, reps, 16);
	for (int k = 0; k < n; k++) {
		char label[32];
		snprintf(label, sizeof label, "8.1-%d", bytes[k]);
		lab8_report_begin(r, label);
		struct lab8_call c;
		double rt = 0;
		lab8_call_begin(&c, log);
		int rc = ping_pong(MPI_COMM_WORLD, bytes[k], reps[k], &rt);
		lab8_call_end(&c, rc, log);
		lab8_report_call(r, label, &c, log);
		lab8_report_value(r, label, "round_trip_s", rt);
		lab8_report_value(r, label, "reps", reps[k]);
		if (rc == WB_NOT_DONE)
			break;
	}
}

static void run_static(struct lab8_rank *r, const char *label, const struct lab8_tasks *t,
		       struct lab8_log *log)
{
	lab8_report_begin(r, label);
	struct lab8_call c;
	uint64_t total = 0;
	lab8_call_begin(&c, log);
	int rc = static_partition(MPI_COMM_WORLD, t, &total, log);
	lab8_call_end(&c, rc, log);
	lab8_report_call(r, label, &c, log);
	lab8_report_value(r, label, "total", (double)total);
	/* a double cannot hold every 64-bit total: the low and high halves too */
	lab8_report_value(r, label, "total_lo", (double)(total & 0xffffffffu));
	lab8_report_value(r, label, "total_hi", (double)(total >> 32));
}

static void run_dynamic(struct lab8_rank *r, const char *label, const struct lab8_tasks *t,
			struct lab8_log *log)
{
	lab8_report_begin(r, label);
	uint64_t *results = wb_xcalloc((size_t)t->count + 1, sizeof *results);
	struct lab8_call c;
	lab8_call_begin(&c, log);
	int rc = master_workers(MPI_COMM_WORLD, t, results, log);
	lab8_call_end(&c, rc, log);
	lab8_report_call(r, label, &c, log);
	uint64_t h = lab8_results_hash(results, t->count);
	lab8_report_value(r, label, "hash_lo", (double)(h & 0xffffffffu));
	lab8_report_value(r, label, "hash_hi", (double)(h >> 32));
	free(results);
}

static void sweep(struct lab8_rank *r, const char *transport, const struct lab8_params *p,
		  struct lab8_log *log)
{
	double task_s[16];
	int tasks[16];
	int n = lab8_sweep_sizes(p, task_s, tasks, 16);
	for (int k = 0; k < n; k++) {
		struct lab8_tasks t;
		uint64_t items = (uint64_t)(task_s[k] * 1e9 / p->ns_per_item);
		lab8_tasks_uniform(&t, tasks[k], items ? items : 1);
		char label[48];
		snprintf(label, sizeof label, "8.4-%s-%d", transport, k);
		run_dynamic(r, label, &t, log);
		lab8_tasks_free(&t);
	}
}

/* 8.5's job: rounds of a task each, then an MPI_Allreduce, until killed
 * (or after 600 rounds: about 12 s). */
static void rounds_until_killed(struct lab8_rank *r, const struct lab8_params *p)
{
	lab8_report_begin(r, "8.5");
	uint64_t items = (uint64_t)(0.02e9 / p->ns_per_item);
	for (int round = 0; round < 600; round++) {
		uint64_t mine = wb_cpu_sum((uint64_t)round * items, items), sum = 0;
		MPI_Allreduce(&mine, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
		if (r->out && round == 2) {
			fprintf(r->out, "running 8.5\n");
			fflush(r->out);
		}
	}
}

int lab8_rank_main(int argc, char **argv)
{
	struct lab8_rank r;
	lab8_rank_begin(&r, &argc, &argv);
	struct lab8_params p;
	if (lab8_params_parse(r.args, &p) != 0)
		DIE("rank %d: bad parameters \"%s\"", r.rank, r.args);
	const char *job = lab8_rank_job();
	struct lab8_log log;
	lab8_log_init(&log, 20000 + 16);
	if (strcmp(job, "die") == 0) {
		rounds_until_killed(&r, &p);
	} else {
		hello(&r);
		if (strcmp(job, "over") != 0)
			pingpong_sizes(&r, &p, &log);
		struct lab8_tasks uniform, uneven;
		lab8_tasks_uniform(&uniform, p.tasks, p.items);
		lab8_tasks_uneven(&uneven, lab8_uneven_count(&p), p.items / 2);
		if (strcmp(job, "shm") == 0) {
			run_static(&r, "8.2-uniform", &uniform, &log);
			run_dynamic(&r, "8.3-uniform", &uniform, &log);
			run_static(&r, "8.2-uneven", &uneven, &log);
			run_dynamic(&r, "8.3-uneven", &uneven, &log);
		}
		if (strcmp(job, "over") == 0) {
			run_static(&r, "8.2-over", &uniform, &log);
			run_static(&r, "8.2-over-uneven", &uneven, &log);
			run_dynamic(&r, "8.3-over-uneven", &uneven, &log);
		}
		if (strcmp(job, "over") != 0)
			sweep(&r, job, &p, &log);
		lab8_tasks_free(&uniform);
		lab8_tasks_free(&uneven);
	}
	lab8_log_free(&log);
	return lab8_rank_end(&r);
}
