/*
 * driver.h - what the lab 8 driver's files share (scaffolding).
 *
 * main.c is the lab program: it computes the sequential reference, runs a
 * process pool like lab 3's, starts the MPI jobs (mpirun on this same
 * program), reads what the ranks reported, checks it, and prints and draws
 * it.  driver_rank.c is what the program does when mpirun starts it as a
 * rank.  report.c reads a job's report.
 */
#ifndef LAB8_DRIVER_H
#define LAB8_DRIVER_H

#include "exercises.h"
#include "timeline.h"

#include <stdint.h>

/* The job parameters the launcher hands every rank (WB_LAB8_RANK_ARGS). */
struct lab8_params {
	uint64_t items;      /* items of one uniform task (lab 3's task size) */
	int tasks;           /* uniform tasks (lab 3's N) */
	int quick;
	double ns_per_item;  /* the launcher's calibration, so the ranks need none */
};
void lab8_params_format(const struct lab8_params *p, char *buf, size_t cap);
int lab8_params_parse(const char *s, struct lab8_params *p);

/* A task list (owned: free with lab8_tasks_free). */
void lab8_tasks_uniform(struct lab8_tasks *t, int count, uint64_t items);
/* Task i weighs 2 (i + 1) / (count + 1) uniform tasks: a ramp, mean 1. */
void lab8_tasks_uneven(struct lab8_tasks *t, int count, uint64_t items);
void lab8_tasks_free(struct lab8_tasks *t);
uint64_t lab8_tasks_items(const struct lab8_tasks *t);   /* all items */
int lab8_uneven_count(const struct lab8_params *p);

/* The message sizes of 8.1 and the task sizes of 8.4's sweep. */
int lab8_pingpong_sizes(const struct lab8_params *p, int *bytes, int *reps, int most);
int lab8_sweep_sizes(const struct lab8_params *p, double *task_s, int *tasks, int most);

/* The rank side: a job, by name ("shm", "tcp", "over", "die"). */
int lab8_rank_main(int argc, char **argv);

/* A job's report, read by the launcher (report.c). */
struct lab8_report {
	char **lines;
	int n;
};
struct lab8_rank_row {
	int rank, rc;
	double start, end, cpu_s, work_s, sends, bytes, recvs, collectives;
};
void lab8_report_load(struct lab8_report *rep, const char *path);
void lab8_report_free(struct lab8_report *rep);
int lab8_report_get(const struct lab8_report *rep, const char *label, const char *key, double *v);
int lab8_report_rows(const struct lab8_report *rep, const char *label, struct lab8_rank_row *rows,
		     int most);
/* The last "begin" label (where a stuck job stopped), or NULL. */
const char *lab8_report_last_begin(const struct lab8_report *rep, char *buf, size_t cap);
/* Copy the spans of `label` into tl (worker = rank); returns how many. */
int lab8_report_spans(const struct lab8_report *rep, const char *label, struct wb_timeline *tl,
		      int *done, int count);

#endif
