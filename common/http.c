/* http.c - the libcurl helper every lab uses (see http.h). */
#include "http.h"
#include "checked.h"
#include "timing.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Connecting to a local server takes microseconds; if it takes seconds,
 * something is wrong, and waiting longer will not fix it. */
#define CONNECT_TIMEOUT_S 5.0

struct wb_http_client {
	CURL *easy;
	char curl_error[CURL_ERROR_SIZE];       /* curl writes its message here */
};

/* Where the body of one transfer goes: kept (grown as it arrives) or only counted. */
struct body_sink {
	int keep;
	char *data;
	size_t len, cap;
};

/* --- Initialisation -------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_process_once(void)
{
	/* A write to a connection the peer has closed raises SIGPIPE, whose
	 * default action kills the process without a word.  Ignored, the same
	 * write fails with EPIPE, which libcurl reports like any other error. */
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	CHECK_SYS(sigemptyset(&ignore.sa_mask));
	CHECK_SYS(sigaction(SIGPIPE, &ignore, NULL));

	/* curl_global_init is not thread-safe: it must run once, before any
	 * other libcurl call, which is exactly what pthread_once gives us. */
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		DIE("curl_global_init: %s", curl_easy_strerror(rc));
}

void wb_http_init(void)
{
	CHECK_PT(pthread_once(&init_once, init_process_once));
}

/* --- Small helpers ----------------------------------------------------------- */

/* curl_easy_setopt returns a CURLcode, not -1/errno, so CHECK_SYS does not fit. */
#define SETOPT(easy, option, value) do {                                     \
	CURLcode setopt_rc_ = curl_easy_setopt((easy), (option), (value));   \
	if (setopt_rc_ != CURLE_OK)                                          \
		DIE("curl_easy_setopt(%s): %s", #option,                     \
		    curl_easy_strerror(setopt_rc_));                         \
} while (0)

/* libcurl calls this with each piece of the body as it arrives. */
static size_t receive_body(char *piece, size_t size, size_t count, void *arg)
{
	struct body_sink *sink = arg;
	size_t n = size * count;

	if (sink->keep) {
		if (sink->len + n + 1 > sink->cap) {
			size_t cap = sink->cap ? sink->cap : 4096;
			while (cap < sink->len + n + 1)
				cap *= 2;
			sink->data = CHECK_PTR(realloc(sink->data, cap));
			sink->cap = cap;
		}
		memcpy(sink->data + sink->len, piece, n);
		sink->data[sink->len + n] = '\0';
	}
	sink->len += n;
	return n;       /* anything else would tell libcurl to abort */
}

/* --- Clients ------------------------------------------------------------------- */

struct wb_http_client *wb_http_client_new(double timeout_s)
{
	if (!isfinite(timeout_s) || timeout_s <= 0)
		DIE("wb_http_client_new: timeout %g s must be a positive number of seconds",
		    timeout_s);
	wb_http_init();

	struct wb_http_client *c = wb_xcalloc(1, sizeof *c);
	c->easy = curl_easy_init();
	if (c->easy == NULL)
		DIE("curl_easy_init failed");

	long total_ms = (long)ceil(timeout_s * 1000.0);
	long connect_ms = (long)ceil(fmin(timeout_s, CONNECT_TIMEOUT_S) * 1000.0);

	/* Without NOSIGNAL, libcurl may use SIGALRM to time out name lookups,
	 * and signals and threads do not mix. */
	SETOPT(c->easy, CURLOPT_NOSIGNAL, 1L);
	SETOPT(c->easy, CURLOPT_TIMEOUT_MS, total_ms);
	SETOPT(c->easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SETOPT(c->easy, CURLOPT_ERRORBUFFER, c->curl_error);
	SETOPT(c->easy, CURLOPT_WRITEFUNCTION, receive_body);
	SETOPT(c->easy, CURLOPT_USERAGENT, "concurrency-workbook/1.0");
	return c;
}

void wb_http_client_free(struct wb_http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->easy);     /* also closes its kept-alive connection */
	free(c);
}

/* Fill res->error with "GET <url>: <reason>", ending in "..." if cut short. */
static void describe_failure(struct wb_http_result *res, const char *url,
			     const char *reason)
{
	size_t cap = sizeof res->error;
	int n = snprintf(res->error, cap, "GET %s: %s", url, reason);
	if (n >= 0 && (size_t)n >= cap)
		memcpy(res->error + cap - 4, "...", 4);
}

int wb_http_get(struct wb_http_client *c, const char *url,
		struct wb_http_result *res, char **body)
{
	struct body_sink sink = { .keep = body != NULL };

	memset(res, 0, sizeof *res);
	if (body != NULL)
		*body = NULL;
	c->curl_error[0] = '\0';
	SETOPT(c->easy, CURLOPT_URL, url);
	SETOPT(c->easy, CURLOPT_WRITEDATA, &sink);

	double start = wb_now();
	CURLcode rc = curl_easy_perform(c->easy);
	res->seconds = wb_now() - start;
	res->bytes = sink.len;

	if (rc != CURLE_OK) {
		/* The error buffer has the specific story ("Connection refused",
		 * "Operation timed out after 1000 milliseconds ..."); the generic
		 * string is the fallback when libcurl left it empty. */
		describe_failure(res, url, c->curl_error[0] ? c->curl_error
							    : curl_easy_strerror(rc));
		free(sink.data);
		return -1;
	}

	CURLcode info_rc = curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &res->status);
	if (info_rc != CURLE_OK)
		DIE("curl_easy_getinfo(CURLINFO_RESPONSE_CODE): %s",
		    curl_easy_strerror(info_rc));

	if (res->status < 200 || res->status > 299) {
		char reason[32];
		snprintf(reason, sizeof reason, "HTTP %ld", res->status);
		describe_failure(res, url, reason);
		free(sink.data);
		return -1;
	}

	if (body != NULL)
		*body = sink.data ? sink.data : wb_xstrdup("");   /* empty body: "" */
	return 0;
}

int wb_http_fetch(const char *url, double timeout_s,
		  struct wb_http_result *res, char **body)
{
	struct wb_http_client *c = wb_http_client_new(timeout_s);
	int rc = wb_http_get(c, url, res, body);
	wb_http_client_free(c);
	return rc;
}

/* --- URLs ----------------------------------------------------------------------- */

void wb_url(char *dst, size_t cap, const char *base, const char *path_fmt, ...)
{
	size_t base_len = strlen(base);
	while (base_len > 0 && base[base_len - 1] == '/')
		base_len--;
	if (base_len >= cap)
		DIE("wb_url: base URL \"%s\" does not fit in %zu bytes", base, cap);
	memcpy(dst, base, base_len);

	va_list ap;
	va_start(ap, path_fmt);
	int n = vsnprintf(dst + base_len, cap - base_len, path_fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - base_len)
		DIE("wb_url: \"%.*s\" + \"%s\" does not fit in %zu bytes",
		    (int)base_len, base, path_fmt, cap);
}
