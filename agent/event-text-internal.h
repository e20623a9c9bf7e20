/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by event-text.c (columns, safe writers) and event-text-kinds.c
 * (the essence of each record kind). */

#include <stdbool.h>
#include <stdint.h>

#include "event-text.h"

/* A bounded line: writes past cap - 1 are cut and flagged. */
struct tbuf {
	char *p;
	size_t cap, len;
	bool cut;
};

void tb_putn(struct tbuf *b, const char *s, size_t n);
void tb_puts(struct tbuf *b, const char *s);
void tb_printf(struct tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void tb_putc(struct tbuf *b, char c)
{
	tb_putn(b, &c, 1);
}
/* Free text with unsafe characters escaped. */
void tb_text(struct tbuf *b, const char *s);
/* One argument or path, quoted as a shell would need it. */
void tb_word(struct tbuf *b, const char *s);

/* Typed members of a record object: NULL / false / 0 when absent or of
 * another type. */
const char *js(struct json_object *o, const char *key);
bool ji(struct json_object *o, const char *key, int64_t *ret);
uint64_t ju(struct json_object *o, const char *key);
bool jb(struct json_object *o, const char *key);
struct json_object *jo(struct json_object *o, const char *key);

/* event-text-kinds.c */
const char *event_text_kind(struct json_object *rec, const char *event);
void event_text_essence(struct tbuf *b, struct json_object *rec, const char *event);
/* SGR parameters for the whole line, or NULL for no colour. */
const char *event_text_color(struct json_object *rec, const char *event);
