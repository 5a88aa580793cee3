/*
 * connections.c - the listener, its pauses when descriptors run out, and the
 * bookkeeping of connections (see labserver.h).
 */
#include "labserver.h"

/* --- Connections ---------------------------------------------------------------------- */

/* evhttp asks us for each new connection's bufferevent.  That makes it the
 * one place where evhttp tells us a connection was accepted: count it. */
struct bufferevent *new_connection_bufferevent(struct event_base *base, void *arg)
{
	struct server *s = arg;
	s->stats.connections_accepted++;
	return CHECK_PTR(bufferevent_socket_new(base, -1, 0));  /* evhttp sets the fd */
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
