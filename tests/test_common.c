/*
 * tests/test_common.c - unit tests of the shared toolkit (common/).
 */
#include <criterion/criterion.h>
#include <sys/resource.h>

#include "cpuwork.h"
#include "exercise.h"
#include "options.h"
#include "lab.h"
#include "results.h"
#include "timeline.h"
#include "timing.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- timing ------------------------------------------------------------- */

Test(timing, clock_is_monotonic_and_sleep_sleeps, .timeout = 10)
{
	double a = wb_now();
	wb_sleep(0.05);
	double b = wb_now();
	cr_assert(b - a >= 0.049, "slept %.4f s for 0.05 s", b - a);
	cr_assert(b - a < 2.0, "slept %.4f s for 0.05 s", b - a);
}

Test(timing, summary_of_samples, .timeout = 10)
{
	double s[] = { 5, 1, 4, 2, 3 };
	struct wb_summary sum;
	wb_summarize(s, 5, &sum);
	cr_assert(sum.count == 5 && sum.min == 1 && sum.median == 3 && sum.max == 5 && sum.p99 == 5);
	double even[] = { 4, 1, 3, 2 };
	wb_summarize(even, 4, &sum);
	cr_assert(sum.median == 2.5, "median of 1..4 is 2.5, got %g", sum.median);
}

static void spin(void *arg)
{
	double until = wb_now() + *(double *)arg;
	while (wb_now() < until)
		;
}

Test(timing, repeat_and_usage, .timeout = 10)
{
	double d = 0.01;
	struct wb_summary sum;
	wb_repeat(1, 5, spin, &d, &sum);
	cr_assert(sum.count == 5 && sum.min >= 0.0099, "min %.4f", sum.min);

	struct wb_usage u;
	d = 0.2;
	wb_usage_begin(&u);
	spin(&d);
	wb_usage_end(&u);
	cr_assert(u.wall_s >= 0.199 && u.cpu_s > 0.1, "wall %.3f cpu %.3f", u.wall_s, u.cpu_s);
	/* Computing, or ready to and waiting for a core: together nearly all of the wall time. */
	cr_assert(u.waited_s >= 0 && u.cpu_s + u.waited_s > 0.9 * u.wall_s,
		  "wall %.3f cpu %.3f waited %.3f", u.wall_s, u.cpu_s, u.waited_s);

	wb_usage_begin(&u);
	wb_sleep(0.2);
	wb_usage_end(&u);
	cr_assert(u.wall_s >= 0.199 && u.cpu_s < 0.05, "wall %.3f cpu %.3f", u.wall_s, u.cpu_s);
}

Test(timing, cores, .timeout = 5)
{
	cr_assert(wb_cores() >= 1);
}

/* --- timeline ----------------------------------------------------------- */

struct recorder_arg {
	struct wb_timeline *tl;
	int worker;
};

static void *record_from_thread(void *p)
{
	struct recorder_arg *a = p;
	double start = wb_now();
	wb_sleep(0.1);
	wb_timeline_record(a->tl, a->worker, a->worker, "wait", start, wb_now());
	return NULL;
}

Test(timeline, threads_overlap, .timeout = 10)
{
	struct wb_timeline *tl = wb_timeline_new(16);
	pthread_t t[4];
	struct recorder_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct recorder_arg){ tl, i };
		cr_assert(pthread_create(&t[i], NULL, record_from_thread, &args[i]) == 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_assert(wb_timeline_count(tl) == 4);
	cr_assert(wb_timeline_max_overlap(tl, "wait") == 4, "overlap %d",
		  wb_timeline_max_overlap(tl, "wait"));
	cr_assert(wb_timeline_max_overlap(tl, "cpu") == 0);
	cr_assert(wb_timeline_distinct_pids(tl, NULL) == 1);
	wb_timeline_free(tl);
}

Test(timeline, children_write_to_the_parent, .timeout = 10)
{
	struct wb_timeline *tl = wb_timeline_new(16);
	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0) {
			wb_timeline_record(tl, i, i, "cpu", wb_now(), wb_now() + 1);
			_exit(0);
		}
	}
	for (int i = 0; i < 3; i++)
		cr_assert(wait(NULL) > 0);
	cr_assert(wb_timeline_count(tl) == 3, "the parent sees %zu spans from 3 children",
		  wb_timeline_count(tl));
	cr_assert(wb_timeline_distinct_pids(tl, "cpu") == 3);
	wb_timeline_free(tl);
}

