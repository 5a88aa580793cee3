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

#include <cJSON.h>
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
#define DEFAULT_HEADER_TIMEOUT_S 10     /* a request's headers, however they trickle */
#define MAX_CONNS_CAP           16384   /* the default --max-conns is at most this */
#define ACCEPT_PAUSE_MS         100     /* after accept() runs out of descriptors */
#define PENDING_READ_LIMIT      65536   /* bytes buffered from a client that waits */
#define EOF_CHECK_MS            100     /* after a waiting client's EOF: is it gone? */
/* /drip pacing (streaming.c): a drip's pieces are at least DRIP_MIN_GAP_S
 * apart, and further apart when many drips run, so that all of them together
 * make at most about DRIP_WRITES_PER_S writes a second. */
#define DRIP_MIN_GAP_S          0.01
#define DRIP_WRITES_PER_S       10000
/* Reply memory (limits.c, streaming.c): /bytes and /stream are generated a
 * part at a time, the next when the last has gone out; all the output held
 * for clients together stays under --reply-memory, and the last quarter
 * above it is kept for small replies (/get), so that a fresh client is
 * still served while the large replies are refused with 503. */
#define REPLY_PART_SIZE         65536   /* /bytes: a part; multiple of 8 (see add_random_bytes) */
#define SMALL_REPLY             16384   /* a reply this small may use the reserve */
#define DEFAULT_REPLY_MEMORY_MIB 128
#define CONN_SNDBUF             262144  /* the kernel's share of a connection's output */
#define JSON_ESCAPE_GROWTH      6       /* a byte echoed in JSON: at most \u00XX */

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
	long header_timeouts;           /* connections closed: headers not done in time */
	long conns_shed;                /* connections closed to stay within --max-conns */
	long replies_refused;           /* 503: the reply memory was spent */
};

struct pending;
struct conn;
struct big_reply;

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

	/* Connections (connections.c). */
	struct conn **conns;                    /* by descriptor */
	size_t conn_slots;                      /* entries in conns: the descriptor limit */
	long open_conns, max_conns;
	struct conn *idle_head, *idle_tail;     /* not answering a request, oldest first */
	struct timeval header_timeout;          /* a request's headers must be in by then */

	/* Limits on the work and memory clients may cost us. */
	long drips_streaming;                   /* /drip bodies under way (streaming.c) */
	long long out_held;                     /* bytes in all connections' output buffers */
	long long reply_reserved;               /* the most the large replies under way may add */
	long long reply_memory;                 /* --reply-memory, in bytes */
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

	/* Watching the client while it waits (pending.c). */
	bufferevent_data_cb evhttp_on_write;    /* evhttp's callbacks, put back for the reply */
	bufferevent_event_cb evhttp_on_event;
	void *evhttp_arg;
	struct event *eof_check;                /* after its EOF: is the client still there? */
	int client_eof;                         /* it sent EOF: half-closed, or gone */
	int close_after;                        /* close the connection after the reply */
	int streaming;                          /* the reply has begun (/drip's body) */
};


/* --- The server's options (main.c) ---------------------------------------------- */

struct options {
	long port;
	const char *bind_address;
	long idle_timeout_s;
	int no_stats;           /* --no-stats: answer /stats with 404, as a real httpbin does */
	long header_timeout_s;  /* --header-timeout */
	long max_conns;         /* --max-conns; 0: from the descriptor limit */
	long reply_memory_mib;  /* --reply-memory */
};

/* --- replies.c --- */
struct timeval seconds_to_timeval(double seconds);
struct evbuffer *new_buffer(void);
void out_printf(struct evbuffer *out, const char *fmt, ...);
void out_add(struct evbuffer *out, const void *data, size_t len);
#define out_literal(out, text) out_add((out), (text), sizeof(text) - 1)
void out_string_n(struct evbuffer *out, const char *s, size_t len);
void set_header(struct evhttp_request *req, const char *name, const char *value);
/* A complete reply; HEAD gets the headers and no body.  answer() counts it in /stats too. */
void send_reply(struct evhttp_request *req, int code, struct evbuffer *body);
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
/* JSON replies are built with cJSON; every string from the request goes
 * through utf8_text() first (invalid bytes become U+FFFD). */
