/*
 * zoo/tally.c - threads add their sales into one total (lab 2's summary).
 *
 *     tally [THREADS [ADDS]]     default 4 threads, 10000000 adds each
 *
 * Prints the total and what it should be; exit 1 when they differ.
 * Build it at -O0 and at -O2 (make zoo6 does both) and compare; then run
 * it under ThreadSanitizer (make zoo6-tsan PROG=tally).
 */
#include "zoo.h"

#include <errno.h>
#include <pthread.h>

struct tally {
	pthread_mutex_t lock;
	long total;
};

static struct tally tally = { PTHREAD_MUTEX_INITIALIZER, 0 };
static long adds = 10000000;

static void tally_add(struct tally *t, long amount)
{
	t->total += amount;
}

/* All sellers start together, so that they really overlap: without the gate
 * the first may be done before the last is created, on a busy machine. */
static pthread_barrier_t opening;

static void *seller(void *arg)
{
	(void)arg;
	int rc = pthread_barrier_wait(&opening);
	if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
		ZOO_CHECK(rc);
	for (long i = 0; i < adds; i++)
		tally_add(&tally, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 4;
	if (argc > 2)
		adds = atol(argv[2]);
	if (threads < 1 || threads > 64 || adds < 1) {
		fprintf(stderr, "usage: tally [THREADS (1-64) [ADDS]]\n");
		return 2;
	}
	pthread_t t[64];
	ZOO_CHECK(pthread_barrier_init(&opening, NULL, (unsigned)threads));
	for (int i = 0; i < threads; i++)
		ZOO_CHECK(pthread_create(&t[i], NULL, seller, NULL));
	for (int i = 0; i < threads; i++)
		ZOO_CHECK(pthread_join(t[i], NULL));
	ZOO_CHECK(pthread_barrier_destroy(&opening));
	long expected = threads * adds;
	printf("tally: total %ld, expected %ld: %s\n", tally.total, expected,
	       tally.total == expected ? "right" : "updates were lost");
	return tally.total == expected ? 0 : 1;
}
