/*
 * server.h - every lab starts its own lab server.
 *
 * wb_server_url(NULL) starts build/bin/labserver on a free port and returns
 * its URL; the server is stopped again however the lab ends: returning from
 * main, exit(), Ctrl-C, SIGTERM, SIGHUP, even SIGKILL.  Port 0 means two
 * labs (or two test runs) on one machine never fight over a port.
 *
 * Rules, because the server is a child process of the lab:
 *   - One server per process; call these from the main thread.  (Linux
 *     tells the server its parent died when the *thread* that started it
 *     ends, so a thread that starts it and then exits would stop it.)
 *   - Wait for your own children by pid: waitpid(pid, ...).  wait(NULL) or
 *     waitpid(-1, ...) in a loop would wait for the server too.
 *   - Children forked by the lab may use the URL; only the process that
 *     started the server stops it.
 */
#ifndef WB_SERVER_H
#define WB_SERVER_H

#include <stddef.h>

/* Base URL to use (no trailing slash): explicit_url if non-NULL, else $LAB_URL
 * if set and non-empty, else start build/bin/labserver on a free port and
 * return its URL.  The server program is the labserver beside the running
 * program (all programs live in build/bin/), or $LABSERVER if set.
 * Dies with a clear message on failure. */
const char *wb_server_url(const char *explicit_url);

/* The same for a lab (its spec's .server): then one GET /get, so that a
 * server given with --url or LAB_URL that does not answer is named at once,
 * with libcurl's reason, before any experiment (exit 1). */
const char *wb_lab_server(const char *explicit_url);

/* Stop the server this process started (idempotent; also runs at exit and
 * on SIGINT/SIGTERM/SIGHUP). */
void wb_server_stop(void);

struct wb_server_stats {
	long requests_served, connections_accepted, in_flight, peak_in_flight;
	double worst_lateness_ms;
};

/* GET base_url/stats (or /stats/reset when reset != 0: the figures so far,
 * then the peak restarts from what is in flight now, the lateness from 0).
 * 0 on success; -1 with errbuf filled ("GET url: curl message").
 * Each call opens one connection of its own, which connections_accepted
 * includes; /stats requests themselves are not counted as requests. */
int wb_server_stats(const char *base_url, int reset, struct wb_server_stats *out,
		    char *errbuf, size_t errlen);

/*
 * The same figures for a lab, which must also run against another
 * httpbin-compatible server (--url, LAB_URL) that keeps no counts: then it
 * says so once on stderr, zeroes *out and returns 0 from then on.  Returns 1
 * when the figures are real.
 */
int wb_server_counts(const char *base_url, int reset, struct wb_server_stats *out);

#endif
