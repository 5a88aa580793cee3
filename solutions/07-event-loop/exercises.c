/*
 * Lab 7: the event loop - reference solutions.
 *
 * One thread, many transfers: libcurl's multi interface does the HTTP, and
 * either curl_multi_poll (7.1, 7.3) or libevent (7.2, 7.4, 7.5) does the
 * waiting.  Nothing here blocks except the wait for the next event.
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

/* --- shared by 7.1 and 7.3 -------------------------------------------------- */

static int add_transfer(CURLM *multi, struct transfer *t)
{
	CURLMcode mc = curl_multi_add_handle(multi, transfer_handle(t));
	if (mc != CURLM_OK) {
		fprintf(stderr, "curl_multi_add_handle: %s\n", curl_multi_strerror(mc));
		return -1;
	}
	return 0;
}

/* The finished transfer behind msg: reported, removed, cleaned up. */
static struct transfer *finish_transfer(CURLM *multi, CURLMsg *msg)
{
	CURL *e = msg->easy_handle;
	struct transfer *t = NULL;
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&t);
	transfer_done(t, e, msg->data.result);
	curl_multi_remove_handle(multi, e);
	curl_easy_cleanup(e);
	return t;
}

/* --- 7.1 ------------------------------------------------------------------- */

int fetch_window(struct transfer *t, int n, int k, struct loop_stats *st)
{
	CURLM *multi = curl_multi_init();
	if (!multi) {
		fprintf(stderr, "fetch_window: curl_multi_init failed\n");
		return -1;
	}
	int next = 0, in_flight = 0, rc = 0;
	while (next < n && in_flight < k) {
		if (add_transfer(multi, &t[next++]) != 0)
			goto out;
		in_flight++;
	}
	st->max_in_flight = in_flight;
	while (in_flight > 0) {
		int running;
		CURLMcode mc = curl_multi_perform(multi, &running);
		st->iterations++;
		if (mc != CURLM_OK) {
			fprintf(stderr, "curl_multi_perform: %s\n", curl_multi_strerror(mc));
			rc = -1;
			break;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			finish_transfer(multi, msg);
			in_flight--;
			/* refill the window: one done, one more started */
			if (next < n) {
				if (add_transfer(multi, &t[next++]) != 0) {
					rc = -1;
					goto out;
				}
				in_flight++;
			}
		}
		if (in_flight == 0)
			break;
		mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
		if (mc != CURLM_OK) {
			fprintf(stderr, "curl_multi_poll: %s\n", curl_multi_strerror(mc));
			rc = -1;
			break;
		}
	}
out:
	curl_multi_cleanup(multi);
	return rc;
}

/* --- 7.2 ------------------------------------------------------------------- */

/* One socket curl asked us to watch. */
struct watched {
	struct event *ev;
	struct watched *prev, *next;
};

struct sa_loop {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;     /* the one timer curl asks for */
	int remaining;           /* transfers not yet reported */
	struct loop_stats *st;
	struct watched *sockets; /* every socket still watched */
};

static void sa_collect(struct sa_loop *l)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(l->multi, &left)))
		if (msg->msg == CURLMSG_DONE) {
			finish_transfer(l->multi, msg);
			l->remaining--;
		}
	if (l->remaining == 0)
		event_base_loopbreak(l->base);
}

static void sa_act(struct sa_loop *l, curl_socket_t fd, int action)
{
	int running;
	CURLMcode mc = curl_multi_socket_action(l->multi, fd, action, &running);
	l->st->iterations++;
	if (mc != CURLM_OK)
		DIE("curl_multi_socket_action: %s", curl_multi_strerror(mc));
	sa_collect(l);
}

static void sa_on_socket(evutil_socket_t fd, short what, void *arg)
{
	int action = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	sa_act(arg, fd, action);
}

static void sa_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sa_act(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* curl's CURLMOPT_TIMERFUNCTION: -1 deletes the timer, 0 means "as soon as you can". */
static int sa_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	(void)multi;
	struct sa_loop *l = arg;
	if (timeout_ms < 0)
		return event_del(l->timer);
	struct timeval tv = { timeout_ms / 1000, timeout_ms % 1000 * 1000 };
	return evtimer_add(l->timer, &tv);
}

/* curl's CURLMOPT_SOCKETFUNCTION: watch s for what curl wants, or stop. */
static int sa_socket_cb(CURL *e, curl_socket_t s, int what, void *arg, void *socketp)
{
	(void)e;
	struct sa_loop *l = arg;
	struct watched *w = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (w) {
			event_free(w->ev);
			if (w->prev)
				w->prev->next = w->next;
			else
				l->sockets = w->next;
			if (w->next)
				w->next->prev = w->prev;
			free(w);
			curl_multi_assign(l->multi, s, NULL);
		}
		return 0;
	}
	short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) |
			     EV_PERSIST);
	if (!w) {
		w = wb_xcalloc(1, sizeof *w);
		w->ev = CHECK_PTR(event_new(l->base, s, kind, sa_on_socket, l));
		w->next = l->sockets;
		if (w->next)
			w->next->prev = w;
		l->sockets = w;
		curl_multi_assign(l->multi, s, w);
	} else {
		event_del(w->ev);
		CHECK_SYS(event_assign(w->ev, l->base, s, kind, sa_on_socket, l));
	}
	return event_add(w->ev, NULL);
}

