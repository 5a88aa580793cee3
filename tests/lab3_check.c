/*
 * tests/lab3_check.c - the checker for lab 3 (make check3).
 *
 * Every exercise runs in a child process of the test (the "caller"), so that:
 *   - a call that never returns is stopped after a few seconds and named,
 *     with where each of its processes was waiting (a full pipe, a read
 *     that never sees end-of-file, a waitpid for a child that cannot end);
 *   - the caller's children are the student's and nobody else's: the
 *     helpers that kill a child mid-task or count the workers are children
 *     of the test, so a design that reaps with waitpid(-1) sees only its own;
 *   - results[] is private memory of the caller, as in the lab, so a child
 *     that writes it directly (instead of through a pipe or a shared
 *     mapping) is seen to fail, as it would in the lab.
 * The caller reports what it saw through shared memory: the return value,
 * the results, children never reaped, descriptors and shared mappings
 * left open, processes that came back out of the function (a child that
 * returned instead of leaving with _exit), and how many processes ran exit
 * handlers or flushed a copy of the caller's stdio buffer (a child that
 * left with exit()).
 *
 * The checks prove structure, not speed, so that they hold on a busy 2-core
 * machine: the results equal the sequential ones, the work ran in the
 * right number of distinct processes whose intervals overlap, a killed
 * child fails the run, 50,000 tiny tasks get through a pool, and each
 * fork-and-wait time includes a child that the checker makes live 10 ms.
 */
#include "checker.h"
#include "costs.h"
#include "exercises.h"
#include "procs.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct wb_check_exercise exercises[] = {
	{ "3.1", "run_forked", "a process per task, results through pipes", NULL },
	{ "3.2", "run_forked_shared", "a process per task, results in shared memory", NULL },
	{ "3.3", "run_process_pool", "a process pool", NULL },
	{ "3.4", "measure_fork_wait", "what a process costs (fork + wait)", NULL },
	{ "3.5", "wait_for_workers", "failure is visible", NULL },
};

const struct wb_check_lab wb_check_lab = {
	.number = 3,
	.title = "processes for CPU",
	.file = "labs/03-processes-cpu/exercises.c",
	.exercises = exercises,
	.count = sizeof exercises / sizeof exercises[0],
};

/* ---- /proc ----------------------------------------------------------------- */

enum { MAX_SEEN = 64 };   /* children of one call we keep track of */

