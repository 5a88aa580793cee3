/*
 * tests/test_server.c - the lab server (common/labserver.c) and the helper
 * that starts it (common/server.c).
 *
 * Every test starts its own server: through wb_server_url(NULL) like a lab
 * does, or by running build/bin/labserver itself when it needs the process
 * (its pid, its exit status, special options).  Timing checks have wide
 * margins, so that they hold on a busy two-core CI machine; the structural
 * checks (exact counts, headers, exit statuses) carry the weight.
 */
#include <criterion/criterion.h>

#include "checked.h"
#include "fixture.h"
#include "timing.h"
#include "http.h"
#include "server.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- Helpers: time, the server program, its /stats ------------------------------ */

static int url_port(const char *url)
{
	const char *colon = strrchr(url, ':');
	cr_assert(colon != NULL, "no port in %s", url);
	return atoi(colon + 1);
}

/* The number under `key` in a JSON object; the test fails if there is none. */
static double json_number(const char *json, const char *key)
{
	cJSON *doc = cJSON_Parse(json);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	cr_assert(cJSON_IsNumber(v), "no number \"%s\" in %s", key, json);
	double value = v->valuedouble;
	cJSON_Delete(doc);
	return value;
}

/* One number from base/stats (any key, e.g. "requests_abandoned" or "pid"). */
static double stat_value(const char *base, const char *key)
{
	char url[256];
	struct wb_http_result res;
	char *body;
	wb_url(url, sizeof url, base, "/stats");
	cr_assert(wb_http_fetch(url, 5, &res, &body) == 0, "%s", res.error);
	double value = json_number(body, key);
	free(body);
	return value;
}

static struct wb_server_stats read_stats(const char *base, int reset)
{
	struct wb_server_stats st;
	char err[300];
	cr_assert(wb_server_stats(base, reset, &st, err, sizeof err) == 0, "%s", err);
	return st;
}

/* Poll until /stats shows in_flight == want; returns the seconds it took, or -1. */
static double wait_for_in_flight(const char *base, long want, double limit_s)
{
	double start = wb_now();
	while (wb_now() - start < limit_s) {
		if (read_stats(base, 0).in_flight == want)
			return wb_now() - start;
		wb_sleep(0.02);
	}
	return -1;
}

static void raise_fd_limit(void)
{
	struct rlimit limit;
	CHECK_SYS(getrlimit(RLIMIT_NOFILE, &limit));
	limit.rlim_cur = limit.rlim_max;
	CHECK_SYS(setrlimit(RLIMIT_NOFILE, &limit));
}

/* --- Helpers: raw sockets, for what libcurl would hide or refuse to send --------- */

/* Read until the server closes (or timeout_s passes); NUL-terminates. */
static size_t read_until_close(int fd, char *buf, size_t cap, double timeout_s)
{
	size_t used = 0;
	double deadline = wb_now() + timeout_s;
	while (used < cap - 1) {
		int left_ms = (int)((deadline - wb_now()) * 1000);
		if (left_ms <= 0)
			break;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (CHECK_SYS(poll(&p, 1, left_ms)) == 0)
			break;
		ssize_t n = read(fd, buf + used, cap - 1 - used);      /* sockets and pipes */
		if (n <= 0)
			break;          /* EOF, or reset: either way the server is done */
		used += (size_t)n;
	}
	buf[used] = '\0';
	return used;
}

/* One line from fd, without waiting for EOF (the writer keeps its end
 * open), and for at most timeout_s. */
static void read_line(int fd, char *line, size_t cap, double timeout_s)
{
	size_t used = 0;
	double deadline = wb_now() + timeout_s;
	while (used < cap - 1 && (used == 0 || line[used - 1] != '\n')) {
		int left_ms = (int)((deadline - wb_now()) * 1000);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left_ms <= 0 || CHECK_SYS(poll(&p, 1, left_ms)) == 0)
			break;
		ssize_t got = CHECK_SYS(read(fd, line + used, cap - 1 - used));
		if (got == 0)
			break;
		used += (size_t)got;
	}
	line[used] = '\0';
}

/* Send request on a new connection, read the whole response; returns its status. */
static int raw_exchange(int port, const char *request, char *response, size_t cap)
{
	int fd = connect_to(port);
	send_all(fd, request, strlen(request));
	read_until_close(fd, response, cap, 10);
	CHECK_SYS(close(fd));
	int status = 0;
	if (sscanf(response, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	return status;
}

static int raw_get(int port, const char *path, char *response, size_t cap)
{
	char request[512];
	snprintf(request, sizeof request,
		 "GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", path);
	return raw_exchange(port, request, response, cap);
}

static const char *body_of(const char *response)
{
	const char *blank = strstr(response, "\r\n\r\n");
	return blank ? blank + 4 : "";
}

/* --- Helpers: running labserver ourselves ------------------------------------------ */

struct spawned {
	pid_t pid;
	char url[256];
	int port;
};

/* In a forked child about to exec labserver: die with the test (even if it
 * is killed, say by its .timeout), and keep none of its descriptors, which
 * would hold the test runner's pipes open. */
static void child_dies_with_test(pid_t test)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != test)
		_exit(126);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
}

/* Start labserver with up to two extra arguments; max_fds > 0 also lowers
 * its descriptor limit (hard and soft) before exec. */
static void spawn_labserver(struct spawned *s, const char *arg1, const char *arg2, rlim_t max_fds)
{
	char path[PATH_MAX];
	labserver_path(path, sizeof path);
	int out[2];
	CHECK_SYS(pipe2(out, O_CLOEXEC));
	pid_t test = getpid();
	s->pid = CHECK_SYS(fork());
	if (s->pid == 0) {
		struct rlimit limit = { max_fds, max_fds };
		if (max_fds > 0 && setrlimit(RLIMIT_NOFILE, &limit) == -1)
			_exit(126);
		if (dup2(out[1], STDOUT_FILENO) == -1)
			_exit(126);
		child_dies_with_test(test);
		execl(path, "labserver", "--port", "0", arg1, arg2, (char *)NULL);
		_exit(127);
	}
	CHECK_SYS(close(out[1]));
	char line[256];
	read_line(out[0], line, sizeof line, 5);
	CHECK_SYS(close(out[0]));
	cr_assert(strchr(line, '\n'), "labserver printed no URL line");
	*strchr(line, '\n') = '\0';
	snprintf(s->url, sizeof s->url, "%s", line);
	s->port = url_port(s->url);
}

