/*
 * limits.c - what the server refuses before routing, and why (see labserver.h).
 */
#include "labserver.h"

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

/* evhttp calls this for every request it has read in full. */
void on_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	conn_request_started(s, req);   /* its headers are in: no deadline now */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_CONNECT)
		refuse_connect(s, req);
	else
		route_request(req, arg);
}
