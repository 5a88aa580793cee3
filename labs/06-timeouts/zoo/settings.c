/*
 * zoo/settings.c - readers look the settings up all the time; one writer
 * wants to change them.
 *
 *     settings [SECONDS]    the writer gives up after SECONDS (default 2)
 *
 * Prints how long the writer waited for the lock; exit 1 if it never got it.
 * No tool reports this bug: nothing is wrong with any single access.  You
 * find it by measuring, and by looking (make zoo6-proc PROG=settings: who sleeps?).
 */
#include "zoo.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static pthread_rwlock_t lock;
static atomic_int stop;
static int setting = 1;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Two readers whose turns overlap: each lets go of the lock only once the
 * other has taken it again since, so at every instant one of them holds it.
 * (A handover, not a timing: a busy machine cannot open a gap between turns.)
 * glibc's default rwlock grants a reader the lock while a writer waits... */
static atomic_long turns;

static void *reader(void *arg)
{
	(void)arg;
	long seen = 0;
	while (!atomic_load(&stop)) {
		ZOO_CHECK(pthread_rwlock_rdlock(&lock));
		long mine = atomic_fetch_add(&turns, 1) + 1;
		seen += setting;
		usleep(1000);
		while (atomic_load(&turns) == mine && !atomic_load(&stop))
			usleep(200);   /* the other reader has not taken its turn yet */
		ZOO_CHECK(pthread_rwlock_unlock(&lock));
	}
	return (void *)seen;
}

int main(int argc, char **argv)
{
	double limit = argc > 1 ? atof(argv[1]) : 2;
	ZOO_CHECK(pthread_rwlock_init(&lock, NULL));
	pthread_t r[2];
	for (int i = 0; i < 2; i++) {
		ZOO_CHECK(pthread_create(&r[i], NULL, reader, NULL));
	}
	while (atomic_load(&turns) < 2)
		usleep(100);   /* both readers in the game before the writer asks */
	printf("settings: pid %d, the writer asks for the lock\n", (int)getpid());
	fflush(stdout);
	/* timedwrlock's deadline is on CLOCK_REALTIME: clockwrlock (glibc 2.30) takes
	 * CLOCK_MONOTONIC, but gcc 12's ThreadSanitizer does not know it, and would
	 * report races that are not there.  For a 2 s demo the wall clock will do. */
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)limit;
	deadline.tv_nsec += (long)((limit - (time_t)limit) * 1e9);
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	double asked = now();
	int rc = pthread_rwlock_timedwrlock(&lock, &deadline);
	double waited = now() - asked;
	if (rc == 0) {
		setting = 2;
		ZOO_CHECK(pthread_rwlock_unlock(&lock));
	} else if (rc != ETIMEDOUT) {
		ZOO_CHECK(rc);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		ZOO_CHECK(pthread_join(r[i], NULL));
	if (rc == 0)
		printf("settings: the writer got the lock after %.1f ms\n", waited * 1e3);
	else
		printf("settings: the writer gave up after %.3f s: it never got the lock\n", waited);
	return rc == 0 ? 0 : 1;
}
