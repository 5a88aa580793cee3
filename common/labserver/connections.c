/*
 * connections.c - the listener, its pauses when descriptors run out, and the
 * bookkeeping of connections (see labserver.h).
 */
#include "labserver.h"

/* --- Connections ---------------------------------------------------------------------- */

static void conn_new(struct server *s, struct bufferevent *bev);

/* evhttp asks us for each new connection's bufferevent.  That makes it the
 * one place where evhttp tells us a connection was accepted: count it. */
struct bufferevent *new_connection_bufferevent(struct event_base *base, void *arg)
{
	struct server *s = arg;
	s->stats.connections_accepted++;
	struct bufferevent *bev = CHECK_PTR(bufferevent_socket_new(base, -1, 0));  /* evhttp sets the fd */
	conn_new(s, bev);
	return bev;
}

static void resume_accepting(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct server *s = arg;
	CHECK_SYS(evconnlistener_enable(s->listener));
}

/* evhttp_bind_listener() takes the listener's callback argument for itself
 * (it passes its evhttp to its own accept callback), so the error callback
 * below, which gets the same argument, finds our server through this. */
static struct server *listening_server;

/*
 * accept() failed, most likely with EMFILE or ENFILE: no descriptor left for
 * the new connection.  The connection stays queued in the kernel, so the
 * listening socket stays readable, and the loop would call accept() again at
 * once, fail again, and spin at 100% CPU without ever getting anywhere.
 * Instead, stop listening for a moment; as the clients we are serving
 * finish, descriptors come free, and the queued connections get their turn.
 */
static void on_accept_error(struct evconnlistener *listener, void *unused)
{
	(void)unused;
	struct server *s = listening_server;
	int err = EVUTIL_SOCKET_ERROR();

	if (s->stats.accept_pauses++ == 0)
		fprintf(stderr, "labserver: accept: %s; pausing accepts for %d ms at a time "
			"(counted in /stats accept_pauses)\n", wb_strerror(err), ACCEPT_PAUSE_MS);
	CHECK_SYS(evconnlistener_disable(listener));
	struct timeval pause = { 0, ACCEPT_PAUSE_MS * 1000 };
	CHECK_SYS(evtimer_add(s->accept_resume, &pause));
}

void watch_accept_errors(struct server *s)
{
	s->accept_resume = CHECK_PTR(evtimer_new(s->base, resume_accepting, s));
	listening_server = s;
	evconnlistener_set_error_cb(s->listener, on_accept_error);
}

/*
 * Every connection, from its first loop turn to its close.
 *
 * evhttp has no hook for "a new request begins" in 2.1 (evhttp_set_newreqcb
 * is 2.2), and its idle timeout starts again on every byte, so a client
 * that trickles a header byte every few seconds (slowloris) would hold its
 * connection forever, and enough of them hold every descriptor.  So we keep
 * our own record of each connection: a deadline for a request's headers,
 * started by the request's first byte (seen by a callback on the input
 * buffer) and stopped when evhttp hands us the complete request; and a list
 * of the connections not busy with a request, oldest first, from which the
 * oldest is closed when a new connection would go past --max-conns.
 */
struct conn {
	struct server *server;
	struct bufferevent *bev;
	struct evhttp_connection *evcon;
	struct event *deadline;         /* first registration, then the header deadline */
	struct pending *pending;        /* the request it waits for, if any */
	struct big_reply *reply;        /* the large reply it is being sent, if any */
	struct evbuffer_cb_entry *output_count;   /* keeps server->out_held */
	int busy;                       /* a request is being answered */
	int fd;
	struct conn *prev, *next;       /* in server->idle_conns while !busy */
};

static void idle_list_add(struct conn *c)
{
	struct server *s = c->server;
	c->next = NULL;
	c->prev = s->idle_tail;
	if (s->idle_tail != NULL)
		s->idle_tail->next = c;
	else
		s->idle_head = c;
	s->idle_tail = c;
}

static void idle_list_remove(struct conn *c)
{
	struct server *s = c->server;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->idle_head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		s->idle_tail = c->prev;
	c->prev = c->next = NULL;
}

static struct conn *conn_of_fd(struct server *s, evutil_socket_t fd)
{
	if (fd < 0 || (size_t)fd >= s->conn_slots || s->conns[fd] == NULL)
		DIE("bug: connection on descriptor %d has no record", (int)fd);
	return s->conns[fd];
}

static struct conn *conn_of(struct server *s, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	return conn_of_fd(s, bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)));
}

/* evhttp frees the connection: the client left, timed out, or was closed. */
static void on_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	struct conn *c = arg;
	struct server *s = c->server;
	if (c->pending != NULL)
		pending_client_gone(c->pending);
	/* What is still queued goes with the connection, without callbacks.
	 * (A large reply's output is counted as its reservation instead.) */
	struct evbuffer *out = bufferevent_get_output(c->bev);
	if (c->reply != NULL)
		big_reply_gone(c->reply);
	else
		s->out_held -= (long long)evbuffer_get_length(out);
	CHECK_SYS(evbuffer_remove_cb_entry(out, c->output_count));
	if (!c->busy)
		idle_list_remove(c);
	s->conns[c->fd] = NULL;
	s->open_conns--;
	event_free(c->deadline);
	free(c);
}

/* Headers not complete in time, or closed to make room: evhttp frees it. */
static void close_conn(struct conn *c)
{
	evhttp_connection_free(c->evcon);       /* calls on_conn_closed */
}

