/*
 * Lab 5: the queue between the stages - the struct (given) and its
 * set-up and tear-down (given, queue.c).  Push, pop and close are yours:
 * exercise 5.1, in exercises.c.
 */
#ifndef LAB5_QUEUE_H
#define LAB5_QUEUE_H

#include <pthread.h>

#define QUEUE_CLOSED 1

struct queue {
	pthread_mutex_t lock;       /* guards every field below */
	pthread_cond_t not_empty;   /* poppers wait here */
	pthread_cond_t not_full;    /* pushers wait here */
	void **slots;               /* a ring of `bound` slots */
	int bound;                  /* the most items it holds */
	int head;                   /* slot of the oldest item */
	int count;                  /* items in it now */
	int closed;                 /* 1 once queue_close was called */
	int peak;                   /* the most items it ever held (kept by queue_push) */
	int *report_peak;           /* where queue_destroy writes peak (NULL: nowhere) */
};

/* A queue of `bound` slots (>= 1); queue_destroy copies its peak to *report_peak. */
void queue_init(struct queue *q, int bound, int *report_peak);
void queue_destroy(struct queue *q);

#endif
