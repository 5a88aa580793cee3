/* driver_pool.h - lab 8's one-machine comparisons (driver_pool.c). */
#ifndef LAB8_DRIVER_POOL_H
#define LAB8_DRIVER_POOL_H

#include "exercises.h"

/* A pool of `workers` processes computing every task of t into results[]. */
void lab8_pool_run(const struct lab8_tasks *t, int workers, uint64_t *results);

/* Mean round trip of one byte through two pipes to a child and back. */
double lab8_pipe_round_trip(int reps);

#endif
