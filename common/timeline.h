/*
 * timeline.h - who did what, when.
 *
 * Each unit of work records one span: (worker, task, kind, start, end) plus
 * the process and thread that ran it.  The spans live in a MAP_SHARED
 * anonymous mapping made before any thread or child exists, so threads *and*
 * forked child processes write into the same table, and the parent reads it
 * after joining or reaping them.  A slot is claimed with an atomic counter,
 * so recording takes no lock.
 *
 * From the spans the labs draw Gantt charts and the checkers prove things:
 * "these ten requests really were in flight at the same time",
 * "this work ran in four different processes".
 */
#ifndef WB_TIMELINE_H
#define WB_TIMELINE_H

#include <stddef.h>
#include <sys/types.h>

struct wb_span {
	int worker;       /* which worker (thread, process, pool slot) did it */
	int task;         /* which task it was */
	char kind[16];    /* what sort of work: "fetch", "cpu", "wait", ... */
	double start;     /* wb_now() when it began */
	double end;       /* wb_now() when it ended */
	pid_t pid;        /* process that recorded it */
	pid_t tid;        /* kernel thread id that recorded it */
};

struct wb_timeline;

/* A timeline with room for `capacity` spans, shared with future children. */
struct wb_timeline *wb_timeline_new(size_t capacity);
void wb_timeline_free(struct wb_timeline *tl);

/* Forget every span and restart the clock origin (for the next experiment). */
void wb_timeline_reset(struct wb_timeline *tl);

/* Measure the written times from `origin` (a wb_now() time) instead of the
 * last reset: for spans recorded elsewhere (lab 8's ranks) and copied in. */
void wb_timeline_set_origin(struct wb_timeline *tl, double origin);

/* Record one span (times from wb_now()).  Returns 0, or -1 if the timeline is full. */
int wb_timeline_record(struct wb_timeline *tl, int worker, int task, const char *kind,
		       double start, double end);

/* Number of slots claimed so far, and the span in slot i (in the order they were
 * claimed); NULL while that slot is still being written.  Read after joining. */
size_t wb_timeline_count(const struct wb_timeline *tl);
const struct wb_span *wb_timeline_span(const struct wb_timeline *tl, size_t i);

/* The most spans of `kind` (NULL: any) that were running at the same instant. */
int wb_timeline_max_overlap(const struct wb_timeline *tl, const char *kind);

/* How many distinct processes recorded spans of `kind` (NULL: any). */
int wb_timeline_distinct_pids(const struct wb_timeline *tl, const char *kind);

/*
 * Write the spans as whitespace-separated columns for gnuplot, times relative
 * to the origin (the last reset):  worker task kind start end
 * The file is overwritten, never appended.  Returns 0 or -1 (errno set).
 */
int wb_timeline_write(const struct wb_timeline *tl, const char *path);

#endif
