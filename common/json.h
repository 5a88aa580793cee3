/*
 * json.h - just enough JSON for the workbook, and no more.
 *
 * The lab server writes its replies straight into libevent's output
 * buffers, a piece at a time; these escape request bytes for that.  Every
 * other JSON the workbook writes or reads goes through cJSON.
 */
#ifndef WB_JSON_H
#define WB_JSON_H

#include <stddef.h>

/* The JSON string literal for s, quotes included: malloc'd, caller frees.
 * Quotes, backslashes and control bytes are escaped; other bytes (UTF-8
 * text) pass through unchanged.  Dies if out of memory. */
char *wb_json_quote(const char *s);

/* The same for len bytes that may contain NUL bytes (a request body). */
char *wb_json_quote_n(const char *s, size_t len);

/* The allocation-free core of both: escape len bytes for the inside of a
 * JSON string (no quotes added), handing the result to emit(arg, piece, n)
 * a piece at a time.  The server uses this to write straight into its
 * output buffers. */
void wb_json_escape(const char *s, size_t len,
		    void (*emit)(void *arg, const char *piece, size_t n), void *arg);

#endif
