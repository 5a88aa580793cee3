/*
 * zoo/accounts.c - two clerks move money between two accounts.
 *
 *     accounts            clerk 1 pays a->b, then clerk 2 pays b->a: it ends
 *     accounts --hang     both clerks at once, each holding its first lock: stuck for ever
 *
 * Run it plain under ThreadSanitizer or helgrind: the bug is reported even
 * though this run ends.  Run it with --hang and look at it from outside
 * (make zoo6-gdb, make zoo6-proc): where is each thread, and who holds what?
 */
#include "zoo.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

struct account {
	pthread_mutex_t lock;
	int id;
	long balance;
};

static struct account a = { PTHREAD_MUTEX_INITIALIZER, 1, 100 };
static struct account b = { PTHREAD_MUTEX_INITIALIZER, 2, 100 };
static pthread_barrier_t both_hold_one;
static int hang;

static void transfer(struct account *from, struct account *to, long amount)
{
	ZOO_CHECK(pthread_mutex_lock(&from->lock));
	if (hang)   /* both clerks hold their first lock before either asks for the second */
		pthread_barrier_wait(&both_hold_one);
	ZOO_CHECK(pthread_mutex_lock(&to->lock));
	from->balance -= amount;
	to->balance += amount;
	ZOO_CHECK(pthread_mutex_unlock(&to->lock));
	ZOO_CHECK(pthread_mutex_unlock(&from->lock));
}

static void *clerk_ab(void *arg) { (void)arg; transfer(&a, &b, 10); return NULL; }
static void *clerk_ba(void *arg) { (void)arg; transfer(&b, &a, 10); return NULL; }

int main(int argc, char **argv)
{
	hang = argc > 1 && strcmp(argv[1], "--hang") == 0;
	pthread_t t1, t2;
	ZOO_CHECK(pthread_barrier_init(&both_hold_one, NULL, 2));
	ZOO_CHECK(pthread_create(&t1, NULL, clerk_ab, NULL));
	if (!hang)
		ZOO_CHECK(pthread_join(t1, NULL));
	ZOO_CHECK(pthread_create(&t2, NULL, clerk_ba, NULL));
	if (hang) {
		printf("accounts: pid %d, both clerks started\n", (int)getpid());
		fflush(stdout);
		ZOO_CHECK(pthread_join(t1, NULL));
	}
	ZOO_CHECK(pthread_join(t2, NULL));
	printf("accounts: a %ld, b %ld\n", a.balance, b.balance);
	return 0;
}
