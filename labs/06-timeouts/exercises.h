/*
 * Lab 6: timeouts and debugging - the contract.
 *
 * These are the functions you write in exercises.c.  The driver (main.c)
 * and the checker (tests/lab6_check.c) call them exactly as declared here,
 * so do not change this file: change exercises.c.
 *
 * Part A: every wait is bounded (6.1 - 6.5).  Part B: the bug zoo
 * (labs/06-timeouts/zoo/): name each planted bug (6.6), fix it (6.7 - 6.11),
 * and write the tool that tells where a stuck program waits (6.12).
 *
 * Unless said otherwise a function returns 0 on success, -1 on failure
 * (after saying why), or WB_NOT_DONE while it is still the placeholder.
 * Every deadline is on CLOCK_MONOTONIC: the wall clock may be set back or
 * forward (NTP, an administrator, a suspended laptop) and must not move it.
 */
#ifndef LAB6_EXERCISES_H
#define LAB6_EXERCISES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#include "exercise.h"

/* What a bounded wait returns when its deadline passed first. */
#define TIMED_OUT 1

/* ---- Part A ---------------------------------------------------------------- */

/*
 * Exercise 6.1 - a future with a timeout (Python's future.result(timeout=)).
 * One thread sets the value once; others wait for it.
 *   future_init: the mutex, and a condition variable whose clock is
 *                CLOCK_MONOTONIC (pthread_condattr_setclock); done = 0.
 *   future_set:  store the value, mark it done, wake every waiter.
 *   future_wait: wait until done or until timeout_ms have passed, whichever
 *                comes first: 0 with *value set, or TIMED_OUT.  A wake-up
 *                without the value (spurious, or a broadcast for something
 *                else) must neither return early nor move the deadline.
 */
struct future {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	int done;
	long value;
};
int future_init(struct future *f);
int future_set(struct future *f, long value);
int future_wait(struct future *f, int timeout_ms, long *value);

/* How a transfer ended (6.2, 6.5).  failure_name() gives "connect timeout" etc. */
enum failure {
	FAIL_NONE,             /* a response came, within budget */
	FAIL_REFUSED,          /* nobody listens on that port: CURLE_COULDNT_CONNECT */
	FAIL_CONNECT_TIMEOUT,  /* the connection never completed in time */
	FAIL_TOTAL_TIMEOUT,    /* connected, but the whole transfer ran out of time */
	FAIL_TOO_SLOW,         /* bytes came, but slower than the speed limit */
	FAIL_CANCELLED,        /* stopped by our own flag (6.5) */
	FAIL_OTHER,
};
const char *failure_name(enum failure f);   /* given (timeouts.c) */

/* The budget of one request. */
struct budget {
	int connect_ms;        /* CURLOPT_CONNECTTIMEOUT_MS */
	int total_ms;          /* CURLOPT_TIMEOUT_MS: the whole transfer */
	long low_speed_bytes;  /* CURLOPT_LOW_SPEED_LIMIT: fewer bytes per second than this ... */
	int low_speed_s;       /* CURLOPT_LOW_SPEED_TIME: ... for this many seconds is "too slow" */
};

struct outcome {
	enum failure failure;
	int curl_code;         /* the CURLcode */
	long http_status;      /* 0 if no response */
	double seconds;        /* from the call to its return (wb_now) */
	char error[256];       /* curl's error buffer ("" if none) */
};

/*
 * Exercise 6.2 - a request with a budget.
 * GET url with a fresh easy handle: set CURLOPT_NOSIGNAL and the four budget
 * options, drop the body, then classify how it ended into out->failure:
 *   CURLE_OK                        -> FAIL_NONE
 *   CURLE_COULDNT_CONNECT           -> FAIL_REFUSED
 *   CURLE_OPERATION_TIMEDOUT (28):  -> FAIL_CONNECT_TIMEOUT when it never
 *       connected (CURLINFO_CONNECT_TIME_T is 0), else FAIL_TOTAL_TIMEOUT when
 *       it ran the whole budget (seconds >= total_ms, give or take 50 ms),
 *       else FAIL_TOO_SLOW (the speed limit fired first)
 *   anything else                   -> FAIL_OTHER
 * Returns 0 whatever the transfer did (the outcome says it); -1 only if
 * libcurl itself could not be set up.
 */
