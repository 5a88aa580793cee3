/* timeline.c - a lock-free span recorder in shared memory (see timeline.h). */
#include "timeline.h"

#include "checked.h"
#include "timing.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct slot {
	/* Set last, with release order: a reader that sees 1 sees the whole span. */
	atomic_int ready;
	struct wb_span span;
};

struct wb_timeline {
	size_t capacity;
	atomic_size_t claimed;    /* slots handed out so far (may exceed capacity) */
	double origin;            /* time of the last reset */
	struct slot slots[];      /* the table itself, in the same shared mapping */
};

static size_t mapping_size(size_t capacity)
{
	return sizeof(struct wb_timeline) + capacity * sizeof(struct slot);
}

struct wb_timeline *wb_timeline_new(size_t capacity)
{
	/* MAP_SHARED: a forked child writes into the very same pages the parent
	 * reads.  A plain malloc'd table would be copied on fork, and the child's
	 * records would vanish with it. */
	void *mem = mmap(NULL, mapping_size(capacity), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		DIE("mmap of a %zu-span timeline: %s", capacity, wb_strerror(errno));
	struct wb_timeline *tl = mem;
	tl->capacity = capacity;
	wb_timeline_reset(tl);
	return tl;
}

void wb_timeline_free(struct wb_timeline *tl)
{
	if (tl)
		CHECK_SYS(munmap(tl, mapping_size(tl->capacity)));
}

void wb_timeline_reset(struct wb_timeline *tl)
{
	for (size_t i = 0; i < tl->capacity; i++)
		atomic_store_explicit(&tl->slots[i].ready, 0, memory_order_relaxed);
	atomic_store(&tl->claimed, 0);
	tl->origin = wb_now();
}

void wb_timeline_set_origin(struct wb_timeline *tl, double origin)
{
	tl->origin = origin;
}

int wb_timeline_record(struct wb_timeline *tl, int worker, int task, const char *kind,
		       double start, double end)
{
	size_t i = atomic_fetch_add(&tl->claimed, 1);
	if (i >= tl->capacity)
		return -1;
	struct wb_span *s = &tl->slots[i].span;
	s->worker = worker;
	s->task = task;
	snprintf(s->kind, sizeof s->kind, "%s", kind ? kind : "work");
	s->start = start;
	s->end = end;
	s->pid = getpid();
	s->tid = gettid();
	atomic_store_explicit(&tl->slots[i].ready, 1, memory_order_release);
	return 0;
}

size_t wb_timeline_count(const struct wb_timeline *tl)
{
	size_t claimed = atomic_load(&((struct wb_timeline *)tl)->claimed);
	return claimed < tl->capacity ? claimed : tl->capacity;
}

const struct wb_span *wb_timeline_span(const struct wb_timeline *tl, size_t i)
{
	if (i >= wb_timeline_count(tl))
		return NULL;
	/* A writer may have claimed this slot and still be filling it in. */
	if (!atomic_load_explicit(&((struct wb_timeline *)tl)->slots[i].ready,
				  memory_order_acquire))
		return NULL;
	return &tl->slots[i].span;
}

static int kind_matches(const struct wb_span *s, const char *kind)
{
	return s != NULL && (kind == NULL || strcmp(s->kind, kind) == 0);
}

/* An edge of a span: +1 where it starts, -1 where it ends. */
struct edge {
	double at;
	int delta;
};

static int compare_edges(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->delta - y->delta;	/* an end before a start at the same instant */
}

int wb_timeline_max_overlap(const struct wb_timeline *tl, const char *kind)
{
	size_t n = wb_timeline_count(tl);
	struct edge *edges = wb_xcalloc(2 * n + 1, sizeof *edges);
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		if (!kind_matches(s, kind))
			continue;
		edges[used++] = (struct edge){ s->start, +1 };
		edges[used++] = (struct edge){ s->end, -1 };
	}
	qsort(edges, used, sizeof *edges, compare_edges);
	int now = 0, most = 0;
	for (size_t i = 0; i < used; i++) {
		now += edges[i].delta;
		if (now > most)
			most = now;
	}
	free(edges);
	return most;
}

int wb_timeline_distinct_pids(const struct wb_timeline *tl, const char *kind)
{
	size_t n = wb_timeline_count(tl);
	pid_t *pids = wb_xcalloc(n + 1, sizeof *pids);
	int distinct = 0;
	for (size_t i = 0; i < n; i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		if (!kind_matches(s, kind))
			continue;
		int seen = 0;
		for (int k = 0; k < distinct && !seen; k++)
			seen = pids[k] == s->pid;
		if (!seen)
			pids[distinct++] = s->pid;
	}
	free(pids);
	return distinct;
}

int wb_timeline_write(const struct wb_timeline *tl, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "# worker task kind start_s end_s  (seconds since the experiment began)\n");
	size_t n = wb_timeline_count(tl);
	for (size_t i = 0; i < n; i++) {
		const struct wb_span *s = wb_timeline_span(tl, i);
		if (!s)
			continue;
		fprintf(f, "%d %d %s %.6f %.6f\n", s->worker, s->task, s->kind,
			s->start - tl->origin, s->end - tl->origin);
	}
	return fclose(f);
}