char *utf8_text(const char *s, size_t len);
cJSON *json_object(void);
cJSON *json_text(const char *s, size_t len);
void json_add(cJSON *obj, const char *key, cJSON *item);
void json_add_text(cJSON *obj, const char *key, const char *value);
void json_add_repeatable(cJSON *obj, const char *key, cJSON *value);
struct evbuffer *json_buffer(cJSON *doc);
void head_content_type(struct evhttp_request *req);
void answer_json(struct server *s, struct evhttp_request *req, int code, cJSON *doc);
cJSON *parse_urlencoded(const char *text, size_t len);
cJSON *query_args(struct evhttp_request *req);
const char *request_header(struct evhttp_request *req, const char *name);
cJSON *request_headers(struct evhttp_request *req);
const char *request_origin(struct evhttp_request *req);
cJSON *request_cookies(struct evhttp_request *req);
/* What request_echo() puts in, as httpbin's get_dict() keys. */
enum {
	ECHO_ARGS = 1, ECHO_HEADERS = 2, ECHO_ORIGIN = 4, ECHO_URL = 8,
	ECHO_METHOD = 16, ECHO_BODY = 32 /* data, files, form */, ECHO_JSON = 64,
	ECHO_GET = ECHO_ARGS | ECHO_HEADERS | ECHO_ORIGIN | ECHO_URL,
	ECHO_ANYTHING = ECHO_GET | ECHO_METHOD | ECHO_BODY | ECHO_JSON,
};
cJSON *request_echo(struct evhttp_request *req, const cJSON *args, unsigned fields);

/* --- stats.c --- */
void request_started(struct server *s);
void request_finished(struct server *s);
void request_abandoned(struct server *s);
void handle_stats(struct server *s, struct evhttp_request *req, const char *rest);
void handle_stats_reset(struct server *s, struct evhttp_request *req, const char *rest);

/* --- pending.c --- */
void watch_for_client_close(struct pending *p);
void pending_free(struct pending *p);
void schedule(struct pending *p, double at);
void pending_answer(struct pending *p, int code, struct evbuffer *body);
void keep_watching(struct pending *p);
struct bufferevent *prepare_final_reply(struct pending *p);
void after_final_reply(struct bufferevent *bev, int client_eof);
void pending_client_gone(struct pending *p);

/* --- endpoints.c --- */
int parse_count(const char *text, long min, long max, long *out);
int parse_seconds(const char *text, double max, double *out);
int parse_seed(const char *text, uint64_t *out);

/* --- streaming.c --- */
void handle_bytes(struct server *s, struct evhttp_request *req, const char *rest);
void handle_drip(struct server *s, struct evhttp_request *req, const char *rest);
void handle_stream(struct server *s, struct evhttp_request *req, const char *rest);
void route_request(struct evhttp_request *req, void *arg);
/* The connection of a large reply under way is going away (connections.c). */
void big_reply_gone(struct big_reply *r);

/* --- limits.c --- */
void on_request(struct evhttp_request *req, void *arg);
long long reply_estimate(struct evhttp_request *req);

/* --- connections.c --- */
struct bufferevent *new_connection_bufferevent(struct event_base *base, void *arg);
/* After the listener is bound: accept() failing for want of descriptors pauses
 * accepting for a moment instead of spinning (see on_accept_error). */
void watch_accept_errors(struct server *s);
void conn_table_init(struct server *s);
void conn_request_started(struct server *s, struct evhttp_request *req);
void conn_watch_pending(struct server *s, struct evhttp_request *req, struct pending *p);
void conn_watch_reply(struct server *s, struct evhttp_request *req, struct big_reply *r);


/* --- pending.c --- */
struct pending *pending_new(struct server *s, struct evhttp_request *req,
			    void (*on_timer)(struct pending *));

#endif
