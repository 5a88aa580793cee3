/* lab.c - the frame shared by every lab driver (see lab.h). */
#include "lab.h"

#include "checked.h"
#include "plot.h"
#include "timing.h"

#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* ---- --present: the question before each experiment (make present) -------
 *
 * labs/NN-name/questions.txt holds the questions, one entry per experiment:
 *
 *     [2.2] a pool of workers            <- the key, then a heading
 *     Six requests of 0.1 s, 3 workers:  <- the question (any number of lines)
 *     how long in all?
 *     predict: write down a number of seconds.
 *
 * The key is what the driver passes to wb_lab_measure: "EX | label" first,
 * then the exercise alone ("2.2", or "4.1, 4.2" in lab 4), then the label;
 * the driver's own runs (no exercise) are "baseline".  An experiment with no
 * entry gets a question made from its label.  Each key is shown once: the
 * many runs of a sweep are one experiment. */

#define MAX_QUESTIONS 64
#define QUESTION_TEXT 1024

struct question {
	char key[64];
	char heading[128];
	char text[QUESTION_TEXT];
	char predict[256];
	int shown;
};

static struct question questions[MAX_QUESTIONS];
static int nquestions = -1;   /* -1: the file has not been read yet */
static char shown_defaults[MAX_QUESTIONS][64];
static int nshown_defaults;

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	size_t lead = strspn(s, " \t");
	memmove(s, s + lead, strlen(s + lead) + 1);
}

static void append_line(char *dst, size_t cap, const char *line)
{
	size_t used = strlen(dst);
	snprintf(dst + used, cap - used, "%s%s", used ? "\n" : "", line);
}

/* Read labs/NN-name/questions.txt from the source tree, if the lab has one. */
static void read_questions(int number)
{
	nquestions = 0;
	char pattern[4096];
	snprintf(pattern, sizeof pattern, "%s/labs/%02d-*/questions.txt", WB_SOURCE_DIR, number);
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	FILE *f = fopen(g.gl_pathv[0], "r");
	globfree(&g);
	if (!f)
		return;
	char line[1024];
	struct question *q = NULL;
	while (fgets(line, sizeof line, f)) {
		trim(line);
		if (line[0] == '#' || (line[0] == '\0' && !q))
			continue;
		char *close = line[0] == '[' ? strchr(line, ']') : NULL;
		if (close) {
			if (nquestions == MAX_QUESTIONS)
				break;
			q = &questions[nquestions++];
			memset(q, 0, sizeof *q);
			*close = '\0';
			snprintf(q->key, sizeof q->key, "%.63s", line + 1);
			trim(q->key);
			snprintf(q->heading, sizeof q->heading, "%.127s", close + 1);
			trim(q->heading);
		} else if (q && strncmp(line, "predict:", 8) == 0) {
			char *p = line + 8;
			trim(p);
			append_line(q->predict, sizeof q->predict, p);
		} else if (q && line[0]) {
			append_line(q->text, sizeof q->text, line);
		}
	}
	fclose(f);
}

static struct question *find_question(const char *key)
{
	for (int i = 0; i < nquestions; i++)
		if (strcmp(questions[i].key, key) == 0)
			return &questions[i];
	return NULL;
}

/* Has this default question (no entry in the file) been shown already?  Marks it shown. */
static int default_shown(const char *key)
{
	for (int i = 0; i < nshown_defaults; i++)
		if (strcmp(shown_defaults[i], key) == 0)
			return 1;
	if (nshown_defaults < MAX_QUESTIONS)
		snprintf(shown_defaults[nshown_defaults++], sizeof shown_defaults[0], "%.63s", key);
	return 0;
}

/* A question's {requests}, {delay}, {tasks}, {workers}, {task_ms}, {interval} and
 * {cores}, replaced by this run's settings (so --quick's questions fit --quick's run). */
static void fill_in(const struct wb_lab *lab, const char *text, char *out, size_t cap)
{
	const struct wb_options *o = &lab->opt;
	int cores = wb_cores();
	size_t used = 0;
	out[0] = '\0';
	while (*text && used + 1 < cap) {
		char value[32] = "";
		const char *end = *text == '{' ? strchr(text, '}') : NULL;
		size_t len = end ? (size_t)(end - text - 1) : 0;
#define WORD(w) (len == strlen(w) && strncmp(text + 1, w, len) == 0)
		if (!end)
			;
		else if (WORD("requests"))
			snprintf(value, sizeof value, "%d", o->requests);
		else if (WORD("delay"))
			snprintf(value, sizeof value, "%g", o->delay);
		else if (WORD("tasks"))
			snprintf(value, sizeof value, "%d", o->tasks > 0 ? o->tasks : 2 * cores);
		else if (WORD("workers"))
			snprintf(value, sizeof value, "%d", o->workers > 0 ? o->workers : cores);
		else if (WORD("task_ms"))
			snprintf(value, sizeof value, "%g", o->task_ms);
		else if (WORD("interval"))
			snprintf(value, sizeof value, "%g", o->interval_ms);
		else if (WORD("cores"))
			snprintf(value, sizeof value, "%d", cores);
#undef WORD
		if (value[0]) {
			used += (size_t)snprintf(out + used, cap - used, "%s", value);
			text = end + 1;
		} else {
			out[used++] = *text++;
			out[used] = '\0';
		}
		if (used >= cap)
			used = cap - 1;
	}
}

