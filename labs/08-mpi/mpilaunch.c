/* mpilaunch.c - an MPI job from a plain program (see mpilaunch.h). */
#include "mpilaunch.h"

#include "checked.h"
#include "procs.h"
#include "timing.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int lab8_process_alive(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');	/* the name may hold spaces */
	if (!paren || paren[1] != ' ')
		return 0;
	char state = paren[2];
	return state != 'Z' && state != 'X';
}

int lab8_count_alive(const pid_t *pids, int n)
{
	int alive = 0;
	for (int k = 0; k < n; k++)
		alive += pids[k] > 0 && lab8_process_alive(pids[k]);
	return alive;
}

static int on_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	char *copy = wb_xstrdup(path), *save = NULL;
	int found = 0;
	for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char full[4096];
		snprintf(full, sizeof full, "%s/%s", dir, prog);
		found = access(full, X_OK) == 0;
	}
	free(copy);
	return found;
}

int lab8_have_mpi(const char **why)
{
	if (!WB_HAVE_MPI) {
		*why = "Open MPI is not installed (this build has no <mpi.h>: scripts/deps.sh installs "
		       "openmpi-bin and libopenmpi-dev; WB_NO_MPI=1 skips them on purpose)";
		return 0;
	}
	if (!on_path("mpirun")) {
		*why = "mpirun is not on the PATH (Debian: apt-get install openmpi-bin)";
		return 0;
	}
	*why = NULL;
	return 1;
}

/* Said once per program: what the runner sets for Open MPI, and why. */
static void say_settings(int root, int oversubscribe, int ranks, int cores)
{
	static int said_root, said_over;
	if (root && !said_root) {
		printf("  (runner: we are root, and Open MPI refuses root unless told: "
		       "mpirun --allow-run-as-root)\n");
		said_root = 1;
	}
	if (oversubscribe && !said_over) {
		printf("  (runner: %d ranks on %d cores; Open MPI refuses more ranks than cores unless "
		       "told: mpirun --oversubscribe)\n", ranks, cores);
		said_over = 1;
	}
	fflush(stdout);
}

/* The absolute path of this program, for mpirun to start again as the ranks. */
static void self_path(char *buf, size_t cap)
{
	ssize_t n = CHECK_SYS(readlink("/proc/self/exe", buf, cap - 1));
	buf[n] = '\0';
}

static void add(const char **argv, int *argc, const char *arg)
{
	argv[(*argc)++] = arg;
}

/* ASan in the ranks: Open MPI's own libraries leak at MPI_Finalize, from plug-ins
 * it has unloaded by then, so LeakSanitizer can neither name nor suppress them.
 * The ranks keep AddressSanitizer's memory checks and leave out the leak check;
 * the lab program itself (the launcher) keeps both. */
static void sanitizer_settings(void)
{
#if defined(__SANITIZE_ADDRESS__)
	static int done;
	if (done++)
		return;
	const char *old = getenv("ASAN_OPTIONS");
	char opts[1024];
	snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", old ? old : "", old && *old ? ":" : "");
	CHECK_SYS(setenv("ASAN_OPTIONS", opts, 1));	/* read by the ranks as they start */
#endif
}

