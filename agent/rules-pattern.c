/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A Sigma value as a pattern (rules-internal.h, struct vpat): bytes,
 * '*' (any run), '?' (one character), with '\\' escaping '*', '?' and
 * itself (as pySigma reads them); the transformations the modifiers make
 * (windash, base64, base64offset, utf16*); and the one expression a
 * pattern becomes, which Hyperscan and PCRE2 read alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules-internal.h"

/* ---- patterns ---- */

void vpat_done(struct vpat *p)
{
	free(p->b);
	free(p->k);
	*p = (struct vpat){};
}

int vpat_push(struct vpat *p, uint8_t byte, uint8_t kind)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		uint8_t *b = realloc(p->b, cap), *k;

		if (!b)
			return -ENOMEM;
		p->b = b;
		k = realloc(p->k, cap);
		if (!k)
			return -ENOMEM;
		p->k = k;
		p->cap = cap;
	}
	p->b[p->n] = byte;
	p->k[p->n] = kind;
	p->n++;
	return 0;
}

int vpat_insert_front(struct vpat *p, uint8_t kind)
{
	int r = vpat_push(p, 0, kind);

	if (r < 0)
		return r;
	memmove(p->b + 1, p->b, p->n - 1);
	memmove(p->k + 1, p->k, p->n - 1);
	p->b[0] = 0;
	p->k[0] = kind;
	return 0;
}

/* pySigma's reading: '\' escapes '*', '?' and '\'; any other '\' is itself. */
int vpat_from_sigma(struct vpat *p, const char *s, size_t len)
{
	int r = 0;

	for (size_t i = 0; i < len && r == 0; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < len && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\'))
			r = vpat_push(p, (uint8_t)s[++i], VK_LIT);
		else if (c == '*')
			r = vpat_push(p, 0, VK_ANY);
		else if (c == '?')
			r = vpat_push(p, 0, VK_ONE);
		else
			r = vpat_push(p, (uint8_t)c, VK_LIT);
	}
	return r;
}

bool vpat_literal(const struct vpat *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->k[i] != VK_LIT)
			return false;
	return true;
}

