/*
 * Lab 3: processes for CPU - the contract.
 *
 * These are the functions you write in exercises.c.  The driver (main.c)
 * and the checker (tests/lab3_check.c) call them exactly as declared here,
 * so do not change this file: change exercises.c.
 *
 * Every function returns 0 on success, -1 on failure (after saying why),
 * or WB_NOT_DONE while it is still the handout's placeholder.
 *
 * The CPU work: task i sums the kernel over its own range of items,
 *     result of task i = wb_cpu_sum(i * items, items)
 * and each task is recorded on the timeline as (worker, task i, "cpu") by
 * the process that ran it: the timeline lives in shared memory, so a
 * child's records reach the parent.
 */
#ifndef LAB3_EXERCISES_H
#define LAB3_EXERCISES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpuwork.h"
#include "exercise.h"
#include "timeline.h"
#include "timing.h"

/*
 * Exercise 3.1 - a process per task, results through pipes.
 * For each task: make a pipe, fork a child that computes the task, records
 * its span (worker i, task i), writes the 8-byte result into the pipe and
 * leaves with _exit(0).  Fork them all first; then read each result into
 * results[i] and reap every child.  Return -1 if any child failed (did not
 * exit with status 0: killed by a signal, say) or any result is missing.
 */
int run_forked(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl);

/*
 * Exercise 3.2 - a process per task, results in shared memory.
 * The same, but the children write their results straight into an array in
 * a MAP_SHARED | MAP_ANONYMOUS mapping made before the first fork; the
 * parent copies it into results[] once every child is reaped, then unmaps it.
 * Return -1 if any child failed: a killed child leaves a 0 in its slot, and
 * only its exit status tells.
 */
int run_forked_shared(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl);

/*
 * Exercise 3.3 - a process pool.
 * Fork `workers` processes once.  They read task numbers (ints) from one
 * task pipe until it reaches end-of-file, and write (task, result) pairs
 * into one result pipe; worker w records its spans as (worker w, task i).
 * The parent hands the tasks 0 .. tasks-1 out a few at a time: it keeps at
 * most 2 x workers of them unanswered, reading a result before it writes
 * the next task, so neither pipe can ever fill, however many tasks there
 * are.  (Writing every task first deadlocks once both pipes are full.)
 * After the last task it closes the task pipe, reads the remaining results
 * into results[task], and reaps the workers.  Return -1 if any worker
 * failed or any result is missing.  Any number of tasks must work: the
 * checker sends 50,000.
 */
int run_process_pool(int tasks, int workers, uint64_t items, uint64_t *results,
		     struct wb_timeline *tl);

/*
 * Exercise 3.4 - what a process costs.
 * `reps` times: fork a child that exits at once, and wait for it; time each
 * fork-and-wait with wb_now().  Summarise the times with wb_summarize().
 */
int measure_fork_wait(int reps, struct wb_summary *cost);

/*
 * Exercise 3.5 - failure is visible.
 * Reap the n children in pids[] (pids[k] is worker k).  For each one that
 * did not exit with status 0, append one line to `report` (a string of
 * `cap` bytes, empty on entry), either
 *     "worker 2 killed by SIGSEGV\n"      (sigabbrev_np gives "SEGV")
 *     "worker 3 exited with status 3\n"
 * Return 0 if every child exited with status 0, else -1.
 */
int wait_for_workers(const pid_t *pids, int n, char *report, size_t cap);

#endif
