/*
 * Lab 3: processes for CPU - reference solutions.
 * (For instructors: `make solution3` runs the lab with this file.)
 */
#include "exercises.h"

#include "checked.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* One task, timed and recorded by whichever process runs it. */
static uint64_t run_task(int worker, int task, uint64_t items, struct wb_timeline *tl)
{
	double start = wb_now();
	uint64_t result = wb_cpu_sum((uint64_t)task * items, items);
	wb_timeline_record(tl, worker, task, "cpu", start, wb_now());
	return result;
}

/* write() may write less than asked, and may be interrupted: loop until done. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes unless end-of-file comes first; returns the bytes read, or -1. */
static ssize_t read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;	/* end-of-file: every write end is closed */
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* --- 3.5: failure is visible ------------------------------------------- */

int wait_for_workers(const pid_t *pids, int n, char *report, size_t cap)
{
	int rc = 0;
	for (int k = 0; k < n; k++) {
		int status;
		while (waitpid(pids[k], &status, 0) == -1) {
			if (errno != EINTR) {
				snprintf(report + strlen(report), cap - strlen(report),
					 "worker %d: waitpid: %s\n", k, wb_strerror(errno));
				rc = -1;
				goto next;
			}
		}
		if (WIFSIGNALED(status)) {
			const char *name = sigabbrev_np(WTERMSIG(status));
			snprintf(report + strlen(report), cap - strlen(report),
				 "worker %d killed by SIG%s\n", k, name ? name : "?");
			rc = -1;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			snprintf(report + strlen(report), cap - strlen(report),
				 "worker %d exited with status %d\n", k, WEXITSTATUS(status));
			rc = -1;
		}
next:;
	}
	return rc;
}

/* Reap, and say what went wrong on stderr. */
static int reap_all(const pid_t *pids, int n)
{
	char report[2048] = "";
	if (wait_for_workers(pids, n, report, sizeof report) == 0)
		return 0;
	fputs(report, stderr);
	return -1;
}

/* --- 3.1: a process per task, results through pipes --------------------- */

int run_forked(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl)
{
	pid_t *pids = wb_xcalloc((size_t)tasks, sizeof *pids);
	int *readers = wb_xcalloc((size_t)tasks, sizeof *readers);
	int started = 0, rc = 0;

	for (; started < tasks; started++) {
		int fds[2];
		if (pipe(fds) == -1) {
			perror("pipe");
			rc = -1;
			break;
		}
		pid_t pid = fork();
		if (pid == -1) {
			perror("fork");
			close(fds[0]);
			close(fds[1]);
			rc = -1;
			break;
		}
		if (pid == 0) {
			close(fds[0]);
			uint64_t result = run_task(started, started, items, tl);
			_exit(write_all(fds[1], &result, sizeof result) == 0 ? 0 : 1);
		}
		/* Close our copy of the write end now: then the only write end is the
		 * child's, and if it dies we read end-of-file instead of waiting forever. */
		close(fds[1]);
		readers[started] = fds[0];
		pids[started] = pid;
	}
	/* Every child is running by now; collect the results in order. */
	for (int i = 0; i < started; i++) {
		if (read_all(readers[i], &results[i], sizeof results[i]) != sizeof results[i]) {
			fprintf(stderr, "task %d: no result from its process\n", i);
			rc = -1;
		}
		close(readers[i]);
	}
	if (reap_all(pids, started) != 0)
		rc = -1;
	free(readers);
	free(pids);
	return rc;
}

/* --- 3.2: a process per task, results in shared memory ------------------- */

int run_forked_shared(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl)
{
	/* A plain array would be copied into each child on fork (copy-on-write):
	 * the children's results would stay in their copies.  MAP_SHARED pages
	 * are the same physical pages in every process. */
	size_t bytes = (size_t)tasks * sizeof(uint64_t);
	uint64_t *shared = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				-1, 0);
	if (shared == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	pid_t *pids = wb_xcalloc((size_t)tasks, sizeof *pids);
	int started = 0, rc = 0;
	for (; started < tasks; started++) {
		pid_t pid = fork();
		if (pid == -1) {
			perror("fork");
			rc = -1;
			break;
		}
		if (pid == 0) {
			shared[started] = run_task(started, started, items, tl);
			_exit(0);
		}
		pids[started] = pid;
	}
	if (reap_all(pids, started) != 0)
		rc = -1;
	/* After the children are reaped their writes are complete and visible. */
	memcpy(results, shared, (size_t)started * sizeof *results);
	CHECK_SYS(munmap(shared, bytes));
	free(pids);
	return rc;
}

/* --- 3.3: a process pool ------------------------------------------------- */

struct task_result {
	int task;
	uint64_t result;
};

static _Noreturn void pool_worker(int worker, int tasks_in, int results_out, uint64_t items,
				  struct wb_timeline *tl)
{
	int task;
	for (;;) {
		ssize_t n = read_all(tasks_in, &task, sizeof task);
		if (n == 0)
			_exit(0);	/* end-of-file: no more tasks */
		if (n != sizeof task)
			_exit(1);
		struct task_result out = { task, run_task(worker, task, items, tl) };
		if (write_all(results_out, &out, sizeof out) != 0)
			_exit(1);
	}
}

