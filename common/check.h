/*
 * check.h - checked calls.
 *
 * Concurrency bugs hide behind ignored return values: a pthread_create that
 * failed, a fork that returned -1, a write that was cut short.  Every system
 * and library call in the workbook goes through one of these macros, so that
 * a failure says *where* (file:line), *what* (the call's text) and *why*
 * (strerror), then exits with status 1.  Usage errors exit with 2 instead
 * (see options.h); status 0 always means success.
 *
 * The macros evaluate their argument exactly once, and never inside assert(),
 * which would vanish under -DNDEBUG.
 */
#ifndef WB_CHECK_H
#define WB_CHECK_H

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
