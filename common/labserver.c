/*
 * labserver.c - the workbook's local httpbin-compatible server.
 *
 *     labserver [--port N] [--bind ADDR] [--idle-timeout S] [--help]
 *
 * The labs send their requests here instead of to the Internet, so that
 * every experiment is repeatable, fast, and works offline.  The first line
 * on stdout is the base URL (http://127.0.0.1:PORT); wb_server_url() in
 * server.c starts this program and reads that line.
 *
 * It is also a worked example of an *event-loop* server, which a later part
 * of the course takes apart.  The whole server is one thread running one
 * libevent loop.  Nothing here ever blocks: a request for /delay/5 does not
 * sleep for five seconds, it sets a timer and returns to the loop at once,
 * so ten thousand clients can be waiting at the same time on one thread.
 * And because only that one thread ever touches the server's state (the
 * statistics, the list of pending requests), none of it needs a lock.
 *
 * A request's life:
 *
 *   evhttp parses it  ->  route_request() picks a handler from the routes[]
 *   table  ->  the handler either answers at once (answer()), or makes a
 *   "pending" request with a timer (/delay, /hang, /drip) and returns.  When
 *   the timer fires, the pending request is answered; if instead the client
 *   hangs up first, on_client_gone() cleans up.  Either way it is finished
 *   exactly once, and /stats counts it as in flight until then.
 *
 * Endpoints (JSON unless noted; shaped like httpbin's):
 *   GET /get                 echo: args, headers, origin, url
 *   GET /delay/{s}           the same, after s seconds (0..10)
 *   ANY /status/{code}       an empty reply with that status (100..599)
 *   GET /bytes/{n}[?seed=K]  n random bytes (n <= 1 MiB); seed makes them repeatable
 *   GET /drip?duration=&numbytes=&delay=&code=   bytes paced over duration seconds
 *   GET /stream/{n}          n JSON lines (n <= 100), chunked
 *   ANY /anything[/...]      echo, with method and body ("data")
 *   GET /hang                never answers (gives up with 504 after 60 s)
 *   GET /stats               counters: requests, connections, in flight, lateness
 *   GET /stats/reset         the same, then reset the peak and the lateness
 */
#include "checked.h"
#include "timing.h"
#include "cpuwork.h"
#include "json.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* --- Limits ------------------------------------------------------------------ */

#define MAX_DELAY_S             10.0    /* /delay/{s}, /drip's delay and duration */
#define HANG_CAP_S              60.0    /* /hang gives up after this */
#define MAX_BYTES               1048576 /* /bytes/{n}, /drip's numbytes */
#define MAX_STREAM_LINES        100     /* /stream/{n} */
#define MAX_DRIP_PIECES         1000    /* /drip sends at most this many pieces */
#define MAX_HEADERS_SIZE        8192    /* request line + headers, bytes */
#define MAX_BODY_SIZE           MAX_BYTES
#define LISTEN_BACKLOG          4096
#define DEFAULT_IDLE_TIMEOUT_S  30
#define ACCEPT_PAUSE_MS         100     /* after accept() runs out of descriptors */
#define PENDING_READ_LIMIT      65536   /* bytes buffered from a client that waits */

/* Event priorities (lower runs first); see server_start(). */
enum { PRIORITY_TIMER = 0, PRIORITY_IO = 1, PRIORITIES = 2 };

/* --- The server's state ---------------------------------------------------------- */

/* What /stats reports.  Only the event-loop thread touches these: no locks. */
struct stats {
	long requests_served;           /* replies finished (every endpoint but /stats) */
	long requests_abandoned;        /* clients that left before their reply */
	long connections_accepted;
	long in_flight;                 /* requests received, reply not yet finished */
	long peak_in_flight;            /* the most in flight at once (since reset) */
	double worst_lateness_ms;       /* latest timer, firing time - due time (since reset) */
	long accept_pauses;             /* times accept() ran out of descriptors */
};

struct pending;

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *listener;        /* owned by http once bound */
	struct event *accept_resume;            /* re-enables the listener after a pause */
	struct event *on_sigint, *on_sigterm;
	struct timeval idle_timeout;
	struct pending *pending;                /* every request we still owe a reply */
	struct stats stats;
	double started;                         /* monotonic seconds */
	uint64_t random_state;                  /* for /bytes without ?seed= */
};

/* A request answered later, from a timer: /delay, /hang and /drip. */
struct pending {
	struct server *server;
	struct evhttp_request *req;
	struct event *timer;
	double due;                             /* when the timer should fire (monotonic s) */
	void (*on_timer)(struct pending *);     /* what to do when it does */
	struct pending *prev, *next;            /* in server->pending */

	/* /drip only: the body goes out in pieces at start + i * interval. */
	int code;
	size_t bytes_total, bytes_sent;
	unsigned pieces_total, pieces_sent;
	double body_start, interval;
};

/* --- Small checked helpers ----------------------------------------------------------- */

static struct timeval seconds_to_timeval(double seconds)
{
	if (seconds < 0)
		seconds = 0;
	struct timeval tv;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	return tv;
}

static struct evbuffer *new_buffer(void)
{
	return CHECK_PTR(evbuffer_new());
}

/* evbuffer_add_printf returns -1 when out of memory, like printf on error. */
__attribute__((format(printf, 2, 3)))
static void out_printf(struct evbuffer *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0)
		DIE("evbuffer_add_vprintf: out of memory");
}

static void out_add(struct evbuffer *out, const void *data, size_t len)
{
	CHECK_SYS(evbuffer_add(out, data, len));
}

/* A string constant's bytes, without printf scanning it for conversions. */
#define out_literal(out, text) out_add((out), (text), sizeof(text) - 1)

static void emit_to_buffer(void *out, const char *piece, size_t n)
{
	out_add(out, piece, n);
}

