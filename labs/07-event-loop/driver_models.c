/*
 * driver_models.c - lab 7's other models (sequential, threads, processes),
 * the two echo servers as child processes, their clients, and what an idle
 * thread or child costs.  Scaffolding: read it, your work is in exercises.c.
 */
#include "driver.h"

#include "checked.h"
#include "http.h"
#include "timing.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* One request the way labs 1-3 make them: a fresh blocking handle. */
static void fetch_one(struct transfer *t)
{
	struct wb_http_result res;
	double timeout = t->timeout_ms > 0 ? t->timeout_ms / 1000.0 : REQUEST_TIMEOUT_S;
	t->started_s = wb_now();
	wb_http_fetch(t->url, timeout, &res, NULL);
	t->status = res.status;
	/* wb_http_fetch gives a message, not a code: rebuild the class from it */
	if (res.status > 0)
		t->result = CURLE_OK;
	else if (strstr(res.error, "imed out") || strstr(res.error, "Timeout"))
		t->result = CURLE_OPERATION_TIMEDOUT;
	else if (strstr(res.error, "onnect"))
		t->result = CURLE_COULDNT_CONNECT;
	else
		t->result = CURLE_RECV_ERROR;
	t->ended_s = wb_now();
	t->reports++;
}

enum outcome driver_classify(const struct transfer *t)
{
	if (t->result == CURLE_OK)
		return t->status >= 200 && t->status < 300 ? OUTCOME_OK : OUTCOME_HTTP;
	if (t->result == CURLE_OPERATION_TIMEDOUT)
		return OUTCOME_TIMEOUT;
	if (t->result == CURLE_COULDNT_CONNECT)
		return OUTCOME_REFUSED;
	return OUTCOME_OTHER;
}

int model_sequential(struct transfer *t, int n)
{
	for (int i = 0; i < n; i++)
		fetch_one(&t[i]);
	return 0;
}

static void *fetch_thread(void *arg)
{
	fetch_one(arg);
	return NULL;
}

int model_threads(struct transfer *t, int n)
{
	wb_http_init();
	pthread_t *th = wb_xcalloc((size_t)n, sizeof *th);
	for (int i = 0; i < n; i++)
		CHECK_PT(pthread_create(&th[i], NULL, fetch_thread, &t[i]));
	for (int i = 0; i < n; i++)
		CHECK_PT(pthread_join(th[i], NULL));
	free(th);
	return 0;
}

struct pool {
	struct transfer *t;
	int n, next;
	pthread_mutex_t lock;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		CHECK_PT(pthread_mutex_lock(&p->lock));
		int i = p->next < p->n ? p->next++ : -1;
		CHECK_PT(pthread_mutex_unlock(&p->lock));
		if (i < 0)
			return NULL;
		fetch_one(&p->t[i]);
	}
}

int model_thread_pool(struct transfer *t, int n, int workers)
{
	wb_http_init();
	struct pool p = { t, n, 0, PTHREAD_MUTEX_INITIALIZER };
	pthread_t *th = wb_xcalloc((size_t)workers, sizeof *th);
	for (int w = 0; w < workers; w++)
		CHECK_PT(pthread_create(&th[w], NULL, pool_worker, &p));
	for (int w = 0; w < workers; w++)
		CHECK_PT(pthread_join(th[w], NULL));
	free(th);
	return 0;
}

/* What a worker process sends back for each of its transfers. */
struct wire {
	int index;
	CURLcode result;
	long status;
	double started_s, ended_s;
};

static void read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t got = read(fd, p, len);
		if (got <= 0)
			DIE("model_processes: a worker died before it answered");
		p += got;
		len -= (size_t)got;
	}
}

/* Worker w takes transfers w, w + workers, ...; one write per result
 * (smaller than PIPE_BUF, so writes from several children never mix). */