int fetch_socket_action(struct event_base *base, struct transfer *t, int n, struct loop_stats *st)
{
	struct sa_loop l = { .base = base, .remaining = n, .st = st };
	l.multi = curl_multi_init();
	if (!l.multi) {
		fprintf(stderr, "fetch_socket_action: curl_multi_init failed\n");
		return -1;
	}
	l.timer = CHECK_PTR(evtimer_new(base, sa_on_timer, &l));
	if (curl_multi_setopt(l.multi, CURLMOPT_SOCKETFUNCTION, sa_socket_cb) != CURLM_OK ||
	    curl_multi_setopt(l.multi, CURLMOPT_SOCKETDATA, &l) != CURLM_OK ||
	    curl_multi_setopt(l.multi, CURLMOPT_TIMERFUNCTION, sa_timer_cb) != CURLM_OK ||
	    curl_multi_setopt(l.multi, CURLMOPT_TIMERDATA, &l) != CURLM_OK)
		DIE("curl_multi_setopt refused a callback");
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = add_transfer(l.multi, &t[i]);
	st->max_in_flight = n;
	if (rc == 0 && n > 0 && event_base_dispatch(base) == -1) {
		fprintf(stderr, "fetch_socket_action: event_base_dispatch failed\n");
		rc = -1;
	}
	curl_multi_cleanup(l.multi);
	/* sockets curl did not hand back while cleaning up */
	while (l.sockets) {
		struct watched *w = l.sockets;
		l.sockets = w->next;
		event_free(w->ev);
		free(w);
	}
	event_free(l.timer);
	return rc;
}

/* --- 7.3 ------------------------------------------------------------------- */

static enum outcome classify(CURLcode result, long status)
{
	if (result == CURLE_OK)
		return status >= 200 && status < 300 ? OUTCOME_OK : OUTCOME_HTTP;
	if (result == CURLE_OPERATION_TIMEDOUT)
		return OUTCOME_TIMEOUT;
	if (result == CURLE_COULDNT_CONNECT)
		return OUTCOME_REFUSED;
	return OUTCOME_OTHER;
}

static void account(struct transfer *t, long counts[OUTCOME_COUNT])
{
	t->outcome = classify(t->result, t->status);
	counts[t->outcome]++;
}

/* Start t with the time left before the deadline; a transfer with no time
 * left is reported at once as timed out, queued.  Returns 1 if it started. */
static int start_or_expire(CURLM *multi, struct transfer *t, double deadline,
			   long counts[OUTCOME_COUNT])
{
	long left_ms = (long)((deadline - wb_now()) * 1000);
	if (left_ms < 1) {
		transfer_done(t, NULL, CURLE_OPERATION_TIMEDOUT);
		account(t, counts);
		return 0;
	}
	t->timeout_ms = left_ms;
	return add_transfer(multi, t) == 0;
}

int fetch_accounted(struct transfer *t, int n, int k, double deadline_s,
		    long counts[OUTCOME_COUNT])
{
	double deadline = wb_now() + deadline_s;
	CURLM *multi = curl_multi_init();
	if (!multi) {
		fprintf(stderr, "fetch_accounted: curl_multi_init failed\n");
		return -1;
	}
	int next = 0, in_flight = 0, rc = 0;
	while (next < n && in_flight < k)
		in_flight += start_or_expire(multi, &t[next++], deadline, counts);
	while (in_flight > 0) {
		int running;
		if (curl_multi_perform(multi, &running) != CURLM_OK) {
			rc = -1;
			break;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			account(finish_transfer(multi, msg), counts);
			in_flight--;
			while (next < n && in_flight < k)
				in_flight += start_or_expire(multi, &t[next++], deadline, counts);
		}
		if (in_flight > 0 && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK) {
			rc = -1;
			break;
		}
	}
	curl_multi_cleanup(multi);
	return rc;
}

/* --- 7.4 ------------------------------------------------------------------- */

struct offload {
	struct cpu_job *jobs;
	int n, next, done;
	pthread_mutex_t lock;    /* guards next */
	int fds[2];              /* workers write job indexes to fds[1]; the loop reads fds[0] */
	struct event_base *base;
};

static void *offload_worker(void *arg)
{
	struct offload *o = arg;
	for (;;) {
		CHECK_PT(pthread_mutex_lock(&o->lock));
		int i = o->next < o->n ? o->next++ : -1;
		CHECK_PT(pthread_mutex_unlock(&o->lock));
		if (i < 0)
			return NULL;
		cpu_job_run(&o->jobs[i]);
		/* an int is far below PIPE_BUF: the write is atomic, never split */
		if (write(o->fds[1], &i, sizeof i) != (ssize_t)sizeof i)
			DIE("offload_worker: write to the loop's pipe: %s", wb_strerror(errno));
	}
}

