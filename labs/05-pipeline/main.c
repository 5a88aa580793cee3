/*
 * Lab 5: the hybrid pipeline - the driver (scaffolding: read it, but your
 * work goes in exercises.c).
 *
 * Items that must be waited for (a download from the lab server) and then
 * computed on (rounds of a hash over the bytes received).  The course's
 * five-item exercise four ways; then phased (5.2) against streamed (5.3) on
 * a balanced workload, each against its ideal; what a queue bound does and
 * does not bound, and what tokens (5.4) do, swept around Little's law; which
 * stage is the bottleneck; stopping short (5.5); and the CPU stage in
 * processes (5.6), with what the copy costs.  Every run's results are
 * compared with a reference computed here: a lost, doubled or swapped item
 * stops the lab.
 */
#include "driver.h"

#include "checked.h"
#include "plot.h"
#include "server.h"
#include "timing.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct wb_lab_spec spec = {
	.prog = "lab5",
	.summary = "the hybrid pipeline: waiting and computing in one program",
	.accepts = WB_OPT_URL | WB_OPT_REQUESTS | WB_OPT_DELAY | WB_OPT_WORKERS | WB_OPT_TASK_MS,
	/* workers 0: as many as cores */
	.defaults = { .requests = 40, .delay = 0.5, .workers = 0, .task_ms = 100 },
	/* balanced too: ceil(8/4) x 0.04 s of waiting, ceil(8/2) x 20 ms of CPU */
	.quick = { .requests = 8, .delay = 0.04, .workers = 0, .task_ms = 20 },
	.server = wb_lab_server,
};

/* --- Ideals (../shared/references/labs5-9.md §1.3) ----------------------- */

static int ceil_div(int a, int b)
{
	return (a + b - 1) / b;
}

double ideal_phased(int n, int f, double d, int w, double c)
{
	return ceil_div(n, f) * d + ceil_div(n, w) * c;
}

double ideal_streamed(int n, int f, double d, int w, double c)
{
	return fmax(d + ceil_div(n, w) * c, ceil_div(n, f) * d + c);
}

/* --- Running and verifying one experiment -------------------------------- */

/* Peak RSS of this process since the last reset (VmHWM; "5" to clear_refs resets it). */
static void rss_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

static double rss_peak_mib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %lf kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib < 0 ? -1 : kib / 1024;
}

struct call {
	struct job *j;
	job_fn fn;
};

static int call_job(void *arg)
{
	struct call *c = arg;
	return c->fn(c->j);
}

/* Every item fetched, processed and released exactly once, with the right result. */
static void verify(struct job *j, const char *exercise, int sink)
{
	const char *ex = exercise ? exercise : "(driver)";
	struct workload_report *b = &j->books;
	int n = j->w->n;
	if (b->first_twice >= 0)
		wb_lab_wrong(j->lab, ex, "item %d was fetched or processed twice", b->first_twice);
	if (b->fetched != n || b->processed != n)
		wb_lab_wrong(j->lab, ex, "%d items: %d fetched, %d processed (each must be once)", n,
			     b->fetched, b->processed);
	if (b->alive != 0)
		wb_lab_wrong(j->lab, ex, "%d items never released (item_release)", b->alive);
	for (int i = 0; i < n; i++) {
		int index = i;
		uint64_t got = sink ? workload_sunk(j->w, i, &index) : j->results[i];
		if (sink && index != i)
			wb_lab_wrong(j->lab, ex, "the sink wrote item %d in position %d", index, i);
		if (got != j->reference[i])
			wb_lab_wrong(j->lab, ex, "the result of item %d is wrong (%016llx, not %016llx)", i,
				     (unsigned long long)got, (unsigned long long)j->reference[i]);
	}
}

