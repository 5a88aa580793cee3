/*
 * measure.c - seeding the workloads, measuring one run from outside (fork,
 * wait4, /proc), the probe, every model's table, the verdict on a choice
 * and on its evidence, and the cache of measurements (given code).
 */
#include "workloads_impl.h"

#include "checked.h"
#include "cpuwork.h"
#include "server.h"
#include "timing.h"

#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- Names and seeds -------------------------------------------------------- */

static const char *const model_names[MODEL_COUNT] = {
	"(none)", "sequential", "threads", "processes", "event loop", "pipeline",
};

static const char *const measure_names[M_COUNT] = {
	"(none)", "wall", "user", "sys", "cpu/wall", "cpu/wall with 2 workers", "scaling 1->2",
	"sys share", "voluntary switches per task", "involuntary switches", "peak RSS",
	"threads", "requests", "peak in flight", "memory per task",
};

const char *wl_model_name(enum model m)
{
	return m > MODEL_NONE && m < MODEL_COUNT ? model_names[m] : "(no model)";
}

const char *wl_measure_name(enum measure m)
{
	return m > M_NONE && m < M_COUNT ? measure_names[m] : "(no measure)";
}

const char *wl_name(int index)
{
	static const char *const names[WL_COUNT] = { "m1", "m2", "m3", "m4", "m5", "m6" };
	return index >= 0 && index < WL_COUNT ? names[index] : "m?";
}

