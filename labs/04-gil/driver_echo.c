/*
 * driver_echo.c - lab 4's echo service, the other end of the convoy's round
 * trips (part of the driver: scaffolding, not an exercise).
 */
#include "driver.h"

#include "checked.h"
#include "cpuwork.h"

#include <errno.h>
#include <unistd.h>

#define ECHO_SERVICE_S 50e-6     /* the echo's time to answer */

/* Keeps the compiler from dropping the echo's work. */
static volatile uint64_t echo_sink;

/* Read one byte; 0 at end-of-file. */
static int read_byte(int fd, char *c)
{
	for (;;) {
		ssize_t n = read(fd, c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		return (int)CHECK_SYS(n);
	}
}

static void write_byte(int fd, char c)
{
	for (;;) {
		ssize_t n = write(fd, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (CHECK_SYS(n) != 1)
			DIE("write: %zd bytes written, 1 expected", n);
		return;
	}
}

/*
 * The other end: a plain C thread, outside the GIL, like a server in another
 * process.  It takes ECHO_SERVICE_S of work to answer, as a fast local
 * service would (and as CPython's own round trip takes, interpreter and all):
 * long enough for a waiting thread to wake up and take the GIL meanwhile.
 */
void *echo_main(void *arg)
{
	int fd = *(int *)arg;
	uint64_t items = wb_cpu_items_for(ECHO_SERVICE_S);
	char c;
	while (read_byte(fd, &c) == 1) {
		echo_sink += wb_cpu_sum(0, items);
		write_byte(fd, c);
	}
	return NULL;
}

void echo_send(void *arg)
{
	struct byte_io *io = arg;
	write_byte(io->fd, io->byte);
}

void echo_receive(void *arg)
{
	struct byte_io *io = arg;
	if (read_byte(io->fd, &io->byte) != 1)
		DIE("the echo thread hung up");
}