static void print_indented(const char *label, const char *text)
{
	const char *line = text;
	int first = 1;
	while (*line) {
		size_t len = strcspn(line, "\n");
		printf("  %-10s %.*s\n", first ? label : "", (int)len, line);
		first = 0;
		line += len + (line[len] == '\n');
	}
}

/* Before an experiment: its question and a prompt to predict, then Enter (unless
 * --no-pause).  Returns 1 if a question was shown (the result follows it). */
static int present_question(struct wb_lab *lab, const char *exercise, const char *label)
{
	if (nquestions < 0)
		read_questions(lab->number);
	const char *ex = exercise ? exercise : "baseline";
	char both[160];
	snprintf(both, sizeof both, "%s | %s", ex, label);
	struct question *q = find_question(both);
	if (!q)
		q = find_question(ex);
	if (!q)
		q = find_question(label);
	if (q ? q->shown : default_shown(both))
		return 0;
	char heading[200], text[QUESTION_TEXT];
	if (q) {
		q->shown = 1;
		snprintf(heading, sizeof heading, "%s%s%s", exercise ? exercise : "the baseline",
			 q->heading[0] ? ": " : "", q->heading);
		snprintf(text, sizeof text, "%s", q->text[0] ? q->text : "(no question written yet)");
	} else {
		snprintf(heading, sizeof heading, "%s (%s)",
			 exercise ? exercise : "the baseline", label);
		snprintf(text, sizeof text, "What will this experiment (%s%s%s) take on %d cores, and why?",
			 label, exercise ? ", exercise " : ", the driver's own code",
			 exercise ? exercise : "", wb_cores());
	}
	printf("\n====================================================================\n");
	char filled[QUESTION_TEXT];
	fill_in(lab, heading, filled, sizeof filled);
	printf("  Next: %s\n\n", filled);
	fill_in(lab, text, filled, sizeof filled);
	print_indented("Question:", filled);
	fill_in(lab, q && q->predict[0] ? q->predict
		: "write down the wall time you expect (and the speedup), before it runs.",
		filled, sizeof filled);
	print_indented("Predict:", filled);
	if (!q)   /* for whoever writes the lab's questions: the key that would give it one */
		printf("  (no question in labs/%02d-*/questions.txt for [%s] yet)\n", lab->number, both);
	if (lab->opt.no_pause) {
		printf("\n");
	} else {
		printf("\n  Enter for the next experiment (Ctrl-C stops) ... ");
		fflush(stdout);
		char answer[256];
		/* a terminal echoes the Enter; a pipe (or its end) does not */
		if (!fgets(answer, sizeof answer, stdin) || !isatty(STDIN_FILENO))
			printf("\n");
	}
	fflush(stdout);
	return 1;
}

struct wb_measure wb_lab_measure(struct wb_lab *lab, const char *exercise, const char *label,
				 double expected_s, int (*call)(void *arg), void *arg)
{
	struct wb_measure m;
	struct wb_usage u;
	int presented = lab->opt.present && present_question(lab, exercise, label);
	/* The driver's own code cannot hang: only an exercise gets a time limit. */
	wb_progress_begin(label, exercise ? stuck_after(expected_s) : 0);
	wb_usage_begin(&u);
	m.status = call(arg);
	wb_usage_end(&u);
	wb_progress_end();
	m.wall_s = u.wall_s;
	m.cpu_s = u.cpu_s;
	if (presented && m.status == WB_NOT_DONE)
		printf("  Measured:  nothing: exercise %s is not done yet\n", exercise);
	else if (presented && m.status == 0)
		printf("  Measured:  %.3f s wall, %.3f s CPU (CPU / wall = %.2f)\n", m.wall_s, m.cpu_s,
		       m.wall_s > 0 ? m.cpu_s / m.wall_s : 0);
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
	char html[4096];
	wb_out_path(html, sizeof html, lab->number, "results.html");   /* for make report */
	if (wb_results_write_html(&lab->results, lab->opt.quick ? "Quick settings" : "Full settings",
				   html) != 0)
		DIE("writing %s: %s", html, wb_strerror(errno));
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
