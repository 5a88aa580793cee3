/*
 * Lab 8: beyond one machine (MPI) - reference answers.
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
	int rank;
	MPI_Comm_rank(comm, &rank);
	if (rank > 1)
		return 0;
	unsigned char *out = malloc((size_t)bytes + 1), *in = malloc((size_t)bytes + 1);
	if (!out || !in) {
		fprintf(stderr, "ping_pong: out of memory for %d bytes\n", bytes);
		free(out);
		free(in);
		return -1;
	}
	for (int i = 0; i < bytes; i++)
		out[i] = (unsigned char)(i * 7 + 1);
	int rc = 0;
	double t0 = 0;
	for (int r = 0; r <= reps; r++) {
		if (r == 1)
			t0 = MPI_Wtime();	/* after the warm-up */
		if (rank == 0) {
			MPI_Send(out, bytes, MPI_BYTE, 1, 0, comm);
			MPI_Recv(in, bytes, MPI_BYTE, 1, 0, comm, MPI_STATUS_IGNORE);
			if (bytes > 0 && memcmp(in, out, (size_t)bytes) != 0)
				rc = -1;
		} else {
			MPI_Recv(in, bytes, MPI_BYTE, 0, 0, comm, MPI_STATUS_IGNORE);
			MPI_Send(in, bytes, MPI_BYTE, 0, 0, comm);
		}
	}
	if (rank == 0) {
		*round_trip_s = reps > 0 ? (MPI_Wtime() - t0) / reps : 0;
		if (rc != 0)
			fprintf(stderr, "ping_pong: the %d bytes that came back differ\n", bytes);
	}
	free(out);
	free(in);
	return rc;
}

int static_partition(MPI_Comm comm, const struct lab8_tasks *t, uint64_t *total,
		     struct lab8_log *log)
{
	int rank, size;
	MPI_Comm_rank(comm, &rank);
	MPI_Comm_size(comm, &size);
	int *blocks = NULL;	/* {first, end} per rank, on rank 0 */
	if (rank == 0) {
		blocks = malloc(2 * (size_t)size * sizeof *blocks);
		if (!blocks) {
			fprintf(stderr, "static_partition: out of memory\n");
			MPI_Abort(comm, 1);
		}
		for (int r = 0; r < size; r++) {
			blocks[2 * r] = (int)((long)r * t->count / size);
			blocks[2 * r + 1] = (int)((long)(r + 1) * t->count / size);
		}
	}
	int mine[2];
	MPI_Scatter(blocks, 2, MPI_INT, mine, 2, MPI_INT, 0, comm);
	free(blocks);
	uint64_t partial = 0;
	for (int i = mine[0]; i < mine[1]; i++)
		partial += lab8_do_task(t, i, log);
	MPI_Reduce(&partial, total, 1, MPI_UINT64_T, MPI_SUM, 0, comm);
	return 0;
}

static void send_task(MPI_Comm comm, int worker, int task, int count)
{
	uint64_t msg = (uint64_t)task;
	MPI_Send(&msg, 1, MPI_UINT64_T, worker, task < count ? LAB8_TAG_WORK : LAB8_TAG_STOP,
		 comm);
}

static void master(MPI_Comm comm, int size, const struct lab8_tasks *t, uint64_t *results,
		   struct lab8_log *log)
{
	int next = 0, due = 0;
	/* Two tasks in hand per worker: one to compute and one waiting in its
	 * queue, so that a worker never waits while the master computes a task
	 * of its own (the master answers only between its tasks). */
	for (int round = 0; round < 2; round++)
		for (int w = 1; w < size && next < t->count; w++) {
			send_task(comm, w, next++, t->count);
			due++;
		}
	while (next < t->count || due > 0) {
		int waiting = 0;
		MPI_Status st;
		if (next < t->count)
			MPI_Iprobe(MPI_ANY_SOURCE, LAB8_TAG_RESULT, comm, &waiting, &st);
		if (next < t->count && !waiting) {
			results[next] = lab8_do_task(t, next, log);	/* the master works too */
			next++;
			continue;
		}
		uint64_t msg[2];
		MPI_Recv(msg, 2, MPI_UINT64_T, MPI_ANY_SOURCE, LAB8_TAG_RESULT, comm, &st);
		results[msg[0]] = msg[1];
		due--;
		if (next < t->count) {
			send_task(comm, st.MPI_SOURCE, next++, t->count);
			due++;
		}
	}
	for (int w = 1; w < size; w++)	/* nothing is due: every worker is idle */
		send_task(comm, w, t->count, t->count);	/* a stop */
}