/* On the loop's thread: every job index in the pipe is a result to take. */
static void offload_ready(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct offload *o = arg;
	int i;
	ssize_t got;
	while ((got = read(fd, &i, sizeof i)) == (ssize_t)sizeof i) {
		cpu_job_finish(&o->jobs[i]);
		o->done++;
	}
	if (got == -1 && errno != EAGAIN)
		DIE("offload_ready: read: %s", wb_strerror(errno));
	if (o->done == o->n)
		event_base_loopbreak(o->base);
}

int run_jobs_off_loop(struct event_base *base, struct cpu_job *jobs, int n, int workers)
{
	if (n == 0)
		return 0;
	struct offload o = { .jobs = jobs, .n = n, .base = base };
	CHECK_PT(pthread_mutex_init(&o.lock, NULL));
	CHECK_SYS(pipe2(o.fds, O_CLOEXEC));
	CHECK_SYS(fcntl(o.fds[0], F_SETFL, O_NONBLOCK));
	struct event *ready = CHECK_PTR(event_new(base, o.fds[0], EV_READ | EV_PERSIST, offload_ready, &o));
	CHECK_SYS(event_add(ready, NULL));
	pthread_t *threads = wb_xcalloc((size_t)workers, sizeof *threads);
	for (int w = 0; w < workers; w++)
		CHECK_PT(pthread_create(&threads[w], NULL, offload_worker, &o));
	int rc = 0;
	while (o.done < n && rc == 0)
		rc = event_base_dispatch(base) == -1 ? -1 : 0;
	for (int w = 0; w < workers; w++)
		CHECK_PT(pthread_join(threads[w], NULL));
	free(threads);
	event_free(ready);
	CHECK_SYS(close(o.fds[0]));
	CHECK_SYS(close(o.fds[1]));
	CHECK_PT(pthread_mutex_destroy(&o.lock));
	return rc;
}

/* --- 7.5 ------------------------------------------------------------------- */

static void echo_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer *in = bufferevent_get_input(bev), *out = bufferevent_get_output(bev);
	char *line;
	size_t len;
	/* every complete line in the buffer; a partial one waits for its end */
	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		int rc = evbuffer_add_printf(out, "echo: %.*s\n", (int)len, line);
		free(line);
		if (rc < 0) {   /* out of memory: drop this client, keep the others */
			bufferevent_free(bev);
			return;
		}
	}
}

static void echo_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);   /* closes the socket: BEV_OPT_CLOSE_ON_FREE */
}

static void echo_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *addr,
			int len, void *arg)
{
	(void)addr;
	(void)len;
	(void)arg;
	struct event_base *base = evconnlistener_get_base(listener);
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, echo_read, NULL, echo_event, NULL);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		bufferevent_free(bev);
}

int echo_listen(struct event_base *base, int backlog, int *port, struct evconnlistener **listener)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct evconnlistener *l = evconnlistener_new_bind(base, echo_accept, NULL,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, backlog,
		(struct sockaddr *)&addr, sizeof addr);
	if (!l) {
		fprintf(stderr, "echo_listen: cannot listen on 127.0.0.1: %s\n", wb_strerror(errno));
		return -1;
	}
	struct sockaddr_in bound;
	socklen_t blen = sizeof bound;
	CHECK_SYS(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&bound, &blen));
	*port = ntohs(bound.sin_port);
	*listener = l;
	return 0;
}

/* --- 7.6 ------------------------------------------------------------------- */

/* The number after `key` on its line of a /proc file (kB or a count). */
static int proc_field(const char *path, const char *key, double *value)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[256];
	size_t klen = strlen(key);
	int found = -1;
	while (found != 0 && fgets(line, sizeof line, f))
		if (strncmp(line, key, klen) == 0 && sscanf(line + klen, "%lf", value) == 1)
			found = 0;
	fclose(f);
	return found;
}

int read_task_memory(pid_t pid, struct task_memory *m)
{
	char rollup[64], status[64];
	snprintf(rollup, sizeof rollup, "/proc/%d/smaps_rollup", (int)pid);
	snprintf(status, sizeof status, "/proc/%d/status", (int)pid);
	double clean, dirty, threads;
	if (proc_field(rollup, "Pss:", &m->pss_kib) != 0 || proc_field(rollup, "Rss:", &m->rss_kib) != 0 ||
	    proc_field(rollup, "Private_Clean:", &clean) != 0 ||
	    proc_field(rollup, "Private_Dirty:", &dirty) != 0 ||
	    proc_field(status, "Threads:", &threads) != 0)
		return -1;
	m->uss_kib = clean + dirty;
	m->threads = (int)threads;
	m->kstack_kib = m->threads * KERNEL_STACK_KIB;
	return 0;
}
