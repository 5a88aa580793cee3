/*
 * workloads.h - the six mystery workloads, every model's reference
 * implementation of each, and the measurements the probe, the driver and
 * the checker share (given code: read it after you have chosen, not before).
 *
 * Each run of a workload happens in a child process of its own, measured
 * from outside as the probe measures any program: wait4() gives its wall,
 * user and system time, context switches and peak RSS; /proc/PID/status,
 * sampled every 2 ms, its most threads alive; /proc/PID/smaps_rollup its
 * proportional memory (Pss) when a workload holds all its tasks at once.
 * A run that goes past its deadline is killed with its whole process group:
 * "slower than X" is a measurement too, and it keeps the checker fast.
 *
 * Measurements are kept for 15 minutes in a cache file (wl_cache_path()),
 * so that a second `make check9` does not measure again; a verdict that
 * would fail is always measured again first.
 */
#ifndef LAB9_WORKLOADS_H
#define LAB9_WORKLOADS_H

#include "exercises.h"

#include <stddef.h>
#include <stdint.h>

enum { WL_COUNT = 6 };

/* The kinds of work.  Which kind each of m1 ... m6 is depends on the seed
 * (wl_kind_of): a shuffle, so that a neighbour's answers do not fit yours. */
enum wl_kind { WL_WAITING, WL_PARALLEL, WL_LOCKED, WL_TINY, WL_STAGED, WL_IDLE };

struct wl_params {
	int index;            /* 0 .. 5: m1 .. m6 */
	enum wl_kind kind;
	int tasks;            /* by kind: fetches, CPU tasks, lock-holders' tasks, records, items, connections */
	double delay_s;       /* a fetch's /delay, or how long an idle connection waits */
	double task_s;        /* CPU seconds per task (0: none), turned into items on this machine */
	uint64_t items;       /* tiny: wb_cpu_sum items per record */
	int mixes;            /* locked: rounds of work under the lock per step */
	int cores;
	double scale;         /* 1 normal, < 1 --quick */
	uint64_t seed;
	char url[128];        /* the lab server */
};

/* The kind of m<index+1> for this seed, and a sentence naming a kind. */
enum wl_kind wl_kind_of(int index, uint64_t seed);
const char *wl_kind_name(enum wl_kind kind);
/* m1 .. m6 for this seed and scale, against the server at url. */
void wl_params_for(int index, uint64_t seed, double scale, const char *url, struct wl_params *p);
const char *wl_name(int index);
/* The default seed: from the user name (so each student's sizes differ). */
uint64_t wl_default_seed(void);
/* Memory per task decides this workload (not time). */
int wl_by_memory(const struct wl_params *p);
/* Does this workload have a reference implementation of model m? */
int wl_has_model(const struct wl_params *p, enum model m, const char **why_not);
const char *wl_model_name(enum model m);
const char *wl_measure_name(enum measure m);
/* The measures that tell this workload's kind apart (a bit per enum measure). */
unsigned wl_telling(const struct wl_params *p);

/* One measured run. */
struct wl_run {
	int finished;          /* 1: ran to its end (memory workloads: held every task at once) */
	double wall_s, user_s, sys_s;
	long voluntary, involuntary, peak_rss_kib;
	int threads;           /* most threads alive at once (sampled) */
	double kib_per_task;   /* -1 unless the workload holds its tasks at once */
	char why[160];         /* why it did not finish */
};

/* The probe's form of the workload: `workers` threads (model 0), or a model. */
void wl_measure(const struct wl_params *p, enum model model, int workers, double deadline_s,
		struct wl_run *out);

/* The probe of a workload: runs with 1 and 2 workers, and the server's /stats.
 * From the cache when a recent one is there (*age_s says how old; 0 fresh). */
void wl_probe(const struct wl_params *p, int use_cache, struct signature *sig, double *age_s);

/* Every model of a workload, measured: the value that decides (wall seconds
 * or KiB per task), or a lower bound when a model was stopped early. */
struct wl_table {
	int has[MODEL_COUNT];
	int finished[MODEL_COUNT];
	double value[MODEL_COUNT];     /* best of its runs; a lower bound if !finished */
	int runs[MODEL_COUNT];
	double wall_s[MODEL_COUNT];    /* memory workloads: how long holding them all took */
	char why[MODEL_COUNT][160];
	enum model best;
	double age_s;                  /* how old the cached figures are (0: measured now) */
};
/* full: every model to its end (the bench); else models far behind the best are stopped. */
void wl_table_measure(const struct wl_params *p, int full, int use_cache, struct wl_table *t);

/*
 * The margin: a choice within 25 % of the best is accepted.  Models that run
 * the same way (threads and a pipeline on CPU work, sequential and an event
 * loop on one thread) measured up to 19 % apart on a 2-core machine that
 * other builds shared; every wrong pick measured 1.4x or more.
 */
#define WL_MARGIN 1.25

/* Is `chosen` within the margin of the best?  1 yes, 0 no; msg says why, with the figures.
 * Measures again (fresh) before saying no, and before saying yes to a model
 * that is not the fastest (the fastest may have run while the machine was busy). */
int wl_judge(const struct wl_params *p, enum model chosen, struct wl_table *t, char *msg,
	     size_t cap);

/* Do the two pieces of evidence name measures that tell this workload apart,
 * and agree with the live probe?  1 yes, 0 no, with msg. */
int wl_check_evidence(const struct wl_params *p, const struct signature *live,
		      const struct choice *c, char *msg, size_t cap);

/* A figure for printing: "0.03", "1.9x", "412 KiB", "-" when not measured. */
void wl_format(enum measure m, double v, char *buf, size_t cap);

/* Where the measurements are kept. */
const char *wl_cache_path(void);

#endif