/* len bytes as a JSON string, quoted and escaped straight into out. */
static void out_string_n(struct evbuffer *out, const char *s, size_t len)
{
	out_literal(out, "\"");
	wb_json_escape(s, len, emit_to_buffer, out);
	out_literal(out, "\"");
}

static void out_string(struct evbuffer *out, const char *s)
{
	out_string_n(out, s, strlen(s));
}

static void set_header(struct evhttp_request *req, const char *name, const char *value)
{
	CHECK_SYS(evhttp_add_header(evhttp_request_get_output_headers(req), name, value));
}

/* --- Counting requests ------------------------------------------------------------- */

static void request_started(struct server *s)
{
	s->stats.in_flight++;
	if (s->stats.in_flight > s->stats.peak_in_flight)
		s->stats.peak_in_flight = s->stats.in_flight;
}

static void request_finished(struct server *s)
{
	s->stats.in_flight--;
	s->stats.requests_served++;
}

static void request_abandoned(struct server *s)
{
	s->stats.in_flight--;
	s->stats.requests_abandoned++;
}

/* --- Replies ------------------------------------------------------------------------ */

/* Send a complete reply and count the request as finished.  body may be NULL. */
static void answer(struct server *s, struct evhttp_request *req, int code,
		   struct evbuffer *body)
{
	evhttp_send_reply(req, code, NULL, body);  /* NULL: the standard reason phrase */
	if (body != NULL)
		evbuffer_free(body);
	request_finished(s);
}

/* {"error": "..."} with the given status: the answer to every bad request. */
__attribute__((format(printf, 4, 5)))
static void answer_error(struct server *s, struct evhttp_request *req, int code,
			 const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);

	struct evbuffer *body = new_buffer();
	out_literal(body, "{\"error\":");
	out_string(body, message);
	out_printf(body, ",\"status\":%d}\n", code);
	answer(s, req, code, body);
}

/* --- Reading the request ------------------------------------------------------------ */

/* The request's path without the query, e.g. "/delay/2" (NULL if it has none). */
static const char *request_path(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	return uri ? evhttp_uri_get_path(uri) : NULL;
}

/* Parse the query string into args (the caller clears it).  -1 if malformed. */
static int parse_args(struct evhttp_request *req, struct evkeyvalq *args)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	return evhttp_parse_query_str(query ? query : "", args);
}

static const char *method_name(enum evhttp_cmd_type method)
{
	switch (method) {
	case EVHTTP_REQ_GET:     return "GET";
	case EVHTTP_REQ_POST:    return "POST";
	case EVHTTP_REQ_HEAD:    return "HEAD";
	case EVHTTP_REQ_PUT:     return "PUT";
	case EVHTTP_REQ_DELETE:  return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE:   return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH:   return "PATCH";
	}
	return "UNKNOWN";
}

/* "user-agent" -> "User-Agent", in place: httpbin shows header names so. */
static void title_case(char *name)
{
	int start_of_word = 1;
	for (char *p = name; *p; p++) {
		*p = start_of_word ? (char)toupper((unsigned char)*p)
				   : (char)tolower((unsigned char)*p);
		start_of_word = (*p == '-');
	}
}

static void out_header_name(struct evbuffer *out, const char *name)
{
	char small[64];
	size_t len = strlen(name);
	char *copy = len < sizeof small ? small : wb_xcalloc(len + 1, 1);
	memcpy(copy, name, len + 1);
	title_case(copy);
	out_string_n(out, copy, len);
	if (copy != small)
		free(copy);
}

/* A JSON object of name/value pairs (query args or headers).  A repeated
 * name appears twice, which JSON allows and httpbin would make a list. */
static void out_pairs(struct evbuffer *out, const struct evkeyvalq *pairs, int title_case_names)
{
	out_literal(out, "{");
	for (const struct evkeyval *kv = pairs->tqh_first; kv; kv = kv->next.tqe_next) {
		if (kv != pairs->tqh_first)
			out_literal(out, ",");
		if (title_case_names)
			out_header_name(out, kv->key);
		else
			out_string(out, kv->key);
		out_literal(out, ":");
		out_string(out, kv->value);
	}
	out_literal(out, "}");
}

/* The client's address, as httpbin's "origin". */
static const char *peer_address(struct evhttp_request *req)
{
	char *address = NULL;
	ev_uint16_t port;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (conn != NULL)
		evhttp_connection_get_peer(conn, &address, &port);
	return address ? address : "";
}

/* The URL the client asked for, as httpbin's "url": http://<Host header><uri>. */
static void out_request_url(struct evbuffer *out, struct evhttp_request *req)
{
	const char *uri = evhttp_request_get_uri(req);
	out_literal(out, "\"");
	if (strncmp(uri, "http://", 7) != 0) {         /* not already absolute */
		const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
		if (host == NULL)
			host = "localhost";
		out_literal(out, "http://");
		wb_json_escape(host, strlen(host), emit_to_buffer, out);
	}
	wb_json_escape(uri, strlen(uri), emit_to_buffer, out);
	out_literal(out, "\"");
}

/* "args", "headers", "origin" and "url", as httpbin's /get has them. */
static void out_echo_fields(struct evbuffer *out, struct evhttp_request *req,
			    const struct evkeyvalq *args)
{
	out_literal(out, "\"args\":");
	out_pairs(out, args, 0);
	out_literal(out, ",\"headers\":");
	out_pairs(out, evhttp_request_get_input_headers(req), 1);
	out_literal(out, ",\"origin\":");
	out_string(out, peer_address(req));
	out_literal(out, ",\"url\":");
	out_request_url(out, req);
}

/* The whole /get body: {"args":...,"headers":...,"origin":...,"url":...}. */
static struct evbuffer *echo_body(struct evhttp_request *req, const struct evkeyvalq *args)
{
	struct evbuffer *body = new_buffer();
	out_literal(body, "{");
	out_echo_fields(body, req, args);
	out_literal(body, "}\n");
	return body;
}