/* True if this process has no child left at all, zombie or running. */
static int no_children_left(void)
{
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* Processes created on the whole machine since boot (/proc/stat). */
static long forks_so_far(void)
{
	FILE *f = fopen("/proc/stat", "r");
	cr_assert(f, "cannot open /proc/stat");
	char line[512];
	long n = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "processes %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* MAP_SHARED mappings of this process (an "s" in the permissions of /proc/self/maps). */
static int shared_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	char line[512], perms[8];
	int n = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%*s %7s", perms) == 1 && perms[3] == 's')
			n++;
	fclose(f);
	return n;
}

/* Where children_of collects, when a kernel has no /proc/PID/task/TID/children. */
struct kids {
	pid_t parent, *out;
	int n, cap;
};

static int collect_if_child(pid_t pid, void *arg)
{
	struct kids *k = arg;
	if (k->n < k->cap && wb_parent_of(pid) == k->parent)
		k->out[k->n++] = pid;
	return 0;   /* chooses none: it only collects */
}

/* The children of process pid (its main thread's), zombies included; how many. */
static int children_of(pid_t pid, pid_t *out, int cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	if (!f) {
		struct kids k = { pid, out, 0, cap };
		wb_kill_processes(collect_if_child, &k);
		return k.n;
	}
	int n = 0, child;
	while (n < cap && fscanf(f, "%d", &child) == 1)
		out[n++] = child;
	fclose(f);
	return n;
}

/* A process's state letter from /proc/PID/stat ('R', 'S', 'Z', ...), '?' if it is gone. */
static char state_of(pid_t pid)
{
	char path[64], stat[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return '?';
	size_t n = fread(stat, 1, sizeof stat - 1, f);
	fclose(f);
	stat[n] = '\0';
	char *close = strrchr(stat, ')'), state = '?';
	if (close)
		sscanf(close + 1, " %c", &state);
	return state;
}

/* Where a process's main thread waits: its kernel function ("anon_pipe_read", "do_wait"),
 * or "running", "zombie", "gone". */
static void wchan_of(pid_t pid, char *out, size_t cap)
{
	char state = state_of(pid), path[64];
	snprintf(out, cap, "%s", state == 'R' ? "running" : state == 'Z' ? "zombie" :
		 state == '?' ? "gone" : "?");
	if (state == 'R' || state == 'Z' || state == '?')
		return;
	snprintf(path, sizeof path, "/proc/%d/wchan", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(out, (int)cap, f))
		snprintf(out, cap, "?");
	fclose(f);
}

/* What a stuck caller and its children were doing, said as what to fix. */
static const char *diagnose(pid_t caller)
{
	char mine[64], theirs[64];
	pid_t kids[MAX_SEEN];
	int n = children_of(caller, kids, MAX_SEEN), alive = 0, reading = 0, writing = 0;
	for (int i = 0; i < n; i++) {
		wchan_of(kids[i], theirs, sizeof theirs);
		alive += strcmp(theirs, "zombie") != 0;
		reading += strstr(theirs, "pipe_read") != NULL;
		writing += strstr(theirs, "pipe_write") != NULL;
	}
	wchan_of(caller, mine, sizeof mine);
	if (strstr(mine, "pipe_write") && writing)
		return "the parent was blocked writing into a full pipe while its children were "
		       "blocked writing into the other one, which the parent reads only after it "
		       "has written: each waits for the other for ever (a pipe holds 64 KiB). Keep "
		       "at most a task or two per worker in flight: read a result before you send "
		       "the next task";
	if (strstr(mine, "pipe_write"))
		return "the parent was blocked writing into a full pipe that nobody reads";
	if (strstr(mine, "wait") && reading)
		return "the parent was waiting for a child (waitpid) that was itself waiting to "
		       "read a pipe: end-of-file never comes while a copy of that pipe's write end "
		       "is open - in the parent, or inherited by a child. Close every end you do "
		       "not use, right after fork";
	if (strstr(mine, "pipe_read") && alive == 0)
		return "the parent was reading a pipe whose writers had all ended, yet end-of-file "
		       "never came: the parent still holds a write end of it itself - close its "
		       "copy right after fork";
	if (strstr(mine, "pipe_read") && reading == alive)
		return "the parent was waiting for a result while every live child waited for a "
		       "task: a task was lost with a killed worker (or never sent), and end-of-file "
		       "cannot come while the parent holds the task pipe open. Keep at least one "
		       "task per worker in flight, so that a live worker always has one";
	if (strcmp(mine, "running") == 0)
		return "the parent was running - a busy loop? (a read that returns 0 at "
		       "end-of-file, retried for ever?)";
	return NULL;
}

/* ---- The call, run in a process of its own ------------------------------------ */

/* A call still running after this long is stuck: every call here takes well under 1 s. */
#define LIMIT_S 4.0

enum helper {
	NO_HELPER,
	KILL_FIRST_CHILD,   /* SIGKILL the caller's first child while it works */
	COUNT_CHILDREN,     /* note every child the caller ever has */
};

enum { REPORT_CAP = 1024, GUARD = 64 };
#define GUARD_BYTE 0x5a

/* Shared between the test, the caller and the helper. */
struct call {
	/* what to run */
	int tasks, workers, reps;
	uint64_t items;
	struct wb_timeline *tl;
	size_t report_cap;              /* 3.5: the cap given to wait_for_workers */
	/* what the caller saw */
	pid_t caller;
	int broken;                     /* the checker could not set the call up: not the student's */
	int returned, rc;
	int children_left;              /* children not reaped when the function returned */
	int fd_delta, map_delta;        /* descriptors, shared mappings: after minus before */
	int marks;                      /* copies of the caller's buffered line that came out */
	atomic_int strays;              /* other processes that returned from the function */
	atomic_int exit_handlers;       /* other processes that ran the caller's atexit handlers */
	struct wb_summary cost;         /* 3.4 */
	double reference_median;        /* 3.4: the checker's own fork + wait, same conditions */
	char report[REPORT_CAP + GUARD];/* 3.5 */
	/* the helper */
	atomic_int stop;
	int kill_when_children;         /* KILL_FIRST_CHILD: once the caller has this many */
	double kill_after_s;            /* ... and this long after */
	int killed;                     /* a child was killed while it still ran */
	int missed;                     /* ... or it had already ended: nothing to prove */
	int seen;                       /* COUNT_CHILDREN: distinct children */
	pid_t seen_pids[MAX_SEEN];
	uint64_t results[];             /* `tasks` of them, copied out of the caller's own array */
};

/* What runs the student's function inside the caller; results is the caller's private array. */
typedef int (*body_fn)(struct call *c, uint64_t *results);

/* How a guarded call ended. */
struct ending {
	int hung;          /* had not returned by the limit: stopped */
	int status;        /* the caller's wait status otherwise */
	double limit_s;
	const char *why;   /* hung: what it was doing, if that is clear */
	char where[1800];  /* hung: where each of its processes was waiting */
};

static struct call *new_call(int tasks)
{
	size_t bytes = sizeof(struct call) + (size_t)(tasks > 0 ? tasks : 1) * sizeof(uint64_t);
	struct call *c = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			      -1, 0);
	cr_assert(c != MAP_FAILED, "checker: mmap: %s", strerror(errno));
	c->tasks = tasks;
	return c;
}

static void free_call(struct call *c)
{
	munmap(c, sizeof(struct call) + (size_t)(c->tasks > 0 ? c->tasks : 1) * sizeof(uint64_t));
}

/* -- In the caller -- */

static struct call *current;
static const char MARK[] = "lab3-check: a line buffered by the caller before the call\n";

/* Registered by the caller: a process that runs it is another one that called exit(). */
static void count_exit_handlers(void)
{
	if (current && getpid() != current->caller)
		atomic_fetch_add(&current->exit_handlers, 1);
}

/* How many copies of MARK the file holds. */
static int count_marks(FILE *f)
{
	char line[256];
	int n = 0;
	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
		return -1;
	while (fgets(line, sizeof line, f))
		n += strcmp(line, MARK) == 0;
	return n;
}

/* The checker's own set-up failed in the caller: say so, and blame nobody. */
static _Noreturn void checker_broken(struct call *c)
{
	c->broken = 1;
	_exit(3);
}

static _Noreturn void caller_main(struct call *c, body_fn body)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	current = c;
	c->caller = getpid();
	atexit(count_exit_handlers);
	/* A line waiting in a stdio buffer: a child that leaves with exit() flushes its copy. */
	FILE *mark = tmpfile();
	if (!mark || setvbuf(mark, NULL, _IOFBF, BUFSIZ) != 0 || fputs(MARK, mark) == EOF)
		checker_broken(c);
	uint64_t *results = calloc((size_t)(c->tasks > 0 ? c->tasks : 1), sizeof *results);
	if (!results)
		checker_broken(c);
	int fds = wb_check_open_fds(), maps = shared_mappings();
	int rc = body(c, results);
	if (getpid() != c->caller) {
		/* a child of the student's that came back out of the function */
		atomic_fetch_add(&c->strays, 1);
		_exit(0);
	}
	c->rc = rc;
	memcpy(c->results, results, (size_t)c->tasks * sizeof *results);
	c->children_left = !no_children_left();
	c->fd_delta = wb_check_open_fds() - fds;
	c->map_delta = shared_mappings() - maps;
	c->marks = count_marks(mark);
	c->returned = 1;
	_exit(0);
}

