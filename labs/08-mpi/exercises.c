/*
 * Lab 8: beyond one machine (MPI) - YOUR FILE.
 *
 * This is the only file you edit in this lab.  Each exercise is a function
 * with a numbered TODO; replace its placeholder `return TODO("8.k", ...);`
 * with your code.  Then:
 *     make lab8      run the lab (it works before you start, and says what is not done)
 *     make check8    check your exercises
 * The contract for each function is in exercises.h.
 *
 * 8.1-8.3 run in every rank of an MPI job at once: the same function, in N
 * processes that share nothing.  `MPI_Comm_rank(comm, &rank)` says which
 * one you are, `MPI_Comm_size(comm, &size)` how many there are; every
 * branch on `rank` is a conversation, and each MPI_Recv needs a matching
 * MPI_Send in the rank it names, or it waits for ever.  The calls:
 *     MPI_Send(buf, count, type, dest, tag, comm);
 *     MPI_Recv(buf, count, type, source, tag, comm, &status);   (or MPI_STATUS_IGNORE)
 *     MPI_Scatter(sendbuf, n, type, recvbuf, n, type, root, comm);
 *     MPI_Reduce(&mine, &total, 1, type, MPI_SUM, root, comm);
 *     MPI_Iprobe(source, tag, comm, &flag, &status);   (is a message waiting?)
 * A collective (Scatter, Reduce) must be called by every rank, in the same
 * order.  A rank blocked in MPI_Recv does not sleep: it polls, and burns its
 * core (the lab shows its CPU time).
 */
#include "exercises.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int ping_pong(MPI_Comm comm, int bytes, int reps, double *round_trip_s)
{
	/*
	 * TODO 8.1: ping-pong.
	 *  - rank > 1: return 0 (only ranks 0 and 1 play);
	 *  - two buffers of bytes + 1 bytes (malloc(0) may give NULL); fill the
	 *    one rank 0 sends with a pattern;
	 *  - reps + 1 round trips; start the clock (MPI_Wtime()) after the
	 *    first, the warm-up;
	 *      rank 0: MPI_Send(out, bytes, MPI_BYTE, 1, 0, comm), then MPI_Recv
	 *              from 1 into `in`, and compare in with out (memcmp);
	 *      rank 1: MPI_Recv from 0, then MPI_Send the same bytes back;
	 *  - rank 0: *round_trip_s = elapsed / reps.
	 * Why must rank 1 receive first?  If both ranks sent first, a small
	 * message would still go through (MPI copies it aside: "eager"), but a
	 * large one waits for its receiver, and both ranks wait for ever.
	 */
	return TODO("8.1", comm, bytes, reps, round_trip_s);
}

int static_partition(MPI_Comm comm, const struct lab8_tasks *t, uint64_t *total,
		     struct lab8_log *log)
{
	/*
	 * TODO 8.2: a static partition.
	 *  - rank 0: an array of 2 * size ints, {first, end} for each rank r:
	 *      first = r * t->count / size,  end = (r + 1) * t->count / size
	 *    (compute in long: r * count may not fit an int);
	 *  - every rank: int mine[2];
	 *      MPI_Scatter(blocks, 2, MPI_INT, mine, 2, MPI_INT, 0, comm);
	 *    (the send buffer only matters on rank 0);
	 *  - every rank: partial += lab8_do_task(t, i, log) for i in [mine[0], mine[1]);
	 *  - every rank: MPI_Reduce(&partial, total, 1, MPI_UINT64_T, MPI_SUM, 0, comm).
	 * Rank 0 takes a block too: a rank that only hands out work and waits
	 * leaves a core idle (or worse: polling).  Why is this partition bad for
	 * the uneven tasks (look at the Gantt chart)?
	 */
	return TODO("8.2", comm, t, total, log);
}

