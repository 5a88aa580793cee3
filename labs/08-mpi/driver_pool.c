/*
 * driver_pool.c - the one-machine figures lab 8 is compared with, measured
 * here and now rather than copied from lab 3: a process pool on the same
 * tasks (workers take the next task from a counter in shared memory), and
 * the round trip of one byte through a pair of pipes between two processes.
 */
#include "driver_pool.h"

#include "checked.h"
#include "timing.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct pool_shared {
	atomic_int next;
	uint64_t results[];
};

static void reap(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			DIE("waitpid: %s", wb_strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		DIE("a pool worker failed (status %#x)", status);
}

void lab8_pool_run(const struct lab8_tasks *t, int workers, uint64_t *results)
{
	size_t size = sizeof(struct pool_shared) + (size_t)t->count * sizeof(uint64_t);
	struct pool_shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				      -1, 0);
	if (sh == MAP_FAILED)
		DIE("mmap: %s", wb_strerror(errno));
	atomic_init(&sh->next, 0);
	pid_t *pids = wb_xcalloc((size_t)workers, sizeof *pids);
	fflush(NULL);
	for (int w = 0; w < workers; w++) {
		pids[w] = CHECK_SYS(fork());
		if (pids[w] == 0) {
			for (int i; (i = atomic_fetch_add(&sh->next, 1)) < t->count;)
				sh->results[i] = wb_cpu_sum(t->first[i], t->items[i]);
			_exit(0);
		}
	}
	for (int w = 0; w < workers; w++)
		reap(pids[w]);
	for (int i = 0; i < t->count; i++)
		results[i] = sh->results[i];
	free(pids);
	CHECK_SYS(munmap(sh, size));
}

double lab8_pipe_round_trip(int reps)
{
	int there[2], back[2];
	CHECK_SYS(pipe(there));
	CHECK_SYS(pipe(back));
	fflush(NULL);
	pid_t pid = CHECK_SYS(fork());
	char byte = 'x';
	if (pid == 0) {
		close(there[1]);
		close(back[0]);
		while (read(there[0], &byte, 1) == 1)
			if (write(back[1], &byte, 1) != 1)
				_exit(1);
		_exit(0);
	}
	CHECK_SYS(close(there[0]));
	CHECK_SYS(close(back[1]));
	double t0 = 0;
	for (int r = 0; r <= reps; r++) {
		if (r == 1)
			t0 = wb_now();	/* after one warm-up round trip */
		if (CHECK_SYS(write(there[1], &byte, 1)) != 1 || CHECK_SYS(read(back[0], &byte, 1)) != 1)
			DIE("the pipe round trip lost its byte");
	}
	double rt = (wb_now() - t0) / reps;
	CHECK_SYS(close(there[1]));	/* the child sees end-of-file and leaves */
	CHECK_SYS(close(back[0]));
	reap(pid);
	return rt;
}