/* -- In the helper (a child of the test, never of the caller) -- */

static void note_child(struct call *c, pid_t pid)
{
	for (int i = 0; i < c->seen; i++)
		if (c->seen_pids[i] == pid)
			return;
	if (c->seen < MAX_SEEN)
		c->seen_pids[c->seen++] = pid;
}

/* The child forked first: the lowest pid, unless the pids wrapped round pid_max meanwhile
 * (then the lowest pid above the half way point). */
static pid_t first_forked(const pid_t *pids, int n)
{
	long pid_max = 32768;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	if (f) {
		if (fscanf(f, "%ld", &pid_max) != 1)
			pid_max = 32768;
		fclose(f);
	}
	pid_t lowest = pids[0], highest = pids[0], lowest_high = 0;
	for (int i = 0; i < n; i++) {
		lowest = pids[i] < lowest ? pids[i] : lowest;
		highest = pids[i] > highest ? pids[i] : highest;
		if (pids[i] > pid_max / 2 && (lowest_high == 0 || pids[i] < lowest_high))
			lowest_high = pids[i];
	}
	return highest - lowest > pid_max / 2 ? lowest_high : lowest;
}

/* Once the caller has its children, wait a little, then SIGKILL the first forked. */
static int kill_first_child(struct call *c, pid_t caller, int n)
{
	if (n < c->kill_when_children)
		return 0;
	wb_sleep(c->kill_after_s);
	pid_t now[MAX_SEEN];
	n = children_of(caller, now, MAX_SEEN);
	if (n == 0)
		return 1;
	pid_t first = first_forked(now, n);
	char state = state_of(first);
	if (state == 'Z' || state == '?' || kill(first, SIGKILL) != 0)
		c->missed = 1;
	else
		c->killed = 1;
	return 1;
}

static _Noreturn void helper_main(struct call *c, pid_t caller, enum helper what)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	double give_up = wb_now() + 12;
	while (!atomic_load(&c->stop) && wb_now() < give_up) {
		pid_t kids[MAX_SEEN];
		int n = children_of(caller, kids, MAX_SEEN);
		if (what == COUNT_CHILDREN)
			for (int i = 0; i < n; i++)
				note_child(c, kids[i]);
		else if (what == KILL_FIRST_CHILD && kill_first_child(c, caller, n))
			break;
		usleep(1000);
	}
	_exit(0);
}

/* -- In the test -- */

struct family {
	pid_t root;
	char *where;
	size_t cap;
};

/* One line per thread of a live descendant; a zombie (ended, not reaped) in a word. */
static int describe_if_below(pid_t pid, void *arg)
{
	struct family *f = arg;
	size_t used = strlen(f->where);
	if (!wb_is_descendant(pid, f->root) || used + 200 > f->cap)
		return 0;
	if (state_of(pid) == 'Z')
		snprintf(f->where + used, f->cap - used, "  pid %d: ended, not yet reaped\n",
			 (int)pid);
	else
		wb_describe_threads(pid, f->where, f->cap);
	return 0;
}

static int is_below(pid_t pid, void *arg)
{
	return wb_is_descendant(pid, ((struct family *)arg)->root);
}

/* The caller hung: say where it and its processes wait, then stop them all. */
static void stop_caller(pid_t caller, struct ending *e)
{
	struct family f = { caller, e->where, sizeof e->where };
	e->where[0] = '\0';
	e->why = diagnose(caller);
	snprintf(e->where, sizeof e->where, "  the parent (the process that called it):\n");
	wb_describe_threads(caller, e->where, sizeof e->where);
	size_t used = strlen(e->where);
	snprintf(e->where + used, sizeof e->where - used, "  its children:\n");
	wb_kill_processes(describe_if_below, &f);   /* chooses none: it only describes */
	kill(caller, SIGSTOP);   /* stopped, it forks no more while its descendants are killed */
	for (int round = 0; round < 5 && wb_kill_processes(is_below, &f) > 0; round++)
		wb_sleep(0.01);
	kill(caller, SIGKILL);
}

/*
 * When the checker has its verdict (a check failed), it stops this test's runner; a
 * test it started meanwhile must not run on, orphaned, with its children.  So: die
 * with the runner from now on, and stop at once if it is gone already (then our
 * parent is no longer this program).
 */
static void stop_if_orphaned(void)
{
	char mine[4096], parent[4096], path[64];
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(path, sizeof path, "/proc/%d/exe", (int)getppid());
	ssize_t a = readlink("/proc/self/exe", mine, sizeof mine);
	ssize_t b = readlink(path, parent, sizeof parent);
	if (a > 0 && (b != a || memcmp(mine, parent, (size_t)a) != 0))
		_exit(0);
}

/* Run body in a caller process, with a helper beside it; stop it after limit_s. */
static void run_guarded(struct call *c, body_fn body, enum helper helper, double limit_s,
			struct ending *e)
{
	memset(e, 0, sizeof *e);
	e->limit_s = limit_s;
	stop_if_orphaned();
	fflush(NULL);   /* nothing of ours waits in a buffer the caller would inherit */
	pid_t caller = fork();
	cr_assert(caller >= 0, "checker: fork: %s", strerror(errno));
	if (caller == 0)
		caller_main(c, body);
	pid_t h = 0;
	if (helper != NO_HELPER) {
		h = fork();
		cr_assert(h >= 0, "checker: fork: %s", strerror(errno));
		if (h == 0)
			helper_main(c, caller, helper);
	}
	double deadline = wb_now() + limit_s;
	for (;;) {
		pid_t r = waitpid(caller, &e->status, WNOHANG);
		if (r == caller)
			break;
		cr_assert(r == 0 || errno == EINTR, "checker: waitpid: %s", strerror(errno));
		if (wb_now() > deadline) {
			e->hung = 1;
			stop_caller(caller, e);
			while (waitpid(caller, &e->status, 0) == -1 && errno == EINTR)
				;
			break;
		}
		usleep(2000);
	}
	atomic_store(&c->stop, 1);
	if (h > 0)
		while (waitpid(h, NULL, 0) == -1 && errno == EINTR)
			;
}