static void on_header_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	c->server->stats.header_timeouts++;
	close_conn(c);
}

/* Data reached the input buffer: a waiting connection's request has begun. */
static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	(void)in;
	struct conn *c = arg;
	if (c->busy || info->n_added == 0 || evtimer_pending(c->deadline, NULL))
		return;
	CHECK_SYS(evtimer_add(c->deadline, &c->server->header_timeout));
}

/* Every change to a connection's output buffer: the total is what the
 * clients make us hold (limits.c refuses large replies past --reply-memory).
 * Counted as the buffers change, so no walk over the connections is needed. */
static void on_output(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg)
{
	(void)out;
	struct conn *c = arg;
	if (c->reply == NULL)
		c->server->out_held += (long long)info->n_added - (long long)info->n_deleted;
}

/* Over the cap: close the oldest connection that is not answering a request
 * (it may be the new one itself, when all the others are busy). */
static void make_room(struct server *s)
{
	if (s->open_conns <= s->max_conns || s->idle_head == NULL)
		return;
	s->stats.conns_shed++;
	close_conn(s->idle_head);
}

/* The first loop turn after the accept: evhttp has set the descriptor and
 * its callbacks (whose argument is the evhttp_connection) by now. */
static void on_registered(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	struct server *s = c->server;
	void *evcon;
	bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
	c->evcon = evcon;
	c->fd = (int)bufferevent_getfd(c->bev);
	if (c->fd < 0 || (size_t)c->fd >= s->conn_slots)
		DIE("bug: accepted descriptor %d outside the table of %zu", c->fd, s->conn_slots);
	s->conns[c->fd] = c;
	s->open_conns++;
	evhttp_connection_set_closecb(c->evcon, on_conn_closed, c);
	event_free(c->deadline);
	c->deadline = CHECK_PTR(evtimer_new(s->base, on_header_deadline, c));
	idle_list_add(c);
	if (evbuffer_add_cb(bufferevent_get_input(c->bev), on_input, c) == NULL)
		DIE("evbuffer_add_cb: out of memory");
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		CHECK_SYS(evtimer_add(c->deadline, &s->header_timeout));
	/* Left to itself, Linux grows a socket's send buffer to 4 MB for a
	 * client that does not read: 200 of them, 800 MB of kernel memory that
	 * no --reply-memory sees.  A fixed size caps it (and, being fixed, stops
	 * the growing); 256 KiB still fills a loopback or LAN pipe. */
	int sndbuf = CONN_SNDBUF;
	CHECK_SYS(setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf));
	struct evbuffer *out = bufferevent_get_output(c->bev);
	s->out_held += (long long)evbuffer_get_length(out);
	c->output_count = evbuffer_add_cb(out, on_output, c);
	if (c->output_count == NULL)
		DIE("evbuffer_add_cb: out of memory");
	make_room(s);
}

static void conn_new(struct server *s, struct bufferevent *bev)
{
	struct conn *c = wb_xcalloc(1, sizeof *c);
	c->server = s;
	c->bev = bev;
	c->fd = -1;
	/* Before any read of this connection (which needs another epoll turn). */
	c->deadline = CHECK_PTR(event_new(s->base, -1, 0, on_registered, c));
	CHECK_SYS(event_priority_set(c->deadline, PRIORITY_TIMER));
	event_active(c->deadline, 0, 0);
}

/* The reply has been sent and the connection stays open: it waits again. */
static void on_request_done(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evhttp_request_get_connection(req));
	if (bufferevent_priority_set(bev, PRIORITY_IO) != 0) {
		/* One of its events is queued to run right now (the client's
		 * next request, say), so libevent refuses.  The connection keeps
		 * the timer priority; harmless: its I/O just runs a little early. */
	}
	struct conn *c = conn_of(s, req);
	c->busy = 0;
	idle_list_add(c);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)  /* pipelined */
		CHECK_SYS(evtimer_add(c->deadline, &s->header_timeout));
}

void conn_request_started(struct server *s, struct evhttp_request *req)
{
	struct conn *c = conn_of(s, req);
	CHECK_SYS(evtimer_del(c->deadline));
	if (!c->busy)
		idle_list_remove(c);
	c->busy = 1;
	evhttp_request_set_on_complete_cb(req, on_request_done, s);
}

void conn_watch_pending(struct server *s, struct evhttp_request *req, struct pending *p)
{
	conn_of(s, req)->pending = p;
}

/* While a large reply is under way, its output is counted as its
 * reservation (server->reply_reserved), not byte by byte: see limits.c. */
void conn_watch_reply(struct server *s, struct evhttp_request *req, struct big_reply *r)
{
	struct conn *c = conn_of(s, req);
	long long queued = (long long)evbuffer_get_length(bufferevent_get_output(c->bev));
	if (c->reply == NULL && r != NULL)
		s->out_held -= queued;
	else if (c->reply != NULL && r == NULL)
		s->out_held += queued;
	c->reply = r;
}

void conn_table_init(struct server *s)
{
	struct rlimit limit;
	CHECK_SYS(getrlimit(RLIMIT_NOFILE, &limit));
	s->conn_slots = limit.rlim_cur == RLIM_INFINITY ? 1 << 20 : (size_t)limit.rlim_cur;
	s->conns = wb_xcalloc(s->conn_slots, sizeof *s->conns);
}