/* --- Checking numbers from the client ------------------------------------------------ */

/* Seconds in [0, max].  Only plain decimal numbers pass: strtod alone would
 * also take "nan", "inf", "0x1p4" and leading spaces. */
static int parse_seconds(const char *text, double max, double *out)
{
	if (*text == '\0' || text[strspn(text, "0123456789.eE+-")] != '\0')
		return -1;
	char *end;
	double value = strtod(text, &end);
	if (*end != '\0' || !isfinite(value) || value < 0 || value > max)
		return -1;
	*out = value;
	return 0;
}

/* A whole number in [min, max], digits only (so no sign, no spaces). */
static int parse_count(const char *text, long min, long max, long *out)
{
	size_t digits = strspn(text, "0123456789");
	if (digits == 0 || text[digits] != '\0' || digits > 12)
		return -1;
	long value = strtol(text, NULL, 10);
	if (value < min || value > max)
		return -1;
	*out = value;
	return 0;
}

static int parse_seed(const char *text, uint64_t *out)
{
	size_t digits = strspn(text, "0123456789");
	if (digits == 0 || text[digits] != '\0')
		return -1;
	errno = 0;
	unsigned long long value = strtoull(text, NULL, 10);
	if (errno == ERANGE)
		return -1;
	*out = value;
	return 0;
}

/* --- Pending requests: answered later, from a timer ----------------------------------- */

static void on_pending_timer(evutil_socket_t fd, short what, void *arg);
static void on_client_gone(struct evhttp_connection *conn, void *arg);

static struct bufferevent *request_bufferevent(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (conn == NULL)
		DIE("bug: a pending request lost its connection unnoticed");
	return evhttp_connection_get_bufferevent(conn);
}

/* The reply to a pending request is all sent: its connection is ordinary again. */
static void back_to_io_priority(struct evhttp_request *req, void *unused)
{
	(void)unused;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evhttp_request_get_connection(req));
	if (bufferevent_priority_set(bev, PRIORITY_IO) != 0) {
		/* One of its events is queued to run right now (the client's
		 * next request, say), so libevent refuses.  The connection keeps
		 * the timer priority; harmless: its I/O just runs a little early. */
	}
}

/*
 * Noticing a client that leaves while we make it wait.
 *
 * Once evhttp has read a request it stops reading from the connection until
 * the reply has been sent.  On its own, then, it would notice a client that
 * hung up only when we finally write the reply: for /hang a minute later,
 * with the request counted as in flight all that time.  So while a request
 * is pending we switch reading back on, with no read callback: we do not
 * want the data (a pipelined next request just waits in the buffer), only
 * the end of file.  When the client closes, evhttp's own event callback sees
 * the EOF, detaches the request from the connection (from then on the
 * request is ours to free) and frees the connection, calling its close
 * callback, on_client_gone(), on the way.
 */
static void watch_for_client_close(struct pending *p)
{
	struct server *s = p->server;
	struct bufferevent *bev = request_bufferevent(p->req);

	bufferevent_data_cb on_write;
	bufferevent_event_cb on_event;
	void *arg;
	bufferevent_getcb(bev, NULL, &on_write, &on_event, &arg);
	bufferevent_setcb(bev, NULL, on_write, on_event, arg);

	/* Reading would also arm the idle read timeout, and a waiting client
	 * rightly sends nothing: without this, --idle-timeout would cut a
	 * legitimate /delay/10 or /hang short.  Writes keep their timeout. */
	CHECK_SYS(bufferevent_set_timeouts(bev, NULL, &s->idle_timeout));
	/* Buffer at most this much from a client that talks while it waits. */
	bufferevent_setwatermark(bev, EV_READ, 0, PENDING_READ_LIMIT);
	CHECK_SYS(bufferevent_enable(bev, EV_READ));
	/* The reply is written by this connection's events, not by the timer:
	 * give them the timer's priority too (see server_start()), so that a
	 * reply goes out when its timer fires, not after all the queued I/O.
	 * libevent refuses while one of them is queued to run (a pipelined
	 * request, say); then this reply is merely less prompt. */
	if (bufferevent_priority_set(bev, PRIORITY_TIMER) == 0)
		evhttp_request_set_on_complete_cb(p->req, back_to_io_priority, NULL);

	evhttp_connection_set_closecb(evhttp_request_get_connection(p->req),
				      on_client_gone, p);
}

/* Undo watch_for_client_close(), just before the final reply.  The close
 * callback must go first: sending the reply may free the connection at
 * once (Connection: close), and that must not look like a client leaving. */
static void stop_watching(struct pending *p)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(p->req);
	struct bufferevent *bev = request_bufferevent(p->req);

	evhttp_connection_set_closecb(conn, NULL, NULL);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	evhttp_connection_set_timeout_tv(conn, &p->server->idle_timeout);
	/* evhttp restores its own read callback when it reads the next request. */
}

static struct pending *pending_new(struct server *s, struct evhttp_request *req,
				   void (*on_timer)(struct pending *))
{
	struct pending *p = wb_xcalloc(1, sizeof *p);
	p->server = s;
	p->req = req;
	p->on_timer = on_timer;
	p->timer = CHECK_PTR(evtimer_new(s->base, on_pending_timer, p));
	CHECK_SYS(event_priority_set(p->timer, PRIORITY_TIMER));

	p->next = s->pending;
	if (s->pending != NULL)
		s->pending->prev = p;
	s->pending = p;

	watch_for_client_close(p);
	return p;
}

/* Forget p (its request is finished or gone; that is the caller's business). */
static void pending_free(struct pending *p)
{
	struct server *s = p->server;
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		s->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	event_free(p->timer);
	free(p);
}

