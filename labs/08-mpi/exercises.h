/*
 * Lab 8: beyond one machine (MPI) - the contract.
 *
 * These are the functions you write in exercises.c.  The driver (main.c)
 * and the checker (tests/lab8_check.c) call them exactly as declared here,
 * so do not change this file: change exercises.c.
 *
 * Every function returns 0 on success, -1 on failure (after saying why),
 * or WB_NOT_DONE while it is still the handout's placeholder.
 *
 * 8.1-8.3 run inside the ranks of an MPI job: the same program, started N
 * times by mpirun, each copy with its own rank 0 .. N-1 in `comm`.  They
 * share no memory: everything one rank learns from another comes in a
 * message.  8.4 and 8.5 run in the lab program itself, outside the job.
 *
 * The CPU work is lab 3's kernel, cut into tasks: task i is
 *     wb_cpu_sum(t->first[i], t->items[i])
 * Every rank holds the same task list (the program builds it from the same
 * parameters in every rank).  Compute a task with lab8_do_task(t, i, log):
 * it returns the task's result and records (task, start, end) in this
 * rank's log, from which the driver draws the per-rank Gantt chart and the
 * checker sees who did what.
 */
#ifndef LAB8_EXERCISES_H
#define LAB8_EXERCISES_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpuwork.h"
#include "exercise.h"
#include "timing.h"

struct lab8_tasks {
	int count;
	const uint64_t *first;   /* task i covers items first[i] .. first[i] + items[i] - 1 */
	const uint64_t *items;
};

/* What one rank computed: filled by lab8_do_task. */
struct lab8_span {
	int task;
	double start, end;   /* wb_now(): one clock for every process on one machine */
};
struct lab8_log {
	int count, cap;
	struct lab8_span *spans;
};

/* Compute task i, record it in log, return its result (given: ranklib.c). */
uint64_t lab8_do_task(const struct lab8_tasks *t, int i, struct lab8_log *log);

/* The tags of 8.3's messages. */
enum { LAB8_TAG_WORK = 1, LAB8_TAG_RESULT = 2, LAB8_TAG_STOP = 3 };

/*
 * Exercise 8.1 - ping-pong.
 * Ranks 0 and 1 only (any other rank returns 0 at once).  Rank 0 sends a
 * message of `bytes` bytes (MPI_BYTE) to rank 1, which sends the same bytes
 * back; first one round trip untimed (the warm-up: the first message sets
 * up the connection), then `reps` timed ones.  Rank 0 stores the mean time
 * of one round trip in *round_trip_s, and returns -1 if what came back
 * differs from what it sent.  bytes may be 0.  So each of the two ranks
 * sends exactly reps + 1 messages of `bytes` bytes.
 */
int ping_pong(MPI_Comm comm, int bytes, int reps, double *round_trip_s);

/*
 * Exercise 8.2 - a static partition.
 * Rank 0 cuts the tasks 0 .. count-1 into one block of consecutive tasks
 * per rank, itself included, as even as can be (block sizes differ by at
 * most one: rank r gets [r * count / size, (r + 1) * count / size)), and
 * hands each rank its block with MPI_Scatter.  Every rank computes its
 * block with lab8_do_task, adding the results up, and MPI_Reduce sums the
 * ranks' partial sums (MPI_UINT64_T, MPI_SUM) into *total on rank 0.
 * (*total is only meaningful on rank 0.)
 */
int static_partition(MPI_Comm comm, const struct lab8_tasks *t, uint64_t *total,
		     struct lab8_log *log);

/*
 * Exercise 8.3 - master and workers.
 * Rank 0 is the master and works too; ranks 1 .. size-1 are workers.
 * Messages are arrays of MPI_UINT64_T: a task is {task} with tag
 * LAB8_TAG_WORK, a result {task, result} with tag LAB8_TAG_RESULT, and
 * LAB8_TAG_STOP (any one-element content) tells a worker to return.
 *  - the master first sends each worker one task (or STOP, when there are
 *    fewer tasks than workers);
 *  - then, while tasks are left or results are due: if a result waits
 *    (MPI_Iprobe, MPI_ANY_SOURCE, LAB8_TAG_RESULT) or no task is left,
 *    it receives one result from any worker (MPI_ANY_SOURCE), stores it in
 *    results[task], and sends that worker the next task, or STOP when none
 *    is left; else it computes the next task itself;
 *  - a worker receives from rank 0 until a STOP comes, computing each task
 *    and sending back its result.
 * results[] (count entries) is filled on rank 0 only.  With one rank, the
 * master does everything.
 */
int master_workers(MPI_Comm comm, const struct lab8_tasks *t, uint64_t *results,
		   struct lab8_log *log);

/*
 * Exercise 8.4 - the break-even task size.
 * task_s[0..n-1] are task sizes in increasing order, efficiency[k] what
 * the job reached with tasks of task_s[k].  The break-even is where the
 * efficiency crosses `threshold` for the last time: take the largest k with
 * efficiency[k] < threshold and interpolate between k and k + 1 on a log
 * scale of sizes:  f = (threshold - e[k]) / (e[k+1] - e[k]),
 *     *break_even_s = exp(log s[k] + f * (log s[k+1] - log s[k])).
 * No point below the threshold: *break_even_s = 0 (it lies below every
 * size measured).  The largest size still below: *break_even_s = INFINITY.
 * Return -1 (saying why) if n < 1 or the sizes are not increasing.
 */
int find_break_even(const double *task_s, const double *efficiency, int n, double threshold,
		    double *break_even_s);

/*
 * Exercise 8.5 - a rank dies.
 * `job` is the pid of a running mpirun (a child of this process), ranks[]
 * the pids of its nranks ranks.  Kill ranks[victim] with SIGKILL, then
 * wait for the job to end, at most limit_s seconds (waitpid with WNOHANG,
 * and short sleeps: a plain waitpid could wait for ever); past the limit,
 * SIGKILL the job and reap it.  Then no rank may be left running: every
 * rank still alive (lab8_process_alive) is killed, and waited for until it
 * is gone.  Fill *end; return 0, or -1 only if a system call failed.
 */
struct lab8_job_end {
	int status;           /* the job's wait status, from waitpid */
	int ended_by_itself;  /* 1: it ended within limit_s of the kill; 0: it had to be killed */
	double ended_after_s; /* from the kill to the job's end (or to the limit) */
	int survivors;        /* ranks still alive once the job had ended (then killed) */
};
int watch_job(pid_t job, const pid_t *ranks, int nranks, int victim, double limit_s,
	      struct lab8_job_end *end);

/* Is pid running (not gone, not a zombie)?  (given: mpilaunch.c) */
int lab8_process_alive(pid_t pid);

#endif