int fetch_bounded(const char *url, const struct budget *b, struct outcome *out);

/*
 * Exercise 6.3 - a join with a deadline.
 * Join the n threads by deadline_ms from now (pthread_clockjoin_np on
 * CLOCK_MONOTONIC, one absolute deadline for them all).  Those not joined by
 * then: set *stop to 1 (the threads check it) and join again, until
 * deadline_ms + grace_ms.  A thread still running after that ignored the
 * flag: set ignored[i] = 1 and pthread_detach it (it can no longer be
 * joined by us; detached, it frees itself when it ends); ignored[i] = 0 for
 * the others.  Returns how many ignored the flag.  The flag is set only if
 * some thread missed the first deadline.
 */
int join_bounded(pthread_t *threads, int n, atomic_int *stop, int deadline_ms, int grace_ms,
		 int *ignored);

/* How a child run by run_child_bounded ended. */
struct child_end {
	pid_t pid;             /* the child, which was also its process group's leader */
	int exited;            /* 1: exited by itself, with `status` */
	int status;
	int signal;            /* else: the signal that ended it (SIGTERM or SIGKILL) */
	int term_sent;         /* 1 if the deadline passed and the group got SIGTERM */
	int kill_sent;         /* 1 if the grace passed too and the group got SIGKILL */
	double seconds;        /* from the fork to the reaping */
};

/*
 * Exercise 6.4 - a child with a deadline.
 * fork; in the child setpgid(0, 0) (its own process group) and execvp(argv);
 * in the parent setpgid(pid, pid) too (whichever runs first), then
 * pidfd_open(pid) and poll it for deadline_ms.  If the child has not ended:
 * kill(-pid, SIGTERM) - the whole group, grandchildren too - poll again for
 * grace_ms, then kill(-pid, SIGKILL).  Reap the child (waitpid), close the
 * pidfd, fill *out.  After the SIGKILL nothing of the group may be left, not
 * even a grandchild that still holds the pipe you read the child's output from.
 */
int run_child_bounded(char *const argv[], int deadline_ms, int grace_ms, struct child_end *out);

/*
 * Exercise 6.5 - cancelling a transfer in flight.
 * GET url (total_ms as a safety net) with the multi interface, polling
 * (curl_multi_poll) at most 50 ms at a time, and an xferinfo callback
 * (CURLOPT_XFERINFOFUNCTION, CURLOPT_NOPROGRESS 0) that returns non-zero
 * once *cancel is non-zero: libcurl then ends the transfer with
 * CURLE_ABORTED_BY_CALLBACK -> out->failure = FAIL_CANCELLED (other ends
 * classified as in 6.2).  Another thread sets *cancel; the transfer must end
 * within 200 ms of it.  Never pthread_cancel.
 */
int fetch_cancellable(const char *url, atomic_int *cancel, int total_ms, struct outcome *out);

/* ---- Part B: the bug zoo ---------------------------------------------------- */

enum bug {
	BUG_NONE,
	BUG_DATA_RACE,         /* two threads touch the same memory, one writes, no order between them */
	BUG_LOCK_ORDER,        /* two locks taken in opposite orders: a deadlock waiting to happen */
	BUG_LOST_WAKEUP,       /* a waiter that nobody will ever wake */
	BUG_STARVATION,        /* a thread that could run, but others always go first */
	BUG_LEAKED_THREAD,     /* a thread never joined nor detached */
	BUG_ZOMBIE,            /* a child never reaped */
	BUG_LEAKED_FD,         /* a descriptor never closed */
};

enum tool {
	TOOL_NONE,
	TOOL_TSAN,             /* make zoo6-tsan:     -fsanitize=thread */
	TOOL_HELGRIND,         /* make zoo6-helgrind: valgrind --tool=helgrind */
	TOOL_GDB,              /* make zoo6-gdb:      gdb -batch -ex 'thread apply all bt' */
	TOOL_PROC,             /* make zoo6-proc:     /proc/PID/task/ * /wchan, status, fd */
	TOOL_MEASURE,          /* the program's own timing (no tool reports it) */
};

struct diagnosis {
	enum bug bug;
	int line;              /* the line of the zoo program where it is planted */
	enum tool tool;        /* the tool that showed it to you */
};