Test(timeline, back_to_back_does_not_overlap_and_full_is_refused, .timeout = 10)
{
	struct wb_timeline *tl = wb_timeline_new(2);
	cr_assert(wb_timeline_record(tl, 0, 0, "x", 1.0, 2.0) == 0);
	cr_assert(wb_timeline_record(tl, 0, 1, "x", 2.0, 3.0) == 0);
	cr_assert(wb_timeline_record(tl, 0, 2, "x", 3.0, 4.0) == -1);
	cr_assert(wb_timeline_max_overlap(tl, "x") == 1);
	char path[] = "/tmp/wb-timeline-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	cr_assert(wb_timeline_write(tl, path) == 0);
	FILE *f = fopen(path, "r");
	char line[256];
	int rows = 0;
	while (fgets(line, sizeof line, f))
		rows += line[0] != '#';
	fclose(f);
	unlink(path);
	cr_assert(rows == 2, "wrote %d rows, expected 2", rows);
	wb_timeline_reset(tl);
	cr_assert(wb_timeline_count(tl) == 0);
	wb_timeline_free(tl);
}

/* --- cpu work ----------------------------------------------------------- */

Test(cpuwork, chunks_add_up_to_the_whole, .timeout = 10)
{
	uint64_t whole = wb_cpu_sum(0, 100000);
	uint64_t parts = wb_cpu_sum(0, 30000) + wb_cpu_sum(30000, 50000) + wb_cpu_sum(80000, 20000);
	cr_assert(whole == parts);
	cr_assert(wb_cpu_sum(0, 1) == wb_cpu_mix(0));
	cr_assert(wb_cpu_mix(1) != wb_cpu_mix(2));
}

Test(cpuwork, calibration_scales, .timeout = 20)
{
	cr_assert(wb_cpu_ns_per_item() > 0);
	uint64_t a = wb_cpu_items_for(0.01), b = wb_cpu_items_for(0.1);
	cr_assert(b >= 9 * a && b <= 11 * a, "%llu vs %llu", (unsigned long long)a,
		  (unsigned long long)b);
	double t0 = wb_now();
	volatile uint64_t sink = wb_cpu_sum(0, wb_cpu_items_for(0.1));
	(void)sink;
	double took = wb_now() - t0;
	/* Wide margins: a busy CI machine may run us at half speed. */
	cr_assert(took > 0.03 && took < 1.0, "0.1 s of calibrated work took %.3f s", took);
}

/* --- results ------------------------------------------------------------ */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "cannot open %s", path);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(results, ratios_table_and_files, .timeout = 10)
{
	struct wb_results r;
	wb_results_init(&r, 7, "test lab");
	wb_results_param(&r, "requests", 10);
	struct wb_row *seq = wb_results_add(&r, "sequential", 5.0, 0.1, 5.0);
	wb_results_set_baseline(&r, seq);
	struct wb_row *par = wb_results_add(&r, "threads", 0.55, 0.1, 0.5);
	wb_results_add_missing(&r, "pool", "exercise 7.2 not done yet");
	wb_results_add(&r, "no ideal", 0.4, 0.1, 0);
	cr_assert(fabs(par->speedup - 5.0 / 0.55) < 1e-9);
	cr_assert(fabs(par->efficiency - 0.5 / 0.55) < 1e-9);
	cr_assert(fabs(r.rows[0].speedup - 1.0) < 1e-9);

	char dat[] = "/tmp/wb-results-XXXXXX";
	close(mkstemp(dat));
	cr_assert(wb_results_write_dat(&r, dat) == 0);
	char *text = slurp(dat);
	cr_assert(strstr(text, "0 \"sequential\" 5.000000") && strstr(text, "1 \"threads\" 0.550000"),
		  "%s", text);
	cr_assert(!strstr(text, "pool"), "unmeasured rows do not belong in the data file");
	cr_assert(!strstr(text, "no ideal"), "rows without an ideal do not belong in the bar chart");
	/* overwritten, never appended */
	cr_assert(wb_results_write_dat(&r, dat) == 0);
	text = slurp(dat);
	int rows = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		rows += line[0] != '#';
	cr_assert(rows == 2, "written twice, the file must still hold 2 rows, not %d", rows);
	unlink(dat);

	char json[] = "/tmp/wb-json-XXXXXX";
	close(mkstemp(json));
	cr_assert(wb_results_write_json(&r, json) == 0);
	text = slurp(json);
	cr_assert(strstr(text, "\"lab\":7") && strstr(text, "\"params\":{\"requests\":10}") &&
		  strstr(text, "\"name\":\"threads\",\"measured\":true,\"wall_s\":0.55") &&
		  strstr(text, "\"measured\":false"), "%s", text);
	unlink(json);
}

