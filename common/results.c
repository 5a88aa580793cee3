/* results.c - the results table and its data files (see results.h). */
#include "results.h"

#include "checked.h"
#include "timing.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

void wb_results_init(struct wb_results *r, int lab, const char *title)
{
	memset(r, 0, sizeof *r);
	r->lab = lab;
	snprintf(r->title, sizeof r->title, "%s", title);
	r->cores = wb_cores();
	r->baseline = -1;
}

void wb_results_param(struct wb_results *r, const char *key, double value)
{
	for (int i = 0; i < r->nparams; i++) {
		if (strcmp(r->params[i].key, key) == 0) {
			r->params[i].value = value;
			return;
		}
	}
	if (r->nparams == WB_MAX_PARAMS)
		DIE("too many parameters (raise WB_MAX_PARAMS)");
	struct wb_param *p = &r->params[r->nparams++];
	snprintf(p->key, sizeof p->key, "%s", key);
	p->value = value;
}

static struct wb_row *new_row(struct wb_results *r, const char *name)
{
	if (r->nrows == WB_MAX_ROWS)
		DIE("too many result rows (raise WB_MAX_ROWS)");
	struct wb_row *row = &r->rows[r->nrows++];
	memset(row, 0, sizeof *row);
	snprintf(row->name, sizeof row->name, "%s", name);
	return row;
}

/* Speedups depend on the baseline, so recompute them whenever either changes. */
static void update_ratios(struct wb_results *r)
{
	const struct wb_row *base = r->baseline >= 0 ? &r->rows[r->baseline] : NULL;
	for (int i = 0; i < r->nrows; i++) {
		struct wb_row *row = &r->rows[i];
		if (!row->measured)
			continue;
		const struct wb_row *ref = row->speedup_ref == 0 ? base :
			row->speedup_ref > 0 ? &r->rows[row->speedup_ref - 1] : NULL;
		row->speedup = ref && ref->measured && row->wall_s > 0 ? ref->wall_s / row->wall_s : 0;
		row->efficiency = row->ideal_s > 0 && row->wall_s > 0 ? row->ideal_s / row->wall_s : 0;
	}
}

void wb_results_compare_with(struct wb_results *r, struct wb_row *row, const struct wb_row *ref)
{
	row->speedup_ref = ref ? (int)(ref - r->rows) + 1 : -1;
	update_ratios(r);
}

struct wb_row *wb_results_add(struct wb_results *r, const char *name,
			      double wall_s, double cpu_s, double ideal_s)
{
	struct wb_row *row = new_row(r, name);
	row->measured = 1;
	row->wall_s = wall_s;
	row->cpu_s = cpu_s;
	row->ideal_s = ideal_s;
	update_ratios(r);
	return row;
}

void wb_results_set_baseline(struct wb_results *r, const struct wb_row *row)
{
	r->baseline = (int)(row - r->rows);
	update_ratios(r);
}

void wb_results_add_missing(struct wb_results *r, const char *name, const char *why)
{
	struct wb_row *row = new_row(r, name);
	snprintf(row->note, sizeof row->note, "%s", why);
}

void wb_row_note(struct wb_row *row, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(row->note, sizeof row->note, fmt, ap);
	va_end(ap);
}

