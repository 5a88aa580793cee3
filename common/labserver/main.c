/*
 * labserver/main.c - the workbook's local httpbin-compatible server.
 *
 *     labserver [--port N] [--bind ADDR] [--idle-timeout S] [--header-timeout S]
 *               [--max-conns N] [--reply-memory MIB] [--no-stats] [--help]
 *
 * The labs send their requests here instead of to the Internet, so that
 * every experiment is repeatable, fast, and works offline.  The first line
 * on stdout is the base URL (http://127.0.0.1:PORT); wb_server_url() in
 * server.c starts this program and reads that line.
 *
 * It is also a worked example of an *event-loop* server, which a later part
 * of the course takes apart.  The whole server is one thread running one
 * libevent loop.  Nothing here ever blocks: a request for /delay/5 does not
 * sleep for five seconds, it sets a timer and returns to the loop at once,
 * so ten thousand clients can be waiting at the same time on one thread.
 * And because only that one thread ever touches the server's state (the
 * statistics, the list of pending requests), none of it needs a lock.
 *
 * A request's life:
 *
 *   evhttp parses it  ->  route_request() picks a handler from the routes[]
 *   table  ->  the handler either answers at once (answer()), or makes a
 *   "pending" request with a timer (/delay, /hang, /drip) and returns.  When
 *   the timer fires, the pending request is answered; if instead the client
 *   hangs up first, pending_client_gone() cleans up.  Either way it is finished
 *   exactly once, and /stats counts it as in flight until then.
 *
 * Endpoints (JSON unless noted; shaped like httpbin's):
 *   GET /get                 echo: args, headers, origin, url
 *   GET /delay/{s}           the same, after s seconds (0..10)
 *   ANY /status/{code}       an empty reply with that status (100..599)
 *   GET /bytes/{n}[?seed=K]  n random bytes (n <= 1 MiB); seed makes them repeatable
 *   GET /drip?duration=&numbytes=&delay=&code=   bytes paced over duration seconds
 *   GET /stream/{n}          n JSON lines (n <= 100), chunked
 *   ANY /anything[/...]      echo, with method and body ("data")
 *   GET /hang                never answers (gives up with 504 after 60 s)
 *   GET /stats               counters: requests, connections, in flight, lateness
 *   GET /stats/reset         the same, then reset the peak and the lateness
 */
#include "labserver.h"

#include <netinet/tcp.h>

/* --- Options ------------------------------------------------------------------------------ */


static void usage(FILE *to)
{
	fprintf(to,
		"usage: labserver [--port N] [--bind ADDR] [--idle-timeout S] [--header-timeout S]\n"
		"                 [--max-conns N] [--reply-memory MIB] [--no-stats] [--help]\n"
		"  --port N            listen on port N (default 0: any free port)\n"
		"  --bind ADDR         listen on numeric address ADDR (default 127.0.0.1)\n"
		"  --idle-timeout S    close connections idle for S seconds (default %d)\n"
		"  --header-timeout S  a request's headers must arrive within S seconds of its\n"
		"                      first byte, however slowly they trickle (default %d)\n"
		"  --max-conns N       at most N connections; past it the oldest one not busy\n"
		"                      with a request is closed (default: 3/4 of the descriptor\n"
		"                      limit, at most %d)\n"
		"  --reply-memory MIB  at most MIB MiB of replies held for clients that read\n"
		"                      slowly; past it large replies get 503 (default %d)\n"
		"  --no-stats          no /stats: behave like any other httpbin (for testing the labs)\n"
		"The first line on stdout is the base URL, e.g. http://127.0.0.1:41234\n",
		DEFAULT_IDLE_TIMEOUT_S, DEFAULT_HEADER_TIMEOUT_S, MAX_CONNS_CAP,
		DEFAULT_REPLY_MEMORY_MIB);
}

__attribute__((format(printf, 1, 2)))
static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "labserver: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(2);
}

