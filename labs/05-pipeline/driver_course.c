/*
 * Lab 5: the Python course's exercise, in C - the driver (scaffolding).
 *
 * Five items, four ways: all sequential; all threads (one thread per item,
 * fetching then computing: in C the computing runs in parallel too, so this
 * is already the fast version); hybrid (fetch threads and a CPU process
 * pool: your 5.6); and all threads again, but with one global lock held
 * while computing and let go while waiting - lab 4's naive GIL, written
 * here - which is why Python needs the process pool and C does not.
 */
#include "driver.h"

#include "checked.h"
#include "timing.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int one_item(struct job *j, struct wb_http_client *c, int i, pthread_mutex_t *gil)
{
	struct item it;
	char error[320];
	if (item_fetch(j->w, c, i, i, &it, error, sizeof error) != 0) {
		fprintf(stderr, "lab5: %s\n", error);
		return -1;
	}
	if (gil)   /* the "interpreter" is needed to compute, not to wait */
		CHECK_PT(pthread_mutex_lock(gil));
	j->results[i] = item_process(j->w, i, &it);
	if (gil)
		CHECK_PT(pthread_mutex_unlock(gil));
	item_release(j->w, &it);
	return 0;
}

static int all_sequential(struct job *j)
{
	struct wb_http_client *c = wb_http_client_new(REQUEST_TIMEOUT_S);
	int rc = 0;
	for (int i = 0; i < j->w->n && rc == 0; i++)
		rc = one_item(j, c, i, NULL);
	wb_http_client_free(c);
	return rc;
}

struct per_item {
	struct job *j;
	int i, rc;
	pthread_mutex_t *gil;
};

static void *per_item_main(void *arg)
{
	struct per_item *p = arg;
	struct wb_http_client *c = wb_http_client_new(REQUEST_TIMEOUT_S);
	p->rc = one_item(p->j, c, p->i, p->gil);
	wb_http_client_free(c);
	return NULL;
}

static int thread_per_item(struct job *j, pthread_mutex_t *gil)
{
	int n = j->w->n, rc = 0;
	pthread_t *threads = wb_xcalloc((size_t)n, sizeof *threads);
	struct per_item *args = wb_xcalloc((size_t)n, sizeof *args);
	for (int i = 0; i < n; i++) {
		args[i] = (struct per_item){ j, i, 0, gil };
		CHECK_PT(pthread_create(&threads[i], NULL, per_item_main, &args[i]));
	}
	for (int i = 0; i < n; i++) {
		CHECK_PT(pthread_join(threads[i], NULL));
		rc |= args[i].rc;
	}
	free(args);
	free(threads);
	return rc;
}

static int all_threads(struct job *j)
{
	return thread_per_item(j, NULL);
}

static int threads_one_lock(struct job *j)
{
	pthread_mutex_t gil = PTHREAD_MUTEX_INITIALIZER;
	int rc = thread_per_item(j, &gil);
	CHECK_PT(pthread_mutex_destroy(&gil));
	return rc;
}

static int hybrid(struct job *j)
{
	return run_streamed_procs(j->w, j->fetchers, j->workers, j->w->n, j->results);
}

void course_exercise(struct wb_lab *lab, struct workload *w, const uint64_t *reference,
		     double cpu_s)
{
	int n = w->n, cores = wb_cores();
	double d = w->delay_s, c = cpu_s;
	uint64_t *results = wb_xcalloc((size_t)n, sizeof *results);
	struct job j = { .lab = lab, .w = w, .reference = reference, .fetchers = n,
			 .workers = cores, .bound = n, .results = results };
	char name[64];
	printf("\nThe course's exercise: %d items (wait %g s, then %.0f ms of CPU each)\n", n, d,
	       c * 1e3);

	snprintf(name, sizeof name, "%d items, all sequential", n);
	run_job(&j, NULL, "all sequential", n * (d + c), all_sequential);
	struct wb_row *row = wb_lab_row(lab, name, NULL, &j.m, n * (d + c));
	wb_results_set_baseline(&lab->results, row);

	/* n threads share the cores: the CPU parts take n c / cores once the waits are over */
	double spread = d + n * c / (n < cores ? n : cores);
	snprintf(name, sizeof name, "%d items, all threads", n);
	run_job(&j, NULL, "all threads", spread, all_threads);
	row = wb_lab_row(lab, name, NULL, &j.m, spread);
	if (row)
		wb_row_note(row, "C threads compute in parallel too");

	snprintf(name, sizeof name, "%d items, hybrid (5.6)", n);
	double ideal = ideal_streamed(n, n, d, cores, c);
	run_job(&j, "5.6", "hybrid: fetch threads, CPU processes", ideal, hybrid);
	row = wb_lab_row(lab, name, "5.6", &j.m, ideal);
	if (row)
		wb_row_note(row, "%d fetch threads, %d processes", n, cores);

	snprintf(name, sizeof name, "%d items, threads + one lock", n);
	run_job(&j, NULL, "threads under one global lock", d + n * c, threads_one_lock);
	row = wb_lab_row(lab, name, NULL, &j.m, d + n * c);
	if (row)
		wb_row_note(row, "lab 4's GIL: the CPU parts in turn");
	free(results);
}
