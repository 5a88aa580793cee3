/*
 * Lab 6: given code (linked into the lab, the solution and the checker):
 * names for the enums of exercises.h, and the mailbox's initialiser.
 */
#include "exercises.h"

#include "checked.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

const char *failure_name(enum failure f)
{
	switch (f) {
	case FAIL_NONE: return "ok";
	case FAIL_REFUSED: return "refused";
	case FAIL_CONNECT_TIMEOUT: return "connect timeout";
	case FAIL_TOTAL_TIMEOUT: return "total timeout";
	case FAIL_TOO_SLOW: return "too slow";
	case FAIL_CANCELLED: return "cancelled";
	case FAIL_OTHER: return "other";
	}
	return "?";
}

const char *bug_name(enum bug b)
{
	static const char *const names[] = {
		[BUG_NONE] = "no bug", [BUG_DATA_RACE] = "data race",
		[BUG_LOCK_ORDER] = "lock-order inversion", [BUG_LOST_WAKEUP] = "lost wake-up",
		[BUG_STARVATION] = "writer starvation", [BUG_LEAKED_THREAD] = "thread never joined",
		[BUG_ZOMBIE] = "zombie (child never reaped)", [BUG_LEAKED_FD] = "descriptor never closed",
	};
	return (unsigned)b < sizeof names / sizeof names[0] ? names[b] : "?";
}

const char *tool_name(enum tool t)
{
	static const char *const names[] = {
		[TOOL_NONE] = "none", [TOOL_TSAN] = "ThreadSanitizer", [TOOL_HELGRIND] = "helgrind",
		[TOOL_GDB] = "gdb", [TOOL_PROC] = "/proc", [TOOL_MEASURE] = "its own timing",
	};
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

void mailbox_init(struct mailbox *m)
{
	CHECK_PT(pthread_mutex_init(&m->lock, NULL));
	CHECK_PT(pthread_cond_init(&m->changed, NULL));
	m->head = m->count = m->closed = 0;
}

/* A socket bound to 127.0.0.1 on a free port; its port in *port. */
static int bound_socket(int *port)
{
	int fd = CHECK_SYS(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK_SYS(bind(fd, (struct sockaddr *)&a, sizeof a));
	socklen_t len = sizeof a;
	CHECK_SYS(getsockname(fd, (struct sockaddr *)&a, &len));
	*port = ntohs(a.sin_port);
	return fd;
}

int refused_port(void)
{
	int port;
	close(bound_socket(&port));   /* bound, never listening, closed: nobody there */
	return port;
}

void full_backlog(struct backlog *b)
{
	b->listener = bound_socket(&b->port);
	CHECK_SYS(listen(b->listener, 0));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)b->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	for (int i = 0; i < 2; i++) {
		/* non-blocking: the second one's SYN is dropped, and it would wait */
		b->fillers[i] = CHECK_SYS(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
		if (connect(b->fillers[i], (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)
			DIE("connecting to the full-backlog listener: %s", wb_strerror(errno));
	}
	usleep(20000);   /* the first handshake completes and fills the queue */
}

void close_backlog(struct backlog *b)
{
	for (int i = 0; i < 2; i++)
		CHECK_SYS(close(b->fillers[i]));
	CHECK_SYS(close(b->listener));
}
