/*
 * tests/lab8_check.c - the checker for lab 8 (make check8).
 *
 * 8.1-8.3 run in real MPI jobs: a test starts `mpirun -np 3` on this very
 * checker, whose copies find WB_LAB8_RANK_JOB in their environment and run,
 * before Criterion's main, the scenarios of that exercise as ranks (see
 * rank_main below).  Rank 0 writes what every rank did - return values,
 * messages and bytes sent (counted by ranklib.c's MPI_Send/MPI_Recv/...
 * wrappers), the tasks each rank computed, the results - into a report that
 * the test then judges.  One mpirun per exercise: each costs about half a
 * second to start.  Three ranks on two cores, so a remainder is never zero
 * and rank 2 must be handled; the ranks are slowed on purpose where it
 * proves something (a worker that answers late must get fewer tasks).
 * A job that does not end within JOB_LIMIT_S is killed with all its ranks
 * and reported as stuck, with the experiment it was in.
 *
 * 8.4 is a pure function, checked on tables.  8.5 is checked on fake jobs:
 * a forked "mpirun" with forked "ranks" that notices a death and aborts the
 * others (as mpirun does), or never notices, or leaves ranks running.
 */
#include "checker.h"
#include "checked.h"
#include "driver.h"
#include "exercises.h"
#include "mpilaunch.h"
#include "ranklib.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct wb_check_exercise exercises[] = {
	{ "8.1", "ping_pong", "ping-pong between ranks 0 and 1", NULL },
	{ "8.2", "static_partition", "a static partition, scattered and reduced", NULL },
	{ "8.3", "master_workers", "master and workers, MPI_ANY_SOURCE and tags", NULL },
	{ "8.4", "find_break_even", "the break-even task size", NULL },
	{ "8.5", "watch_job", "a rank dies: the job watched, nothing left running", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 8,
	.title = "beyond one machine (MPI)",
	.file = "labs/08-mpi/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

#define RANKS 3
#define JOB_LIMIT_S 5.0

/* ---- The ranks' side ---------------------------------------------------- */

static struct lab8_log rank_log;

/* One call of an exercise in every rank, reported under `label`. */
static int call_81(struct lab8_rank *r, const char *label, int bytes, int reps)
{
	lab8_report_begin(r, label);
	struct lab8_call c;
	double rt = 0;
	lab8_call_begin(&c, &rank_log);
	int rc = ping_pong(MPI_COMM_WORLD, bytes, reps, &rt);
	lab8_call_end(&c, rc, &rank_log);
	lab8_report_call(r, label, &c, &rank_log);
	lab8_report_value(r, label, "rt", rt);
	return rc;
}

static void value64(struct lab8_rank *r, const char *label, const char *key, uint64_t v)
{
	char k[32];
	snprintf(k, sizeof k, "%s_lo", key);
	lab8_report_value(r, label, k, (double)(v & 0xffffffffu));
	snprintf(k, sizeof k, "%s_hi", key);
	lab8_report_value(r, label, k, (double)(v >> 32));
}

static int call_82(struct lab8_rank *r, const char *label, const struct lab8_tasks *t)
{
	lab8_report_begin(r, label);
	struct lab8_call c;
	uint64_t total = 0;
	lab8_call_begin(&c, &rank_log);
	int rc = static_partition(MPI_COMM_WORLD, t, &total, &rank_log);
	lab8_call_end(&c, rc, &rank_log);
	lab8_report_call(r, label, &c, &rank_log);
	value64(r, label, "total", total);
	return rc;
}

static int call_83(struct lab8_rank *r, const char *label, const struct lab8_tasks *t,
		   double delay_1, double delay_2)
{
	lab8_report_begin(r, label);
	uint64_t *results = wb_xcalloc((size_t)t->count + 1, sizeof *results);
	struct lab8_call c;
	lab8_send_delay_s = r->rank == 1 ? delay_1 : r->rank == 2 ? delay_2 : 0;
	lab8_call_begin(&c, &rank_log);
	int rc = master_workers(MPI_COMM_WORLD, t, results, &rank_log);
	lab8_call_end(&c, rc, &rank_log);
	lab8_send_delay_s = 0;
	lab8_report_call(r, label, &c, &rank_log);
	value64(r, label, "hash", lab8_results_hash(results, t->count));
	free(results);
	return rc;
}

/* The scenarios, shared by both sides: name, tasks, items per task, uneven. */
struct scenario {
	const char *label;
	int tasks;
	uint64_t items;
	int uneven;
	double delay_1, delay_2;   /* 8.3: ranks 1 and 2 sleep before each send */
};
static const struct scenario s82[] = {
	{ "7-tasks", 7, 20000, 0, 0, 0 },
	{ "2-tasks", 2, 20000, 0, 0, 0 },
	{ "10-uneven", 10, 40000, 1, 0, 0 },
	{ "0-tasks", 0, 1, 0, 0, 0 },
};
static const struct scenario s83[] = {
	{ "12-uneven", 12, 40000, 1, 0, 0 },
	{ "1-task", 1, 20000, 0, 0, 0 },
	{ "0-tasks", 0, 1, 0, 0, 0 },
	{ "300-tiny", 300, 200, 0, 0, 0 },
	/* tasks of about 2 ms: worker 2's share is decided over many time slices,
	 * not by whether it happened to run during the first millisecond */
	{ "rank1-slow", 40, 2000000, 0, 0.02, 0 },
	{ "workers-slow", 40, 40000, 0, 0.02, 0.02 },
};
static const int s81_bytes[] = { 0, 1, 1000, 100000, 1 << 20 };
#define S81_REPS 10
#define S81_DELAY_S 0.003

static void make_tasks(const struct scenario *s, struct lab8_tasks *t)
{
	if (s->uneven)
		lab8_tasks_uneven(t, s->tasks, s->items);
	else
		lab8_tasks_uniform(t, s->tasks, s->items);
}

static int rank_main(void)
{
	struct lab8_rank r;
	lab8_rank_begin(&r, NULL, NULL);
	lab8_log_init(&rank_log, 1024);
	const char *job = lab8_rank_job();
	if (strcmp(job, "c81") == 0) {
		int rc = 0;
		for (size_t k = 0; rc != WB_NOT_DONE && k < sizeof s81_bytes / sizeof s81_bytes[0]; k++) {
			char label[32];
			snprintf(label, sizeof label, "%d-bytes", s81_bytes[k]);
			rc = call_81(&r, label, s81_bytes[k], S81_REPS);
		}
		if (rc != WB_NOT_DONE) {
			lab8_send_delay_s = r.rank == 1 ? S81_DELAY_S : 0;
			call_81(&r, "slow-echo", 8, S81_REPS);
			lab8_send_delay_s = 0;
		}
	}
	const struct scenario *list = strcmp(job, "c82") == 0 ? s82 : strcmp(job, "c83") == 0 ? s83 : NULL;
	size_t n = list == s82 ? sizeof s82 / sizeof s82[0] : sizeof s83 / sizeof s83[0];
	for (size_t k = 0; list && k < n; k++) {
		struct lab8_tasks t;
		make_tasks(&list[k], &t);
		int rc = list == s82 ? call_82(&r, list[k].label, &t)
				     : call_83(&r, list[k].label, &t, list[k].delay_1, list[k].delay_2);
		lab8_tasks_free(&t);
		if (rc == WB_NOT_DONE)
			break;
	}
	lab8_log_free(&rank_log);
	return lab8_rank_end(&r);
}

/* Before Criterion's main: a copy started by mpirun is a rank, nothing else;
 * and without MPI there is nothing to check. */
__attribute__((constructor)) static void lab8_check_start(void)
{
	if (lab8_rank_job())
		_exit(rank_main());
	const char *why;
	if (!lab8_have_mpi(&why)) {
		printf("check8: %s.\ncheck8: every lab 8 check skipped (it needs Open MPI).\n", why);
		exit(0);
	}
}

/* ---- The test's side: one job per exercise ------------------------------- */

struct job_result {
	struct lab8_report rep;
	pid_t pids[RANKS];
	int npids;
};

/* What usually keeps each exercise's job from ending. */
static const char *why_stuck(const char *function)
{
	if (strcmp(function, "ping_pong") == 0)
		return "do both ranks send first?  A large message waits for its receiver";
	if (strcmp(function, "master_workers") == 0)
		return "is every worker sent STOP, even one that never got a task?  Does a receive "
		       "name a source or tag that nothing sends?";
	return "does every rank call the same collectives, in the same order?";
}

static void run_job(const char *function, const char *name, struct job_result *out)
{
	struct lab8_job_spec spec = { name, "", RANKS, "shm", 0, 1 };
	struct lab8_job job;
	lab8_job_start(&spec, &job);
	int status;
	int stuck = lab8_job_wait(&job, JOB_LIMIT_S, &status);
	lab8_report_load(&out->rep, job.report_path);
	out->npids = lab8_report_pids(job.report_path, out->pids, RANKS);
	lab8_job_cleanup(&job);
	char where[64];
	const char *at = lab8_report_last_begin(&out->rep, where, sizeof where);
	if (stuck)
		cr_assert_fail("%s: the job of %d ranks did not end within %.0f s (in the case \"%s\"): "
			       "a rank waits for a message that never comes: %s", function, RANKS,
			       JOB_LIMIT_S, at ? at : "before the first case", why_stuck(function));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		cr_assert_fail("%s: the MPI job failed (mpirun's status %#x) in the case \"%s\": a rank "
			       "crashed or called MPI_Abort; see its message above", function, status,
			       at ? at : "?");
	/* mpirun has ended: no rank may outlive it */
	double until = wb_now() + 2;
	while (lab8_count_alive(out->pids, out->npids) > 0 && wb_now() < until)
		wb_sleep(0.01);
	cr_assert(lab8_count_alive(out->pids, out->npids) == 0,
		  "%s: %d rank(s) still running after mpirun ended", function,
		  lab8_count_alive(out->pids, out->npids));
}

/* The rank rows of one case; fails as not done when a rank says so. */
static void rows_of(const char *function, const struct job_result *j, const char *label,
		    const char *id, struct lab8_rank_row *rows)
{
	int n = lab8_report_rows(&j->rep, label, rows, RANKS);
	if (n > 0)
		for (int k = 0; k < n; k++)
			REQUIRE_DONE(rows[k].rc, id);
	cr_assert(n == RANKS, "%s: the case \"%s\" never ran (the job stopped before it)", function,
		  label);
	for (int k = 0; k < n; k++)
		cr_assert(rows[k].rc == 0, "%s: returned %d in rank %d, in the case \"%s\"", function,
			  rows[k].rc, k, label);
}

static uint64_t value64_of(const struct job_result *j, const char *label, const char *key)
{
	char lo[32], hi[32];
	double l = -1, h = -1;
	snprintf(lo, sizeof lo, "%s_lo", key);
	snprintf(hi, sizeof hi, "%s_hi", key);
	lab8_report_get(&j->rep, label, lo, &l);
	lab8_report_get(&j->rep, label, hi, &h);
	return (uint64_t)l | (uint64_t)h << 32;
}

/* Which rank did each task (-1: none; -2: more than one); count per rank. */
static void who_did(const char *function, const struct job_result *j, const char *label,
		    int count, int *owner, int *per_rank)
{
	for (int i = 0; i < count; i++)
		owner[i] = -1;
	for (int k = 0; k < RANKS; k++)
		per_rank[k] = 0;
	for (int i = 0; i < j->rep.n; i++) {
		int rank, task;
		double s, e;
		char want[64];
		snprintf(want, sizeof want, "span %s ", label);
		if (strncmp(j->rep.lines[i], want, strlen(want)) != 0 ||
		    sscanf(j->rep.lines[i] + strlen(want), "%d %d %lf %lf", &rank, &task, &s, &e) != 4)
			continue;
		cr_assert(task >= 0 && task < count && rank >= 0 && rank < RANKS);
		cr_assert(owner[task] == -1, "%s: task %d was computed twice (by ranks %d and %d), in "
			  "the case \"%s\"", function, task, owner[task], rank, label);
		owner[task] = rank;
		per_rank[rank]++;
	}
	for (int i = 0; i < count; i++)
		cr_assert(owner[i] >= 0, "%s: task %d of %d was never computed, in the case \"%s\"",
			  function, i, count, label);
}

/* ---- 8.1 ------------------------------------------------------------------ */

Test(ex8_1, messages_sizes_and_times, .timeout = 10)
{
	struct job_result j;
	run_job("ping_pong", "c81", &j);
	struct lab8_rank_row rows[RANKS];
	for (size_t k = 0; k < sizeof s81_bytes / sizeof s81_bytes[0]; k++) {
		char label[32];
		snprintf(label, sizeof label, "%d-bytes", s81_bytes[k]);
		rows_of("ping_pong", &j, label, "8.1", rows);
		int b = s81_bytes[k];
		for (int r = 0; r < 2; r++)
			cr_assert(rows[r].sends == S81_REPS + 1 && rows[r].bytes == (double)b * (S81_REPS + 1),
				  "ping_pong: with %d round trips of %d bytes, rank %d sent %.0f messages "
				  "and %.0f bytes; expected %d messages (the warm-up and %d timed) of %d "
				  "bytes each", S81_REPS, b, r, rows[r].sends, rows[r].bytes,
				  S81_REPS + 1, S81_REPS, b);
		cr_assert(rows[2].sends == 0 && rows[2].recvs == 0,
			  "ping_pong: rank 2 sent or received messages; only ranks 0 and 1 play");
		double rt = 0;
		lab8_report_get(&j.rep, label, "rt", &rt);
		double wall = rows[0].end - rows[0].start;
		cr_assert(rt > 0, "ping_pong: *round_trip_s is %g for %d bytes", rt, b);
		cr_assert(rt <= wall / S81_REPS * 1.05 + 1e-6,
			  "ping_pong: *round_trip_s is %.6f s, but the whole call took %.6f s for %d "
			  "round trips: the total, not the mean of one?", rt, wall, S81_REPS);
	}
	rows_of("ping_pong", &j, "slow-echo", "8.1", rows);
	double rt = 0;
	lab8_report_get(&j.rep, "slow-echo", "rt", &rt);
	cr_assert(rt >= S81_DELAY_S * 0.95,
		  "ping_pong: rank 1 waited %.0f ms before each reply, yet one round trip took %.3f "
		  "ms: is the clock read around the send alone, or halved (one way)?",
		  S81_DELAY_S * 1e3, rt * 1e3);
	lab8_report_free(&j.rep);
}

/* ---- 8.2 ------------------------------------------------------------------ */

Test(ex8_2, partition_covers_once_and_sums, .timeout = 10)
{
	struct job_result j;
	run_job("static_partition", "c82", &j);
	for (size_t k = 0; k < sizeof s82 / sizeof s82[0]; k++) {
		const struct scenario *s = &s82[k];
		struct lab8_rank_row rows[RANKS];
		rows_of("static_partition", &j, s->label, "8.2", rows);
		struct lab8_tasks t;
		make_tasks(s, &t);
		int owner[64], per[RANKS];
		who_did("static_partition", &j, s->label, t.count, owner, per);
		uint64_t want = wb_cpu_sum(0, lab8_tasks_items(&t));
		uint64_t got = value64_of(&j, s->label, "total");
		cr_assert(got == want, "static_partition: *total on rank 0 is %llu, expected %llu (%d "
			  "tasks on %d ranks): every rank's partial sum, reduced with MPI_SUM as "
			  "MPI_UINT64_T?", (unsigned long long)got, (unsigned long long)want, t.count,
			  RANKS);
		for (int r = 0; r < RANKS; r++) {
			int first = r * t.count / RANKS, end = (r + 1) * t.count / RANKS;
			cr_assert(per[r] == end - first,
				  "static_partition: rank %d computed %d tasks of %d, expected its block "
				  "[%d, %d) of %d (blocks as even as can be, rank 0's included)", r,
				  per[r], t.count, first, end, end - first);
			for (int i = first; i < end; i++)
				cr_assert(owner[i] == r, "static_partition: task %d was computed by rank "
					  "%d, but it lies in rank %d's block [%d, %d)", i, owner[i], r,
					  first, end);
		}
		lab8_tasks_free(&t);
	}
	lab8_report_free(&j.rep);
}

/* ---- 8.3 ------------------------------------------------------------------ */

Test(ex8_3, every_task_once_to_whoever_is_free, .timeout = 10)
{
	struct job_result j;
	run_job("master_workers", "c83", &j);
	for (size_t k = 0; k < sizeof s83 / sizeof s83[0]; k++) {
		const struct scenario *s = &s83[k];
		struct lab8_rank_row rows[RANKS];
		rows_of("master_workers", &j, s->label, "8.3", rows);
		struct lab8_tasks t;
		make_tasks(s, &t);
		int *owner = wb_xcalloc((size_t)t.count + 1, sizeof *owner), per[RANKS];
		who_did("master_workers", &j, s->label, t.count, owner, per);
		uint64_t *want = wb_xcalloc((size_t)t.count + 1, sizeof *want);
		for (int i = 0; i < t.count; i++)
			want[i] = wb_cpu_sum(t.first[i], t.items[i]);
		cr_assert(value64_of(&j, s->label, "hash") == lab8_results_hash(want, t.count),
			  "master_workers: results[] on rank 0 differ from the sequential results in "
			  "the case \"%s\" (%d tasks): results[task], with the task number that came "
			  "back in the message?", s->label, t.count);
		if (s->delay_1 > 0 && s->delay_2 == 0)
			cr_assert(per[1] * 2 <= per[2],
				  "master_workers: worker 1 answers %.0f ms late every time, yet it got "
				  "%d of %d tasks, and worker 2 %d: tasks must go to whichever worker is "
				  "free (MPI_ANY_SOURCE), not in turn", s->delay_1 * 1e3, per[1], t.count,
				  per[2]);
		if (s->delay_2 > 0)
			cr_assert(per[0] >= t.count / 2,
				  "master_workers: both workers answer %.0f ms late, yet the master "
				  "computed only %d of %d tasks: while no result waits (MPI_Iprobe), "
				  "the master works too", s->delay_2 * 1e3, per[0], t.count);
		free(want);
		free(owner);
		lab8_tasks_free(&t);
	}
	lab8_report_free(&j.rep);
}

/* ---- 8.4 ------------------------------------------------------------------ */

static double break_even(const double *s, const double *e, int n)
{
	double be = -1;
	int rc = find_break_even(s, e, n, 0.5, &be);
	REQUIRE_DONE(rc, "8.4");
	cr_assert(rc == 0, "find_break_even: returned %d on valid measurements", rc);
	return be;
}

Test(ex8_4, interpolates_the_last_crossing_on_a_log_scale, .timeout = 5)
{
	const double s1[] = { 1e-5, 1e-4, 1e-3 }, e1[] = { 0.2, 0.4, 0.8 };
	double be = break_even(s1, e1, 3), want = 1e-4 * pow(10, 0.25);
	cr_assert(fabs(be - want) < want * 0.01,
		  "find_break_even: efficiency 0.4 at 1e-4 s and 0.8 at 1e-3 s: the break-even is "
		  "%.4g s (a quarter of the way on a log scale), not %.4g", want, be);
	const double s2[] = { 1, 2, 4, 8, 16 }, e2[] = { 0.2, 0.6, 0.4, 0.7, 0.9 };
	be = break_even(s2, e2, 5);
	want = 4 * pow(2, 1.0 / 3);
	cr_assert(fabs(be - want) < want * 0.01,
		  "find_break_even: efficiencies 0.2 0.6 0.4 0.7 0.9 at 1 2 4 8 16 s cross 0.5 for "
		  "the last time between 4 and 8: %.4g, not %.4g (the first crossing is noise)",
		  want, be);
}

Test(ex8_4, ends_and_bad_input, .timeout = 5)
{
	const double s[] = { 1e-5, 1e-4, 1e-3 }, high[] = { 0.6, 0.7, 0.9 }, low[] = { 0.1, 0.2, 0.3 };
	double be = break_even(s, high, 3);
	cr_assert(be == 0, "find_break_even: every efficiency is above 0.5, so the break-even is "
		  "below every size measured: *break_even_s = 0, not %g", be);
	be = break_even(s, low, 3);
	cr_assert(isinf(be) && be > 0, "find_break_even: every efficiency is below 0.5: "
		  "*break_even_s = INFINITY, not %g", be);
	be = break_even(s, high, 1);
	cr_assert(be == 0, "find_break_even: one size, above the threshold: 0, not %g", be);
	const double flat[] = { 1e-5, 1e-5, 1e-3 };
	int rc = find_break_even(flat, low, 3, 0.5, &be);
	REQUIRE_DONE(rc, "8.4");
	cr_assert(rc == -1, "find_break_even: sizes 1e-5 1e-5 1e-3 do not increase: return -1");
	rc = find_break_even(s, low, 0, 0.5, &be);
	cr_assert(rc == -1, "find_break_even: no measurements (n = 0): return -1");
}

/* ---- 8.5: fake jobs -------------------------------------------------------- */

enum fake { NOTICES, NEVER_NOTICES, LEAVES_RANKS };
#define FAKE_RANKS 3

struct fake_shared {
	atomic_int ready;
	pid_t ranks[FAKE_RANKS];
};

/* A fake rank: waits until killed, or until the test is gone. */
static _Noreturn void fake_rank(pid_t test)
{
	for (;;) {
		wb_sleep(0.01);
		if (kill(test, 0) == -1 && errno == ESRCH)
			_exit(0);
	}
}

/* A fake mpirun: starts its ranks, then as `how` says. */
static _Noreturn void fake_job(enum fake how, struct fake_shared *sh, pid_t test)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (int k = 0; k < FAKE_RANKS; k++) {
		pid_t pid = fork();
		if (pid == -1)
			_exit(90);
		if (pid == 0)
			fake_rank(test);
		sh->ranks[k] = pid;
	}
	atomic_store(&sh->ready, 1);
	if (how == NEVER_NOTICES)
		for (;;)
			pause();
	int status;
	pid_t dead = wait(&status);
	int index = 0;
	while (index < FAKE_RANKS && sh->ranks[index] != dead)
		index++;
	int code = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 10 + index : 99;
	wb_sleep(0.05);	/* mpirun takes a moment to notice */
	if (how == LEAVES_RANKS)
		_exit(code + 20);
	for (int k = 0; k < FAKE_RANKS; k++)
		if (sh->ranks[k] != dead)
			kill(sh->ranks[k], SIGKILL);
	while (wait(NULL) > 0)
		;
	_exit(code);
}

