/*
 * pending.c - requests the server answers later, from a timer (/delay, /hang,
 * /drip), and clients that leave before their answer (see labserver.h).
 */
#include "labserver.h"

#include <event2/http_struct.h>   /* the request's HTTP version: no getter in 2.1 */
#include <netinet/tcp.h>

/* --- Pending requests: answered later, from a timer ----------------------------------- */

static void on_pending_timer(evutil_socket_t fd, short what, void *arg);

static struct bufferevent *request_bufferevent(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (conn == NULL)
		DIE("bug: a pending request lost its connection unnoticed");
	return evhttp_connection_get_bufferevent(conn);
}

/*
 * Noticing a client that leaves while we make it wait.
 *
 * Once evhttp has read a request it stops reading from the connection until
 * the reply has been sent.  On its own, then, it would notice a client that
 * hung up only when we finally write the reply: for /hang a minute later,
 * with the request counted as in flight all that time.  So while a request
 * is pending we switch reading back on, with callbacks of our own: reading
 * buffers a pipelined next request (evhttp reads it after the reply), and
 * the events tell us when the client is done.  A reset or an error goes on
 * to evhttp's own event callback, which detaches the request from the
 * connection (from then on the request is ours to free) and frees the
 * connection; connections.c's close callback calls pending_client_gone().
 *
 * An end of file is not an error.  A client that sent its request and then
 * shut down its sending half (shutdown(SHUT_WR), `nc -N`) still wants the
 * reply; a client that closed its socket does not, and TCP looks the same
 * to us in both cases: a FIN.  They differ once we send something: a closed
 * socket answers data with a reset, a half-closed one takes it.  So after
 * an EOF we send an interim "102 Processing" (HTTP/1.1 clients must accept
 * 1xx replies before the real one) and look at the socket's state every
 * EOF_CHECK_MS: a reset closes it, and the client is gone.
 */
static void on_pending_read(struct bufferevent *bev, void *arg);
static void on_pending_event(struct bufferevent *bev, short what, void *arg);

void watch_for_client_close(struct pending *p)
{
	struct server *s = p->server;
	struct bufferevent *bev = request_bufferevent(p->req);

	bufferevent_getcb(bev, NULL, &p->evhttp_on_write, &p->evhttp_on_event, &p->evhttp_arg);
	keep_watching(p);

	/* Reading would also arm the idle read timeout, and a waiting client
	 * rightly sends nothing: without this, --idle-timeout would cut a
	 * legitimate /delay/10 or /hang short.  Writes keep their timeout. */
	CHECK_SYS(bufferevent_set_timeouts(bev, NULL, &s->idle_timeout));
	CHECK_SYS(bufferevent_enable(bev, EV_READ));
	/* The reply is written by this connection's events, not by the timer:
	 * give them the timer's priority too (see server_start()), so that a
	 * reply goes out when its timer fires, not after all the queued I/O.
	 * libevent refuses while one of them is queued to run (a pipelined
	 * request, say); then this reply is merely less prompt. */
	if (bufferevent_priority_set(bev, PRIORITY_TIMER) != 0) {
		/* (connections.c sets it back when the reply has gone) */
	}
	conn_watch_pending(s, p->req, p);
}

/* (Re)install our callbacks: each write evhttp makes (a /drip piece) puts
 * its own back.  No write callback: evhttp's would run a stale "reply
 * sent" step when our 102 has gone out. */
void keep_watching(struct pending *p)
{
	bufferevent_setcb(request_bufferevent(p->req), on_pending_read, NULL,
			  on_pending_event, p);
}

/* A client that says more than this while it waits is not pipelining a
 * request or two, it is flooding us: drop what it sent (it must resend what
 * this connection does not answer) and close after this reply.  Reading on
 * keeps its EOF in view; buffering would stop at the limit and hide it. */
static void on_pending_read(struct bufferevent *bev, void *arg)
{
	struct pending *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (evbuffer_get_length(in) <= PENDING_READ_LIMIT)
		return;
	CHECK_SYS(evbuffer_drain(in, evbuffer_get_length(in)));
	p->close_after = 1;
}

/* A reset turns our side of the socket to CLOSE; a half-close leaves it open. */
static int peer_reset(evutil_socket_t fd)
{
	struct tcp_info info;
	socklen_t len = sizeof info;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
		return 1;       /* no socket to ask: no client either */
	return info.tcpi_state == TCP_CLOSE;
}

/* The client is gone: let evhttp drop the connection, as for a reset it read. */
static void client_gone(struct pending *p, struct bufferevent *bev)
{
	p->evhttp_on_event(bev, BEV_EVENT_READING | BEV_EVENT_ERROR, p->evhttp_arg);
	/* p is freed now, by pending_client_gone(). */
}

static void on_eof_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pending *p = arg;
	struct bufferevent *bev = request_bufferevent(p->req);
	if (peer_reset(bufferevent_getfd(bev)))
		client_gone(p, bev);
}

