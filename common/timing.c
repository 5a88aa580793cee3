/* timing.c - clocks, stopwatches, repeated measurements, the progress line. */
#include "timing.h"

#include "checked.h"
#include "procs.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

double wb_now(void)
{
	struct timespec ts;
	CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &ts));
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct timespec wb_deadline_in(clockid_t clock, double seconds)
{
	struct timespec ts;
	CHECK_SYS(clock_gettime(clock, &ts));
	long long ns = ts.tv_nsec + (long long)(seconds * 1e9);
	ts.tv_sec += (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	return ts;
}

void wb_sleep(double seconds)
{
	if (!(seconds > 0))
		return;
	struct timespec left = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - floor(seconds)) * 1e9),
	};
	/* nanosleep stops early when a signal arrives; sleep the rest. */
	while (nanosleep(&left, &left) == -1) {
		if (errno != EINTR)
			DIE("nanosleep: %s", wb_strerror(errno));
	}
}

void wb_stopwatch_start(struct wb_stopwatch *sw)
{
	sw->started = wb_now();
}

double wb_stopwatch_elapsed(const struct wb_stopwatch *sw)
{
	return wb_now() - sw->started;
}

static double timeval_seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

double wb_cpu_now(void)
{
	struct rusage self, children;
	CHECK_SYS(getrusage(RUSAGE_SELF, &self));
	CHECK_SYS(getrusage(RUSAGE_CHILDREN, &children));
	return timeval_seconds(self.ru_utime) + timeval_seconds(self.ru_stime) +
	       timeval_seconds(children.ru_utime) + timeval_seconds(children.ru_stime);
}

double wb_waited_now(void)
{
	/* "<ns on a CPU> <ns waiting for one> <slices>"; a kernel without schedstats has no file */
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	if (!f)
		return 0;
	unsigned long long ran, waited;
	int got = fscanf(f, "%llu %llu", &ran, &waited);
	fclose(f);
	return got == 2 ? (double)waited * 1e-9 : 0;
}

void wb_usage_begin(struct wb_usage *u)
{
	u->wall_s = u->cpu_s = u->waited_s = 0;
	u->waited0 = wb_waited_now();
	u->cpu0 = wb_cpu_now();
	u->wall0 = wb_now();
}

void wb_usage_end(struct wb_usage *u)
{
	u->wall_s = wb_now() - u->wall0;
	u->cpu_s = wb_cpu_now() - u->cpu0;
	u->waited_s = wb_waited_now() - u->waited0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void wb_summarize(double *samples, int count, struct wb_summary *out)
{
	memset(out, 0, sizeof *out);
	if (count <= 0)
		return;
	qsort(samples, (size_t)count, sizeof samples[0], compare_doubles);
	out->count = count;
	out->min = samples[0];
	out->max = samples[count - 1];
	out->median = count % 2 ? samples[count / 2]
				: (samples[count / 2 - 1] + samples[count / 2]) / 2;
	/* Nearest-rank percentile: the smallest sample with at least 99% at or below it. */
	int rank = (int)ceil(0.99 * count);
	out->p99 = samples[rank > 0 ? rank - 1 : 0];
}

void wb_repeat(int warmup, int reps, void (*fn)(void *arg), void *arg,
	       struct wb_summary *out)
{
	for (int i = 0; i < warmup; i++)
		fn(arg);
	double *times = wb_xcalloc((size_t)(reps > 0 ? reps : 1), sizeof *times);
	for (int i = 0; i < reps; i++) {
		double t0 = wb_now();
		fn(arg);
		times[i] = wb_now() - t0;
	}
	wb_summarize(times, reps, out);
	free(times);
}

int wb_cores(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* --- The progress line ---------------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t stop;
	pthread_t thread;
	int running;      /* a progress thread exists */
	int stopping;     /* wb_progress_end() was called */
	int show;         /* draw the progress line (stderr is a terminal) */
	double limit_s;   /* give up after this long (<= 0: never) */
	char label[64];
} progress = { .lock = PTHREAD_MUTEX_INITIALIZER, .stop = PTHREAD_COND_INITIALIZER };

static _Noreturn void give_up(double elapsed)
{
	/* "lab2" or "solution2" -> "2": the checker to point at */
	const char *lab = program_invocation_short_name + strcspn(program_invocation_short_name,
								  "0123456789");
	fprintf(stderr,
		"\n%s: %s still running after %.0f s, far past what it should take.  An exercise "
		"looks stuck: a lock never released, a thread never joined, a pipe never closed?\n"
		"Stopping here; `make check%s` names the exercise that hangs.\n",
		program_invocation_short_name, progress.label, elapsed, lab);
	/* Children stuck with us (a pool's workers waiting on a pipe) would outlive
	 * us: stop them first.  (The lab server among them is reaped by its
	 * SIGTERM handler.)  Then SIGTERM, not exit(): the stuck threads may hold
	 * locks that exit() would need. */
	wb_kill_children();
	kill(getpid(), SIGTERM);
	wb_sleep(5);
	_exit(1);	/* if SIGTERM was ignored or handled without ending us */
}

static void *progress_main(void *unused)
{
	(void)unused;
	double t0 = wb_now();
	int shown = 0;
	CHECK_PT(pthread_mutex_lock(&progress.lock));
	while (!progress.stopping) {
		/* Wake every half second, or as soon as we are told to stop. */
		struct timespec deadline = wb_deadline_in(CLOCK_REALTIME, 0.5);
		int err = pthread_cond_timedwait(&progress.stop, &progress.lock, &deadline);
		if (err != 0 && err != ETIMEDOUT)
			DIE("pthread_cond_timedwait: %s", wb_strerror(err));
		double elapsed = wb_now() - t0;
		if (!progress.stopping && progress.show && elapsed >= 2.0) {
			fprintf(stderr, "\r  %s ... %.1f s ", progress.label, elapsed);
			shown = 1;
		}
		if (!progress.stopping && progress.limit_s > 0 && elapsed > progress.limit_s)
			give_up(elapsed);
	}
	if (shown)	/* wipe the line so the table that follows starts clean */
		fprintf(stderr, "\r%*s\r", (int)strlen(progress.label) + 20, "");
	CHECK_PT(pthread_mutex_unlock(&progress.lock));
	return NULL;
}

void wb_progress_begin(const char *label, double limit_s)
{
	int show = isatty(STDERR_FILENO);
	if (progress.running || (!show && !(limit_s > 0)))
		return;
	snprintf(progress.label, sizeof progress.label, "%s", label);
	progress.show = show;
	progress.limit_s = limit_s;
	progress.stopping = 0;
	progress.running = 1;
	CHECK_PT(pthread_create(&progress.thread, NULL, progress_main, NULL));
}

void wb_progress_end(void)
{
	if (!progress.running)
		return;
	CHECK_PT(pthread_mutex_lock(&progress.lock));
	progress.stopping = 1;
	CHECK_PT(pthread_cond_signal(&progress.stop));
	CHECK_PT(pthread_mutex_unlock(&progress.lock));
	CHECK_PT(pthread_join(progress.thread, NULL));
	progress.running = 0;
}
