/*
 * Lab 9: the capstone - choose by measurement - the driver (scaffolding:
 * read it, but your work goes in exercises.c).
 *
 * Six mystery workloads; the seed decides what kind of work each is (and
 * how big), and this driver never names the kind before your choice for it
 * is accepted.  For each: the probe's signature (1 and 2 workers, wait4 +
 * /proc + the server's /stats), then, once you have written its choose_mK,
 * your choice against every model's reference implementation measured
 * live, and whether your evidence agrees with the probe.  Last, a chart of
 * every model of every finished workload as a multiple of the best one.
 */
#include "exercises.h"
#include "lab.h"
#include "workloads.h"

#include "checked.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct wb_lab_spec spec = {
	.prog = "lab9",
	.summary = "the capstone: six mystery workloads, and the model each one measures fastest on",
	.accepts = WB_OPT_URL | WB_OPT_SEED,
	/* seed 0: from the user name (wl_default_seed) */
	.defaults = { .seed = 0 },
	.quick = { .seed = 0 },
	.server = wb_lab_server,
};

typedef int (*choose_fn)(const struct signature *probe, struct choice *out);

static const choose_fn choosers[WL_COUNT] = {
	choose_m1, choose_m2, choose_m3, choose_m4, choose_m5, choose_m6,
};
static const char *const exercise_ids[WL_COUNT] = { "9.1", "9.2", "9.3", "9.4", "9.5", "9.6" };

/* --- Probing ---------------------------------------------------------------- */

struct probe_call {
	const struct wl_params *p;
	struct signature sig;
	double age_s;
};

static int call_probe(void *arg)
{
	struct probe_call *c = arg;
	wl_probe(c->p, 1, &c->sig, &c->age_s);
	return 0;
}

static void print_signature(const struct wl_params *p, const struct signature *s, double age_s)
{
	static const enum measure shown[] = {
		M_WALL_S, M_CPU_PER_WALL, M_CPU_PER_WALL_2, M_SCALING, M_SYS_SHARE,
		M_SWITCHES_PER_TASK, M_INVOLUNTARY, M_PEAK_RSS_KIB, M_THREADS, M_REQUESTS,
		M_PEAK_IN_FLIGHT, M_KIB_PER_TASK,
	};
	printf("\n%s  (%d tasks; probed %s)\n", wl_name(p->index), s->tasks,
	       age_s > 0 ? "from the cache" : "now");
	for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++) {
		char v[32];
		wl_format(shown[k], s->value[shown[k]], v, sizeof v);
		printf("  %-28s %-10s%s", wl_measure_name(shown[k]), v, k % 2 ? "\n" : "");
	}
	if (age_s > 0)
		printf("  (measured %.0f s ago: LAB9_FRESH=1 measures again)\n", age_s);
}

/* --- Your choice ------------------------------------------------------------------ */

struct choose_call {
	choose_fn fn;
	const struct signature *probe;
	struct choice choice;
};

static int call_choose(void *arg)
{
	struct choose_call *c = arg;
	return c->fn(c->probe, &c->choice);
}

/* The chart's bars: every model of each finished workload, as a multiple of its best. */
struct chart {
	char labels[WL_COUNT * MODEL_COUNT][32];
	const char *names[WL_COUNT * MODEL_COUNT];
	double values[WL_COUNT * MODEL_COUNT];
	int rows;
};

static void chart_add(struct chart *ch, const struct wl_params *p, const struct wl_table *t)
{
	for (int m = 1; m < MODEL_COUNT; m++) {
		/* a model stopped early shows its lower bound, and says so */
		if (!t->has[m] || t->best == MODEL_NONE || (!t->finished[m] && wl_by_memory(p)))
			continue;
		snprintf(ch->labels[ch->rows], sizeof ch->labels[ch->rows], "%s %s%s",
			 wl_name(p->index), wl_model_name((enum model)m),
			 t->finished[m] ? "" : " (stopped: more)");
		ch->names[ch->rows] = ch->labels[ch->rows];
		ch->values[ch->rows] = t->value[m] / t->value[t->best];
		ch->rows++;
	}
}

static void print_table(const struct wl_params *p, const struct wl_table *t)
{
	printf("  every model, measured now (%s):", wl_by_memory(p) ? "KiB per task" : "wall");
	for (int m = 1; m < MODEL_COUNT; m++) {
		if (!t->has[m])
			continue;
		if (!t->finished[m])
			printf("  %s %s", wl_model_name((enum model)m),
			       wl_by_memory(p) ? "(never all at once)" : "");
		if (!t->finished[m] && !wl_by_memory(p))
			printf("> %.3f s", t->value[m]);
		if (t->finished[m])
			printf(wl_by_memory(p) ? "  %s %.2f" : "  %s %.3f s", wl_model_name((enum model)m),
			       t->value[m]);
	}
	printf("\n");
}

/* Your choice beside the best measured; the kind of work, once accepted. */
static void print_verdict(const struct wl_params *p, const struct choice *c,
			  const struct wl_table *t, int accepted)
{
	enum model m = c->model;
	int measured = m > MODEL_NONE && m < MODEL_COUNT && t->has[m] && t->finished[m];
	printf("  %s: your choice %s", wl_name(p->index), wl_model_name(m));
	if (t->best != MODEL_NONE) {
		printf(", the best measured %s", wl_model_name(t->best));
		if (measured && m != t->best)
			printf(" (yours: %.2fx the best's %s)", t->value[m] / t->value[t->best],
			       wl_by_memory(p) ? "memory per task" : "time");
	}
	printf("\n");
	if (accepted)
		printf("  accepted: %s was %s\n", wl_name(p->index), wl_kind_name(p->kind));
}

