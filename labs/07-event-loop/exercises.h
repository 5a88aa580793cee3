/*
 * Lab 7: the event loop - the contract.
 *
 * These are the functions you write in exercises.c.  The driver (main.c)
 * and the checker (tests/lab7_check.c) call them exactly as declared here,
 * so do not change this file: change exercises.c.
 *
 * Every function returns 0 on success, -1 on failure (after printing why),
 * or WB_NOT_DONE while it is still the handout's placeholder.  A transfer
 * that fails (timeout, refused, HTTP 500) is NOT a failure of the function:
 * its outcome is recorded in its struct transfer, and the function returns 0.
 */
#ifndef LAB7_EXERCISES_H
#define LAB7_EXERCISES_H

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdint.h>
#include <sys/types.h>

#include "exercise.h"

/* --- Transfers (given code in transfers.c) -------------------------------- */

/* What became of one transfer: the error classes of 7.3. */
enum outcome {
	OUTCOME_NONE,      /* not reported (yet) */
	OUTCOME_OK,        /* a 2xx answer */
	OUTCOME_HTTP,      /* an answer, but not 2xx (HTTP 500, 404, ...) */
	OUTCOME_TIMEOUT,   /* its deadline passed: in flight, or still queued */
	OUTCOME_REFUSED,   /* nobody listens there (CURLE_COULDNT_CONNECT) */
	OUTCOME_OTHER,     /* any other libcurl error */
	OUTCOME_COUNT
};

/* "ok", "http error", "timeout", ... */
const char *outcome_name(enum outcome o);

struct transfer {
	const char *url;      /* in: what to GET */
	long timeout_ms;      /* in: 0 = REQUEST_TIMEOUT_S; transfer_handle sets CURLOPT_TIMEOUT_MS */
	/* out, filled in by transfer_done: */
	int reports;          /* times transfer_done was called for it: must end at exactly 1 */
	CURLcode result;      /* msg->data.result of its CURLMSG_DONE */
	long status;          /* HTTP status, 0 if no answer came */
	double started_s;     /* wb_now() when transfer_handle made its handle */
	double ended_s;       /* wb_now() in transfer_done */
	enum outcome outcome; /* set by 7.3's code; the others leave OUTCOME_NONE */
};

/* A new easy handle for t, ready to add to a multi handle: URL, NOSIGNAL,
 * the body counted and dropped, a small receive buffer, t as its
 * CURLOPT_PRIVATE (get it back with curl_easy_getinfo(e, CURLINFO_PRIVATE, &t)),
 * CURLOPT_TIMEOUT_MS from t->timeout_ms.  Dies if libcurl refuses. */
CURL *transfer_handle(struct transfer *t);

/* Record t's end: result, HTTP status from e, the time, reports++.
 * Call it once per CURLMSG_DONE, before removing and cleaning up e. */
void transfer_done(struct transfer *t, CURL *e, CURLcode result);

/* What a loop did, for the driver's plots. */
struct loop_stats {
	long iterations;      /* passes of the loop: perform+poll rounds, or callbacks run */
	int max_in_flight;    /* the most handles added to the multi at once */
};

/*
 * Exercise 7.1 - a window of transfers: curl_multi_perform + curl_multi_poll.
 * Run the n transfers with at most k handles in the multi handle at once:
 * add the first k, then loop { curl_multi_perform; read every message with
 * curl_multi_info_read; for each CURLMSG_DONE: transfer_done, remove and clean
 * up the handle, add the next transfer if any; curl_multi_poll for 1000 ms at
 * most } until none is running.  st->iterations counts the perform calls.
 * Every transfer reported exactly once; no handle left; the multi cleaned up.
 */
int fetch_window(struct transfer *t, int n, int k, struct loop_stats *st);

