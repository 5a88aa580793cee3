/*
 * Lab 7: the event loop - YOUR FILE.
 *
 * This is the only file you edit in this lab.  Each exercise is a function
 * with a numbered TODO; replace its placeholder `return TODO("7.k", ...);` with
 * your code.  Then:
 *     make lab7      run the lab (it works before you start, and says what is not done)
 *     make check7    check your exercises
 * The contract for each function is in exercises.h.  One rule holds for
 * every callback you write here: it runs ON the loop, so it must return
 * quickly - no sleep, no blocking read, no long computation.  While one
 * callback runs, nothing else in the program moves.
 */
#include "exercises.h"

#include "checked.h"
#include "timing.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fetch_window(struct transfer *t, int n, int k, struct loop_stats *st)
{
	/*
	 * TODO 7.1: a window of k transfers (curl's 10-at-a-time.c).
	 *  - CURLM *multi = curl_multi_init();
	 *  - add the first k: curl_multi_add_handle(multi, transfer_handle(&t[i]));
	 *    st->max_in_flight = how many you added;
	 *  - loop while some are in flight:
	 *      curl_multi_perform(multi, &running); st->iterations++;
	 *      while ((msg = curl_multi_info_read(multi, &left))) if msg->msg == CURLMSG_DONE:
	 *          curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&tr);
	 *          transfer_done(tr, msg->easy_handle, msg->data.result);
	 *          curl_multi_remove_handle, curl_easy_cleanup;
	 *          and start the next transfer, if one is left (the refill);
	 *      curl_multi_poll(multi, NULL, 0, 1000, NULL): sleep until a socket is
	 *      ready or curl's next timeout;
	 *  - curl_multi_cleanup(multi).
	 * Pitfalls: read msg->data.result before removing the handle (the message
	 * dies with it); never more than k added at once, even while refilling.
	 * Why does each perform get slower as n grows? (What does it look at?)
	 */
	return TODO("7.1", t, n, k, st);
}

int fetch_socket_action(struct event_base *base, struct transfer *t, int n, struct loop_stats *st)
{
	/*
	 * TODO 7.2: socket_action on libevent (curl's hiperfifo.c, multi-event.c).
	 * A struct of yours holds the loop's state: base, multi, one timer event,
	 * how many transfers are not yet reported, st.
	 *  - CURLMOPT_SOCKETFUNCTION (+ CURLMOPT_SOCKETDATA = your struct):
	 *      int cb(CURL *e, curl_socket_t s, int what, void *yours, void *socketp)
	 *    what is CURL_POLL_IN, _OUT, _INOUT or _REMOVE.  On the first call for
	 *    a socket, event_new(base, s, EV_READ/EV_WRITE | EV_PERSIST, on_socket, yours)
	 *    and curl_multi_assign(multi, s, that event) - curl hands it back as
	 *    socketp next time; on a change, event_del + event_assign + event_add;
	 *    on REMOVE, event_free it (and curl_multi_assign(multi, s, NULL)).
	 *  - CURLMOPT_TIMERFUNCTION (+ CURLMOPT_TIMERDATA):
	 *      int cb(CURLM *m, long timeout_ms, void *yours)
	 *    -1: event_del(timer); otherwise evtimer_add(timer, timeout_ms) -
	 *    0 means "as soon as you can".  Do NOT call socket_action from here.
	 *  - on_socket(fd, what): curl_multi_socket_action(multi, fd,
	 *    CURL_CSELECT_IN and/or CURL_CSELECT_OUT, &running); on the timer:
	 *    curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running).
	 *    After each, read curl_multi_info_read as in 7.1 and, when the last
	 *    transfer is reported, event_base_loopbreak(base).
	 *  - add all n handles, event_base_dispatch(base), then curl_multi_cleanup,
	 *    free every event left (a socket curl never removed, the timer).
	 * Why does each call now cost the same at 100 and at 10,000 transfers?
	 */
	return TODO("7.2", base, t, n, st);
}

