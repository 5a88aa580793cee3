/*
 * limits.c - what the server refuses before routing, and why (see labserver.h).
 */
#include "labserver.h"

#include <sys/queue.h>   /* TAILQ_FOREACH, over the request headers */

/*
 * CONNECT asks us to become a tunnel, which a test server is not.  evhttp
 * treats a reply to CONNECT as having no body: it sends ours without a
 * Content-Length, so the client cannot tell where it ends, and then keeps
 * the connection until the idle timeout.  So we frame the refusal ourselves
 * and close at once: after a refused CONNECT the client may already be
 * sending tunnel bytes, which must not be read as a next request.
 */
/* evhttp never closes after a CONNECT (it thinks of tunnels), whatever the
 * headers say.  The reply has reached the kernel when this runs; shutting
 * the socket down sends it, then our FIN, and evhttp, reading for a next
 * request, meets the end of file and frees the connection itself. */
static void close_after_connect(struct evhttp_request *req, void *unused)
{
	(void)unused;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(conn));
	if (shutdown(fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
		DIE("shutdown: %s", wb_strerror(errno));
}

static void refuse_connect(struct server *s, struct evhttp_request *req)
{
	request_started(s);
	struct evbuffer *body = new_buffer();
	out_literal(body, "{\"error\":\"CONNECT is not supported: this is no proxy\",\"status\":405}\n");
	char length[32];
	snprintf(length, sizeof length, "%zu", evbuffer_get_length(body));
	set_header(req, "Content-Length", length);
	set_header(req, "Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH");
	set_header(req, "Connection", "close");
	evhttp_request_set_on_complete_cb(req, close_after_connect, NULL);
	answer(s, req, 405, body);
}

/*
 * Reply memory.  What we hold for clients is their output buffers (counted
 * in server->out_held by connections.c), and a reply is refused before it
 * is made, not after: the most it could add is estimated from the request.
 * An echo (/anything, /get, each /stream line) repeats the request, and in
 * JSON a byte may become six (\u00XX); /bytes holds one part at a time.
 */
long long reply_estimate(struct evhttp_request *req)
{
	long long in = (long long)evbuffer_get_length(evhttp_request_get_input_buffer(req));
	in += (long long)strlen(evhttp_request_get_uri(req));
	const struct evkeyval *h;
	TAILQ_FOREACH(h, evhttp_request_get_input_headers(req), next)
		in += (long long)(strlen(h->key) + strlen(h->value) + 8);
	long long need = JSON_ESCAPE_GROWTH * in + 1024;
	const char *path = request_path(req);
	if (path != NULL && strncmp(path, "/bytes", 6) == 0 && need < REPLY_PART_SIZE)
		need = REPLY_PART_SIZE;
	return need;
}

/* Past --reply-memory, large replies are refused; small ones may use a
 * reserve of a quarter more, so that /get and /stats still work.  A large
 * reply under way counts as its reservation (streaming.c) besides what it
 * holds now: its buffer empties and fills again, and an admission made
 * while it was empty must not overcommit. */
static int reply_memory_spent(const struct server *s, long long need)
{
	long long limit = s->reply_memory;
	if (need <= SMALL_REPLY)
		limit += s->reply_memory / 4;
	return s->out_held + s->reply_reserved + need > limit;
}

static void refuse_for_memory(struct server *s, struct evhttp_request *req)
{
	s->stats.replies_refused++;
	request_started(s);
	set_header(req, "Retry-After", "1");
	answer_error(s, req, 503, "the server holds %lld MiB of replies for slow clients "
		     "(--reply-memory %lld): try again later",
		     (s->out_held + s->reply_reserved) >> 20, s->reply_memory >> 20);
}

/* evhttp calls this for every request it has read in full. */
void on_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	conn_request_started(s, req);   /* its headers are in: no deadline now */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_CONNECT)
		refuse_connect(s, req);
	else if (reply_memory_spent(s, reply_estimate(req)))
		refuse_for_memory(s, req);
	else
		route_request(req, arg);
}