void wb_results_print(const struct wb_results *r, FILE *out)
{
	fprintf(out, "\nLab %d: %s   (%d core%s", r->lab, r->title, r->cores,
		r->cores == 1 ? "" : "s");
	for (int i = 0; i < r->nparams; i++)
		fprintf(out, ", %s %g", r->params[i].key, r->params[i].value);
	fprintf(out, ")\n\n");
	fprintf(out, "  %-28s %9s %9s %9s %8s %10s   %s\n", "experiment", "wall s",
		"cpu s", "ideal s", "speedup", "efficiency", "");
	fprintf(out, "  %-28s %9s %9s %9s %8s %10s\n", "----------", "------", "-----",
		"-------", "-------", "----------");
	for (int i = 0; i < r->nrows; i++) {
		const struct wb_row *row = &r->rows[i];
		if (!row->measured) {
			fprintf(out, "  %-28s %9s %9s %9s %8s %10s   %s\n", row->name, "-", "-",
				"-", "-", "-", row->note);
			continue;
		}
		char cpu[16] = "-", ideal[16] = "-", speedup[16] = "-", eff[16] = "-";
		if (row->cpu_s >= 0)
			snprintf(cpu, sizeof cpu, "%.3f", row->cpu_s);
		if (row->ideal_s > 0)
			snprintf(ideal, sizeof ideal, "%.3f", row->ideal_s);
		if (row->speedup > 0)
			snprintf(speedup, sizeof speedup, "%.2fx", row->speedup);
		if (row->efficiency > 0)
			snprintf(eff, sizeof eff, "%.2f", row->efficiency);
		fprintf(out, "  %-28s %9.3f %9s %9s %8s %10s   %s\n", row->name, row->wall_s, cpu,
			ideal, speedup, eff, row->note);
	}
	fprintf(out, "\n  speedup = baseline wall / wall;  efficiency = ideal / wall (1.00 is perfect)\n");
	for (int i = 0; i < r->nrows; i++)
		if (r->rows[i].speedup_ref != 0) {
			fprintf(out, "  (a speedup compares runs of the same work: each experiment's rows "
				"with its own first run, \"-\" where there is none)\n");
			break;
		}
	fflush(out);
}

/* A name as one quoted field of a gnuplot data file (it may hold blanks). */
static void write_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(*s == '"' ? '\'' : *s, f);
	fputc('"', f);
}

int wb_results_write_dat(const struct wb_results *r, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	/* Only rows with an ideal: the bar chart sets each measurement beside its
	 * ideal, and a bar with nothing to compare against would only mislead. */
	fprintf(f, "# lab %d, %d cores; the rows that have an ideal time\n"
		"# index name wall_s cpu_s ideal_s speedup efficiency\n", r->lab, r->cores);
	int index = 0;
	for (int i = 0; i < r->nrows; i++) {
		const struct wb_row *row = &r->rows[i];
		if (!row->measured || row->ideal_s <= 0)
			continue;
		fprintf(f, "%d ", index++);
		write_quoted(f, row->name);
		fprintf(f, " %.6f %.6f %.6f %.4f %.4f\n", row->wall_s, row->cpu_s, row->ideal_s,
			row->speedup, row->efficiency);
	}
	return fclose(f);
}

/* JSON has no NaN or infinity: anything not finite, or not defined for the row, is null. */
static void add_number_or_null(cJSON *obj, const char *key, double x, int defined)
{
	if (defined && x == x && x - x == 0)
		CHECK_PTR(cJSON_AddNumberToObject(obj, key, x));
	else
		CHECK_PTR(cJSON_AddNullToObject(obj, key));
}

static cJSON *row_json(const struct wb_row *row)
{
	cJSON *o = CHECK_PTR(cJSON_CreateObject());
	CHECK_PTR(cJSON_AddStringToObject(o, "name", row->name));
	CHECK_PTR(cJSON_AddBoolToObject(o, "measured", row->measured));
	if (row->measured) {
		add_number_or_null(o, "wall_s", row->wall_s, 1);
		add_number_or_null(o, "cpu_s", row->cpu_s, row->cpu_s >= 0);
		add_number_or_null(o, "ideal_s", row->ideal_s, row->ideal_s > 0);
		add_number_or_null(o, "speedup", row->speedup, 1);
		add_number_or_null(o, "efficiency", row->efficiency, 1);
	}
	CHECK_PTR(cJSON_AddStringToObject(o, "note", row->note));
	return o;
}