void lab8_job_start(const struct lab8_job_spec *spec, struct lab8_job *job)
{
	static char self[4096], np[16];
	const char *argv[48];
	int argc = 0, cores = wb_cores();
	int root = geteuid() == 0, over = spec->ranks > cores;
	self_path(self, sizeof self);
	memset(job, 0, sizeof *job);
	job->ranks = spec->ranks;
	snprintf(job->report_path, sizeof job->report_path, "/tmp/lab8-%d-%s-XXXXXX", (int)getpid(),
		 spec->job);
	int fd = CHECK_SYS(mkstemp(job->report_path));
	CHECK_SYS(close(fd));
	snprintf(np, sizeof np, "%d", spec->ranks);
	add(argv, &argc, "mpirun");
	if (root)
		add(argv, &argc, "--allow-run-as-root");
	if (over)
		add(argv, &argc, "--oversubscribe");
	/* Open MPI pins each rank to a core when ranks <= cores; on a shared
	 * machine a pinned rank cannot move off a core someone else is using,
	 * where lab 3's processes (and the pool here) can: unpinned, as they are. */
	add(argv, &argc, "--bind-to");
	add(argv, &argc, "none");
	/* The ranks read nothing: our terminal stays ours (mpirun forwards it to rank 0). */
	add(argv, &argc, "--stdin");
	add(argv, &argc, "none");
	add(argv, &argc, "-np");
	add(argv, &argc, np);
	if (spec->transport) {
		add(argv, &argc, "--mca");
		add(argv, &argc, "pml");
		add(argv, &argc, "ob1");
		add(argv, &argc, "--mca");
		add(argv, &argc, "btl");
		if (strcmp(spec->transport, "tcp") == 0) {
			add(argv, &argc, "self,tcp");
			add(argv, &argc, "--mca");
			add(argv, &argc, "btl_tcp_if_include");
			add(argv, &argc, "lo");
		} else {
			add(argv, &argc, "self,vader");
		}
	}
	/* Passed on to every rank, on this machine or (with -H) another one. */
	const char *pass[] = { "WB_LAB8_RANK_JOB", "WB_LAB8_RANK_ARGS", "WB_LAB8_RANK_OUT" };
	for (size_t k = 0; k < sizeof pass / sizeof pass[0]; k++) {
		add(argv, &argc, "-x");
		add(argv, &argc, pass[k]);
	}
	add(argv, &argc, self);
	argv[argc] = NULL;
	if (!spec->quiet)
		say_settings(root, over, spec->ranks, cores);
	sanitizer_settings();
	CHECK_SYS(setenv("WB_LAB8_RANK_JOB", spec->job, 1));
	CHECK_SYS(setenv("WB_LAB8_RANK_ARGS", spec->args ? spec->args : "", 1));
	CHECK_SYS(setenv("WB_LAB8_RANK_OUT", job->report_path, 1));
	job->command[0] = '\0';
	for (int k = 0; k < argc; k++)
		snprintf(job->command + strlen(job->command), sizeof job->command - strlen(job->command),
			 "%s%s", k ? " " : "", k == argc - 1 ? "<this program>" : argv[k]);

	if (spec->stderr_to_file)
		snprintf(job->err_path, sizeof job->err_path, "%s.stderr", job->report_path);
	fflush(NULL);
	pid_t parent = getpid();
	job->pid = CHECK_SYS(fork());
	if (job->pid == 0) {
		/* If this program dies, even by SIGKILL, mpirun is told (SIGTERM),
		 * and it stops its ranks: nothing of the job outlives us. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
			_exit(127);
		if (spec->stderr_to_file) {
			int fd = open(job->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd == -1 || dup2(fd, 2) == -1)
				_exit(127);
			close(fd);
		}
		execvp("mpirun", (char *const *)argv);
		fprintf(stderr, "lab 8: cannot run mpirun: %s\n", wb_strerror(errno));
		_exit(127);
	}
	/* Not for whatever this program starts later. */
	unsetenv("WB_LAB8_RANK_JOB");
	unsetenv("WB_LAB8_RANK_ARGS");
	unsetenv("WB_LAB8_RANK_OUT");
}

struct descendants {
	pid_t root;
	pid_t found[256];
	int n;
};

static int descends_from(pid_t pid, void *arg)
{
	struct descendants *d = arg;
	if (!wb_is_descendant(pid, d->root))
		return 0;
	if (d->n < 256)
		d->found[d->n++] = pid;
	return 1;
}

void lab8_job_kill(struct lab8_job *job)
{
	if (job->pid <= 0)
		return;
	/* The ranks first: each runs in a process group of its own (mpirun
	 * puts them there), so only their ancestry finds them all. */
	struct descendants d = { .root = job->pid, .n = 0 };
	wb_kill_processes(descends_from, &d);
	kill(job->pid, SIGKILL);
	while (waitpid(job->pid, NULL, 0) == -1 && errno == EINTR)
		;
	job->pid = 0;
	/* SIGKILL is not instant: wait (at most 2 s) until they are really gone. */
	double until = wb_now() + 2;
	while (lab8_count_alive(d.found, d.n) > 0 && wb_now() < until)
		wb_sleep(0.005);
}

int lab8_job_wait(struct lab8_job *job, double limit_s, int *status)
{
	double until = wb_now() + limit_s;
	for (;;) {
		pid_t r = waitpid(job->pid, status, WNOHANG);
		if (r == job->pid) {
			job->pid = 0;
			return 0;
		}
		if (r == -1 && errno != EINTR)
			DIE("waitpid mpirun: %s", wb_strerror(errno));
		if (wb_now() > until)
			break;
		wb_sleep(0.005);
	}
	lab8_job_kill(job);
	*status = -1;
	return 1;
}

void lab8_job_cleanup(struct lab8_job *job)
{
	if (job->report_path[0])
		unlink(job->report_path);
	if (job->err_path[0])
		unlink(job->err_path);
}

int lab8_job_await_line(struct lab8_job *job, const char *prefix, double limit_s, char *line,
			size_t cap)
{
	double until = wb_now() + limit_s;
	size_t len = strlen(prefix);
	while (wb_now() < until) {
		FILE *f = fopen(job->report_path, "r");
		if (f) {
			int found = 0;
			while (!found && fgets(line, (int)cap, f))
				found = strncmp(line, prefix, len) == 0 && strchr(line, '\n');
			fclose(f);
			if (found)
				return 0;
		}
		if (waitpid(job->pid, NULL, WNOHANG) == job->pid) {	/* it ended first */
			job->pid = 0;
			return -1;
		}
		wb_sleep(0.01);
	}
	return -1;
}

int lab8_report_pids(const char *report_path, pid_t *pids, int most)
{
	FILE *f = fopen(report_path, "r");
	if (!f)
		return 0;
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "pids ", 5) != 0)
			continue;
		char *p = line + 5, *endp;
		for (long v; n < most && (v = strtol(p, &endp, 10)) > 0 && endp != p; p = endp)
			pids[n++] = (pid_t)v;
		break;
	}
	fclose(f);
	return n;
}