/* Wait up to limit_s for pid to exit; its wait status, or -1 if it did not. */
static int wait_exit(pid_t pid, double limit_s)
{
	double start = wb_now();
	int status;
	while (wb_now() - start < limit_s) {
		if (CHECK_SYS(waitpid(pid, &status, WNOHANG)) == pid)
			return status;
		wb_sleep(0.01);
	}
	return -1;
}

/* SIGTERM the server and reap it; its wait status (-1: it would not stop). */
static int stop_spawned(struct spawned *s)
{
	CHECK_SYS(kill(s->pid, SIGTERM));
	int status = wait_exit(s->pid, 5);
	if (status == -1) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	return status;
}

/* Run labserver with one argument to completion; its wait status, and stdout/stderr in out. */
static int run_labserver(const char *arg, char *out, size_t cap)
{
	char path[PATH_MAX];
	labserver_path(path, sizeof path);
	int pipefd[2];
	CHECK_SYS(pipe2(pipefd, O_CLOEXEC));
	pid_t test = getpid();
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		if (dup2(pipefd[1], STDOUT_FILENO) == -1 || dup2(pipefd[1], STDERR_FILENO) == -1)
			_exit(126);
		child_dies_with_test(test);
		execl(path, "labserver", arg, (char *)NULL);
		_exit(127);
	}
	CHECK_SYS(close(pipefd[1]));
	read_until_close(pipefd[0], out, cap, 5);
	CHECK_SYS(close(pipefd[0]));
	return wait_exit(pid, 5);
}

static int port_refuses(int port)
{
	int fd = CHECK_SYS(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
	int refused = rc == -1 && errno == ECONNREFUSED;
	CHECK_SYS(close(fd));
	return refused;
}

static int count_fds(pid_t pid)
{
	char dir_path[64];
	snprintf(dir_path, sizeof dir_path, "/proc/%d/fd", (int)pid);
	DIR *dir = CHECK_PTR(opendir(dir_path));
	int count = 0;
	while (readdir(dir) != NULL)
		count++;
	CHECK_SYS(closedir(dir));
	return count - 2;       /* "." and ".." */
}

/* --- Helpers: many requests at once (libcurl multi, one thread) ------------------- */

static size_t discard(char *data, size_t size, size_t count, void *arg)
{
	(void)data;
	(void)arg;
	return size * count;
}

/* GET url n times at once, n connections.  Returns how many got 200; *seconds = wall time. */
static int get_concurrently(const char *url, int n, double timeout_s, double *seconds)
{
	wb_http_init();
	raise_fd_limit();
	CURLM *multi = CHECK_PTR(curl_multi_init());
	CURL **easy = wb_xcalloc((size_t)n, sizeof *easy);
	for (int i = 0; i < n; i++) {
		easy[i] = CHECK_PTR(curl_easy_init());
		cr_assert(curl_easy_setopt(easy[i], CURLOPT_URL, url) == CURLE_OK);
		cr_assert(curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L) == CURLE_OK);
		cr_assert(curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000)) == CURLE_OK);
		cr_assert(curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard) == CURLE_OK);
		cr_assert(curl_multi_add_handle(multi, easy[i]) == CURLM_OK);
	}

	double start = wb_now();
	int running = n;
	while (running > 0) {
		cr_assert(curl_multi_perform(multi, &running) == CURLM_OK);
		if (running > 0)
			cr_assert(curl_multi_poll(multi, NULL, 0, 100, NULL) == CURLM_OK);
	}
	*seconds = wb_now() - start;

	int ok = 0, left;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		long status = 0;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK && status == 200)
			ok++;
	}
	for (int i = 0; i < n; i++) {
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	free(easy);
	curl_multi_cleanup(multi);
	return ok;
}

/* A GET that must succeed; returns the body (caller frees). */
static char *get_ok(const char *base, const char *path)
{
	char url[512];
	struct wb_http_result res;
	char *body;
	wb_url(url, sizeof url, base, "%s", path);
	cr_assert(wb_http_fetch(url, 10, &res, &body) == 0, "%s", res.error);
	cr_assert(res.status == 200, "GET %s: HTTP %ld", url, res.status);
	return body;
}

/* Each suite's tests share nothing; this stops a server a test started. */
TestSuite(endpoints, .fini = wb_server_stop);
TestSuite(bad_input, .fini = wb_server_stop);
TestSuite(load, .fini = wb_server_stop);
TestSuite(process, .fini = wb_server_stop);

/* --- Endpoints -------------------------------------------------------------------------- */

Test(endpoints, get_echoes_args_headers_origin_url, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	char *body = get_ok(base, "/get?x=1&name=a%20b");
	cr_assert(strstr(body, "\"args\":{\"x\":\"1\",\"name\":\"a b\"}"), "%s", body);
	cr_assert(strstr(body, "\"headers\":{"), "%s", body);
	cr_assert(strstr(body, "\"Host\":"), "header names in Title-Case: %s", body);
	cr_assert(strstr(body, "\"User-Agent\":\"concurrency-workbook/1.0\""), "%s", body);
	cr_assert(strstr(body, "\"origin\":\"127.0.0.1\""), "%s", body);
	char url[256];
	snprintf(url, sizeof url, "\"url\":\"%s/get?x=1&name=a%%20b\"", base);
	cr_assert(strstr(body, url), "want %s in %s", url, body);
	free(body);
}

Test(endpoints, delay_waits_then_echoes, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	double start = wb_now();
	char *body = get_ok(base, "/delay/0.3");
	double took = wb_now() - start;
	cr_assert(took >= 0.29 && took < 3, "/delay/0.3 took %.3f s", took);
	cr_assert(strstr(body, "\"url\":") && strstr(body, "/delay/0.3"), "%s", body);
	free(body);
}

