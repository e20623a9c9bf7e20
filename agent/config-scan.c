/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Line checks run over the whole text before inih parses it.  inih is
 * lenient where we want to be strict, and some of its leniencies are fixed
 * at build time of the shared library (Debian builds r55 with multi-line
 * values, ';' inline comments, ':' separators, BOM skipping and a 200-byte
 * line buffer that silently splits longer lines).  Checking here keeps the
 * accepted syntax the same whatever inih build we link against, and lets
 * every error name its line.
 */

#include <errno.h>
#include <string.h>

#include "config-internal.h"
#include "utf8.h"

struct scan_state {
	const char *filename;
	struct clawos_config_error *err;
	unsigned line;
	char section[64];
	unsigned section_line[8]; /* indexed like config_sections */
};

#define scan_error(st, ...) config_error_set((st)->err, (st)->filename, (st)->line, (st)->section, "", __VA_ARGS__)

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int scan_bytes(struct scan_state *st, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	if (st->line == 1 && n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		return scan_error(st, "the file starts with a UTF-8 byte order mark (BOM); save it without one");
	for (size_t i = 0; i < n;) {
		size_t len;

		if (u[i] == 0)
			return scan_error(st, "NUL byte at column %zu: the file must be text", i + 1);
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return scan_error(st, "control character 0x%02x at column %zu", u[i], i + 1);
		len = utf8_char_len(p + i, n - i);
		if (len == 0)
			return scan_error(st, "invalid UTF-8 at column %zu", i + 1);
		i += len;
	}
	if (n > CONFIG_LINE_MAX)
		return scan_error(st, "line is %zu bytes long, the limit is %d bytes", n, CONFIG_LINE_MAX);
	return 0;
}

static int section_index(const char *name, size_t n)
{
	for (size_t i = 0; i < config_n_sections; i++)
		if (strlen(config_sections[i]) == n && memcmp(config_sections[i], name, n) == 0)
			return (int)i;
	return -1;
}

/* p points at '[', n is the length of the rest of the line. */
static int scan_section(struct scan_state *st, const char *p, size_t n)
{
	const char *close = memchr(p, ']', n);
	size_t name_len, rest;
	int idx;

	if (!close)
		return scan_error(st, "expected ']' to close the section header");
	name_len = (size_t)(close - p - 1);
	rest = n - name_len - 2;
	for (size_t i = 0; i < rest; i++) {
		if (is_blank(close[1 + i]))
			continue;
		if (close[1 + i] == ';' || close[1 + i] == '#')
			return scan_error(st, "inline comments are not supported; put the comment on its own line");
		return scan_error(st, "unexpected text after ']'");
	}
	idx = section_index(p + 1, name_len);
	if (idx < 0) {
		char expected[160] = "";

		for (size_t i = 0; i < config_n_sections; i++)
			snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s[%s]",
				 i == 0			      ? ""
				 : i + 1 == config_n_sections ? " or "
							      : ", ",
				 config_sections[i]);
		snprintf(st->section, sizeof(st->section), "%.*s", (int)name_len, p + 1);
		return scan_error(st, "unknown section; expected %s", expected);
	}
	snprintf(st->section, sizeof(st->section), "%s", config_sections[idx]);
	if (st->section_line[idx] > 0)
		return scan_error(st,
				  "duplicate section: already started on line %u; keep each section's keys together",
				  st->section_line[idx]);
	st->section_line[idx] = st->line;
	return 0;
}

static int scan_key_value(struct scan_state *st, const char *p, size_t n)
{
	char key[64];
	size_t sep, klen;

	for (sep = 0; sep < n && p[sep] != '=' && p[sep] != ':'; sep++)
		;
	if (sep == n)
		return scan_error(st, "expected 'key = value', a [section] header or a comment");
	if (sep == 0)
		return scan_error(st, "missing key name before '='");
	for (klen = sep; klen > 0 && is_blank(p[klen - 1]); klen--)
		;
	snprintf(key, sizeof(key), "%.*s", (int)klen, p);
	if (p[sep] == ':')
		return config_error_set(st->err, st->filename, st->line, st->section, key,
					"use '=' to separate the key from the value, not ':'");
	/* inih would cut the value at " ;"; refuse instead of guessing. */
	for (size_t i = 1; i < n; i++)
		if ((p[i] == ';' || p[i] == '#') && (is_blank(p[i - 1]) || p[i - 1] == '='))
			return config_error_set(st->err, st->filename, st->line, st->section, key,
						"inline comments are not supported; put the comment on its own line");
	return 0;
}

static int scan_line(struct scan_state *st, const char *p, size_t n)
{
	size_t indent;
	int r;

	r = scan_bytes(st, p, n);
	if (r < 0)
		return r;
	for (indent = 0; indent < n && is_blank(p[indent]); indent++)
		;
	if (indent == n || p[indent] == ';' || p[indent] == '#')
		return 0;
	if (indent > 0)
		return scan_error(st, "line starts with whitespace: indentation and continuation lines are not "
				      "supported; put each key on one line, starting in the first column");
	if (p[0] == '[')
		return scan_section(st, p, n);
	return scan_key_value(st, p, n);
}

int config_scan(const char *filename, const char *buf, size_t len, struct clawos_config_error *err)
{
	struct scan_state st = {
	    .filename = filename,
	    .err = err,
	};
	size_t pos = 0;
	int r;

	while (pos < len) {
		const char *p = buf + pos, *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;

		pos += n + (nl ? 1 : 0);
		st.line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		r = scan_line(&st, p, n);
		if (r < 0)
			return r;
	}
	return 0;
}