/*
 * How many tasks per worker may be unanswered at once.  The parent writes a
 * task only while fewer than in_flight are unanswered, and otherwise reads a
 * result: so the task pipe never holds more than in_flight ints, nor the
 * result pipe more than in_flight pairs - a few hundred bytes, far below a
 * pipe's capacity (64 KiB; never under one 4 KiB page).  Neither pipe can
 * fill, no write blocks for long, and the pool cannot deadlock, however many
 * tasks there are.  (Writing every task before reading any result deadlocks
 * once both pipes are full: the parent waits for room in the task pipe, the
 * workers for room in the result pipe.)
 * At least one per worker: a worker that dies takes at most the task it was
 * computing with it, so while one worker lives, some task is still in the
 * pipe or in a live worker's hands, and a result will come; once all are
 * gone, the parent reads end-of-file.  Two, so that a worker finds its next
 * task already waiting.
 */
enum { IN_FLIGHT_PER_WORKER = 2 };

/* Read one (task, result) pair and file it; 0, or -1 after saying why. */
static int collect_result(int results_in, int tasks, int got, int *seen, uint64_t *results)
{
	struct task_result in;
	if (read_all(results_in, &in, sizeof in) != sizeof in) {
		fprintf(stderr, "the pool returned %d of %d results\n", got, tasks);
		return -1;
	}
	if (in.task < 0 || in.task >= tasks || seen[in.task]++) {
		fprintf(stderr, "the pool returned task %d twice or out of range\n", in.task);
		return -1;
	}
	results[in.task] = in.result;
	return 0;
}

/* The parent's loop: send a task while few are unanswered, else wait for a result.
 * Closes the task pipe (*tasks_out = -1) after the last task: the workers' signal to stop. */
static int hand_out_tasks(int *tasks_out, int results_in, int tasks, int in_flight,
			  uint64_t *results)
{
	int *seen = wb_xcalloc((size_t)tasks, sizeof *seen);
	int sent = 0, got = 0, rc = 0;
	while (got < tasks && rc == 0) {
		if (sent < tasks && sent - got < in_flight) {
			if (write_all(*tasks_out, &sent, sizeof sent) != 0) {
				perror("writing a task");
				rc = -1;
			}
			sent++;
		} else {
			rc = collect_result(results_in, tasks, got++, seen, results);
		}
		if (sent == tasks && *tasks_out != -1) {
			close(*tasks_out);	/* end-of-file: they stop when the pipe is empty */
			*tasks_out = -1;
		}
	}
	free(seen);
	return rc;
}

int run_process_pool(int tasks, int workers, uint64_t items, uint64_t *results,
		     struct wb_timeline *tl)
{
	int task_pipe[2], result_pipe[2];
	if (pipe(task_pipe) == -1) {
		perror("pipe");
		return -1;
	}
	if (pipe(result_pipe) == -1) {
		perror("pipe");
		close(task_pipe[0]);
		close(task_pipe[1]);
		return -1;
	}
	/* If every worker died, writing a task would raise SIGPIPE, whose default
	 * action kills this whole program without a word; ignored, write() fails
	 * with EPIPE instead, and we can say so.  Put the old action back after. */
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
	CHECK_SYS(sigemptyset(&ignore.sa_mask));
	CHECK_SYS(sigaction(SIGPIPE, &ignore, &old));

	pid_t *pids = wb_xcalloc((size_t)workers, sizeof *pids);
	int started = 0, rc = 0;
	for (; started < workers; started++) {
		pid_t pid = fork();
		if (pid == -1) {
			perror("fork");
			rc = -1;
			break;
		}
		if (pid == 0) {
			/* A worker keeping the task pipe's write end open would never see
			 * end-of-file, and neither would its siblings. */
			close(task_pipe[1]);
			close(result_pipe[0]);
			pool_worker(started, task_pipe[0], result_pipe[1], items, tl);
		}
		pids[started] = pid;
	}
	close(task_pipe[0]);
	close(result_pipe[1]);

	/* Tasks are 4-byte messages, results 16-byte ones: both below PIPE_BUF, so
	 * each is written whole and never interleaved with another worker's. */
	if (rc == 0 && started > 0)
		rc = hand_out_tasks(&task_pipe[1], result_pipe[0], tasks,
				    IN_FLIGHT_PER_WORKER * started, results);
	if (task_pipe[1] != -1)
		close(task_pipe[1]);	/* after a failure: the workers still must stop */
	close(result_pipe[0]);
	if (reap_all(pids, started) != 0)
		rc = -1;
	free(pids);
	CHECK_SYS(sigaction(SIGPIPE, &old, NULL));
	return started == workers ? rc : -1;
}

/* --- 3.4: what a process costs ----------------------------------------- */

int measure_fork_wait(int reps, struct wb_summary *cost)
{
	double *times = wb_xcalloc((size_t)reps, sizeof *times);
	for (int i = 0; i < reps; i++) {
		double t0 = wb_now();
		pid_t pid = fork();
		if (pid == -1) {
			perror("fork");
			free(times);
			return -1;
		}
		if (pid == 0)
			_exit(0);
		int status;
		while (waitpid(pid, &status, 0) == -1) {
			if (errno != EINTR) {
				perror("waitpid");
				free(times);
				return -1;
			}
		}
		times[i] = wb_now() - t0;
	}
	wb_summarize(times, reps, cost);
	free(times);
	return 0;
}
