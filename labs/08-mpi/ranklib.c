/* ranklib.c - the ranks' side of a lab 8 job (see ranklib.h). */
#include "ranklib.h"

#include "checked.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/* The library's own entry points, which the counting wrappers below call
 * (and which this file's bookkeeping uses, so as not to count itself). */
#if WB_HAVE_MPI
#define P(name) PMPI_##name
#else
#define P(name) MPI_##name
#endif

struct lab8_counts lab8_counts;
double lab8_send_delay_s;

uint64_t lab8_do_task(const struct lab8_tasks *t, int i, struct lab8_log *log)
{
	if (i < 0 || i >= t->count)
		DIE("lab8_do_task: there is no task %d (tasks 0 .. %d)", i, t->count - 1);
	double start = wb_now();
	uint64_t v = wb_cpu_sum(t->first[i], t->items[i]);
	if (log->count == log->cap)
		DIE("lab8_do_task: more than %d tasks in one rank's log", log->cap);
	log->spans[log->count++] = (struct lab8_span){ i, start, wb_now() };
	return v;
}

uint64_t lab8_results_hash(const uint64_t *results, int count)
{
	uint64_t h = 0;
	for (int i = 0; i < count; i++)
		h += results[i] * (2 * (uint64_t)i + 1);
	return h;
}

void lab8_log_init(struct lab8_log *log, int cap)
{
	log->count = 0;
	log->cap = cap;
	log->spans = wb_xcalloc((size_t)cap, sizeof *log->spans);
}

void lab8_log_free(struct lab8_log *log)
{
	free(log->spans);
	log->spans = NULL;
}

const char *lab8_rank_job(void)
{
	const char *job = getenv("WB_LAB8_RANK_JOB");
	return job && *job ? job : NULL;
}

void lab8_rank_begin(struct lab8_rank *r, int *argc, char ***argv)
{
	/* If mpirun is killed, its ranks must not live on, waiting for it. */
	CHECK_SYS(prctl(PR_SET_PDEATHSIG, SIGKILL));
	if (getppid() == 1)
		_exit(1);
	P(Init)(argc, argv);
	P(Comm_rank)(MPI_COMM_WORLD, &r->rank);
	P(Comm_size)(MPI_COMM_WORLD, &r->size);
	r->args = getenv("WB_LAB8_RANK_ARGS");
	if (!r->args)
		r->args = "";
	r->out = NULL;
	double me = getpid(), *all = wb_xcalloc((size_t)r->size, sizeof *all);
	P(Gather)(&me, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
	if (r->rank == 0) {
		const char *path = getenv("WB_LAB8_RANK_OUT");
		r->out = path ? fopen(path, "w") : NULL;
		if (!r->out) {
			fprintf(stderr, "lab 8 rank 0: cannot write the report %s\n", path ? path : "(none)");
			P(Abort)(MPI_COMM_WORLD, 1);
		}
		fprintf(r->out, "pids");
		for (int k = 0; k < r->size; k++)
			fprintf(r->out, " %d", (int)all[k]);
		fprintf(r->out, "\n");
		fflush(r->out);
	}
	free(all);
}

int lab8_rank_end(struct lab8_rank *r)
{
	if (r->out) {
		fprintf(r->out, "done\n");
		if (fclose(r->out) != 0)
			DIE("writing the report: %s", wb_strerror(errno));
	}
	P(Finalize)();
	return 0;
}

static double cpu_now(void)
{
	struct timespec ts;
	CHECK_SYS(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts));
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void lab8_call_begin(struct lab8_call *c, struct lab8_log *log)
{
	P(Barrier)(MPI_COMM_WORLD);
	memset(&lab8_counts, 0, sizeof lab8_counts);
	log->count = 0;
	c->cpu_s = cpu_now();
	c->start = wb_now();
}

void lab8_call_end(struct lab8_call *c, int rc, const struct lab8_log *log)
{
	c->end = wb_now();
	c->cpu_s = cpu_now() - c->cpu_s;
	c->rc = rc;
	c->counts = lab8_counts;
	c->work_s = 0;
	for (int k = 0; k < log->count; k++)
		c->work_s += log->spans[k].end - log->spans[k].start;
}

void lab8_report_begin(struct lab8_rank *r, const char *label)
{
	if (!r->out)
		return;
	fprintf(r->out, "begin %s\n", label);
	fflush(r->out);
}

void lab8_report_value(struct lab8_rank *r, const char *label, const char *key, double v)
{
	if (r->out)
		fprintf(r->out, "value %s %s %.17g\n", label, key, v);
}

enum { ROW = 10, SPAN = 3 };

void lab8_report_call(struct lab8_rank *r, const char *label, const struct lab8_call *c,
		      const struct lab8_log *log)
{
	double mine[ROW] = { c->rc, c->start, c->end, c->cpu_s, c->work_s,
			     (double)c->counts.sends, (double)c->counts.bytes_sent,
			     (double)c->counts.recvs, (double)c->counts.collectives, log->count };
	double *rows = wb_xcalloc((size_t)r->size * ROW, sizeof *rows);
	P(Gather)(mine, ROW, MPI_DOUBLE, rows, ROW, MPI_DOUBLE, 0, MPI_COMM_WORLD);
	int *counts = wb_xcalloc((size_t)r->size, sizeof *counts);
	int *displs = wb_xcalloc((size_t)r->size, sizeof *displs);
	int total = 0;
	for (int k = 0; r->rank == 0 && k < r->size; k++) {
		counts[k] = (int)rows[k * ROW + 9] * SPAN;
		displs[k] = total;
		total += counts[k];
	}
	double *spans = wb_xcalloc((size_t)total + 1, sizeof *spans);
	double *own = wb_xcalloc((size_t)log->count * SPAN + 1, sizeof *own);
	for (int k = 0; k < log->count; k++) {
		own[k * SPAN] = log->spans[k].task;
		own[k * SPAN + 1] = log->spans[k].start;
		own[k * SPAN + 2] = log->spans[k].end;
	}
	P(Gatherv)(own, log->count * SPAN, MPI_DOUBLE, spans, counts, displs, MPI_DOUBLE, 0,
		   MPI_COMM_WORLD);
	for (int k = 0; r->out && k < r->size; k++) {
		const double *w = rows + k * ROW;
		fprintf(r->out, "rank %s %d %d %.9f %.9f %.6f %.6f %.0f %.0f %.0f %.0f\n", label, k,
			(int)w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]);
		for (int s = 0; s < counts[k] / SPAN; s++) {
			const double *sp = spans + displs[k] + s * SPAN;
			fprintf(r->out, "span %s %d %d %.9f %.9f\n", label, k, (int)sp[0], sp[1], sp[2]);
		}
	}
	if (r->out)
		fflush(r->out);
	free(own);
	free(spans);
	free(displs);
	free(counts);
	free(rows);
}

/* --- MPI's profiling interface: count, then call the library ----------- */
#if WB_HAVE_MPI
static long bytes_of(int count, MPI_Datatype type)
{
	int size = 0;
	PMPI_Type_size(type, &size);
	return (long)count * size;
}

static void before_send(int count, MPI_Datatype type)
{
	if (lab8_send_delay_s > 0)
		wb_sleep(lab8_send_delay_s);
	lab8_counts.sends++;
	lab8_counts.bytes_sent += bytes_of(count, type);
}

int MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
	before_send(count, type);
	return PMPI_Send(buf, count, type, dest, tag, comm);
}

