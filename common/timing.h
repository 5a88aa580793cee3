/*
 * timing.h - the one timing helper every lab uses.
 *
 * All times are seconds as doubles from CLOCK_MONOTONIC: it never jumps when
 * the wall clock is adjusted, and it is the same clock in every thread and in
 * every forked child, so times taken in different processes can be compared.
 */
#ifndef WB_TIMING_H
#define WB_TIMING_H

#include <stddef.h>
#include <time.h>

/* Seconds on the monotonic clock (an arbitrary origin; only differences mean anything). */
double wb_now(void);

/* The moment `seconds` from now on `clock`, for the timed waits that take an
 * absolute deadline (pthread_cond_timedwait on a condition variable given
 * that clock, pthread_timedjoin_np on CLOCK_REALTIME). */
struct timespec wb_deadline_in(clockid_t clock, double seconds);

/* Sleep for the given seconds (a real, blocking sleep: restarts after signals). */
void wb_sleep(double seconds);

/* A stopwatch: start it, read it as often as you like. */
struct wb_stopwatch {
	double started;
};
void wb_stopwatch_start(struct wb_stopwatch *sw);
double wb_stopwatch_elapsed(const struct wb_stopwatch *sw);

/*
 * Wall time vs CPU time of a piece of work.  CPU time is user + system time
 * of this process (all its threads) plus that of children reaped meanwhile,
 * from getrusage().  CPU much smaller than wall means the work mostly waited
 * (I/O-bound); CPU close to wall (or to wall x cores) means it computed.
 */
struct wb_usage {
	double wall_s;
	double cpu_s;
	double waited_s;   /* time this thread was ready to run but waited for a free core */
	/* private: the readings taken by wb_usage_begin */
	double wall0, cpu0, waited0;
};
void wb_usage_begin(struct wb_usage *u);
void wb_usage_end(struct wb_usage *u);

/* CPU seconds (user + system) used so far by this process and its reaped children. */
double wb_cpu_now(void);

/*
 * Seconds the calling thread has spent so far ready to run, but waiting for
 * a core (the second figure of /proc/thread-self/schedstat: the kernel's
 * "run delay").  On a busy machine a computation waits like this too, yet it
 * is not waiting *on* anything: wall time = CPU time + this wait + blocking.
 * 0 where the kernel does not keep it.
 */
double wb_waited_now(void);

/* Summary of repeated measurements. */
struct wb_summary {
	int count;
	double min, median, max, p99;
};

/* Sorts samples in place and summarises them. */
void wb_summarize(double *samples, int count, struct wb_summary *out);

/*
 * Run fn(arg) `warmup` times unmeasured (to fill caches, fault in pages,
 * start the CPU's clock), then `reps` times measured; summarise the times.
 */
void wb_repeat(int warmup, int reps, void (*fn)(void *arg), void *arg,
	       struct wb_summary *out);

/* Number of CPU cores this process may run on (sched_getaffinity), at least 1. */
int wb_cores(void);

/*
 * Around every experiment that runs student code:
 *  - a progress line on stderr, only when stderr is a terminal: after 2 s it
 *    shows "  label ... 3.5 s" and keeps it updated until wb_progress_end();
 *  - a time limit (limit_s > 0): an experiment still running after limit_s
 *    seconds is taken for stuck (a lock never released, a thread never
 *    joined), so the program says so and stops itself with SIGTERM, which
 *    also stops the lab server it started.  A deadlocked exercise must not
 *    hang `make labN`.  Pick limits far above the expected time.
 * One at a time.
 */
void wb_progress_begin(const char *label, double limit_s);
void wb_progress_end(void);

#endif
