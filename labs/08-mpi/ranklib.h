/*
 * ranklib.h - the ranks' side of a lab 8 job (given code, for the driver
 * and the checker): starting and ending a rank, timing one call of an
 * exercise in every rank, and bringing what each rank saw to rank 0, which
 * writes it into the job's report for the program that started mpirun.
 *
 * The report is plain text, one fact a line:
 *   pids P0 P1 ...                     the ranks' process ids
 *   begin LABEL                        an experiment starts (written at once)
 *   rank LABEL R rc start end cpu work sends bytes recvs collectives
 *   span LABEL R task start end        one task done by rank R
 *   value LABEL KEY NUMBER             a result rank 0 holds
 *
 * This file also counts each rank's messages: it defines MPI_Send, MPI_Recv,
 * ... (MPI's profiling interface: each calls the library's PMPI_ version
 * after counting), so the driver can show messages and bytes sent, and the
 * checker can see who sent what.
 */
#ifndef LAB8_RANKLIB_H
#define LAB8_RANKLIB_H

#include "exercises.h"

#include <stdio.h>

/* The job this process runs as a rank of, or NULL when it is not a rank. */
const char *lab8_rank_job(void);

struct lab8_rank {
	int rank, size;
	const char *args;   /* WB_LAB8_RANK_ARGS */
	FILE *out;          /* the report (rank 0 only) */
};

/* MPI_Init, the report opened on rank 0, the pids line; the rank dies with mpirun. */
void lab8_rank_begin(struct lab8_rank *r, int *argc, char ***argv);
/* MPI_Finalize and the report closed.  Returns the rank's exit status (0). */
int lab8_rank_end(struct lab8_rank *r);

/* Messages this rank sent and received through MPI's point-to-point calls,
 * and the collective calls it made. */
struct lab8_counts {
	long sends, bytes_sent, recvs, collectives;
};
extern struct lab8_counts lab8_counts;
/* The checker's lever: sleep this long before each send of this rank. */
extern double lab8_send_delay_s;

void lab8_log_init(struct lab8_log *log, int cap);
void lab8_log_free(struct lab8_log *log);

/* One call of an exercise, in every rank: what it returned, its times, counts. */
struct lab8_call {
	int rc;
	double start, end, cpu_s, work_s;
	struct lab8_counts counts;
};
/* Every rank: a barrier (all start together), counts and log cleared, the clocks read. */
void lab8_call_begin(struct lab8_call *c, struct lab8_log *log);
void lab8_call_end(struct lab8_call *c, int rc, const struct lab8_log *log);

/* Rank 0: "begin LABEL", flushed (a stuck job shows where it stopped). */
void lab8_report_begin(struct lab8_rank *r, const char *label);
/* Every rank (a collective): the rank and span lines of one call. */
void lab8_report_call(struct lab8_rank *r, const char *label, const struct lab8_call *c,
		      const struct lab8_log *log);
/* Rank 0: "value LABEL KEY NUMBER". */
void lab8_report_value(struct lab8_rank *r, const char *label, const char *key, double v);

/* Hash of results[] that notices a result in the wrong slot. */
uint64_t lab8_results_hash(const uint64_t *results, int count);

#endif
