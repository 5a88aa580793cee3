/*
 * procs.h - finding and stopping processes through /proc.
 *
 * Used where a stuck run must be cleaned up from the outside: a lab giving
 * up on a stuck experiment stops its children, and a checker stops the
 * orphans of a check it killed.
 */
#ifndef WB_PROCS_H
#define WB_PROCS_H

#include <sys/types.h>

/* The parent of process pid (from /proc/PID/stat), or -1 if it is gone. */
pid_t wb_parent_of(pid_t pid);

/* SIGKILL every process (but this one) for which chosen(pid, arg) is true;
 * returns how many were killed. */
int wb_kill_processes(int (*chosen)(pid_t pid, void *arg), void *arg);

/* SIGKILL every child of this process (not reaping them). */
int wb_kill_children(void);

/* Entries of a /proc directory, "." and ".." aside: wb_count_entries("/proc/self/task")
 * is this process's threads now, "/proc/self/fd" its open descriptors.
 * -1 if the directory cannot be read. */
int wb_count_entries(const char *dir);

/* Processes of process group pgid that are still alive (not zombies). */
int wb_group_alive(pid_t pgid);

/* Wait for child pid to end (again after a signal interrupts the wait) and
 * return its status as waitpid gives it; a failure is a bug: it dies. */
int wb_reap(pid_t pid);

/* Is pid a descendant (child, grandchild, ...) of ancestor? */
int wb_is_descendant(pid_t pid, pid_t ancestor);

/*
 * Where each thread of process pid is, one line per thread appended to buf:
 *     "pid 812 thread 815 (check2): sleeping in futex_wait_queue - waiting for a lock or a
 *      condition variable"
 * from /proc/PID/task/TID/{stat,wchan}.  This is what a stuck program looks
 * like from outside: it tells a deadlock (futex) from a full pipe (pipe_write)
 * from a busy loop (running).  Returns the number of threads described.
 */
int wb_describe_threads(pid_t pid, char *buf, size_t cap);

#endif