uint64_t wl_default_seed(void)
{
	const char *user = getenv("USER");
	struct passwd *pw = user ? NULL : getpwuid(getuid());
	if (!user)
		user = pw ? pw->pw_name : "student";
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (const char *c = user; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	return h % 1000000000u;
}

/* Which kind each of m1 ... m6 is for this seed: a shuffle of the six kinds
 * (Fisher-Yates, on a random stream of its own), so that two students'
 * m3 are most often different kinds of work, not only different sizes. */
enum wl_kind wl_kind_of(int index, uint64_t seed)
{
	enum wl_kind kinds[WL_COUNT] = { WL_WAITING, WL_PARALLEL, WL_LOCKED, WL_TINY, WL_STAGED,
					 WL_IDLE };
	uint64_t state = seed ^ 0x6c616239736875ffull;
	for (int k = WL_COUNT - 1; k > 0; k--) {
		int j = (int)(wb_splitmix64(&state) % (uint64_t)(k + 1));
		enum wl_kind t = kinds[k];
		kinds[k] = kinds[j];
		kinds[j] = t;
	}
	return index >= 0 && index < WL_COUNT ? kinds[index] : WL_WAITING;
}

const char *wl_kind_name(enum wl_kind kind)
{
	static const char *const names[WL_COUNT] = {
		"waiting-bound (fetches that only wait)",
		"CPU-bound and parallel (tasks that share nothing)",
		"CPU-bound behind one global lock",
		"many tiny tasks (overhead-bound)",
		"waiting, then computing (each item a fetch, then CPU)",
		"many idle connections (memory per task decides)",
	};
	return (int)kind >= 0 && (int)kind < WL_COUNT ? names[kind] : "?";
}

static int scaled(int n, double scale, int least)
{
	int v = (int)lround(n * scale);
	return v < least ? least : v;
}

void wl_params_for(int index, uint64_t seed, double scale, const char *url, struct wl_params *p)
{
	memset(p, 0, sizeof *p);
	p->index = index;
	p->kind = wl_kind_of(index, seed);
	/* the sizes: from the seed and the kind (not the place it was shuffled to) */
	uint64_t state = seed * 1000003u + (uint64_t)p->kind;
	uint64_t r = wb_splitmix64(&state);
	p->cores = wb_cores();
	p->scale = scale;
	p->seed = seed;
	snprintf(p->url, sizeof p->url, "%s", url ? url : "");
	int a = (int)(r % 1000), b = (int)((r >> 20) % 1000);
	switch (p->kind) {
	case WL_WAITING:   /* 12-18 fetches of 40-60 ms */
		p->tasks = scaled(12 + a % 7, scale, 6);
		p->delay_s = 0.040 + (b % 11) * 0.002;
		break;
	case WL_PARALLEL:  /* 8-16 tasks, 0.45 s of one core in all */
		p->tasks = 8 + a % 9;
		p->task_s = 0.45 * scale / p->tasks;
		break;
	case WL_LOCKED:    /* 64 tasks of steps under one lock, about 0.2 s in all */
		p->tasks = 64;
		p->task_s = 0.2 * scale / p->tasks;
		p->mixes = 4 + a % 5;
		break;
	case WL_TINY:      /* 400,000-600,000 records of 24-40 items each */
		p->tasks = scaled(400000 + a * 200, scale, 40000);
		p->items = 24 + (uint64_t)(b % 17);
		break;
	case WL_STAGED:    /* 9-12 items: a 50-70 ms fetch, then 18-25 ms of CPU */
		p->tasks = scaled(9 + a % 4, scale, 6);
		p->delay_s = 0.050 + (b % 5) * 0.005;
		p->task_s = 0.018 + (a % 8) * 0.001;
		break;
	case WL_IDLE:      /* 150-250 connections, each waiting 2 s for its reply */
		p->tasks = scaled(150 + a % 101, scale, 40);
		p->delay_s = 2.0;
		break;
	}
}

int wl_by_memory(const struct wl_params *p)
{
	return p->kind == WL_IDLE;
}

int wl_has_model(const struct wl_params *p, enum model m, const char **why_not)
{
	const char *why = NULL;
	if (m <= MODEL_NONE || m >= MODEL_COUNT)
		why = "no such model";
	else if (m == MODEL_PIPELINE && p->kind == WL_IDLE)
		why = "its tasks only wait, all held at once: there is no second stage to pipeline";
	else if (m == MODEL_PIPELINE && p->kind == WL_WAITING)
		why = NULL;   /* a waiting stage and an (empty) computing stage: it exists */
	if (why_not)
		*why_not = why;
	return why == NULL;
}

unsigned wl_telling(const struct wl_params *p)
{
#define B(m) (1u << (m))
	switch (p->kind) {
	case WL_WAITING:
		return B(M_CPU_PER_WALL) | B(M_SCALING) | B(M_SWITCHES_PER_TASK) | B(M_REQUESTS);
	case WL_PARALLEL:
		return B(M_CPU_PER_WALL) | B(M_CPU_PER_WALL_2) | B(M_SCALING) | B(M_USER_S);
	case WL_LOCKED:
		return B(M_SCALING) | B(M_CPU_PER_WALL_2) | B(M_SWITCHES_PER_TASK) | B(M_SYS_SHARE);
	case WL_TINY:
		return B(M_SYS_SHARE) | B(M_SWITCHES_PER_TASK) | B(M_SCALING) | B(M_SYS_S);
	case WL_STAGED:
		return B(M_CPU_PER_WALL) | B(M_CPU_PER_WALL_2) | B(M_SCALING) | B(M_REQUESTS);
	case WL_IDLE:
		return B(M_THREADS) | B(M_KIB_PER_TASK) | B(M_PEAK_RSS_KIB) | B(M_PEAK_IN_FLIGHT);
	}
	return 0;
#undef B
}

void wl_format(enum measure m, double v, char *buf, size_t cap)
{
	if (v < 0 || isnan(v)) {
		snprintf(buf, cap, "-");
		return;
	}
	switch (m) {
	case M_WALL_S: case M_USER_S: case M_SYS_S:
		snprintf(buf, cap, "%.3f s", v);
		break;
	case M_SCALING:
		snprintf(buf, cap, "%.2fx", v);
		break;
	case M_PEAK_RSS_KIB: case M_KIB_PER_TASK:
		snprintf(buf, cap, v < 10 ? "%.2f KiB" : "%.0f KiB", v);
		break;
	case M_INVOLUNTARY: case M_THREADS: case M_REQUESTS: case M_PEAK_IN_FLIGHT:
		snprintf(buf, cap, "%.0f", v);
		break;
	case M_SWITCHES_PER_TASK:
		snprintf(buf, cap, "%.2f", v);
		break;
	default:
		snprintf(buf, cap, "%.2f", v);
	}
}

/* --- A quiet moment -------------------------------------------------------------- */

/* Jiffies the whole machine has spent, and of those idle (/proc/stat's cpu line). */
static int cpu_jiffies(unsigned long long *total, unsigned long long *idle)
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	unsigned long long v[8] = { 0 };
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		       &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return -1;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*idle = v[3] + v[4];   /* idle and iowait */
	return 0;
}

/* Is the machine idle now?  Over 0.1 s, at least 3/4 of all the cores' time
 * went to no program at all (while this one slept). */
static int machine_is_quiet(void)
{
	unsigned long long t0, i0, t1, i1;
	if (cpu_jiffies(&t0, &i0) != 0)
		return 1;   /* cannot tell: do not wait */
	wb_sleep(0.1);
	if (cpu_jiffies(&t1, &i1) != 0 || t1 <= t0)
		return 1;
	return (double)(i1 - i0) >= 0.75 * (double)(t1 - t0);
}

