/*
 * lab.h - the frame every lab driver (labs/NN-name/main.c) shares:
 * options, the server, the results table, data files and plots.
 *
 *     struct wb_lab lab;
 *     wb_lab_start(&lab, &spec, 1, "sequential baseline", argc, argv);
 *     ... run experiments, wb_results_add(&lab.results, ...) ...
 *     wb_lab_timeline(&lab, tl, "timeline", "who did what, when");
 *     return wb_lab_finish(&lab);
 */
#ifndef WB_LAB_H
#define WB_LAB_H

#include "options.h"
#include "results.h"
#include "timeline.h"

struct wb_lab {
	int number;
	struct wb_options opt;
	const char *url;             /* the server's base URL (NULL if the lab has no server) */
	struct wb_results results;
};

/* Parse the options, print the header (lab, cores), start or find the server
 * if the spec names one.  Exits 2 on bad options. */
void wb_lab_start(struct wb_lab *lab, const struct wb_lab_spec *spec, int number,
		  const char *title, int argc, char **argv);

/* Write a timeline's spans to out/labN/<name>.dat and draw its Gantt chart
 * (PNG, and in the terminal unless --no-plot). */
void wb_lab_timeline(struct wb_lab *lab, const struct wb_timeline *tl, const char *name,
		     const char *title);

/* A measurement against a parameter, with the ideal beside it. */
struct wb_sweep {
	const char *name;      /* file name: out/labN/<name>.dat and .png */
	const char *title, *xlabel, *ylabel;
	const double *x, *measured, *ideal;
	const char *ideal_title;  /* legend of the second line (NULL: "ideal") */
	int rows;
	int logx;              /* logarithmic x axis */
	double mark;           /* > 0: a vertical line at this x (e.g. a break-even point) */
	double hline;          /* > 0: a horizontal line at this y (e.g. speedup 1) */
};

/* Write the sweep's rows ("x measured ideal") and draw them. */
void wb_lab_sweep(struct wb_lab *lab, const struct wb_sweep *sweep);

/* The time limit for an experiment expected to take `expected_s` when all is
 * well: far above it (3x, plus 30 s), so only a stuck exercise reaches it. */
static inline double stuck_after(double expected_s)
{
	return 3 * expected_s + 30;
}

/* Print the table, write results.dat (and --json), draw the bar chart.
 * Returns the exit status for main: 0. */
int wb_lab_finish(struct wb_lab *lab);

#endif