/* ---- What every call must get right -------------------------------------------- */

/* It returned, in the process that called it, within the limit, and its children left
 * with _exit(). */
static void assert_returned(const char *ex, const char *fn, const struct call *c,
			    const struct ending *e, const char *hang_hint)
{
	cr_assert(!c->broken, "checker: could not set up the call (tmpfile, calloc, fork or "
		  "sigaction failed: is the machine out of memory or processes?)");
	if (e->hung) {
		const char *why = e->why ? e->why : hang_hint;
		cr_assert_fail("%s: had not returned after %.0f s, so it was stopped%s%s. Where its "
			       "processes were waiting:\n%s", fn, e->limit_s, *why ? " - " : "", why,
			       e->where);
	}
	if (WIFSIGNALED(e->status)) {
		int sig = WTERMSIG(e->status);
		cr_assert_fail("%s: the process that called it was killed by SIG%s%s", fn,
			       sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			       sig == SIGPIPE ? " - it wrote to a pipe nobody can read any more; "
			       "ignore SIGPIPE (sigaction, SIG_IGN) and handle write()'s EPIPE"
			       : " - look for a bad pointer or an index past the end of an array");
	}
	if (!c->returned && c->strays == 0)
		cr_assert_fail("%s: the process that called it ended (exit status %d) instead of "
			       "returning - does the parent call exit()?", fn,
			       WIFEXITED(e->status) ? WEXITSTATUS(e->status) : -1);
	REQUIRE_DONE(c->rc, ex);
	cr_assert(c->strays == 0,
		  "%s: %d process(es) other than the caller returned from %s: a child went on "
		  "running the parent's code after its work - end every child with _exit()", fn,
		  (int)c->strays, fn);
	cr_assert(c->returned, "%s: the process that called it ended instead of returning", fn);
	cr_assert(c->exit_handlers == 0,
		  "%s: your children left with exit() instead of _exit(): %d of them ran the "
		  "parent's atexit handlers again, and a line the parent had buffered came out %d "
		  "times instead of once (each child flushed its copy of the stdio buffers) - "
		  "leave a child with _exit()", fn, (int)c->exit_handlers, c->marks);
	cr_assert(c->marks == 1,
		  "%s: a line the parent had buffered came out %d times instead of once: a child "
		  "flushed its copy of the parent's stdio buffers (fflush(NULL)?) - flush in the "
		  "parent before fork, and leave a child with _exit()", fn, c->marks);
}

/* It left no child unreaped and no descriptor open. */
static void assert_clean(const char *fn, const struct call *c, const char *fd_hint)
{
	cr_assert(!c->children_left,
		  "%s: a child was never reaped (a zombie is left) - waitpid every child, even "
		  "after a failure", fn);
	cr_assert(c->fd_delta == 0, "%s: %d descriptor(s) more are open after you returned%s", fn,
		  c->fd_delta, fd_hint);
}

/*
 * Items for a task of about `seconds` on one core.  The checks need tasks long
 * enough to overlap and to be killed mid-way, not of an exact length, so a
 * quick estimate does instead of the 0.25 s calibration: the fastest of five
 * short runs (a run that was preempted is only slower, never faster).
 */
static volatile uint64_t probe_sink;   /* so the probe's sums are not optimised away */

static uint64_t items_for(double seconds)
{
	enum { PROBE = 1 << 20 };
	double best = 1;
	for (int run = 0; run < 5; run++) {
		double t0 = wb_now();
		probe_sink = wb_cpu_sum((uint64_t)run * PROBE, PROBE);
		double took = wb_now() - t0;
		best = took < best ? took : best;
	}
	return (uint64_t)(seconds / (best > 0 ? best : 1e-9) * PROBE) + 1;
}

static uint64_t expected(int task, uint64_t items)
{
	return wb_cpu_sum((uint64_t)task * items, items);
}

static const char RANGE_HINT[] =
	"task i sums the items [i * items, (i + 1) * items): wb_cpu_sum((uint64_t)i * items, "
	"items)";

/* Every result is its task's sum; a wrong one is explained as well as we can: `lost` says
 * why a result may never have arrived (a zero, or for 3.2 anything else too). */
static void assert_results(const char *fn, const struct call *c, const char *lost,
			   int lost_explains_any)
{
	for (int i = 0; i < c->tasks; i++) {
		uint64_t want = expected(i, c->items), got = c->results[i];
		if (got == want)
			continue;
		for (int j = 0; j < c->tasks && got != 0; j++)
			if (got == expected(j, c->items))
				cr_assert_fail("%s: results[%d] holds task %d's result - results[i] "
					       "is task i's, whatever order the results arrive in",
					       fn, i, j);
		if (got == 0 || lost_explains_any)
			cr_assert_fail("%s: results[%d] = %llu, expected %llu - %s", fn, i,
				       (unsigned long long)got, (unsigned long long)want, lost);
		cr_assert_fail("%s: results[%d] = %llu, expected %llu - %s", fn, i,
			       (unsigned long long)got, (unsigned long long)want, RANGE_HINT);
	}
}

/* ---- 3.1 and 3.2: a process per task ------------------------------------------- */

typedef int (*per_task_fn)(int tasks, uint64_t items, uint64_t *results, struct wb_timeline *tl);

static per_task_fn per_task;

static int call_per_task(struct call *c, uint64_t *results)
{
	return per_task(c->tasks, c->items, results, c->tl);
}

