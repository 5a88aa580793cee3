/*
 * cpuwork.h - CPU-bound work that can be checked and timed.
 *
 * The work is a sum over a range of integers of a scrambling function
 * (splitmix64's finaliser).  Three properties make it a good teaching kernel:
 *   - it cannot be skipped: the compiler knows no closed form for the sum,
 *     and a student who skips items gets a wrong total;
 *   - it splits: the sum over [0, n) equals the sum of the sums over any
 *     chunks that cover [0, n) exactly once, so a parallel version can be
 *     checked against the sequential one;
 *   - it touches no memory, so threads and processes do not compete for
 *     caches: what you measure is the cores.
 * Calibration picks how many items take a given time on *this* machine, so
 * a demo takes the same time on a laptop and on a classroom server.
 */
#ifndef WB_CPUWORK_H
#define WB_CPUWORK_H

#include <stdint.h>

/* Sum of mix(i) for i in [first, first + count), modulo 2^64. */
uint64_t wb_cpu_sum(uint64_t first, uint64_t count);

/* The scrambling function itself (exposed for tests). */
uint64_t wb_cpu_mix(uint64_t x);

/* The workbook's one random generator: splitmix64, the same mix applied to a
 * counter.  Repeatable from a seed on any C library (rand() is not). */
uint64_t wb_splitmix64(uint64_t *state);

/*
 * Items that take about `seconds` of one core's time on this machine.
 * The first call measures (about 0.25 s); later calls reuse the measurement.
 * Never returns less than 1.
 */
uint64_t wb_cpu_items_for(double seconds);

/* Nanoseconds per item measured by the calibration (calibrates if needed). */
double wb_cpu_ns_per_item(void);

#endif