/*
 * Exercise 7.2 - socket_action on libevent: all n transfers at once.
 * curl tells you which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to wake it (CURLMOPT_TIMERFUNCTION); you turn those into libevent events
 * on `base`, and each event calls curl_multi_socket_action.  Run the base
 * until every transfer is reported (do not use event_base_loopexit with a
 * time: wait for the work).  st->iterations counts socket_action calls.
 * Leave base as you found it: no event of yours left on it.
 */
int fetch_socket_action(struct event_base *base, struct transfer *t, int n, struct loop_stats *st);

/*
 * Exercise 7.3 - every outcome accounted for.
 * As 7.1 (at most k at once), with one deadline for all: deadline_s seconds
 * after the call starts, every transfer still queued or in flight has timed
 * out.  So a transfer that starts late gets only the time left
 * (t->timeout_ms), and one still queued at the deadline is reported without
 * being started (t->reports = 1, t->outcome = OUTCOME_TIMEOUT, no handle).
 * Classify each transfer into t->outcome and count it in counts[outcome].
 */
int fetch_accounted(struct transfer *t, int n, int k, double deadline_s,
		    long counts[OUTCOME_COUNT]);

/* --- 7.4: CPU work off the loop ------------------------------------------- */

struct cpu_job {
	uint64_t items;       /* in: how much work (wb_cpu_sum over items) */
	uint64_t result;      /* out: set by cpu_job_run */
	pid_t ran_on;         /* out: the thread (gettid) that ran it */
	pid_t finished_on;    /* out: the thread that called cpu_job_finish */
	int finished;         /* out: times cpu_job_finish was called: exactly 1 */
};

/* The work itself (given): computes j->result, records j->ran_on. */
void cpu_job_run(struct cpu_job *j);
/* What the loop does with a result (given): records j->finished_on, finished++. */
void cpu_job_finish(struct cpu_job *j);

/*
 * Exercise 7.4 - never block the loop (asyncio's run_in_executor).
 * Run the n jobs on `workers` threads of your own; each finished job comes
 * back to the loop through a pipe or an eventfd watched by an event on
 * `base`, and the LOOP's callback calls cpu_job_finish (never a worker).
 * Run the base while the jobs run (other events on it, such as the driver's
 * timers and transfers, keep running), and return when all n are finished,
 * with every thread joined and every descriptor closed.
 */
int run_jobs_off_loop(struct event_base *base, struct cpu_job *jobs, int n, int workers);

/* --- 7.5: the server side --------------------------------------------------- */

/*
 * Exercise 7.5 - a line-echo server on libevent.
 * Listen on 127.0.0.1, port 0 (any free port), with the given backlog
 * (evconnlistener_new_bind); give each connection a bufferevent that
 * answers every complete line "LINE\n" with "echo: LINE\n", however the
 * bytes arrive (a line in pieces, several lines at once), and frees the
 * connection when the client closes it or an error comes.
 * *port gets the port, *listener the listener (the caller frees it, then
 * runs the base until the connections are gone).
 */
int echo_listen(struct event_base *base, int backlog, int *port, struct evconnlistener **listener);

/* --- 7.6: memory, measured fairly ------------------------------------------ */

struct task_memory {
	double pss_kib;      /* Pss: every page divided by the processes sharing it */
	double uss_kib;      /* Private_Clean + Private_Dirty: what only this process holds */
	double rss_kib;      /* Rss: what the usual tools show (shared pages counted fully) */
	int threads;         /* Threads: from /proc/PID/status */
	double kstack_kib;   /* threads * KERNEL_STACK_KIB: kernel stacks, outside every figure above */
};

/* Each thread has a kernel stack of THREAD_SIZE: 16 KiB on x86-64. */
#define KERNEL_STACK_KIB 16.0

/*
 * Exercise 7.6 - read the memory of process pid, fairly: from
 * /proc/PID/smaps_rollup (Pss, Private_Clean, Private_Dirty, Rss; in kB)
 * and /proc/PID/status (Threads).  -1 if the process is gone.
 */
int read_task_memory(pid_t pid, struct task_memory *m);

#endif