/* One span per task, recorded as (worker i, task i) by a process of its own, not the caller. */
static void assert_process_per_task(const char *fn, const struct call *c)
{
	const struct wb_timeline *tl = c->tl;
	int tasks = c->tasks, seen[16] = { 0 };
	cr_assert(wb_timeline_count(tl) == (size_t)tasks,
		  "%s: %zu spans recorded for %d tasks - does each child record its task once?",
		  fn, wb_timeline_count(tl), tasks);
	for (size_t i = 0; i < wb_timeline_count(tl); i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		cr_assert(s, "%s: a span was never finished", fn);
		cr_assert(s->task >= 0 && s->task < tasks && s->worker == s->task,
			  "%s: a span says worker %d, task %d; child i records (worker i, task i)", fn,
			  s->worker, s->task);
		cr_assert(s->pid != c->caller,
			  "%s: task %d ran in the parent; every task runs in a child", fn, s->task);
		cr_assert(seen[s->task]++ == 0, "%s: task %d was recorded twice", fn, s->task);
	}
	cr_assert(wb_timeline_distinct_pids(tl, "cpu") == tasks,
		  "%s: the tasks ran in %d processes, expected %d (one per task)", fn,
		  wb_timeline_distinct_pids(tl, "cpu"), tasks);
	cr_assert(wb_timeline_max_overlap(tl, "cpu") >= 2,
		  "%s: no two tasks ever ran at the same time - are you waiting for each child "
		  "(or reading its result) before forking the next? Fork them all first", fn);
}

static void check_process_per_task(const char *ex, const char *fn, per_task_fn run,
				   const char *lost, int lost_explains_any, const char *fd_hint)
{
	enum { T = 4 };
	struct call *c = new_call(T);
	c->items = items_for(0.1);
	c->tl = wb_timeline_new(64);
	per_task = run;
	struct ending e;
	run_guarded(c, call_per_task, NO_HELPER, LIMIT_S, &e);
	assert_returned(ex, fn, c, &e, "is the parent waiting for something that cannot come?");
	cr_assert(c->rc == 0, "%s: returned %d, expected 0 (every child did its task)", fn, c->rc);
	assert_results(fn, c, lost, lost_explains_any);
	assert_process_per_task(fn, c);
	assert_clean(fn, c, fd_hint);
	cr_assert(c->map_delta == 0,
		  "%s: %d shared mapping(s) more are left after you returned - munmap what you "
		  "mmap, with the same length", fn, c->map_delta);
	wb_timeline_free(c->tl);
	free_call(c);
}

/* Three tasks of 0.2 s; the first child is killed 50 ms after all three exist, long
 * before it can have finished (unless the machine starved the killer: then `missed`,
 * and the run is made again: a run without a kill proves nothing). */
static void check_killed_child(const char *ex, const char *fn, per_task_fn run,
			       const char *hang_hint)
{
	enum { T = 3, TRIES = 5 };
	for (int attempt = 0; attempt < TRIES; attempt++) {
		struct call *c = new_call(T);
		c->items = items_for(0.2);
		c->tl = wb_timeline_new(64);
		c->kill_when_children = T;
		c->kill_after_s = 0.05;
		per_task = run;
		struct ending e;
		run_guarded(c, call_per_task, KILL_FIRST_CHILD, LIMIT_S, &e);
		assert_returned(ex, fn, c, &e, hang_hint);
		int killed = c->killed;
		if (killed)
			cr_assert(c->rc == -1,
				  "%s: one child was killed (SIGKILL) before it finished its task, yet you "
				  "returned %d%s - a child that did not exit with status 0 must fail the run "
				  "(-1): check every child's status (WIFEXITED and WEXITSTATUS == 0), not a "
				  "leftover 0 in results[]", fn, c->rc,
				  c->results[0] == 0 ? " with results[0] = 0" : "");
		assert_clean(fn, c, " - close every pipe end on the failure path too");
		wb_timeline_free(c->tl);
		free_call(c);
		if (killed)
			return;
	}
	cr_assert_fail("%s: in %d runs the checker never managed to kill a child before it "
		       "finished (is the machine very busy?): run the check again", fn, TRIES);
}

/* --- 3.1 ---------------------------------------------------------------------- */

Test(ex3_1, results_processes_and_cleanup, .timeout = 12)
{
	check_process_per_task("3.1", "run_forked", run_forked,
			       "the result never came back through its pipe: does each child write "
			       "its 8 bytes, and do you read them into results[i]?", 0,
			       " - close both ends of every pipe (the write end right after fork)");
}

Test(ex3_1, with_a_killed_child_the_run_fails, .timeout = 12)
{
	check_killed_child("3.1", "run_forked", run_forked,
			   "a child was killed before it wrote its result, and reading its pipe "
			   "never saw end-of-file: close the parent's copy of each write end right "
			   "after fork, so the dead child's end is the last one");
}

/* --- 3.2 ---------------------------------------------------------------------- */

static const char SHARING_HINT[] =
	"the children's results never reached results[]. Is the array a MAP_SHARED | "
	"MAP_ANONYMOUS mapping made before the first fork? Memory from malloc (or a global "
	"array) is copied on fork (copy-on-write): each child writes its own copy, which "
	"vanishes with it. And copy it into results[] only after every child is reaped. (If "
	"all that is so: task i sums [i * items, (i + 1) * items))";

Test(ex3_2, results_in_shared_memory, .timeout = 12)
{
	check_process_per_task("3.2", "run_forked_shared", run_forked_shared, SHARING_HINT, 1, "");
}

Test(ex3_2, with_a_killed_child_the_run_fails, .timeout = 12)
{
	check_killed_child("3.2", "run_forked_shared", run_forked_shared,
			   "is the parent waiting for a child that will never exit?");
}

/* --- 3.3 ---------------------------------------------------------------------- */

static int call_pool(struct call *c, uint64_t *results)
{
	return run_process_pool(c->tasks, c->workers, c->items, results, c->tl);
}

/* Each task ran once, in a worker process (not the caller) that records its own index
 * 0..W-1, one index per process, and no more than W processes recorded tasks. */