int MPI_Ssend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
	before_send(count, type);
	return PMPI_Ssend(buf, count, type, dest, tag, comm);
}

int MPI_Isend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
	      MPI_Request *req)
{
	before_send(count, type);
	return PMPI_Isend(buf, count, type, dest, tag, comm, req);
}

int MPI_Sendrecv(const void *sbuf, int scount, MPI_Datatype stype, int dest, int stag, void *rbuf,
		 int rcount, MPI_Datatype rtype, int source, int rtag, MPI_Comm comm,
		 MPI_Status *status)
{
	before_send(scount, stype);
	lab8_counts.recvs++;
	return PMPI_Sendrecv(sbuf, scount, stype, dest, stag, rbuf, rcount, rtype, source, rtag,
			     comm, status);
}

int MPI_Recv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
	     MPI_Status *status)
{
	lab8_counts.recvs++;
	return PMPI_Recv(buf, count, type, source, tag, comm, status);
}

int MPI_Irecv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
	      MPI_Request *req)
{
	lab8_counts.recvs++;
	return PMPI_Irecv(buf, count, type, source, tag, comm, req);
}

int MPI_Scatter(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount,
		MPI_Datatype rtype, int root, MPI_Comm comm)
{
	lab8_counts.collectives++;
	return PMPI_Scatter(sbuf, scount, stype, rbuf, rcount, rtype, root, comm);
}

int MPI_Gather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount,
	       MPI_Datatype rtype, int root, MPI_Comm comm)
{
	lab8_counts.collectives++;
	return PMPI_Gather(sbuf, scount, stype, rbuf, rcount, rtype, root, comm);
}

int MPI_Reduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, int root,
	       MPI_Comm comm)
{
	lab8_counts.collectives++;
	return PMPI_Reduce(sbuf, rbuf, count, type, op, root, comm);
}

int MPI_Allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
		  MPI_Comm comm)
{
	lab8_counts.collectives++;
	return PMPI_Allreduce(sbuf, rbuf, count, type, op, comm);
}

int MPI_Bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm)
{
	lab8_counts.collectives++;
	return PMPI_Bcast(buf, count, type, root, comm);
}
#endif
