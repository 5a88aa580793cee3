/*
 * workloads_impl.h - between measure.c (which forks and measures) and
 * workloads.c (what runs in the child): one run's job.
 */
#ifndef LAB9_WORKLOADS_IMPL_H
#define LAB9_WORKLOADS_IMPL_H

#include "workloads.h"

struct wl_job {
	const struct wl_params *p;
	enum model model;        /* MODEL_NONE: the probe's form, `workers` threads */
	int workers;
	uint64_t items;          /* CPU items per task (or per record) */
	int steps_per_task;      /* locked: steps per task */
	int mixes_per_step;      /* locked: work under the lock per step */
	int report_fd;           /* idle: 'a' is written here once every connection is open */
};

/* In the child: run the job; 0 done, -1 failed. */
int wl_run_job(const struct wl_job *job);

#endif
