/*
 * tests/lab9_check.c - the checker for lab 9 (make check9).
 *
 * No key: for each mystery workload the checker
 *   1. probes it live (1 and 2 workers: the signature make lab9 prints) and
 *      hands that probe to your choose_mK;
 *   2. checks your two pieces of evidence: two different measures, each
 *      one that tells this workload's kind apart, each within 35 % of what
 *      the probe measures now (probed again, fresh, before saying no);
 *   3. runs every model's reference implementation of the workload live
 *      (workloads.c) and accepts your model if it is within 25 % of the
 *      fastest measured - or, for the kind where memory decides, of the
 *      smallest memory per task - measuring the two concerned again before
 *      saying no.
 * Models far behind the best are stopped early ("> 0.61 s"), and the
 * figures are kept 15 minutes (workloads.h), so a second run is quick.
 *
 * The seed decides which kind of work each mK is (wl_kind_of: a shuffle of
 * the six kinds) and its sizes.  It is make lab9's: from your user name, or
 * LAB9_SEED=N.  One exception, for make test: under --expect-failing (a
 * mutant, tests/mutants/lab9) the seed is always MUTANT_SEED, 1, whatever
 * LAB9_SEED says.  A mutant is a wrong decision about one KIND of work, and
 * its header's `exercise: 9.K` names the mK that has that kind under seed 1
 * (m1 idle connections, m2 one global lock, m3 waiting then computing, m4
 * parallel CPU, m5 tiny tasks, m6 waiting): with the user-name seed the
 * same mistake would fall on another exercise for every user.  The
 * reference solution must pass under both seeds: make test checks it under
 * the user-name seed, tests/run.sh under seed 1, just before the mutants.
 */
#include "checker.h"
#include "exercises.h"
#include "server.h"
#include "workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct wb_check_exercise exercises[] = {
	{ "9.1", "choose_m1", "m1: the model it measures best on, and why", NULL },
	{ "9.2", "choose_m2", "m2: the model it measures best on, and why", NULL },
	{ "9.3", "choose_m3", "m3: the model it measures best on, and why", NULL },
	{ "9.4", "choose_m4", "m4: the model it measures best on, and why", NULL },
	{ "9.5", "choose_m5", "m5: the model it measures best on, and why", NULL },
	{ "9.6", "choose_m6", "m6: the model it measures best on, and why", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 9,
	.title = "choose by measurement",
	.file = "labs/09-capstone/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
	/* each check measures every model, waiting for quiet moments on a busy
	 * machine (measure.c): give it longer than the usual 15 s before it is
	 * called hung */
	.hang_after_s = 45,
};

typedef int (*choose_fn)(const struct signature *probe, struct choice *out);

/* The seed of every mutant run (see the comment at the top). */
enum { MUTANT_SEED = 1 };

/* Is this checker running a mutant (--expect-failing K among its arguments)?
 * checker.c's main() keeps its mode to itself, so the command line says. */
static int mutant_run(void)
{
	FILE *f = fopen("/proc/self/cmdline", "r");
	if (!f)
		return 0;
	char arg[256];
	int found = 0;
	size_t n = 0;
	for (int c; !found && (c = fgetc(f)) != EOF;) {
		if (c != '\0' && n < sizeof arg - 1) {
			arg[n++] = (char)c;
			continue;
		}
		arg[n] = '\0';
		found = strcmp(arg, "--expect-failing") == 0;
		n = 0;
	}
	fclose(f);
	return found;
}

/* Before main(): a mutant run's seed goes into the environment, where every
 * test process Criterion starts (however it starts them) finds it. */
__attribute__((constructor)) static void seed_of_mutant_runs(void)
{
	if (mutant_run()) {
		char s[24];
		snprintf(s, sizeof s, "%d", MUTANT_SEED);
		setenv("LAB9_SEED", s, 1);
	}
}

static uint64_t seed(void)
{
	const char *s = getenv("LAB9_SEED");
	return s && s[0] ? strtoull(s, NULL, 10) : wl_default_seed();
}

/* Call the student's function on a probe; the choice it made. */
static struct choice choose(choose_fn fn, const char *id, const char *name,
			    const struct signature *probe)
{
	struct choice c;
	memset(&c, 0, sizeof c);
	struct signature copy = *probe;
	int rc = fn(&copy, &c);
	REQUIRE_DONE(rc, id);
	cr_assert(rc == 0, "%s: returned %d; 0 is the only answer once the choice is made", name, rc);
	cr_assert(c.model > MODEL_NONE && c.model < MODEL_COUNT,
		  "%s: out->model is %d, which is no model: set it to MODEL_SEQUENTIAL, "
		  "MODEL_THREADS, MODEL_PROCESSES, MODEL_EVENT_LOOP or MODEL_PIPELINE",
		  name, (int)c.model);
	return c;
}

static void check_workload(int index, choose_fn fn, const char *id, const char *name)
{
	struct wl_params p;
	wl_params_for(index, seed(), 1.0, wb_server_url(NULL), &p);
	struct signature probe;
	double age;
	wl_probe(&p, 1, &probe, &age);
	struct choice c = choose(fn, id, name, &probe);

	char msg[1500];
	int ok = wl_check_evidence(&p, &probe, &c, msg, sizeof msg);
	if (!ok && age > 0) {   /* from the cache: probe again, now, before saying no */
		wl_probe(&p, 0, &probe, &age);
		c = choose(fn, id, name, &probe);
		ok = wl_check_evidence(&p, &probe, &c, msg, sizeof msg);
	}
	cr_assert(ok, "%s: the evidence for %s: %s [seed %llu]", name, wl_model_name(c.model), msg,
		  (unsigned long long)p.seed);

	struct wl_table t;
	wl_table_measure(&p, 0, 1, &t);
	ok = wl_judge(&p, c.model, &t, msg, sizeof msg);
	cr_assert(ok, "%s: %s [seed %llu]", name, msg, (unsigned long long)p.seed);
}

Test(ex9_1, the_best_model_and_its_evidence, .timeout = 60)
{
	check_workload(0, choose_m1, "9.1", "choose_m1");
}

Test(ex9_2, the_best_model_and_its_evidence, .timeout = 60)
{
	check_workload(1, choose_m2, "9.2", "choose_m2");
}

Test(ex9_3, the_best_model_and_its_evidence, .timeout = 60)
{
	check_workload(2, choose_m3, "9.3", "choose_m3");
}

Test(ex9_4, the_best_model_and_its_evidence, .timeout = 60)
{
	check_workload(3, choose_m4, "9.4", "choose_m4");
}

Test(ex9_5, the_best_model_and_its_evidence, .timeout = 60)
{
	check_workload(4, choose_m5, "9.5", "choose_m5");
}

Test(ex9_6, the_best_model_and_its_evidence, .timeout = 60)
{
	check_workload(5, choose_m6, "9.6", "choose_m6");
}