/* Run p->on_timer at monotonic time `at`. */
static void schedule(struct pending *p, double at)
{
	/* libevent measures a relative timeout from the time it cached when
	 * this loop iteration began.  Under load that can be milliseconds ago,
	 * and the timer would fire that much early; refresh it first. */
	CHECK_SYS(event_base_update_cache_time(p->server->base));
	struct timeval wait = seconds_to_timeval(at - wb_now());
	p->due = at;
	CHECK_SYS(evtimer_add(p->timer, &wait));
}

static void on_pending_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pending *p = arg;
	struct stats *stats = &p->server->stats;

	/* How late is the loop?  A timer fires late when the one thread is busy
	 * with other callbacks; this is the figure that says so. */
	double late_ms = (wb_now() - p->due) * 1e3;
	if (late_ms > stats->worst_lateness_ms)
		stats->worst_lateness_ms = late_ms;

	p->on_timer(p);
}

/* The final reply for a pending request: answer it, then forget it. */
static void pending_answer(struct pending *p, int code, struct evbuffer *body)
{
	stop_watching(p);
	answer(p->server, p->req, code, body);
	pending_free(p);
}

/*
 * The connection of a pending request is going away: evhttp calls this from
 * evhttp_connection_free().  When the client hung up, evhttp has already
 * detached the request from the connection, so freeing it is our job, and
 * this is the only place that does it.  (At shutdown the request is still
 * attached, and evhttp frees it along with the connection.)
 */
static void on_client_gone(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	struct pending *p = arg;

	if (evhttp_request_get_connection(p->req) == NULL)
		evhttp_request_free(p->req);
	request_abandoned(p->server);
	pending_free(p);
}

/* --- Endpoints ------------------------------------------------------------------------ */

/* Every handler gets `rest`: what follows its route's prefix ("2" for /delay/2). */

static void handle_get(struct server *s, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	struct evkeyvalq args;
	if (parse_args(req, &args) < 0) {
		answer_error(s, req, 400, "malformed query string");
		return;
	}
	answer(s, req, 200, echo_body(req, &args));
	evhttp_clear_headers(&args);
}

/* /delay/{s}: the /get reply, s seconds later, from a timer. */
static void delay_done(struct pending *p)
{
	struct evkeyvalq args;
	if (parse_args(p->req, &args) < 0)
		DIE("bug: the query parsed when the request came, but not now");
	struct evbuffer *body = echo_body(p->req, &args);
	evhttp_clear_headers(&args);
	pending_answer(p, 200, body);
}

static void handle_delay(struct server *s, struct evhttp_request *req, const char *rest)
{
	double seconds;
	if (parse_seconds(rest, MAX_DELAY_S, &seconds) < 0) {
		answer_error(s, req, 400, "delay must be a number of seconds from 0 to %g, not \"%s\"",
			     MAX_DELAY_S, rest);
		return;
	}
	struct evkeyvalq args;
	if (parse_args(req, &args) < 0) {
		answer_error(s, req, 400, "malformed query string");
		return;
	}
	evhttp_clear_headers(&args);

	struct pending *p = pending_new(s, req, delay_done);
	schedule(p, wb_now() + seconds);
}

/* /hang: never answer; the client is meant to give up first.  The cap only
 * makes sure a forgotten client cannot hold a request for ever. */
static void hang_done(struct pending *p)
{
	struct evbuffer *body = new_buffer();
	out_printf(body, "{\"error\":\"/hang gave up after %g s\",\"status\":504}\n", HANG_CAP_S);
	pending_answer(p, 504, body);
}

static void handle_hang(struct server *s, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	struct pending *p = pending_new(s, req, hang_done);
	schedule(p, wb_now() + HANG_CAP_S);
}

/* /status/{code}: that status and an empty body.  A 1xx status is only an
 * interim answer in HTTP, so a client will go on waiting for the real one:
 * that is the protocol working, not the server hanging. */
static void handle_status(struct server *s, struct evhttp_request *req, const char *rest)
{
	long code;
	if (parse_count(rest, 100, 599, &code) < 0) {
		answer_error(s, req, 400, "status must be an integer from 100 to 599, not \"%s\"", rest);
		return;
	}
	answer(s, req, (int)code, NULL);
}

/* Random bytes come from wb_splitmix64 (cpuwork.h), not rand(): rand's sequence
 * differs between C libraries, and a seed must give the same bytes anywhere. */
static void add_random_bytes(struct evbuffer *out, size_t n, uint64_t seed)
{
	struct evbuffer_iovec space;
	if (n == 0)
		return;
	/* One extent: ask for n contiguous bytes and fill them in place. */
	if (evbuffer_reserve_space(out, (ev_ssize_t)n, &space, 1) != 1)
		DIE("evbuffer_reserve_space(%zu): out of memory", n);
	unsigned char *bytes = space.iov_base;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t word = wb_splitmix64(&seed);
		size_t take = n - i < 8 ? n - i : 8;
		memcpy(bytes + i, &word, take);
	}
	space.iov_len = n;
	CHECK_SYS(evbuffer_commit_space(out, &space, 1));
}

static void handle_bytes(struct server *s, struct evhttp_request *req, const char *rest)
{
	long n;
	if (parse_count(rest, 0, MAX_BYTES, &n) < 0) {
		answer_error(s, req, 400, "bytes must be an integer from 0 to %d, not \"%s\"",
			     MAX_BYTES, rest);
		return;
	}
	struct evkeyvalq args;
	if (parse_args(req, &args) < 0) {
		answer_error(s, req, 400, "malformed query string");
		return;
	}
	const char *seed_text = evhttp_find_header(&args, "seed");
	uint64_t seed = wb_splitmix64(&s->random_state);
	if (seed_text != NULL && parse_seed(seed_text, &seed) < 0) {
		answer_error(s, req, 400, "seed must be an unsigned integer, not \"%s\"", seed_text);
		evhttp_clear_headers(&args);
		return;
	}
	evhttp_clear_headers(&args);

	struct evbuffer *body = new_buffer();
	add_random_bytes(body, (size_t)n, seed);
	set_header(req, "Content-Type", "application/octet-stream");
	answer(s, req, 200, body);
}

