/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text line of a record: the common columns and the terminal-safe
 * writers; the essence of each record kind is in event-text-kinds.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event-text-internal.h"
#include "macro.h"

const char *const event_text_record_names[] = {
    "exec",
    "file_access",
    "network",
    "cgroup",
    "syscall",
    "anomaly",
    "process",
    "startup",
    "stats",
    "events_lost",
    "config_changed",
    "config_reload_failed",
    "journal_suppressed",
    "iface",
    "iface_state",
    "shutdown",
    "rules_loaded",
    NULL,
};

bool event_text_record_known(const char *name)
{
	for (size_t i = 0; name && event_text_record_names[i]; i++)
		if (strcmp(name, event_text_record_names[i]) == 0)
			return true;
	return false;
}

void tb_putn(struct tbuf *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap) {
		n = b->len < b->cap ? b->cap - b->len - 1 : 0;
		b->cut = true;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void tb_puts(struct tbuf *b, const char *s)
{
	tb_putn(b, s, strlen(s));
}

void tb_printf(struct tbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		tb_putn(b, tmp, MIN((size_t)n, sizeof(tmp) - 1));
}

/* Length of the UTF-8 sequence at s (1 for a stray byte), and its code point. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len = s[0] < 0xc0 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;

	if (len > n)
		len = 1;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			len = 1;
	*cp = len == 1	 ? s[0]
	      : len == 2 ? (s[0] & 0x1fu) << 6 | (s[1] & 0x3f)
	      : len == 3 ? (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3f)
			 : (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3f);
	return len;
}

/* What a terminal must never receive raw: C0, DEL, C1, bidi controls. */
static bool unsafe_cp(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x61c;
}

static void tb_escape_cp(struct tbuf *b, unsigned cp, bool quoted)
{
	if (cp == '\n')
		tb_puts(b, "\\n");
	else if (cp == '\t')
		tb_puts(b, "\\t");
	else if (cp == '\\' && quoted)
		tb_puts(b, "\\\\");
	else if (cp == '\'' && quoted)
		tb_puts(b, "\\'");
	else if (cp < 0x100)
		tb_printf(b, "\\x%02x", cp);
	else
		tb_printf(b, "\\u%04x", cp);
}

/* s with unsafe characters as escapes; no quoting (descriptions, messages). */
void tb_text(struct tbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0) {
		unsigned cp;
		size_t l = utf8_next(p, n, &cp);

		if (unsafe_cp(cp))
			tb_escape_cp(b, cp, false);
		else
			tb_putn(b, (const char *)p, l);
		p += l;
		n -= l;
	}
}

/* One word as a shell would read it back: bare when safe, '...' when it has
 * spaces or shell syntax, $'...' when it has characters a terminal must not
 * receive. */
void tb_word(struct tbuf *b, const char *s)
{
	static const char special[] = " \t'\"\\$`!*?[]{}()<>|&;#~";
	bool plain = s[0] != '\0', unsafe = false;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0) {
		unsigned cp;
		size_t l = utf8_next(p, n, &cp);

		unsafe = unsafe || unsafe_cp(cp);
		plain = plain && !(cp < 0x80 && strchr(special, (int)cp));
		p += l;
		n -= l;
	}
	if (plain && !unsafe) {
		tb_puts(b, s);
		return;
	}
	if (!unsafe) {
		tb_putc(b, '\'');
		for (const char *c = s; *c; c++)
			if (*c == '\'')
				tb_puts(b, "'\\''");
			else
				tb_putc(b, *c);
		tb_putc(b, '\'');
		return;
	}
	tb_puts(b, "$'");
	p = (const unsigned char *)s;
	n = strlen(s);
	while (n > 0) {
		unsigned cp;
		size_t l = utf8_next(p, n, &cp);

		if (unsafe_cp(cp) || cp == '\\' || cp == '\'')
			tb_escape_cp(b, cp, true);
		else
			tb_putn(b, (const char *)p, l);
		p += l;
		n -= l;
	}
	tb_putc(b, '\'');
}

/* Pads with spaces from column `from` (byte offset) to `width` characters. */
static void tb_pad(struct tbuf *b, size_t from, size_t width)
{
	size_t chars = 0;

	for (size_t i = from; i < b->len; i++)
		chars += ((unsigned char)b->p[i] & 0xc0) != 0x80;
	do
		tb_putc(b, ' ');
	while (++chars < width);
}

const char *js(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
}

bool ji(struct json_object *o, const char *key, int64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return false;
	*ret = json_object_get_int64(v);
	return true;
}

