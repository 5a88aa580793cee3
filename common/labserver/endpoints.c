/*
 * endpoints.c - the endpoints, the routing table that picks one for a path,
 * and the checking of numbers that come from the client (see labserver.h).
 */
#include "labserver.h"

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
int parse_count(const char *text, long min, long max, long *out)
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
void route_request(struct evhttp_request *req, void *arg)
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