static void client_sent_eof(struct pending *p, struct bufferevent *bev)
{
	if (p->client_eof)
		return;         /* each /drip piece turns reading on again: the same EOF */
	p->client_eof = 1;
	p->close_after = 1;
	/* Mid-body a 1xx is no longer possible, but the pieces are data too. */
	if (!p->streaming && p->req->major == 1 && p->req->minor >= 1) {
		out_literal(bufferevent_get_output(bev), "HTTP/1.1 102 Processing\r\n\r\n");
		CHECK_SYS(bufferevent_enable(bev, EV_WRITE));
	}
	p->eof_check = CHECK_PTR(event_new(p->server->base, -1, EV_PERSIST, on_eof_check, p));
	struct timeval every = { 0, EOF_CHECK_MS * 1000 };
	CHECK_SYS(event_add(p->eof_check, &every));
}

static void on_pending_event(struct bufferevent *bev, short what, void *arg)
{
	struct pending *p = arg;
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING))
		client_sent_eof(p, bev);
	else
		p->evhttp_on_event(bev, what, p->evhttp_arg);   /* reset, timeout: dropped */
}

/* Undo watch_for_client_close(), just before the final reply.  The close
 * callback must go first: sending the reply may free the connection at
 * once (Connection: close), and that must not look like a client leaving.
 * Returns the connection's bufferevent, for after_final_reply(). */
struct bufferevent *prepare_final_reply(struct pending *p)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(p->req);
	struct bufferevent *bev = request_bufferevent(p->req);

	conn_watch_pending(p->server, p->req, NULL);
	bufferevent_setcb(bev, NULL, p->evhttp_on_write, p->evhttp_on_event, p->evhttp_arg);
	evhttp_connection_set_timeout_tv(conn, &p->server->idle_timeout);
	/* The reply frames itself (Content-Length or chunks), so closing after
	 * it is always allowed: evhttp does when it sees this header. */
	if (p->close_after)
		set_header(p->req, "Connection", "close");
	/* evhttp restores its own read callback when it reads the next request. */
	return bev;
}

/* Just after the call that sends the final reply.  evhttp turned reading on
 * again; for a client that sent its EOF, evhttp would read that EOF and
 * drop the reply half-written.  Nothing more can come from it: stop reading. */
void after_final_reply(struct bufferevent *bev, int client_eof)
{
	if (client_eof)
		CHECK_SYS(bufferevent_disable(bev, EV_READ));
}

struct pending *pending_new(struct server *s, struct evhttp_request *req,
			    void (*on_timer)(struct pending *))
{
	struct pending *p = wb_xcalloc(1, sizeof *p);
	p->server = s;
	p->req = req;
	p->on_timer = on_timer;
	p->timer = CHECK_PTR(evtimer_new(s->base, on_pending_timer, p));
	CHECK_SYS(event_priority_set(p->timer, PRIORITY_TIMER));

	p->next = s->pending;
	if (s->pending != NULL)
		s->pending->prev = p;
	s->pending = p;

	watch_for_client_close(p);
	return p;
}

/* Forget p (its request is finished or gone; that is the caller's business). */
void pending_free(struct pending *p)
{
	struct server *s = p->server;
	if (p->streaming)
		s->drips_streaming--;           /* see drip_start_body() */
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		s->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	event_free(p->timer);
	if (p->eof_check != NULL)
		event_free(p->eof_check);
	free(p);
}

/* Run p->on_timer at monotonic time `at`. */
void schedule(struct pending *p, double at)
{
	/* libevent measures a relative timeout from the time it cached when
	 * this loop iteration began.  Under load that can be milliseconds ago,
	 * and the timer would fire that much early; refresh it first. */
	CHECK_SYS(event_base_update_cache_time(p->server->base));
	struct timeval wait = seconds_to_timeval(at - wb_now());
	p->due = at;
	CHECK_SYS(evtimer_add(p->timer, &wait));
}

static void on_pending_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pending *p = arg;
	struct stats *stats = &p->server->stats;

	/* How late is the loop?  A timer fires late when the one thread is busy
	 * with other callbacks; this is the figure that says so. */
	double late_ms = (wb_now() - p->due) * 1e3;
	if (late_ms > stats->worst_lateness_ms)
		stats->worst_lateness_ms = late_ms;

	p->on_timer(p);
}

/* The final reply for a pending request: answer it, then forget it. */
void pending_answer(struct pending *p, int code, struct evbuffer *body)
{
	int client_eof = p->client_eof;
	struct bufferevent *bev = prepare_final_reply(p);
	answer(p->server, p->req, code, body);
	after_final_reply(bev, client_eof);
	pending_free(p);
}

/*
 * The connection of a pending request is going away: evhttp calls this from
 * evhttp_connection_free().  When the client hung up, evhttp has already
 * detached the request from the connection, so freeing it is our job, and
 * this is the only place that does it.  (At shutdown the request is still
 * attached, and evhttp frees it along with the connection.)
 */
void pending_client_gone(struct pending *p)
{
	if (evhttp_request_get_connection(p->req) == NULL)
		evhttp_request_free(p->req);
	request_abandoned(p->server);
	pending_free(p);
}