Test(endpoints, status_replies_with_that_code, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char response[4096];
	int codes[] = { 200, 201, 204, 302, 404, 418, 500, 503, 599 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		char path[32];
		snprintf(path, sizeof path, "/status/%d", codes[i]);
		cr_assert_eq(raw_get(port, path, response, sizeof response), codes[i], "%s", response);
	}
}

Test(endpoints, bytes_length_and_seeded_repeatability, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	char url[256];
	struct wb_http_result res;
	char *a, *b, *c;

	wb_url(url, sizeof url, base, "/bytes/%d?seed=%d", 1000, 42);
	cr_assert(wb_http_fetch(url, 5, &res, &a) == 0, "%s", res.error);
	cr_assert_eq(res.bytes, 1000);
	cr_assert(wb_http_fetch(url, 5, &res, &b) == 0, "%s", res.error);
	cr_assert(memcmp(a, b, 1000) == 0, "the same seed must give the same bytes");
	wb_url(url, sizeof url, base, "/bytes/%d?seed=%d", 1000, 43);
	cr_assert(wb_http_fetch(url, 5, &res, &c) == 0, "%s", res.error);
	cr_assert(memcmp(a, c, 1000) != 0, "another seed must give other bytes");
	free(a);
	free(b);
	free(c);

	wb_url(url, sizeof url, base, "/bytes/%d", 1048576);
	cr_assert(wb_http_fetch(url, 10, &res, NULL) == 0, "%s", res.error);
	cr_assert_eq(res.bytes, 1048576);
	wb_url(url, sizeof url, base, "/bytes/0");
	cr_assert(wb_http_fetch(url, 5, &res, NULL) == 0, "%s", res.error);
	cr_assert_eq(res.bytes, 0);
}

Test(endpoints, drip_is_paced_with_content_length, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char response[4096];
	double start = wb_now();
	int status = raw_get(port, "/drip?duration=1&numbytes=5&delay=0.2&code=201", response,
			     sizeof response);
	double took = wb_now() - start;
	cr_assert_eq(status, 201, "%s", response);
	cr_assert(took >= 1.15 && took < 4, "delay 0.2 + duration 1 took %.3f s", took);
	cr_assert(strstr(response, "Content-Length: 5\r\n"), "%s", response);
	cr_assert(strstr(response, "Transfer-Encoding") == NULL, "not chunked: %s", response);
	cr_assert_str_eq(body_of(response), "*****");
}

Test(endpoints, drip_pieces_arrive_spread_out, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	int fd = connect_to(port);
	const char *request = "GET /drip?duration=1&numbytes=4 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	send_all(fd, request, strlen(request));
	char buf[4096];
	wb_sleep(0.6);   /* about half of the body should be here by now, not all of it */
	ssize_t early = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	cr_assert(early > 0, "headers should have arrived");
	buf[early] = '\0';
	size_t stars_early = strlen(body_of(buf));
	cr_assert(stars_early >= 1 && stars_early < 4, "after 0.6 of 1 s: %zu of 4 bytes", stars_early);
	read_until_close(fd, buf, sizeof buf, 5);
	cr_assert_eq(strlen(buf), 4 - stars_early, "the rest: \"%s\"", buf);
	CHECK_SYS(close(fd));
}

Test(endpoints, stream_is_chunked_with_n_lines, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	char response[65536];
	cr_assert_eq(raw_get(url_port(base), "/stream/5", response, sizeof response), 200);
	cr_assert(strstr(response, "Transfer-Encoding: chunked\r\n"), "%s", response);

	char *body = get_ok(base, "/stream/5");      /* libcurl undoes the chunking */
	int lines = 0;
	for (char *line = body, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		char want[32];
		snprintf(want, sizeof want, "{\"id\":%d,", lines);
		cr_assert(strncmp(line, want, strlen(want)) == 0, "line %d: %.60s", lines, line);
		lines++;
	}
	cr_assert_eq(lines, 5, "%s", body);
	free(body);
}

Test(endpoints, anything_echoes_method_and_body, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char response[8192];
	const char *request = "PUT /anything/x?k=v HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			      "Content-Length: 12\r\n\r\nhi \"there\"\n!";
	cr_assert_eq(raw_exchange(port, request, response, sizeof response), 200, "%s", response);
	const char *body = body_of(response);
	cr_assert(strstr(body, "\"method\":\"PUT\""), "%s", body);
	cr_assert(strstr(body, "\"data\":\"hi \\\"there\\\"\\n!\""), "%s", body);
	cr_assert(strstr(body, "\"args\":{\"k\":\"v\"}"), "%s", body);
	cr_assert(strstr(body, "\"Content-Length\":\"12\""), "%s", body);
}

Test(endpoints, stats_has_every_field, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	free(get_ok(base, "/get"));
	char *body = get_ok(base, "/stats");
	const char *keys[] = { "requests_served", "connections_accepted", "in_flight",
			       "peak_in_flight", "worst_lateness_ms", "requests_abandoned", "pid" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_number(body, keys[i]);
	}
	free(body);
	struct wb_server_stats st = read_stats(base, 0);
	cr_assert_eq(st.requests_served, 1, "/stats does not count itself");
	cr_assert_eq(st.in_flight, 0);
}

/* Each path must get `want`, with a JSON {"error": ...} body mentioning `mention`. */
static void expect_rejected(int port, const char *path, int want, const char *mention)
{
	char response[8192];
	int status = raw_get(port, path, response, sizeof response);
	cr_assert_eq(status, want, "GET %s: %s", path, response);
	const char *body = body_of(response);
	cr_assert(strncmp(body, "{\"error\":\"", 10) == 0, "GET %s: %s", path, body);
	cr_assert(strstr(body, mention), "GET %s: want \"%s\" in %s", path, mention, body);
}

/* --- httpbin compatibility: the JSON, parsed (byte order is no contract) ------------------ */

/* Send request on a new connection; the status, and the body parsed as JSON
 * (the test fails if it is not JSON).  Caller deletes it. */