/* Before a run whose time decides, wait for a quiet moment: another program's
 * burst would become this model's figure (a pool that gets one core of two
 * measures like one worker).  At most 2 s a run and 12 s a process, so that
 * a machine that is never quiet is still measured, only more slowly. */
static void wait_for_quiet(const struct wl_params *p)
{
	static double waited_s;
	if (wl_by_memory(p))
		return;   /* memory per task does not depend on who else runs */
	double start = wb_now();
	while (!machine_is_quiet() && wb_now() - start < 2 && waited_s + (wb_now() - start) < 12)
		wb_sleep(0.2);
	waited_s += wb_now() - start;
}

/* --- One run, measured from outside ------------------------------------------- */

/* A number from a /proc file's "Key:   N" line, or -1. */
static long proc_field(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long v = -1;
	size_t klen = strlen(key);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Pss (KiB) of pid and its children: real memory, shared pages shared out. */
static long tree_pss_kib(pid_t pid)
{
	long total = proc_field(pid, "smaps_rollup", "Pss");
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return total;
	int child;
	while (fscanf(f, "%d", &child) == 1) {
		long k = proc_field(child, "smaps_rollup", "Pss");
		if (k > 0)
			total += k;
	}
	fclose(f);
	return total;
}

static void cache_key(const struct wl_params *p, const char *what, char *key, size_t cap);
static int cache_get(const char *key, char *fields, size_t cap, double *age_s);
static void cache_put(const char *key, const char *fields);

/* wb_cpu_sum's nanoseconds per item on this machine: calibrated once (0.25 s)
 * and kept with the other measurements, so that each checker process does
 * not calibrate again. */
static double ns_per_item(const struct wl_params *p)
{
	static double ns;
	if (ns > 0)
		return ns;
	char key[256], fields[256];
	double age;
	cache_key(p, "calibration", key, sizeof key);
	if (cache_get(key, fields, sizeof fields, &age))
		ns = strtod(fields, NULL);
	if (!(ns > 0)) {
		ns = wb_cpu_ns_per_item();
		snprintf(fields, sizeof fields, "\t%.6g", ns);
		cache_put(key, fields);
	}
	return ns;
}

static uint64_t items_for(const struct wl_params *p, double seconds)
{
	if (!(seconds > 0))
		return 0;
	double items = seconds * 1e9 / ns_per_item(p);
	return items < 1 ? 1 : (uint64_t)items;
}

static void build_job(const struct wl_params *p, enum model model, int workers, struct wl_job *job)
{
	memset(job, 0, sizeof *job);
	job->p = p;
	job->model = model;
	job->workers = workers;
	job->report_fd = -1;
	if (p->kind == WL_LOCKED) {
		job->mixes_per_step = p->mixes;
		/* a step (the lock, the mixes, the unlock) costs about 25 of
		 * wb_cpu_sum's items when nobody else wants the lock */
		uint64_t per_task = items_for(p, p->task_s);
		job->steps_per_task = (int)(per_task / 25);
		if (job->steps_per_task < 1)
			job->steps_per_task = 1;
	} else if (p->kind == WL_TINY) {
		job->items = p->items;
	} else {
		job->items = items_for(p, p->task_s);
	}
}

static _Noreturn void child_main(const struct wl_job *job, int go_fd)
{
	/* the measurer kills the whole group when time is up, and this child
	 * goes with its measurer if that one dies */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (go_fd >= 0) {
		char c;
		if (read(go_fd, &c, 1) != 1)
			_exit(1);
		close(go_fd);
	}
	_exit(wl_run_job(job) == 0 ? 0 : 1);
}

static void fill_usage(struct wl_run *out, const struct rusage *ru)
{
	out->user_s = ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6;
	out->sys_s = ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
	out->voluntary = ru->ru_nvcsw;
	out->involuntary = ru->ru_nivcsw;
	out->peak_rss_kib = ru->ru_maxrss;
}

void wl_measure(const struct wl_params *p, enum model model, int workers, double deadline_s,
		struct wl_run *out)
{
	memset(out, 0, sizeof *out);
	out->kib_per_task = -1;
	struct wl_job job;
	build_job(p, model, workers, &job);
	int report[2], go[2];
	CHECK_SYS(pipe2(report, O_CLOEXEC));
	CHECK_SYS(pipe2(go, O_CLOEXEC));
	job.report_fd = report[1];
	fflush(NULL);
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		close(report[0]);
		close(go[1]);
		child_main(&job, go[0]);
	}
	setpgid(pid, pid);   /* either side may win this race: both set it */
	close(report[1]);
	close(go[0]);
	long base_pss = wl_by_memory(p) ? tree_pss_kib(pid) : -1;
	double started = wb_now();
	if (write(go[1], "g", 1) != 1)
		DIE("write to the run's go pipe: %s", wb_strerror(errno));
	close(go[1]);
	int status = 0, done = 0, killed = 0;
	struct rusage ru;
	while (!done) {
		pid_t r = wait4(pid, &status, WNOHANG, &ru);
		if (r == pid) {
			done = 1;
			break;
		}
		if (r == -1 && errno != EINTR)
			DIE("wait4: %s", wb_strerror(errno));
		long threads = proc_field(pid, "status", "Threads");
		if (threads > out->threads)
			out->threads = (int)threads;
		struct pollfd pfd = { .fd = report[0], .events = POLLIN };
		char c = 0;
		if (poll(&pfd, 1, 2) == 1 && read(report[0], &c, 1) == 1 && c == 'a') {
			/* every connection is open: what they cost now */
			long pss = tree_pss_kib(pid);
			if (base_pss > 0 && pss > 0)
				out->kib_per_task = (double)(pss - base_pss) / p->tasks;
			threads = proc_field(pid, "status", "Threads");
			if (threads > out->threads)
				out->threads = (int)threads;
			out->finished = 1;
			out->wall_s = wb_now() - started;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = 1;
		}
		if (!killed && wb_now() - started > deadline_s) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = 2;
		}
		if (killed) {
			while (wait4(pid, &status, 0, &ru) == -1)
				if (errno != EINTR)
					DIE("wait4: %s", wb_strerror(errno));
			done = 1;
		}
	}
	close(report[0]);
	fill_usage(out, &ru);
	if (killed == 1)
		return;
	out->wall_s = wb_now() - started;
	if (killed == 2) {
		snprintf(out->why, sizeof out->why, "stopped after %.2f s", out->wall_s);
		if (wl_by_memory(p))
			snprintf(out->why, sizeof out->why,
				 "never held all %d tasks at once (stopped after %.1f s)",
				 p->tasks, out->wall_s);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !wl_by_memory(p)) {
		out->finished = 1;
		return;
	}
	snprintf(out->why, sizeof out->why, "the run failed (%s %d)",
		 WIFEXITED(status) ? "exit" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* --- The cache ---------------------------------------------------------------- */

enum { CACHE_TTL_S = 900 };

const char *wl_cache_path(void)
{
	static char path[256];
	if (!path[0]) {
		const char *env = getenv("LAB9_CACHE");
		const char *tmp = getenv("TMPDIR");
		if (env && env[0])
			snprintf(path, sizeof path, "%s", env);
		else
			snprintf(path, sizeof path, "%s/workbook-lab9-%d.measured",
				 tmp && tmp[0] ? tmp : "/tmp", (int)getuid());
	}
	return path;
}

/* Only figures measured by the same kind of build: a sanitizer slows some models more. */
static const char *flavour(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return "asan";
#elif defined(__SANITIZE_THREAD__)
	return "tsan";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return "asan";
#elif __has_feature(thread_sanitizer)
	return "tsan";
#else
	return "plain";
#endif
#else
	return "plain";
#endif
}

static void cache_key(const struct wl_params *p, const char *what, char *key, size_t cap)
{
	/* the build's time: figures of an older build of these workloads are not reused */
	if (strcmp(what, "calibration") == 0)   /* the machine's, whatever the workload */
		snprintf(key, cap, "%s %s/%s/c%d/%s", __DATE__, __TIME__, flavour(), p->cores, what);
	else
		snprintf(key, cap, "%s %s/%s/seed%llu/x%.2f/c%d/%s/%s", __DATE__, __TIME__,
			 flavour(), (unsigned long long)p->seed, p->scale, p->cores,
			 wl_name(p->index), what);
}

/* The newest line for key younger than the TTL: its fields after the key and time. */
static int cache_get(const char *key, char *fields, size_t cap, double *age_s)
{
	if (getenv("LAB9_FRESH"))
		return 0;
	FILE *f = fopen(wl_cache_path(), "r");
	if (!f)
		return 0;
	char line[4096];
	int found = 0;
	size_t klen = strlen(key);
	time_t now = time(NULL);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != '\t')
			continue;
		char *rest;
		long when = strtol(line + klen + 1, &rest, 10);
		if (now - when > CACHE_TTL_S || now < when)
			continue;
		snprintf(fields, cap, "%s", rest);
		*age_s = (double)(now - when);
		found = 1;
	}
	fclose(f);
	return found;
}