/*
 * /drip: the headers after `delay`, then numbytes bytes spread evenly over
 * `duration`, so that the body ends at delay + duration.  The length is
 * known up front, so it goes in Content-Length and the body is sent as it
 * is (not chunked); the pieces are just written slowly.  Each piece is
 * timed from the start of the body, not from the previous piece, so that
 * lateness does not add up.
 */
static void drip_next_piece(struct pending *p);

static void drip_finish(struct pending *p)
{
	struct server *s = p->server;
	stop_watching(p);
	evhttp_send_reply_end(p->req);
	request_finished(s);
	pending_free(p);
}

static void drip_start_body(struct pending *p)
{
	char length[32];
	snprintf(length, sizeof length, "%zu", p->bytes_total);
	set_header(p->req, "Content-Type", "application/octet-stream");
	set_header(p->req, "Content-Length", length);   /* and so: not chunked */
	evhttp_send_reply_start(p->req, p->code, NULL);

	if (p->pieces_total == 0) {
		drip_finish(p);
		return;
	}
	p->body_start = p->due;
	p->on_timer = drip_next_piece;
	schedule(p, p->body_start + p->interval);
}

static void drip_next_piece(struct pending *p)
{
	/* Piece i brings the total to bytes_total * (i+1) / pieces_total. */
	p->pieces_sent++;
	size_t target = (size_t)((double)p->bytes_total * p->pieces_sent / p->pieces_total);
	if (p->pieces_sent == p->pieces_total)
		target = p->bytes_total;

	char stars[1024];
	memset(stars, '*', sizeof stars);
	struct evbuffer *piece = new_buffer();
	while (p->bytes_sent < target) {
		size_t n = target - p->bytes_sent < sizeof stars ? target - p->bytes_sent : sizeof stars;
		out_add(piece, stars, n);
		p->bytes_sent += n;
	}
	evhttp_send_reply_chunk(p->req, piece);         /* just the bytes: no chunk framing */
	evbuffer_free(piece);

	if (p->pieces_sent == p->pieces_total)
		drip_finish(p);
	else
		schedule(p, p->body_start + (p->pieces_sent + 1) * p->interval);
}

/* One /drip parameter, if given: 0 if absent or good, -1 after answering 400. */
static int drip_seconds(struct server *s, struct evhttp_request *req,
			const struct evkeyvalq *args, const char *name, double *value)
{
	const char *text = evhttp_find_header(args, name);
	if (text == NULL || parse_seconds(text, MAX_DELAY_S, value) == 0)
		return 0;
	answer_error(s, req, 400, "%s must be a number of seconds from 0 to %g, not \"%s\"",
		     name, MAX_DELAY_S, text);
	return -1;
}

static int drip_count(struct server *s, struct evhttp_request *req,
		      const struct evkeyvalq *args, const char *name, long min, long max, long *value)
{
	const char *text = evhttp_find_header(args, name);
	if (text == NULL || parse_count(text, min, max, value) == 0)
		return 0;
	answer_error(s, req, 400, "%s must be an integer from %ld to %ld, not \"%s\"",
		     name, min, max, text);
	return -1;
}

static void handle_drip(struct server *s, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	double duration = 2, delay = 0;         /* httpbin's defaults */
	long numbytes = 10, code = 200;
	struct evkeyvalq args;
	if (parse_args(req, &args) < 0) {
		answer_error(s, req, 400, "malformed query string");
		return;
	}
	int bad = drip_seconds(s, req, &args, "duration", &duration) ||
		  drip_count(s, req, &args, "numbytes", 0, MAX_BYTES, &numbytes) ||
		  drip_seconds(s, req, &args, "delay", &delay) ||
		  drip_count(s, req, &args, "code", 200, 599, &code);
	evhttp_clear_headers(&args);
	if (bad)
		return;
	if (code == 204 || code == 304) {
		answer_error(s, req, 400, "code %ld cannot have a body, and /drip sends one", code);
		return;
	}

	struct pending *p = pending_new(s, req, drip_start_body);
	p->code = (int)code;
	p->bytes_total = (size_t)numbytes;
	p->pieces_total = numbytes < MAX_DRIP_PIECES ? (unsigned)numbytes : MAX_DRIP_PIECES;
	p->interval = p->pieces_total ? duration / p->pieces_total : 0;
	schedule(p, wb_now() + delay);
}

/* /stream/{n}: n JSON lines, sent as n chunks of a chunked reply. */
static void handle_stream(struct server *s, struct evhttp_request *req, const char *rest)
{
	long lines;
	if (parse_count(rest, 0, MAX_STREAM_LINES, &lines) < 0) {
		answer_error(s, req, 400, "stream must be an integer from 0 to %d lines, not \"%s\"",
			     MAX_STREAM_LINES, rest);
		return;
	}
	struct evkeyvalq args;
	if (parse_args(req, &args) < 0) {
		answer_error(s, req, 400, "malformed query string");
		return;
	}
	/* No Content-Length: for HTTP/1.1, evhttp then sends it chunked. */
	evhttp_send_reply_start(req, 200, NULL);
	struct evbuffer *line = new_buffer();
	for (long id = 0; id < lines; id++) {
		out_printf(line, "{\"id\":%ld,", id);
		out_echo_fields(line, req, &args);
		out_literal(line, "}\n");
		evhttp_send_reply_chunk(req, line);     /* moves the data out of line */
	}
	evbuffer_free(line);
	evhttp_clear_headers(&args);
	evhttp_send_reply_end(req);
	request_finished(s);
}

