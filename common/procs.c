/* procs.c - finding and stopping processes through /proc (see procs.h). */
#include "procs.h"

#include "checked.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t wb_parent_of(pid_t pid)
{
	char path[64], stat[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(stat, 1, sizeof stat - 1, f);
	fclose(f);
	stat[n] = '\0';
	/* "pid (name) state ppid ...": the name may hold spaces, so read after the last ')' */
	char *close = strrchr(stat, ')');
	int ppid;
	return close && sscanf(close + 1, " %*c %d", &ppid) == 1 ? ppid : -1;
}

int wb_kill_processes(int (*chosen)(pid_t pid, void *arg), void *arg)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int killed = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t pid = atoi(e->d_name);
		if (pid > 0 && pid != getpid() && chosen(pid, arg) && kill(pid, SIGKILL) == 0)
			killed++;
	}
	closedir(d);
	return killed;
}

static int is_child_of(pid_t pid, void *parent)
{
	return wb_parent_of(pid) == *(pid_t *)parent;
}

int wb_kill_children(void)
{
	pid_t self = getpid();
	return wb_kill_processes(is_child_of, &self);
}

int wb_is_descendant(pid_t pid, pid_t ancestor)
{
	/* Walk up the parents; pid 1 (or a vanished process) ends the chain. */
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		pid = wb_parent_of(pid);
		if (pid == ancestor)
			return 1;
	}
	return 0;
}

/* A word for the kernel function a thread sleeps in, for a student who has never seen one. */
static const char *wchan_meaning(const char *wchan)
{
	static const struct {
		const char *prefix, *meaning;
	} known[] = {
		{ "futex", "waiting for a lock or a condition variable" },
		{ "pipe_read", "reading a pipe nobody writes to (or closes)" },
		{ "pipe_write", "writing a full pipe nobody reads" },
		{ "do_wait", "waiting for a child process (waitpid)" },
		{ "wait_consider_task", "waiting for a child process (waitpid)" },
		{ "kernel_wait4", "waiting for a child process (waitpid)" },
		{ "hrtimer_nanosleep", "sleeping" },
		{ "do_nanosleep", "sleeping" },
		{ "do_sys_poll", "waiting in poll()" },
		{ "do_select", "waiting in select()" },
		{ "ep_poll", "waiting in epoll_wait()" },
		{ "do_epoll_wait", "waiting in epoll_wait()" },
		{ "unix_stream", "reading a socket" },
		{ "sk_wait_data", "reading a socket" },
		{ "wait_woken", "reading a socket" },
		{ "do_sigtimedwait", "waiting for a signal" },
		{ "sigsuspend", "waiting for a signal" },
	};
	/* A part of the name, not its start: kernels rename (pipe_read became anon_pipe_read). */
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (*wchan && strstr(wchan, known[i].prefix))
			return known[i].meaning;
	return NULL;
}

/* Read a small /proc file into buf (without its trailing newline); 0 on success. */
static int read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* One thread's line: its state, and where it sleeps. */
static void describe_thread(pid_t pid, const char *tid, char *buf, size_t cap)
{
	char path[96], stat[512], wchan[96] = "", name[32] = "?";
	char state = '?';
	snprintf(path, sizeof path, "/proc/%d/task/%s/stat", (int)pid, tid);
	if (read_small(path, stat, sizeof stat) != 0)
		return;
	char *open = strchr(stat, '('), *close = strrchr(stat, ')');
	if (open && close && close > open) {
		snprintf(name, sizeof name, "%.*s", (int)(close - open - 1), open + 1);
		sscanf(close + 1, " %c", &state);
	}
	snprintf(path, sizeof path, "/proc/%d/task/%s/wchan", (int)pid, tid);
	if (read_small(path, wchan, sizeof wchan) != 0 || strcmp(wchan, "0") == 0)
		wchan[0] = '\0';
	const char *meaning = wchan_meaning(wchan);
	size_t used = strlen(buf);
	if (state == 'R')
		snprintf(buf + used, cap - used, "  pid %d thread %s (%s): running - a busy loop?\n",
			 (int)pid, tid, name);
	else if (state == 'Z')
		snprintf(buf + used, cap - used, "  pid %d (%s): a zombie - it exited, and nobody "
			 "reaped it (waitpid)\n", (int)pid, name);
	else
		snprintf(buf + used, cap - used, "  pid %d thread %s (%s): %s in %s%s%s\n", (int)pid,
			 tid, name, state == 'S' || state == 'D' ? "sleeping" : "stopped",
			 *wchan ? wchan : "(unknown)", meaning ? " - " : "", meaning ? meaning : "");
}

int wb_describe_threads(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		describe_thread(pid, e->d_name, buf, cap);
		n++;
	}
	closedir(d);
	return n;
}

int wb_reap(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			DIE("waitpid(%d): %s", (int)pid, wb_strerror(errno));
	return status;
}

int wb_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int wb_group_alive(pid_t pgid)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t pid = atoi(e->d_name);
		if (pid <= 0 || getpgid(pid) != pgid)
			continue;
		/* a zombie is dead already: whoever its parent is now reaps it */
		char path[64], stat[256];
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;   /* it ended meanwhile */
		size_t len = fread(stat, 1, sizeof stat - 1, f);
		fclose(f);
		stat[len] = '\0';
		char *close = strrchr(stat, ')');
		n += close && close[1] == ' ' && close[2] != 'Z';
	}
	closedir(d);
	return n;
}