struct watched {
	int rc, reaped, alive_after;
	struct lab8_job_end end;
	double took_s;
};

static struct watched watch_fake(enum fake how, int victim, double limit_s)
{
	struct fake_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(sh != MAP_FAILED);
	atomic_init(&sh->ready, 0);
	pid_t test = getpid();
	fflush(NULL);
	pid_t job = fork();
	cr_assert(job != -1);
	if (job == 0)
		fake_job(how, sh, test);
	while (!atomic_load(&sh->ready))
		wb_sleep(0.001);
	struct watched w = { 0 };
	w.end.status = -12345;
	w.end.survivors = -1;
	double t0 = wb_now();
	w.rc = watch_job(job, sh->ranks, FAKE_RANKS, victim, limit_s, &w.end);
	w.took_s = wb_now() - t0;
	/* was the job reaped?  Whatever the answer, nothing of it may stay. */
	pid_t r = waitpid(job, NULL, WNOHANG);
	w.reaped = r == -1 && errno == ECHILD;
	w.alive_after = lab8_count_alive(sh->ranks, FAKE_RANKS);
	for (int k = 0; k < FAKE_RANKS; k++)
		kill(sh->ranks[k], SIGKILL);
	if (!w.reaped) {
		kill(job, SIGKILL);
		waitpid(job, NULL, 0);
	}
	munmap(sh, sizeof *sh);
	return w;
}

