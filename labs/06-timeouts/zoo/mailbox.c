/*
 * zoo/mailbox.c - one postman, two readers, then the box is closed.
 *
 *     mailbox      ends when both readers have seen the box closed ... or not
 *
 * Does it end?  If it does not, look at it from outside (make zoo6-gdb
 * PROG=mailbox, make zoo6-proc PROG=mailbox): which thread waits, and for what?
 */
#include "zoo.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int items[16];
	int head, count, closed;
} box = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 0, 0, 0 };

static int waiting;   /* readers asleep in get, under box.lock */

static void put(int item)
{
	ZOO_CHECK(pthread_mutex_lock(&box.lock));
	box.items[(box.head + box.count++) % 16] = item;
	ZOO_CHECK(pthread_cond_signal(&box.changed));
	ZOO_CHECK(pthread_mutex_unlock(&box.lock));
}

/* 0 with *item, or 1 when the box is closed and empty. */
static int get(int *item)
{
	ZOO_CHECK(pthread_mutex_lock(&box.lock));
	while (box.count == 0 && !box.closed) {
		waiting++;
		ZOO_CHECK(pthread_cond_wait(&box.changed, &box.lock));
		waiting--;
	}
	int closed = box.count == 0;
	if (!closed) {
		*item = box.items[box.head];
		box.head = (box.head + 1) % 16;
		box.count--;
	}
	ZOO_CHECK(pthread_mutex_unlock(&box.lock));
	return closed;
}

static void close_box(void)
{
	ZOO_CHECK(pthread_mutex_lock(&box.lock));
	box.closed = 1;
	ZOO_CHECK(pthread_cond_signal(&box.changed));
	ZOO_CHECK(pthread_mutex_unlock(&box.lock));
}

static void *reader(void *arg)
{
	int item, got = 0;
	while (get(&item) == 0)
		got++;
	printf("mailbox: reader %ld read %d letters, saw the box closed\n", (long)arg, got);
	fflush(stdout);
	return NULL;
}

int main(void)
{
	pthread_t r[2];
	for (long i = 0; i < 2; i++)
		ZOO_CHECK(pthread_create(&r[i], NULL, reader, (void *)i));
	for (int i = 0; i < 10; i++)
		put(i);
	/* close only once both readers are asleep in get: the moment that matters */
	for (;;) {
		ZOO_CHECK(pthread_mutex_lock(&box.lock));
		int idle = box.count == 0 && waiting == 2;
		ZOO_CHECK(pthread_mutex_unlock(&box.lock));
		if (idle)
			break;
		usleep(1000);
	}
	printf("mailbox: pid %d, closing the box\n", (int)getpid());
	fflush(stdout);
	close_box();
	for (int i = 0; i < 2; i++)
		ZOO_CHECK(pthread_join(r[i], NULL));
	printf("mailbox: both readers done\n");
	return 0;
}
