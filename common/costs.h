/*
 * costs.h - what a thread and a process cost, measured on this machine.
 */
#ifndef WB_COSTS_H
#define WB_COSTS_H

#include <stddef.h>

#include "timing.h"

/* Create and join a thread that does nothing, `reps` times (after a warm-up). */
void wb_cost_thread(int reps, struct wb_summary *out);

/* fork() a child that exits at once, and wait for it, `reps` times. */
void wb_cost_fork(int reps, struct wb_summary *out);

/* posix_spawn() /bin/true and wait for it, `reps` times. */
void wb_cost_spawn(int reps, struct wb_summary *out);

struct wb_thread_memory {
	int threads;               /* how many were alive at once */
	size_t stack_bytes;        /* default stack reserved per thread */
	double vm_kib_per_thread;  /* growth of the address space (VmSize) per thread */
	double rss_kib_per_thread; /* growth of memory really used (VmRSS) per thread */
};

/* Start `threads` idle threads, read /proc/self/status with all of them
 * alive, then release and join them. */
void wb_cost_thread_memory(int threads, struct wb_thread_memory *out);

#endif
