/*
 * streaming.c - the endpoints whose replies are large or paced: /bytes,
 * /stream and /drip (see labserver.h).  Apart from the others because what
 * they send must be bounded: a client that does not read must not make the
 * server hold its whole reply, and a paced reply must not hog the loop.
 */
#include "labserver.h"

/* Random bytes come from wb_splitmix64 (cpuwork.h), not rand(): rand's sequence
 * differs between C libraries, and a seed must give the same bytes anywhere. */
static void add_random_bytes(struct evbuffer *out, size_t n, uint64_t *seed)
{
	struct evbuffer_iovec space;
	if (n == 0)
		return;
	/* One extent: ask for n contiguous bytes and fill them in place. */
	if (evbuffer_reserve_space(out, (ev_ssize_t)n, &space, 1) != 1)
		DIE("evbuffer_reserve_space(%zu): out of memory", n);
	unsigned char *bytes = space.iov_base;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t word = wb_splitmix64(seed);
		size_t take = n - i < 8 ? n - i : 8;
		memcpy(bytes + i, &word, take);
	}
	space.iov_len = n;
	CHECK_SYS(evbuffer_commit_space(out, &space, 1));
}

/* --- Large replies, generated as the client reads them --------------------------------- */

/*
 * A client that asks for a megabyte and never reads must not make us hold
 * the megabyte: 200 of them held a gigabyte once.  So /bytes and /stream
 * are sent a part at a time.  evhttp_send_reply_chunk_with_cb() calls back
 * when the output buffer has been written out to the kernel; only then is
 * the next part made.  A client that stops reading thus costs us one part,
 * until the write timeout (--idle-timeout) drops it.
 */
struct big_reply {
	struct server *server;
	struct evhttp_request *req;
	int (*add_part)(struct big_reply *r, struct evbuffer *out);    /* 1: more to come */
	size_t bytes_left;              /* /bytes */
	uint64_t seed;
	long line, lines;               /* /stream */
	struct evkeyvalq args;
	int has_args;
	long long reserved;             /* in server->reply_reserved: its largest part */
};

static struct big_reply *big_reply_new(struct server *s, struct evhttp_request *req,
				       int (*add_part)(struct big_reply *, struct evbuffer *))
{
	struct big_reply *r = wb_xcalloc(1, sizeof *r);
	r->server = s;
	r->req = req;
	r->add_part = add_part;
	return r;
}

static void big_reply_free(struct big_reply *r)
{
	r->server->reply_reserved -= r->reserved;
	if (r->has_args)
		evhttp_clear_headers(&r->args);
	free(r);
}

static void big_reply_end(struct big_reply *r)
{
	struct server *s = r->server;
	conn_watch_reply(s, r->req, NULL);      /* the end may free the connection at once */
	evhttp_send_reply_end(r->req);
	request_finished(s);
	big_reply_free(r);
}

static void send_next_part(struct big_reply *r);

static void on_part_written(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	send_next_part(arg);
}

/* add_part() gives a part that is not empty whenever it says more will
 * come: evhttp calls back for no empty chunk, and the reply would stall. */
static void send_next_part(struct big_reply *r)
{
	struct evbuffer *part = new_buffer();
	int more = r->add_part(r, part);
	if (more) {
		evhttp_send_reply_chunk_with_cb(r->req, part, on_part_written, r);
		evbuffer_free(part);
		return;
	}
	if (evbuffer_get_length(part) > 0)
		evhttp_send_reply_chunk(r->req, part);  /* the end waits for it to go out */
	evbuffer_free(part);
	big_reply_end(r);
}

/* The headers now, the body as it is read.  HEAD gets no body: evhttp drops
 * the chunks of a HEAD reply, and would never call back. */
static void big_reply_start(struct big_reply *r)
{
	evhttp_send_reply_start(r->req, 200, NULL);
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD) {
		big_reply_end(r);
		return;
	}
	conn_watch_reply(r->server, r->req, r);
	/* A part is at most what limits.c estimated for the request. */
	r->reserved = reply_estimate(r->req);
	r->server->reply_reserved += r->reserved;
	send_next_part(r);
}

/* The client left mid-reply (connections.c).  evhttp detached the request
 * from the connection when the write failed, so freeing it is ours; at
 * shutdown it is still attached, and evhttp frees it. */
void big_reply_gone(struct big_reply *r)
{
	if (evhttp_request_get_connection(r->req) == NULL)
		evhttp_request_free(r->req);
	request_abandoned(r->server);
	big_reply_free(r);
}

/* --- /bytes ------------------------------------------------------------------------ */

/* Parts are a multiple of 8 bytes, so that the seed gives the same bytes
 * however the reply is cut up: each word of the sequence is used whole. */
static int add_bytes_part(struct big_reply *r, struct evbuffer *out)
{
	size_t n = r->bytes_left < REPLY_PART_SIZE ? r->bytes_left : REPLY_PART_SIZE;
	add_random_bytes(out, n, &r->seed);
	r->bytes_left -= n;
	return r->bytes_left > 0;
}

void handle_bytes(struct server *s, struct evhttp_request *req, const char *rest)
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

	char length[32];
	snprintf(length, sizeof length, "%ld", n);
	set_header(req, "Content-Type", "application/octet-stream");
	set_header(req, "Content-Length", length);      /* and so: not chunked */
	struct big_reply *r = big_reply_new(s, req, add_bytes_part);
	r->bytes_left = (size_t)n;
	r->seed = seed;
	big_reply_start(r);
}