static struct options parse_options(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "port",         required_argument, NULL, 'p' },
		{ "bind",         required_argument, NULL, 'b' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "header-timeout", required_argument, NULL, 'H' },
		{ "max-conns",    required_argument, NULL, 'm' },
		{ "reply-memory", required_argument, NULL, 'r' },
		{ "no-stats",     no_argument,       NULL, 'n' },
		{ "help",         no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options opt = { 0, "127.0.0.1", DEFAULT_IDLE_TIMEOUT_S, 0, DEFAULT_HEADER_TIMEOUT_S, 0,
			       DEFAULT_REPLY_MEMORY_MIB };
	int c;

	opterr = 0;     /* we print our own messages, each followed by the usage */
	while ((c = getopt_long(argc, argv, ":p:b:t:H:m:r:nh", long_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_count(optarg, 0, 65535, &opt.port) < 0)
				usage_error("--port: \"%s\" is not a port number (0..65535)", optarg);
			break;
		case 'b':
			opt.bind_address = optarg;
			break;
		case 't':
			if (parse_count(optarg, 1, 3600, &opt.idle_timeout_s) < 0)
				usage_error("--idle-timeout: \"%s\" is not a number of seconds (1..3600)",
					    optarg);
			break;
		case 'H':
			if (parse_count(optarg, 1, 3600, &opt.header_timeout_s) < 0)
				usage_error("--header-timeout: \"%s\" is not a number of seconds (1..3600)",
					    optarg);
			break;
		case 'm':
			if (parse_count(optarg, 1, 1000000, &opt.max_conns) < 0)
				usage_error("--max-conns: \"%s\" is not a count (1..1000000)", optarg);
			break;
		case 'r':
			if (parse_count(optarg, 1, 65536, &opt.reply_memory_mib) < 0)
				usage_error("--reply-memory: \"%s\" is not a number of MiB (1..65536)",
					    optarg);
			break;
		case 'n':
			opt.no_stats = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			usage_error("%s needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
	return opt;
}

/* --- Starting and stopping ------------------------------------------------------------------ */

/* Each connection needs a descriptor, and the usual soft limit (1024) is far
 * below the 10,000 clients the labs throw at us; the hard limit is the most
 * an unprivileged process may ask for. */
static void raise_descriptor_limit(void)
{
	struct rlimit limit;
	CHECK_SYS(getrlimit(RLIMIT_NOFILE, &limit));
	if (limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		CHECK_SYS(setrlimit(RLIMIT_NOFILE, &limit));
	}
}

/* Writing to a client that has gone raises SIGPIPE, which would kill the
 * whole server; ignored, the write just fails and evhttp drops that client. */
static void ignore_sigpipe(void)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	CHECK_SYS(sigemptyset(&ignore.sa_mask));
	CHECK_SYS(sigaction(SIGPIPE, &ignore, NULL));
}

static void on_shutdown_signal(evutil_socket_t signum, short what, void *arg)
{
	(void)signum;
	(void)what;
	struct server *s = arg;
	/* Leave the loop when this callback returns; main() then frees everything. */
	CHECK_SYS(event_base_loopexit(s->base, NULL));
}

/* ADDR and PORT as a socket address; exits with a usage error if ADDR is no numeric address. */
static socklen_t make_address(const struct options *opt, struct sockaddr_storage *addr)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *found;
	char port[16];
	snprintf(port, sizeof port, "%ld", opt->port);
	int rc = getaddrinfo(opt->bind_address, port, &hints, &found);
	if (rc != 0)
		usage_error("--bind: \"%s\" is not a numeric IPv4 or IPv6 address (%s)",
			    opt->bind_address, gai_strerror(rc));
	socklen_t len = found->ai_addrlen;
	memcpy(addr, found->ai_addr, len);
	freeaddrinfo(found);
	return len;
}


static void start_listening(struct server *s, const struct options *opt)
{
	struct sockaddr_storage addr;
	socklen_t len = make_address(opt, &addr);

	/* We make the listening socket ourselves because evhttp_bind_socket
	 * uses a backlog of 128: a burst of thousands of connections overflows
	 * it, and each connection dropped there costs its client a 1 s SYN retry. */
	s->listener = evconnlistener_new_bind(s->base, NULL, NULL,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
		LISTEN_BACKLOG, (struct sockaddr *)&addr, (int)len);
	if (s->listener == NULL)
		DIE("cannot listen on %s port %ld: %s", opt->bind_address, opt->port,
		    wb_strerror(errno));
	/* No Nagle: a reply written in pieces (a header, then a body) must not
	 * wait for the client's delayed ACK, about 40 ms, before its last piece
	 * leaves.  Linux hands the option on to every accepted socket. */
	int on = 1;
	CHECK_SYS(setsockopt(evconnlistener_get_fd(s->listener), IPPROTO_TCP, TCP_NODELAY,
			     &on, sizeof on));
	CHECK_PTR(evhttp_bind_listener(s->http, s->listener));   /* http owns it now */
	watch_accept_errors(s);
}

/* The cap keeps descriptors in reserve (for the listener's next accept, the
 * log, a burst) below the limit; see make_room() in connections.c. */
static void set_max_conns(struct server *s, const struct options *opt)
{
	conn_table_init(s);
	long limit = (long)s->conn_slots;
	long fallback = limit / 4 * 3 < MAX_CONNS_CAP ? limit / 4 * 3 : MAX_CONNS_CAP;
	s->max_conns = opt->max_conns > 0 ? opt->max_conns : fallback;
	if (s->max_conns > limit - 16)
		usage_error("--max-conns %ld: the descriptor limit is %ld", s->max_conns, limit);
}

static void server_start(struct server *s, const struct options *opt)
{
	/* PRECISE_TIMER: without it libevent reads a coarse clock on Linux
	 * (CLOCK_MONOTONIC_COARSE, a few ms per tick), and every timer could
	 * fire up to a tick late. */
	struct event_config *config = CHECK_PTR(event_config_new());
	CHECK_SYS(event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER));
	/* evhttp switches each connection's read and write interest on and off
	 * several times per request; with a changelist, libevent tells epoll
	 * only the net change, once per loop turn: half the epoll_ctl calls. */
	CHECK_SYS(event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST));
	/*
	 * By default the loop runs every ready event, first come first served,
	 * before it looks at the clock again: a /delay timer that falls due
	 * while 4,000 new connections are being handled waits for all of them
	 * (100 ms or more).  So timers get their own, higher priority, and the
	 * ordinary I/O callbacks may run for at most 1 ms before the loop looks
	 * for due timers again.
	 */
	struct timeval io_slice = { 0, 1000 };
	CHECK_SYS(event_config_set_max_dispatch_interval(config, &io_slice, -1, PRIORITY_IO));
	s->base = CHECK_PTR(event_base_new_with_config(config));
	event_config_free(config);
	/* Events made without a priority (all of evhttp's) get PRIORITIES / 2,
	 * which is PRIORITY_IO. */
	CHECK_SYS(event_base_priority_init(s->base, PRIORITIES));

	s->started = wb_now();
	s->random_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	/* Every connection's idle timeout is the same length and is re-armed on
	 * every read.  As a "common timeout" libevent keeps such timers in a
	 * plain queue, O(1) to re-arm, instead of its heap of all timers. */
	struct timeval idle = { opt->idle_timeout_s, 0 };
	s->idle_timeout = *CHECK_PTR(event_base_init_common_timeout(s->base, &idle));
	struct timeval headers = { opt->header_timeout_s, 0 };
	s->header_timeout = *CHECK_PTR(event_base_init_common_timeout(s->base, &headers));
	set_max_conns(s, opt);
	s->reply_memory = (long long)opt->reply_memory_mib << 20;

	s->http = CHECK_PTR(evhttp_new(s->base));
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	/* evhttp enforces these itself, before we see the request: 400 for a
	 * request line or headers over the limit, 413 for a body over it. */
	evhttp_set_max_headers_size(s->http, MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(s->http, MAX_BODY_SIZE);
	/* A connection that sends nothing (idle keep-alive, or a slowloris that
	 * stops halfway through its headers) is closed after this long.
	 * Pending requests are exempt: see watch_for_client_close(). */
	evhttp_set_timeout_tv(s->http, &s->idle_timeout);
	evhttp_set_default_content_type(s->http, "application/json");
	evhttp_set_gencb(s->http, on_request, s);  /* limits.c, then route_request() */
	evhttp_set_bevcb(s->http, new_connection_bufferevent, s);

	start_listening(s, opt);

	s->on_sigint = CHECK_PTR(evsignal_new(s->base, SIGINT, on_shutdown_signal, s));
	s->on_sigterm = CHECK_PTR(evsignal_new(s->base, SIGTERM, on_shutdown_signal, s));
	CHECK_SYS(evsignal_add(s->on_sigint, NULL));
	CHECK_SYS(evsignal_add(s->on_sigterm, NULL));
}

