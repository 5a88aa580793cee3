/*
 * Lab 6: timeouts and debugging - YOUR FILE.
 *
 * This is the only file you edit in this lab.  Each exercise is a function
 * with a numbered TODO; replace its placeholder `return TODO("6.k", ...);`
 * with your code.  Then:
 *     make lab6      run the lab (it works before you start, and says what is not done)
 *     make check6    check your exercises (ARGS="--only 6.3" for one)
 * The contract for each function is in exercises.h.
 *
 * Part A's rule: every wait has a deadline, on CLOCK_MONOTONIC, computed
 * once, as an absolute time.  A timed wait is not a cancel: when it expires,
 * the thing you waited for is still running, and you must still stop it
 * (a flag it checks, a signal to its process group) and collect it.
 *
 * Part B: the bug zoo is in labs/06-timeouts/zoo/.  Run the tools first:
 *     make zoo6-tsan PROG=tally         ThreadSanitizer
 *     make zoo6-helgrind PROG=accounts  valgrind's helgrind (slow: that is part of the lesson)
 *     make zoo6-gdb PROG=accounts ARGS=--hang    every thread's stack, from outside
 *     make zoo6-proc PROG=spawner ARGS=2         /proc: states, wait channels, children, fds
 *     make zoo6-run PROG=settings, make zoo6-O0 PROG=tally   the program itself
 * then name what you found (6.6) and write the fixed code here (6.7 - 6.11).
 */
#include "exercises.h"

#include "procs.h"
#include "timing.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- Part A: every wait is bounded ------------------------------------------------- */

int future_init(struct future *f)
{
	/*
	 * TODO 6.1 (1 of 3): the future's mutex and condition variable.
	 *   pthread_condattr_t attr;  pthread_condattr_init(&attr);
	 *   pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	 *   pthread_cond_init(&f->ready, &attr);  pthread_condattr_destroy(&attr);
	 *   pthread_mutex_init(&f->lock, NULL);  f->done = 0;
	 * Why: pthread_cond_timedwait takes an absolute time on the condition
	 * variable's clock, CLOCK_REALTIME unless you say otherwise.  That is the
	 * wall clock: when NTP or an administrator sets it back an hour, every
	 * deadline moves an hour later (wazuh, rocksdb and jemalloc all shipped
	 * that bug).  The checker looks at the clock you gave it.
	 */
	return TODO("6.1", f);
}

int future_set(struct future *f, long value)
{
	/*
	 * TODO 6.1 (2 of 3): under the lock, store the value, set done, and wake
	 * EVERY waiter (pthread_cond_broadcast: several threads may wait for one
	 * result; signal would wake one of them).
	 */
	return TODO("6.1", f, value);
}

int future_wait(struct future *f, int timeout_ms, long *value)
{
	/*
	 * TODO 6.1 (3 of 3): wait for the value, at most timeout_ms.
	 *  - the deadline, ONCE, before waiting: clock_gettime(CLOCK_MONOTONIC, &d),
	 *    add timeout_ms (carry nanoseconds over 1e9 into seconds);
	 *  - lock; while (!f->done && rc != ETIMEDOUT)
	 *        rc = pthread_cond_timedwait(&f->ready, &f->lock, &d);
	 *  - done: *value = f->value, return 0; else return TIMED_OUT; unlock first.
	 * Why a loop: a wake-up is only a hint (spurious wake-ups exist, and
	 * others may broadcast for their own reasons: the checker does, every 2 ms).
	 * Why the deadline once: recompute "now + timeout" after each wake-up and
	 * a steady trickle of wake-ups means you never time out.
	 * This is Python's future.result(timeout=...), and like it, it stops
	 * nothing: the work that should set the value carries on.
	 */
	return TODO("6.1", f, timeout_ms, value);
}

