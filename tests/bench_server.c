/*
 * tests/bench_server.c - the lab server under load (a benchmark, not a test).
 *
 *     bench_server [--url URL] [--requests N] [--delay S] [--throughput SECONDS]
 *
 * Part 1: N requests for /delay/S, all at once, from this one thread: a
 * plain epoll HTTP client, the same event-loop design as the server itself.
 * Prints the wall time against the ideal (S), the errors, how many requests
 * the server saw overlap, and how late each reply came, measured here
 * (reply in - request sent - S) and by the server (its latest timer).
 *
 * Part 2 (with --throughput): keep-alive GET /get throughput over 64
 * connections, from libcurl's multi interface driven by
 * curl_multi_socket_action() and epoll.  (bench-server.sh uses wrk for this
 * when it is installed; this is the fallback.)
 *
 * --requests 0 skips part 1.  Without --url it starts its own server, like a lab.
 */
#include "checked.h"
#include "timing.h"
#include "http.h"
#include "server.h"

#include <curl/curl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define THROUGHPUT_CONNECTIONS 64

/* --- Small helpers ------------------------------------------------------------------ */

#define CURL_OK(call) do {                                                   \
	CURLcode rc_ = (call);                                               \
	if (rc_ != CURLE_OK)                                                 \
		DIE("%s: %s", #call, curl_easy_strerror(rc_));               \
} while (0)

#define CURLM_OK(call) do {                                                  \
	CURLMcode rc_ = (call);                                              \
	if (rc_ != CURLM_OK)                                                 \
		DIE("%s: %s", #call, curl_multi_strerror(rc_));              \
} while (0)

static size_t discard(char *data, size_t size, size_t count, void *arg)
{
	(void)data;
	(void)arg;
	return size * count;
}

/* 10,000 connections need 10,000 descriptors; the soft limit is often 1024. */
static void raise_descriptor_limit(long needed)
{
	struct rlimit limit;
	CHECK_SYS(getrlimit(RLIMIT_NOFILE, &limit));
	limit.rlim_cur = limit.rlim_max;
	CHECK_SYS(setrlimit(RLIMIT_NOFILE, &limit));
	if ((long)limit.rlim_cur < needed + 64)
		fprintf(stderr, "bench_server: warning: only %ld descriptors for %ld connections\n",
			(long)limit.rlim_cur, needed);
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The p-th percentile (0..100) of sorted[0..n-1], nearest-rank. */
static double percentile(const double *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);
	return sorted[rank > 0 ? rank - 1 : 0];
}

/* --- An epoll loop for libcurl's multi interface ----------------------------------------- */

struct loop {
	CURLM *multi;
	int epoll_fd;
	double timer_due;       /* when libcurl wants CURL_SOCKET_TIMEOUT; < 0: never */
	int running;
};

/* libcurl tells us which sockets to watch, and for what. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *socket_arg)
{
	(void)easy;
	(void)socket_arg;
	struct loop *loop = arg;

	if (what == CURL_POLL_REMOVE) {
		/* libcurl may already have closed it; then the kernel forgot it too. */
		if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL) == -1 &&
		    errno != EBADF && errno != ENOENT)
			DIE("epoll_ctl(DEL, %d): %s", fd, wb_strerror(errno));
		return 0;
	}
	struct epoll_event ev = {
		.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u),
		.data.fd = fd,
	};
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev) == -1) {
		if (errno != ENOENT)
			DIE("epoll_ctl(MOD, %d): %s", fd, wb_strerror(errno));
		CHECK_SYS(epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev));
	}
	return 0;
}

/* libcurl tells us when it next wants to be woken up without any socket event. */
static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
	(void)multi;
	struct loop *loop = arg;
	loop->timer_due = timeout_ms < 0 ? -1 : wb_now() + (double)timeout_ms / 1e3;
	return 0;
}

static void loop_init(struct loop *loop)
{
	wb_http_init();
	loop->multi = CHECK_PTR(curl_multi_init());
	loop->epoll_fd = CHECK_SYS(epoll_create1(EPOLL_CLOEXEC));
	loop->timer_due = -1;
	CURLM_OK(curl_multi_setopt(loop->multi, CURLMOPT_SOCKETFUNCTION, on_socket));
	CURLM_OK(curl_multi_setopt(loop->multi, CURLMOPT_SOCKETDATA, loop));
	CURLM_OK(curl_multi_setopt(loop->multi, CURLMOPT_TIMERFUNCTION, on_timer));
	CURLM_OK(curl_multi_setopt(loop->multi, CURLMOPT_TIMERDATA, loop));
}

