/*
 * probe - the signature of a program, measured from outside.
 *
 *     build/bin/probe m3              a mystery workload of lab 9 (1 and 2 workers)
 *     build/bin/probe --models m3     ... and every model's reference implementation of it,
 *                                     measured to its end (and then which kind m3 is)
 *     build/bin/probe sleep 1         any command: run with PROBE_WORKERS=1, then =2
 *
 * What it shows: wall, user and system time, CPU/wall, voluntary and
 * involuntary context switches, peak RSS (wait4 + getrusage), the most
 * threads alive at once (/proc/PID/status, every 2 ms), requests the lab
 * server served and the most in flight (its /stats; "-" for a server without
 * it), and the scaling run: wall with 1 worker / wall with 2.  A command that
 * ignores PROBE_WORKERS simply shows a scaling of about 1.
 */
#include "../workloads.h"

#include "checked.h"
#include "server.h"
#include "timing.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static _Noreturn void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: probe [--seed N] [--models] m1..m6\n"
		"       probe CMD [ARGS...]\n");
	exit(status);
}

/* --- Any command ---------------------------------------------------------------- */

struct cmd_run {
	double wall_s, user_s, sys_s;
	long vol, invol, rss_kib;
	int threads, status;
};

static long threads_of(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	if (!f)
		return v;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Threads: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Run argv once with PROBE_WORKERS=workers.  Returns 0, or the errno of an
 * exec that failed (then nothing was measured).  The exec's failure comes
 * back through a close-on-exec pipe: a successful exec closes it unwritten,
 * so an exit status of 127 from the command itself is not mistaken for it. */
static int run_command(char **argv, int workers, struct cmd_run *out)
{
	memset(out, 0, sizeof *out);
	char w[16];
	snprintf(w, sizeof w, "%d", workers);
	int exec_failed[2];
	CHECK_SYS(pipe2(exec_failed, O_CLOEXEC));
	fflush(NULL);
	double started = wb_now();
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		close(exec_failed[0]);
		setenv("PROBE_WORKERS", w, 1);
		execvp(argv[0], argv);
		int err = errno;
		if (write(exec_failed[1], &err, sizeof err) < 0)
			_exit(127);
		_exit(127);
	}
	CHECK_SYS(close(exec_failed[1]));
	int err = 0;
	ssize_t n;
	while ((n = read(exec_failed[0], &err, sizeof err)) < 0 && errno == EINTR)
		;
	CHECK_SYS(close(exec_failed[0]));
	if (n == (ssize_t)sizeof err) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return err;
	}
	struct rusage ru;
	for (;;) {
		pid_t r = wait4(pid, &out->status, WNOHANG, &ru);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			DIE("wait4: %s", wb_strerror(errno));
		long t = threads_of(pid);
		if (t > out->threads)
			out->threads = (int)t;
		wb_sleep(0.002);
	}
	out->wall_s = wb_now() - started;
	out->user_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	out->sys_s = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	out->vol = ru.ru_nvcsw;
	out->invol = ru.ru_nivcsw;
	out->rss_kib = ru.ru_maxrss;
	return 0;
}

static void print_run(const char *label, const struct cmd_run *r)
{
	double cpu = r->user_s + r->sys_s;
	printf("  %-10s wall %.3f s  user %.3f  sys %.3f  cpu/wall %.2f  switches %ld voluntary, "
	       "%ld involuntary  peak RSS %ld KiB  threads %d\n", label, r->wall_s, r->user_s,
	       r->sys_s, r->wall_s > 0 ? cpu / r->wall_s : 0, r->vol, r->invol, r->rss_kib,
	       r->threads);
}

