/*
 * Lab 1: the sequential baseline - reference solutions.
 * (For instructors: `make solution1` runs the lab with this file.)
 */
#include "exercises.h"

#include <stdio.h>

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

int profile_workload(int (*work)(void *arg), void *arg, struct workload_profile *profile)
{
	struct wb_usage u;

	wb_usage_begin(&u);
	int rc = work(arg);
	wb_usage_end(&u);
	if (rc != 0)
		return rc;
	profile->wall_s = u.wall_s;
	profile->cpu_s = u.cpu_s;
	profile->cpu_share = u.wall_s > 0 ? u.cpu_s / u.wall_s : 0;
	profile->kind = profile->cpu_share >= 0.5 ? WORKLOAD_CPU_BOUND : WORKLOAD_IO_BOUND;
	return 0;
}

int predict_sequential_time(const struct plan *plan, double *predicted_s)
{
	*predicted_s = plan->requests * (plan->delay_s + plan->request_overhead_s) +
		       plan->tasks * plan->task_s;
	return 0;
}
