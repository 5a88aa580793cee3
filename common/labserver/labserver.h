/*
 * labserver.h - what the files of the lab server share (common/labserver/).
 *
 * The server is split by job, so that each idea of an event-loop server is in
 * one place:
 *   main.c         options, starting and stopping: the event loop itself
 *   connections.c  the listener, accept() pauses, connection bookkeeping
 *   pending.c      requests answered later, from a timer, and clients that leave
 *   endpoints.c    the endpoints and the routing table; numbers from the client
 *   streaming.c    the large or paced replies: /bytes, /stream, /drip
 *   replies.c      the replies and their JSON; reading the request
 *   stats.c        the counters behind /stats
 * Only the event-loop thread touches any of it: no locks anywhere.
 */
#ifndef WB_LABSERVER_H
#define WB_LABSERVER_H

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
	int no_stats;                           /* --no-stats: behave like a server without it */
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


/* --- The server's options (main.c) ---------------------------------------------- */

struct options {
	long port;
	const char *bind_address;
	long idle_timeout_s;
	int no_stats;           /* --no-stats: answer /stats with 404, as a real httpbin does */
};

/* --- replies.c --- */
struct timeval seconds_to_timeval(double seconds);
struct evbuffer *new_buffer(void);
void out_printf(struct evbuffer *out, const char *fmt, ...);
void out_add(struct evbuffer *out, const void *data, size_t len);
#define out_literal(out, text) out_add((out), (text), sizeof(text) - 1)
void out_string_n(struct evbuffer *out, const char *s, size_t len);
void set_header(struct evhttp_request *req, const char *name, const char *value);
void answer(struct server *s, struct evhttp_request *req, int code,
	    struct evbuffer *body);
void answer_error(struct server *s, struct evhttp_request *req, int code,
		  const char *fmt, ...);
const char *request_path(struct evhttp_request *req);
int parse_args(struct evhttp_request *req, struct evkeyvalq *args);
const char *method_name(enum evhttp_cmd_type method);
void out_echo_fields(struct evbuffer *out, struct evhttp_request *req,
		     const struct evkeyvalq *args);
struct evbuffer *echo_body(struct evhttp_request *req, const struct evkeyvalq *args);

/* --- stats.c --- */
void request_started(struct server *s);
void request_finished(struct server *s);
void request_abandoned(struct server *s);
void handle_stats(struct server *s, struct evhttp_request *req, const char *rest);
void handle_stats_reset(struct server *s, struct evhttp_request *req, const char *rest);

/* --- pending.c --- */
void watch_for_client_close(struct pending *p);
void stop_watching(struct pending *p);
void pending_free(struct pending *p);
void schedule(struct pending *p, double at);
void pending_answer(struct pending *p, int code, struct evbuffer *body);

/* --- endpoints.c --- */
int parse_count(const char *text, long min, long max, long *out);
int parse_seconds(const char *text, double max, double *out);
int parse_seed(const char *text, uint64_t *out);

/* --- streaming.c --- */
void handle_bytes(struct server *s, struct evhttp_request *req, const char *rest);
void handle_drip(struct server *s, struct evhttp_request *req, const char *rest);
void handle_stream(struct server *s, struct evhttp_request *req, const char *rest);
void route_request(struct evhttp_request *req, void *arg);

/* --- connections.c --- */
struct bufferevent *new_connection_bufferevent(struct event_base *base, void *arg);
/* After the listener is bound: accept() failing for want of descriptors pauses
 * accepting for a moment instead of spinning (see on_accept_error). */
void watch_accept_errors(struct server *s);


/* --- pending.c --- */
struct pending *pending_new(struct server *s, struct evhttp_request *req,
			    void (*on_timer)(struct pending *));

#endif
