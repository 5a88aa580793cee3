/*
 * Lab 9: the capstone - choose by measurement - the reference answers.
 *
 * The reference answers: what the measurements on a 2-core machine said.
 * Each evidence value is read from the live probe, so it holds for any seed.
 * Run:
 *     make lab9                 probe every workload (it works before you start)
 *     build/bin/probe m3        one workload's signature; --models adds every model
 *     make check9               the checker runs every model of each workload live
 * The contract is in exercises.h.  The measures are enum measure there; the
 * models enum model.  Sizes are seeded from your user name (make lab9
 * ARGS="--seed N" to change it; the checker uses the same default), so the
 * figures you quote are yours.
 */
#include "exercises.h"

int choose_m1(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.1: m1.
	 *  - run build/bin/probe m1 and read its signature before anything else:
	 *    is the CPU busy while it runs (cpu/wall), and does a second worker
	 *    help (scaling 1->2)?  A workload can get faster with more workers
	 *    without computing at all: then what is it waiting for, and how many
	 *    of those waits could be in flight at once?
	 *  - out->model = MODEL_...; out->because[0] = (struct evidence){ M_..., value };
	 *    and a second, different measure.  The value is what you saw (or
	 *    probe->value[M_...]); the checker probes again and compares.
	 * Careful: "threads" here means one per core (see exercises.h).
	 */
	out->model = MODEL_EVENT_LOOP;
	out->because[0] = (struct evidence){ M_CPU_PER_WALL, probe->value[M_CPU_PER_WALL] };
	out->because[1] = (struct evidence){ M_SWITCHES_PER_TASK, probe->value[M_SWITCHES_PER_TASK] };
	return 0;
}

int choose_m2(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.2: m2.
	 *  - what does cpu/wall say with one worker, and with two?  If one
	 *    worker keeps one core busy and two keep two busy, the work is
	 *    the CPU's: which models put both cores to work?
	 *  - name the two figures that show it.
	 */
	out->model = MODEL_THREADS;
	out->because[0] = (struct evidence){ M_CPU_PER_WALL_2, probe->value[M_CPU_PER_WALL_2] };
	out->because[1] = (struct evidence){ M_SCALING, probe->value[M_SCALING] };
	return 0;
}

int choose_m3(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.3: m3.
	 *  - it computes (cpu/wall near 1 with one worker), yet look at the
	 *    scaling run: what happens with a second worker, and to the
	 *    voluntary switches?  A worker that keeps blocking while there is
	 *    CPU work to do is waiting for something the other worker holds.
	 *  - when more workers make it slower, what is the fastest way to run it?
	 */
	out->model = MODEL_SEQUENTIAL;
	out->because[0] = (struct evidence){ M_SCALING, probe->value[M_SCALING] };
	out->because[1] = (struct evidence){ M_SWITCHES_PER_TASK, probe->value[M_SWITCHES_PER_TASK] };
	return 0;
}

int choose_m4(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.4: m4.
	 *  - how many tasks, and how long is each (wall / tasks)?  Compare with
	 *    what a hand-off costs (lab 2: a queue; lab 3: a pipe): where does
	 *    the time go - sys share - when every task is handed to a worker?
	 *  - the model whose cost per task is lowest wins when the tasks are tiny.
	 */
	out->model = MODEL_SEQUENTIAL;
	out->because[0] = (struct evidence){ M_SYS_SHARE, probe->value[M_SYS_SHARE] };
	out->because[1] = (struct evidence){ M_SCALING, probe->value[M_SCALING] };
	return 0;
}

int choose_m5(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.5: m5.
	 *  - cpu/wall is neither 0 nor 1: each task waits and then computes.
	 *    A pool of one worker per core waits with the cores idle; one event
	 *    loop waits well but computes on one core.  What overlaps the waits
	 *    of some tasks with the computing of others, on every core?
	 *  - quote the figures that show both parts.
	 */
	out->model = MODEL_PIPELINE;
	out->because[0] = (struct evidence){ M_CPU_PER_WALL, probe->value[M_CPU_PER_WALL] };
	out->because[1] = (struct evidence){ M_SCALING, probe->value[M_SCALING] };
	return 0;
}

int choose_m6(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.6: m6.
	 *  - here time is not the question (every model that holds the
	 *    connections at once waits as long); memory is.  Look at the threads
	 *    alive, the requests in flight and the memory per task: what does
	 *    each held connection cost in each model, and which holds it for the
	 *    least?  (Lab 7: a thread's stack against a few bytes of loop state.)
	 *  - the checker compares memory per connection, measured as Pss.
	 */
	out->model = MODEL_EVENT_LOOP;
	out->because[0] = (struct evidence){ M_THREADS, probe->value[M_THREADS] };
	out->because[1] = (struct evidence){ M_KIB_PER_TASK, probe->value[M_KIB_PER_TASK] };
	return 0;
}
