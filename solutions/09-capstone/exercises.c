/*
 * Lab 9: the capstone - choose by measurement - the reference answers.
 *
 * The seed decides which kind of work each of m1 ... m6 is, as well as its
 * sizes, so no answer is written down per workload here: every choose_mK
 * hands its probe to one decision, read from the signature, and each cites
 * the two measurements its branch rests on, read from the live probe.
 * Run:
 *     make lab9                 probe every workload (it works before you start)
 *     build/bin/probe m3        one workload's signature; --models adds every model
 *     make check9               the checker runs every model of each workload live
 * The contract is in exercises.h.  The measures are enum measure there; the
 * models enum model.  Your seed (from your user name; make lab9
 * ARGS="--seed N" for another, LAB9_SEED=N for the checker) decides what
 * each workload is and how big, so the figures you quote are yours.
 */
#include "exercises.h"

/* One reason: a measure and the value the probe saw. */
static struct evidence seen(const struct signature *probe, enum measure m)
{
	return (struct evidence){ m, probe->value[m] };
}

static int decided(const struct signature *probe, struct choice *out, enum model model,
		   enum measure first, enum measure second)
{
	out->model = model;
	out->because[0] = seen(probe, first);
	out->because[1] = seen(probe, second);
	return 0;
}

/*
 * The decision, one question at a time, the most telling first.  The
 * thresholds sit far from every kind's figures on a busy 2-core machine
 * (make lab9 prints them): cpu/wall is about 0.01 when a workload only
 * waits, 0.3 when it waits then computes, 1 when it computes; sys share
 * about 0.7 when hand-offs cost more than the work, below 0.1 otherwise;
 * scaling about 1.9 for work that shares nothing, 0.4 behind one lock.
 */
static int decide(const struct signature *probe, struct choice *out)
{
	const double *v = probe->value;
	/* CPU seconds spent by the run with 1 worker, and by the run with 2:
	 * the same work, so about the same, unless the workers fight. */
	double cpu_1 = v[M_CPU_PER_WALL] * v[M_WALL_S];
	double cpu_2 = v[M_SCALING] > 0 ? v[M_CPU_PER_WALL_2] * v[M_WALL_S] / v[M_SCALING] : 0;
	/* Memory per task is measured only when a workload holds every task
	 * at once: time cannot decide (every model that holds them waits as
	 * long), memory does, and one loop holds a task in a few bytes. */
	if (v[M_KIB_PER_TASK] >= 0)
		return decided(probe, out, MODEL_EVENT_LOOP, M_THREADS, M_KIB_PER_TASK);
	/* The CPU idles and it blocks about once per task: it only waits.
	 * One loop keeps every wait in flight at once. */
	if (v[M_CPU_PER_WALL] < 0.1)
		return decided(probe, out, MODEL_EVENT_LOOP, M_CPU_PER_WALL, M_SWITCHES_PER_TASK);
	/* The kernel takes most of the CPU time and a second worker does not
	 * help: the hand-offs cost more than the tasks.  The cheapest hand-off
	 * is none. */
	if (v[M_SYS_SHARE] > 0.25)
		return decided(probe, out, MODEL_SEQUENTIAL, M_SYS_SHARE, M_SCALING);
	/* Part waiting, part computing, and more workers help: overlap the
	 * waits of some items with the computing of others, on every core. */
	if (v[M_CPU_PER_WALL] < 0.7 && v[M_SCALING] > 1.2)
		return decided(probe, out, MODEL_PIPELINE, M_CPU_PER_WALL, M_SCALING);
	/* Two workers take longer than one, and burn several times its CPU for
	 * the same work, both cores busy: they fight over something (spinning
	 * for one lock).  One thread.  (A scaling below 1 with the CPU time
	 * unchanged says something else: other programs took the cores during
	 * the run with 2 workers.) */
	if (v[M_SCALING] < 1.0 && cpu_2 > 2 * cpu_1)
		return decided(probe, out, MODEL_SEQUENTIAL, M_SCALING, M_CPU_PER_WALL_2);
	/* It computes, and a second worker nearly halves the time (or the
	 * scaling run was starved, as above): one thread per core. */
	return decided(probe, out, MODEL_THREADS, M_CPU_PER_WALL_2, M_SCALING);
}

int choose_m1(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.1: m1.  Predict, probe, read the signature, decide, cite two
	 * measurements (see the file's comment above).
	 */
	return decide(probe, out);
}

int choose_m2(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.2: m2.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return decide(probe, out);
}

int choose_m3(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.3: m3.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return decide(probe, out);
}

int choose_m4(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.4: m4.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return decide(probe, out);
}

int choose_m5(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.5: m5.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return decide(probe, out);
}

int choose_m6(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.6: m6.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return decide(probe, out);
}