int run_job(struct job *j, const char *exercise, const char *label, double expected_s, job_fn fn)
{
	workload_reset(j->w);
	if (j->w->tl)
		wb_timeline_reset(j->w->tl);
	memset(j->results, 0, (size_t)j->w->n * sizeof *j->results);
	struct call c = { j, fn };
	rss_reset();
	j->m = wb_lab_measure(j->lab, exercise, label, expected_s, call_job, &c);
	j->rss_mib = rss_peak_mib();
	workload_report(j->w, &j->books);
	if (j->m.status == 0)
		verify(j, exercise, fn == NULL);
	return j->m.status;
}

static int phased(struct job *j)
{
	return run_phased(j->w, j->fetchers, j->workers, j->results);
}

static int streamed(struct job *j)
{
	return run_streamed(j->w, j->fetchers, j->workers, j->bound, j->results);
}

static int tokens(struct job *j)
{
	return run_tokens_ordered(j->w, j->fetchers, j->workers, j->tokens);
}

static int procs(struct job *j)
{
	return run_streamed_procs(j->w, j->fetchers, j->workers, j->bound, j->results);
}

/* run_job for 5.4, whose results are the sink's: verified in input order. */
static int run_sink_job(struct job *j, const char *label, double expected_s)
{
	workload_reset(j->w);
	wb_timeline_reset(j->w->tl);
	struct call c = { j, tokens };
	rss_reset();
	j->m = wb_lab_measure(j->lab, "5.4", label, expected_s, call_job, &c);
	j->rss_mib = rss_peak_mib();
	workload_report(j->w, &j->books);
	if (j->m.status == 0) {
		if (j->books.sunk != j->w->n)
			wb_lab_wrong(j->lab, "5.4", "the sink wrote %d results, not %d", j->books.sunk,
				     j->w->n);
		if (j->books.peak_alive > j->tokens)
			wb_lab_wrong(j->lab, "5.4", "%d items alive at once with %d tokens",
				     j->books.peak_alive, j->tokens);
		verify(j, "5.4", 1);
	}
	return j->m.status;
}

/* --- What the spans say ----------------------------------------------------- */

/* A copy of one run's spans (the timeline is reset by the next run). */
struct spans {
	int count;
	struct wb_span s[512];
};

static void keep_spans(const struct wb_timeline *tl, struct spans *out)
{
	out->count = 0;
	for (size_t i = 0; i < wb_timeline_count(tl) && out->count < 512; i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		if (s)
			out->s[out->count++] = *s;
	}
}

static double first_start(const struct spans *sp)
{
	double t = INFINITY;
	for (int i = 0; i < sp->count; i++)
		t = fmin(t, sp->s[i].start);
	return t;
}

/* Seconds of `kind` work, added up. */
static double busy(const struct spans *sp, const char *kind)
{
	double sum = 0;
	for (int i = 0; i < sp->count; i++)
		if (strcmp(sp->s[i].kind, kind) == 0)
			sum += sp->s[i].end - sp->s[i].start;
	return sum;
}

static int count_kind(const struct spans *sp, const char *kind)
{
	int k = 0;
	for (int i = 0; i < sp->count; i++)
		k += strcmp(sp->s[i].kind, kind) == 0;
	return k;
}

/* Phased above, streamed below, one time axis: in each, the fetch lanes
 * (0 .. F-1) above the CPU lanes (F .. F+W-1). */
static void gantt(struct wb_lab *lab, const struct spans *ph, const struct spans *st, int f, int w)
{
	struct wb_timeline *tl = wb_timeline_new((size_t)(ph->count + st->count) + 4);
	double origin = wb_now();
	const struct spans *runs[2] = { ph, st };
	for (int r = 0; r < 2; r++) {
		double t0 = first_start(runs[r]);
		int lane0 = r * (f + w + 1);   /* a blank lane between the two runs */
		for (int i = 0; i < runs[r]->count; i++) {
			const struct wb_span *s = &runs[r]->s[i];
			int cpu = strcmp(s->kind, "cpu") == 0;
			wb_timeline_record(tl, lane0 + s->worker + (cpu ? f : 0), s->task, s->kind,
					   origin + s->start - t0, origin + s->end - t0);
		}
	}
	char title[160];
	snprintf(title, sizeof title,
		 "Lab 5: phased (lanes 0-%d) above streamed (lanes %d-%d); fetch lanes over CPU lanes",
		 f + w - 1, f + w + 1, 2 * (f + w));
	wb_lab_timeline(lab, tl, "gantt", title);
	wb_timeline_free(tl);
}

