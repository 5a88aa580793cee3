/* lab.c - the frame shared by every lab driver (see lab.h). */
#include "lab.h"

#include "checked.h"
#include "plot.h"
#include "timing.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Raise the soft descriptor limit to the hard one (often 1024 against
 * 1048576): a lab with many requests in flight needs a descriptor each.
 * Returns the limit now in force. */
static rlim_t raise_descriptor_limit(void)
{
	struct rlimit limit;
	CHECK_SYS(getrlimit(RLIMIT_NOFILE, &limit));
	if (limit.rlim_cur == limit.rlim_max)
		return limit.rlim_cur;
	rlim_t soft = limit.rlim_cur;
	limit.rlim_cur = limit.rlim_max;
	/* An unlimited hard limit can still be refused (above fs.nr_open): then
	 * the old soft limit stands, and the check below says if it is enough. */
	if (setrlimit(RLIMIT_NOFILE, &limit) == -1)
		return soft;
	return limit.rlim_max;
}

/* About how many descriptors the options call for: a connection per request
 * in flight, a pipe pair per worker, and some for stdio, libcurl, the server. */
static long descriptors_needed(const struct wb_lab_spec *spec, const struct wb_options *o)
{
	long needed = 32;
	if (spec->accepts & WB_OPT_REQUESTS)
		needed += o->requests;
	if (spec->accepts & WB_OPT_WORKERS)
		needed += 2L * o->workers;
	return needed;
}

/* Refuse up front what would fail later as "Couldn't connect to server". */
static void check_descriptors(const struct wb_lab_spec *spec, const struct wb_options *o)
{
	rlim_t limit = raise_descriptor_limit();
	long needed = descriptors_needed(spec, o);
	if (limit != RLIM_INFINITY && (rlim_t)needed > limit) {
		fprintf(stderr, "%s: needs about %ld descriptors; the limit is %llu: see ulimit -n\n",
			spec->prog, needed, (unsigned long long)limit);
		exit(1);
	}
}

void wb_lab_start(struct wb_lab *lab, const struct wb_lab_spec *spec, int number,
		  const char *title, int argc, char **argv)
{
	lab->number = number;
	wb_options_parse(spec, argc, argv, &lab->opt);
	check_descriptors(spec, &lab->opt);
	wb_results_init(&lab->results, number, title);
	printf("Lab %d: %s  (%d cores on this machine%s)\n", number, title, wb_cores(),
	       lab->opt.quick ? ", quick settings" : "");
	lab->url = NULL;
	if (spec->server) {
		lab->url = spec->server(lab->opt.url);
		printf("server: %s\n", lab->url);
	}
	fflush(stdout);
}

/* gnuplot draws one series per kind of work: list the kinds present, and the top worker. */
static void describe_spans(const struct wb_timeline *tl, char *kinds, size_t cap, int *maxworker)
{
	kinds[0] = '\0';
	*maxworker = 0;
	for (size_t i = 0; i < wb_timeline_count(tl); i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		if (!s)
			continue;
		if (s->worker > *maxworker)
			*maxworker = s->worker;
		char word[32];
		snprintf(word, sizeof word, " %s ", s->kind);
		char padded[512];
		snprintf(padded, sizeof padded, " %s ", kinds);
		if (!strstr(padded, word) && strlen(kinds) + strlen(s->kind) + 2 < cap)
			snprintf(kinds + strlen(kinds), cap - strlen(kinds), "%s%s", *kinds ? " " : "",
				 s->kind);
	}
}

void wb_lab_timeline(struct wb_lab *lab, const struct wb_timeline *tl, const char *name,
		     const char *title)
{
	char dat[4096], png[4096], file[256], kinds[256], extra[512];
	int maxworker;
	snprintf(file, sizeof file, "%s.dat", name);
	wb_out_path(dat, sizeof dat, lab->number, file);
	snprintf(file, sizeof file, "%s.png", name);
	wb_out_path(png, sizeof png, lab->number, file);
	if (wb_timeline_write(tl, dat) != 0)
		DIE("writing %s: %s", dat, wb_strerror(errno));
	describe_spans(tl, kinds, sizeof kinds, &maxworker);
	snprintf(extra, sizeof extra, "kinds='%s'; maxworker=%d", kinds, maxworker);
	struct wb_plot plot = {
		.script = "timeline.gp", .datafile = dat, .png = png, .title = title,
		.terminal = !lab->opt.no_plot, .extra = extra,
	};
	wb_plot_draw(&plot);
}

/* A figure's two files, out/labN/<name>.dat and .png: the data file opened for writing. */
static FILE *open_figure(struct wb_lab *lab, const char *name, char *dat, char *png, size_t cap)
{
	char file[256];
	snprintf(file, sizeof file, "%s.dat", name);
	wb_out_path(dat, cap, lab->number, file);
	snprintf(file, sizeof file, "%s.png", name);
	wb_out_path(png, cap, lab->number, file);
	FILE *f = fopen(dat, "w");
	if (!f)
		DIE("writing %s: %s", dat, wb_strerror(errno));
	return f;
}

