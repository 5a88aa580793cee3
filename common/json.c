/* json.c - quote strings for JSON, read numbers back (see json.h). */
#include "json.h"
#include "checked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The escape for byte c, or NULL if c can be written as it is.
 * JSON requires escapes only for '"', '\\' and bytes below 0x20; we also
 * escape DEL so that a body full of binary junk stays printable. */
static const char *short_escape(unsigned char c)
{
	switch (c) {
	case '"':  return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default:   return NULL;
	}
}

static int needs_unicode_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

void wb_json_escape(const char *s, size_t len,
		    void (*emit)(void *arg, const char *piece, size_t n), void *arg)
{
	size_t run = 0;         /* start of the bytes that need no escape */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = short_escape(c);
		if (esc == NULL && !needs_unicode_escape(c))
			continue;
		if (i > run)
			emit(arg, s + run, i - run);
		if (esc != NULL) {
			emit(arg, esc, 2);
		} else {
			char unicode[8];
			snprintf(unicode, sizeof unicode, "\\u%04x", c);
			emit(arg, unicode, 6);
		}
		run = i + 1;
	}
	if (len > run)
		emit(arg, s + run, len - run);
}

/* An output string with room for the worst case: every byte a \u00XX. */
struct quoted {
	char *text;
	size_t len;
};

static void append(void *arg, const char *piece, size_t n)
{
	struct quoted *q = arg;
	memcpy(q->text + q->len, piece, n);
	q->len += n;
}

char *wb_json_quote_n(const char *s, size_t len)
{
	if (len > (((size_t)-1) - 3) / 6)
		DIE("wb_json_quote: %zu bytes is too long to quote", len);
	struct quoted q = { wb_xcalloc(len * 6 + 3, 1), 0 };
	append(&q, "\"", 1);
	wb_json_escape(s, len, append, &q);
	append(&q, "\"", 1);
	q.text[q.len] = '\0';
	return q.text;
}

char *wb_json_quote(const char *s)
{
	return wb_json_quote_n(s, strlen(s));
}
