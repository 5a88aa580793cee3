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

/* What a handler here is given: the query is parsed once, in route_request(). */
struct call {
	struct server *s;
	struct evhttp_request *req;
	const char *rest;       /* what follows the route's prefix ("2" for /delay/2) */
	const cJSON *args;      /* the query as httpbin's "args" */
};

static void answer_echo(const struct call *c, unsigned fields)
{
	answer_json(c->s, c->req, 200, request_echo(c->req, c->args, fields));
}

static void handle_get(const struct call *c)
{
	answer_echo(c, ECHO_GET);
}

/* /anything, and /post, /put, /patch, /delete (each for its own method). */
static void handle_anything(const struct call *c)
{
	answer_echo(c, ECHO_ANYTHING);
}

/* {"<key>": <item>}: /headers, /ip, /user-agent, /uuid, /cookies. */
static void answer_one(const struct call *c, const char *key, cJSON *item)
{
	cJSON *doc = json_object();
	json_add(doc, key, item);
	answer_json(c->s, c->req, 200, doc);
}

static void handle_headers(const struct call *c)
{
	answer_one(c, "headers", request_headers(c->req));
}

static void handle_ip(const struct call *c)
{
	const char *origin = request_origin(c->req);
	answer_one(c, "origin", json_text(origin, strlen(origin)));
}

static void handle_user_agent(const struct call *c)
{
	const char *agent = request_header(c->req, "User-Agent");
	answer_one(c, "user-agent", agent ? json_text(agent, strlen(agent)) : cJSON_CreateNull());
}

static void handle_cookies(const struct call *c)
{
	answer_one(c, "cookies", request_cookies(c->req));
}

/* A version 4 (random) UUID, from the server's generator. */
static void handle_uuid(const struct call *c)
{
	uint64_t hi = wb_splitmix64(&c->s->random_state);
	uint64_t lo = wb_splitmix64(&c->s->random_state);
	hi = (hi & ~0xf000ULL) | 0x4000ULL;                     /* version 4 */
	lo = (lo & ~(3ULL << 62)) | (2ULL << 62);               /* variant 10xx */
	char text[40];
	snprintf(text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx",
		 (unsigned long long)(hi >> 32), (unsigned long long)((hi >> 16) & 0xffff),
		 (unsigned long long)(hi & 0xffff), (unsigned long long)(lo >> 48),
		 (unsigned long long)(lo & 0xffffffffffffULL));
	answer_one(c, "uuid", json_text(text, strlen(text)));
}

/* /delay/{s}: the echo, s seconds later, from a timer.  The reply is made
 * now, from the request as it came, and waits in the request's own output
 * buffer: the timer only sends it (and if the client leaves, evhttp frees
 * it with the request). */
static void delay_done(struct pending *p)
{
	pending_answer(p, 200, NULL);
}

static void prepare_reply(struct evhttp_request *req, struct evbuffer *body)
{
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {   /* see answer() */
		char length[32];
		snprintf(length, sizeof length, "%zu", evbuffer_get_length(body));
		set_header(req, "Content-Length", length);
		head_content_type(req);
	} else {
		CHECK_SYS(evbuffer_add_buffer(evhttp_request_get_output_buffer(req), body));
	}
	evbuffer_free(body);
}

static void handle_delay(const struct call *c)
{
	double seconds;
	if (parse_seconds(c->rest, MAX_DELAY_S, &seconds) < 0) {
		answer_error(c->s, c->req, 400, "delay must be a number of seconds from 0 to %g, not \"%s\"",
			     MAX_DELAY_S, c->rest);
		return;
	}
	/* httpbin's /delay has /get's fields and the body's, but no "json". */
	prepare_reply(c->req, json_buffer(request_echo(c->req, c->args, ECHO_GET | ECHO_BODY)));
	struct pending *p = pending_new(c->s, c->req, delay_done);
	schedule(p, wb_now() + seconds);
}

/* /hang: never answer; the client is meant to give up first.  The cap only
 * makes sure a forgotten client cannot hold a request for ever. */
static void hang_done(struct pending *p)
{
	cJSON *doc = json_object();
	char message[64];
	snprintf(message, sizeof message, "/hang gave up after %g s", HANG_CAP_S);
	json_add_text(doc, "error", message);
	json_add(doc, "status", cJSON_CreateNumber(504));
	pending_answer(p, 504, json_buffer(doc));
}

static void handle_hang(const struct call *c)
{
	struct pending *p = pending_new(c->s, c->req, hang_done);
	schedule(p, wb_now() + HANG_CAP_S);
}

/* --- /status/{codes} ------------------------------------------------------------------- */

static const char TEAPOT[] =
	"\n    -=[ teapot ]=-\n\n       _...._\n     .'  _ _ `.\n    | .\"` ^ `\". _,\n"
	"    \\_;`\"---\"`|//\n      |       ;/\n      \\_     _/\n        `\"\"\"`\n";

