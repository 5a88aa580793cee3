/* checked.c - the failure path of the checked-call macros (see checked.h). */
#include "checked.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void wb_die_at(const char *file, int line, const char *fmt, ...)
{
	/* Build the whole line first and write it with one call, so that two
	 * threads dying at once do not interleave their messages. */
	char msg[1024];
	int used = snprintf(msg, sizeof msg, "%s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	if (used >= 0 && (size_t)used < sizeof msg)
		vsnprintf(msg + used, sizeof msg - (size_t)used, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", msg);
	exit(1);
}

void *wb_xcalloc(size_t count, size_t size)
{
	return CHECK_PTR(calloc(count ? count : 1, size ? size : 1));
}

char *wb_xstrdup(const char *s)
{
	return CHECK_PTR(strdup(s));
}

const char *wb_strerror(int err)
{
	/* One buffer per thread: strerror_r (GNU flavour) may or may not use it. */
	static _Thread_local char buf[128];
	return strerror_r(err, buf, sizeof buf);
}