/* Items waiting (fetched, not yet taken by a worker: in the queue, or in the
 * hand of a fetcher blocked on a full queue) and alive (fetch started,
 * not yet done) at each event, from the spans: one block per run. */
static void write_depth(FILE *f, const struct spans *sp)
{
	double t0 = first_start(sp);
	double ev[1024];
	int m = 0;
	for (int i = 0; i < sp->count && m < 1022; i++) {
		ev[m++] = sp->s[i].start;
		ev[m++] = sp->s[i].end;
	}
	for (int a = 0; a < m; a++)   /* sort the instants (few hundred: insertion sort) */
		for (int b = a; b > 0 && ev[b] < ev[b - 1]; b--) {
			double t = ev[b];
			ev[b] = ev[b - 1];
			ev[b - 1] = t;
		}
	fprintf(f, "0 0 0\n");
	for (int e = 0; e < m; e++) {
		int depth = 0, alive = 0;
		for (int i = 0; i < sp->count; i++) {
			const struct wb_span *s = &sp->s[i];
			int sign = strcmp(s->kind, "fetch") == 0 ? 1 : -1;
			if (sign > 0) {
				alive += s->start <= ev[e];
				depth += s->end <= ev[e];
			} else {
				alive -= s->end <= ev[e];
				depth -= s->start <= ev[e];
			}
		}
		fprintf(f, "%.4f %d %d\n", ev[e] - t0, depth, alive);
	}
	fprintf(f, "\n\n");
}

static void depth_plot(struct wb_lab *lab, const struct spans *a, const char *name_a,
		       const struct spans *b, const char *name_b, int limit)
{
	char dat[4096], png[4096], extra[512];
	wb_out_path(dat, sizeof dat, lab->number, "depth.dat");
	wb_out_path(png, sizeof png, lab->number, "depth.png");
	FILE *f = fopen(dat, "w");
	if (!f)
		DIE("writing %s: %s", dat, wb_strerror(errno));
	fprintf(f, "# t_s depth alive (block 0: %s, block 1: %s)\n", name_a, name_b);
	write_depth(f, a);
	write_depth(f, b);
	if (fclose(f) != 0)
		DIE("writing %s: %s", dat, wb_strerror(errno));
	snprintf(extra, sizeof extra, "run0='%s'; run1='%s'; limit=%d", name_a, name_b, limit);
	struct wb_plot plot = { .script = "depth.gp", .datafile = dat, .png = png,
				.title = "Lab 5: items alive, and items waiting (fetched, not yet taken by a worker)",
				.terminal = !lab->opt.no_plot, .extra = extra };
	wb_plot_draw(&plot);
}

/* --- The experiments --------------------------------------------------------- */

struct setup {
	struct wb_lab *lab;
	struct workload *w;
	const uint64_t *reference;
	uint64_t *results;
	int n, f, w_cpu, cores;
	double d, c;
};

static struct job job_for(const struct setup *s, int fetchers, int workers, int bound, int tok)
{
	return (struct job){ .lab = s->lab, .w = s->w, .reference = s->reference,
			     .fetchers = fetchers, .workers = workers, .bound = bound,
			     .tokens = tok, .results = s->results };
}