static void worker(MPI_Comm comm, const struct lab8_tasks *t, struct lab8_log *log)
{
	for (;;) {
		uint64_t task;
		MPI_Status st;
		MPI_Recv(&task, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, comm, &st);
		if (st.MPI_TAG == LAB8_TAG_STOP)
			return;
		uint64_t msg[2] = { task, lab8_do_task(t, (int)task, log) };
		MPI_Send(msg, 2, MPI_UINT64_T, 0, LAB8_TAG_RESULT, comm);
	}
}

int master_workers(MPI_Comm comm, const struct lab8_tasks *t, uint64_t *results,
		   struct lab8_log *log)
{
	int rank, size;
	MPI_Comm_rank(comm, &rank);
	MPI_Comm_size(comm, &size);
	if (rank == 0)
		master(comm, size, t, results, log);
	else
		worker(comm, t, log);
	return 0;
}

int find_break_even(const double *task_s, const double *efficiency, int n, double threshold,
		    double *break_even_s)
{
	if (n < 1) {
		fprintf(stderr, "find_break_even: no measurements\n");
		return -1;
	}
	for (int k = 1; k < n; k++) {
		if (!(task_s[k] > task_s[k - 1])) {
			fprintf(stderr, "find_break_even: sizes not increasing at %d (%g after %g)\n",
				k, task_s[k], task_s[k - 1]);
			return -1;
		}
	}
	int below = -1;
	for (int k = 0; k < n; k++)
		if (efficiency[k] < threshold)
			below = k;
	if (below < 0) {
		*break_even_s = 0;
	} else if (below == n - 1) {
		*break_even_s = INFINITY;
	} else {
		double e0 = efficiency[below], e1 = efficiency[below + 1];
		double f = (threshold - e0) / (e1 - e0);
		double l0 = log(task_s[below]), l1 = log(task_s[below + 1]);
		*break_even_s = exp(l0 + f * (l1 - l0));
	}
	return 0;
}

/* Kill what is still alive of ranks[], and wait until it is gone (at most 2 s). */
static int reap_survivors(const pid_t *ranks, int nranks)
{
	int survivors = 0;
	for (int k = 0; k < nranks; k++) {
		if (!lab8_process_alive(ranks[k]))
			continue;
		survivors++;
		if (kill(ranks[k], SIGKILL) == -1 && errno != ESRCH) {
			perror("watch_job: kill");
			return -1;
		}
	}
	double until = wb_now() + 2;
	for (int k = 0; k < nranks; k++)
		while (lab8_process_alive(ranks[k]) && wb_now() < until)
			wb_sleep(0.001);
	return survivors;
}

int watch_job(pid_t job, const pid_t *ranks, int nranks, int victim, double limit_s,
	      struct lab8_job_end *end)
{
	if (kill(ranks[victim], SIGKILL) == -1) {
		fprintf(stderr, "watch_job: kill rank %d (pid %d): %s\n", victim, (int)ranks[victim],
			strerror(errno));
		return -1;
	}
	double t0 = wb_now();
	end->ended_by_itself = 1;
	for (;;) {
		pid_t r = waitpid(job, &end->status, WNOHANG);
		if (r == job)
			break;
		if (r == -1 && errno != EINTR) {
			perror("watch_job: waitpid");
			return -1;
		}
		if (wb_now() - t0 > limit_s) {
			end->ended_by_itself = 0;
			kill(job, SIGKILL);
			while (waitpid(job, &end->status, 0) == -1)
				if (errno != EINTR) {
					perror("watch_job: waitpid");
					return -1;
				}
			break;
		}
		wb_sleep(0.001);
	}
	end->ended_after_s = wb_now() - t0;
	end->survivors = reap_survivors(ranks, nranks);
	return end->survivors < 0 ? -1 : 0;
}