/*
 * Exercise 6.6 - name the planted bugs.
 * program is one of "tally", "accounts", "mailbox", "settings", "spawner"
 * (labs/06-timeouts/zoo/<program>.c).  Fill d[0 .. k-1] (at most cap) with
 * what you found in it, and return k.  Run the tools first: the answer is
 * what they showed you.
 */
int diagnose(const char *program, struct diagnosis *d, int cap);

/* Exercise 6.7 - fix zoo/tally.c: add amount to t->total, safely from any number of
 * threads, holding t->lock while you do (the checker holds it itself, and checks that
 * your add waits for it). */
struct tally {
	pthread_mutex_t lock;
	volatile long total;   /* volatile, as in CS:APP's badcnt.c: the race survives -O2 */
};
int tally_add(struct tally *t, long amount);

/* Exercise 6.8 - fix zoo/accounts.c: move amount from one account to another;
 * transfers run both ways at once from many threads and must never deadlock. */
struct account {
	pthread_mutex_t lock;
	int id;                /* distinct per account */
	long balance;
};
int transfer(struct account *from, struct account *to, long amount);

/*
 * Exercise 6.9 - fix zoo/mailbox.c: a queue of ints for many consumers.
 *   mailbox_put:   append (return -1 if full or closed), wake a consumer;
 *   mailbox_get:   wait while it is empty and open; 0 with *item, or 1 once
 *                  it is closed and empty;
 *   mailbox_close: mark it closed and wake EVERY consumer.
 * (struct mailbox and mailbox_init are given, in timeouts.c.)  The fixes
 * return 0 (or -1 from mailbox_put), as every exercise returns an int.
 */
enum { MAILBOX_CAP = 1024 };
struct mailbox {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int items[MAILBOX_CAP];
	int head, count, closed;
};
void mailbox_init(struct mailbox *m);       /* given */
int mailbox_put(struct mailbox *m, int item);
int mailbox_get(struct mailbox *m, int *item);
int mailbox_close(struct mailbox *m);

/* Exercise 6.10 - fix zoo/settings.c: initialise the rwlock so that a waiting
 * writer gets it although readers keep overlapping. */
int settings_lock_init(pthread_rwlock_t *lock);

/*
 * Exercise 6.11 - fix zoo/spawner.c: start a helper thread that returns
 * 6 * 7, fork a child that exits with status 7, and open /dev/null; then
 * clean up everything: *thread_result = what the thread returned,
 * *child_status = the child's exit status, and nothing left behind
 * (no thread, no child, zombie or not, no descriptor).
 */
int spawn_helpers(long *thread_result, int *child_status);

/*
 * Exercise 6.12 - a hang doctor.
 * Given the pid of a program that seems stuck, append to buf (cap bytes,
 * a string) one line per thread, saying its state and where it waits
 * (wb_describe_threads in common/procs.h does this part), then, for each
 * thread asleep in futex (the syscall number in /proc/PID/task/TID/syscall
 * is 202 on x86-64; its first argument is the address of the futex word, the
 * first field of a pthread mutex), the thread that holds that mutex: the
 * mutex's __owner field, 8 bytes after the futex word (read it from
 * /proc/PID/mem with pread).  Print each "thread T waits for the mutex at
 * 0x... held by thread U", and, if those edges make a cycle, a line
 *     "deadlock: 815 -> 816 -> 815"
 * Returns the number of threads in the cycle (0: none found).  Reading
 * /proc/PID/syscall and /proc/PID/mem needs ptrace permission: where it is
 * refused (EACCES/EPERM), say so in buf, with what to do, and return 0.
 */
int hang_doctor(pid_t pid, char *buf, size_t cap);

/* given (timeouts.c) */
const char *bug_name(enum bug b);
const char *tool_name(enum tool t);

/* Failing services made offline, for 6.2 (given, timeouts.c):
 * a port on 127.0.0.1 where nobody listens (connect is refused at once), and
 * a listener whose backlog is full (listen(fd, 0), then two connections it
 * never accepts), so that a new connection's SYN is dropped: a true connect
 * timeout.  Close the listener and the fillers with close_backlog. */
int refused_port(void);
struct backlog {
	int listener, fillers[2];
	int port;
};
void full_backlog(struct backlog *b);
void close_backlog(struct backlog *b);

#endif
