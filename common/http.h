/*
 * http.h - the one HTTP client every lab uses (a thin layer over libcurl).
 *
 * A client is one libcurl "easy handle".  Reusing it for many GETs reuses
 * its TCP connection (HTTP keep-alive), which is much cheaper than a new
 * connection per request: compare wb_http_get() on one client with
 * wb_http_fetch() in a loop, and watch connections_accepted in /stats.
 *
 * Threads: a client belongs to one thread at a time.  Different clients may
 * be used by different threads at once.  Call wb_http_init() before
 * starting threads (the other functions call it too, just in case).
 *
 * Every function here either succeeds, returns -1 with a message that
 * names the URL and the reason, or (for programming errors such as a bad
 * timeout or out of memory) dies with file:line.
 */
#ifndef WB_HTTP_H
#define WB_HTTP_H

#include <stddef.h>

/* No request of a lab may take longer than this: a dead server must not hang
 * the lab.  (One figure for every lab, passed to wb_http_fetch and
 * wb_http_client_new.) */
#define REQUEST_TIMEOUT_S 15.0

struct wb_http_result {
	long status;            /* HTTP status code, or 0 if no response came */
	size_t bytes;           /* body bytes received */
	double seconds;         /* wall time of the whole transfer (monotonic clock) */
	char error[256];        /* "" on success, else "GET <url>: <reason>" */
};

/* curl_global_init once (pthread_once); ignores SIGPIPE, so that writing to a
 * connection the server closed is an error return, not a dead process.
 * Call before creating threads (also called lazily). */
void wb_http_init(void);

/* One easy handle, reused: keep-alive.  One thread at a time. */
struct wb_http_client;

/* A client whose requests give up after timeout_s seconds (must be > 0).
 * Connecting alone gives up after 5 s, or timeout_s if that is smaller. */
struct wb_http_client *wb_http_client_new(double timeout_s);
void wb_http_client_free(struct wb_http_client *c);

/* GET url.  Returns 0 on a 2xx response; -1 otherwise, with res->error =
 * "GET <url>: <curl's message>" (no response) or "GET <url>: HTTP 503".
 * res is always filled in.
 * body: if non-NULL, *body receives a malloc'd NUL-terminated copy of the
 * body on success (caller frees) and NULL on failure; if body is NULL the
 * body is counted and dropped. */
int wb_http_get(struct wb_http_client *c, const char *url,
		struct wb_http_result *res, char **body);

/* One-shot: a fresh handle (so a new connection) for one GET; as wb_http_get. */
int wb_http_fetch(const char *url, double timeout_s,
		  struct wb_http_result *res, char **body);

/* Build base + formatted path into dst, e.g.
 *     wb_url(buf, sizeof buf, base, "/delay/%g", 0.5);
 * A trailing '/' on base is dropped so that "/" is not doubled.
 * Dies if the result does not fit in cap bytes. */
void wb_url(char *dst, size_t cap, const char *base, const char *path_fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
