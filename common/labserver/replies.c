/*
 * replies.c - writing replies and their JSON (with cJSON), and reading what
 * the request holds (path, query, headers, cookies, body) for the echo
 * endpoints (see labserver.h).
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

void set_header(struct evhttp_request *req, const char *name, const char *value)
{
	CHECK_SYS(evhttp_add_header(evhttp_request_get_output_headers(req), name, value));
}

/* --- UTF-8: JSON must be valid UTF-8, and requests can carry any bytes ------------------- */

/* The length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0 if the byte there starts none.
 * NUL counts as invalid: cJSON strings end at the first one. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	if (c >= 0x01 && c < 0x80)
		return 1;
	size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (n == 0 || n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||   /* overlong, surrogate */
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))     /* overlong, > U+10FFFF */
		return 0;
	return n;
}

static int utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_sequence((const unsigned char *)s + i, len - i)) == 0)
			return 0;
	return 1;
}

/* len bytes as a NUL-terminated, valid UTF-8 string (malloc'd): each byte
 * that starts no valid sequence becomes U+FFFD, as a browser shows it. */
char *utf8_text(const char *s, size_t len)
{
	static const char replacement[] = "\xef\xbf\xbd";
	if (len > ((size_t)-1 - 1) / 3)
		DIE("utf8_text: %zu bytes is too long", len);
	char *text = wb_xcalloc(len * 3 + 1, 1);
	size_t used = 0;
	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_sequence((const unsigned char *)s + i, len - i);
		if (n == 0) {
			memcpy(text + used, replacement, 3);
			used += 3;
			n = 1;
		} else {
			memcpy(text + used, s + i, n);
			used += n;
		}
	}
	text[used] = '\0';
	return text;
}

/* --- JSON with cJSON ------------------------------------------------------------------- */

cJSON *json_object(void)
{
	return CHECK_PTR(cJSON_CreateObject());
}

/* Add item under key (any bytes: made valid UTF-8 first); obj owns item. */
void json_add(cJSON *obj, const char *key, cJSON *item)
{
	char *clean = utf8_text(key, strlen(key));
	if (!cJSON_AddItemToObject(obj, clean, CHECK_PTR(item)))
		DIE("cJSON_AddItemToObject: out of memory");
	free(clean);
}

/* A JSON string of len request bytes, invalid UTF-8 replaced. */
cJSON *json_text(const char *s, size_t len)
{
	char *clean = utf8_text(s, len);
	cJSON *item = CHECK_PTR(cJSON_CreateString(clean));
	free(clean);
	return item;
}

void json_add_text(cJSON *obj, const char *key, const char *value)
{
	json_add(obj, key, json_text(value, strlen(value)));
}

/* Add value under key as httpbin does for args and forms: the first value
 * as a string, and from the second on, all of them in a list. */
void json_add_repeatable(cJSON *obj, const char *key, cJSON *value)
{
	char *clean = utf8_text(key, strlen(key));
	cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, clean);
	if (old == NULL) {
		json_add(obj, clean, value);
	} else if (cJSON_IsArray(old)) {
		if (!cJSON_AddItemToArray(old, value))
			DIE("cJSON_AddItemToArray: out of memory");
	} else {        /* the second value: the key keeps its place, now with a list */
		cJSON *list = CHECK_PTR(cJSON_CreateArray());
		if (!cJSON_AddItemToArray(list, CHECK_PTR(cJSON_Duplicate(old, 1))) ||
		    !cJSON_AddItemToArray(list, value))
			DIE("cJSON_AddItemToArray: out of memory");
		if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, clean, list))
			DIE("cJSON_ReplaceItemInObject: out of memory");
	}
	free(clean);
}

/* doc as compact JSON and a newline (httpbin ends its JSON so); frees doc. */
struct evbuffer *json_buffer(cJSON *doc)
{
	char *text = CHECK_PTR(cJSON_PrintUnformatted(doc));
	cJSON_Delete(doc);
	struct evbuffer *out = new_buffer();
	out_add(out, text, strlen(text));
	out_literal(out, "\n");
	cJSON_free(text);
	return out;
}