static cJSON *json_exchange(int port, const char *request, int want_status)
{
	static char response[65536];
	int status = raw_exchange(port, request, response, sizeof response);
	cr_assert_eq(status, want_status, "%s\n%s", request, response);
	cJSON *doc = cJSON_Parse(body_of(response));
	cr_assert(doc != NULL, "not JSON: %s", body_of(response));
	return doc;
}

static cJSON *json_get(int port, const char *path)
{
	char request[1024];
	snprintf(request, sizeof request,
		 "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
	return json_exchange(port, request, 200);
}

/* The string at doc.a.b (NULL for none). */
static const char *json_at(const cJSON *doc, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, a);
	if (b != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_GetStringValue(v);
}

Test(endpoints, repeated_query_keys_become_a_list, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	cJSON *doc = json_get(port, "/get?a=1&a=2&b=x&flag&k%20y=%C3%A9+z");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(doc, "args"), "a");
	cr_assert(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 2, "a: a list of 2");
	cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(a, 1)), "2");
	cr_assert_str_eq(json_at(doc, "args", "b"), "x");
	cr_assert_str_eq(json_at(doc, "args", "flag"), "", "a key without '=': empty value");
	cr_assert_str_eq(json_at(doc, "args", "k y"), "\xc3\xa9 z", "keys and values decoded");
	cJSON_Delete(doc);
}

Test(endpoints, post_put_patch_delete_echo_body_json_and_form, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	cJSON *doc = json_exchange(port, "POST /post?q=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
				   "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n"
				   "{\"x\":[1,\"y\"]}", 200);
	const char *keys[] = { "args", "data", "files", "form", "headers", "json", "method", "origin", "url" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		cr_assert(cJSON_GetObjectItem(doc, keys[i]) != NULL, "no \"%s\"", keys[i]);
	cr_assert_str_eq(json_at(doc, "data", NULL), "{\"x\":[1,\"y\"]}");
	const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "json"), "x");
	cr_assert(cJSON_IsArray(x) && cJSON_GetArraySize(x) == 2, "json parsed from the body");
	cr_assert_str_eq(json_at(doc, "method", NULL), "POST");
	cJSON_Delete(doc);

	doc = json_exchange(port, "PUT /put HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\n"
			    "a=1&a=2&b=3", 200);
	cr_assert(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "form"), "a")));
	cr_assert_str_eq(json_at(doc, "form", "b"), "3");
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(doc, "json")), "not JSON: null");
	cJSON_Delete(doc);

	char response[4096];
	const char *wrong = "GET /patch HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	cr_assert_eq(raw_exchange(port, wrong, response, sizeof response), 405, "%s", response);
	cr_assert(strstr(response, "Allow: OPTIONS, PATCH\r\n"), "%s", response);
	doc = json_exchange(port, "DELETE /delete HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200);
	cr_assert_str_eq(json_at(doc, "method", NULL), "DELETE");
	cJSON_Delete(doc);
}

/* Whatever bytes come in, what goes out is valid UTF-8 JSON. */
static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 1 : (*s & 0xe0) == 0xc0 ? 2 : (*s & 0xf0) == 0xe0 ? 3 : (*s & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || (n == 2 && *s < 0xc2))
			return 0;
		for (int i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		s += n;
	}
	return 1;
}

