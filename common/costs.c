/* costs.c - measuring what threads and processes cost (see costs.h). */
#include "costs.h"

#include "checked.h"

#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *do_nothing(void *arg)
{
	return arg;
}

static void create_and_join(void *unused)
{
	(void)unused;
	pthread_t t;
	CHECK_PT(pthread_create(&t, NULL, do_nothing, NULL));
	CHECK_PT(pthread_join(t, NULL));
}

void wb_cost_thread(int reps, struct wb_summary *out)
{
	wb_repeat(reps / 10 + 1, reps, create_and_join, NULL, out);
}

static void wait_for(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			DIE("waitpid: %s", wb_strerror(errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		DIE("a measured child process did not exit cleanly (status %#x)", status);
}

static void fork_and_wait(void *unused)
{
	(void)unused;
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0)
		_exit(0);	/* _exit: no atexit handlers, no stdio flush in the child */
	wait_for(pid);
}

void wb_cost_fork(int reps, struct wb_summary *out)
{
	fflush(NULL);	/* nothing buffered may be inherited and written twice */
	wb_repeat(reps / 10 + 1, reps, fork_and_wait, NULL, out);
}

static void spawn_and_wait(void *unused)
{
	(void)unused;
	char *argv[] = { "true", NULL };
	pid_t pid;
	int err = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
	if (err != 0)
		DIE("posix_spawn /bin/true: %s", wb_strerror(err));
	wait_for(pid);
}

void wb_cost_spawn(int reps, struct wb_summary *out)
{
	fflush(NULL);
	wb_repeat(reps / 10 + 1, reps, spawn_and_wait, NULL, out);
}

/* One line of /proc/self/status, in KiB ("VmRSS:    1234 kB"). */
static double status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		DIE("/proc/self/status: %s", wb_strerror(errno));
	char line[256];
	double kib = -1;
	size_t len = strlen(field);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			kib = strtod(line + len + 1, NULL);
			break;
		}
	}
	fclose(f);
	if (kib < 0)
		DIE("/proc/self/status has no %s line", field);
	return kib;
}

struct parking {
	pthread_mutex_t lock;
	pthread_cond_t released;
	int arrived;
	int open;
};

static void *park(void *arg)
{
	struct parking *p = arg;
	CHECK_PT(pthread_mutex_lock(&p->lock));
	p->arrived++;
	CHECK_PT(pthread_cond_broadcast(&p->released));	/* tell the counter we are here */
	while (!p->open)
		CHECK_PT(pthread_cond_wait(&p->released, &p->lock));
	CHECK_PT(pthread_mutex_unlock(&p->lock));
	return NULL;
}

void wb_cost_thread_memory(int threads, struct wb_thread_memory *out)
{
	struct parking p = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	pthread_t *t = wb_xcalloc((size_t)threads, sizeof *t);
	pthread_attr_t attr;
	CHECK_PT(pthread_attr_init(&attr));
	CHECK_PT(pthread_attr_getstacksize(&attr, &out->stack_bytes));
	CHECK_PT(pthread_attr_destroy(&attr));

	double vm0 = status_kib("VmSize"), rss0 = status_kib("VmRSS");
	for (int i = 0; i < threads; i++)
		CHECK_PT(pthread_create(&t[i], NULL, park, &p));
	/* Read the figures only once every thread is alive and parked. */
	CHECK_PT(pthread_mutex_lock(&p.lock));
	while (p.arrived < threads)
		CHECK_PT(pthread_cond_wait(&p.released, &p.lock));
	CHECK_PT(pthread_mutex_unlock(&p.lock));
	double vm1 = status_kib("VmSize"), rss1 = status_kib("VmRSS");

	CHECK_PT(pthread_mutex_lock(&p.lock));
	p.open = 1;
	CHECK_PT(pthread_cond_broadcast(&p.released));
	CHECK_PT(pthread_mutex_unlock(&p.lock));
	for (int i = 0; i < threads; i++)
		CHECK_PT(pthread_join(t[i], NULL));
	free(t);

	out->threads = threads;
	out->vm_kib_per_thread = (vm1 - vm0) / threads;
	out->rss_kib_per_thread = (rss1 - rss0) / threads;
}