/* len bytes as a JSON string, quoted and escaped, into out. */
void out_string_n(struct evbuffer *out, const char *s, size_t len)
{
	cJSON *item = json_text(s, len);
	char *text = CHECK_PTR(cJSON_PrintUnformatted(item));
	out_add(out, text, strlen(text));
	cJSON_free(text);
	cJSON_Delete(item);
}

/* --- Replies ------------------------------------------------------------------------ */

/* evhttp adds its default Content-Type only to a reply with a body; a HEAD
 * reply must have GET's headers, so add it here. */
void head_content_type(struct evhttp_request *req)
{
	if (evhttp_find_header(evhttp_request_get_output_headers(req), "Content-Type") == NULL)
		set_header(req, "Content-Type", "application/json");
}

/*
 * Send a complete reply, counted or not in /stats.  body may be NULL.  A HEAD
 * request gets the same headers as a GET, its Content-Length too, and no
 * body: evhttp would send the body anyway, and on a kept-alive connection the
 * client would read it as the start of the next reply.
 */
void send_reply(struct evhttp_request *req, int code, struct evbuffer *body)
{
	if (body != NULL && evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		char length[32];
		snprintf(length, sizeof length, "%zu", evbuffer_get_length(body));
		set_header(req, "Content-Length", length);
		head_content_type(req);
		CHECK_SYS(evbuffer_drain(body, evbuffer_get_length(body)));
	}
	evhttp_send_reply(req, code, NULL, body);  /* NULL: the standard reason phrase */
}

/* Send a complete reply and count the request as finished.  body may be NULL. */
void answer(struct server *s, struct evhttp_request *req, int code,
	    struct evbuffer *body)
{
	send_reply(req, code, body);
	if (body != NULL)
		evbuffer_free(body);
	request_finished(s);
}

void answer_json(struct server *s, struct evhttp_request *req, int code, cJSON *doc)
{
	answer(s, req, code, json_buffer(doc));
}

/* {"error": "...", "status": code}: the answer to every bad request. */
__attribute__((format(printf, 4, 5)))
void answer_error(struct server *s, struct evhttp_request *req, int code,
		  const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);

	cJSON *doc = json_object();
	json_add_text(doc, "error", message);
	json_add(doc, "status", cJSON_CreateNumber(code));
	answer_json(s, req, code, doc);
}

/* --- Reading the request ------------------------------------------------------------ */

/* The request's path without the query, e.g. "/delay/2" (NULL if it has none). */
const char *request_path(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	return uri ? evhttp_uri_get_path(uri) : NULL;
}

/* Parse the query string into args (the caller clears it).  -1 if malformed.
 * evhttp's own rules (a key needs '='; keys are not decoded): the endpoints
 * in endpoints.c use query_args() instead, which follows httpbin's. */
int parse_args(struct evhttp_request *req, struct evkeyvalq *args)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	return evhttp_parse_query_str(query ? query : "", args);
}

/* %XX and '+' decoded, as a JSON string (valid UTF-8). */
static cJSON *json_decoded(const char *s, size_t len)
{
	char *raw = CHECK_PTR(strndup(s, len));
	size_t decoded_len;
	char *decoded = CHECK_PTR(evhttp_uridecode(raw, 1, &decoded_len));
	cJSON *item = json_text(decoded, decoded_len);
	free(decoded);
	free(raw);
	return item;
}

/* One "key=value" of a query or form (no '=': the value is ""), into obj. */
static void add_pair(cJSON *obj, const char *pair, size_t len)
{
	const char *eq = memchr(pair, '=', len);
	size_t key_len = eq ? (size_t)(eq - pair) : len;
	cJSON *key = json_decoded(pair, key_len);
	cJSON *value = eq ? json_decoded(eq + 1, len - key_len - 1) : json_text("", 0);
	json_add_repeatable(obj, cJSON_GetStringValue(key), value);
	cJSON_Delete(key);
}

/* "a=1&b=x&a=2" (a query, or an urlencoded body) as httpbin's args or form:
 * {"a":["1","2"],"b":"x"}.  Never fails: like httpbin, take what makes sense. */
cJSON *parse_urlencoded(const char *text, size_t len)
{
	cJSON *obj = json_object();
	const char *end = text + len;
	for (const char *p = text; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t piece = amp ? (size_t)(amp - p) : (size_t)(end - p);
		if (piece > 0)
			add_pair(obj, p, piece);
		p += piece + 1;
	}
	return obj;
}