static void cache_put(const char *key, const char *fields)
{
	FILE *f = fopen(wl_cache_path(), "a");
	if (!f)
		return;   /* no cache: the next run measures again */
	if (ftell(f) > 512 * 1024 && !freopen(wl_cache_path(), "w", f))
		return;   /* grown large with old figures: start it again */
	fprintf(f, "%s\t%ld%s\n", key, (long)time(NULL), fields);
	fclose(f);
}

/* One measurer at a time on this machine: two would slow each other down. */
static int measuring_lock(void)
{
	char path[300];
	snprintf(path, sizeof path, "%s.lock", wl_cache_path());
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		while (flock(fd, LOCK_EX) == -1 && errno == EINTR)
			continue;
	return fd;
}

static void measuring_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* --- The probe ---------------------------------------------------------------- */

static int probe_from_cache(const char *key, struct signature *sig, double *age_s)
{
	char fields[4096];
	if (!cache_get(key, fields, sizeof fields, age_s))
		return 0;
	char *s = fields;
	sig->tasks = (int)strtol(s, &s, 10);
	for (int m = 0; m < M_COUNT; m++)
		sig->value[m] = strtod(s, &s);
	return 1;
}

static void probe_to_cache(const char *key, const struct signature *sig)
{
	char fields[4096];
	int len = snprintf(fields, sizeof fields, "\t%d", sig->tasks);
	for (int m = 0; m < M_COUNT; m++)
		len += snprintf(fields + len, sizeof fields - (size_t)len, " %.6g", sig->value[m]);
	cache_put(key, fields);
}

