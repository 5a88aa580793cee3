/* procs.c - finding and stopping processes through /proc (see procs.h). */
#include "procs.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
