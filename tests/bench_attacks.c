/*
 * tests/bench_attacks.c - the lab server under hostile load (a benchmark, not a test).
 *
 *     bench_attacks --url URL [--slow-readers N] [--slowloris N] [--drips N]
 *
 * Three attacks, one after another, each while a probe thread GETs /get
 * every 20 ms and times it (libcurl, a new connection each time, as a fresh
 * student's program would):
 *   1. slow readers: N clients ask for /bytes/1048576 with a 4 KiB receive
 *      buffer and never read; the server's RSS is sampled (its pid from /stats);
 *   2. slowloris: N clients send a request line, then one header byte every
 *      300 ms, and never finish;
 *   3. drips: N clients GET /drip?duration=3&numbytes=100 and read it all.
 * Each attack is bounded in time (a few seconds) and closes what it opened.
 * Loopback only: URL must be the lab server started by bench-server.sh.
 */
#include "checked.h"
#include "http.h"
#include "timing.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROBE_EVERY_S 0.02
#define MAX_SAMPLES 4096

static const char *base_url;
static int port;

/* --- The probe: GET /get every 20 ms, timed ------------------------------------ */

struct probe {
	pthread_t thread;
	atomic_int stop;
	double samples[MAX_SAMPLES];
	int count, errors;
};

static void *probe_main(void *arg)
{
	struct probe *p = arg;
	char url[512];
	wb_url(url, sizeof url, base_url, "/get");
	while (!atomic_load(&p->stop) && p->count < MAX_SAMPLES) {
		struct wb_http_result r;
		double t0 = wb_now();
		if (wb_http_fetch(url, 10, &r, NULL) == 0 && r.status == 200)
			p->samples[p->count++] = wb_now() - t0;
		else
			p->errors++;
		wb_sleep(PROBE_EVERY_S);
	}
	return NULL;
}

static void probe_start(struct probe *p)
{
	memset(p, 0, sizeof *p);
	CHECK_PT(pthread_create(&p->thread, NULL, probe_main, p));
}

static void probe_stop(struct probe *p, const char *during, double goal_ms)
{
	atomic_store(&p->stop, 1);
	CHECK_PT(pthread_join(p->thread, NULL));
	struct wb_summary s = { 0 };
	if (p->count > 0)
		wb_summarize(p->samples, p->count, &s);
	printf("  /get during %-14s p99 %7.2f ms  median %6.2f ms  max %7.2f ms  (%d probes, %d "
	       "failed)", during, s.p99 * 1e3, s.median * 1e3, s.max * 1e3, p->count, p->errors);
	if (goal_ms > 0)
		printf("  = %.2f of the %g ms goal", s.p99 * 1e3 / goal_ms, goal_ms);
	printf("\n");
}

/* --- Sockets ----------------------------------------------------------------------- */