static void probe_now(const struct wl_params *p, struct signature *sig)
{
	struct wl_run one, two;
	struct wb_server_stats before, after;
	char err[256];
	wait_for_quiet(p);
	int stats = p->url[0] && wb_server_stats(p->url, 1, &before, err, sizeof err) == 0;
	wl_measure(p, MODEL_NONE, 1, 20, &one);
	stats = stats && wb_server_stats(p->url, 0, &after, err, sizeof err) == 0;
	/* a workload that two workers slow down a lot is stopped: its scaling
	 * is then at most what it shows */
	wait_for_quiet(p);
	wl_measure(p, MODEL_NONE, 2, one.wall_s * 2 + 0.2, &two);
	double *v = sig->value;
	for (int m = 0; m < M_COUNT; m++)
		v[m] = -1;
	sig->tasks = p->tasks;
	double cpu1 = one.user_s + one.sys_s, cpu2 = two.user_s + two.sys_s;
	v[M_WALL_S] = one.wall_s;
	v[M_USER_S] = one.user_s;
	v[M_SYS_S] = one.sys_s;
	v[M_CPU_PER_WALL] = one.wall_s > 0 ? cpu1 / one.wall_s : -1;
	v[M_CPU_PER_WALL_2] = two.wall_s > 0 ? cpu2 / two.wall_s : -1;
	v[M_SCALING] = two.wall_s > 0 ? one.wall_s / two.wall_s : -1;
	v[M_SYS_SHARE] = cpu1 > 0 ? one.sys_s / cpu1 : 0;
	v[M_SWITCHES_PER_TASK] = (double)two.voluntary / p->tasks;
	v[M_INVOLUNTARY] = (double)two.involuntary;
	v[M_PEAK_RSS_KIB] = (double)(one.peak_rss_kib > two.peak_rss_kib ? one.peak_rss_kib
									  : two.peak_rss_kib);
	v[M_THREADS] = one.threads > two.threads ? one.threads : two.threads;
	if (stats) {
		v[M_REQUESTS] = (double)(after.requests_served - before.requests_served);
		v[M_PEAK_IN_FLIGHT] = (double)after.peak_in_flight;
	}
	v[M_KIB_PER_TASK] = one.kib_per_task;
	if (!one.finished)
		DIE("probing %s: %s", wl_name(p->index), one.why);
}

void wl_probe(const struct wl_params *p, int use_cache, struct signature *sig, double *age_s)
{
	char key[256];
	cache_key(p, "probe", key, sizeof key);
	*age_s = 0;
	if (use_cache && probe_from_cache(key, sig, age_s))
		return;
	int lock = measuring_lock();
	if (!(use_cache && probe_from_cache(key, sig, age_s))) {
		probe_now(p, sig);
		*age_s = 0;
		probe_to_cache(key, sig);
	}
	measuring_unlock(lock);
}