int fetch_bounded(const char *url, const struct budget *b, struct outcome *out)
{
	/*
	 * TODO 6.2: a request with a budget.
	 *  - memset(out, 0, ...); start = wb_now(); e = curl_easy_init();
	 *  - curl_easy_setopt: CURLOPT_URL; CURLOPT_NOSIGNAL 1L (without it libcurl
	 *    may time DNS out with SIGALRM and a long jump: not in a threaded
	 *    program); CURLOPT_CONNECTTIMEOUT_MS, CURLOPT_TIMEOUT_MS,
	 *    CURLOPT_LOW_SPEED_LIMIT, CURLOPT_LOW_SPEED_TIME from *b (all as long);
	 *    CURLOPT_WRITEFUNCTION returning size * n (drop the body);
	 *    CURLOPT_ERRORBUFFER out->error (curl's own words for what happened);
	 *  - code = curl_easy_perform(e); out->seconds = wb_now() - start;
	 *  - classify (see exercises.h): CURLINFO_CONNECT_TIME_T (a curl_off_t, in
	 *    microseconds) is 0 when the connection never completed;
	 *    CURLINFO_RESPONSE_CODE into out->http_status; curl_easy_cleanup.
	 * Predict before you run it: which of the four options ends /hang, a
	 * server that accepts the connection and then says nothing?  (Not
	 * CONNECTTIMEOUT: the connection succeeded.)  And which one fires on a
	 * listener whose backlog is full, where the SYN is simply dropped?
	 */
	return TODO("6.2", url, b, out);
}

int join_bounded(pthread_t *threads, int n, atomic_int *stop, int deadline_ms, int grace_ms,
		 int *ignored)
{
	/*
	 * TODO 6.3: a join with a deadline.
	 *  - two absolute CLOCK_MONOTONIC deadlines, computed now: first =
	 *    now + deadline_ms, last = now + deadline_ms + grace_ms;
	 *  - for each thread: ignored[i] = pthread_clockjoin_np(threads[i], NULL,
	 *    CLOCK_MONOTONIC, &first) != 0   (ETIMEDOUT: still running);
	 *  - if none missed it: return 0 (and do not touch *stop);
	 *  - else atomic_store(stop, 1), and join each one that missed it again,
	 *    with `last`; one still running ignored the flag: pthread_detach it,
	 *    count it.  Return the count.
	 * Why one deadline for all: joining each with its own deadline_ms makes
	 * n slow threads cost n x deadline_ms.
	 * Why not pthread_cancel: a thread cancelled inside a lock, a malloc, or
	 * a resolver library leaves them broken; curl added pthread_cancel for
	 * its resolver thread in 8.16.0 and removed it in the next release ("RIP
	 * pthread_cancel").  You can only ASK a thread to stop.
	 */
	return TODO("6.3", threads, n, stop, deadline_ms, grace_ms, ignored);
}

int run_child_bounded(char *const argv[], int deadline_ms, int grace_ms, struct child_end *out)
{
	/*
	 * TODO 6.4: a child with a deadline.
	 *  - memset(out...); start = wb_now(); fflush(NULL); pid = fork();
	 *    child: setpgid(0, 0); execvp(argv[0], argv); _exit(127);
	 *    parent: setpgid(pid, pid) (one of the two calls wins the race with
	 *    exec; both are needed), out->pid = pid;
	 *  - pidfd = pidfd_open(pid, 0) (<sys/pidfd.h>): a descriptor that becomes
	 *    readable when the child ends, so poll() can wait for it WITH A TIMEOUT,
	 *    which waitpid cannot;
	 *  - poll({pidfd, POLLIN}, deadline_ms) (again on EINTR, with the time left);
	 *    still running: out->term_sent = 1, kill(-pid, SIGTERM) - minus: the
	 *    whole group -, poll again for grace_ms; still running: out->kill_sent
	 *    = 1.  Then kill(-pid, SIGKILL) in both cases: a grandchild may ignore
	 *    SIGTERM even when the child obeyed it;
	 *  - waitpid(pid, &status, 0) (it has ended or is dying: this returns at
	 *    once), close(pidfd), fill exited/status/signal/seconds.
	 * Why the group: kill(pid) ends the child, but a grandchild it started
	 * (a shell's background job, a worker) lives on, holding the pipe you read
	 * the output from: you never see end-of-file.  Measured here: kill(child)
	 * alone left the pipe open a second later; kill(-pgid) closed it at once.
	 */
	return TODO("6.4", argv, deadline_ms, grace_ms, out);
}