static void assert_pool_spans(const char *fn, const struct call *c)
{
	const struct wb_timeline *tl = c->tl;
	int T = c->tasks, W = c->workers;
	cr_assert(wb_timeline_count(tl) == (size_t)T,
		  "%s: %zu spans recorded for %d tasks - each task is recorded once, by the worker "
		  "that ran it", fn, wb_timeline_count(tl), T);
	char *seen = calloc((size_t)T, 1);
	pid_t pid_of[MAX_SEEN] = { 0 };
	cr_assert(seen && W <= MAX_SEEN, "checker: out of memory, or a pool too big to check");
	for (size_t i = 0; i < wb_timeline_count(tl); i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		cr_assert(s, "%s: a span was never finished", fn);
		cr_assert(s->worker >= 0 && s->worker < W && s->task >= 0 && s->task < T,
			  "%s: a span says worker %d, task %d; worker w (0 to %d) records "
			  "(worker w, task i)", fn, s->worker, s->task, W - 1);
		cr_assert(s->pid != c->caller, "%s: task %d ran in the parent; workers run the "
			  "tasks, the parent only hands them out", fn, s->task);
		cr_assert(seen[s->task]++ == 0, "%s: task %d ran twice - each task number is "
			  "sent once", fn, s->task);
		if (pid_of[s->worker] == 0)
			pid_of[s->worker] = s->pid;
		cr_assert(pid_of[s->worker] == s->pid, "%s: two processes both recorded their "
			  "spans as worker %d - give each worker its own number w", fn, s->worker);
	}
	free(seen);
	int procs = wb_timeline_distinct_pids(tl, "cpu");
	cr_assert(procs <= W, "%s: the tasks ran in %d processes for a pool of %d workers - fork "
		  "the workers once, not a process per task", fn, procs, W);
}

static void check_pool_run(const char *fn, const struct call *c, const struct ending *e,
			   const char *hang_hint)
{
	assert_returned("3.3", fn, c, e, hang_hint);
	cr_assert(c->rc == 0, "%s: returned %d for %d tasks on %d workers, expected 0", fn, c->rc,
		  c->tasks, c->workers);
	assert_results(fn, c, "no worker sent that task's result back, or it was never filed", 0);
	assert_pool_spans(fn, c);
	assert_clean(fn, c, " - close every pipe end you do not use, in the parent and in "
		     "each worker");
}

static struct call *new_pool_call(int tasks, int workers, uint64_t items)
{
	struct call *c = new_call(tasks);
	c->workers = workers;
	c->items = items;
	c->tl = wb_timeline_new((size_t)tasks * 2 + 64);
	return c;
}

static void free_pool_call(struct call *c)
{
	wb_timeline_free(c->tl);
	free_call(c);
}

static const char EOF_HINT[] =
	"do all the workers see end-of-file on the task pipe? It comes only when every copy "
	"of its write end is closed: the parent's, after the last task, and the one each "
	"worker inherited";

/* The worker processes: those that recorded tasks, and any other child the helper saw. */
static int count_workers(struct call *c)
{
	for (size_t i = 0; i < wb_timeline_count(c->tl); i++)
		note_child(c, wb_timeline_span(c->tl, i)->pid);
	return c->seen;
}

Test(ex3_3, pool_shares_the_tasks, .timeout = 12)
{
	enum { T = 9, W = 3 };
	struct call *c = new_pool_call(T, W, items_for(0.06));
	struct ending e;
	run_guarded(c, call_pool, COUNT_CHILDREN, LIMIT_S, &e);
	check_pool_run("run_process_pool", c, &e, EOF_HINT);
	int workers = count_workers(c);
	cr_assert(workers == W,
		  "run_process_pool: a pool of %d workers ran %d worker processes - fork exactly "
		  "`workers` children (count your loop: 0 to workers - 1)", W, workers);
	cr_assert(wb_timeline_max_overlap(c->tl, "cpu") >= 2,
		  "run_process_pool: no two tasks ever ran at the same time - does the parent wait "
		  "for each result before it sends the next task? Keep a task or two per worker "
		  "in flight");
	free_pool_call(c);
}

Test(ex3_3, pool_with_more_workers_than_tasks, .timeout = 12)
{
	enum { T = 2, W = 4 };
	struct call *c = new_pool_call(T, W, 1000);
	struct ending e;
	run_guarded(c, call_pool, NO_HELPER, LIMIT_S, &e);
	check_pool_run("run_process_pool", c, &e,
		       "with more workers than tasks, idle workers must stop too - they wait for "
		       "end-of-file on the task pipe");
	free_pool_call(c);
}

Test(ex3_3, survives_fifty_thousand_tiny_tasks, .timeout = 12)
{
	enum { T = 50000, W = 3 };
	struct call *c = new_pool_call(T, W, 1);
	struct ending e;
	run_guarded(c, call_pool, NO_HELPER, LIMIT_S, &e);
	check_pool_run("run_process_pool (50000 tiny tasks, 3 workers)", c, &e,
		       "a pipe holds 64 KiB: if the parent writes every task before it reads a "
		       "result, the result pipe fills, the workers block writing results, and "
		       "the parent blocks writing tasks, for ever. Keep at most a task or two per "
		       "worker in flight: read a result before you send the next task");
	free_pool_call(c);
}

Test(ex3_3, with_a_killed_worker_the_run_fails, .timeout = 12)
{
	enum { T = 4, W = 2 };
	struct call *c = new_pool_call(T, W, items_for(0.2));
	c->kill_when_children = W;
	c->kill_after_s = 0.05;
	struct ending e;
	run_guarded(c, call_pool, KILL_FIRST_CHILD, LIMIT_S, &e);
	assert_returned("3.3", "run_process_pool", c, &e,
			"a worker was killed mid-task: the parent must not wait for its result "
			"for ever. When the last write end of the result pipe closes, a read "
			"returns 0 (end-of-file): then some results are missing");
	if (c->killed)
		cr_assert(c->rc == -1,
			  "run_process_pool: worker 0 was killed (SIGKILL), yet you returned %d - "
			  "a missing result, or a worker that did not exit with status 0, must fail "
			  "the run (-1)", c->rc);
	assert_clean("run_process_pool", c, " - close every pipe end on the failure path too");
	free_pool_call(c);
}

