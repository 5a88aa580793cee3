/*
 * report.c - what the launcher and the ranks agree on: the
 * parameters, the task lists, the sizes swept; and reading a job's report.
 */
#include "driver.h"

#include "checked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lab8_params_format(const struct lab8_params *p, char *buf, size_t cap)
{
	snprintf(buf, cap, "%llu %d %d %.6f", (unsigned long long)p->items, p->tasks, p->quick,
		 p->ns_per_item);
}

int lab8_params_parse(const char *s, struct lab8_params *p)
{
	unsigned long long items;
	if (sscanf(s, "%llu %d %d %lf", &items, &p->tasks, &p->quick, &p->ns_per_item) != 4)
		return -1;
	p->items = items;
	return 0;
}

static void tasks_alloc(struct lab8_tasks *t, int count)
{
	t->count = count;
	t->first = wb_xcalloc((size_t)count + 1, sizeof *t->first);
	t->items = wb_xcalloc((size_t)count + 1, sizeof *t->items);
}

void lab8_tasks_uniform(struct lab8_tasks *t, int count, uint64_t items)
{
	tasks_alloc(t, count);
	uint64_t *first = (uint64_t *)t->first, *n = (uint64_t *)t->items;
	for (int i = 0; i < count; i++) {
		first[i] = (uint64_t)i * items;
		n[i] = items;
	}
}

void lab8_tasks_uneven(struct lab8_tasks *t, int count, uint64_t items)
{
	tasks_alloc(t, count);
	uint64_t *first = (uint64_t *)t->first, *n = (uint64_t *)t->items, at = 0;
	for (int i = 0; i < count; i++) {
		first[i] = at;
		n[i] = items * 2 * (uint64_t)(i + 1) / (uint64_t)(count + 1);
		if (n[i] == 0)
			n[i] = 1;
		at += n[i];
	}
}

void lab8_tasks_free(struct lab8_tasks *t)
{
	free((void *)t->first);
	free((void *)t->items);
}

uint64_t lab8_tasks_items(const struct lab8_tasks *t)
{
	uint64_t sum = 0;
	for (int i = 0; i < t->count; i++)
		sum += t->items[i];
	return sum;
}

int lab8_uneven_count(const struct lab8_params *p)
{
	return 2 * p->tasks;	/* twice lab 3's N, each half as long on average */
}

int lab8_pingpong_sizes(const struct lab8_params *p, int *bytes, int *reps, int most)
{
	static const int sizes[] = { 1, 64, 1024, 16384, 262144, 1048576 };
	static const int quick[] = { 1, 1024, 65536, 1048576 };
	const int *s = p->quick ? quick : sizes;
	int n = p->quick ? 4 : 6;
	for (int k = 0; k < n && k < most; k++) {
		bytes[k] = s[k];
		/* about as many bytes per size: small messages many times, large ones a few */
		int r = (int)(2e7 / (s[k] + 2e4));
		reps[k] = (p->quick ? r / 8 : r) + 5;
	}
	return n < most ? n : most;
}

int lab8_sweep_sizes(const struct lab8_params *p, double *task_s, int *tasks, int most)
{
	/* Down to tasks shorter than one message: there the cost per task is
	 * the messages (and the master's MPI_Iprobe), not the work. */
	static const double sizes[] = { 3e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 1e-2 };
	static const double quick[] = { 1e-6, 1e-5, 1e-4, 1e-3 };
	const double *s = p->quick ? quick : sizes;
	int n = p->quick ? 4 : (int)(sizeof sizes / sizeof sizes[0]);
	double total = p->quick ? 0.03 : 0.4;	/* seconds of work per point */
	int most_tasks = p->quick ? 3000 : 20000;
	for (int k = 0; k < n && k < most; k++) {
		task_s[k] = s[k];
		int t = (int)(total / s[k]);
		tasks[k] = t > most_tasks ? most_tasks : t < 8 ? 8 : t;
	}
	return n < most ? n : most;
}

/* --- The report ---------------------------------------------------------- */

void lab8_report_load(struct lab8_report *rep, const char *path)
{
	rep->lines = NULL;
	rep->n = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[512];
	int cap = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (rep->n == cap) {
			cap = cap ? 2 * cap : 256;
			rep->lines = CHECK_PTR(realloc(rep->lines, (size_t)cap * sizeof *rep->lines));
		}
		rep->lines[rep->n++] = wb_xstrdup(line);
	}
	fclose(f);
}

void lab8_report_free(struct lab8_report *rep)
{
	for (int k = 0; k < rep->n; k++)
		free(rep->lines[k]);
	free(rep->lines);
	rep->lines = NULL;
	rep->n = 0;
}

/* Does line start with "WORD LABEL "?  Then where the rest begins. */
static const char *after(const char *line, const char *word, const char *label)
{
	size_t w = strlen(word), l = strlen(label);
	if (strncmp(line, word, w) != 0 || line[w] != ' ' || strncmp(line + w + 1, label, l) != 0 ||
	    line[w + 1 + l] != ' ')
		return NULL;
	return line + w + l + 2;
}

int lab8_report_get(const struct lab8_report *rep, const char *label, const char *key, double *v)
{
	size_t k = strlen(key);
	for (int i = 0; i < rep->n; i++) {
		const char *rest = after(rep->lines[i], "value", label);
		if (rest && strncmp(rest, key, k) == 0 && rest[k] == ' ')
			return sscanf(rest + k + 1, "%lf", v) == 1;
	}
	return 0;
}

int lab8_report_rows(const struct lab8_report *rep, const char *label, struct lab8_rank_row *rows,
		     int most)
{
	int n = 0;
	for (int i = 0; i < rep->n && n < most; i++) {
		const char *rest = after(rep->lines[i], "rank", label);
		struct lab8_rank_row *r = &rows[n];
		if (rest && sscanf(rest, "%d %d %lf %lf %lf %lf %lf %lf %lf %lf", &r->rank, &r->rc,
				   &r->start, &r->end, &r->cpu_s, &r->work_s, &r->sends, &r->bytes,
				   &r->recvs, &r->collectives) == 10)
			n++;
	}
	return n;
}

const char *lab8_report_last_begin(const struct lab8_report *rep, char *buf, size_t cap)
{
	for (int i = rep->n - 1; i >= 0; i--)
		if (strncmp(rep->lines[i], "begin ", 6) == 0) {
			snprintf(buf, cap, "%s", rep->lines[i] + 6);
			return buf;
		}
	return NULL;
}

int lab8_report_spans(const struct lab8_report *rep, const char *label, struct wb_timeline *tl,
		      int *done, int count)
{
	int n = 0;
	for (int i = 0; i < rep->n; i++) {
		const char *rest = after(rep->lines[i], "span", label);
		int rank, task;
		double start, end;
		if (!rest || sscanf(rest, "%d %d %lf %lf", &rank, &task, &start, &end) != 4)
			continue;
		if (tl && wb_timeline_record(tl, rank, task, "cpu", start, end) != 0)
			DIE("the timeline is full");
		if (done && task >= 0 && task < count)
			done[task]++;
		n++;
	}
	return n;
}
