/* cpuwork.c - the checkable CPU kernel and its calibration (see cpuwork.h). */
#include "cpuwork.h"

#include "checked.h"
#include "timing.h"

#include <pthread.h>

uint64_t wb_cpu_mix(uint64_t x)
{
	/* splitmix64's finaliser: every input bit affects every output bit. */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t wb_splitmix64(uint64_t *state)
{
	/* The generator is the same mix applied to a counter: one function for both jobs. */
	uint64_t x = *state;
	*state += 0x9e3779b97f4a7c15ULL;
	return wb_cpu_mix(x);
}

uint64_t wb_cpu_sum(uint64_t first, uint64_t count)
{
	uint64_t sum = 0;
	for (uint64_t i = first; i < first + count; i++)
		sum += wb_cpu_mix(i);
	return sum;
}

static pthread_once_t calibrated = PTHREAD_ONCE_INIT;
static double ns_per_item;

/* The sink keeps the compiler from discarding the timed calls. */
static volatile uint64_t calibration_sink;

static void calibrate(void)
{
	/* Grow the batch until one batch takes at least 30 ms (long enough for
	 * the clock to be precise and the CPU to reach its working frequency),
	 * then keep the fastest of five runs: the slower ones met interference
	 * (another process on this core, a virtual machine's hiccup). */
	uint64_t items = 1u << 16;
	double took;
	for (;;) {
		double t0 = wb_now();
		calibration_sink = wb_cpu_sum(0, items);
		took = wb_now() - t0;
		if (took >= 0.03)
			break;
		items *= 2;
	}
	double best = took;
	for (int run = 1; run <= 5; run++) {
		double t0 = wb_now();
		calibration_sink = wb_cpu_sum((uint64_t)run * items, items);
		double t = wb_now() - t0;
		if (t < best)
			best = t;
	}
	ns_per_item = best * 1e9 / (double)items;
}

double wb_cpu_ns_per_item(void)
{
	CHECK_PT(pthread_once(&calibrated, calibrate));
	return ns_per_item;
}

uint64_t wb_cpu_items_for(double seconds)
{
	double items = seconds * 1e9 / wb_cpu_ns_per_item();
	return items < 1 ? 1 : (uint64_t)items;
}