cJSON *query_args(struct evhttp_request *req)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	return parse_urlencoded(query ? query : "", query ? strlen(query) : 0);
}

/* evhttp's parsed pairs as httpbin's args (for callers of parse_args). */
static cJSON *args_from_pairs(const struct evkeyvalq *pairs)
{
	cJSON *obj = json_object();
	for (const struct evkeyval *kv = pairs->tqh_first; kv; kv = kv->next.tqe_next)
		json_add_repeatable(obj, kv->key, json_text(kv->value, strlen(kv->value)));
	return obj;
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

const char *request_header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

/* "user-agent" -> "User-Agent" (malloc'd): httpbin shows header names so. */
static char *title_case(const char *name)
{
	char *copy = wb_xstrdup(name);
	int start_of_word = 1;
	for (char *p = copy; *p; p++) {
		*p = start_of_word ? (char)toupper((unsigned char)*p)
				   : (char)tolower((unsigned char)*p);
		start_of_word = (*p == '-');
	}
	return copy;
}

/* The request headers as httpbin's "headers": Title-Case names, and a
 * repeated header's values joined with ",", as a WSGI server joins them. */
cJSON *request_headers(struct evhttp_request *req)
{
	cJSON *obj = json_object();
	const struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
	for (const struct evkeyval *kv = headers->tqh_first; kv; kv = kv->next.tqe_next) {
		char *name = title_case(kv->key);
		cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, name);
		if (old == NULL) {
			json_add_text(obj, name, kv->value);
		} else {
			size_t len = strlen(cJSON_GetStringValue(old)) + strlen(kv->value) + 2;
			char *joined = wb_xcalloc(len, 1);
			snprintf(joined, len, "%s,%s", cJSON_GetStringValue(old), kv->value);
			if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, name, json_text(joined, strlen(joined))))
				DIE("cJSON_ReplaceItemInObject: out of memory");
			free(joined);
		}
		free(name);
	}
	return obj;
}

/* The client's address, as httpbin's "origin": X-Forwarded-For if a proxy
 * set it, else the peer. */
const char *request_origin(struct evhttp_request *req)
{
	const char *forwarded = request_header(req, "X-Forwarded-For");
	if (forwarded != NULL)
		return forwarded;
	char *address = NULL;
	ev_uint16_t port;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (conn != NULL)
		evhttp_connection_get_peer(conn, &address, &port);
	return address ? address : "";
}

/* The URL the client asked for, as httpbin's "url": http://<Host header><uri>. */
static cJSON *request_url(struct evhttp_request *req)
{
	const char *uri = evhttp_request_get_uri(req);
	if (strncmp(uri, "http://", 7) == 0)            /* already absolute */
		return json_text(uri, strlen(uri));
	const char *host = request_header(req, "Host");
	if (host == NULL)
		host = "localhost";
	size_t len = strlen(host) + strlen(uri) + 8;
	char *url = wb_xcalloc(len, 1);
	snprintf(url, len, "http://%s%s", host, uri);
	cJSON *item = json_text(url, strlen(url));
	free(url);
	return item;
}

/* "a=1; b=2" as httpbin's "cookies": {"a":"1","b":"2"} (a repeated name: the last). */
cJSON *request_cookies(struct evhttp_request *req)
{
	cJSON *obj = json_object();
	const char *header = request_header(req, "Cookie");
	for (const char *p = header ? header : ""; *p;) {
		p += strspn(p, " \t;");
		size_t len = strcspn(p, ";");
		const char *eq = memchr(p, '=', len);
		if (eq != NULL && eq > p) {
			char *name = CHECK_PTR(strndup(p, (size_t)(eq - p)));
			cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
			json_add(obj, name, json_text(eq + 1, len - (size_t)(eq - p) - 1));
			free(name);
		}
		p += len;
	}
	return obj;
}

/* --- The request body: data, form, json, files ------------------------------------------ */

static void base64_append(char *out, const unsigned char *in, size_t len)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*out++ = digits[(v >> 18) & 63];
		*out++ = digits[(v >> 12) & 63];
		*out++ = i + 1 < len ? digits[(v >> 6) & 63] : '=';
		*out++ = i + 2 < len ? digits[v & 63] : '=';
	}
	*out = '\0';
}