uint64_t ju(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_uint64(v);
}

bool jb(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

struct json_object *jo(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object) ? v : NULL;
}

/* "2026-01-02T03:04:05.123456789Z" as local "HH:MM:SS.mmm". */
static void tb_time(struct tbuf *b, const char *rfc3339)
{
	struct tm tm = {}, local;
	unsigned ms = 0;
	int n = 0;
	time_t t;

	if (!rfc3339 || sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			       &tm.tm_min, &tm.tm_sec, &n) != 6) {
		tb_puts(b, "--:--:--.---");
		return;
	}
	if (rfc3339[n] == '.')
		for (int i = 1, scale = 100; i <= 3 && rfc3339[n + i] >= '0' && rfc3339[n + i] <= '9'; i++, scale /= 10)
			ms += (unsigned)(rfc3339[n + i] - '0') * (unsigned)scale;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (!localtime_r(&t, &local)) {
		tb_puts(b, "--:--:--.---");
		return;
	}
	tb_printf(b, "%02d:%02d:%02d.%03u", local.tm_hour, local.tm_min, local.tm_sec, ms);
}

/* comm(pid) of the record's process; the agent's own records name the agent. */
static void tb_process(struct tbuf *b, struct json_object *rec)
{
	struct json_object *p = jo(rec, "process");
	const char *comm = p ? js(p, "comm") : NULL;
	int64_t pid;

	if (comm) {
		tb_word(b, comm);
		if (ji(p, "pid", &pid))
			tb_printf(b, "(%lld)", (long long)pid);
	} else if (jo(rec, "cgroup") || jo(rec, "iface")) {
		tb_putc(b, '-');
	} else {
		tb_puts(b, "clawos-ebpf");
		if (ji(rec, "pid", &pid))
			tb_printf(b, "(%lld)", (long long)pid);
	}
}

/* The same for a parsed record. */
static int event_text_format_object(struct json_object *rec, const struct event_text_options *o, char *buf, size_t size)
{
	struct tbuf b = {.p = buf, .cap = size > 16 ? size - 16 : 0}; /* room for "..." and the colour reset */
	struct json_object *target;
	const char *event = json_object_is_type(rec, json_type_object) ? js(rec, "event") : NULL;
	const char *color = NULL;
	size_t col;

	if (size < 64)
		return -ENOBUFS;
	if (!event)
		return -EINVAL;
	buf[0] = '\0';
	color = o && o->color ? event_text_color(rec, event) : NULL;
	if (color)
		tb_printf(&b, "\033[%sm", color);
	tb_time(&b, js(rec, "time"));
	tb_putc(&b, ' ');
	col = b.len;
	tb_text(&b, event_text_kind(rec, event));
	tb_pad(&b, col, 9);
	col = b.len;
	tb_process(&b, rec);
	tb_pad(&b, col, 21);
	event_text_essence(&b, rec, event);
	target = jo(rec, "target");
	if (target && js(target, "name")) {
		tb_puts(&b, " [target ");
		tb_text(&b, js(target, "name"));
		tb_putc(&b, ']');
	}
	while (b.len > 0 && b.p[b.len - 1] == ' ')
		b.p[--b.len] = '\0';
	if (b.cut) {
		/* back to a character boundary, then the mark */
		while (b.len > 0 && ((unsigned char)b.p[b.len - 1] & 0xc0) == 0x80)
			b.len--;
		if (b.len > 0 && (unsigned char)b.p[b.len - 1] >= 0xc0)
			b.len--;
		memcpy(b.p + b.len, "...", 4);
		b.len += 3;
	}
	if (color) {
		memcpy(b.p + b.len, "\033[0m", 5);
		b.len += 4;
	}
	return (int)b.len;
}

int event_text_format(const char *json, size_t len, const struct event_text_options *o, char *buf, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *rec;
	int r;

	if (!tok)
		return -ENOMEM;
	rec = json_tokener_parse_ex(tok, json, (int)MIN(len, (size_t)INT32_MAX));
	/* exactly one object: nothing but whitespace may follow it */
	if (rec && json_tokener_get_error(tok) == json_tokener_success) {
		size_t end = json_tokener_get_parse_end(tok);

		while (end < len && (json[end] == ' ' || json[end] == '\n' || json[end] == '\r' || json[end] == '\t'))
			end++;
		r = end == len ? event_text_format_object(rec, o, buf, size) : -EINVAL;
	} else {
		r = -EINVAL;
	}
	json_object_put(rec);
	json_tokener_free(tok);
	return r;
}