static void loop_free(struct loop *loop)
{
	CURLM_OK(curl_multi_cleanup(loop->multi));
	CHECK_SYS(close(loop->epoll_fd));
}

/* One round: wait for sockets or the timer, and let libcurl act on them. */
static void loop_turn(struct loop *loop)
{
	struct epoll_event events[256];
	int wait_ms = 1000;
	if (loop->timer_due >= 0) {
		double left = loop->timer_due - wb_now();
		wait_ms = left <= 0 ? 0 : (int)ceil(left * 1e3);
	}
	int n = epoll_wait(loop->epoll_fd, events, 256, wait_ms);
	if (n == -1 && errno == EINTR)
		return;
	CHECK_SYS(n);
	for (int i = 0; i < n; i++) {
		int flags = (events[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			    (events[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			    (events[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
		CURLM_OK(curl_multi_socket_action(loop->multi, events[i].data.fd, flags,
						  &loop->running));
	}
	if (loop->timer_due >= 0 && wb_now() >= loop->timer_due) {
		loop->timer_due = -1;
		CURLM_OK(curl_multi_socket_action(loop->multi, CURL_SOCKET_TIMEOUT, 0,
						  &loop->running));
	}
}

static CURL *new_request(const char *url)
{
	CURL *easy = CHECK_PTR(curl_easy_init());
	CURL_OK(curl_easy_setopt(easy, CURLOPT_URL, url));
	CURL_OK(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
	CURL_OK(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 30000L));
	CURL_OK(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard));
	return easy;
}

/* --- Part 1: N delayed requests at once, from a plain epoll HTTP client ------------------- */

/*
 * For ten thousand requests at once, libcurl's bookkeeping per transfer
 * (its first socket_action call alone runs all 10,000 connects) costs more
 * than the server's, and the measurement would be of the client.  So this
 * part speaks HTTP/1.1 itself, as little as it needs: connect, send one
 * request, read the status line and Content-Length, close.
 */

enum conn_state { CONNECTING, WAITING, DONE, FAILED };

struct conn {
	int fd;
	enum conn_state state;
	double sent_at, done_at;        /* monotonic seconds */
	int status;
	size_t got;
	char reply[1024];               /* a /delay reply is ~300 bytes */
};

struct target {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char request[512];
	size_t request_len;
};

/* "http://host:port" -> a socket address, and the request to send. */
static void make_target(struct target *t, const char *base, const char *path)
{
	char host[256];
	int port;
	if (sscanf(base, "http://%255[^:/]:%d", host, &port) != 2)
		DIE("--url %s: want http://ADDRESS:PORT", base);
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM };
	struct addrinfo *found;
	char service[16];
	snprintf(service, sizeof service, "%d", port);
	int rc = getaddrinfo(host, service, &hints, &found);
	if (rc != 0)
		DIE("--url %s: %s (a numeric address, please)", base, gai_strerror(rc));
	memcpy(&t->addr, found->ai_addr, found->ai_addrlen);
	t->addr_len = found->ai_addrlen;
	freeaddrinfo(found);
	int n = snprintf(t->request, sizeof t->request,
			 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", path, host, port);
	if (n < 0 || (size_t)n >= sizeof t->request)
		DIE("request too long");
	t->request_len = (size_t)n;
}

static void conn_finish(struct conn *c, enum conn_state how)
{
	c->state = how;
	c->done_at = wb_now();
	CHECK_SYS(close(c->fd));        /* also removes it from the epoll set */
}

/* A reply is complete when the headers and Content-Length bytes of body are in. */
static int reply_complete(struct conn *c)
{
	c->reply[c->got] = '\0';
	const char *end_of_headers = strstr(c->reply, "\r\n\r\n");
	const char *length = strcasestr(c->reply, "\r\nContent-Length:");
	if (end_of_headers == NULL || length == NULL)
		return 0;
	size_t body_len = strtoul(length + 17, NULL, 10);
	return c->got >= (size_t)(end_of_headers + 4 - c->reply) + body_len;
}

/* Send the request; 0 if it went, -1 if the connection is not ready yet. */
static int send_request(struct conn *c, const struct target *t)
{
	/* 100-odd bytes always fit in an empty socket buffer: one send. */
	if (send(c->fd, t->request, t->request_len, MSG_NOSIGNAL) != (ssize_t)t->request_len)
		return -1;
	c->sent_at = wb_now();
	c->state = WAITING;
	return 0;
}

static void conn_event(struct conn *c, uint32_t events, const struct target *t, int epoll_fd)
{
	if (c->state == CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		CHECK_SYS(getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len));
		if (err != 0 || (events & (EPOLLERR | EPOLLHUP)) || send_request(c, t) != 0) {
			conn_finish(c, FAILED);
			return;
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		CHECK_SYS(epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev));
		return;
	}
	ssize_t n = recv(c->fd, c->reply + c->got, sizeof c->reply - 1 - c->got, 0);
	if (n <= 0) {
		conn_finish(c, FAILED);         /* closed before the whole reply came */
		return;
	}
	c->got += (size_t)n;
	if (reply_complete(c)) {
		if (sscanf(c->reply, "HTTP/1.%*d %d", &c->status) != 1)
			c->status = 0;
		conn_finish(c, c->status == 200 ? DONE : FAILED);
	} else if (c->got == sizeof c->reply - 1) {
		conn_finish(c, FAILED);         /* more than a /delay reply should be */
	}
}

static void conn_start(struct conn *c, const struct target *t, int epoll_fd)
{
	c->fd = CHECK_SYS(socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (connect(c->fd, (const struct sockaddr *)&t->addr, t->addr_len) == -1 &&
	    errno != EINPROGRESS)
		DIE("connect: %s", wb_strerror(errno));
	/* Over loopback the handshake has usually finished by the time connect()
	 * returns, so try sending at once: two system calls fewer than waiting
	 * to hear that the socket is writable. */
	c->state = CONNECTING;
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	if (send_request(c, t) == 0)
		ev.events = EPOLLIN;
	CHECK_SYS(epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &ev));
}

/* Handle whatever is ready (waiting at most wait_ms); returns how many finished. */
static long poll_conns(int epoll_fd, const struct target *t, int wait_ms)
{
	struct epoll_event events[512];
	int n = epoll_wait(epoll_fd, events, 512, wait_ms);
	if (n == -1 && errno == EINTR)
		return 0;
	CHECK_SYS(n);
	long finished = 0;
	for (int i = 0; i < n; i++) {
		struct conn *c = events[i].data.ptr;
		conn_event(c, events[i].events, t, epoll_fd);
		finished += c->state == DONE || c->state == FAILED;
	}
	return finished;
}

static void bench_delays(const char *base, long n, double delay_s)
{
	char path[64], err[300];
	snprintf(path, sizeof path, "/delay/%g", delay_s);
	struct target target;
	make_target(&target, base, path);
	raise_descriptor_limit(n);

	struct wb_server_stats before, after;       /* reset: the peak and lateness start afresh */
	if (wb_server_stats(base, 1, &before, err, sizeof err) != 0)
		DIE("%s", err);

	int epoll_fd = CHECK_SYS(epoll_create1(EPOLL_CLOEXEC));
	struct conn *conns = wb_xcalloc((size_t)n, sizeof *conns);
	double start = wb_now();
	long started = 0, finished = 0;
	while (finished < n) {
		/* Open connections in batches, handling events in between, so
		 * that requests go out while the rest are still connecting. */
		for (long batch = 0; batch < 256 && started < n; batch++)
			conn_start(&conns[started++], &target, epoll_fd);
		finished += poll_conns(epoll_fd, &target, started < n ? 0 : 1000);
	}
	double wall = wb_now() - start;
	CHECK_SYS(close(epoll_fd));

	if (wb_server_stats(base, 0, &after, err, sizeof err) != 0)
		DIE("%s", err);

	long errors = 0, good = 0;
	double *late = wb_xcalloc((size_t)n, sizeof *late);
	for (long i = 0; i < n; i++) {
		if (conns[i].state == DONE)
			late[good++] = (conns[i].done_at - conns[i].sent_at - delay_s) * 1e3;
		else
			errors++;
	}
	qsort(late, (size_t)good, sizeof *late, compare_doubles);

	printf("%ld concurrent GET /delay/%g from one client thread (plain epoll HTTP client)\n",
	       n, delay_s);
	printf("  wall              %7.3f s    = %.2f of ideal %.3f s   (goal: <= 1.3 s for 10k x 1 s)\n",
	       wall, delay_s / wall, delay_s);
	printf("  errors            %7ld      of %ld\n", errors, n);
	printf("  peak in flight    %7ld      = %.2f of %ld  (server /stats: how many overlapped)\n",
	       after.peak_in_flight, (double)after.peak_in_flight / (double)n, n);
	if (good > 0) {
		printf("  lateness p50      %7.2f ms   (client side: reply in - request sent - %g s)\n",
		       percentile(late, (size_t)good, 50), delay_s);
		printf("  lateness p99      %7.2f ms   (goal: <= 10 ms)\n",
		       percentile(late, (size_t)good, 99));
		printf("  lateness max      %7.2f ms\n", late[good - 1]);
	}
	printf("  server worst      %7.2f ms   (server side: its latest timer, fired - due)\n",
	       after.worst_lateness_ms);
	free(late);
	free(conns);
}

/* --- Part 2: keep-alive throughput ------------------------------------------------------------ */

static void bench_throughput(const char *base, double seconds)
{
	char url[512];
	wb_url(url, sizeof url, base, "/get");
	struct loop loop = { 0 };
	loop_init(&loop);
	CURL *easy[THROUGHPUT_CONNECTIONS];
	for (int i = 0; i < THROUGHPUT_CONNECTIONS; i++) {
		easy[i] = new_request(url);
		CURLM_OK(curl_multi_add_handle(loop.multi, easy[i]));
	}

	long done = 0, errors = 0;
	int active = THROUGHPUT_CONNECTIONS;
	double start = wb_now(), end = start + seconds;
	while (active > 0) {
		loop_turn(&loop);
		int left;
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(loop.multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *e = msg->easy_handle;
			long status = 0;
			CURL_OK(curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status));
			if (msg->data.result == CURLE_OK && status == 200)
				done++;
			else
				errors++;
			/* Again, on the same handle: libcurl reuses its connection. */
			CURLM_OK(curl_multi_remove_handle(loop.multi, e));
			if (wb_now() < end)
				CURLM_OK(curl_multi_add_handle(loop.multi, e));
			else
				active--;
		}
	}
	double took = wb_now() - start;
	for (int i = 0; i < THROUGHPUT_CONNECTIONS; i++)
		curl_easy_cleanup(easy[i]);
	loop_free(&loop);

	double rate = (double)done / took;
	printf("keep-alive GET /get, %d connections, %.1f s (libcurl multi, one thread)\n",
	       THROUGHPUT_CONNECTIONS, took);
	printf("  throughput  %9.0f req/s  = %.2f of the 60,000 req/s goal   (%ld errors)\n",
	       rate, rate / 60000.0, errors);
}

/* --- Options ------------------------------------------------------------------------------ */

static _Noreturn void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: bench_server [--url URL] [--requests N] [--delay S] [--throughput SECONDS]\n"
		"  --url URL            server to load (default: $LAB_URL, else start one)\n"
		"  --requests N         concurrent /delay requests (default 10000; 0: none)\n"
		"  --delay S            seconds each waits (default 1)\n"
		"  --throughput SECONDS also measure keep-alive /get throughput\n");
	exit(status);
}

static double number_option(const char *name, const char *text, double min, double max)
{
	char *end;
	double value = strtod(text, &end);
	if (*text == '\0' || *end != '\0' || !(value >= min && value <= max)) {
		fprintf(stderr, "bench_server: %s: \"%s\" is not a number from %g to %g\n",
			name, text, min, max);
		usage(2);
	}
	return value;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "requests", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "throughput", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL;
	long requests = 10000;
	double delay = 1, throughput_s = 0;
	int c;
	while ((c = getopt_long(argc, argv, "u:n:d:t:h", options, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 'n': requests = (long)number_option("--requests", optarg, 0, 100000); break;
		case 'd': delay = number_option("--delay", optarg, 0, 10); break;
		case 't': throughput_s = number_option("--throughput", optarg, 0, 600); break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (optind < argc)
		usage(2);

	const char *base = wb_server_url(url);
	printf("bench_server: server %s\n", base);
	if (requests > 0)
		bench_delays(base, requests, delay);
	if (throughput_s > 0)
		bench_throughput(base, throughput_s);
	wb_server_stop();
	return 0;
}
