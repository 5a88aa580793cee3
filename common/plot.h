/*
 * plot.h - drawing the labs' figures with gnuplot.
 *
 * The scripts live in plots/; a lab writes its data files, then asks for a
 * figure: a PNG under out/labN/ (ignored by git) and, unless the student
 * said --no-plot, the same figure drawn in the terminal with gnuplot's
 * `dumb` terminal.  Without gnuplot a lab prints a one-line notice and
 * carries on: the table is the result, the plot is a picture of it.
 */
#ifndef WB_PLOT_H
#define WB_PLOT_H

#include <stddef.h>

/* The folder for lab N's files ($LAB_OUT if set, else out/labN in the source
 * tree), created if needed.  Dies if it cannot be created. */
const char *wb_out_dir(int lab);

/* dst = <wb_out_dir(lab)>/<name>.  Dies if it does not fit. */
void wb_out_path(char *dst, size_t cap, int lab, const char *name);

struct wb_plot {
	const char *script;     /* file in plots/, e.g. "timeline.gp" */
	const char *datafile;   /* the data it draws */
	const char *png;        /* where the PNG goes (NULL: no PNG) */
	const char *title;      /* the figure's title */
	int terminal;           /* also draw it in the terminal */
	const char *extra;      /* more gnuplot assignments, e.g. "xlabel='workers'" (or NULL) */
};

/* Draw one figure.  Returns 0, or -1 if gnuplot is missing or failed (after
 * saying so once, on stderr). */
int wb_plot_draw(const struct wb_plot *p);

#endif