/* 5.2 and 5.3 on the balanced workload, each against its ideal; returns the streamed spans. */
static int phased_vs_streamed(const struct setup *s, struct spans *st)
{
	struct spans ph;
	double ip = ideal_phased(s->n, s->f, s->d, s->w_cpu, s->c);
	double is = ideal_streamed(s->n, s->f, s->d, s->w_cpu, s->c);
	printf("\nPhased vs streamed: %d items, %d fetchers, wait %g s, %d CPU workers, %.0f ms each\n"
	       "  ideal phased   = ceil(N/F) d + ceil(N/W) c = %.2f s\n"
	       "  ideal streamed = max(d + ceil(N/W) c, ceil(N/F) d + c) = %.2f s\n",
	       s->n, s->f, s->d, s->w_cpu, s->c * 1e3, ip, is);
	char name[64];
	struct job j = job_for(s, s->f, s->w_cpu, s->n, 0);
	snprintf(name, sizeof name, "phased, %d items (5.2)", s->n);
	run_job(&j, "5.2", "phased", ip, phased);
	struct wb_row *row = wb_lab_row(s->lab, name, "5.2", &j.m, ip);
	keep_spans(s->w->tl, &ph);
	if (row)
		wb_row_note(row, "%d fetchers, then %d workers", s->f, s->w_cpu);

	snprintf(name, sizeof name, "streamed, %d items (5.3)", s->n);
	run_job(&j, "5.3", "streamed", is, streamed);
	row = wb_lab_row(s->lab, name, "5.3", &j.m, is);
	keep_spans(s->w->tl, st);
	if (row)
		wb_row_note(row, "queue peak %d, alive peak %d", s->w->peak_queue,
			    j.books.peak_alive);
	if (ph.count && st->count && count_kind(&ph, "cpu") && count_kind(st, "cpu"))
		gantt(s->lab, &ph, st, s->f, s->w_cpu);
	return row != NULL;
}

/* Queue bounds 1, 2, 2W, none with as many fetchers as items: the bound
 * limits the queue, not the items alive.  Then tokens, swept. */
