/*
 * results.h - the results table every lab prints, and the files it writes.
 *
 * One row per experiment: wall time, CPU time, the ideal time (what perfect
 * overlap or perfect parallelism would give, computed from the run's own
 * parameters and the machine's core count), the speedup against the
 * sequential baseline, and the efficiency: ideal / measured, so 1.00 is
 * perfect and 0.50 means half the possible gain was lost.
 *
 * An experiment whose exercise is not done yet gets a row that says so,
 * instead of a number: nothing here prints a figure that was not measured.
 */
#ifndef WB_RESULTS_H
#define WB_RESULTS_H

#include <stdio.h>

#define WB_MAX_ROWS 32
#define WB_MAX_PARAMS 16

struct wb_row {
	char name[40];
	int measured;         /* 0: not run (see note) */
	double wall_s;
	double cpu_s;         /* < 0: not measured for this row */
	double ideal_s;       /* <= 0: no ideal defined for this row */
	double speedup;       /* baseline wall / this wall (0 if no baseline) */
	int speedup_ref;      /* 0: the baseline; k > 0: row k-1 instead; -1: none */
	double efficiency;    /* ideal / wall (0 if no ideal) */
	char note[96];        /* extra column: "peak in flight 10", "exercise 1.2 not done yet" */
};

struct wb_param {
	char key[24];
	double value;
};

struct wb_results {
	int lab;
	char title[64];
	int cores;
	int baseline;         /* row index of the sequential baseline, -1 if none */
	int nrows;
	struct wb_row rows[WB_MAX_ROWS];
	int nparams;
	struct wb_param params[WB_MAX_PARAMS];
};

void wb_results_init(struct wb_results *r, int lab, const char *title);

/* Record a parameter of the run (written to the JSON file and the table header). */
void wb_results_param(struct wb_results *r, const char *key, double value);

/* Add a measured row.  The first measured row named as baseline sets the speedup reference. */
struct wb_row *wb_results_add(struct wb_results *r, const char *name,
			      double wall_s, double cpu_s, double ideal_s);

/* Make row `row` the sequential baseline the other rows' speedups refer to. */
void wb_results_set_baseline(struct wb_results *r, const struct wb_row *row);

/* Compare `row` with `ref` instead of the baseline: a speedup means
 * something only between runs of the same work.  ref NULL: no speedup ("-"). */
void wb_results_compare_with(struct wb_results *r, struct wb_row *row, const struct wb_row *ref);

/* Add a row that was not measured, with the reason. */
void wb_results_add_missing(struct wb_results *r, const char *name, const char *why);

/* Add a free-form note to a row (printed in the last column). */
void wb_row_note(struct wb_row *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print the table. */
void wb_results_print(const struct wb_results *r, FILE *out);

/*
 * Write the measured rows for gnuplot (overwritten, never appended):
 *   index name wall_s cpu_s ideal_s speedup efficiency
 * Returns 0, or -1 with errno set.
 */
int wb_results_write_dat(const struct wb_results *r, const char *path);

/* Write {"lab":N,"cores":N,"params":{...},"experiments":[...]}.  0 or -1 (errno). */
int wb_results_write_json(const struct wb_results *r, const char *path);

/*
 * Write the table as a piece of HTML for make report (scripts/report.sh puts
 * every lab's on one page): a <table> of every row, measured or not, and a
 * line saying when and on what machine it was measured, and with what
 * `settings` ("quick settings", "full settings").  0 or -1 (errno).
 */
int wb_results_write_html(const struct wb_results *r, const char *settings, const char *path);

#endif