/* --- options ------------------------------------------------------------ */

static const struct wb_lab_spec spec = {
	.prog = "labX",
	.summary = "test",
	.accepts = WB_OPT_REQUESTS | WB_OPT_DELAY | WB_OPT_URL,
	.defaults = { .requests = 10, .delay = 0.5 },
	.quick = { .requests = 3, .delay = 0.1 },
};

Test(options, defaults_quick_and_explicit, .timeout = 5)
{
	struct wb_options o;
	char *a1[] = { "labX", NULL };
	wb_options_parse(&spec, 1, a1, &o);
	cr_assert(o.requests == 10 && o.delay == 0.5 && !o.quick && o.url == NULL);
	char *a2[] = { "labX", "--quick", "--requests", "7", NULL };
	wb_options_parse(&spec, 4, a2, &o);
	cr_assert(o.quick && o.requests == 7 && o.delay == 0.1, "explicit wins over quick");
	char *a3[] = { "labX", "--url=http://127.0.0.1:9/", "--delay", "2.5", "--no-plot", NULL };
	wb_options_parse(&spec, 5, a3, &o);
	cr_assert(o.delay == 2.5 && o.no_plot && strcmp(o.url, "http://127.0.0.1:9/") == 0);
}

Test(options, bad_number_exits_2, .exit_code = 2, .timeout = 5)
{
	struct wb_options o;
	char *a[] = { "labX", "--requests", "ten", NULL };
	wb_options_parse(&spec, 3, a, &o);
}

Test(options, nan_delay_exits_2, .exit_code = 2, .timeout = 5)
{
	struct wb_options o;
	char *a[] = { "labX", "--delay", "nan", NULL };
	wb_options_parse(&spec, 3, a, &o);
}

Test(options, option_of_another_lab_exits_2, .exit_code = 2, .timeout = 5)
{
	struct wb_options o;
	char *a[] = { "labX", "--tasks", "4", NULL };
	wb_options_parse(&spec, 3, a, &o);
}

Test(options, missing_value_exits_2, .exit_code = 2, .timeout = 5)
{
	struct wb_options o;
	char *a[] = { "labX", "--requests", NULL };
	wb_options_parse(&spec, 2, a, &o);
}

Test(options, bad_url_exits_2, .exit_code = 2, .timeout = 5)
{
	struct wb_options o;
	char *a[] = { "labX", "--url", "localhost:80", NULL };
	wb_options_parse(&spec, 3, a, &o);
}

Test(options, url_without_host_exits_2, .exit_code = 2, .timeout = 5)
{
	struct wb_options o;
	char *a[] = { "labX", "--url", "http://", NULL };
	wb_options_parse(&spec, 3, a, &o);
}

Test(options, url_with_port_but_no_host_exits_2, .exit_code = 2, .timeout = 5)
{
	struct wb_options o;
	char *a[] = { "labX", "--url=http://:8080/", NULL };
	wb_options_parse(&spec, 2, a, &o);
}

/* More requests than descriptors: one clear line and exit 1, before any server. */
Test(options, more_requests_than_descriptors_exits_1, .exit_code = 1, .timeout = 5)
{
	struct rlimit limit = { 64, 64 };
	cr_assert(setrlimit(RLIMIT_NOFILE, &limit) == 0);
	struct wb_lab lab;
	char *a[] = { "labX", "--requests", "1000", NULL };
	wb_lab_start(&lab, &spec, 9, "test", 3, a);
}

/* --- exercise placeholders --------------------------------------------- */

Test(exercise, todo_says_not_done, .timeout = 5)
{
	cr_assert(TODO("9.9") == WB_NOT_DONE);
	cr_assert(TODO("9.9") == WB_NOT_DONE);
}

/* --- the time limit on experiments ------------------------------------- */

Test(timing, a_stuck_experiment_is_stopped, .signal = SIGTERM, .timeout = 10)
{
	pid_t child = fork();	/* a child stuck with us must not outlive us */
	cr_assert(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	wb_progress_begin("stuck", 0.5);
	wb_sleep(5);		/* "stuck": the limit must end the process first */
}

Test(timing, a_finished_experiment_is_not_stopped, .timeout = 10)
{
	wb_progress_begin("quick", 0.5);
	wb_sleep(0.1);
	wb_progress_end();
	wb_sleep(1.0);		/* well past the limit: nothing may happen now */
}