Test(endpoints, invalid_utf8_becomes_replacement_characters, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char response[8192];
	const char *request = "POST /anything/\xc3(?a=%ff%c0%af HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			      "X-Bytes: \xff\xfe ok\r\nContent-Length: 3\r\n\r\n\xff\x01z";
	cr_assert_eq(raw_exchange(port, request, response, sizeof response), 200, "%s", response);
	const char *body = body_of(response);
	cr_assert(valid_utf8((const unsigned char *)body), "not UTF-8: %s", body);
	cJSON *doc = cJSON_Parse(body);
	cr_assert(doc != NULL, "%s", body);
	cr_assert_str_eq(json_at(doc, "args", "a"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	cr_assert_str_eq(json_at(doc, "headers", "X-Bytes"), "\xef\xbf\xbd\xef\xbf\xbd ok");
	cr_assert_str_eq(json_at(doc, "data", NULL), "data:application/octet-stream;base64,/wF6",
			 "binary data as httpbin's data: URL");
	cJSON_Delete(doc);
}

Test(endpoints, headers_ip_user_agent_uuid_cookies, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	cJSON *doc = json_exchange(port, "GET /headers HTTP/1.1\r\nHost: t\r\nx-custom-thing: 1\r\n"
				   "Connection: close\r\n\r\n", 200);
	cr_assert_str_eq(json_at(doc, "headers", "X-Custom-Thing"), "1");
	cJSON_Delete(doc);
	doc = json_get(port, "/ip");
	cr_assert_str_eq(json_at(doc, "origin", NULL), "127.0.0.1");
	cJSON_Delete(doc);
	doc = json_exchange(port, "GET /user-agent HTTP/1.1\r\nHost: t\r\nUser-Agent: tester/2\r\n"
			    "Connection: close\r\n\r\n", 200);
	cr_assert_str_eq(json_at(doc, "user-agent", NULL), "tester/2");
	cJSON_Delete(doc);
	doc = json_get(port, "/uuid");
	const char *uuid = json_at(doc, "uuid", NULL);
	cr_assert(uuid && strlen(uuid) == 36 && uuid[14] == '4' && strchr("89ab", uuid[19]), "%s", uuid);
	cJSON_Delete(doc);
	doc = json_exchange(port, "GET /cookies HTTP/1.1\r\nHost: t\r\nCookie: a=1; b=two\r\n"
			    "Connection: close\r\n\r\n", 200);
	cr_assert_str_eq(json_at(doc, "cookies", "b"), "two");
	cJSON_Delete(doc);
}

Test(endpoints, response_headers_are_set_and_echoed, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char response[8192];
	cr_assert_eq(raw_get(port, "/response-headers?X-A=1&X-A=2&Y=z", response, sizeof response), 200);
	cr_assert(strstr(response, "\r\nX-A: 1\r\nX-A: 2\r\n") && strstr(response, "\r\nY: z\r\n"), "%s", response);
	cJSON *doc = cJSON_Parse(body_of(response));
	cr_assert(doc && cJSON_IsArray(cJSON_GetObjectItem(doc, "X-A")), "%s", response);
	char length[64];
	snprintf(length, sizeof length, "Content-Length: %s\r\n", json_at(doc, "Content-Length", NULL));
	cr_assert(strstr(response, length), "the body's Content-Length is the real one: %s", response);
	cJSON_Delete(doc);
	expect_rejected(port, "/response-headers?Content-Length=1", 400, "header");
	expect_rejected(port, "/response-headers?X=a%0d%0aY:b", 400, "header");
}

Test(endpoints, redirect_chain_ends_at_get, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char response[4096];
	cr_assert_eq(raw_get(port, "/redirect/3", response, sizeof response), 302);
	cr_assert(strstr(response, "Location: /relative-redirect/2\r\n"), "%s", response);
	cr_assert_eq(raw_get(port, "/relative-redirect/1", response, sizeof response), 302);
	cr_assert(strstr(response, "Location: /get\r\n"), "%s", response);
	expect_rejected(port, "/redirect/0", 400, "redirect must be");
}

Test(endpoints, status_lists_weights_and_httpbin_extras, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char response[4096];
	int seen200 = 0, seen404 = 0;
	for (int i = 0; i < 40; i++) {
		int code = raw_get(port, "/status/200,404", response, sizeof response);
		cr_assert(code == 200 || code == 404, "%d", code);
		seen200 += code == 200;
		seen404 += code == 404;
	}
	cr_assert(seen200 > 0 && seen404 > 0, "one at random: %d and %d of 40", seen200, seen404);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(raw_get(port, "/status/200:0,429:1", response, sizeof response), 429);
	cr_assert_eq(raw_get(port, "/status/302", response, sizeof response), 302);
	cr_assert(strstr(response, "Location: /redirect/1\r\n"), "%s", response);
	cr_assert_eq(raw_get(port, "/status/418", response, sizeof response), 418);
	cr_assert(strstr(body_of(response), "-=[ teapot ]=-"), "%s", response);
	expect_rejected(port, "/status/200,abc", 400, "status must be");
	expect_rejected(port, "/status/200:-1,404", 400, "status must be");
}

Test(endpoints, cors_headers_and_options_preflight, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char response[4096];
	cr_assert_eq(raw_get(port, "/status/404", response, sizeof response), 404);
	cr_assert(strstr(response, "Access-Control-Allow-Origin: *\r\n"), "%s", response);
	cr_assert(strstr(response, "Access-Control-Allow-Credentials: true\r\n"), "%s", response);
	const char *preflight = "OPTIONS /anything HTTP/1.1\r\nHost: t\r\nOrigin: http://example.org\r\n"
				"Access-Control-Request-Method: PUT\r\n"
				"Access-Control-Request-Headers: X-One, X-Two\r\nConnection: close\r\n\r\n";
	cr_assert_eq(raw_exchange(port, preflight, response, sizeof response), 200, "%s", response);
	cr_assert(strstr(response, "Access-Control-Allow-Origin: http://example.org\r\n"), "%s", response);
	cr_assert(strstr(response, "Access-Control-Allow-Methods: GET, POST, PUT, DELETE, PATCH, OPTIONS\r\n"),
		  "%s", response);
	cr_assert(strstr(response, "Access-Control-Allow-Headers: X-One, X-Two\r\n"), "%s", response);
	cr_assert(strstr(response, "Access-Control-Max-Age: 3600\r\n"), "%s", response);
	cr_assert_str_eq(body_of(response), "");
}

Test(endpoints, head_has_get_headers_without_body, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char get[8192], head[8192];
	cr_assert_eq(raw_get(port, "/delay/0", get, sizeof get), 200);
	const char *request = "HEAD /delay/0 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
	cr_assert_eq(raw_exchange(port, request, head, sizeof head), 200);
	char length[64];
	snprintf(length, sizeof length, "Content-Length: %zu\r\n", strlen(body_of(get)));
	cr_assert(strstr(head, length), "want %s in %s", length, head);
	cr_assert(strstr(head, "Content-Type: application/json\r\n"), "%s", head);
	cr_assert_str_eq(body_of(head), "");
}

/* --- Bad input: a clear answer, never a crash ------------------------------------------- */

Test(bad_input, delay, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	const char *bad[] = { "abc", "-1", "nan", "inf", "11", "10.001", "1e999",
			      "99999999999999999999", "0x5", "1%20", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char path[128];
		snprintf(path, sizeof path, "/delay/%s", bad[i]);
		expect_rejected(port, path, 400, "delay must be");
	}
}

Test(bad_input, status, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	expect_rejected(port, "/status/99", 400, "\\\"99\\\"");
	expect_rejected(port, "/status/600", 400, "\\\"600\\\"");
	expect_rejected(port, "/status/x", 400, "\\\"x\\\"");
	expect_rejected(port, "/status/-200", 400, "status must be");
	expect_rejected(port, "/status/", 400, "status must be");
}

Test(bad_input, bytes_and_stream, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	expect_rejected(port, "/bytes/1048577", 400, "1048576");
	expect_rejected(port, "/bytes/-1", 400, "bytes must be");
	expect_rejected(port, "/bytes/lots", 400, "bytes must be");
	expect_rejected(port, "/bytes/10?seed=x", 400, "seed");
	expect_rejected(port, "/stream/101", 400, "stream must be");
	expect_rejected(port, "/stream/1?novalue", 400, "query");  /* streaming.c: evhttp's rules */
}

Test(bad_input, drip, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	expect_rejected(port, "/drip?duration=-1", 400, "duration");
	expect_rejected(port, "/drip?duration=abc", 400, "duration");
	expect_rejected(port, "/drip?duration=11", 400, "duration");
	expect_rejected(port, "/drip?numbytes=2000000", 400, "numbytes");
	expect_rejected(port, "/drip?numbytes=1.5", 400, "numbytes");
	expect_rejected(port, "/drip?delay=nan", 400, "delay");
	expect_rejected(port, "/drip?code=99", 400, "code");
	expect_rejected(port, "/drip?code=204", 400, "code");
}

Test(bad_input, unknown_path_and_wrong_method, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	expect_rejected(port, "/no/such/thing", 404, "/no/such/thing");
	expect_rejected(port, "/delay", 404, "no such endpoint");

	char response[4096];
	const char *post = "POST /get HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
	cr_assert_eq(raw_exchange(port, post, response, sizeof response), 405, "%s", response);
	cr_assert(strstr(response, "Allow: GET, HEAD, OPTIONS\r\n"), "%s", response);

	/* A refused /stats counts like any bad request, and in_flight stays sane. */
	const char *post_stats = "POST /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
				 "Content-Length: 0\r\n\r\n";
	cr_assert_eq(raw_exchange(port, post_stats, response, sizeof response), 405, "%s", response);
	struct wb_server_stats st = read_stats(wb_server_url(NULL), 0);
	cr_assert_eq(st.in_flight, 0);
	cr_assert_eq(st.requests_served, 4, "404, 404, 405, 405: %ld", st.requests_served);
}

Test(bad_input, malformed_request_line, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	char response[4096];
	cr_assert_eq(raw_exchange(port, "GARBAGE\r\n\r\n", response, sizeof response), 400, "%s", response);
	cr_assert_eq(raw_exchange(port, "GET /get HTTP/9.9\r\n\r\n", response, sizeof response), 400,
		     "%s", response);
	/* ... and the server is still there. */
	cr_assert_eq(raw_get(port, "/get", response, sizeof response), 200);
}

Test(bad_input, oversized_header_and_body, .timeout = 20)
{
	int port = url_port(wb_server_url(NULL));
	static char request[32768];
	char response[4096];

	int n = snprintf(request, sizeof request, "GET /get HTTP/1.1\r\nHost: t\r\nX-Big: ");
	memset(request + n, 'a', 10000);
	strcpy(request + n + 10000, "\r\nConnection: close\r\n\r\n");
	int status = raw_exchange(port, request, response, sizeof response);
	cr_assert(status >= 400 && status < 500, "10 kB header: %s", response);

	/* A body over 1 MiB, announced up front: refused before it is sent. */
	const char *big = "POST /anything HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			  "Content-Length: 2000000\r\n\r\n";
	cr_assert_eq(raw_exchange(port, big, response, sizeof response), 413, "%s", response);
	cr_assert_eq(raw_get(port, "/get", response, sizeof response), 200);
}

/* --- Load, in-flight accounting, descriptors ----------------------------------------------- */

Test(load, thousand_concurrent_delays, .timeout = 60)
{
	const char *base = wb_server_url(NULL);
	char url[256];
	wb_url(url, sizeof url, base, "/delay/0.5");
	read_stats(base, 1);
	double seconds;
	int ok = get_concurrently(url, 1000, 20, &seconds);
	cr_assert_eq(ok, 1000, "%d of 1000 succeeded", ok);
	/* One at a time this would take 500 s; overlapped, 0.5 s. */
	cr_assert(seconds >= 0.49 && seconds < 3, "1000 x /delay/0.5 took %.3f s", seconds);
	struct wb_server_stats st = read_stats(base, 0);
	cr_assert_eq(st.requests_served, 1000);
	cr_assert_eq(st.in_flight, 0);
	cr_assert(st.peak_in_flight > 1, "peak %ld: the requests did not overlap", st.peak_in_flight);
}

Test(load, peak_in_flight_counts_exactly, .timeout = 30)
{
	const char *base = wb_server_url(NULL);
	char url[256];
	wb_url(url, sizeof url, base, "/delay/0.5");
	struct wb_server_stats before = read_stats(base, 1);
	cr_assert_eq(before.in_flight, 0);
	double seconds;
	cr_assert_eq(get_concurrently(url, 20, 10, &seconds), 20);
	struct wb_server_stats after = read_stats(base, 0);
	cr_assert_eq(after.peak_in_flight, 20, "peak %ld, want 20", after.peak_in_flight);
	cr_assert_eq(after.in_flight, 0);
	cr_assert_eq(after.requests_served - before.requests_served, 20);
	cr_assert(after.worst_lateness_ms >= 0 && after.worst_lateness_ms < 500,
		  "lateness %.3f ms", after.worst_lateness_ms);

	/* /stats/reset: the peak starts again from what is in flight now (0). */
	read_stats(base, 1);
	cr_assert_eq(read_stats(base, 0).peak_in_flight, 0);
}

/* A client that gives up mid-delay must not stay "in flight" until the delay ends. */
static void expect_abort_noticed(const char *path)
{
	const char *base = wb_server_url(NULL);
	int port = url_port(base);
	double abandoned_before = stat_value(base, "requests_abandoned");

	int fd = connect_to(port);
	char request[256];
	snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
	send_all(fd, request, strlen(request));
	cr_assert(wait_for_in_flight(base, 1, 5) >= 0, "%s never showed as in flight", path);

	CHECK_SYS(close(fd));
	double took = wait_for_in_flight(base, 0, 3);
	cr_assert(took >= 0 && took < 2, "%s: in_flight still 1 after the client left", path);
	cr_assert_eq(stat_value(base, "requests_abandoned") - abandoned_before, 1);
	struct wb_server_stats st = read_stats(base, 0);
	cr_assert_eq(st.requests_served, 0, "the abandoned request was not served");
}

Test(load, client_abort_mid_delay, .timeout = 30)
{
	expect_abort_noticed("/delay/8");
}

Test(load, client_abort_mid_hang, .timeout = 30)
{
	expect_abort_noticed("/hang");
}

Test(load, client_abort_mid_drip, .timeout = 30)
{
	expect_abort_noticed("/drip?duration=8&numbytes=8&delay=0.1");
}

Test(load, no_descriptor_leak_after_load, .timeout = 60)
{
	const char *base = wb_server_url(NULL);
	pid_t pid = (pid_t)stat_value(base, "pid");
	wb_sleep(0.2);   /* let the server close the /stats connection */
	int baseline = count_fds(pid);

	char url[256];
	double seconds;
	wb_url(url, sizeof url, base, "/delay/0.2");
	cr_assert_eq(get_concurrently(url, 300, 20, &seconds), 300);
	wb_url(url, sizeof url, base, "/stream/3");
	cr_assert_eq(get_concurrently(url, 100, 20, &seconds), 100);
	for (int i = 0; i < 20; i++) {          /* and some that leave early */
		int fd = connect_to(url_port(base));
		send_all(fd, "GET /hang HTTP/1.1\r\nHost: t\r\n\r\n", 31);
		CHECK_SYS(close(fd));
	}

	/* The server notices the early leavers in its own time: wait (at most
	 * 5 s) until both their descriptors and their requests are gone. */
	int now = -1;
	long in_flight = -1;
	for (double start = wb_now(); wb_now() - start < 5; wb_sleep(0.05)) {
		now = count_fds(pid);
		if (now > baseline)
			continue;
		in_flight = read_stats(base, 0).in_flight;
		if (in_flight == 0)
			break;
	}
	cr_assert(now <= baseline, "server has %d descriptors open, %d before the load", now, baseline);
	cr_assert_eq(in_flight, 0, "%ld requests still in flight 5 s after the load", in_flight);
}

Test(load, idle_timeout_spares_waiting_requests, .timeout = 30)
{
	struct spawned s;
	spawn_labserver(&s, "--idle-timeout", "1", 0);
	char response[4096];

	/* A legitimate wait on the server's side outlasts the idle timeout. */
	cr_assert_eq(raw_get(s.port, "/delay/1.6", response, sizeof response), 200, "%s", response);
	cr_assert_eq(raw_get(s.port, "/drip?duration=1.6&numbytes=3", response, sizeof response), 200,
		     "%s", response);

	/* A client that stops halfway through its headers (slowloris) does not. */
	int fd = connect_to(s.port);
	send_all(fd, "GET /get HTTP/1.1\r\nHost: t\r\n", 29);
	double start = wb_now();
	read_until_close(fd, response, sizeof response, 10);
	double took = wb_now() - start;
	CHECK_SYS(close(fd));
	cr_assert(took >= 0.9 && took < 5, "half a request was dropped after %.3f s", took);

	int status = stop_spawned(&s);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
}

static double cpu_seconds(pid_t pid)
{
	char path[64], text[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = CHECK_PTR(fopen(path, "r"));
	size_t n = fread(text, 1, sizeof text - 1, f);
	CHECK_SYS(fclose(f));
	text[n] = '\0';
	unsigned long user, sys;
	/* Fields 14 and 15, counted after the ")" that ends the command name. */
	cr_assert(sscanf(strrchr(text, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &user, &sys) == 2);
	return (double)(user + sys) / (double)sysconf(_SC_CLK_TCK);
}

Test(load, accept_survives_running_out_of_descriptors, .timeout = 30)
{
	struct spawned s;
	/* room for ~50 clients only: past its connection cap (--max-conns, by
	 * default 3/4 of the descriptor limit) the server sheds idle connections,
	 * and if descriptors still run out it pauses accept() for a moment */
	spawn_labserver(&s, NULL, NULL, 64);

	enum { CLIENTS = 120 };
	int fds[CLIENTS];
	for (int i = 0; i < CLIENTS; i++)
		fds[i] = connect_to(s.port);    /* the kernel queues what the server cannot take */
	wb_sleep(0.3);

	/* Out of descriptors, the server must wait, not spin on accept(). */
	double cpu_before = cpu_seconds(s.pid);
	wb_sleep(1.0);
	double cpu_used = cpu_seconds(s.pid) - cpu_before;
	cr_assert(cpu_used < 0.3, "server used %.2f s of CPU in 1 s while out of descriptors", cpu_used);

	for (int i = 0; i < CLIENTS; i++)
		CHECK_SYS(close(fds[i]));
	char response[4096];
	cr_assert_eq(raw_get(s.port, "/get", response, sizeof response), 200, "%s", response);
	cr_assert(stat_value(s.url, "accept_pauses") + stat_value(s.url, "connections_shed") >= 1,
		  "120 clients against 64 descriptors: the server neither shed connections nor "
		  "paused accepting");

	int status = stop_spawned(&s);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
}

/* --- The process: options, signals, the spawn helper ------------------------------------- */

Test(process, help_and_bad_options, .timeout = 20)
{
	char out[4096];
	int status = run_labserver("--help", out, sizeof out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "--help: status %d", status);
	cr_assert(strstr(out, "usage: labserver"), "%s", out);

	const char *bad[] = { "--bogus", "--port=70000", "--port=x", "--bind=nowhere", "stray" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		status = run_labserver(bad[i], out, sizeof out);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2, "%s: status %d", bad[i], status);
		cr_assert(strncmp(out, "labserver: ", 11) == 0 && strstr(out, "usage: labserver"),
			  "%s: %s", bad[i], out);
	}
}

Test(process, sigterm_exits_zero_promptly_with_work_pending, .timeout = 30)
{
	struct spawned s;
	spawn_labserver(&s, NULL, NULL, 0);
	const char *paths[] = { "/delay/9", "/hang", "/drip?duration=9&numbytes=9" };
	int fds[3];
	for (int i = 0; i < 3; i++) {
		char request[128];
		fds[i] = connect_to(s.port);
		snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", paths[i]);
		send_all(fds[i], request, strlen(request));
	}
	cr_assert(wait_for_in_flight(s.url, 3, 5) >= 0);

	double start = wb_now();
	CHECK_SYS(kill(s.pid, SIGTERM));
	int status = wait_exit(s.pid, 5);
	double took = wb_now() - start;
	/* Under ASan, a leak of anything pending would make this exit status 23. */
	cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "exit status %d after SIGTERM", status);
	cr_assert(took < 2, "took %.3f s to stop", took);
	for (int i = 0; i < 3; i++)
		CHECK_SYS(close(fds[i]));
	cr_assert(port_refuses(s.port));
}

Test(process, server_url_honours_explicit_url_and_lab_url, .timeout = 20)
{
	cr_assert_str_eq(wb_server_url("http://example.test:8080/"), "http://example.test:8080");
	cr_assert_str_eq(wb_server_url("http://example.test:8080"), "http://example.test:8080");
	CHECK_SYS(setenv("LAB_URL", "http://lab.test:9/", 1));
	cr_assert_str_eq(wb_server_url(NULL), "http://lab.test:9");
	cr_assert_str_eq(wb_server_url("http://x.test"), "http://x.test", "explicit beats LAB_URL");
	CHECK_SYS(unsetenv("LAB_URL"));
	/* None of that started a server: we have no child at all. */
	cr_assert(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

Test(process, stop_leaves_no_process_and_no_port, .timeout = 20)
{
	const char *base = wb_server_url(NULL);
	cr_assert_str_eq(wb_server_url(NULL), base, "a second call reuses the server");
	int port = url_port(base);
	pid_t pid = (pid_t)stat_value(base, "pid");

	wb_server_stop();
	wb_server_stop();       /* idempotent */
	cr_assert(kill(pid, 0) == -1 && errno == ESRCH, "server %d still exists", (int)pid);
	cr_assert(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "a zombie was left");
	cr_assert(port_refuses(port), "port %d still open", port);
}

/* Run `how` in a forked lab that started a server: where does the server go? */
enum lab_end { LAB_RETURNS, LAB_GETS_SIGTERM, LAB_GETS_SIGKILL, LAB_CHILD_EXITS };

static void lab_process(int report_fd, enum lab_end how)
{
	const char *base = wb_server_url(NULL);
	char line[160];
	int n = snprintf(line, sizeof line, "%s\n", base);
	if (how == LAB_CHILD_EXITS) {
		/* A child of the lab ends (running the atexit handlers it
		 * inherited): the lab's server must live on. */
		pid_t child = fork();
		if (child == 0)
			exit(0);
		waitpid(child, NULL, 0);
		struct wb_http_result res;
		char url[256];
		wb_url(url, sizeof url, base, "/get");
		if (wb_http_fetch(url, 5, &res, NULL) != 0)
			n = snprintf(line, sizeof line, "DEAD %s\n", res.error);
	}
	if (write(report_fd, line, (size_t)n) != n)
		_exit(3);
	if (how == LAB_RETURNS || how == LAB_CHILD_EXITS)
		exit(0);        /* the atexit handler stops the server */
	pause();                /* wait for the test to send the signal */
	_exit(4);
}

static void expect_server_gone_when(enum lab_end how)
{
	/* As a subreaper, this test inherits the server if the lab dies first,
	 * and can reap it, instead of leaving the zombie to init. */
	CHECK_SYS(prctl(PR_SET_CHILD_SUBREAPER, 1));
	int report[2];
	CHECK_SYS(pipe2(report, O_CLOEXEC));
	pid_t lab = CHECK_SYS(fork());
	if (lab == 0) {
		CHECK_SYS(close(report[0]));
		lab_process(report[1], how);
	}
	CHECK_SYS(close(report[1]));
	char line[256];
	read_line(report[0], line, sizeof line, 10);
	CHECK_SYS(close(report[0]));
	cr_assert(strncmp(line, "http://", 7) == 0, "the lab reported: %s", line);
	int port = url_port(line);

	if (how == LAB_GETS_SIGTERM || how == LAB_GETS_SIGKILL)
		CHECK_SYS(kill(lab, how == LAB_GETS_SIGTERM ? SIGTERM : SIGKILL));
	int status;
	CHECK_SYS(waitpid(lab, &status, 0));
	if (how == LAB_GETS_SIGTERM)
		cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
			  "the lab should still die of SIGTERM, status %d", status);
	else if (how == LAB_RETURNS || how == LAB_CHILD_EXITS)
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "lab status %d", status);

	if (how == LAB_GETS_SIGKILL) {
		/* SIGKILL runs no handler: the kernel's parent-death signal
		 * stops the orphaned server, a moment later. */
		pid_t reaped = 0;
		for (double start = wb_now(); reaped <= 0 && wb_now() - start < 3; wb_sleep(0.01))
			reaped = waitpid(-1, &status, WNOHANG);
		cr_assert(reaped > 0, "the server outlived its SIGKILLed lab");
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "the server should exit cleanly on its parent-death SIGTERM, status %d", status);
	}
	/* The other ways stop (and reap) the server before the lab is gone. */
	cr_assert(port_refuses(port), "the server on port %d outlived its lab", port);
	cr_assert(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "a process was left behind");
}

Test(process, server_stops_when_lab_returns, .timeout = 20)
{
	expect_server_gone_when(LAB_RETURNS);
}

Test(process, server_stops_when_lab_gets_sigterm, .timeout = 20)
{
	expect_server_gone_when(LAB_GETS_SIGTERM);
}

Test(process, server_stops_when_lab_is_killed, .timeout = 20)
{
	expect_server_gone_when(LAB_GETS_SIGKILL);
}

Test(process, child_of_lab_exiting_keeps_server, .timeout = 20)
{
	expect_server_gone_when(LAB_CHILD_EXITS);
}

Test(process, missing_server_program_is_a_clear_error, .timeout = 20)
{
	CHECK_SYS(setenv("LABSERVER", "/nonexistent/labserver", 1));
	CHECK_SYS(unsetenv("LAB_URL"));
	int err[2];
	CHECK_SYS(pipe2(err, O_CLOEXEC));
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		dup2(err[1], STDERR_FILENO);
		wb_server_url(NULL);
		_exit(0);
	}
	CHECK_SYS(close(err[1]));
	char out[1024];
	read_until_close(err[0], out, sizeof out, 5);
	CHECK_SYS(close(err[0]));
	int status = wait_exit(pid, 5);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
	cr_assert(strstr(out, "/nonexistent/labserver") && strstr(out, "No such file"), "%s", out);
	CHECK_SYS(unsetenv("LABSERVER"));
}