int master_workers(MPI_Comm comm, const struct lab8_tasks *t, uint64_t *results,
		   struct lab8_log *log)
{
	/*
	 * TODO 8.3: master and workers.
	 * Worker (rank > 0):
	 *    loop: MPI_Recv(&task, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, comm, &st);
	 *          if st.MPI_TAG == LAB8_TAG_STOP: return 0;
	 *          msg = { task, lab8_do_task(t, task, log) };
	 *          MPI_Send(msg, 2, MPI_UINT64_T, 0, LAB8_TAG_RESULT, comm);
	 * Master (rank 0): next = 0 (the next task to hand out), due = 0 (results
	 * still to come).
	 *  - give each worker TWO tasks while tasks are left (tag WORK; next++,
	 *    due++ for each): one to compute and one waiting in its queue, because
	 *    the master answers only between tasks of its own - with one task in
	 *    hand, a worker that finishes while the master computes sits idle;
	 *  - while next < count or due > 0:
	 *      if a task is left, MPI_Iprobe(MPI_ANY_SOURCE, LAB8_TAG_RESULT, ...):
	 *        nothing waiting -> compute task `next` yourself into results[next],
	 *        next++, and go round again;
	 *      else MPI_Recv(msg, 2, MPI_UINT64_T, MPI_ANY_SOURCE, LAB8_TAG_RESULT,
	 *        comm, &st): results[msg[0]] = msg[1]; due--; if a task is left,
	 *        send it to st.MPI_SOURCE - the worker that just became free;
	 *  - nothing is due any more: send every worker a STOP (tag STOP) - a
	 *    worker never told to stop waits for ever, and one told twice leaves
	 *    a message nobody receives.
	 * Why MPI_ANY_SOURCE, and not a receive from worker 1, then 2, ...?  With
	 * uneven tasks, the free worker is whichever finished first.
	 */
	return TODO("8.3", comm, t, results, log);
}

int find_break_even(const double *task_s, const double *efficiency, int n, double threshold,
		    double *break_even_s)
{
	/*
	 * TODO 8.4: the break-even task size.
	 *  - refuse n < 1 and sizes that do not increase (print why, return -1);
	 *  - below = the LARGEST k with efficiency[k] < threshold (not the first:
	 *    a noisy point can dip and come back, and only the last crossing
	 *    says "from here on it pays");
	 *  - none: *break_even_s = 0; below == n - 1: *break_even_s = INFINITY;
	 *  - else interpolate between below and below + 1, on log(size): sizes
	 *    step by factors (3e-6, 1e-5, 3e-5, ...), so the midpoint of 1e-5 and
	 *    1e-4 is 3.2e-5, not 5.5e-5.
	 */
	return TODO("8.4", task_s, efficiency, n, threshold, break_even_s);
}

int watch_job(pid_t job, const pid_t *ranks, int nranks, int victim, double limit_s,
	      struct lab8_job_end *end)
{
	/*
	 * TODO 8.5: a rank dies.
	 *  - kill(ranks[victim], SIGKILL) (it fails: say why, return -1);
	 *    t0 = wb_now();
	 *  - loop: r = waitpid(job, &end->status, WNOHANG);
	 *      r == job: it ended by itself (ended_by_itself = 1);
	 *      r == -1 (and not EINTR): say why, return -1;
	 *      past limit_s: kill(job, SIGKILL), then a plain waitpid to reap it
	 *      (ended_by_itself = 0);
	 *      else wb_sleep(0.001) and look again;
	 *  - end->ended_after_s = wb_now() - t0;
	 *  - survivors: every rank with lab8_process_alive(pid): count it, kill
	 *    it with SIGKILL, then wait (short sleeps, at most a second or two)
	 *    until lab8_process_alive says it is gone.  They are mpirun's
	 *    children, not yours: waitpid cannot reap them.
	 * Who noticed the death - you, mpirun, the other ranks?  Who retried the
	 * lost work?  (The chapter's table.)
	 */
	return TODO("8.5", job, ranks, nranks, victim, limit_s, end);
}