/* --- Every model ---------------------------------------------------------------- */

static double value_of(const struct wl_params *p, const struct wl_run *r)
{
	return wl_by_memory(p) ? r->kib_per_task : r->wall_s;
}

/* Run model m once; keep the better figure. */
static void run_model(const struct wl_params *p, enum model m, double deadline, struct wl_table *t)
{
	struct wl_run r;
	wait_for_quiet(p);
	wl_measure(p, m, p->cores, deadline, &r);
	double v = r.finished ? value_of(p, &r) : r.wall_s;
	t->runs[m]++;
	if (r.finished && (!t->finished[m] || v < t->value[m])) {
		t->finished[m] = 1;
		t->value[m] = v;
		t->wall_s[m] = r.wall_s;
		t->why[m][0] = '\0';
	} else if (!r.finished && !t->finished[m]) {
		if (v > t->value[m])
			t->value[m] = v;
		snprintf(t->why[m], sizeof t->why[m], "%s", r.why);
	}
}

static void find_best(struct wl_table *t)
{
	t->best = MODEL_NONE;
	for (int m = MODEL_COUNT - 1; m > MODEL_NONE; m--)
		if (t->has[m] && t->finished[m] &&
		    (t->best == MODEL_NONE || t->value[m] < t->value[t->best]))
			t->best = (enum model)m;
}

/* How long a model may run: far enough past the best to tell it is slower.
 * Before any model has finished, the probe's run with one worker bounds it:
 * the fastest model is no slower than one worker doing everything, so a
 * model 1.5 times slower than that cannot be within the margin of the fastest. */
static double deadline_for(const struct wl_params *p, const struct wl_table *t, int full,
			   double one_worker_s)
{
	if (wl_by_memory(p))
		return 3.0;
	if (full)
		return 30.0;
	if (t->best == MODEL_NONE)
		return one_worker_s > 0 ? 1.5 * one_worker_s + 0.1 : 2.0;
	return 1.5 * t->value[t->best] + 0.05;
}

static void table_now(const struct wl_params *p, int full, double one_worker_s, struct wl_table *t)
{
	memset(t, 0, sizeof *t);
	for (int m = 1; m < MODEL_COUNT; m++)
		t->has[m] = wl_has_model(p, (enum model)m, NULL);
	/* the last models first: the likelier fast ones give the others a deadline sooner */
	for (int m = MODEL_COUNT - 1; m > MODEL_NONE; m--) {
		if (!t->has[m])
			continue;
		/* one at a time, never all held at once: no deadline can make it so */
		double d = wl_by_memory(p) && m == MODEL_SEQUENTIAL ? 1.0
							       : deadline_for(p, t, full, one_worker_s);
		run_model(p, (enum model)m, d, t);
		find_best(t);
	}
	/* the contenders again: the better of two runs */
	double best = t->best ? t->value[t->best] : 0;
	for (int m = MODEL_COUNT - 1; m > MODEL_NONE; m--) {
		if (!t->has[m] || (wl_by_memory(p) && !t->finished[m]))
			continue;
		if (full || t->value[m] <= 1.5 * best)
			run_model(p, (enum model)m, deadline_for(p, t, full, one_worker_s), t);
	}
	find_best(t);
}

static int table_from_cache(const char *key, struct wl_table *t)
{
	char fields[4096];
	double age;
	if (!cache_get(key, fields, sizeof fields, &age))
		return 0;
	memset(t, 0, sizeof *t);
	char *s = fields;
	for (int m = 1; m < MODEL_COUNT; m++) {
		t->has[m] = (int)strtol(s, &s, 10);
		t->finished[m] = (int)strtol(s, &s, 10);
		t->value[m] = strtod(s, &s);
		t->runs[m] = (int)strtol(s, &s, 10);
		t->wall_s[m] = strtod(s, &s);
		if (!t->finished[m] && t->has[m])
			snprintf(t->why[m], sizeof t->why[m], "stopped after %.2f s", t->value[m]);
	}
	t->age_s = age;
	find_best(t);
	return 1;
}

static void table_to_cache(const char *key, const struct wl_table *t)
{
	char fields[4096];
	int len = 0;
	for (int m = 1; m < MODEL_COUNT; m++)
		len += snprintf(fields + len, sizeof fields - (size_t)len, "%s%d %d %.6g %d %.6g",
				m == 1 ? "\t" : " ", t->has[m], t->finished[m], t->value[m], t->runs[m],
				t->wall_s[m]);
	cache_put(key, fields);
}