Test(ex8_5, the_job_aborts_by_itself, .timeout = 10)
{
	struct watched w = watch_fake(NOTICES, 2, 5);
	REQUIRE_DONE(w.rc, "8.5");
	cr_assert(w.rc == 0, "watch_job: returned %d", w.rc);
	cr_assert(w.reaped, "watch_job: the job (mpirun) was never reaped: a zombie is left");
	cr_assert(WIFEXITED(w.end.status) && WEXITSTATUS(w.end.status) == 12,
		  "watch_job: the job reports that rank %d died (exit 10 + rank for a SIGKILL: "
		  "status %#x); expected rank 2, the victim, killed with SIGKILL",
		  WIFEXITED(w.end.status) ? WEXITSTATUS(w.end.status) - 10 : -1, w.end.status);
	cr_assert(w.end.ended_by_itself == 1, "watch_job: the job ended 50 ms after the kill, "
		  "within the limit: ended_by_itself must be 1");
	cr_assert(w.end.ended_after_s >= 0.04 && w.end.ended_after_s < 2,
		  "watch_job: the job ended about 0.05 s after the kill; ended_after_s says %.3f",
		  w.end.ended_after_s);
	cr_assert(w.end.survivors == 0 && w.alive_after == 0,
		  "watch_job: the job killed its other ranks itself: survivors %d, %d alive after",
		  w.end.survivors, w.alive_after);
}