static void close_figure(FILE *f, const char *dat)
{
	if (fclose(f) != 0)
		DIE("writing %s: %s", dat, wb_strerror(errno));
}

void wb_lab_sweep(struct wb_lab *lab, const struct wb_sweep *sw)
{
	char dat[4096], png[4096], extra[512];
	FILE *f = open_figure(lab, sw->name, dat, png, sizeof dat);
	fprintf(f, "# %s: x measured ideal\n", sw->title);
	for (int i = 0; i < sw->rows; i++)
		fprintf(f, "%g %.6f %.6f\n", sw->x[i], sw->measured[i], sw->ideal[i]);
	close_figure(f, dat);
	snprintf(extra, sizeof extra,
		 "xlabel='%s'; ylabel='%s'; idealtitle='%s'; logx=%d; mark=%g; hline=%g",
		 sw->xlabel, sw->ylabel, sw->ideal_title ? sw->ideal_title : "ideal", sw->logx,
		 sw->mark, sw->hline);
	struct wb_plot plot = {
		.script = "sweep.gp", .datafile = dat, .png = png, .title = sw->title,
		.terminal = !lab->opt.no_plot, .extra = extra,
	};
	wb_plot_draw(&plot);
}

struct wb_measure wb_lab_measure(struct wb_lab *lab, const char *exercise, const char *label,
				 double expected_s, int (*call)(void *arg), void *arg)
{
	struct wb_measure m;
	struct wb_usage u;
	/* The driver's own code cannot hang: only an exercise gets a time limit. */
	wb_progress_begin(label, exercise ? stuck_after(expected_s) : 0);
	wb_usage_begin(&u);
	m.status = call(arg);
	wb_usage_end(&u);
	wb_progress_end();
	m.wall_s = u.wall_s;
	m.cpu_s = u.cpu_s;
	if (m.status == -1) {
		fprintf(stderr, "lab%d: exercise %s failed (see the message above); make check%d "
			"says more\n", lab->number, exercise ? exercise : "(driver)", lab->number);
		exit(1);
	}
	return m;
}

struct wb_row *wb_lab_row(struct wb_lab *lab, const char *name, const char *exercise,
			  const struct wb_measure *m, double ideal_s)
{
	if (m->status == WB_NOT_DONE) {
		char why[64];
		snprintf(why, sizeof why, "exercise %s not done yet", exercise);
		wb_results_add_missing(&lab->results, name, why);
		return NULL;
	}
	return wb_results_add(&lab->results, name, m->wall_s, m->cpu_s, ideal_s);
}

_Noreturn void wb_lab_wrong(struct wb_lab *lab, const char *exercise, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "lab%d: exercise %s: %s (make check%d says more)\n", lab->number,
		exercise, msg, lab->number);
	exit(1);
}

void wb_lab_bars(struct wb_lab *lab, const struct wb_bars *b)
{
	char dat[4096], png[4096], extra[512];
	FILE *f = open_figure(lab, b->name, dat, png, sizeof dat);
	fprintf(f, "# %s: index \"label\" value\n", b->title);
	for (int i = 0; i < b->rows; i++)
		fprintf(f, "%d \"%s\" %.6g\n", i, b->labels[i], b->values[i]);
	close_figure(f, dat);
	snprintf(extra, sizeof extra, "xlabel='%s'; logx=%d", b->xlabel, b->logx);
	struct wb_plot plot = {
		.script = "namedbars.gp", .datafile = dat, .png = png, .title = b->title,
		.terminal = !lab->opt.no_plot, .extra = extra,
	};
	wb_plot_draw(&plot);
}

int wb_lab_finish(struct wb_lab *lab)
{
	char dat[4096], png[4096], title[128];
	wb_results_print(&lab->results, stdout);
	wb_out_path(dat, sizeof dat, lab->number, "results.dat");
	wb_out_path(png, sizeof png, lab->number, "results.png");
	if (wb_results_write_dat(&lab->results, dat) != 0)
		DIE("writing %s: %s", dat, wb_strerror(errno));
	if (lab->opt.json) {
		if (wb_results_write_json(&lab->results, lab->opt.json) != 0)
			DIE("writing %s: %s", lab->opt.json, wb_strerror(errno));
		printf("  results: %s\n", lab->opt.json);
	}
	snprintf(title, sizeof title, "Lab %d: measured vs ideal", lab->number);
	struct wb_plot plot = {
		.script = "bars.gp", .datafile = dat, .png = png, .title = title,
		.terminal = !lab->opt.no_plot,
	};
	wb_plot_draw(&plot);
	return 0;
}