/*
 * /drip: the headers after `delay`, then numbytes bytes spread evenly over
 * `duration`, so that the body ends at delay + duration.  The length is
 * known up front, so it goes in Content-Length and the body is sent as it
 * is (not chunked); the pieces are just written slowly.
 *
 * Fairness.  Piece i is due at body_start + i * interval, but a piece does
 * not get a loop turn of its own: 2,000 drips of 1,000 pieces each would be
 * 2,000,000 timer callbacks, more than the loop can run in their 3 s, and
 * run at timer priority they starved every other client.  So each drip has
 * one timer, rescheduled for its next piece; when it fires it sends all the
 * bytes due by now (late or not, lateness does not add up); the next firing
 * is at least drip_gap() away, which grows with the number of drips, so all
 * of them together cost about DRIP_WRITES_PER_S callbacks a second; and the
 * timer runs at I/O priority, under the dispatch limit of server_start(),
 * taking turns with the other clients' I/O instead of going before it.
 */
static void drip_next_piece(struct pending *p);

static void drip_finish(struct pending *p)
{
	struct server *s = p->server;
	int client_eof = p->client_eof;
	struct bufferevent *bev = prepare_final_reply(p);
	evhttp_send_reply_end(p->req);
	after_final_reply(bev, client_eof);
	request_finished(s);
	pending_free(p);
}

/* Seconds between two firings of one drip's timer. */
static double drip_gap(const struct server *s)
{
	double shared = (double)s->drips_streaming / DRIP_WRITES_PER_S;
	return shared > DRIP_MIN_GAP_S ? shared : DRIP_MIN_GAP_S;
}

static void drip_start_body(struct pending *p)
{
	char length[32];
	snprintf(length, sizeof length, "%zu", p->bytes_total);
	set_header(p->req, "Content-Type", "application/octet-stream");
	set_header(p->req, "Content-Length", length);   /* and so: not chunked */
	if (p->close_after)
		set_header(p->req, "Connection", "close");
	evhttp_send_reply_start(p->req, p->code, NULL);
	p->streaming = 1;
	p->server->drips_streaming++;   /* pending_free() counts it out */
	keep_watching(p);       /* evhttp's write put its callbacks back */

	if (p->pieces_total == 0) {
		drip_finish(p);
		return;
	}
	p->body_start = p->due;
	p->on_timer = drip_next_piece;
	/* Not active now (its callback is running), so libevent allows this. */
	CHECK_SYS(event_priority_set(p->timer, PRIORITY_IO));
	schedule(p, p->body_start + p->interval);
}

/* The pieces due by `now`: at least one more (the timer fired for it). */
static unsigned drip_pieces_due(const struct pending *p, double now)
{
	double due = floor((now - p->body_start) / p->interval + 1e-9);
	if (due < p->pieces_sent + 1)
		return p->pieces_sent + 1;
	return due > p->pieces_total ? p->pieces_total : (unsigned)due;
}

static void drip_write(struct pending *p, size_t target)
{
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
	keep_watching(p);
}

static void drip_next_piece(struct pending *p)
{
	double now = wb_now();
	p->pieces_sent = drip_pieces_due(p, now);
	/* Piece i brings the total to bytes_total * i / pieces_total. */
	size_t target = (size_t)((double)p->bytes_total * p->pieces_sent / p->pieces_total);
	if (p->pieces_sent == p->pieces_total)
		target = p->bytes_total;
	drip_write(p, target);
	if (p->pieces_sent == p->pieces_total) {
		drip_finish(p);
		return;
	}
	/* The next piece's time, but not sooner than the gap allows, and not
	 * after the body's end: the last piece is never pushed past it. */
	double end = p->body_start + p->pieces_total * p->interval;
	double next = p->body_start + (p->pieces_sent + 1) * p->interval;
	if (next < now + drip_gap(p->server))
		next = now + drip_gap(p->server);
	schedule(p, next < end ? next : end);
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

void handle_drip(struct server *s, struct evhttp_request *req, const char *rest)
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

/* --- /stream ------------------------------------------------------------------------ */

/* One JSON line per part, and so per chunk of the chunked reply. */
static int add_stream_line(struct big_reply *r, struct evbuffer *out)
{
	if (r->line >= r->lines)
		return 0;
	out_printf(out, "{\"id\":%ld,", r->line);
	out_echo_fields(out, r->req, &r->args);
	out_literal(out, "}\n");
	return ++r->line < r->lines;
}

/* /stream/{n}: n JSON lines, sent as n chunks of a chunked reply. */
void handle_stream(struct server *s, struct evhttp_request *req, const char *rest)
{
	long lines;
	if (parse_count(rest, 0, MAX_STREAM_LINES, &lines) < 0) {
		answer_error(s, req, 400, "stream must be an integer from 0 to %d lines, not \"%s\"",
			     MAX_STREAM_LINES, rest);
		return;
	}
	struct big_reply *r = big_reply_new(s, req, add_stream_line);
	if (parse_args(req, &r->args) < 0) {
		big_reply_free(r);
		answer_error(s, req, 400, "malformed query string");
		return;
	}
	r->has_args = 1;
	r->lines = lines;
	/* No Content-Length: for HTTP/1.1, evhttp then sends it chunked. */
	big_reply_start(r);
}
