/*
 * driver.h - what the files of lab 4's driver share (main.c runs the
 * experiments; driver_echo.c is the convoy's echo service; driver_cpython.c
 * sets real CPython's figures beside the simulation's).  Scaffolding: your
 * work is in exercises.c.
 */
#ifndef LAB4_DRIVER_H
#define LAB4_DRIVER_H

#include "exercises.h"
#include "interpreter.h"
#include "lab.h"

#include <stdint.h>

/* The switch intervals of the sweep, in ms (main.c). */
#define SWEEP_POINTS 3
extern const double sweep_ms[SWEEP_POINTS];

/* What the options come to. */
struct settings {
	double interval_s;
	double task_s;
	uint64_t ticks;         /* one task's ticks */
	int requests;
	double delay_s;
	double convoy_s;        /* how long a convoy measurement runs, at the least */
	double book_s;          /* how long a bookkeeping run of two CPU threads lasts, at the least */
};

/* A GIL to run under: mode, forced switching, interval. */
struct gil_setup {
	enum gil_mode mode;
	int forced_switching;
	double interval_s;
};

/* --- What the experiments measured --------------------------------------------- */

struct cpu_run {
	const char *missing;      /* why it could not run: an exercise not done yet */
	struct wb_usage usage;
	unsigned long handoffs;
	struct gil_stats stats;
	double asked_slice_s;     /* median slice that ended on request */
};

struct cpu_figures {
	double seq_s, new_ratio, nogil_speedup, process_speedup;
	double new_cores, nogil_cores;       /* cores busy on average */
	int new_measured, process_measured;
	double handoffs_per_s;
};

struct convoy_run {
	const char *missing;
	int round_trips;
	struct wb_usage usage;
	double per_s;
	struct wb_summary latency;
	unsigned long handoffs;
};

struct convoy_figures {
	int measured;
	double alone_per_s, one_per_s, one_median_s, one_p99_s, two_per_s, two_p99_s;
};

struct sweep_point {
	int measured;
	struct convoy_run convoy;     /* beside one CPU thread */
	struct cpu_run book;          /* two CPU threads, timed */
};

/* --- The echo service (driver_echo.c) -------------------------------------------- */

/* One end of a socket pair, and the byte that goes back and forth. */
struct byte_io {
	int fd;
	char byte;
};

/* The echo thread's main: answers each byte on the socket (its argument: an int *) until EOF. */
void *echo_main(void *arg);

/* For gil_blocking_call: send io->byte, and receive it back. */
void echo_send(void *io);
void echo_receive(void *io);

/* --- CPython beside the simulation (driver_cpython.c) --------------------------- */

void beside_cpython(struct wb_lab *lab, const struct cpu_figures *cpu,
		    const struct convoy_figures *cv, const struct sweep_point *pts);

#endif
