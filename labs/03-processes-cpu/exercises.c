/*
 * Lab 3: processes for CPU - YOUR FILE.
 *
 * This is the only file you edit in this lab.  Each exercise is a function
 * with a numbered TODO; replace its placeholder `return TODO("3.k", ...);` with
 * your code.  Then:
 *     make lab3      run the lab (it works before you start, and says what is not done)
 *     make check3    check your exercises
 * The contract for each function is in exercises.h.  Rules for a child
 * process: do the work, write the result, and leave with _exit(), never
 * exit() or return (exit() would run the parent's atexit handlers and flush
 * a copy of the parent's stdio buffers a second time).
 */
#include "exercises.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int run_forked(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl)
{
	/*
	 * TODO 3.1: a process per task, results through pipes.
	 *  - for each task i: pipe(fds); pid = fork();
	 *    in the child: close the read end, compute
	 *      wb_cpu_sum((uint64_t)i * items, items) between two wb_now() calls,
	 *    record the span (worker i, task i, "cpu"), write the 8 bytes to the
	 *    write end, _exit(0);
	 *    in the parent: close the write end, keep the read end and the pid;
	 *  - only after forking them all: read each result (8 bytes, or it
	 *    failed: a child killed before it wrote leaves an empty pipe, and
	 *    read() returns 0), close the read end;
	 *  - reap every child (waitpid), even after a failure, and check how each
	 *    ended (WIFEXITED and WEXITSTATUS == 0), or use your 3.5
	 *    wait_for_workers.
	 * Why fork them all before reading any result?
	 */
	return TODO("3.1", tasks, items, results, tl);
}

int run_forked_shared(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl)
{
	/*
	 * TODO 3.2: a process per task, results in shared memory.
	 *  - before forking: mmap(NULL, tasks * sizeof(uint64_t), PROT_READ | PROT_WRITE,
	 *                         MAP_SHARED | MAP_ANONYMOUS, -1, 0)  (check MAP_FAILED);
	 *  - each child computes its task into its own slot of that array, records
	 *    its span, and _exit(0)s;
	 *  - the parent reaps every child, copies the array into results[], munmaps;
	 *    it returns -1 if any child did not exit with status 0 (a killed child
	 *    leaves a 0 in its slot: only its exit status tells you).
	 * Why would a plain global array not work here?
	 */
	return TODO("3.2", tasks, items, results, tl);
}

int run_process_pool(int tasks, int workers, uint64_t items, uint64_t *results,
		     struct wb_timeline *tl)
{
	/*
	 * TODO 3.3: a process pool.
	 *  - two pipes: task_pipe (parent writes task numbers) and result_pipe
	 *    (workers write {int task; uint64_t result} pairs);
	 *  - ignore SIGPIPE before the first fork, and put it back before you return:
	 *      struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
	 *      sigemptyset(&ignore.sa_mask);
	 *      sigaction(SIGPIPE, &ignore, &old);   ...   sigaction(SIGPIPE, &old, NULL);
	 *    If every worker has died, writing a task raises SIGPIPE, whose default
	 *    action kills your whole program without a word; ignored, write()
	 *    fails with EPIPE instead, and you can say what went wrong;
	 *  - fork `workers` children.  Worker w closes the ends it does not use,
	 *    then loops: read an int from task_pipe (0 bytes read = end-of-file:
	 *    stop), compute, record (worker w, task, "cpu"), write the pair;
	 *  - the parent closes the ends it does not use, then hands the tasks out
	 *    a few at a time.  Count sent and got; loop until got == tasks:
	 *      if a task is left and sent - got < 2 * workers: write task `sent`;
	 *      else: read one pair, results[pair.task] = pair.result, got++
	 *            (0 bytes read = every worker has gone: a result is missing);
	 *    close the task pipe's write end right after the last task (that is
	 *    the workers' signal to stop), and reap the workers.
	 * Why not write every task first, and read the results after?  A pipe
	 * holds 64 KiB: with enough tasks the result pipe fills, the workers
	 * block writing results, and the parent blocks writing tasks - for ever
	 * (the checker sends 50,000 tasks).  With at most 2 * workers unanswered,
	 * neither pipe ever holds more than a few hundred bytes.  (And why not
	 * just one task in flight for the whole pool?)
	 * A message of at most PIPE_BUF bytes is written in one piece, so
	 * several workers can share one pipe.  If the workers never see
	 * end-of-file, look for a write end you forgot to close.
	 */
	return TODO("3.3", tasks, workers, items, results, tl);
}

int measure_fork_wait(int reps, struct wb_summary *cost)
{
	/*
	 * TODO 3.4: what a process costs.
	 * Allocate reps doubles; for each: t0 = wb_now(), fork a child that
	 * calls _exit(0) at once, waitpid for it, store wb_now() - t0 (each
	 * time is one fork and its wait: the clock stops after waitpid returns).
	 * Then wb_summarize(times, reps, cost) and free the array.
	 */
	return TODO("3.4", reps, cost);
}

int wait_for_workers(const pid_t *pids, int n, char *report, size_t cap)
{
	/*
	 * TODO 3.5: failure is visible.
	 * For each k: waitpid(pids[k], &status, 0) (retry on EINTR).  Then:
	 *  - WIFSIGNALED(status): append "worker k killed by SIG<name>\n",
	 *    with the name from sigabbrev_np(WTERMSIG(status));
	 *  - WIFEXITED(status) with WEXITSTATUS(status) != 0: append
	 *    "worker k exited with status N\n".
	 * Append with snprintf(report + strlen(report), cap - strlen(report), ...).
	 * Reap them all even after a failure: a child you never wait for stays a zombie.
	 */
	return TODO("3.5", pids, n, report, cap);
}