static int probe_command(char **argv)
{
	struct cmd_run one, two;
	int err = run_command(argv, 1, &one);
	if (err) {
		fprintf(stderr, "probe: cannot run %s: %s\n", argv[0], wb_strerror(err));
		return 127;
	}
	printf("probe: %s ... (PROBE_WORKERS=1, then 2)\n", argv[0]);
	print_run("1 worker", &one);
	if (run_command(argv, 2, &two) != 0)
		DIE("%s ran once, then could not be run again", argv[0]);
	print_run("2 workers", &two);
	printf("  scaling 1->2: %.2fx (wall with 1 worker / with 2)\n",
	       two.wall_s > 0 ? one.wall_s / two.wall_s : 0);
	int st = one.status;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("  (the command failed: %s %d; its figures are of a failed run)\n",
		       WIFEXITED(st) ? "exit status" : "signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* --- A mystery workload --------------------------------------------------------- */

static void print_signature(const struct wl_params *p, const struct signature *sig)
{
	printf("probe: %s (seed %llu, %d tasks)\n", wl_name(p->index),
	       (unsigned long long)p->seed, sig->tasks);
	for (int m = 1; m < M_COUNT; m++) {
		char v[32];
		wl_format((enum measure)m, sig->value[m], v, sizeof v);
		printf("  %-28s %s\n", wl_measure_name((enum measure)m), v);
	}
}

static void print_models(const struct wl_params *p)
{
	struct wl_table t;
	wl_table_measure(p, 1, 0, &t);
	printf("  every model (%s):\n", wl_by_memory(p) ? "memory per task" : "wall");
	for (int m = 1; m < MODEL_COUNT; m++) {
		if (!t.has[m])
			continue;
		if (wl_by_memory(p) && t.finished[m])
			printf("    %-11s %.2f KiB\n", wl_model_name((enum model)m), t.value[m]);
		else if (wl_by_memory(p))
			printf("    %-11s %s\n", wl_model_name((enum model)m), t.why[m]);
		else
			printf("    %-11s %s%.3f s\n", wl_model_name((enum model)m),
			       t.finished[m] ? "" : "> ", t.value[m]);
	}
	/* every model measured to its end gives the answer away: the kind too */
	printf("  %s, seed %llu, is %s\n", wl_name(p->index), (unsigned long long)p->seed,
	       wl_kind_name(p->kind));
	if (t.best == MODEL_NONE)
		return;
	/* the best, the runner-up, and the best outside the checker's margin */
	enum model second = MODEL_NONE, outside = MODEL_NONE;
	for (int m = 1; m < MODEL_COUNT; m++) {
		if (!t.has[m] || m == (int)t.best || (wl_by_memory(p) && !t.finished[m]))
			continue;
		if (second == MODEL_NONE || t.value[m] < t.value[second])
			second = (enum model)m;
		if (t.value[m] > WL_MARGIN * t.value[t.best] &&
		    (outside == MODEL_NONE || t.value[m] < t.value[outside]))
			outside = (enum model)m;
	}
	printf("  best: %s", wl_model_name(t.best));
	if (second != MODEL_NONE)
		printf("; second best: %s, %.2fx the best", wl_model_name(second),
		       t.value[second] / t.value[t.best]);
	if (outside != MODEL_NONE && outside != second)
		printf("; best outside the %.0f%% margin: %s, %.2fx", (WL_MARGIN - 1) * 100,
		       wl_model_name(outside),
		       t.value[outside] / t.value[t.best]);
	printf("\n");
}

int main(int argc, char **argv)
{
	uint64_t seed = wl_default_seed();
	const double scale = 1;   /* the sizes make lab9 and the checker measure */
	int models = 0, i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--models") == 0)
			models = 1;
		else if (strcmp(argv[i], "--help") == 0)
			usage(0);
		else {
			fprintf(stderr, "probe: unknown option %s\n", argv[i]);
			usage(2);
		}
	}
	if (i >= argc)
		usage(2);
	int index = -1;
	for (int k = 0; k < WL_COUNT; k++)
		if (strcmp(argv[i], wl_name(k)) == 0)
			index = k;
	if (index < 0)
		return probe_command(argv + i);
	struct wl_params p;
	wl_params_for(index, seed, scale, wb_server_url(NULL), &p);
	struct signature sig;
	double age;
	wl_probe(&p, 0, &sig, &age);
	print_signature(&p, &sig);
	if (models)
		print_models(&p);
	return 0;
}