static void bounds_and_tokens(const struct setup *s)
{
	int n = s->n, W = s->w_cpu;
	double is = ideal_streamed(n, n, s->d, W, s->c);
	printf("\nQueue bound vs tokens: %d items, %d fetchers (one per item), %d workers, "
	       "%zu KiB bodies\n", n, n, W, s->w->body_bytes / 1024);
	printf("  %-20s %8s %11s %11s %10s\n", "limit", "wall s", "peak queue", "peak alive",
	       "peak RSS");
	int bounds[4] = { 1, 2, 2 * W, n };
	static struct spans first, chosen;   /* static: 2 x 20 KiB */
	first.count = chosen.count = 0;
	int chosen_tokens = 0;
	for (int k = 0; k < 4; k++) {
		struct job j = job_for(s, n, W, bounds[k], 0);
		if (run_job(&j, "5.3", "a bounded queue", is, streamed) != 0) {
			printf("  (queue bounds need exercise 5.3: not done yet)\n");
			break;
		}
		char label[32];
		snprintf(label, sizeof label, k == 3 ? "no bound (%d)" : "queue bound %d", bounds[k]);
		printf("  %-20s %8.2f %11d %11d %8.1f MiB\n", label, j.m.wall_s, s->w->peak_queue,
		       j.books.peak_alive, j.rss_mib);
		if (k == 2)
			keep_spans(s->w->tl, &first);
	}
	double knee = W / s->c * (s->d + s->c);
	int tok[8], nt = 0;
	int cand[8] = { 2, (int)(knee / 4), (int)(knee / 2), (int)(knee * 3 / 4), (int)knee,
			(int)(knee * 1.5), (int)(knee * 2), n };
	if (s->lab->opt.quick) {   /* three points only: below, at and far above the knee */
		cand[1] = cand[2] = cand[3] = 0;
		cand[5] = cand[6] = 0;
	}
	for (int k = 0; k < 8; k++)
		if (cand[k] >= 1 && cand[k] <= n && (nt == 0 || cand[k] > tok[nt - 1]))
			tok[nt++] = cand[k];
	double x[8], wall[8], ideal[8];
	int rows = 0;
	for (int k = 0; k < nt; k++) {
		struct job j = job_for(s, n, W, 0, tok[k]);
		double id = fmax(is, n * (s->d + s->c) / tok[k]);
		if (run_sink_job(&j, "tokens", id) != 0) {
			printf("  (tokens need exercise 5.4: not done yet)\n");
			wb_lab_row(s->lab, "tokens at the knee (5.4)", "5.4", &j.m, id);
			break;
		}
		char label[32];
		snprintf(label, sizeof label, "%d tokens", tok[k]);
		printf("  %-20s %8.2f %11d %11d %8.1f MiB\n", label, j.m.wall_s, s->w->peak_queue,
		       j.books.peak_alive, j.rss_mib);
		if (chosen.count == 0 && tok[k] >= fmin(knee, n)) {
			keep_spans(s->w->tl, &chosen);
			chosen_tokens = tok[k];
			struct wb_row *row = wb_lab_row(s->lab, "tokens at the knee (5.4)", "5.4", &j.m, id);
			wb_row_note(row, "%d tokens: alive peak %d, in order", tok[k], j.books.peak_alive);
		}
		x[rows] = tok[k];
		wall[rows] = j.m.wall_s;
		ideal[rows++] = id;
	}
	if (rows == 0)
		return;
	/* The knee found: the fewest tokens whose time is within 10% of the best time. */
	double best = wall[0];
	for (int k = 1; k < rows; k++)
		best = fmin(best, wall[k]);
	int found = (int)x[rows - 1];
	for (int k = rows - 1; k >= 0; k--)
		if (wall[k] <= 1.10 * best)
			found = (int)x[k];
	printf("  the knee: %d tokens found (the fewest within 10%% of the best), %.1f predicted by\n"
	       "  Little's law (W/c)(d+c) = (%d / %.3f s) x %.3f s\n", found, knee, W, s->c,
	       s->d + s->c);
	wb_results_param(&s->lab->results, "knee_found", found);
	wb_results_param(&s->lab->results, "knee_predicted", knee);
	struct wb_sweep sw = {
		.name = "tokens", .title = "Lab 5: wall time vs tokens (dotted: the knee Little law predicts)",
		.xlabel = "tokens (items alive at most)", .ylabel = "seconds",
		.x = x, .measured = wall, .ideal = ideal, .rows = rows,
		.ideal_title = "ideal max(streamed, N(d+c)/T)", .mark = knee,
	};
	wb_lab_sweep(s->lab, &sw);
	if (first.count && chosen.count) {
		char a[48], b[48];
		snprintf(a, sizeof a, "queue bound %d", 2 * W);
		snprintf(b, sizeof b, "tokens %d", chosen_tokens);
		depth_plot(s->lab, &first, a, &chosen, b, chosen_tokens);
	}
}

/* Busy fraction of each stage, and W = cores against W = cores - 1. */
static void bottleneck(const struct setup *s, const struct spans *st, double wall)
{
	if (!st->count)
		return;
	double fb = busy(st, "fetch") / (s->f * wall), cb = busy(st, "cpu") / (s->w_cpu * wall);
	printf("\nWhich stage is the bottleneck? (the streamed run above, %.2f s)\n"
	       "  fetch stage busy %.0f%% of %d fetchers x wall, CPU stage busy %.0f%% of %d workers\n",
	       wall, 100 * fb, s->f, 100 * cb, s->w_cpu);
	if (s->cores < 2)
		return;
	printf("  the server and the fetch threads share the cores with the CPU workers:\n");
	for (int w = s->cores; w >= s->cores - 1; w--) {
		struct job j = job_for(s, s->f, w, s->n, 0);
		double is = ideal_streamed(s->n, s->f, s->d, w, s->c);
		if (run_job(&j, "5.3", "W = cores vs cores - 1", is, streamed) != 0)
			return;
		struct spans sp;
		keep_spans(s->w->tl, &sp);
		int nf = count_kind(&sp, "fetch");
		printf("  W = %d: %.2f s (ideal %.2f), mean fetch %.3f s (wait %.3f s), CPU busy %.0f%%\n",
		       w, j.m.wall_s, is, nf ? busy(&sp, "fetch") / nf : 0, s->d,
		       100 * busy(&sp, "cpu") / (w * j.m.wall_s));
	}
}

