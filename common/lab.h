/*
 * lab.h - the frame every lab driver (labs/NN-name/main.c) shares:
 * options, the server, the results table, data files and plots.
 *
 *     struct wb_lab lab;
 *     wb_lab_start(&lab, &spec, 1, "sequential baseline", argc, argv);
 *     struct wb_measure m = wb_lab_measure(&lab, "1.2", "fetching", 5.0, run_fetch, &job);
 *     wb_lab_row(&lab, "10 requests in a row (1.2)", "1.2", &m, 5.0);
 *     wb_lab_timeline(&lab, tl, "timeline", "who did what, when");
 *     return wb_lab_finish(&lab);
 *
 * Every experiment that runs an exercise goes through wb_lab_measure, so that
 * each lab shows progress, stops a stuck exercise, measures wall and CPU
 * time, and reports a failed or unfinished exercise the same way.
 */
#ifndef WB_LAB_H
#define WB_LAB_H

#include "exercise.h"
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

/* Named quantities side by side (round trips per second alone, beside one
 * CPU thread, ...): one horizontal bar each, drawn to out/labN/<name>.png. */
struct wb_bars {
	const char *name, *title, *xlabel;
	const char *const *labels;
	const double *values;
	int rows;
	int logx;              /* logarithmic axis, for values that differ by orders of magnitude */
};
void wb_lab_bars(struct wb_lab *lab, const struct wb_bars *bars);

/* The time limit for an experiment expected to take `expected_s` when all is
 * well: far above it (3x, plus 30 s), so only a stuck exercise reaches it. */
static inline double stuck_after(double expected_s)
{
	return 3 * expected_s + 30;
}

/* What one experiment gave. */
struct wb_measure {
	int status;        /* what the call returned: 0, or WB_NOT_DONE */
	double wall_s;     /* elapsed */
	double cpu_s;      /* CPU time of this process and the children it reaped meanwhile */
};

/*
 * Run one experiment: call(arg) runs an exercise (`exercise` is "2.2"), or
 * the driver's own code (exercise NULL).  While it runs: a progress line
 * labelled `label`, and a time limit of stuck_after(expected_s) past which
 * the lab names the exercise and stops itself.  If the call returns -1 (it
 * failed, and said why), the lab says which exercise failed and exits 1.
 */
struct wb_measure wb_lab_measure(struct wb_lab *lab, const char *exercise, const char *label,
				 double expected_s, int (*call)(void *arg), void *arg);

/* The experiment's row in the table, with its ideal time: or, while the
 * exercise is not done, a row that says so (and NULL is returned). */
struct wb_row *wb_lab_row(struct wb_lab *lab, const char *name, const char *exercise,
			  const struct wb_measure *m, double ideal_s);

/* The driver's verdict on a result it checked itself ("the combined result is
 * wrong: ..."): printed as "labN: exercise K: ...", then exit 1. */
_Noreturn void wb_lab_wrong(struct wb_lab *lab, const char *exercise, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Print the table, write results.dat (and --json), draw the bar chart.
 * Returns the exit status for main: 0. */
int wb_lab_finish(struct wb_lab *lab);

#endif
