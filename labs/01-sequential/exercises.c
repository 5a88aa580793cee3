/*
 * Lab 1: the sequential baseline - YOUR FILE.
 *
 * This is the only file you edit in this lab.  Each exercise is a function
 * with a numbered TODO; replace its placeholder `return TODO("1.k", ...);` with
 * your code.  Then:
 *     make lab1      run the lab (it works before you start, and says what is not done)
 *     make check1    check your exercises
 * The contract for each function is in exercises.h; the toolkit you may use
 * is in common/ (timing.h, http.h, timeline.h, cpuwork.h).
 */
#include "exercises.h"

#include <stdio.h>
#include <sys/resource.h>

int time_one_request(const char *url, double *seconds)
{
	/*
	 * TODO 1.1: time one request.
	 *  - start a stopwatch (struct wb_stopwatch, wb_stopwatch_start);
	 *  - GET the url with wb_http_fetch(url, REQUEST_TIMEOUT_S, &result, NULL);
	 *    if it fails, print result.error to stderr and return -1;
	 *  - store wb_stopwatch_elapsed() in *seconds and return 0.
	 */
	return TODO("1.1", url, seconds);
}

int fetch_sequentially(const char *const *urls, int n, double *times, struct wb_timeline *tl)
{
	/*
	 * TODO 1.2: fetch N URLs one after another.
	 * For each i from 0 to n-1:
	 *  - note the time with wb_now(), GET urls[i] (as in 1.1), note the time again;
	 *  - store the difference in times[i];
	 *  - record the span: wb_timeline_record(tl, 0, i, "fetch", start, end).
	 * Stop at the first failure: print its error and return -1.
	 */
	return TODO("1.2", urls, n, times, tl);
}

int run_tasks_sequentially(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl)
{
	/*
	 * TODO 1.3: run T CPU tasks one after another.
	 * For each task i: note the time, compute results[i] = wb_cpu_sum(i * items, items),
	 * note the time again, and record the span (worker 0, task i, kind "cpu").
	 */
	return TODO("1.3", tasks, items, results, tl);
}

int profile_workload(int (*work)(void *arg), void *arg, struct workload_profile *profile)
{
	/*
	 * TODO 1.4: measure wall time vs CPU time, and classify.
	 *  - struct wb_usage u; wb_usage_begin(&u); run work(arg); wb_usage_end(&u);
	 *    (if work returned non-zero, return that value);
	 *  - around the same work, read getrusage(RUSAGE_SELF, &r) before and after
	 *    (struct rusage; check that it returns 0) and store the differences:
	 *    voluntary_switches from ru_nvcsw, involuntary_switches from ru_nivcsw;
	 *  - copy u.wall_s, u.cpu_s and u.waited_s into *profile, compute
	 *    cpu_share = cpu / wall;
	 *  - kind: WORKLOAD_CPU_BOUND when cpu + waited (computing, or ready to
	 *    compute but waiting for a core) is at least half the wall time, else
	 *    WORKLOAD_IO_BOUND.
	 * Think: what is cpu_share for a program that waits on the network?  And for
	 * a computation that shares its core with a busier program?
	 */
	return TODO("1.4", work, arg, profile);
}

int predict_sequential_time(const struct plan *plan, double *predicted_s)
{
	/*
	 * TODO 1.5: predict before you measure.
	 * Each request costs its delay plus the overhead; each task costs task_s;
	 * nothing overlaps.  Store the total in *predicted_s.
	 */
	return TODO("1.5", plan, predicted_s);
}
