/*
 * checked.h - checked calls, and the workbook's one rule for errors.
 *
 * The rule, for every function in common/ and every lab:
 *
 *   - A failure the program cannot go on from (a pthread call that fails,
 *     out of memory, a data file that cannot be written, a bug in the
 *     driver) DIES: it prints "file:line: what: why" on stderr and exits 1.
 *     These macros do that.
 *   - A failure the caller is expected to handle - above all a network
 *     request, which fails on a dead server or a timeout as a matter of
 *     course - RETURNS -1, after putting a message into the caller's buffer
 *     (wb_http_result.error, an errbuf argument) that names the URL and
 *     says why.  Such a function never prints: its caller decides.
 *   - A student's exercise function returns 0 when it worked, -1 when it
 *     failed (after printing why), or WB_NOT_DONE while it is still the
 *     handout's placeholder (exercise.h).  The drivers turn -1 into "labN:
 *     exercise K failed" and exit 1 (wb_lab_measure in lab.h).
 *   - A bad option or argument exits 2 with a one-line error and the usage
 *     (options.h).  Status 0 always means success.
 *
 * Concurrency bugs hide behind ignored return values: a pthread_create that
 * failed, a fork that returned -1, a write that was cut short.  So every
 * system and library call goes through one of these macros (or is checked
 * by hand where it may fail as a matter of course, like a read that meets
 * EOF).  The macros evaluate their argument exactly once, and never inside
 * assert(), which would vanish under -DNDEBUG.
 */
#ifndef WB_CHECKED_H
#define WB_CHECKED_H

#include <errno.h>
#include <stddef.h>

/* Print "file:line: message" to stderr and exit(1).  Safe to call from any thread. */
_Noreturn void wb_die_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define DIE(...) wb_die_at(__FILE__, __LINE__, __VA_ARGS__)

/* For calls that return -1 and set errno (open, fork, pipe, write, ...).
 * Yields the call's value, so it can be used inline:  int fd = CHECK_SYS(open(...)); */
#define CHECK_SYS(call) __extension__({                                     \
	__typeof__(call) wb_rc_ = (call);                                     \
	if (wb_rc_ == -1)                                                      \
		wb_die_at(__FILE__, __LINE__, "%s: %s", #call, wb_strerror(errno)); \
	wb_rc_;                                                               \
})

/* For pthread_* calls, which return the error number instead of setting errno. */
#define CHECK_PT(call) do {                                                 \
	int wb_err_ = (call);                                                  \
	if (wb_err_ != 0)                                                      \
		wb_die_at(__FILE__, __LINE__, "%s: %s", #call, wb_strerror(wb_err_)); \
} while (0)

/* For calls that return NULL on failure (malloc, calloc, strdup, ...). */
#define CHECK_PTR(call) __extension__({                                     \
	__typeof__(call) wb_p_ = (call);                                      \
	if (wb_p_ == NULL)                                                     \
		wb_die_at(__FILE__, __LINE__, "%s: %s", #call,                 \
			  wb_strerror(errno ? errno : ENOMEM));                 \
	wb_p_;                                                                \
})

/* Allocation that never returns NULL: the workbook treats out-of-memory as fatal. */
void *wb_xcalloc(size_t count, size_t size);
char *wb_xstrdup(const char *s);

/* Thread-safe strerror (strerror itself may share one buffer between threads). */
const char *wb_strerror(int err);

#endif