/* Print the base URL as the first line on stdout, and flush it at once:
 * the program that started us is waiting for it. */
static void announce_url(struct server *s)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof addr;
	CHECK_SYS(getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&addr, &len));

	char host[INET6_ADDRSTRLEN];
	int port;
	if (addr.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
		/* A wildcard address is for listening; to connect, use loopback. */
		const struct in6_addr *ip = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)
			? &in6addr_loopback : &in6->sin6_addr;
		CHECK_PTR(inet_ntop(AF_INET6, ip, host, sizeof host));
		port = ntohs(in6->sin6_port);
	} else {
		struct sockaddr_in *in4 = (struct sockaddr_in *)&addr;
		struct in_addr ip = in4->sin_addr;
		if (ip.s_addr == htonl(INADDR_ANY))
			ip.s_addr = htonl(INADDR_LOOPBACK);
		CHECK_PTR(inet_ntop(AF_INET, &ip, host, sizeof host));
		port = ntohs(in4->sin_port);
	}

	const char *open = addr.ss_family == AF_INET6 ? "[" : "";
	const char *close = addr.ss_family == AF_INET6 ? "]" : "";
	if (printf("http://%s%s%s:%d\n", open, host, close, port) < 0 || fflush(stdout) == EOF)
		DIE("writing the URL to stdout: %s", wb_strerror(errno));
}

static void server_free(struct server *s)
{
	/* Forget the requests still waiting.  Each is still attached to its
	 * connection, so evhttp_free() frees it when it closes the connection. */
	while (s->pending != NULL) {
		struct pending *p = s->pending;
		conn_watch_pending(s, p->req, NULL);
		request_abandoned(s);
		pending_free(p);
	}
	evhttp_free(s->http);           /* the connections, their requests, the listener */
	free(s->conns);
	event_free(s->accept_resume);
	event_free(s->on_sigint);
	event_free(s->on_sigterm);
	event_base_free(s->base);
	libevent_global_shutdown();     /* so that leak checkers see nothing left */
}

int main(int argc, char **argv)
{
	struct options opt = parse_options(argc, argv);
	struct server server = { 0 };

	raise_descriptor_limit();
	ignore_sigpipe();
	server.no_stats = opt.no_stats;
	server_start(&server, &opt);
	announce_url(&server);

	if (event_base_dispatch(server.base) < 0)
		DIE("event_base_dispatch failed");

	server_free(&server);
	return 0;
}

