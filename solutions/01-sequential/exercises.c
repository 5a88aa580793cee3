/*
 * Lab 1: the sequential baseline - reference solutions.
 * (For instructors: `make solution1` runs the lab with this file.)
 */
#include "exercises.h"

#include <stdio.h>
#include <sys/resource.h>

int time_one_request(const char *url, double *seconds)
{
	struct wb_stopwatch sw;
	struct wb_http_result result;

	wb_stopwatch_start(&sw);
	if (wb_http_fetch(url, REQUEST_TIMEOUT_S, &result, NULL) != 0) {
		fprintf(stderr, "%s\n", result.error);
		return -1;
	}
	*seconds = wb_stopwatch_elapsed(&sw);
	return 0;
}

int fetch_sequentially(const char *const *urls, int n, double *times, struct wb_timeline *tl)
{
	for (int i = 0; i < n; i++) {
		struct wb_http_result result;
		double start = wb_now();
		if (wb_http_fetch(urls[i], REQUEST_TIMEOUT_S, &result, NULL) != 0) {
			fprintf(stderr, "%s\n", result.error);
			return -1;
		}
		double end = wb_now();
		times[i] = end - start;
		wb_timeline_record(tl, 0, i, "fetch", start, end);
	}
	return 0;
}

int run_tasks_sequentially(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl)
{
	for (int i = 0; i < tasks; i++) {
		double start = wb_now();
		results[i] = wb_cpu_sum((uint64_t)i * items, items);
		wb_timeline_record(tl, 0, i, "cpu", start, wb_now());
	}
	return 0;
}

/* This process's context switches so far, each way: 0, or -1 after saying why. */
static int read_switches(long *voluntary, long *involuntary)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		perror("getrusage");
		return -1;
	}
	*voluntary = ru.ru_nvcsw;
	*involuntary = ru.ru_nivcsw;
	return 0;
}

int profile_workload(int (*work)(void *arg), void *arg, struct workload_profile *profile)
{
	struct wb_usage u;
	long vol0, invol0, vol1, invol1;

	if (read_switches(&vol0, &invol0) != 0)
		return -1;
	wb_usage_begin(&u);
	int rc = work(arg);
	wb_usage_end(&u);
	if (rc != 0)
		return rc;
	if (read_switches(&vol1, &invol1) != 0)
		return -1;
	profile->wall_s = u.wall_s;
	profile->cpu_s = u.cpu_s;
	profile->waited_s = u.waited_s;
	profile->cpu_share = u.wall_s > 0 ? u.cpu_s / u.wall_s : 0;
	profile->voluntary_switches = vol1 - vol0;
	profile->involuntary_switches = invol1 - invol0;
	/* A low share alone may be a computation waiting for a core: count that wait
	 * as wanting the CPU, for it was ready to run all along. */
	profile->kind = u.cpu_s + u.waited_s >= 0.5 * u.wall_s ? WORKLOAD_CPU_BOUND
							       : WORKLOAD_IO_BOUND;
	return 0;
}

int predict_sequential_time(const struct plan *plan, double *predicted_s)
{
	*predicted_s = plan->requests * (plan->delay_s + plan->request_overhead_s) +
		       plan->tasks * plan->task_s;
	return 0;
}