void wl_table_measure(const struct wl_params *p, int full, int use_cache, struct wl_table *t)
{
	char key[256];
	cache_key(p, full ? "table-full" : "table", key, sizeof key);
	if (use_cache && table_from_cache(key, t))
		return;
	struct signature probe;
	double age;
	wl_probe(p, 1, &probe, &age);   /* before the lock: it takes the lock itself */
	int lock = measuring_lock();
	if (!(use_cache && table_from_cache(key, t))) {
		table_now(p, full, probe.value[M_WALL_S], t);
		table_to_cache(key, t);
	}
	measuring_unlock(lock);
}

/* --- Verdicts ------------------------------------------------------------------- */

static void describe(const struct wl_params *p, const struct wl_table *t, enum model m, char *buf,
		     size_t cap)
{
	if (!t->has[m])
		snprintf(buf, cap, "%s: none", wl_model_name(m));
	else if (wl_by_memory(p) && !t->finished[m])
		snprintf(buf, cap, "%s: never held them all at once", wl_model_name(m));
	else if (wl_by_memory(p))
		snprintf(buf, cap, "%s %.2f KiB/task", wl_model_name(m), t->value[m]);
	else
		snprintf(buf, cap, "%s %s%.3f s", wl_model_name(m), t->finished[m] ? "" : "> ",
			 t->value[m]);
}

/* Every model's figure in one line. */
static void all_models(const struct wl_params *p, const struct wl_table *t, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int m = 1; m < MODEL_COUNT && len < cap; m++) {
		if (!t->has[m])
			continue;
		char one[96];
		describe(p, t, (enum model)m, one, sizeof one);
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", one);
	}
}

static int within_margin(const struct wl_table *t, enum model chosen)
{
	return t->best != MODEL_NONE && t->finished[chosen] &&
	       t->value[chosen] <= WL_MARGIN * t->value[t->best];
}

int wl_judge(const struct wl_params *p, enum model chosen, struct wl_table *t, char *msg,
	     size_t cap)
{
	const char *why_not;
	char figures[600];
	if (!wl_has_model(p, chosen, &why_not)) {
		snprintf(msg, cap, "%s has no %s: %s", wl_name(p->index), wl_model_name(chosen),
			 why_not);
		return 0;
	}
	/* measure again before saying yes to a model that is not the fastest: the
	 * fastest may have been measured while other programs had the cores, and a
	 * slow best lets a slow choice in.  Both again, each keeping its better run. */
	if (!wl_by_memory(p) && t->best != MODEL_NONE && chosen != t->best &&
	    within_margin(t, chosen)) {
		enum model best = t->best;
		int lock = measuring_lock();
		run_model(p, best, 2 * t->value[best] + 0.05, t);
		run_model(p, chosen, 1.5 * WL_MARGIN * t->value[best] + 0.05, t);
		measuring_unlock(lock);
		find_best(t);
		t->age_s = 0;
	}
	/* measure again, now, before saying no: the chosen model and the best,
	 * up to three times each, the chosen one the second time to 3x the best
	 * (a burst of load elsewhere may have stopped it early).  Another program
	 * on the machine can only make a run slower, never faster, so the best
	 * of several runs is the figure. */
	for (int round = 0; round < 3 && !within_margin(t, chosen) && t->best != MODEL_NONE; round++) {
		enum model best = t->best;
		if (!wl_by_memory(p) && !t->finished[chosen] && t->value[chosen] >= 3 * t->value[best])
			break;   /* stopped at three times the best: clearly slower */
		if (wl_by_memory(p) && round > 0 && !t->finished[chosen])
			break;   /* it cannot hold them all at once: measuring again will not change that */
		if (round > 0 && t->finished[chosen] && t->value[chosen] > 1.5 * t->value[best])
			break;   /* measured twice, both times far outside the margin */
		int lock = measuring_lock();
		double limit = wl_by_memory(p) ? (chosen == MODEL_SEQUENTIAL ? 1.0 : 3.0)
			     : round == 0 ? 1.5 * WL_MARGIN * t->value[best] + 0.05
					  : 3 * t->value[best] + 0.05;
		run_model(p, chosen, limit, t);
		run_model(p, best, wl_by_memory(p) ? 3.0 : 2 * t->value[best] + 0.05, t);
		measuring_unlock(lock);
		find_best(t);
		t->age_s = 0;
	}
	all_models(p, t, figures, sizeof figures);
	const char *unit = wl_by_memory(p) ? "memory per task" : "time";
	if (t->best == MODEL_NONE) {
		snprintf(msg, cap, "no model of %s ran to its end (%s)", wl_name(p->index), figures);
		return 0;
	}
	if (within_margin(t, chosen)) {
		snprintf(msg, cap, "%s on %s: within %.0f%% of the best %s measured (%s)",
			 wl_name(p->index), wl_model_name(chosen), (WL_MARGIN - 1) * 100, unit,
			 figures);
		return 1;
	}
	char best[256];
	describe(p, t, t->best, best, sizeof best);
	/* a machine busy with other programs blurs the computing workloads' figures: say so */
	double load = 0;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &load) != 1)
			load = 0;
		fclose(f);
	}
	if (load > 2.0 * p->cores + 2 && !wl_by_memory(p)) {
		size_t len = strlen(best);
		snprintf(best + len, sizeof best - len, "; note: load average %.1f on %d cores, "
			 "other programs took the cores: check again when it is quieter", load, p->cores);
	}
	if (wl_by_memory(p))
		snprintf(msg, cap, "%s on %s: %s; %s is the smallest memory per task measured, and "
			 "for this workload memory decides: every model that holds its tasks at once "
			 "waits as long (measured again: %s)",
			 wl_name(p->index), wl_model_name(chosen),
			 t->finished[chosen] ? "more than 25% above it" : "it never held them all at once",
			 best, figures);
	else
		snprintf(msg, cap, "%s on %s is %s than the fastest measured, %s (best of several runs: %s)",
			 wl_name(p->index), wl_model_name(chosen),
			 t->finished[chosen] ? "more than 25% slower" : "far slower", best, figures);
	return 0;
}

