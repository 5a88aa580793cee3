/*
 * nompi.c - on a machine without Open MPI, the stand-ins for the MPI
 * functions that no-mpi/mpi.h declares.  None is ever reached: the lab's
 * programs stop first, saying that MPI is missing (lab8_have_mpi()).  Each
 * says so anyway, should one be called.
 */
#include <mpi.h>

#if !WB_HAVE_MPI
#include <stdio.h>
#include <stdlib.h>

static int no_mpi(const char *what)
{
	fprintf(stderr, "%s: Open MPI is not installed (scripts/deps.sh installs it)\n", what);
	exit(1);
}

#define NO(name, ...) int name(__VA_ARGS__) { return no_mpi(#name); }
/* (their parameters go unused) */
#pragma GCC diagnostic ignored "-Wunused-parameter"
NO(MPI_Init, int *a, char ***b)
NO(MPI_Finalize, void)
NO(MPI_Abort, MPI_Comm c, int e)
NO(MPI_Comm_rank, MPI_Comm c, int *r)
NO(MPI_Comm_size, MPI_Comm c, int *s)
NO(MPI_Get_processor_name, char *n, int *l)
double MPI_Wtime(void) { return no_mpi("MPI_Wtime"); }
NO(MPI_Barrier, MPI_Comm c)
NO(MPI_Send, const void *b, int n, MPI_Datatype t, int d, int g, MPI_Comm c)
NO(MPI_Ssend, const void *b, int n, MPI_Datatype t, int d, int g, MPI_Comm c)
NO(MPI_Recv, void *b, int n, MPI_Datatype t, int s, int g, MPI_Comm c, MPI_Status *st)
NO(MPI_Sendrecv, const void *sb, int sn, MPI_Datatype st, int d, int sg, void *rb, int rn,
   MPI_Datatype rt, int s, int rg, MPI_Comm c, MPI_Status *sts)
NO(MPI_Isend, const void *b, int n, MPI_Datatype t, int d, int g, MPI_Comm c, MPI_Request *r)
NO(MPI_Irecv, void *b, int n, MPI_Datatype t, int s, int g, MPI_Comm c, MPI_Request *r)
NO(MPI_Wait, MPI_Request *r, MPI_Status *s)
NO(MPI_Waitall, int n, MPI_Request *r, MPI_Status *s)
NO(MPI_Probe, int s, int g, MPI_Comm c, MPI_Status *st)
NO(MPI_Iprobe, int s, int g, MPI_Comm c, int *f, MPI_Status *st)
NO(MPI_Get_count, const MPI_Status *s, MPI_Datatype t, int *n)
NO(MPI_Bcast, void *b, int n, MPI_Datatype t, int r, MPI_Comm c)
NO(MPI_Scatter, const void *sb, int sn, MPI_Datatype st, void *rb, int rn, MPI_Datatype rt, int r,
   MPI_Comm c)
NO(MPI_Gather, const void *sb, int sn, MPI_Datatype st, void *rb, int rn, MPI_Datatype rt, int r,
   MPI_Comm c)
NO(MPI_Gatherv, const void *sb, int sn, MPI_Datatype st, void *rb, const int *rn, const int *d,
   MPI_Datatype rt, int r, MPI_Comm c)
NO(MPI_Reduce, const void *sb, void *rb, int n, MPI_Datatype t, MPI_Op o, int r, MPI_Comm c)
NO(MPI_Allreduce, const void *sb, void *rb, int n, MPI_Datatype t, MPI_Op o, MPI_Comm c)
#endif