int fetch_cancellable(const char *url, atomic_int *cancel, int total_ms, struct outcome *out)
{
	/*
	 * TODO 6.5: cancelling a transfer in flight.
	 *  - an easy handle as in 6.2 (connect and total budget total_ms), plus
	 *    CURLOPT_NOPROGRESS 0L, CURLOPT_XFERINFOFUNCTION your callback,
	 *    CURLOPT_XFERINFODATA cancel; the callback
	 *        static int on_progress(void *arg, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
	 *    returns atomic_load((atomic_int *)arg) != 0: non-zero aborts;
	 *  - drive it with the multi interface: m = curl_multi_init();
	 *    curl_multi_add_handle(m, e); while (running) { curl_multi_perform(m,
	 *    &running); if (running) curl_multi_poll(m, NULL, 0, 50, NULL); }
	 *    then curl_multi_info_read gives the CURLMsg with the CURLcode;
	 *  - CURLE_ABORTED_BY_CALLBACK -> FAIL_CANCELLED; the rest as in 6.2;
	 *    curl_multi_remove_handle, curl_easy_cleanup, curl_multi_cleanup.
	 * Why the multi loop: curl_easy_perform calls your callback about once a
	 * second while no byte moves (measured here: 1.2 s to notice the flag on
	 * /hang); polling 50 ms at a time bounds the reaction to the flag.
	 */
	return TODO("6.5", url, cancel, total_ms, out);
}

/* ---- Part B: the bug zoo ------------------------------------------------------------- */

int diagnose(const char *program, struct diagnosis *d, int cap)
{
	/*
	 * TODO 6.6: what is planted in each zoo program, where, and which tool
	 * showed it to you.  For example, once you know:
	 *     if (strcmp(program, "tally") == 0 && cap >= 1) {
	 *             d[0] = (struct diagnosis){ BUG_..., LINE, TOOL_... };
	 *             return 1;
	 *     }
	 * "spawner" has three; the others one each.  The line is the one a tool
	 * names (for a leak: where the thing leaked is created).  Tips:
	 *  - ThreadSanitizer prints "SUMMARY: ThreadSanitizer: <kind> <file>:<line>";
	 *  - a program that hangs: gdb's `thread apply all bt` shows each thread's
	 *    innermost frame of your code; /proc/PID/task/TID/wchan says futex;
	 *  - some bugs no tool reports: then what told you?
	 */
	return TODO("6.6", program, d, cap);
}

int tally_add(struct tally *t, long amount)
{
	/*
	 * TODO 6.7: zoo/tally.c's tally_add, fixed.  t->total += amount is a load,
	 * an add and a store: two threads can both load the same old total, and
	 * one update is lost.  Make the three one step for the other threads (the
	 * struct has a lock for that).  Return 0.
	 * A sleep or a sched_yield() before the add makes the race rarer, not
	 * gone: the checker runs 8 threads from one barrier, three times.
	 */
	return TODO("6.7", t, amount);
}

int transfer(struct account *from, struct account *to, long amount)
{
	/*
	 * TODO 6.8: zoo/accounts.c's transfer, fixed.  Both accounts must be
	 * locked while the money moves; lock them in ONE order for everybody
	 * (say the lower id first), whichever way the money goes, so that no two
	 * threads can each hold one and wait for the other.  Unlock, return 0.
	 */
	return TODO("6.8", from, to, amount);
}

int mailbox_put(struct mailbox *m, int item)
{
	/*
	 * TODO 6.9 (1 of 3): under m->lock: closed or full (count == MAILBOX_CAP):
	 * return -1; else items[(head + count) % MAILBOX_CAP] = item, count++,
	 * pthread_cond_signal(&m->changed) (one letter: one reader is enough).
	 */
	return TODO("6.9", m, item);
}

