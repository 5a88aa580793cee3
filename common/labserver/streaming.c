/*
 * streaming.c - the endpoints whose replies are large or paced: /bytes,
 * /stream and /drip (see labserver.h).  Apart from the others because what
 * they send must be bounded: a client that does not read must not make the
 * server hold its whole reply, and a paced reply must not hog the loop.
 */
#include "labserver.h"

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
	int client_eof = p->client_eof;
	struct bufferevent *bev = prepare_final_reply(p);
	evhttp_send_reply_end(p->req);
	after_final_reply(bev, client_eof);
	request_finished(s);
	pending_free(p);
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
	keep_watching(p);       /* evhttp's write put its callbacks back */

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
	keep_watching(p);

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

/* /stream/{n}: n JSON lines, sent as n chunks of a chunked reply. */
void handle_stream(struct server *s, struct evhttp_request *req, const char *rest)
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
