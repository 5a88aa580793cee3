/*
 * Lab 9: the capstone - choose by measurement - the contract.
 *
 * Six mystery workloads, m1 ... m6, seeded per student (--seed; by default
 * from your user name): the seed decides which kind of work each one is and
 * how big.  You are not told what they do.  You measure them (build/bin/probe
 * m3, or make lab9, which probes all six) and, for each, write a function
 * that reads the probe's signature and returns the model you would run it
 * on and the two measurements that made you choose it.
 *
 * The checker then runs every model's reference implementation of that
 * workload live, on this machine (workloads.c: given code), and accepts
 * your choice if it is within 25 % of the fastest model it measured - or,
 * for a workload whose deciding figure is memory, of the smallest memory per
 * task.  It also probes the workload itself and checks your evidence: each
 * of the two measurements must be one that tells this workload apart, and
 * the value you give must agree with what the probe sees now.  No key: the
 * answer is whatever the measurements say on your machine.
 *
 * The models, as the reference implementations run them (every workload
 * has them all unless its own line in workloads.h says otherwise):
 *   MODEL_SEQUENTIAL  one thread, one task after another;
 *   MODEL_THREADS     a pool of one thread per core, each doing whole tasks
 *                     (for idle connections: a thread per connection);
 *   MODEL_PROCESSES   a pool of one process per core, each doing whole tasks
 *                     (for idle connections: a process per connection);
 *   MODEL_EVENT_LOOP  one thread; every wait multiplexed (libcurl's multi
 *                     interface, libevent); computing done in the loop;
 *   MODEL_PIPELINE    stages with a concurrency of their own: a waiting
 *                     stage (an event loop) feeding a pool of one thread per
 *                     core through a bounded queue.
 */
#ifndef LAB9_EXERCISES_H
#define LAB9_EXERCISES_H

#include "exercise.h"

enum model {
	MODEL_NONE = 0,      /* not chosen yet */
	MODEL_SEQUENTIAL,
	MODEL_THREADS,
	MODEL_PROCESSES,
	MODEL_EVENT_LOOP,
	MODEL_PIPELINE,
	MODEL_COUNT
};

/* What the probe measures.  One run with 1 worker, one with 2 (the scaling run). */
enum measure {
	M_NONE = 0,
	M_WALL_S,            /* elapsed seconds, 1 worker */
	M_USER_S,            /* user CPU seconds, 1 worker */
	M_SYS_S,             /* system CPU seconds, 1 worker */
	M_CPU_PER_WALL,      /* (user + sys) / wall, 1 worker: 0 waits, 1 computes on one core */
	M_CPU_PER_WALL_2,    /* the same with 2 workers: 2 means both cores computed */
	M_SCALING,           /* wall with 1 worker / wall with 2: 2 means it scales */
	M_SYS_SHARE,         /* sys / (user + sys): the kernel's share of the CPU time */
	M_SWITCHES_PER_TASK, /* voluntary context switches per task, 2 workers: how often it blocked */
	M_INVOLUNTARY,       /* involuntary context switches, 2 workers */
	M_PEAK_RSS_KIB,      /* peak resident memory, KiB */
	M_THREADS,           /* most threads alive at once */
	M_REQUESTS,          /* requests the lab server served (its /stats) */
	M_PEAK_IN_FLIGHT,    /* most requests in flight at once at the server (its /stats) */
	M_KIB_PER_TASK,      /* memory per task held at once, KiB (workloads that hold tasks) */
	M_COUNT
};

/* One measurement that justifies a choice: which, and the value you saw. */
struct evidence {
	enum measure what;
	double value;
};

struct choice {
	enum model model;
	struct evidence because[2];   /* two different measurements */
};

/* What the probe saw for one workload (-1 where a figure was not measured:
 * requests without a server that keeps /stats, memory per task for a
 * workload that holds no tasks at once). */
struct signature {
	int tasks;                 /* how many tasks the workload has */
	double value[M_COUNT];     /* value[M_SCALING], value[M_CPU_PER_WALL], ... */
};

/*
 * Exercises 9.1 - 9.6: one per mystery workload.
 * Fill *out: the model, and two pieces of evidence.  `probe` is the live
 * probe of that workload, the same figures `make lab9` prints: decide from
 * probe->value[...] (what mK is depends on the seed, so an answer written
 * down per workload fits only one seed), and cite the values it holds.
 * Return 0, or WB_NOT_DONE while it is the placeholder.
 */
int choose_m1(const struct signature *probe, struct choice *out);
int choose_m2(const struct signature *probe, struct choice *out);
int choose_m3(const struct signature *probe, struct choice *out);
int choose_m4(const struct signature *probe, struct choice *out);
int choose_m5(const struct signature *probe, struct choice *out);
int choose_m6(const struct signature *probe, struct choice *out);

#endif
