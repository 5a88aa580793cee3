/*
 * Lab 9: the capstone - choose by measurement - YOUR FILE.
 *
 * This is the only file you edit in this lab.  For each mystery workload,
 * replace the placeholder `return TODO("9.k", ...);` with your choice: the
 * model, and the two measurements that made you choose it.  First:
 *     make lab9                 probe every workload (it works before you start)
 *     build/bin/probe m3        one workload's signature; --models adds every model
 *     make check9               the checker runs every model of each workload live
 * The contract is in exercises.h.  The measures are enum measure there; the
 * models enum model.
 *
 * Your seed (from your user name; make lab9 ARGS="--seed N" for another,
 * LAB9_SEED=N for the checker) decides what KIND of work each of m1 ... m6
 * is, not only how big: your m3 is most likely not your neighbour's m3.
 * So do not write down an answer per workload: write the decision, and it
 * holds under any seed (LAB9_SEED=2 make check9 tries it on other kinds;
 * a grader may too).  For each workload:
 *   1. predict: before you look, what would tell you which model it wants?
 *   2. probe it (make lab9 prints every signature);
 *   3. read the signature, a question at a time:
 *      - is the CPU busy while it runs (cpu/wall, 1 worker)?  Near 0 means it
 *        waits: for what, and how many of those waits could be in flight at
 *        once?  Near 1 means it computes.  In between: it does both.
 *      - does a second worker help (scaling 1->2)?  Near 2: the work shares
 *        nothing.  Below 1 while both cores are busy (cpu/wall with 2
 *        workers): the workers wait for each other.  To tell that from a
 *        run that other programs slowed down, compare the CPU seconds of
 *        the two runs (cpu/wall x wall; the run with 2 workers took wall /
 *        scaling): the same work costs about the same CPU, unless the
 *        workers fight.
 *      - where does the CPU time go (sys share)?  When the kernel takes most
 *        of it, the hand-offs cost more than the tasks (wall / tasks says
 *        how small a task is).
 *      - is a memory per task measured (it is only when every task is held
 *        at once)?  Then time is not the question: what does one held task
 *        cost as a thread, as a process, as an entry in an event loop?
 *   4. decide: the model whose way of running matches the signature (the
 *      models are described in exercises.h: "threads" means one per core);
 *   5. cite the two measurements your decision rests on, with the values
 *      the probe measured (probe->value[M_...]).  The wall time alone never
 *      does: it says how long, not why.
 * A natural shape: one static function of yours, decide(probe, out), that
 * asks those questions of probe->value[...], and each choose_mK calling it.
 * Then check it against every model with make check9 (and make lab9
 * ARGS="--seed 2" to watch it choose for other kinds).
 */
#include "exercises.h"

int choose_m1(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.1: m1.  Predict, probe, read the signature, decide, cite two
	 * measurements (see the file's comment above).
	 */
	return TODO("9.1", probe, out);
}

int choose_m2(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.2: m2.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return TODO("9.2", probe, out);
}

int choose_m3(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.3: m3.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return TODO("9.3", probe, out);
}

int choose_m4(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.4: m4.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return TODO("9.4", probe, out);
}

int choose_m5(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.5: m5.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return TODO("9.5", probe, out);
}

int choose_m6(const struct signature *probe, struct choice *out)
{
	/*
	 * TODO 9.6: m6.  Predict, probe, read the signature, decide, cite two
	 * measurements.
	 */
	return TODO("9.6", probe, out);
}
