/*
 * tests/test_http.c - the libcurl helper (common/http.c), against a lab
 * server each test starts for itself.
 */
#include <criterion/criterion.h>

#include "checked.h"
#include "http.h"
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TestSuite(http, .fini = wb_server_stop);

/* A port on which nothing listens: bind one, note it, close it. */
static int unused_port(void)
{
	int fd = CHECK_SYS(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof addr;
	CHECK_SYS(bind(fd, (struct sockaddr *)&addr, sizeof addr));
	CHECK_SYS(getsockname(fd, (struct sockaddr *)&addr, &len));
	CHECK_SYS(close(fd));
	return ntohs(addr.sin_port);
}

static struct wb_server_stats stats(const char *base, int reset)
{
	struct wb_server_stats st;
	char err[300];
	cr_assert(wb_server_stats(base, reset, &st, err, sizeof err) == 0, "%s", err);
	return st;
}

/* --- wb_http_get / wb_http_fetch --------------------------------------------------- */

Test(http, get_succeeds_and_measures, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	char url[256];
	wb_url(url, sizeof url, base, "/delay/%g", 0.2);
	struct wb_http_client *c = wb_http_client_new(5);
	struct wb_http_result res;
	cr_assert(wb_http_get(c, url, &res, NULL) == 0, "%s", res.error);
	cr_assert_eq(res.status, 200);
	cr_assert(res.bytes > 0, "the body was counted even though dropped");
	cr_assert(res.seconds >= 0.19 && res.seconds < 3, "took %.3f s", res.seconds);
	cr_assert_str_eq(res.error, "");
	wb_http_client_free(c);
}

Test(http, body_is_captured, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	char url[256];
	wb_url(url, sizeof url, base, "/get?k=v");
	struct wb_http_result res;
	char *body = NULL;
	cr_assert(wb_http_fetch(url, 5, &res, &body) == 0, "%s", res.error);
	cr_assert(body != NULL);
	cr_assert_eq(strlen(body), res.bytes);
	cr_assert(strstr(body, "\"args\":{\"k\":\"v\"}"), "%s", body);
	free(body);

	wb_url(url, sizeof url, base, "/bytes/0");
	cr_assert(wb_http_fetch(url, 5, &res, &body) == 0, "%s", res.error);
	cr_assert(body != NULL && body[0] == '\0', "an empty body is \"\", not NULL");
	free(body);
}

Test(http, http_error_is_minus_one_with_url, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	char url[256];
	struct wb_http_result res;
	char *body = (char *)"untouched";

	wb_url(url, sizeof url, base, "/status/404");
	cr_assert_eq(wb_http_fetch(url, 5, &res, &body), -1);
	cr_assert_eq(res.status, 404);
	cr_assert(body == NULL, "no body on failure");
	char want[300];
	snprintf(want, sizeof want, "GET %s: HTTP 404", url);
	cr_assert_str_eq(res.error, want);

	wb_url(url, sizeof url, base, "/status/503");
	cr_assert_eq(wb_http_fetch(url, 5, &res, NULL), -1);
	snprintf(want, sizeof want, "GET %s: HTTP 503", url);
	cr_assert_str_eq(res.error, want);
}

Test(http, connection_refused_fails_fast_and_says_so, .timeout = 20)
{
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/get", unused_port());
	struct wb_http_result res;
	cr_assert_eq(wb_http_fetch(url, 10, &res, NULL), -1);
	cr_assert_eq(res.status, 0);
	cr_assert(res.seconds < 2, "refused, yet took %.3f s", res.seconds);
	char prefix[200];
	snprintf(prefix, sizeof prefix, "GET %s: ", url);
	cr_assert(strncmp(res.error, prefix, strlen(prefix)) == 0, "%s", res.error);
	cr_assert(strstr(res.error, "onnect"), "curl's message, please: %s", res.error);
}

Test(http, timeout_on_hang, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	char url[256];
	wb_url(url, sizeof url, base, "/hang");
	struct wb_http_result res;
	cr_assert_eq(wb_http_fetch(url, 0.5, &res, NULL), -1);
	cr_assert(res.seconds >= 0.45 && res.seconds < 3, "gave up after %.3f s", res.seconds);
	cr_assert(strstr(res.error, url) && strstr(res.error, "timed out"), "%s", res.error);
}

Test(http, long_error_messages_are_cut_with_dots, .timeout = 20)
{
	char url[400];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/%0300d", unused_port(), 0);
	struct wb_http_result res;
	cr_assert_eq(wb_http_fetch(url, 5, &res, NULL), -1);
	size_t len = strlen(res.error);
	cr_assert_eq(len, sizeof res.error - 1);
	cr_assert_str_eq(res.error + len - 3, "...");
}

/* Keep-alive: N GETs on one client share one connection; N one-shot fetches
 * make N.  Each stats read is one connection of its own (hence the + 1). */
Test(http, keep_alive_reuses_one_connection, .timeout = 30)
{
	enum { N = 10 };
	const char *base = wb_server_url(NULL);
	char url[256];
	wb_url(url, sizeof url, base, "/get");
	struct wb_http_result res;

	struct wb_server_stats s0 = stats(base, 1);
	struct wb_http_client *c = wb_http_client_new(5);
	for (int i = 0; i < N; i++)
		cr_assert(wb_http_get(c, url, &res, NULL) == 0, "%s", res.error);
	wb_http_client_free(c);
	struct wb_server_stats s1 = stats(base, 0);
	cr_assert_eq(s1.requests_served - s0.requests_served, N);
	cr_assert_eq(s1.connections_accepted - s0.connections_accepted, 1 + 1,
		     "%d GETs on one client used %ld connections", N,
		     s1.connections_accepted - s0.connections_accepted - 1);

	for (int i = 0; i < N; i++)
		cr_assert(wb_http_fetch(url, 5, &res, NULL) == 0, "%s", res.error);
	struct wb_server_stats s2 = stats(base, 0);
	cr_assert_eq(s2.connections_accepted - s1.connections_accepted, N + 1,
		     "%d one-shot fetches used %ld connections", N,
		     s2.connections_accepted - s1.connections_accepted - 1);
}

Test(http, stats_of_a_dead_server_is_an_error, .timeout = 20)
{
	char base[64], err[300];
	snprintf(base, sizeof base, "http://127.0.0.1:%d", unused_port());
	struct wb_server_stats st;
	cr_assert_eq(wb_server_stats(base, 0, &st, err, sizeof err), -1);
	cr_assert(strncmp(err, "GET http://127.0.0.1:", 21) == 0 && strstr(err, "/stats: "), "%s", err);
}

/* Clients in different threads at once (run this under TSan too). */
struct worker {
	const char *url;
	int ok;
};

static void *fetch_many(void *arg)
{
	struct worker *w = arg;
	struct wb_http_client *c = wb_http_client_new(10);
	struct wb_http_result res;
	for (int i = 0; i < 20; i++) {
		char *body;
		if (wb_http_get(c, w->url, &res, &body) == 0 && strstr(body, "\"url\""))
			w->ok++;
		free(body);
	}
	wb_http_client_free(c);
	return NULL;
}

Test(http, clients_in_threads, .timeout = 30)
{
	enum { THREADS = 4 };
	wb_http_init();
	const char *base = wb_server_url(NULL);
	char url[256];
	wb_url(url, sizeof url, base, "/delay/0.02");
	pthread_t tid[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .url = url };
		CHECK_PT(pthread_create(&tid[i], NULL, fetch_many, &w[i]));
	}
	for (int i = 0; i < THREADS; i++) {
		CHECK_PT(pthread_join(tid[i], NULL));
		cr_assert_eq(w[i].ok, 20, "thread %d: %d of 20", i, w[i].ok);
	}
	long peak = stats(base, 0).peak_in_flight;
	cr_assert(peak >= 2 && peak <= THREADS, "peak %ld: the threads' requests should overlap", peak);
}

Test(http, bad_timeout_dies, .exit_code = 1, .timeout = 10)
{
	wb_http_client_new(0);
}

/* --- wb_url ------------------------------------------------------------------------------ */

Test(http, url_joins_base_and_path, .timeout = 10)
{
	char buf[64];
	wb_url(buf, sizeof buf, "http://h:1", "/delay/%g", 0.5);
	cr_assert_str_eq(buf, "http://h:1/delay/0.5");
	wb_url(buf, sizeof buf, "http://h:1/", "/get");
	cr_assert_str_eq(buf, "http://h:1/get", "a trailing slash on the base is dropped");
}

Test(http, url_too_long_dies, .exit_code = 1, .timeout = 10)
{
	char buf[16];
	wb_url(buf, sizeof buf, "http://h:1", "/bytes/%d", 1048576);
}

