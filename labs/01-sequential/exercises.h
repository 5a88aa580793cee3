/*
 * Lab 1: the sequential baseline - the contract.
 *
 * These are the functions you write in exercises.c.  The driver (main.c)
 * and the checker (tests/lab1_check.c) call them exactly as declared here,
 * so do not change this file: change exercises.c.
 *
 * Every function returns 0 on success, -1 on failure (after printing why),
 * or WB_NOT_DONE while it is still the handout's placeholder.
 */
#ifndef LAB1_EXERCISES_H
#define LAB1_EXERCISES_H

#include <stdint.h>

#include "cpuwork.h"
#include "exercise.h"
#include "http.h"
#include "timeline.h"
#include "timing.h"

/*
 * Exercise 1.1 - time one request.
 * GET `url` once and store how long it took, in seconds, in *seconds.
 */
int time_one_request(const char *url, double *seconds);

/*
 * Exercise 1.2 - fetch N URLs one after another.
 * GET urls[0], then urls[1], ... urls[n-1], each only after the previous one
 * has finished.  Store the time of request i in times[i], and record it on
 * the timeline as a span (worker 0, task i, kind "fetch").
 */
int fetch_sequentially(const char *const *urls, int n, double *times, struct wb_timeline *tl);

/*
 * Exercise 1.3 - run T CPU tasks one after another.
 * Task i sums the CPU kernel over its own range of `items` items:
 *     results[i] = wb_cpu_sum(i * items, items)
 * Record each task on the timeline as a span (worker 0, task i, kind "cpu").
 */
int run_tasks_sequentially(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl);

/* What a workload spends its time on. */
enum workload_kind { WORKLOAD_IO_BOUND, WORKLOAD_CPU_BOUND };

struct workload_profile {
	double wall_s;              /* elapsed time on the clock */
	double cpu_s;               /* CPU time this process used meanwhile */
	double waited_s;            /* time it was ready to run but waited for a free core */
	double cpu_share;           /* cpu_s / wall_s */
	long voluntary_switches;    /* times it gave up the CPU itself: it blocked, waiting */
	long involuntary_switches;  /* times the kernel took the CPU away: it was preempted */
	enum workload_kind kind;    /* the rule below */
};

/*
 * Exercise 1.4 - measure wall time vs CPU time, and classify.
 * Run work(arg) once, measuring its wall time, its CPU time, the time it
 * waited for a free core (wb_usage gives all three), and how often this
 * process was switched off the CPU meanwhile, each way (the change in
 * ru_nvcsw and ru_nivcsw of getrusage(RUSAGE_SELF)); fill in *profile.
 * If work returns non-zero, return that value (no profile).
 *
 * The rule: CPU-bound when the work was computing or waiting for a core at
 * least half the time, (cpu_s + waited_s) >= wall_s / 2; otherwise I/O-bound.
 * Why not cpu_share alone: on a loaded machine a computation waits too - for
 * a core - and its share falls far below 0.5.  But it was ready to run all
 * that time: its wait is run-queue time, not waiting on I/O.  The switches
 * tell the same story in counts (a computation is preempted, it seldom
 * blocks), though too coarsely to decide by.
 */
int profile_workload(int (*work)(void *arg), void *arg, struct workload_profile *profile);

/* What the sequential program will do, for exercise 1.5. */
struct plan {
	int requests;               /* HTTP requests, one after another */
	double delay_s;             /* the server's delay per request */
	double request_overhead_s;  /* time per request beyond the delay (measured in 1.1) */
	int tasks;                  /* CPU tasks, one after another */
	double task_s;              /* CPU time per task */
};

/*
 * Exercise 1.5 - predict before you measure.
 * From the plan alone, compute the total time the sequential program will
 * take to make all its requests and then run all its tasks.
 */
int predict_sequential_time(const struct plan *plan, double *predicted_s);

#endif