static bool is_word(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* pySigma's windash: a '-' or '/' that starts a word (\B[-/]\b). */
void vpat_windash(struct vpat *p)
{
	for (size_t i = 0; i < p->n; i++) {
		bool prev_word = i > 0 && p->k[i - 1] == VK_LIT && is_word(p->b[i - 1]);
		bool next_word = i + 1 < p->n && p->k[i + 1] == VK_LIT && is_word(p->b[i + 1]);

		if (p->k[i] == VK_LIT && (p->b[i] == '-' || p->b[i] == '/') && !prev_word && next_word)
			p->k[i] = VK_DASH;
	}
}

static int vpat_set_bytes(struct vpat *p, const uint8_t *b, size_t n)
{
	struct vpat q = {};
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = vpat_push(&q, b[i], VK_LIT);
	if (r < 0) {
		vpat_done(&q);
		return r;
	}
	vpat_done(p);
	*p = q;
	return 0;
}

static size_t base64_encode(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v =
		    (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);

		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	return o;
}

int vpat_base64(struct vpat *p)
{
	_cleanup_free_ char *enc = malloc((p->n + 2) / 3 * 4 + 1);

	return enc ? vpat_set_bytes(p, (const uint8_t *)enc, base64_encode(p->b, p->n, enc)) : -ENOMEM;
}

/* base64offset: the value encoded at the three alignments it can have in
 * a longer text, each cut to the characters that do not depend on its
 * neighbours (pySigma's offsets). */
int vpat_base64_offset(const struct vpat *p, int shift, struct vpat *out)
{
	static const int start[3] = {0, 2, 3}, end_cut[3] = {0, 3, 2};
	size_t n = p->n + (size_t)shift;
	_cleanup_free_ uint8_t *in = malloc(n + 1);
	_cleanup_free_ char *enc = malloc((n + 2) / 3 * 4 + 1);
	size_t len, from, to;

	if (!in || !enc)
		return -ENOMEM;
	memset(in, ' ', (size_t)shift);
	memcpy(in + shift, p->b, p->n);
	len = base64_encode(in, n, enc);
	from = (size_t)start[shift];
	to = len - (size_t)end_cut[(p->n + (size_t)shift) % 3];
	if (to < from)
		to = from;
	return vpat_set_bytes(out, (const uint8_t *)enc + from, to - from);
}

/* UTF-8 -> UTF-16 code units; -EINVAL on a bad sequence. */
int vpat_utf16(struct vpat *p, enum vutf16 how)
{
	struct vpat q = {};
	int r = 0;

	if (how == VUTF16_BOM) { /* a byte order mark, then little endian */
		r = vpat_push(&q, 0xff, VK_LIT);
		if (r == 0)
			r = vpat_push(&q, 0xfe, VK_LIT);
	}
	for (size_t i = 0; i < p->n && r == 0;) {
		uint32_t cp, units[2];
		size_t need, nu = 1;

		if (p->k[i] != VK_LIT) {
			r = vpat_push(&q, 0, p->k[i]);
			i++;
			continue;
		}
		cp = p->b[i];
		need = cp < 0x80 ? 0 : (cp & 0xe0) == 0xc0 ? 1 : (cp & 0xf0) == 0xe0 ? 2 : (cp & 0xf8) == 0xf0 ? 3 : 9;
		if (need == 9 || i + need >= p->n + (need ? 0 : 1)) {
			r = -EINVAL;
			break;
		}
		if (need)
			cp &= 0x3f >> need;
		for (size_t j = 1; j <= need; j++) {
			if (p->k[i + j] != VK_LIT || (p->b[i + j] & 0xc0) != 0x80) {
				r = -EINVAL;
				break;
			}
			cp = cp << 6 | (p->b[i + j] & 0x3f);
		}
		if (r < 0)
			break;
		i += need + 1;
		units[0] = cp;
		if (cp >= 0x10000) {
			units[0] = 0xd800 | ((cp - 0x10000) >> 10);
			units[1] = 0xdc00 | ((cp - 0x10000) & 0x3ff);
			nu = 2;
		}
		for (size_t u = 0; u < nu && r == 0; u++) {
			uint8_t lo = units[u] & 0xff, hi = units[u] >> 8;

			r = vpat_push(&q, how == VUTF16_BE ? hi : lo, VK_LIT);
			if (r == 0)
				r = vpat_push(&q, how == VUTF16_BE ? lo : hi, VK_LIT);
		}
	}
	if (r < 0) {
		vpat_done(&q);
		return r;
	}
	vpat_done(p);
	*p = q;
	return 0;
}

/* ---- expressions ---- */

struct sbuf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = MAX(b->cap * 2, b->n + n + 64);
		char *p = realloc(b->s, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void sbuf_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

/* The expression of a pattern with its leading and trailing '*' dropped
 * (an unanchored search).  Bytes other than [A-Za-z0-9_] are written as
 * \xHH, so the expression reads the same to Hyperscan and PCRE2. */
char *vpat_expr(const struct vpat *p)
{
	size_t from = 0, to = p->n;
	struct sbuf b = {};

	while (from < to && p->k[from] == VK_ANY)
		from++;
	while (to > from && p->k[to - 1] == VK_ANY)
		to--;
	if (from == 0)
		sbuf_str(&b, "^");
	for (size_t i = from; i < to; i++) {
		char hex[8];

		switch (p->k[i]) {
		case VK_LIT:
			if (is_word(p->b[i])) {
				sbuf_add(&b, (const char *)&p->b[i], 1);
			} else {
				snprintf(hex, sizeof(hex), "\\x%02x", p->b[i]);
				sbuf_str(&b, hex);
			}
			break;
		case VK_ANY:
			if (i == from || p->k[i - 1] != VK_ANY)
				sbuf_str(&b, ".*");
			break;
		case VK_ONE: /* one UTF-8 character, or one stray byte */
			sbuf_str(&b, "(?:[\\x00-\\x7f]|[\\xc0-\\xff][\\x80-\\xbf]*|[\\x80-\\xbf])");
			break;
		case VK_DASH:
			sbuf_str(&b, "(?:-|/|\\xe2\\x80\\x93|\\xe2\\x80\\x94|\\xe2\\x80\\x95)");
			break;
		}
	}
	if (to == p->n)
		sbuf_str(&b, "\\z");
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	if (!b.s)
		b.s = strdup("");
	return b.s;
}