/* The reply httpbin's status_code() gives for code: a Location for the
 * redirects (so that a client that follows it ends at /get), the headers of
 * the authentication codes, and a body for 402, 406 and 418. */
static void answer_status(const struct call *c, int code)
{
	struct evhttp_request *req = c->req;
	struct evbuffer *body = NULL;
	if (code == 301 || code == 302 || code == 303 || code == 305 || code == 307)
		set_header(req, "Location", "/redirect/1");
	if (code == 401)
		set_header(req, "WWW-Authenticate", "Basic realm=\"Fake Realm\"");
	if (code == 407)
		set_header(req, "Proxy-Authenticate", "Basic realm=\"Fake Realm\"");
	if (code == 402 || code == 418) {
		body = new_buffer();
		if (code == 418)
			out_literal(body, TEAPOT);
		else
			out_literal(body, "Fuck you, pay me!");
		set_header(req, "x-more-info", code == 418 ? "http://tools.ietf.org/html/rfc2324"
							   : "http://vimeo.com/22053820");
		set_header(req, "Content-Type", "text/html; charset=utf-8");
	}
	if (code == 406) {
		cJSON *doc = json_object();
		json_add_text(doc, "message", "Client did not request a supported media type.");
		const char *types[] = { "image/webp", "image/svg+xml", "image/jpeg", "image/png", "image/*" };
		json_add(doc, "accept", cJSON_CreateStringArray(types, 5));
		body = json_buffer(doc);
	}
	answer(c->s, req, code, body);
}

/* One "code" or "code:weight" of a list; -1 if it is neither. */
static int parse_choice(const char *text, long *code, double *weight)
{
	char piece[64];
	if (strlen(text) >= sizeof piece)
		return -1;
	strcpy(piece, text);
	char *colon = strchr(piece, ':');
	*weight = 1;
	if (colon != NULL) {
		*colon = '\0';
		if (parse_seconds(colon + 1, 1e9, weight) < 0)  /* a plain number >= 0 */
			return -1;
	}
	return parse_count(piece, 100, 599, code);
}

/* "200,404" (one at random) or "200:0.7,429:0.3" (weighted), as httpbin's
 * weighted_choice(); 0 and the code in *code, or -1 if the list is bad. */
static int choose_status(struct server *s, const char *list, long *code)
{
	long codes[64];
	double weights[64], total = 0;
	size_t n = 0;
	char *copy = wb_xstrdup(list), *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (n == 64 || parse_choice(item, &codes[n], &weights[n]) < 0) {
			free(copy);
			return -1;
		}
		total += weights[n++];
	}
	free(copy);
	if (n == 0 || total <= 0)
		return -1;
	double x = (double)(wb_splitmix64(&s->random_state) >> 11) / 9007199254740992.0 * total;
	size_t i = 0;
	while (i + 1 < n && x >= weights[i])
		x -= weights[i++];
	*code = codes[i];
	return 0;
}

/* /status/{code}: that status, with httpbin's headers and bodies.  A 1xx
 * status is only an interim answer in HTTP, so a client will go on waiting
 * for the real one: that is the protocol working, not the server hanging. */
static void handle_status(const struct call *c)
{
	long code;
	int ok = strchr(c->rest, ',') ? choose_status(c->s, c->rest, &code)
				       : parse_count(c->rest, 100, 599, &code);
	if (ok < 0) {
		answer_error(c->s, c->req, 400, "status must be an integer from 100 to 599, or a list "
			     "like 200,404 or 200:0.7,429:0.3, not \"%s\"", c->rest);
		return;
	}
	answer_status(c, (int)code);
}

/* --- /response-headers, /redirect/{n} ----------------------------------------------------- */

/* A header name a client may ask for: a token, and not one that would
 * change how the reply is framed. */
