/*
 * pending.c - requests the server answers later, from a timer (/delay, /hang,
 * /drip), and clients that leave before their answer (see labserver.h).
 */
#include "labserver.h"

/* --- Pending requests: answered later, from a timer ----------------------------------- */

static void on_pending_timer(evutil_socket_t fd, short what, void *arg);
static void on_client_gone(struct evhttp_connection *conn, void *arg);

static struct bufferevent *request_bufferevent(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (conn == NULL)
		DIE("bug: a pending request lost its connection unnoticed");
	return evhttp_connection_get_bufferevent(conn);
}

/* The reply to a pending request is all sent: its connection is ordinary again. */
static void back_to_io_priority(struct evhttp_request *req, void *unused)
{
	(void)unused;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evhttp_request_get_connection(req));
	if (bufferevent_priority_set(bev, PRIORITY_IO) != 0) {
		/* One of its events is queued to run right now (the client's
		 * next request, say), so libevent refuses.  The connection keeps
		 * the timer priority; harmless: its I/O just runs a little early. */
	}
}

/*
 * Noticing a client that leaves while we make it wait.
 *
 * Once evhttp has read a request it stops reading from the connection until
 * the reply has been sent.  On its own, then, it would notice a client that
 * hung up only when we finally write the reply: for /hang a minute later,
 * with the request counted as in flight all that time.  So while a request
 * is pending we switch reading back on, with no read callback: we do not
 * want the data (a pipelined next request just waits in the buffer), only
 * the end of file.  When the client closes, evhttp's own event callback sees
 * the EOF, detaches the request from the connection (from then on the
 * request is ours to free) and frees the connection, calling its close
 * callback, on_client_gone(), on the way.
 */
void watch_for_client_close(struct pending *p)
{
	struct server *s = p->server;
	struct bufferevent *bev = request_bufferevent(p->req);

	bufferevent_data_cb on_write;
	bufferevent_event_cb on_event;
	void *arg;
	bufferevent_getcb(bev, NULL, &on_write, &on_event, &arg);
	bufferevent_setcb(bev, NULL, on_write, on_event, arg);

	/* Reading would also arm the idle read timeout, and a waiting client
	 * rightly sends nothing: without this, --idle-timeout would cut a
	 * legitimate /delay/10 or /hang short.  Writes keep their timeout. */
	CHECK_SYS(bufferevent_set_timeouts(bev, NULL, &s->idle_timeout));
	/* Buffer at most this much from a client that talks while it waits. */
	bufferevent_setwatermark(bev, EV_READ, 0, PENDING_READ_LIMIT);
	CHECK_SYS(bufferevent_enable(bev, EV_READ));
	/* The reply is written by this connection's events, not by the timer:
	 * give them the timer's priority too (see server_start()), so that a
	 * reply goes out when its timer fires, not after all the queued I/O.
	 * libevent refuses while one of them is queued to run (a pipelined
	 * request, say); then this reply is merely less prompt. */
	if (bufferevent_priority_set(bev, PRIORITY_TIMER) == 0)
		evhttp_request_set_on_complete_cb(p->req, back_to_io_priority, NULL);

	evhttp_connection_set_closecb(evhttp_request_get_connection(p->req),
				      on_client_gone, p);
}

/* Undo watch_for_client_close(), just before the final reply.  The close
 * callback must go first: sending the reply may free the connection at
 * once (Connection: close), and that must not look like a client leaving. */
void stop_watching(struct pending *p)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(p->req);
	struct bufferevent *bev = request_bufferevent(p->req);

	evhttp_connection_set_closecb(conn, NULL, NULL);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	evhttp_connection_set_timeout_tv(conn, &p->server->idle_timeout);
	/* evhttp restores its own read callback when it reads the next request. */
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
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		s->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	event_free(p->timer);
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
	stop_watching(p);
	answer(p->server, p->req, code, body);
	pending_free(p);
}

/*
 * The connection of a pending request is going away: evhttp calls this from
 * evhttp_connection_free().  When the client hung up, evhttp has already
 * detached the request from the connection, so freeing it is our job, and
 * this is the only place that does it.  (At shutdown the request is still
 * attached, and evhttp frees it along with the connection.)
 */
static void on_client_gone(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	struct pending *p = arg;

	if (evhttp_request_get_connection(p->req) == NULL)
		evhttp_request_free(p->req);
	request_abandoned(p->server);
	pending_free(p);
}