/* One workload: probe it, then judge the choice if the exercise is done. */
static void one_workload(struct wb_lab *lab, int index, double scale, uint64_t seed,
			 struct chart *ch)
{
	struct wl_params p;
	wl_params_for(index, seed, scale, lab->url, &p);
	struct probe_call pc = { .p = &p };
	char label[32];
	snprintf(label, sizeof label, "probing %s", wl_name(index));
	struct wb_measure pm = wb_lab_measure(lab, NULL, label, 10, call_probe, &pc);
	print_signature(&p, &pc.sig, pc.age_s);

	char name[40];
	/* the probe's scaling run as a row: 2 workers, beside half of 1 worker's time */
	const double *v = pc.sig.value;
	snprintf(name, sizeof name, "%s probe, 2 workers", wl_name(index));
	pm.wall_s = v[M_SCALING] > 0 ? v[M_WALL_S] / v[M_SCALING] : v[M_WALL_S];
	pm.cpu_s = v[M_CPU_PER_WALL_2] * pm.wall_s;
	struct wb_row *probe_row = wb_lab_row(lab, name, NULL, &pm,
					      wl_by_memory(&p) ? 0 : v[M_WALL_S] / 2);
	wb_row_note(probe_row, "1 worker %.3f s, cpu/wall %.2f", v[M_WALL_S], v[M_CPU_PER_WALL]);

	struct choose_call cc = { .fn = choosers[index], .probe = &pc.sig };
	struct wb_measure cm = wb_lab_measure(lab, exercise_ids[index], "choosing", 1, call_choose,
					      &cc);
	snprintf(name, sizeof name, "%s on your model (%s)", wl_name(index), exercise_ids[index]);
	if (cm.status == WB_NOT_DONE) {
		wb_lab_row(lab, name, exercise_ids[index], &cm, 0);
		return;
	}
	char msg[1200];
	int evidence_ok = wl_check_evidence(&p, &pc.sig, &cc.choice, msg, sizeof msg);
	printf("  your choice: %s, because %s = %g and %s = %g\n",
	       wl_model_name(cc.choice.model), wl_measure_name(cc.choice.because[0].what),
	       cc.choice.because[0].value, wl_measure_name(cc.choice.because[1].what),
	       cc.choice.because[1].value);
	printf("  evidence: %s%s\n", evidence_ok ? "" : "NOT ACCEPTED: ", msg);
	struct wl_table t;
	wl_table_measure(&p, 0, 1, &t);
	print_table(&p, &t);
	int ok = wl_judge(&p, cc.choice.model, &t, msg, sizeof msg);
	printf("  model: %s%s\n", ok ? "" : "NOT ACCEPTED: ", msg);
	print_verdict(&p, &cc.choice, &t, ok && evidence_ok);
	/* the row: your model's measured run, beside the best one's */
	enum model c = cc.choice.model;
	int has = c > MODEL_NONE && c < MODEL_COUNT && t.has[c];
	struct wb_measure yours = { .status = 0, .cpu_s = -1 };
	yours.wall_s = !has ? 0 : wl_by_memory(&p) ? t.wall_s[c] : t.value[c];
	snprintf(name, sizeof name, "%s on %s (%s)", wl_name(index), wl_model_name(c),
		 exercise_ids[index]);
	int timed = !wl_by_memory(&p) && t.best != MODEL_NONE;
	struct wb_row *row = wb_lab_row(lab, name, exercise_ids[index], &yours,
					timed ? t.value[t.best] : 0);
	const char *verdict = ok && evidence_ok ? "accepted" : !ok ? "not the best measured"
					       : "evidence disagrees";
	if (wl_by_memory(&p) && has && t.finished[c] && t.best != MODEL_NONE)
		wb_row_note(row, "%s: %.2f KiB/task, best %.2f (%s)", verdict, t.value[c],
			    t.value[t.best], wl_model_name(t.best));
	else if (t.best != MODEL_NONE)
		wb_row_note(row, "%s%s; best: %s", verdict, has && !t.finished[c] ? " (stopped)" : "",
			    wl_model_name(t.best));
	chart_add(ch, &p, &t);
}

int main(int argc, char **argv)
{
	struct wb_lab lab;
	wb_lab_start(&lab, &spec, 9, "choose by measurement", argc, argv);
	uint64_t seed = lab.opt.seed ? lab.opt.seed : wl_default_seed();
	/* --quick measures the same sizes as the checker, so that the two share
	 * their measurements (kept 15 min): after make check9 it costs nothing */
	double scale = 1.0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	scale = lab.opt.quick ? 0.25 : 0.5;   /* a sanitizer makes every run several times slower */
#endif
	printf("seed %llu%s: it decides what kind of work each of m1 ... m6 is, and how big\n"
	       "measurements kept 15 min in %s\n", (unsigned long long)seed,
	       lab.opt.seed ? "" : " (from your user name: --seed N for another)", wl_cache_path());
	wb_results_param(&lab.results, "scale", scale);

	static struct chart ch;
	for (int k = 0; k < WL_COUNT; k++)
		one_workload(&lab, k, scale, seed, &ch);

	if (ch.rows > 0) {
		struct wb_bars bars = {
			.name = "models", .title = "every model, as a multiple of the best one measured",
			.xlabel = "x the best (time; memory per task where memory decides)",
			.labels = ch.names, .values = ch.values, .rows = ch.rows, .logx = 1,
		};
		wb_lab_bars(&lab, &bars);
	}
	return wb_lab_finish(&lab);
}