Test(ex8_5, a_job_that_never_notices_is_stopped, .timeout = 5)
{
	struct watched w = watch_fake(NEVER_NOTICES, 1, 0.3);
	REQUIRE_DONE(w.rc, "8.5");
	cr_assert(w.rc == 0, "watch_job: returned %d", w.rc);
	cr_assert(w.reaped, "watch_job: the job was killed at the limit but never reaped");
	cr_assert(w.end.ended_by_itself == 0, "watch_job: the job never ended by itself: "
		  "ended_by_itself must be 0");
	cr_assert(w.took_s < 3 && w.end.ended_after_s >= 0.3 && w.end.ended_after_s < 2,
		  "watch_job: limit 0.3 s: it returned after %.2f s, ended_after_s %.2f", w.took_s,
		  w.end.ended_after_s);
	cr_assert(w.end.survivors == FAKE_RANKS - 1 && w.alive_after == 0,
		  "watch_job: %d ranks outlived the job (survivors says %d) and %d were still alive "
		  "when it returned: every survivor must be killed", FAKE_RANKS - 1, w.end.survivors,
		  w.alive_after);
}

Test(ex8_5, ranks_left_by_the_job_are_stopped, .timeout = 10)
{
	struct watched w = watch_fake(LEAVES_RANKS, 0, 5);
	REQUIRE_DONE(w.rc, "8.5");
	cr_assert(w.rc == 0, "watch_job: returned %d", w.rc);
	cr_assert(w.reaped, "watch_job: the job was never reaped");
	cr_assert(WIFEXITED(w.end.status) && WEXITSTATUS(w.end.status) == 30,
		  "watch_job: the victim was rank 0: the job's status says otherwise (%#x)",
		  w.end.status);
	cr_assert(w.end.survivors == FAKE_RANKS - 1 && w.alive_after == 0,
		  "watch_job: the job left %d ranks running; survivors says %d, %d alive after: "
		  "each must be found (lab8_process_alive) and killed", FAKE_RANKS - 1,
		  w.end.survivors, w.alive_after);
}