int mailbox_get(struct mailbox *m, int *item)
{
	/*
	 * TODO 6.9 (2 of 3): under m->lock: WHILE (count == 0 && !closed) wait on
	 * m->changed.  Then empty means closed: return 1; else take items[head],
	 * head = (head + 1) % MAILBOX_CAP, count--, return 0.
	 * Why `while`: when you wake up, another reader may have taken the letter
	 * first, or nothing happened at all.
	 */
	return TODO("6.9", m, item);
}

int mailbox_close(struct mailbox *m)
{
	/*
	 * TODO 6.9 (3 of 3): under m->lock: closed = 1, and wake EVERY reader
	 * (zoo/mailbox.c woke one: the other sleeps for ever).  Return 0.
	 */
	return TODO("6.9", m);
}

int settings_lock_init(pthread_rwlock_t *lock)
{
	/*
	 * TODO 6.10: zoo/settings.c's lock, fixed.  pthread_rwlockattr_init,
	 * pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP),
	 * pthread_rwlock_init(lock, &attr), pthread_rwlockattr_destroy.
	 * Why: glibc's default lets a new reader in while a writer waits, so
	 * readers whose turns overlap keep the writer out for ever (measured:
	 * a writer gave up after 3 s; with this kind it got the lock in 0.3 ms).
	 * Careful: PTHREAD_RWLOCK_PREFER_WRITER_NP, the obvious name, is ignored.
	 */
	return TODO("6.10", lock);
}

int spawn_helpers(long *thread_result, int *child_status)
{
	/*
	 * TODO 6.11: zoo/spawner.c, fixed.  Do what it does - pthread_create a
	 * helper returning (void *)42L, fork a child that _exit(7)s (fflush(NULL)
	 * first), open("/dev/null", O_WRONLY | O_CLOEXEC) - then clean up what it
	 * never did: pthread_join (its result is *thread_result), waitpid the
	 * child (WEXITSTATUS into *child_status), close the descriptor.
	 * A thread never joined keeps its stack; a child never reaped stays a
	 * zombie in the process table; a descriptor never closed is one less of
	 * your 1024 (and, inherited by every later child, a pipe that never sees
	 * end-of-file).
	 */
	return TODO("6.11", thread_result, child_status);
}

int hang_doctor(pid_t pid, char *buf, size_t cap)
{
	/*
	 * TODO 6.12: a hang doctor: where is each thread of a stuck process?
	 *  - wb_describe_threads(pid, buf, cap): one line per thread, its state
	 *    and wait channel (futex_wait...: a lock or a condition variable);
	 *  - for each thread (the names in /proc/PID/task): read
	 *    /proc/PID/task/TID/syscall: "202 0x55d4d90fc0a0 ..." is futex() with
	 *    the futex word's address first;
	 *  - open /proc/PID/mem and pread 4 bytes (an int) at that address + 8:
	 *    a pthread mutex's __owner, the tid of the thread that holds it
	 *    (p a.__data.__owner in gdb shows the same).  An owner that is not
	 *    one of the process's threads means it was no mutex (a condition
	 *    variable, a join): no edge;
	 *  - append "  thread T waits for the mutex at 0x... held by thread U\n";
	 *  - follow the edges T -> U from each thread: back to a thread already
	 *    on the path is a cycle: append "  deadlock: T -> U -> T\n" and return
	 *    its length; no cycle: return 0.
	 *  - opening /proc/PID/syscall or /mem fails with EACCES or EPERM where
	 *    ptrace is not allowed (Yama ptrace_scope 1 and not your child, 2, 3;
	 *    a container without CAP_SYS_PTRACE): say so in buf, with what to do
	 *    (run the program under gdb from the start; ask for ptrace_scope 0),
	 *    and return 0.  The wait channels need no such permission.
	 */
	return TODO("6.12", pid, buf, cap);
}