int wb_results_write_json(const struct wb_results *r, const char *path)
{
	cJSON *doc = CHECK_PTR(cJSON_CreateObject());
	CHECK_PTR(cJSON_AddNumberToObject(doc, "lab", r->lab));
	CHECK_PTR(cJSON_AddStringToObject(doc, "title", r->title));
	CHECK_PTR(cJSON_AddNumberToObject(doc, "cores", r->cores));
	cJSON *params = CHECK_PTR(cJSON_AddObjectToObject(doc, "params"));
	for (int i = 0; i < r->nparams; i++)
		add_number_or_null(params, r->params[i].key, r->params[i].value, 1);
	cJSON *rows = CHECK_PTR(cJSON_AddArrayToObject(doc, "experiments"));
	for (int i = 0; i < r->nrows; i++)
		cJSON_AddItemToArray(rows, row_json(&r->rows[i]));
	char *text = CHECK_PTR(cJSON_PrintUnformatted(doc));
	cJSON_Delete(doc);
	FILE *f = fopen(path, "w");
	int rc = -1;
	if (f) {
		rc = fprintf(f, "%s\n", text) < 0 ? -1 : 0;
		rc = fclose(f) != 0 ? -1 : rc;
	}
	free(text);
	return rc;
}

/* ---- The HTML piece for make report ---------------------------------------- */

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* "Intel(R) Xeon(R) ..." from /proc/cpuinfo, or "" where it does not say. */
static void cpu_model(char *out, size_t cap)
{
	out[0] = '\0';
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (colon && strncmp(line, "model name", 10) == 0) {
			colon += 1 + (colon[1] == ' ');
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(out, cap, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static void html_cell(FILE *f, const char *fmt, double x, int defined)
{
	if (!defined) {
		fputs("<td class=\"num\">-</td>", f);
		return;
	}
	fputs("<td class=\"num\">", f);
	fprintf(f, fmt, x);
	fputs("</td>", f);
}

int wb_results_write_html(const struct wb_results *r, const char *settings, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	char when[64] = "?", model[256];
	time_t now = time(NULL);
	struct tm tm;
	if (localtime_r(&now, &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M %Z", &tm);
	struct utsname u;
	if (uname(&u) != 0)
		snprintf(u.nodename, sizeof u.nodename, "?");
	cpu_model(model, sizeof model);
	fprintf(f, "<!-- written by the lab program (results.c) for make report -->\n");
	fprintf(f, "<p class=\"measured\">Measured <time>%s</time> on <b>", when);
	html_text(f, u.nodename);
	fprintf(f, "</b>: %d core%s", r->cores, r->cores == 1 ? "" : "s");
	if (model[0]) {
		fputs(", ", f);
		html_text(f, model);
	}
	fputs(".", f);
	fputs(" <span class=\"settings\">", f);
	html_text(f, settings);
	fputs("</span>", f);
	if (r->nparams > 0) {
		fputs(":", f);
		for (int i = 0; i < r->nparams; i++) {
			fprintf(f, "%s ", i ? "," : "");
			html_text(f, r->params[i].key);
			fprintf(f, " %g", r->params[i].value);
		}
		fputs(".", f);
	}
	fputs("</p>\n<table class=\"results\">\n<thead><tr><th>experiment</th><th>wall s</th>"
	      "<th>cpu s</th><th>ideal s</th><th>speedup</th><th>efficiency</th><th>note</th>"
	      "</tr></thead>\n<tbody>\n", f);
	for (int i = 0; i < r->nrows; i++) {
		const struct wb_row *row = &r->rows[i];
		fprintf(f, "<tr%s><td>", row->measured ? "" : " class=\"missing\"");
		html_text(f, row->name);
		fputs("</td>", f);
		html_cell(f, "%.3f", row->wall_s, row->measured);
		html_cell(f, "%.3f", row->cpu_s, row->measured && row->cpu_s >= 0);
		html_cell(f, "%.3f", row->ideal_s, row->measured && row->ideal_s > 0);
		html_cell(f, "%.2fx", row->speedup, row->measured && row->speedup > 0);
		html_cell(f, "%.2f", row->efficiency, row->measured && row->efficiency > 0);
		fputs("<td>", f);
		html_text(f, row->note);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	return fclose(f);
}
