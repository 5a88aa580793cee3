/*
 * Lab 5: what the driver's files share (main.c, driver_*.c).  Scaffolding:
 * read it, but your work goes in exercises.c.
 */
#ifndef LAB5_DRIVER_H
#define LAB5_DRIVER_H

#include "exercises.h"
#include "lab.h"

/* One experiment's settings and what it gave. */
struct job {
	struct wb_lab *lab;
	struct workload *w;
	const uint64_t *reference;   /* [n] the results every run must give */
	int fetchers, workers, bound, tokens;
	uint64_t *results;           /* [n] */
	struct wb_measure m;
	struct workload_report books;
	double rss_mib;              /* peak RSS during the run (< 0: not measured) */
};

/* Ideal times from the formulas (N items, F fetchers, d, W, c). */
double ideal_phased(int n, int f, double d, int w, double c);
double ideal_streamed(int n, int f, double d, int w, double c);

/* Run one experiment through wb_lab_measure and check its result against
 * the reference; returns the status (0 or WB_NOT_DONE). */
typedef int (*job_fn)(struct job *j);
int run_job(struct job *j, const char *exercise, const char *label, double expected_s, job_fn fn);

/* The course's five-item exercise: sequential, threads, hybrid, one global lock. */
void course_exercise(struct wb_lab *lab, struct workload *w, const uint64_t *reference,
		     double cpu_s);

#endif