/* --- 3.4 ---------------------------------------------------------------------- */

static int call_measure(struct call *c, uint64_t *results)
{
	(void)results;
	return measure_fork_wait(c->reps, &c->cost);
}

Test(ex3_4, measures_real_forks, .timeout = 12)
{
	enum { REPS = 40 };
	struct call *c = new_call(0);
	c->reps = REPS;
	long before = forks_so_far();
	struct ending e;
	run_guarded(c, call_measure, NO_HELPER, LIMIT_S, &e);
	long forked = forks_so_far() - before;
	assert_returned("3.4", "measure_fork_wait", c, &e,
			"is it waiting for a child that never exits, or for the wrong pid?");
	cr_assert(c->rc == 0, "measure_fork_wait: returned %d, expected 0", c->rc);
	cr_assert(forked >= REPS + 1,
		  "measure_fork_wait: only %ld processes were created on this machine meanwhile; "
		  "%d fork-and-waits create %d", forked - 1, REPS, REPS);
	const struct wb_summary *s = &c->cost;
	cr_assert(s->count == REPS,
		  "measure_fork_wait: the summary counts %d times for %d repetitions - summarise "
		  "all reps times with wb_summarize(times, reps, cost)", s->count, REPS);
	cr_assert(s->min > 0 && s->min <= s->median && s->median <= s->max && s->median < 0.1,
		  "measure_fork_wait: the summary says min %g, median %g, max %g s - each time is "
		  "wb_now() after waitpid minus wb_now() before fork", s->min, s->median, s->max);
	assert_clean("measure_fork_wait", c, "");
	free_call(c);
}

/* The checker makes each child live CHILD_LIFE_S (a fork handler in the child), so a time
 * that includes the wait cannot be shorter. */
#define CHILD_LIFE_S 0.01

static void child_lives_a_while(void)
{
	struct timespec ts = { 0, (long)(CHILD_LIFE_S * 1e9) };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The checker's own fork + wait, in the same conditions (the toolkit's, costs.h). */
static double reference_fork_wait(int reps)
{
	struct wb_summary s;
	wb_cost_fork(reps, &s);
	return s.median;
}

static int call_measure_slow_children(struct call *c, uint64_t *results)
{
	(void)results;
	if (pthread_atfork(NULL, NULL, child_lives_a_while) != 0)
		checker_broken(c);
	c->reference_median = reference_fork_wait(8);
	return measure_fork_wait(c->reps, &c->cost);
}

Test(ex3_4, times_one_fork_and_its_wait_each, .timeout = 12)
{
	enum { REPS = 30 };
	struct call *c = new_call(0);
	c->reps = REPS;
	struct ending e;
	run_guarded(c, call_measure_slow_children, NO_HELPER, LIMIT_S, &e);
	assert_returned("3.4", "measure_fork_wait", c, &e, "");
	cr_assert(c->rc == 0, "measure_fork_wait: returned %d, expected 0", c->rc);
	const struct wb_summary *s = &c->cost;
	double ref = c->reference_median;
	cr_assert(ref > 0, "checker: its own fork + wait measurement failed");
	cr_assert(s->count == REPS, "measure_fork_wait: the summary counts %d times for %d "
		  "repetitions", s->count, REPS);
	cr_assert(s->min >= CHILD_LIFE_S,
		  "measure_fork_wait: the checker made each child live %.0f ms, yet your shortest "
		  "time is %.3f ms - stop the clock after waitpid returns, not after fork", 
		  CHILD_LIFE_S * 1e3, s->min * 1e3);
	/* two ways to see a clock started once: against the checker's own figure,
	 * and within the run (the loop so far grows; one fork and its wait do not) */
	cr_assert(s->median <= 5 * ref + CHILD_LIFE_S && s->median <= 6 * s->min,
		  "measure_fork_wait: your median is %.1f ms, the checker's own fork + wait "
		  "measures %.1f ms, and your shortest %.1f ms - time each fork and its wait alone "
		  "(t0 just before fork), not the loop so far", s->median * 1e3, ref * 1e3,
		  s->min * 1e3);
	/* A child's 10 ms sleep alone ends anywhere in tens of microseconds (timer slack):
	 * real times never agree to 5 us; an average copied into every slot does. */
	cr_assert(s->max - s->min > 5e-6,
		  "measure_fork_wait: all %d times are the same %.6f s (to 5 us) - time each fork "
		  "and its wait, rather than the whole loop divided by the repetitions", REPS,
		  s->min);
	assert_clean("measure_fork_wait", c, "");
	free_call(c);
}

/* --- 3.5 ---------------------------------------------------------------------- */

/* What each test's children do: exit with a status, or die of a signal. */
struct fate {
	int status;   /* exit status, when signal == 0 */
	int signal;
	double after_s;
};

static const struct fate *fates;
static int nfates;

static pid_t child_with_fate(const struct fate *f)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (f->after_s > 0)
		wb_sleep(f->after_s);
	if (f->signal) {
		signal(f->signal, SIG_DFL);   /* the default action, whatever tools are loaded */
		raise(f->signal);
	}
	_exit(f->status);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Fork the children, then hand them to wait_for_workers (with a ticking timer if asked). */
