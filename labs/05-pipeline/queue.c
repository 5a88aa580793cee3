/* queue.c - the queue's set-up and tear-down (given; see queue.h). */
#include "queue.h"

#include "checked.h"

#include <stdlib.h>

void queue_init(struct queue *q, int bound, int *report_peak)
{
	if (bound < 1)
		DIE("queue_init: a bound of %d (it must be at least 1)", bound);
	CHECK_PT(pthread_mutex_init(&q->lock, NULL));
	CHECK_PT(pthread_cond_init(&q->not_empty, NULL));
	CHECK_PT(pthread_cond_init(&q->not_full, NULL));
	q->slots = wb_xcalloc((size_t)bound, sizeof *q->slots);
	q->bound = bound;
	q->head = q->count = q->closed = q->peak = 0;
	q->report_peak = report_peak;
}

void queue_destroy(struct queue *q)
{
	if (q->report_peak && q->peak > *q->report_peak)
		*q->report_peak = q->peak;
	CHECK_PT(pthread_cond_destroy(&q->not_full));
	CHECK_PT(pthread_cond_destroy(&q->not_empty));
	CHECK_PT(pthread_mutex_destroy(&q->lock));
	free(q->slots);
	q->slots = NULL;
}
