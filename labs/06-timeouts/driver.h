/*
 * driver.h - what lab 6's driver files share (main.c: part A; driver_zoo.c:
 * part B).
 */
#ifndef LAB6_DRIVER_H
#define LAB6_DRIVER_H

#include "lab.h"

#include <sys/types.h>

/* One bounded operation on the deadline plot: when it began and ended, and
 * its deadline, all in seconds since the lab's first operation. */
struct bounded {
	char label[64];
	double start, end, deadline;
};
enum { MOST_BOUNDED = 32 };
struct bounded_log {
	struct bounded op[MOST_BOUNDED];
	int n;
	double origin;
	struct wb_lab *lab;   /* each operation is also a row of its table */
};
/* deadline 0: an operation that is meant to end early (no deadline mark). */
void bounded_add(struct bounded_log *log, const char *label, double start, double end,
		 double deadline);

/* Threads of this process now (/proc/self/task). */
int threads_now(void);

/* Processes whose process group is pgid (scanning /proc). */
int group_members(pid_t pgid);

/*
 * Run argv with stdout and stderr into the file `log`, for at most limit_s
 * (then SIGKILL).  *seconds: how long it ran.  Returns its wait status, or
 * -1 if it could not be started.  Sets *timed_out when it was killed.
 */
int run_logged(char *const argv[], const char *log, double limit_s, double *seconds,
	       int *timed_out);

/* Part B, in driver_zoo.c. */
void zoo_part(struct wb_lab *lab);

#endif
