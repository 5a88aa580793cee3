/*
 * replies.c - writing replies and their JSON, and reading what the request
 * holds (path, query, headers, body) for the echo endpoints (see labserver.h).
 */
#include "labserver.h"

/* --- Small checked helpers ----------------------------------------------------------- */

struct timeval seconds_to_timeval(double seconds)
{
	if (seconds < 0)
		seconds = 0;
	struct timeval tv;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	return tv;
}

struct evbuffer *new_buffer(void)
{
	return CHECK_PTR(evbuffer_new());
}

/* evbuffer_add_printf returns -1 when out of memory, like printf on error. */
__attribute__((format(printf, 2, 3)))
void out_printf(struct evbuffer *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0)
		DIE("evbuffer_add_vprintf: out of memory");
}

void out_add(struct evbuffer *out, const void *data, size_t len)
{
	CHECK_SYS(evbuffer_add(out, data, len));
}

/* A string constant's bytes, without printf scanning it for conversions. */

static void emit_to_buffer(void *out, const char *piece, size_t n)
{
	out_add(out, piece, n);
}

/* len bytes as a JSON string, quoted and escaped straight into out. */
void out_string_n(struct evbuffer *out, const char *s, size_t len)
{
	out_literal(out, "\"");
	wb_json_escape(s, len, emit_to_buffer, out);
	out_literal(out, "\"");
}

static void out_string(struct evbuffer *out, const char *s)
{
	out_string_n(out, s, strlen(s));
}

void set_header(struct evhttp_request *req, const char *name, const char *value)
{
	CHECK_SYS(evhttp_add_header(evhttp_request_get_output_headers(req), name, value));
}

/* --- Replies ------------------------------------------------------------------------ */

/*
 * Send a complete reply and count the request as finished.  body may be NULL.
 * A HEAD request gets the same headers as a GET, its Content-Length too, and
 * no body: evhttp would send the body anyway, and on a kept-alive connection
 * the client would read it as the start of the next reply.
 */
void answer(struct server *s, struct evhttp_request *req, int code,
	    struct evbuffer *body)
{
	if (body != NULL && evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		char length[32];
		snprintf(length, sizeof length, "%zu", evbuffer_get_length(body));
		set_header(req, "Content-Length", length);
		CHECK_SYS(evbuffer_drain(body, evbuffer_get_length(body)));
	}
	evhttp_send_reply(req, code, NULL, body);  /* NULL: the standard reason phrase */
	if (body != NULL)
		evbuffer_free(body);
	request_finished(s);
}

/* {"error": "..."} with the given status: the answer to every bad request. */
__attribute__((format(printf, 4, 5)))
void answer_error(struct server *s, struct evhttp_request *req, int code,
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
const char *request_path(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	return uri ? evhttp_uri_get_path(uri) : NULL;
}

/* Parse the query string into args (the caller clears it).  -1 if malformed. */
int parse_args(struct evhttp_request *req, struct evkeyvalq *args)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	return evhttp_parse_query_str(query ? query : "", args);
}

const char *method_name(enum evhttp_cmd_type method)
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
void out_echo_fields(struct evbuffer *out, struct evhttp_request *req,
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
struct evbuffer *echo_body(struct evhttp_request *req, const struct evkeyvalq *args)
{
	struct evbuffer *body = new_buffer();
	out_literal(body, "{");
	out_echo_fields(body, req, args);
	out_literal(body, "}\n");
	return body;
}

