/* tests/fixture.c - what the server's test suites share (see fixture.h). */
#include "fixture.h"

#include "checked.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void labserver_path(char *path, size_t cap)
{
	const char *from_env = getenv("LABSERVER");
	if (from_env != NULL && *from_env != '\0') {
		snprintf(path, cap, "%s", from_env);
		return;
	}
	ssize_t n = CHECK_SYS(readlink("/proc/self/exe", path, cap - 1));
	path[n] = '\0';
	strcpy(strrchr(path, '/') + 1, "labserver");
}

int connect_to(int port)
{
	int fd = CHECK_SYS(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	CHECK_SYS(connect(fd, (struct sockaddr *)&addr, sizeof addr));
	return fd;
}

void send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = CHECK_SYS(send(fd, data, len, MSG_NOSIGNAL));
		data += n;
		len -= (size_t)n;
	}
}
