/*
 * zoo.h - what the bug zoo's programs share: a checked-call macro.
 * Each program here is small, stands alone (no toolkit, so that every tool
 * sees only its own code) and has bugs planted on purpose: find them with
 * the tools (make zoo6-tsan, zoo6-helgrind, zoo6-gdb, zoo6-proc), name them
 * in exercises.c (6.6), and write the fixed code there (6.7 - 6.11).
 */
#ifndef ZOO_H
#define ZOO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZOO_CHECK(call) do {                                                      \
		int zoo_rc_ = (call);                                             \
		if (zoo_rc_ != 0) {                                               \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, \
				strerror(zoo_rc_ > 0 ? zoo_rc_ : errno));         \
			exit(2);                                                  \
		}                                                                 \
	} while (0)

#endif
