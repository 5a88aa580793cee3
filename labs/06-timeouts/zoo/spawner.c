/*
 * zoo/spawner.c - starts a helper thread, a child process and a log file,
 * uses them, and "finishes".
 *
 *     spawner [SECONDS]    then lingers SECONDS (default 0) before exiting,
 *                          so that you can look at it from outside
 *
 * What does it leave behind?  make zoo6-proc PROG=spawner (its threads,
 * its children's states, its open descriptors); make zoo6-tsan PROG=spawner.
 */
#include "zoo.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static void *helper(void *arg)
{
	(void)arg;
	return (void *)42L;
}

int main(int argc, char **argv)
{
	double linger = argc > 1 ? atof(argv[1]) : 0;
	pthread_t t;
	ZOO_CHECK(pthread_create(&t, NULL, helper, NULL));
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		return 2;
	}
	if (child == 0)
		_exit(7);
	int log = open("/dev/null", O_WRONLY);
	if (log < 0) {
		perror("open /dev/null");
		return 2;
	}
	if (write(log, "started\n", 8) != 8)
		perror("write");
	printf("spawner: pid %d, started helper thread, child %d and log fd %d\n", (int)getpid(),
	       (int)child, log);
	fflush(stdout);
	if (linger > 0)
		usleep((useconds_t)(linger * 1e6));
	return 0;
}
