/*
 * json.h - just enough JSON for the workbook, and no more.
 *
 * The lab server writes JSON and the labs read a few numbers back out of
 * it.  A JSON library would be one more dependency to install for two small
 * jobs, so the workbook does both jobs itself:
 *
 *   - wb_json_quote() turns any bytes into a valid JSON string literal;
 *   - wb_json_number() reads one number out of our server's *flat* output
 *     (an object of "key": value pairs, e.g. /stats).  It is NOT a general
 *     JSON parser: it does not understand nesting, arrays, or escapes in
 *     keys, and it would happily find a key inside a string value.  For
 *     anything richer, use a real JSON library.
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

/* Find "key": <number> in json and store the number in *out.
 * Returns 0 if found, -1 if the key is missing or its value is not a number.
 * Reads our server's flat output; not a general JSON parser (see above). */
int wb_json_number(const char *json, const char *key, double *out);

#endif