/* /anything: echo everything, method and body included. */
static void handle_anything(struct server *s, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	struct evkeyvalq args;
	if (parse_args(req, &args) < 0) {
		answer_error(s, req, 400, "malformed query string");
		return;
	}
	struct evbuffer *input = evhttp_request_get_input_buffer(req);
	size_t length = evbuffer_get_length(input);
	const char *data = length ? (const char *)evbuffer_pullup(input, -1) : "";
	if (data == NULL)
		DIE("evbuffer_pullup(%zu bytes): out of memory", length);

	struct evbuffer *body = new_buffer();
	out_literal(body, "{");
	out_echo_fields(body, req, &args);
	out_literal(body, ",\"data\":");
	out_string_n(body, data, length);
	out_printf(body, ",\"method\":\"%s\"}\n", method_name(evhttp_request_get_command(req)));
	evhttp_clear_headers(&args);
	answer(s, req, 200, body);
}

static void out_stats(struct evbuffer *out, const struct server *s)
{
	const struct stats *st = &s->stats;
	out_printf(out,
		   "{\"requests_served\":%ld,\"connections_accepted\":%ld,"
		   "\"in_flight\":%ld,\"peak_in_flight\":%ld,\"worst_lateness_ms\":%.3f,"
		   "\"requests_abandoned\":%ld,\"accept_pauses\":%ld,"
		   "\"uptime_s\":%.3f,\"pid\":%ld}\n",
		   st->requests_served, st->connections_accepted, st->in_flight,
		   st->peak_in_flight, st->worst_lateness_ms, st->requests_abandoned,
		   st->accept_pauses, wb_now() - s->started, (long)getpid());
}

/* /stats is not counted in its own figures: a lab reading them should see
 * its own requests, not the act of looking. */
static void handle_stats(struct server *s, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	struct evbuffer *body = new_buffer();
	out_stats(body, s);
	evhttp_send_reply(req, 200, NULL, body);
	evbuffer_free(body);
}

/* /stats/reset: the figures so far, then start a new experiment: the peak
 * starts again from what is in flight now, the lateness from zero. */
static void handle_stats_reset(struct server *s, struct evhttp_request *req, const char *rest)
{
	handle_stats(s, req, rest);
	s->stats.peak_in_flight = s->stats.in_flight;
	s->stats.worst_lateness_ms = 0;
}

static void handle_index(struct server *s, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	struct evbuffer *body = new_buffer();
	out_literal(body, "{\"endpoints\":[\"/get\",\"/delay/{s}\",\"/status/{code}\","
		   "\"/bytes/{n}?seed=\",\"/drip?duration=&numbytes=&delay=&code=\","
		   "\"/stream/{n}\",\"/anything\",\"/hang\",\"/stats\",\"/stats/reset\"]}\n");
	answer(s, req, 200, body);
}

/* --- Routing ----------------------------------------------------------------------------- */

enum { GET_ONLY = 0, ANY_METHOD = 1 };
enum { COUNTED = 1, NOT_COUNTED = 0 };

struct route {
	const char *path;       /* exact, or a prefix if it ends in '/' */
	int methods;            /* GET_ONLY (GET and HEAD) or ANY_METHOD */
	int counted;            /* counts in /stats (everything but /stats itself) */
	void (*handle)(struct server *, struct evhttp_request *, const char *rest);
};

static const struct route routes[] = {
	{ "/",            GET_ONLY,   COUNTED,     handle_index },
	{ "/get",         GET_ONLY,   COUNTED,     handle_get },
	{ "/delay/",      GET_ONLY,   COUNTED,     handle_delay },
	{ "/status/",     ANY_METHOD, COUNTED,     handle_status },
	{ "/bytes/",      GET_ONLY,   COUNTED,     handle_bytes },
	{ "/drip",        GET_ONLY,   COUNTED,     handle_drip },
	{ "/stream/",     GET_ONLY,   COUNTED,     handle_stream },
	{ "/anything",    ANY_METHOD, COUNTED,     handle_anything },
	{ "/anything/",   ANY_METHOD, COUNTED,     handle_anything },
	{ "/hang",        GET_ONLY,   COUNTED,     handle_hang },
	{ "/stats",       GET_ONLY,   NOT_COUNTED, handle_stats },
	{ "/stats/reset", GET_ONLY,   NOT_COUNTED, handle_stats_reset },
};

/* The route for path, with *rest set to what follows a prefix; NULL if none. */
static const struct route *find_route(const char *path, const char **rest)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const struct route *r = &routes[i];
		size_t len = strlen(r->path);
		int is_prefix = len > 1 && r->path[len - 1] == '/';
		if (is_prefix ? strncmp(path, r->path, len) == 0 : strcmp(path, r->path) == 0) {
			*rest = path + len;
			return r;
		}
	}
	return NULL;
}

static int method_allowed(const struct route *r, struct evhttp_request *req)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	return r->methods == ANY_METHOD || method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD;
}

/* evhttp calls this for every request it has read in full. */
static void route_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	const char *path = request_path(req);
	const char *rest = "";
	const struct route *r = path ? find_route(path, &rest) : NULL;

	if (r != NULL && !r->counted && method_allowed(r, req)) {
		r->handle(s, req, rest);        /* /stats: not in its own figures */
		return;
	}
	request_started(s);
	if (r == NULL) {
		answer_error(s, req, 404, "no such endpoint: %s (GET / lists them)",
			     path ? path : "(none)");
	} else if (!method_allowed(r, req)) {
		set_header(req, "Allow", "GET, HEAD");
		answer_error(s, req, 405, "%s takes GET or HEAD, not %s", r->path,
			     method_name(evhttp_request_get_command(req)));
	} else {
		r->handle(s, req, rest);
	}
}

/* --- Connections ---------------------------------------------------------------------- */

