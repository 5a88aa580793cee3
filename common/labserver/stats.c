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

/* The counters as a JSON object (the one place that lists them). */
static cJSON *stats_json(const struct server *s)
{
	const struct stats *st = &s->stats;
	const struct {
		const char *key;
		double value;
	} fields[] = {
		{ "requests_served", st->requests_served },
		{ "connections_accepted", st->connections_accepted },
		{ "in_flight", st->in_flight },
		{ "peak_in_flight", st->peak_in_flight },
		{ "worst_lateness_ms", st->worst_lateness_ms },
		{ "requests_abandoned", st->requests_abandoned },
		{ "accept_pauses", st->accept_pauses },
		{ "open_connections", s->open_conns },
		{ "header_timeouts", st->header_timeouts },
		{ "connections_shed", st->conns_shed },
		{ "replies_refused", st->replies_refused },
		{ "reply_bytes_held", (double)(s->out_held + s->reply_reserved) },
		{ "uptime_s", wb_now() - s->started },
		{ "pid", getpid() },
	};
	cJSON *doc = json_object();
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		CHECK_PTR(cJSON_AddNumberToObject(doc, fields[i].key, fields[i].value));
	return doc;
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
	struct evbuffer *body = json_buffer(stats_json(s));
	send_reply(req, 200, body);
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

