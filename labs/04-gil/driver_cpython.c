/*
 * driver_cpython.c - real CPython's figures beside the simulation's (part of
 * lab 4's driver).  `make lab4-python` runs the same experiments in CPython
 * and writes out/lab4/python.dat; the next run of the lab reads it here.
 */
#include "driver.h"

#include "checked.h"
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* --- Real CPython beside the simulation (make lab4-python) --------------------- */

#define MAX_KEYS 32

struct cpython {
	int found;
	int nkeys;
	char keys[MAX_KEYS][40];
	char values[MAX_KEYS][40];
	int sweep_found[SWEEP_POINTS];
	double sweep_per_s[SWEEP_POINTS], sweep_median_ms[SWEEP_POINTS];
	double sweep_handoffs[SWEEP_POINTS], sweep_slice_ms[SWEEP_POINTS];
};

/* "#: key value" lines carry single figures; lines of numbers the sweep. */
static void parse_cpython_line(struct cpython *py, const char *line)
{
	double iv, per_s, median, p99, handoffs, slice;
	if (strncmp(line, "#:", 2) == 0 && py->nkeys < MAX_KEYS) {
		if (sscanf(line + 2, "%39s %39s", py->keys[py->nkeys], py->values[py->nkeys]) == 2)
			py->nkeys++;
		return;
	}
	if (sscanf(line, "%lf %lf %lf %lf %lf %lf", &iv, &per_s, &median, &p99, &handoffs,
		   &slice) != 6)
		return;
	for (int k = 0; k < SWEEP_POINTS; k++) {
		if (iv != sweep_ms[k])
			continue;
		py->sweep_found[k] = 1;
		py->sweep_per_s[k] = per_s;
		py->sweep_median_ms[k] = median;
		py->sweep_handoffs[k] = handoffs;
		py->sweep_slice_ms[k] = slice;
	}
}

static void read_cpython(struct cpython *py)
{
	char path[4096], line[512];
	memset(py, 0, sizeof *py);
	wb_out_path(path, sizeof path, 4, "python.dat");
	FILE *f = fopen(path, "r");
	if (!f)
		return;	/* no companion run yet: nothing to compare with */
	py->found = 1;
	while (fgets(line, sizeof line, f))
		parse_cpython_line(py, line);
	fclose(f);
}

/* A figure from python.dat, or 0 when it has none. */
static double py_value(const struct cpython *py, const char *key)
{
	for (int i = 0; i < py->nkeys; i++)
		if (strcmp(py->keys[i], key) == 0)
			return atof(py->values[i]);
	return 0;
}

static const char *py_text(const struct cpython *py, const char *key)
{
	for (int i = 0; i < py->nkeys; i++)
		if (strcmp(py->keys[i], key) == 0)
			return py->values[i];
	return "?";
}

static void print_pair(const char *what, double sim, int sim_ok, double py, const char *fmt)
{
	char a[32] = "-", b[32] = "-";
	if (sim_ok)
		snprintf(a, sizeof a, fmt, sim);
	if (py > 0)
		snprintf(b, sizeof b, fmt, py);
	printf("  %-44s %12s %12s\n", what, a, b);
}

static void plot_beside_cpython(struct wb_lab *lab, const struct cpython *py,
				const struct sweep_point *pts)
{
	char dat[4096], png[4096];
	wb_out_path(dat, sizeof dat, 4, "sim-vs-cpython.dat");
	wb_out_path(png, sizeof png, 4, "sim-vs-cpython.png");
	FILE *f = fopen(dat, "w");
	if (!f)
		DIE("writing %s: %s", dat, wb_strerror(errno));
	fprintf(f, "# interval_ms simulated_per_s cpython_per_s one_per_interval\n");
	for (int k = 0; k < SWEEP_POINTS; k++)
		if (pts[k].measured && py->sweep_found[k])
			fprintf(f, "%g %.3f %.3f %.3f\n", sweep_ms[k], pts[k].convoy.per_s,
				py->sweep_per_s[k], 1e3 / sweep_ms[k]);
	if (fclose(f) != 0)
		DIE("writing %s: %s", dat, wb_strerror(errno));
	/* The script lives with the lab (plots/ holds the shared ones), hence the "../". */
	struct wb_plot plot = {
		.script = "compare.gp", .datafile = dat, .png = png,
		.title = "Lab 4: round trips per second beside a CPU thread, simulation and CPython",
		.terminal = !lab->opt.no_plot,
	};
	wb_plot_draw(&plot);
}

void beside_cpython(struct wb_lab *lab, const struct cpu_figures *cpu,
			   const struct convoy_figures *cv, const struct sweep_point *pts)
{
	struct cpython py;
	read_cpython(&py);
	if (!py.found) {
		printf("\n(No CPython figures yet: `make lab4-python` measures the same experiments "
		       "in real CPython,\n and the next run of this lab shows them side by side.)\n");
		return;
	}
	/* Those figures come from an earlier run: say when, so nobody takes them for this one's. */
	char path[4096], when[64] = "at an unknown time";
	struct stat st;
	wb_out_path(path, sizeof path, 4, "python.dat");
	if (stat(path, &st) == 0)
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime(&st.st_mtime));
	printf("\nThe simulation beside CPython %s (measured by make lab4-python, %s: %s):\n",
	       py_text(&py, "python"), when, path);
	printf("  %-44s %12s %12s\n", "", "simulation", "CPython");
	double py_seq = py_value(&py, "cpu_sequential_s");
	print_pair("2 CPU threads, time / sequential", cpu->new_ratio, cpu->new_measured,
		   py_seq > 0 ? py_value(&py, "cpu_threads_s") / py_seq : 0, "%.2fx");
	print_pair("2 processes, speedup", cpu->process_speedup, cpu->process_measured,
		   py_seq > 0 ? py_seq / py_value(&py, "cpu_processes_s") : 0, "%.2fx");
	print_pair("convoy alone, round trips/s", cv->alone_per_s, cv->measured,
		   py_value(&py, "convoy_alone_per_s"), "%.0f");
	print_pair("convoy + 2 CPU threads, p99 ms", cv->two_p99_s * 1e3, cv->measured,
		   py_value(&py, "convoy_2cpu_p99_ms"), "%.2f");
	char what[64];
	for (int k = 0; k < SWEEP_POINTS; k++) {
		snprintf(what, sizeof what, "convoy + 1 CPU @ %g ms, round trips/s", sweep_ms[k]);
		print_pair(what, pts[k].convoy.per_s, pts[k].measured, py.sweep_per_s[k], "%.0f");
		snprintf(what, sizeof what, "2 CPU threads @ %g ms, hand-offs/s", sweep_ms[k]);
		print_pair(what, pts[k].book.usage.wall_s > 0 ?
				 pts[k].book.handoffs / pts[k].book.usage.wall_s : 0,
			   !pts[k].book.missing && pts[k].book.usage.wall_s > 0,
			   py.sweep_handoffs[k], "%.0f");
	}
	plot_beside_cpython(lab, &py, pts);
}