static double tolerance(enum measure m)
{
	switch (m) {
	case M_WALL_S: case M_USER_S: case M_SYS_S: return 0.05;
	case M_CPU_PER_WALL: case M_SYS_SHARE: return 0.15;
	case M_CPU_PER_WALL_2: case M_SCALING: return 0.3;
	case M_SWITCHES_PER_TASK: return 1.0;
	case M_INVOLUNTARY: return 50;
	case M_PEAK_RSS_KIB: return 2048;
	case M_THREADS: case M_REQUESTS: case M_PEAK_IN_FLIGHT: return 3;
	case M_KIB_PER_TASK: return 2;
	default: return 0;
	}
}

static void telling_list(const struct wl_params *p, char *buf, size_t cap)
{
	size_t len = 0;
	unsigned bits = wl_telling(p);
	buf[0] = '\0';
	for (int m = 1; m < M_COUNT && len < cap; m++)
		if (bits & (1u << m))
			len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "",
						wl_measure_name((enum measure)m));
}

int wl_check_evidence(const struct wl_params *p, const struct signature *live,
		      const struct choice *c, char *msg, size_t cap)
{
	char list[300];
	telling_list(p, list, sizeof list);
	if (c->because[0].what == c->because[1].what) {
		snprintf(msg, cap, "the two measurements must differ (both are \"%s\")",
			 wl_measure_name(c->because[0].what));
		return 0;
	}
	for (int k = 0; k < 2; k++) {
		const struct evidence *e = &c->because[k];
		if (e->what <= M_NONE || e->what >= M_COUNT) {
			snprintf(msg, cap, "measurement %d names no measure (%d)", k + 1, (int)e->what);
			return 0;
		}
		if (!(wl_telling(p) & (1u << e->what))) {
			snprintf(msg, cap, "\"%s\" does not tell %s apart from workloads that need "
				 "another model: name one of %s", wl_measure_name(e->what),
				 wl_name(p->index), list);
			return 0;
		}
		double v = live->value[e->what];
		if (v < 0) {
			snprintf(msg, cap, "\"%s\" is not measured here (a server without /stats?): "
				 "name another of %s", wl_measure_name(e->what), list);
			return 0;
		}
		double slack = fmax(0.35 * fabs(v), tolerance(e->what));
		if (fabs(e->value - v) > slack) {
			char seen[32], said[32];
			wl_format(e->what, v, seen, sizeof seen);
			wl_format(e->what, e->value, said, sizeof said);
			snprintf(msg, cap, "you give %s = %s, but the probe measures %s on this "
				 "machine now (agreement within %.0f%% expected)",
				 wl_measure_name(e->what), said, seen, 35.0);
			return 0;
		}
	}
	snprintf(msg, cap, "%s and %s agree with the probe", wl_measure_name(c->because[0].what),
		 wl_measure_name(c->because[1].what));
	return 1;
}