int model_processes(struct transfer *t, int n, int workers)
{
	int fds[2];
	CHECK_SYS(pipe(fds));
	pid_t *pids = wb_xcalloc((size_t)workers, sizeof *pids);
	fflush(NULL);
	for (int w = 0; w < workers; w++) {
		pids[w] = CHECK_SYS(fork());
		if (pids[w] == 0) {
			close(fds[0]);
			for (int i = w; i < n; i += workers) {
				fetch_one(&t[i]);
				struct wire m = { i, t[i].result, t[i].status, t[i].started_s, t[i].ended_s };
				if (write(fds[1], &m, sizeof m) != (ssize_t)sizeof m)
					_exit(1);
			}
			_exit(0);
		}
	}
	CHECK_SYS(close(fds[1]));
	for (int k = 0; k < n; k++) {
		struct wire m;
		read_all(fds[0], &m, sizeof m);
		if (m.index < 0 || m.index >= n)
			DIE("model_processes: index %d out of range", m.index);
		t[m.index].result = m.result;
		t[m.index].status = m.status;
		t[m.index].started_s = m.started_s;
		t[m.index].ended_s = m.ended_s;
		t[m.index].reports++;
	}
	CHECK_SYS(close(fds[0]));
	for (int w = 0; w < workers; w++)
		CHECK_SYS(waitpid(pids[w], NULL, 0));
	free(pids);
	return 0;
}

/* --- the echo servers, each in a child process of its own --------------------- */

static int listen_tcp(int backlog, int *port)
{
	int fd = CHECK_SYS(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	int one = 1;
	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK_SYS(bind(fd, (struct sockaddr *)&a, sizeof a));
	CHECK_SYS(listen(fd, backlog));
	socklen_t len = sizeof a;
	CHECK_SYS(getsockname(fd, (struct sockaddr *)&a, &len));
	*port = ntohs(a.sin_port);
	return fd;
}

/* Thread per connection: read lines, answer each, until the client closes. */
static void *serve_connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[512];
	size_t have = 0;
	for (;;) {
		ssize_t got = read(fd, buf + have, sizeof buf - 1 - have);
		if (got <= 0)
			break;
		have += (size_t)got;
		char *nl;
		while ((nl = memchr(buf, '\n', have))) {
			size_t len = (size_t)(nl - buf);
			char out[600];
			int m = snprintf(out, sizeof out, "echo: %.*s\n", (int)len, buf);
			if (write(fd, out, (size_t)m) != m)
				goto done;
			memmove(buf, nl + 1, have - len - 1);
			have -= len + 1;
		}
		if (have == sizeof buf - 1)
			break;
	}
done:
	close(fd);
	return NULL;
}

static _Noreturn void thread_server(int lfd)
{
	pthread_attr_t attr;
	CHECK_PT(pthread_attr_init(&attr));
	CHECK_PT(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED));
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_t th;
		if (pthread_create(&th, &attr, serve_connection, (void *)(intptr_t)fd) != 0)
			close(fd);
	}
}

pid_t echo_server_child(int threaded, int *port, int *status)
{
	int fds[2];
	CHECK_SYS(pipe(fds));
	fflush(NULL);
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlives the lab */
		close(fds[0]);
		int p = 0, rc = 0;
		struct event_base *base = NULL;
		struct evconnlistener *l = NULL;
		int lfd = -1;
		if (threaded) {
			lfd = listen_tcp(4096, &p);
		} else {
			base = CHECK_PTR(event_base_new());
			rc = echo_listen(base, 4096, &p, &l);
		}
		int msg[2] = { rc, p };
		if (write(fds[1], msg, sizeof msg) != (ssize_t)sizeof msg)
			_exit(1);
		if (rc != 0)
			_exit(0);
		if (threaded)
			thread_server(lfd);
		event_base_dispatch(base);
		_exit(0);
	}
	CHECK_SYS(close(fds[1]));
	int msg[2];
	ssize_t got = read(fds[0], msg, sizeof msg);
	CHECK_SYS(close(fds[0]));
	if (got != (ssize_t)sizeof msg)
		DIE("echo server child did not start");
	*status = msg[0];
	*port = msg[1];
	if (msg[0] != 0) {
		CHECK_SYS(waitpid(pid, NULL, 0));
		return -1;
	}
	return pid;
}