static int connect_loopback(int rcvbuf)
{
	int fd = CHECK_SYS(socket(AF_INET, SOCK_STREAM, 0));
	if (rcvbuf > 0)
		CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *text)
{
	size_t len = strlen(text);
	while (len > 0) {
		ssize_t n = send(fd, text, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;   /* the server closed it: that is its right */
		text += n;
		len -= (size_t)n;
	}
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* --- The server's memory ------------------------------------------------------------ */

static long server_pid(void)
{
	char url[512], *body = NULL;
	struct wb_http_result r;
	wb_url(url, sizeof url, base_url, "/stats");
	if (wb_http_fetch(url, 5, &r, &body) != 0)
		DIE("%s", r.error);
	cJSON *doc = cJSON_Parse(body);
	free(body);
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(doc, "pid");
	long value = cJSON_IsNumber(pid) ? (long)pid->valuedouble : -1;
	cJSON_Delete(doc);
	if (value <= 0)
		DIE("no pid in %s: is this the workbook's lab server?", url);
	return value;
}

static double rss_mib(long pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	double kib = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %lf", &kib) == 1)
			break;
	fclose(f);
	return kib / 1024;
}

/* --- The attacks ---------------------------------------------------------------------- */

static void slow_readers(int n)
{
	long pid = server_pid();
	int *fds = wb_xcalloc((size_t)n, sizeof *fds);
	double before = rss_mib(pid), peak = before;
	struct probe p;
	probe_start(&p);
	for (int i = 0; i < n; i++) {
		fds[i] = connect_loopback(4096);
		if (fds[i] >= 0)
			send_all(fds[i], "GET /bytes/1048576 HTTP/1.1\r\nHost: bench\r\n\r\n");
	}
	for (double end = wb_now() + 3; wb_now() < end; wb_sleep(0.05)) {
		double now = rss_mib(pid);
		peak = now > peak ? now : peak;
	}
	probe_stop(&p, "slow readers", 0);
	close_all(fds, n);
	free(fds);
	printf("  server RSS with %d slow readers of 1 MiB each: peak %.1f MiB (%.1f before; "
	       "they asked for %d MiB)\n", n, peak, before, n);
}

static void slowloris(int n)
{
	int *fds = wb_xcalloc((size_t)n, sizeof *fds);
	struct probe p;
	for (int i = 0; i < n; i++) {
		fds[i] = connect_loopback(0);
		if (fds[i] >= 0)
			send_all(fds[i], "GET /get HTTP/1.1\r\nX-Slow: ");
	}
	probe_start(&p);
	for (double end = wb_now() + 4; wb_now() < end; wb_sleep(0.3))
		for (int i = 0; i < n; i++)
			if (fds[i] >= 0)
				send_all(fds[i], "x");
	char during[32];
	snprintf(during, sizeof during, "%d slowloris", n);
	probe_stop(&p, during, 100);
	close_all(fds, n);
	free(fds);
}

static void drips(int n)
{
	int *fds = wb_xcalloc((size_t)n, sizeof *fds);
	int ep = CHECK_SYS(epoll_create1(EPOLL_CLOEXEC)), open_fds = 0;
	struct probe p;
	probe_start(&p);
	double t0 = wb_now(), last_done = 0;
	for (int i = 0; i < n; i++) {
		fds[i] = connect_loopback(0);
		if (fds[i] < 0)
			continue;
		send_all(fds[i], "GET /drip?duration=3&numbytes=100&delay=0 HTTP/1.1\r\nHost: bench\r\n"
			 "Connection: close\r\n\r\n");
		CHECK_SYS(fcntl(fds[i], F_SETFL, O_NONBLOCK));
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev));
		open_fds++;
	}
	char buf[4096];
	struct epoll_event events[256];
	while (open_fds > 0 && wb_now() < t0 + 15) {
		int k = epoll_wait(ep, events, 256, 200);
		for (int e = 0; e < k; e++) {
			int i = (int)events[e].data.u32;
			ssize_t got = read(fds[i], buf, sizeof buf);
			if (got > 0 || (got < 0 && errno == EAGAIN))
				continue;
			close(fds[i]);   /* the server closed it: the drip is done */
			fds[i] = -1;
			open_fds--;
			last_done = wb_now() - t0;
		}
	}
	char during[32];
	snprintf(during, sizeof during, "%d drips", n);
	probe_stop(&p, during, 100);
	close_all(fds, n);
	close(ep);
	free(fds);
	printf("  %d drips of 3 s: the last finished after %.2f s (= %.2f of its duration; "
	       "goal <= 1.10)%s\n", n, last_done, last_done / 3, open_fds ? ", some never did" : "");
}

/* --- Options ---------------------------------------------------------------------------- */

static _Noreturn void usage(const char *why)
{
	fprintf(stderr, "bench_attacks: %s\nusage: bench_attacks --url URL [--slow-readers N] "
		"[--slowloris N] [--drips N]\n", why);
	exit(2);
}

static int count_option(const char *text)
{
	char *end;
	long n = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || n < 0 || n > 20000)
		usage("counts are whole numbers from 0 to 20000");
	return (int)n;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "slow-readers", required_argument, NULL, 'r' },
		{ "slowloris", required_argument, NULL, 'l' },
		{ "drips", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int readers = 200, loris = 500, drip = 2000, c;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'u': base_url = optarg; break;
		case 'r': readers = count_option(optarg); break;
		case 'l': loris = count_option(optarg); break;
		case 'd': drip = count_option(optarg); break;
		default: usage("unknown option");
		}
	}
	if (!base_url || sscanf(base_url, "http://127.0.0.1:%d", &port) != 1)
		usage("--url must be the lab server on http://127.0.0.1:PORT");
	struct rlimit limit;
	CHECK_SYS(getrlimit(RLIMIT_NOFILE, &limit));
	limit.rlim_cur = limit.rlim_max;
	CHECK_SYS(setrlimit(RLIMIT_NOFILE, &limit));
	printf("the lab server under hostile clients (a probe GETs /get every %.0f ms)\n",
	       PROBE_EVERY_S * 1e3);
	if (readers)
		slow_readers(readers);
	if (loris)
		slowloris(loris);
	if (drip)
		drips(drip);
	return 0;
}