/* httpbin's "data": the body as text when it is UTF-8, else (binary) as a
 * base64 data: URL, which is what httpbin's json_safe() does. */
static cJSON *body_data(const char *body, size_t len)
{
	if (utf8_valid(body, len))
		return json_text(body, len);
	static const char prefix[] = "data:application/octet-stream;base64,";
	char *url = wb_xcalloc(sizeof prefix + (len + 2) / 3 * 4, 1);
	memcpy(url, prefix, sizeof prefix - 1);
	base64_append(url + sizeof prefix - 1, (const unsigned char *)body, len);
	cJSON *item = CHECK_PTR(cJSON_CreateString(url));
	free(url);
	return item;
}

/* httpbin's "json": the body parsed, if it is UTF-8 JSON and nothing else. */
static cJSON *body_json(const char *body, size_t len)
{
	cJSON *doc = NULL;
	if (len > 0 && utf8_valid(body, len)) {
		char *text = CHECK_PTR(strndup(body, len));
		doc = cJSON_ParseWithOpts(text, NULL, 1);       /* 1: no trailing junk */
		free(text);
	}
	return doc ? doc : CHECK_PTR(cJSON_CreateNull());
}

static int is_form(struct evhttp_request *req)
{
	const char *type = request_header(req, "Content-Type");
	return type != NULL && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0;
}

/* The request body, contiguous (evhttp may hold it in pieces). */
static const char *body_bytes(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *input = evhttp_request_get_input_buffer(req);
	*len = evbuffer_get_length(input);
	const char *body = *len ? (const char *)evbuffer_pullup(input, -1) : "";
	if (body == NULL)
		DIE("evbuffer_pullup(%zu bytes): out of memory", *len);
	return body;
}

/* --- The echo replies ------------------------------------------------------------------- */

/* The fields of httpbin's get_dict() that `fields` names (ECHO_*), in
 * httpbin's (alphabetical) order.  args is copied, not taken. */
cJSON *request_echo(struct evhttp_request *req, const cJSON *args, unsigned fields)
{
	size_t len = 0;
	const char *body = fields & (ECHO_BODY | ECHO_JSON) ? body_bytes(req, &len) : NULL;
	cJSON *obj = json_object();
	if (fields & ECHO_ARGS)
		json_add(obj, "args", cJSON_Duplicate(args, 1));
	if (fields & ECHO_BODY) {
		json_add(obj, "data", body_data(body, len));
		json_add(obj, "files", json_object());          /* multipart is not parsed */
		json_add(obj, "form", is_form(req) ? parse_urlencoded(body, len) : json_object());
	}
	if (fields & ECHO_HEADERS)
		json_add(obj, "headers", request_headers(req));
	if (fields & ECHO_JSON)
		json_add(obj, "json", body_json(body, len));
	if (fields & ECHO_METHOD)
		json_add_text(obj, "method", method_name(evhttp_request_get_command(req)));
	if (fields & ECHO_ORIGIN)
		json_add_text(obj, "origin", request_origin(req));
	if (fields & ECHO_URL)
		json_add(obj, "url", request_url(req));
	return obj;
}

/* "args", "headers", "origin" and "url", as httpbin's /get has them, without
 * the braces: for /stream, which puts an "id" before them. */
void out_echo_fields(struct evbuffer *out, struct evhttp_request *req,
		     const struct evkeyvalq *args)
{
	cJSON *pairs = args_from_pairs(args);
	cJSON *doc = request_echo(req, pairs, ECHO_GET);
	cJSON_Delete(pairs);
	char *text = CHECK_PTR(cJSON_PrintUnformatted(doc));
	cJSON_Delete(doc);
	size_t len = strlen(text);
	if (len > 2)
		out_add(out, text + 1, len - 2);        /* "{...}" -> "..." */
	cJSON_free(text);
}

/* The whole /get body: {"args":...,"headers":...,"origin":...,"url":...}. */
struct evbuffer *echo_body(struct evhttp_request *req, const struct evkeyvalq *args)
{
	cJSON *pairs = args_from_pairs(args);
	cJSON *doc = request_echo(req, pairs, ECHO_GET);
	cJSON_Delete(pairs);
	return json_buffer(doc);
}