static int connect_to(int port)
{
	int fd = CHECK_SYS(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int echo_clients(int port, int n, double *rtt_s, void (*between)(void *arg), void *arg)
{
	int *fd = wb_xcalloc((size_t)n, sizeof *fd);
	double *sent = wb_xcalloc((size_t)n, sizeof *sent);
	struct pollfd *pf = wb_xcalloc((size_t)n, sizeof *pf);
	char (*got)[64] = wb_xcalloc((size_t)n, sizeof *got);
	size_t *have = wb_xcalloc((size_t)n, sizeof *have);
	int ok = 0, waiting = 0;
	for (int i = 0; i < n; i++)
		fd[i] = connect_to(port);
	for (int i = 0; i < n; i++) {
		rtt_s[i] = -1;
		pf[i] = (struct pollfd){ .fd = fd[i], .events = POLLIN };
		if (fd[i] < 0)
			continue;
		char line[32];
		int len = snprintf(line, sizeof line, "client %d\n", i);
		sent[i] = wb_now();
		if (write(fd[i], line, (size_t)len) == len)
			waiting++;
		else
			pf[i].fd = -1;
	}
	double give_up = wb_now() + 20;
	while (waiting > 0 && wb_now() < give_up) {
		int ready = poll(pf, (nfds_t)n, 1000);
		if (ready < 0 && errno != EINTR)
			DIE("poll: %s", wb_strerror(errno));
		for (int i = 0; ready > 0 && i < n; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			ssize_t r = read(fd[i], got[i] + have[i], sizeof got[i] - 1 - have[i]);
			if (r > 0)
				have[i] += (size_t)r;
			if (r <= 0 || memchr(got[i], '\n', have[i]) || have[i] == sizeof got[i] - 1) {
				char want[48];
				snprintf(want, sizeof want, "echo: client %d\n", i);
				got[i][have[i]] = 0;
				if (strcmp(got[i], want) == 0) {
					rtt_s[i] = wb_now() - sent[i];
					ok++;
				}
				pf[i].fd = -1;
				waiting--;
			}
		}
	}
	if (between)
		between(arg);
	for (int i = 0; i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	free(fd);
	free(sent);
	free(pf);
	free(got);
	free(have);
	return ok;
}

/* --- what an idle thread, an idle child costs ------------------------------------ */

static void *wait_on_pipe(void *arg)
{
	char c;
	while (read(*(int *)arg, &c, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

int memory_of_threads(int n, double *kib_per_task, double *kstack_kib)
{
	struct task_memory before, after;
	int rc = read_task_memory(getpid(), &before);
	if (rc != 0)
		return rc;
	int fds[2];
	CHECK_SYS(pipe(fds));
	pthread_t *th = wb_xcalloc((size_t)n, sizeof *th);
	for (int i = 0; i < n; i++)
		CHECK_PT(pthread_create(&th[i], NULL, wait_on_pipe, &fds[0]));
	wb_sleep(0.2);   /* every thread has started and is waiting */
	rc = read_task_memory(getpid(), &after);
	CHECK_SYS(close(fds[1]));   /* EOF wakes them all */
	for (int i = 0; i < n; i++)
		CHECK_PT(pthread_join(th[i], NULL));
	CHECK_SYS(close(fds[0]));
	free(th);
	*kib_per_task = (after.pss_kib - before.pss_kib) / n;
	*kstack_kib = (after.kstack_kib - before.kstack_kib) / n;
	return rc;
}

int memory_of_children(int n, double *uss_kib, double *pss_kib, double *rss_kib)
{
	int fds[2];
	CHECK_SYS(pipe(fds));
	pid_t *pids = wb_xcalloc((size_t)n, sizeof *pids);
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = CHECK_SYS(fork());
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(fds[1]);
			wait_on_pipe(&fds[0]);
			_exit(0);
		}
	}
	wb_sleep(0.2);
	*uss_kib = *pss_kib = *rss_kib = 0;
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		struct task_memory m;
		rc = read_task_memory(pids[i], &m);
		*uss_kib += m.uss_kib / n;
		*pss_kib += m.pss_kib / n;
		*rss_kib += m.rss_kib / n;
	}
	CHECK_SYS(close(fds[1]));
	CHECK_SYS(close(fds[0]));
	for (int i = 0; i < n; i++)
		CHECK_SYS(waitpid(pids[i], NULL, 0));
	free(pids);
	return rc;
}
