/*
 * stats.c - the counters behind /stats: requests in flight and their peak,
 * connections, timer lateness (see labserver.h).
 */
#include "labserver.h"

/* --- Counting requests ------------------------------------------------------------- */

void request_started(struct server *s)
{
	s->stats.in_flight++;
	if (s->stats.in_flight > s->stats.peak_in_flight)
		s->stats.peak_in_flight = s->stats.in_flight;
}

void request_finished(struct server *s)
{
	s->stats.in_flight--;
	s->stats.requests_served++;
}

void request_abandoned(struct server *s)
{
	s->stats.in_flight--;
	s->stats.requests_abandoned++;
}

static void out_stats(struct evbuffer *out, const struct server *s)
{
	const struct stats *st = &s->stats;
	out_printf(out,
		   "{\"requests_served\":%ld,\"connections_accepted\":%ld,"
		   "\"in_flight\":%ld,\"peak_in_flight\":%ld,\"worst_lateness_ms\":%.3f,"
		   "\"requests_abandoned\":%ld,\"accept_pauses\":%ld,"
		   "\"uptime_s\":%.3f,\"pid\":%ld}\n",
		   st->requests_served, st->connections_accepted, st->in_flight,
		   st->peak_in_flight, st->worst_lateness_ms, st->requests_abandoned,
		   st->accept_pauses, wb_now() - s->started, (long)getpid());
}

/* /stats is not counted in its own figures: a lab reading them should see
 * its own requests, not the act of looking. */
void handle_stats(struct server *s, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	if (s->no_stats) {
		request_started(s);     /* an ordinary request, like any other 404 */
		answer_error(s, req, 404, "no such endpoint: /stats (this server runs --no-stats)");
		return;
	}
	struct evbuffer *body = new_buffer();
	out_stats(body, s);
	evhttp_send_reply(req, 200, NULL, body);
	evbuffer_free(body);
}

/* /stats/reset: the figures so far, then start a new experiment: the peak
 * starts again from what is in flight now, the lateness from zero. */
void handle_stats_reset(struct server *s, struct evhttp_request *req, const char *rest)
{
	handle_stats(s, req, rest);
	if (s->no_stats)
		return;
	s->stats.peak_in_flight = s->stats.in_flight;
	s->stats.worst_lateness_ms = 0;
}

