/*
 * endpoints.c - the endpoints, the routing table that picks one for a path,
 * and the checking of numbers that come from the client (see labserver.h).
 */
#include "labserver.h"

/* --- Checking numbers from the client ------------------------------------------------ */

/* Seconds in [0, max].  Only plain decimal numbers pass: strtod alone would
 * also take "nan", "inf", "0x1p4" and leading spaces. */
int parse_seconds(const char *text, double max, double *out)
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

int parse_seed(const char *text, uint64_t *out)
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