/* evhttp asks us for each new connection's bufferevent.  That makes it the
 * one place where evhttp tells us a connection was accepted: count it. */
static struct bufferevent *new_connection_bufferevent(struct event_base *base, void *arg)
{
	struct server *s = arg;
	s->stats.connections_accepted++;
	return CHECK_PTR(bufferevent_socket_new(base, -1, 0));  /* evhttp sets the fd */
}

static void resume_accepting(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct server *s = arg;
	CHECK_SYS(evconnlistener_enable(s->listener));
}

/* evhttp_bind_listener() takes the listener's callback argument for itself
 * (it passes its evhttp to its own accept callback), so the error callback
 * below, which gets the same argument, finds our server through this. */
static struct server *listening_server;

/*
 * accept() failed, most likely with EMFILE or ENFILE: no descriptor left for
 * the new connection.  The connection stays queued in the kernel, so the
 * listening socket stays readable, and the loop would call accept() again at
 * once, fail again, and spin at 100% CPU without ever getting anywhere.
 * Instead, stop listening for a moment; as the clients we are serving
 * finish, descriptors come free, and the queued connections get their turn.
 */
static void on_accept_error(struct evconnlistener *listener, void *unused)
{
	(void)unused;
	struct server *s = listening_server;
	int err = EVUTIL_SOCKET_ERROR();

	if (s->stats.accept_pauses++ == 0)
		fprintf(stderr, "labserver: accept: %s; pausing accepts for %d ms at a time "
			"(counted in /stats accept_pauses)\n", wb_strerror(err), ACCEPT_PAUSE_MS);
	CHECK_SYS(evconnlistener_disable(listener));
	struct timeval pause = { 0, ACCEPT_PAUSE_MS * 1000 };
	CHECK_SYS(evtimer_add(s->accept_resume, &pause));
}

/* --- Options ------------------------------------------------------------------------------ */

struct options {
	long port;
	const char *bind_address;
	long idle_timeout_s;
};

static void usage(FILE *to)
{
	fprintf(to,
		"usage: labserver [--port N] [--bind ADDR] [--idle-timeout S] [--help]\n"
		"  --port N          listen on port N (default 0: any free port)\n"
		"  --bind ADDR       listen on numeric address ADDR (default 127.0.0.1)\n"
		"  --idle-timeout S  close connections idle for S seconds (default %d)\n"
		"The first line on stdout is the base URL, e.g. http://127.0.0.1:41234\n",
		DEFAULT_IDLE_TIMEOUT_S);
}

__attribute__((format(printf, 1, 2)))
static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "labserver: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(2);
}