int fetch_accounted(struct transfer *t, int n, int k, double deadline_s,
		    long counts[OUTCOME_COUNT])
{
	/*
	 * TODO 7.3: every outcome accounted for.
	 *  - deadline = wb_now() + deadline_s, once, at the start: time spent
	 *    waiting in the queue counts (the caller asked for an answer by then);
	 *  - when you start transfer i: left = deadline - wb_now(); if under 1 ms,
	 *    do not start it: transfer_done(&t[i], NULL, CURLE_OPERATION_TIMEDOUT)
	 *    and count it as a timeout; else t[i].timeout_ms = left in ms;
	 *  - a window of k as in 7.1 (copy your loop);
	 *  - classify each reported transfer: CURLE_OK with a 2xx status -> OK;
	 *    CURLE_OK otherwise -> HTTP; CURLE_OPERATION_TIMEDOUT -> TIMEOUT;
	 *    CURLE_COULDNT_CONNECT -> REFUSED; anything else -> OTHER; store it in
	 *    t[i].outcome and add one to counts[outcome].
	 * Every transfer exactly once: counts must add up to n.
	 * What would a fresh timeout per transfer do to the caller's deadline?
	 */
	return TODO("7.3", t, n, k, deadline_s, counts);
}

int run_jobs_off_loop(struct event_base *base, struct cpu_job *jobs, int n, int workers)
{
	/*
	 * TODO 7.4: never block the loop (asyncio's loop.run_in_executor).
	 *  - pipe2(fds, O_CLOEXEC); make the read end O_NONBLOCK (fcntl);
	 *    event_new(base, fds[0], EV_READ | EV_PERSIST, on_ready, yours), event_add;
	 *  - start `workers` threads: each takes the next job index (under a
	 *    mutex), calls cpu_job_run(&jobs[i]), and write()s i (an int) to fds[1];
	 *  - on_ready (on the loop): read every int there is (until EAGAIN),
	 *    cpu_job_finish(&jobs[i]) for each; when all n are finished,
	 *    event_base_loopbreak(base);
	 *  - event_base_dispatch(base) meanwhile: the other events on base (the
	 *    driver's timers, its transfers) keep running;
	 *  - then join the workers, event_free, close both ends.
	 * Why must cpu_job_finish run on the loop and not on the worker?
	 */
	return TODO("7.4", base, jobs, n, workers);
}

int echo_listen(struct event_base *base, int backlog, int *port, struct evconnlistener **listener)
{
	/*
	 * TODO 7.5: a line-echo server (the libevent book's rot13 server, with
	 * bufferevents).
	 *  - struct sockaddr_in at 127.0.0.1 (htonl(INADDR_LOOPBACK)), port 0;
	 *    evconnlistener_new_bind(base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE |
	 *    LEV_OPT_REUSEABLE, backlog, addr, sizeof addr); getsockname on
	 *    evconnlistener_get_fd() gives the port (ntohs);
	 *  - on_accept: bufferevent_socket_new(evconnlistener_get_base(l), fd,
	 *    BEV_OPT_CLOSE_ON_FREE), bufferevent_setcb(bev, on_read, NULL, on_event, NULL),
	 *    bufferevent_enable(bev, EV_READ | EV_WRITE);
	 *  - on_read: while ((line = evbuffer_readln(input, &len, EVBUFFER_EOL_LF)))
	 *    add "echo: ", the line and "\n" to the output; free(line);
	 *  - on_event: on BEV_EVENT_EOF or BEV_EVENT_ERROR, bufferevent_free(bev).
	 * Why a `while` around readln, and why can a read hold half a line?
	 * What does a backlog of 128 do to 4,000 clients connecting at once?
	 */
	return TODO("7.5", base, backlog, port, listener);
}

int read_task_memory(pid_t pid, struct task_memory *m)
{
	/*
	 * TODO 7.6: memory, measured fairly.
	 *  - /proc/PID/smaps_rollup has lines "Rss:  1234 kB", "Pss:", "Private_Clean:",
	 *    "Private_Dirty:" (kB = KiB): Pss shares each page among the processes
	 *    that map it, USS = Private_Clean + Private_Dirty is what only this
	 *    process holds (what a forked child really costs), Rss counts shared
	 *    pages in full, in every process;
	 *  - /proc/PID/status has "Threads:  N"; each thread has a kernel stack
	 *    (KERNEL_STACK_KIB) that no figure above includes;
	 *  - match whole keys ("Pss:" is not "Pss_Anon:"); -1 if a file cannot be read.
	 * Why is VmSize no measure of a thread's cost?
	 */
	return TODO("7.6", pid, m);
}