static int settable_header(const char *name)
{
	return *name != '\0' &&
	       name[strspn(name, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZ")] == '\0' &&
	       strcasecmp(name, "Content-Length") != 0 && strcasecmp(name, "Transfer-Encoding") != 0 &&
	       strcasecmp(name, "Connection") != 0;
}

/* The values of one query key: a string, or a list of them. */
#define EACH_VALUE(value, arg) \
	for (const cJSON *value = cJSON_IsArray(arg) ? (arg)->child : (arg); value; \
	     value = cJSON_IsArray(arg) ? value->next : NULL)

/* Every name a token, every value one line: then the headers can be set. */
static int headers_settable(const cJSON *args)
{
	const cJSON *arg;
	cJSON_ArrayForEach(arg, args) {
		if (!settable_header(arg->string))
			return 0;
		EACH_VALUE(value, arg)
			if (strpbrk(cJSON_GetStringValue(value), "\r\n") != NULL)
				return 0;
	}
	return 1;
}

static void set_asked_headers(const struct call *c)
{
	const cJSON *arg;
	cJSON_ArrayForEach(arg, c->args)
		EACH_VALUE(value, arg)
			set_header(c->req, arg->string, cJSON_GetStringValue(value));
}

/* /response-headers?K=V: the headers asked for, and a body that lists the
 * reply's headers, Content-Length included (so computed until it is stable,
 * as httpbin does). */
static void handle_response_headers(const struct call *c)
{
	if (!headers_settable(c->args)) {
		answer_error(c->s, c->req, 400, "a header name must be a token, and not Content-Length, "
			     "Transfer-Encoding or Connection; a value must be one line");
		return;
	}
	set_asked_headers(c);
	cJSON *doc = CHECK_PTR(cJSON_Duplicate(c->args, 1));
	if (cJSON_GetObjectItem(doc, "Content-Type") == NULL)
		json_add_text(doc, "Content-Type", "application/json");
	json_add_text(doc, "Content-Length", "0");
	for (size_t length = 0;;) {
		char text[32];
		snprintf(text, sizeof text, "%zu", length);
		if (!cJSON_ReplaceItemInObjectCaseSensitive(doc, "Content-Length", json_text(text, strlen(text))))
			DIE("cJSON_ReplaceItemInObject: out of memory");
		char *printed = CHECK_PTR(cJSON_PrintUnformatted(doc));
		size_t now = strlen(printed) + 1;       /* + the newline */
		cJSON_free(printed);
		if (now == length)
			break;
		length = now;
	}
	answer_json(c->s, c->req, 200, doc);
}

/* /redirect/{n} and /relative-redirect/{n}: 302 to .../{n-1}, and to /get
 * from 1, as httpbin's (relative) redirects are. */
static void handle_redirect(const struct call *c)
{
	long n;
	if (parse_count(c->rest, 1, 1000, &n) < 0) {
		answer_error(c->s, c->req, 400, "redirect must be an integer from 1 to 1000, not \"%s\"",
			     c->rest);
		return;
	}
	char location[64];
	if (n == 1)
		snprintf(location, sizeof location, "/get");
	else
		snprintf(location, sizeof location, "/relative-redirect/%ld", n - 1);
	set_header(c->req, "Location", location);
	answer(c->s, c->req, 302, NULL);
}

static void handle_index(const struct call *c)
{
	static const char *const endpoints[] = {
		"/get", "/anything[/path]", "/post", "/put", "/patch", "/delete", "/headers", "/ip",
		"/user-agent", "/uuid", "/cookies", "/response-headers?K=V", "/redirect/{n}",
		"/relative-redirect/{n}", "/delay/{s}", "/status/{codes}", "/bytes/{n}?seed=",
		"/drip?duration=&numbytes=&delay=&code=", "/stream/{n}", "/hang", "/stats",
		"/stats/reset",
	};
	cJSON *doc = json_object();
	json_add(doc, "endpoints", cJSON_CreateStringArray(endpoints, sizeof endpoints / sizeof endpoints[0]));
	answer_json(c->s, c->req, 200, doc);
}

/* The handlers in streaming.c and stats.c read the request themselves. */
static void call_bytes(const struct call *c)       { handle_bytes(c->s, c->req, c->rest); }
static void call_drip(const struct call *c)        { handle_drip(c->s, c->req, c->rest); }
static void call_stream(const struct call *c)      { handle_stream(c->s, c->req, c->rest); }
static void call_stats(const struct call *c)       { handle_stats(c->s, c->req, c->rest); }
static void call_stats_reset(const struct call *c) { handle_stats_reset(c->s, c->req, c->rest); }

/* --- Routing ----------------------------------------------------------------------------- */

/* Methods are evhttp's bits (EVHTTP_REQ_GET = 1, POST = 2, HEAD = 4, ...). */
enum {
	GET_ONLY = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	GET_POST = GET_ONLY | EVHTTP_REQ_POST,
	ANY_METHOD = GET_ONLY | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
		     EVHTTP_REQ_PATCH | EVHTTP_REQ_TRACE,
};
enum { COUNTED = 1, NOT_COUNTED = 0 };

struct route {
	const char *path;       /* exact, or a prefix if it ends in '/' */
	int methods;            /* evhttp method bits; OPTIONS is answered for every route */
	int counted;            /* counts in /stats (everything but /stats itself) */
	void (*handle)(const struct call *);
};

static const struct route routes[] = {
	{ "/",                   GET_ONLY,           COUNTED,     handle_index },
	{ "/get",                GET_ONLY,           COUNTED,     handle_get },
	{ "/anything",           ANY_METHOD,         COUNTED,     handle_anything },
	{ "/anything/",          ANY_METHOD,         COUNTED,     handle_anything },
	{ "/post",               EVHTTP_REQ_POST,    COUNTED,     handle_anything },
	{ "/put",                EVHTTP_REQ_PUT,     COUNTED,     handle_anything },
	{ "/patch",              EVHTTP_REQ_PATCH,   COUNTED,     handle_anything },
	{ "/delete",             EVHTTP_REQ_DELETE,  COUNTED,     handle_anything },
	{ "/headers",            GET_ONLY,           COUNTED,     handle_headers },
	{ "/ip",                 GET_ONLY,           COUNTED,     handle_ip },
	{ "/user-agent",         GET_ONLY,           COUNTED,     handle_user_agent },
	{ "/uuid",               GET_ONLY,           COUNTED,     handle_uuid },
	{ "/cookies",            GET_ONLY,           COUNTED,     handle_cookies },
	{ "/response-headers",   GET_POST,           COUNTED,     handle_response_headers },
	{ "/redirect/",          GET_ONLY,           COUNTED,     handle_redirect },
	{ "/relative-redirect/", GET_ONLY,           COUNTED,     handle_redirect },
	{ "/delay/",             GET_ONLY,           COUNTED,     handle_delay },
	{ "/status/",            ANY_METHOD,         COUNTED,     handle_status },
	{ "/bytes/",             GET_ONLY,           COUNTED,     call_bytes },
	{ "/drip",               GET_ONLY,           COUNTED,     call_drip },
	{ "/stream/",            GET_ONLY,           COUNTED,     call_stream },
	{ "/hang",               GET_ONLY,           COUNTED,     handle_hang },
	{ "/stats",              GET_ONLY,           NOT_COUNTED, call_stats },
	{ "/stats/reset",        GET_ONLY,           NOT_COUNTED, call_stats_reset },
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
	return (r->methods & (int)evhttp_request_get_command(req)) != 0;
}

/* "GET, HEAD, OPTIONS": the Allow header for a route. */
static void allow_header(const struct route *r, char *out, size_t cap)
{
	out[0] = '\0';
	for (int bit = 1; bit <= EVHTTP_REQ_PATCH; bit <<= 1)
		if ((r->methods | EVHTTP_REQ_OPTIONS) & bit)
			snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? ", " : "",
				 method_name((enum evhttp_cmd_type)bit));
}

/* On every reply, as httpbin: a page on any origin may read it, cookies too. */
static void set_cors_headers(struct evhttp_request *req)
{
	const char *origin = request_header(req, "Origin");
	set_header(req, "Access-Control-Allow-Origin", origin ? origin : "*");
	set_header(req, "Access-Control-Allow-Credentials", "true");
}

/* OPTIONS, a browser's CORS preflight: what httpbin (Flask) answers. */
static void answer_options(struct server *s, struct evhttp_request *req, const struct route *r)
{
	char allow[128];
	allow_header(r, allow, sizeof allow);
	set_header(req, "Allow", allow);
	set_header(req, "Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH, OPTIONS");
	set_header(req, "Access-Control-Max-Age", "3600");
	const char *asked = request_header(req, "Access-Control-Request-Headers");
	if (asked != NULL)
		set_header(req, "Access-Control-Allow-Headers", asked);
	set_header(req, "Content-Type", "text/html; charset=utf-8");
	answer(s, req, 200, NULL);
}

static void answer_wrong_method(struct server *s, struct evhttp_request *req, const struct route *r)
{
	char allow[128];
	allow_header(r, allow, sizeof allow);
	set_header(req, "Allow", allow);
	answer_error(s, req, 405, "%s takes %s, not %s", r->path, allow,
		     method_name(evhttp_request_get_command(req)));
}

/* Parse the query once, then call the handler. */
static void dispatch(struct server *s, struct evhttp_request *req, const struct route *r,
		     const char *rest)
{
	cJSON *args = query_args(req);
	struct call c = { s, req, rest, args };
	r->handle(&c);
	cJSON_Delete(args);
}

/* evhttp calls this for every request it has read in full. */
void route_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	const char *path = request_path(req);
	const char *rest = "";
	const struct route *r = path ? find_route(path, &rest) : NULL;
	int is_options = evhttp_request_get_command(req) == EVHTTP_REQ_OPTIONS;

	set_cors_headers(req);
	if (r != NULL && !r->counted && method_allowed(r, req)) {
		dispatch(s, req, r, rest);      /* /stats: not in its own figures */
		return;
	}
	request_started(s);
	if (r == NULL)
		answer_error(s, req, 404, "no such endpoint: %s (GET / lists them)", path ? path : "(none)");
	else if (is_options)
		answer_options(s, req, r);
	else if (!method_allowed(r, req))
		answer_wrong_method(s, req, r);
	else
		dispatch(s, req, r, rest);
}