static struct options parse_options(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "port",         required_argument, NULL, 'p' },
		{ "bind",         required_argument, NULL, 'b' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "help",         no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options opt = { 0, "127.0.0.1", DEFAULT_IDLE_TIMEOUT_S };
	int c;

	opterr = 0;     /* we print our own messages, each followed by the usage */
	while ((c = getopt_long(argc, argv, ":p:b:t:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_count(optarg, 0, 65535, &opt.port) < 0)
				usage_error("--port: \"%s\" is not a port number (0..65535)", optarg);
			break;
		case 'b':
			opt.bind_address = optarg;
			break;
		case 't':
			if (parse_count(optarg, 1, 3600, &opt.idle_timeout_s) < 0)
				usage_error("--idle-timeout: \"%s\" is not a number of seconds (1..3600)",
					    optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			usage_error("%s needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
	return opt;
}

/* --- Starting and stopping ------------------------------------------------------------------ */

/* Each connection needs a descriptor, and the usual soft limit (1024) is far
 * below the 10,000 clients the labs throw at us; the hard limit is the most
 * an unprivileged process may ask for. */
static void raise_descriptor_limit(void)
{
	struct rlimit limit;
	CHECK_SYS(getrlimit(RLIMIT_NOFILE, &limit));
	if (limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		CHECK_SYS(setrlimit(RLIMIT_NOFILE, &limit));
	}
}

/* Writing to a client that has gone raises SIGPIPE, which would kill the
 * whole server; ignored, the write just fails and evhttp drops that client. */
static void ignore_sigpipe(void)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	CHECK_SYS(sigemptyset(&ignore.sa_mask));
	CHECK_SYS(sigaction(SIGPIPE, &ignore, NULL));
}

/* ADDR and PORT as a socket address; exits with a usage error if ADDR is no numeric address. */
static socklen_t make_address(const struct options *opt, struct sockaddr_storage *addr)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *found;
	char port[16];
	snprintf(port, sizeof port, "%ld", opt->port);
	int rc = getaddrinfo(opt->bind_address, port, &hints, &found);
	if (rc != 0)
		usage_error("--bind: \"%s\" is not a numeric IPv4 or IPv6 address (%s)",
			    opt->bind_address, gai_strerror(rc));
	socklen_t len = found->ai_addrlen;
	memcpy(addr, found->ai_addr, len);
	freeaddrinfo(found);
	return len;
}

static void on_shutdown_signal(evutil_socket_t signum, short what, void *arg)
{
	(void)signum;
	(void)what;
	struct server *s = arg;
	/* Leave the loop when this callback returns; main() then frees everything. */
	CHECK_SYS(event_base_loopexit(s->base, NULL));
}

static void start_listening(struct server *s, const struct options *opt)
{
	struct sockaddr_storage addr;
	socklen_t len = make_address(opt, &addr);

	/* We make the listening socket ourselves because evhttp_bind_socket
	 * uses a backlog of 128: a burst of thousands of connections overflows
	 * it, and each connection dropped there costs its client a 1 s SYN retry. */
	s->listener = evconnlistener_new_bind(s->base, NULL, NULL,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
		LISTEN_BACKLOG, (struct sockaddr *)&addr, (int)len);
	if (s->listener == NULL)
		DIE("cannot listen on %s port %ld: %s", opt->bind_address, opt->port,
		    wb_strerror(errno));
	CHECK_PTR(evhttp_bind_listener(s->http, s->listener));   /* http owns it now */
	s->accept_resume = CHECK_PTR(evtimer_new(s->base, resume_accepting, s));
	listening_server = s;
	evconnlistener_set_error_cb(s->listener, on_accept_error);
}

static void server_start(struct server *s, const struct options *opt)
{
	/* PRECISE_TIMER: without it libevent reads a coarse clock on Linux
	 * (CLOCK_MONOTONIC_COARSE, a few ms per tick), and every timer could
	 * fire up to a tick late. */
	struct event_config *config = CHECK_PTR(event_config_new());
	CHECK_SYS(event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER));
	/* evhttp switches each connection's read and write interest on and off
	 * several times per request; with a changelist, libevent tells epoll
	 * only the net change, once per loop turn: half the epoll_ctl calls. */
	CHECK_SYS(event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST));
	/*
	 * By default the loop runs every ready event, first come first served,
	 * before it looks at the clock again: a /delay timer that falls due
	 * while 4,000 new connections are being handled waits for all of them
	 * (100 ms or more).  So timers get their own, higher priority, and the
	 * ordinary I/O callbacks may run for at most 1 ms before the loop looks
	 * for due timers again.
	 */
	struct timeval io_slice = { 0, 1000 };
	CHECK_SYS(event_config_set_max_dispatch_interval(config, &io_slice, -1, PRIORITY_IO));
	s->base = CHECK_PTR(event_base_new_with_config(config));
	event_config_free(config);
	/* Events made without a priority (all of evhttp's) get PRIORITIES / 2,
	 * which is PRIORITY_IO. */
	CHECK_SYS(event_base_priority_init(s->base, PRIORITIES));

	s->started = wb_now();
	s->random_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	/* Every connection's idle timeout is the same length and is re-armed on
	 * every read.  As a "common timeout" libevent keeps such timers in a
	 * plain queue, O(1) to re-arm, instead of its heap of all timers. */
	struct timeval idle = { opt->idle_timeout_s, 0 };
	s->idle_timeout = *CHECK_PTR(event_base_init_common_timeout(s->base, &idle));

	s->http = CHECK_PTR(evhttp_new(s->base));
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	/* evhttp enforces these itself, before we see the request: 400 for a
	 * request line or headers over the limit, 413 for a body over it. */
	evhttp_set_max_headers_size(s->http, MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(s->http, MAX_BODY_SIZE);
	/* A connection that sends nothing (idle keep-alive, or a slowloris that
	 * stops halfway through its headers) is closed after this long.
	 * Pending requests are exempt: see watch_for_client_close(). */
	evhttp_set_timeout_tv(s->http, &s->idle_timeout);
	evhttp_set_default_content_type(s->http, "application/json");
	evhttp_set_gencb(s->http, route_request, s);
	evhttp_set_bevcb(s->http, new_connection_bufferevent, s);

	start_listening(s, opt);

	s->on_sigint = CHECK_PTR(evsignal_new(s->base, SIGINT, on_shutdown_signal, s));
	s->on_sigterm = CHECK_PTR(evsignal_new(s->base, SIGTERM, on_shutdown_signal, s));
	CHECK_SYS(evsignal_add(s->on_sigint, NULL));
	CHECK_SYS(evsignal_add(s->on_sigterm, NULL));
}

/* Print the base URL as the first line on stdout, and flush it at once:
 * the program that started us is waiting for it. */
static void announce_url(struct server *s)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof addr;
	CHECK_SYS(getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&addr, &len));

	char host[INET6_ADDRSTRLEN];
	int port;
	if (addr.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
		/* A wildcard address is for listening; to connect, use loopback. */
		const struct in6_addr *ip = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)
			? &in6addr_loopback : &in6->sin6_addr;
		CHECK_PTR(inet_ntop(AF_INET6, ip, host, sizeof host));
		port = ntohs(in6->sin6_port);
	} else {
		struct sockaddr_in *in4 = (struct sockaddr_in *)&addr;
		struct in_addr ip = in4->sin_addr;
		if (ip.s_addr == htonl(INADDR_ANY))
			ip.s_addr = htonl(INADDR_LOOPBACK);
		CHECK_PTR(inet_ntop(AF_INET, &ip, host, sizeof host));
		port = ntohs(in4->sin_port);
	}

	const char *open = addr.ss_family == AF_INET6 ? "[" : "";
	const char *close = addr.ss_family == AF_INET6 ? "]" : "";
	if (printf("http://%s%s%s:%d\n", open, host, close, port) < 0 || fflush(stdout) == EOF)
		DIE("writing the URL to stdout: %s", wb_strerror(errno));
}

static void server_free(struct server *s)
{
	/* Forget the requests still waiting.  Each is still attached to its
	 * connection, so evhttp_free() frees it when it closes the connection. */
	while (s->pending != NULL) {
		struct pending *p = s->pending;
		evhttp_connection_set_closecb(evhttp_request_get_connection(p->req), NULL, NULL);
		request_abandoned(s);
		pending_free(p);
	}
	evhttp_free(s->http);           /* the connections, their requests, the listener */
	event_free(s->accept_resume);
	event_free(s->on_sigint);
	event_free(s->on_sigterm);
	event_base_free(s->base);
	libevent_global_shutdown();     /* so that leak checkers see nothing left */
}

int main(int argc, char **argv)
{
	struct options opt = parse_options(argc, argv);
	struct server server = { 0 };

	raise_descriptor_limit();
	ignore_sigpipe();
	server_start(&server, &opt);
	announce_url(&server);

	if (event_base_dispatch(server.base) < 0)
		DIE("event_base_dispatch failed");

	server_free(&server);
	return 0;
}