/* 5.5: stop after K results, and at a failed fetch. */
struct stop_call {
	const struct setup *s;
	int stop_after, processed;
	int expect_fail, rc;   /* a failed fetch must give -1: then the run did what it should */
};

static int call_stop(void *arg)
{
	struct stop_call *c = arg;
	const struct setup *s = c->s;
	c->rc = run_stop_short(s->w, s->f, s->w_cpu, 1, c->stop_after, s->results, &c->processed);
	return c->rc == -1 && c->expect_fail ? 0 : c->rc;
}

/* One early stop: measured, then the books must balance. */
static struct wb_row *stop_run(const struct setup *s, struct stop_call *c, const char *name,
			       int expect_rc, struct workload_report *books)
{
	workload_reset(s->w);
	memset(s->results, 0, (size_t)s->n * sizeof *s->results);
	double full = ideal_streamed(s->n, s->f, s->d, s->w_cpu, s->c);
	c->expect_fail = expect_rc == -1;
	struct wb_measure m = wb_lab_measure(s->lab, "5.5", name, full, call_stop, c);
	if (c->rc == 0 && expect_rc == -1)
		wb_lab_wrong(s->lab, "5.5", "a fetch failed, yet run_stop_short returned 0");
	workload_report(s->w, books);
	if (m.status == 0 && books->alive != 0)
		wb_lab_wrong(s->lab, "5.5", "%d items never released", books->alive);
	if (m.status == 0 && books->first_twice >= 0)
		wb_lab_wrong(s->lab, "5.5", "item %d fetched or processed twice", books->first_twice);
	if (m.status == 0 && c->processed != books->processed)
		wb_lab_wrong(s->lab, "5.5", "*processed says %d, but %d were processed", c->processed,
			     books->processed);
	for (int i = 0; m.status == 0 && i < s->n; i++)
		if (workload_processed(s->w, i) && s->results[i] != s->reference[i])
			wb_lab_wrong(s->lab, "5.5", "item %d was processed, but results[%d] is wrong", i, i);
	return wb_lab_row(s->lab, name, "5.5", &m, 0);
}

static void stopping_short(const struct setup *s)
{
	int n = s->n, K = n / 4 > 0 ? n / 4 : 1;
	struct workload_report books;
	struct stop_call c = { s, K, 0, 0, 0 };
	struct wb_row *row = stop_run(s, &c, "stop after K (5.5)", 0, &books);
	if (!row)
		return;
	if (books.processed != K)
		wb_lab_wrong(s->lab, "5.5", "stop after %d: %d processed", K, books.processed);
	wb_row_note(row, "%d of %d processed, %d fetched", K, n, books.fetched);
	s->w->fail_at = n / 2;
	c.stop_after = 0;
	printf("\nStopping short (5.5): item %d's fetch gets HTTP 500 from the server on purpose;\n"
	       "the run must stop soon after, and say so (the message below is expected)\n", n / 2);
	fflush(stdout);
	row = stop_run(s, &c, "stop at a failed fetch (5.5)", -1, &books);
	s->w->fail_at = -1;
	if (row)
		wb_row_note(row, "item %d failed: %d processed, %d fetched", n / 2, books.processed,
			    books.fetched);
}

/* What 5.6 pays per body: one copy through a pipe to a child and a byte
 * back, the median of `reps`, in seconds per MiB. */