static int call_wait(struct call *c, uint64_t *results, int interrupt)
{
	(void)results;
	pid_t pids[16];
	for (int k = 0; k < nfates; k++)
		if ((pids[k] = child_with_fate(&fates[k])) == -1)
			checker_broken(c);
	struct itimerval tick = { { 0, 3000 }, { 0, 3000 } }, off = { 0 };
	if (interrupt) {
		/* no SA_RESTART: a blocked waitpid returns -1 with EINTR at every tick */
		struct sigaction sa = { .sa_handler = on_alarm };
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGALRM, &sa, NULL) != 0 || setitimer(ITIMER_REAL, &tick, NULL) != 0)
			checker_broken(c);
	}
	memset(c->report, GUARD_BYTE, sizeof c->report);
	c->report[0] = '\0';
	int rc = wait_for_workers(pids, nfates, c->report, c->report_cap);
	if (interrupt)
		setitimer(ITIMER_REAL, &off, NULL);
	return rc;
}

static int call_wait_plain(struct call *c, uint64_t *results)
{
	return call_wait(c, results, 0);
}

static int call_wait_interrupted(struct call *c, uint64_t *results)
{
	return call_wait(c, results, 1);
}

static struct call *run_wait(const struct fate *f, int n, size_t cap, body_fn body,
			     struct ending *e)
{
	fates = f;
	nfates = n;
	struct call *c = new_call(0);
	c->report_cap = cap;
	run_guarded(c, body, NO_HELPER, LIMIT_S, e);
	assert_returned("3.5", "wait_for_workers", c, e,
			"does it wait for each pid in pids[] exactly once?");
	/* whatever the student wrote, the test reads a terminated string */
	c->report[REPORT_CAP - 1] = '\0';
	return c;
}

static void assert_says(const struct call *c, const char *line, const char *why)
{
	cr_assert(strstr(c->report, line),
		  "wait_for_workers: %s; the report should say \"%s\", it says:\n\"%s\"", why,
		  line, c->report);
}

Test(ex3_5, reports_every_failure, .timeout = 12)
{
	static const struct fate f[] = {
		{ 0, 0, 0 }, { 0, SIGSEGV, 0 }, { 3, 0, 0.05 }, { 0, SIGKILL, 0 }, { 0, 0, 0 },
	};
	struct ending e;
	struct call *c = run_wait(f, 5, REPORT_CAP, call_wait_plain, &e);
	cr_assert(c->rc == -1, "wait_for_workers: three workers failed, yet you returned %d",
		  c->rc);
	assert_says(c, "worker 1 killed by SIGSEGV\n",
		    "worker 1 crashed (WIFSIGNALED, WTERMSIG = SIGSEGV; sigabbrev_np gives \"SEGV\")");
	assert_says(c, "worker 2 exited with status 3\n",
		    "worker 2 exited with status 3 (WIFEXITED, WEXITSTATUS = 3) - report every "
		    "failed worker, not just the first");
	assert_says(c, "worker 3 killed by SIGKILL\n",
		    "worker 3 was killed by SIGKILL - report every failed worker, not just the first");
	cr_assert(!strstr(c->report, "worker 0") && !strstr(c->report, "worker 4"),
		  "wait_for_workers: workers 0 and 4 exited cleanly and should not be reported; "
		  "the report says:\n\"%s\"", c->report);
	cr_assert(!strstr(c->report, "worker 1 exited") && !strstr(c->report, "worker 3 exited"),
		  "wait_for_workers: a worker killed by a signal did not exit - check WIFSIGNALED "
		  "before WEXITSTATUS; the report says:\n\"%s\"", c->report);
	assert_clean("wait_for_workers", c, "");
	free_call(c);
}

Test(ex3_5, all_clean_is_success, .timeout = 12)
{
	static const struct fate f[] = { { 0, 0, 0 }, { 0, 0, 0.02 } };
	struct ending e;
	struct call *c = run_wait(f, 2, REPORT_CAP, call_wait_plain, &e);
	cr_assert(c->rc == 0 && c->report[0] == '\0',
		  "wait_for_workers: two clean exits: expected 0 and an empty report, got %d and "
		  "\"%s\"", c->rc, c->report);
	assert_clean("wait_for_workers", c, "");
	free_call(c);
}

Test(ex3_5, survives_signals_during_the_wait, .timeout = 12)
{
	static const struct fate f[] = { { 0, 0, 0.3 }, { 0, 0, 0.2 } };
	struct ending e;
	struct call *c = run_wait(f, 2, REPORT_CAP, call_wait_interrupted, &e);
	cr_assert(c->rc == 0 && c->report[0] == '\0',
		  "wait_for_workers: two clean exits while a timer signal kept interrupting "
		  "waitpid: expected 0 and an empty report, got %d and \"%s\" - when waitpid "
		  "fails with EINTR, call it again", c->rc, c->report);
	assert_clean("wait_for_workers", c, " - retry waitpid on EINTR");
	free_call(c);
}

Test(ex3_5, the_report_never_overflows, .timeout = 12)
{
	enum { CAP = 48 };
	static const struct fate f[] = {
		{ 1, 0, 0 }, { 2, 0, 0 }, { 3, 0, 0 }, { 4, 0, 0 }, { 5, 0, 0 }, { 6, 0, 0 },
	};
	struct ending e;
	struct call *c = run_wait(f, 6, CAP, call_wait_plain, &e);
	cr_assert(c->rc == -1, "wait_for_workers: six workers failed, yet you returned %d", c->rc);
	for (int i = CAP; i < CAP + GUARD; i++)
		cr_assert((unsigned char)c->report[i] == GUARD_BYTE,
			  "wait_for_workers: the report is %d bytes (cap), yet you wrote byte %d - "
			  "append with snprintf(report + len, cap - len, ...), which never writes "
			  "past cap", CAP, i);
	cr_assert(memchr(c->report, '\0', CAP),
		  "wait_for_workers: the report is not a terminated string within its %d bytes",
		  CAP);
	cr_assert(strncmp(c->report, "worker ", 7) == 0 && strstr(c->report, " exited with status "),
		  "wait_for_workers: a short report still holds the first failures, whole; it "
		  "says:\n\"%.48s\"", c->report);
	assert_clean("wait_for_workers", c, "");
	free_call(c);
}
