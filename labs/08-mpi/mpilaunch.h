/*
 * mpilaunch.h - starting an MPI job from a plain program, and making sure
 * nothing of it is left behind (given code: the lab program and the
 * checker both use it).
 *
 * A job is `mpirun -np N PROGRAM`, where PROGRAM is the calling program
 * itself: started by mpirun, it finds WB_LAB8_RANK_JOB in its environment
 * and runs as a rank instead (ranklib.h).  Rank 0 writes what the ranks
 * measured into a report file, which the caller reads when the job ends.
 *
 * The runner sets, and says once on stdout, what Open MPI needs here:
 *   --allow-run-as-root   when we are root (CI is): Open MPI refuses otherwise
 *   --oversubscribe       when there are more ranks than cores
 *   --mca pml ob1 --mca btl self,vader     shared memory (/dev/shm)
 *   --mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include lo
 *                         TCP over loopback (excluded by default: it must be named)
 */
#ifndef LAB8_MPILAUNCH_H
#define LAB8_MPILAUNCH_H

#include <stddef.h>
#include <sys/types.h>

/* Built with Open MPI and mpirun on the PATH?  If not, *why says what is missing. */
int lab8_have_mpi(const char **why);

struct lab8_job_spec {
	const char *job;        /* what the ranks run: WB_LAB8_RANK_JOB */
	const char *args;       /* parameters for them: WB_LAB8_RANK_ARGS (free text) */
	int ranks;
	const char *transport;  /* "shm", "tcp", or NULL: Open MPI's own choice */
	int stderr_to_file;     /* mpirun's stderr into job->err_path, not ours */
	int quiet;              /* do not print the runner's settings (the checker) */
};

struct lab8_job {
	pid_t pid;              /* mpirun */
	int ranks;
	char report_path[256];  /* rank 0's report (removed by lab8_job_cleanup) */
	char err_path[300];     /* mpirun's stderr, when stderr_to_file */
	char command[1024];     /* the mpirun command line, for messages */
};

/* Start the job (mpirun is our child, in our process group).  Exits on failure. */
void lab8_job_start(const struct lab8_job_spec *spec, struct lab8_job *job);

/* Wait for mpirun at most limit_s.  Returns 0 with its wait status in
 * *status; or 1 when it was still running: then it and every process it
 * started have been killed and reaped, and *status is -1. */
int lab8_job_wait(struct lab8_job *job, double limit_s, int *status);

/* Kill mpirun and everything it started (SIGKILL), and reap mpirun. */
void lab8_job_kill(struct lab8_job *job);

/* Remove the job's files. */
void lab8_job_cleanup(struct lab8_job *job);

/* Wait until rank 0's report holds a line starting with `prefix` (at most
 * limit_s, or until mpirun ends); copy that line into line.  0 or -1. */
int lab8_job_await_line(struct lab8_job *job, const char *prefix, double limit_s, char *line,
			size_t cap);

/* The rank pids from the report's "pids" line; returns how many (0 if none). */
int lab8_report_pids(const char *report_path, pid_t *pids, int most);

/* How many of pids[] are still running (lab8_process_alive). */
int lab8_count_alive(const pid_t *pids, int n);

#endif