static double pipe_cost_per_mib(size_t bytes, int reps)
{
	int down[2], up[2];
	CHECK_SYS(pipe(down));
	CHECK_SYS(pipe(up));
	pid_t pid = CHECK_SYS(fork());
	unsigned char *buf = wb_xcalloc(1, bytes);
	if (pid == 0) {   /* the child: read each body, answer one byte; _exit, never exit */
		close(down[1]);
		close(up[0]);
		for (int r = 0; r <= reps; r++) {
			size_t got = 0;
			while (got < bytes) {
				ssize_t k = read(down[0], buf + got, bytes - got);
				if (k <= 0)
					_exit(1);
				got += (size_t)k;
			}
			if (write(up[1], buf, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	CHECK_SYS(close(down[0]));
	CHECK_SYS(close(up[1]));
	double *took = wb_xcalloc((size_t)reps + 1, sizeof *took);
	for (int r = 0; r <= reps; r++) {   /* round 0 is a warm-up: the child's first page faults */
		double t0 = wb_now();
		size_t put = 0;
		while (put < bytes)
			put += (size_t)CHECK_SYS(write(down[1], buf + put, bytes - put));
		char ack;
		if (read(up[0], &ack, 1) != 1)
			DIE("pipe copy: the child did not answer");
		took[r] = wb_now() - t0;
	}
	struct wb_summary sum;   /* the median: a busy machine's hiccups fall on either side */
	wb_summarize(took + 1, reps, &sum);
	free(took);
	CHECK_SYS(close(down[1]));
	CHECK_SYS(close(up[0]));
	int status;
	CHECK_SYS(waitpid(pid, &status, 0));
	free(buf);
	return sum.median / ((double)bytes / (1 << 20));
}

/* 5.6 against 5.3 as the bodies grow (no wait, little CPU: the copy shows),
 * and what one copy through a pipe costs at each size. */
static void copy_cost(struct wb_lab *lab, const struct setup *s)
{
	size_t sizes[4] = { 16 << 10, 64 << 10, 256 << 10, 1 << 20 };
	int n = lab->opt.quick ? 8 : 24, W = s->w_cpu, reps = lab->opt.quick ? 8 : 32;
	double x[4], copy_us[4], scaled[4];
	printf("\nThe CPU stage in processes (5.6): %d items, no wait, one hash pass each\n", n);
	printf("  %10s %12s %12s %16s\n", "body", "threads s", "processes s", "one pipe copy");
	int done = 1;
	for (int k = 0; k < 4; k++) {
		double t_threads = 0, t_procs = 0;
		if (done) {
			struct workload w = { .base_url = s->w->base_url, .n = n, .delay_s = 0,
					      .body_bytes = sizes[k], .rounds = 1, .fail_at = -1 };
			workload_open(&w);
			uint64_t *ref = wb_xcalloc((size_t)n, sizeof *ref);
			uint64_t *res = wb_xcalloc((size_t)n, sizeof *res);
			for (int i = 0; i < n; i++)
				ref[i] = workload_expected(&w, i);
			struct job j = { .lab = lab, .w = &w, .reference = ref, .fetchers = 4,
					 .workers = W, .bound = n, .results = res };
			int st = run_job(&j, "5.3", "threads, body sweep", 2, streamed);
			t_threads = j.m.wall_s;
			int sp = st == 0 ? run_job(&j, "5.6", "processes, body sweep", 2, procs) : st;
			t_procs = j.m.wall_s;
			done = st == 0 && sp == 0;
			workload_close(&w);
			free(ref);
			free(res);
		}
		x[k] = (double)(sizes[k] >> 10);
		copy_us[k] = pipe_cost_per_mib(sizes[k], reps) * 1e6 * (double)sizes[k] / (1 << 20);
		if (done)
			printf("  %7zu KiB %12.3f %12.3f %13.0f us\n", sizes[k] >> 10, t_threads, t_procs,
			       copy_us[k]);
		else
			printf("  %7zu KiB %12s %12s %13.0f us   (5.3 and 5.6 needed for the runs)\n",
			       sizes[k] >> 10, "-", "-", copy_us[k]);
	}
	double per_mib = copy_us[3] * 1e-6;   /* the 1 MiB body's copy */
	for (int k = 0; k < 4; k++)
		scaled[k] = copy_us[3] * (double)sizes[k] / (1 << 20);
	printf("  one copy through a pipe: %.0f us per MiB (so %.2f ms for a %zu KiB body, against\n"
	       "  %.0f ms of CPU per item)\n", per_mib * 1e6,
	       per_mib * 1e3 * (double)s->w->body_bytes / (1 << 20), s->w->body_bytes >> 10,
	       s->c * 1e3);
	wb_results_param(&lab->results, "pipe_us_per_mib", per_mib * 1e6);
	struct wb_sweep sw = { .name = "copy",
			       .title = "Lab 5: what 5.6 pays per item - one body down a pipe",
			       .xlabel = "body KiB", .ylabel = "microseconds per body", .x = x,
			       .measured = copy_us, .ideal = scaled, .rows = 4, .logx = 1,
			       .ideal_title = "the 1 MiB rate, scaled" };
	wb_lab_sweep(lab, &sw);
}

/* The reference: every item's result, computed here on every core. */
struct ref_arg {
	const struct workload *w;
	uint64_t *ref;
	int from, step;
};

static void *ref_main(void *arg)
{
	struct ref_arg *a = arg;
	for (int i = a->from; i < a->w->n; i += a->step)
		a->ref[i] = workload_expected(a->w, i);
	return NULL;
}

static void reference(const struct workload *w, uint64_t *ref, int cores)
{
	pthread_t t[64];
	struct ref_arg a[64];
	int k = cores < 64 ? cores : 64;
	for (int i = 0; i < k; i++) {
		a[i] = (struct ref_arg){ w, ref, i, k };
		CHECK_PT(pthread_create(&t[i], NULL, ref_main, &a[i]));
	}
	for (int i = 0; i < k; i++)
		CHECK_PT(pthread_join(t[i], NULL));
}

int main(int argc, char **argv)
{
	struct wb_lab lab;
	wb_lab_start(&lab, &spec, 5, "the hybrid pipeline", argc, argv);
	wb_http_init();   /* before any thread: curl_global_init is not thread-safe */
	const struct wb_options *o = &lab.opt;
	struct setup s = { .lab = &lab, .n = o->requests, .d = o->delay, .c = o->task_ms / 1e3,
			   .cores = wb_cores() };
	s.w_cpu = o->workers > 0 ? o->workers : s.cores;
	s.f = s.n / 4 > 4 ? s.n / 4 : (s.n < 4 ? s.n : 4);
	size_t body = o->quick ? 64 << 10 : 256 << 10;
	int n_all = s.n > 5 ? s.n : 5;
	struct workload w = { .base_url = lab.url, .n = n_all, .delay_s = s.d, .body_bytes = body,
			      .rounds = workload_rounds_for(s.c, body), .fail_at = -1,
			      .tl = wb_timeline_new(4 * (size_t)n_all + 16) };
	workload_open(&w);
	wb_results_param(&lab.results, "items", s.n);
	wb_results_param(&lab.results, "fetchers", s.f);
	wb_results_param(&lab.results, "delay_s", s.d);
	wb_results_param(&lab.results, "workers", s.w_cpu);
	wb_results_param(&lab.results, "cpu_s", s.c);
	uint64_t *ref = wb_xcalloc((size_t)n_all, sizeof *ref);
	s.results = wb_xcalloc((size_t)n_all, sizeof *s.results);
	double t0 = wb_now();
	reference(&w, ref, s.cores);
	printf("each item: GET /delay/%g, then %zu KiB from /bytes; %llu hash passes over it "
	       "(%.0f ms here)\nreference results computed in %.2f s\n", s.d, body >> 10,
	       (unsigned long long)w.rounds, s.c * 1e3, wb_now() - t0);
	s.w = &w;
	s.reference = ref;

	w.n = 5;
	course_exercise(&lab, &w, ref, s.c);
	w.n = s.n;

	struct spans st = { 0 };
	phased_vs_streamed(&s, &st);
	double st_wall = lab.results.nrows ? lab.results.rows[lab.results.nrows - 1].wall_s : 0;
	bottleneck(&s, &st, st_wall);
	bounds_and_tokens(&s);
	stopping_short(&s);
	copy_cost(&lab, &s);

	wb_lab_finish(&lab);
	workload_close(&w);
	wb_timeline_free(w.tl);
	free(s.results);
	free(ref);
	return 0;
}
