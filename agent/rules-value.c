/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A field's values and modifiers -> tests and a tree over them.
 *
 * A plain Sigma value is a pattern (rules-pattern.c).  Transformation
 * modifiers (windash, base64, base64offset, utf16*) rewrite it, possibly
 * into several alternatives; contains/startswith/endswith add
 * the wildcards; the result becomes one Hyperscan expression per
 * alternative, matched case-insensitively unless |cased.  Type modifiers
 * (re, cidr, lt/lte/gt/gte, exists) make other kinds of tests; neq negates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cidr.h"
#include "rules-internal.h"

enum vmod_kind {
	VM_CONTAINS,
	VM_STARTSWITH,
	VM_ENDSWITH,
	VM_ALL,
	VM_CASED,
	VM_WINDASH,
	VM_BASE64,
	VM_BASE64OFFSET,
	VM_UTF16LE,
	VM_UTF16BE,
	VM_UTF16,
	VM_RE,
	VM_RE_I,
	VM_RE_M,
	VM_RE_S,
	VM_CIDR,
	VM_LT,
	VM_LTE,
	VM_GT,
	VM_GTE,
	VM_EXISTS,
	VM_NEQ,
	_VM_MAX,
};

static const struct {
	const char *name;
	enum vmod_kind kind;
} mod_names[] = {
    {"contains", VM_CONTAINS},
    {"startswith", VM_STARTSWITH},
    {"endswith", VM_ENDSWITH},
    {"all", VM_ALL},
    {"cased", VM_CASED},
    {"windash", VM_WINDASH},
    {"base64", VM_BASE64},
    {"base64offset", VM_BASE64OFFSET},
    {"utf16le", VM_UTF16LE},
    {"wide", VM_UTF16LE},
    {"utf16be", VM_UTF16BE},
    {"utf16", VM_UTF16},
    {"re", VM_RE},
    {"i", VM_RE_I},
    {"m", VM_RE_M},
    {"s", VM_RE_S},
    {"cidr", VM_CIDR},
    {"lt", VM_LT},
    {"lte", VM_LTE},
    {"gt", VM_GT},
    {"gte", VM_GTE},
    {"exists", VM_EXISTS},
    {"neq", VM_NEQ},
};

/* Modifiers of the specification that need what an on-host engine does
 * not have. */
static const struct {
	const char *name;
	const char *why;
} mod_unsupported[] = {
    {"expand", "placeholders (|expand) need a processing pipeline"},
    {"fieldref", "field references (|fieldref) are not supported"},
    {"minute", "time modifiers need a timestamp field"},
    {"hour", "time modifiers need a timestamp field"},
    {"day", "time modifiers need a timestamp field"},
    {"week", "time modifiers need a timestamp field"},
    {"month", "time modifiers need a timestamp field"},
    {"year", "time modifiers need a timestamp field"},
};

/* ---- tests and trees ---- */

static int add_test(struct rule_ast *r, const struct rtest *t, size_t *index, struct rules_diag *d, unsigned line)
{
	if (r->n_tests >= RULES_TESTS_PER_RULE)
		return rules_diag_set(d, RULES_ERROR, line, "more than %d tests in one rule", RULES_TESTS_PER_RULE);
	if (r->n_tests == r->cap_tests) {
		size_t cap = r->cap_tests ? r->cap_tests * 2 : 16;
		struct rtest *n = realloc(r->tests, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->tests = n;
		r->cap_tests = cap;
	}
	r->tests[r->n_tests] = *t;
	*index = r->n_tests++;
	return 0;
}

static int leaf(struct rule_ast *r, const struct rtest *t, struct rnode **ret, struct rules_diag *d, unsigned line)
{
	struct rnode *n;
	size_t idx = 0;
	int e;

	e = add_test(r, t, &idx, d, line);
	if (e < 0) {
		free(t->expr);
		return e;
	}
	n = rnode_new(RN_TEST);
	if (!n)
		return -ENOMEM;
	n->test = idx;
	*ret = n;
	return 0;
}

struct vmods {
	bool seen[_VM_MAX];
	enum vmod_kind order[16];
	size_t n_order;
};

static int parse_mods(const char *const *mods, size_t n, struct vmods *m, struct rules_diag *d, unsigned line)
{
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < ELEMENTSOF(mod_unsupported); j++)
			if (strcmp(mods[i], mod_unsupported[j].name) == 0)
				return rules_diag_set(d, RULES_UNSUPPORTED, line, "%s", mod_unsupported[j].why);
		for (j = 0; j < ELEMENTSOF(mod_names); j++)
			if (strcmp(mods[i], mod_names[j].name) == 0)
				break;
		if (j == ELEMENTSOF(mod_names))
			return rules_diag_set(d, RULES_ERROR, line, "unknown modifier '%s'", mods[i]);
		if (m->seen[mod_names[j].kind])
			return rules_diag_set(d, RULES_ERROR, line, "modifier '%s' given twice", mods[i]);
		if (m->n_order == ELEMENTSOF(m->order))
			return rules_diag_set(d, RULES_ERROR, line, "too many modifiers");
		m->seen[mod_names[j].kind] = true;
		m->order[m->n_order++] = mod_names[j].kind;
	}
	return 0;
}

static int check_mods(const struct vmods *m, int field, struct rules_diag *d, unsigned line)
{
	static const enum vmod_kind string_mods[] = {VM_CONTAINS,     VM_STARTSWITH, VM_ENDSWITH, VM_WINDASH, VM_BASE64,
						     VM_BASE64OFFSET, VM_UTF16LE,    VM_UTF16BE,  VM_UTF16};
	int types = m->seen[VM_RE] + m->seen[VM_CIDR] + m->seen[VM_EXISTS] +
		    (m->seen[VM_LT] || m->seen[VM_LTE] || m->seen[VM_GT] || m->seen[VM_GTE]);

	if (m->seen[VM_LT] + m->seen[VM_LTE] + m->seen[VM_GT] + m->seen[VM_GTE] > 1 || types > 1)
		return rules_diag_set(d, RULES_ERROR, line,
				      "conflicting type modifiers (re, cidr, exists, lt/lte/gt/gte)");
	if ((m->seen[VM_RE_I] || m->seen[VM_RE_M] || m->seen[VM_RE_S]) && !m->seen[VM_RE])
		return rules_diag_set(d, RULES_ERROR, line, "modifiers i, m and s apply to re only");
	if (types == 1)
		for (size_t i = 0; i < ELEMENTSOF(string_mods); i++)
			if (m->seen[string_mods[i]])
				return rules_diag_set(d, RULES_ERROR, line,
						      "string modifiers (contains, startswith, endswith, windash, "
						      "base64, utf16) do not combine with re, cidr, exists or lt/gt");
	if (m->seen[VM_EXISTS] && (m->seen[VM_ALL] || m->seen[VM_NEQ] || m->seen[VM_CASED]))
		return rules_diag_set(d, RULES_ERROR, line, "exists takes no other modifier");
	if (field == RULES_FIELD_KEYWORD && types > 0 && !m->seen[VM_RE])
		return rules_diag_set(d, RULES_ERROR, line, "keywords (no field) take string modifiers and re only");
	return 0;
}

static bool plain_null(const struct rules_scalar *v)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	for (size_t i = 0; v->plain && i < ELEMENTSOF(nulls); i++)
		if (v->len == strlen(nulls[i]) && memcmp(v->text, nulls[i], v->len) == 0)
			return true;
	return false;
}

static int plain_bool(const struct rules_scalar *v)
{
	static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False", "FALSE"};

	for (size_t i = 0; v->plain && i < 3; i++) {
		if (v->len == strlen(t[i]) && memcmp(v->text, t[i], v->len) == 0)
			return 1;
		if (v->len == strlen(f[i]) && memcmp(v->text, f[i], v->len) == 0)
			return 0;
	}
	return -1;
}

/* re: checked with PCRE2 here, so that a bad regex is an error of its rule
 * with the offset; compiled for matching in rules-compile.c. */
static int regex_test(const struct vmods *m, int field, const struct rules_scalar *v, struct rtest *t,
		      struct rules_diag *d)
{
	uint32_t opts = (m->seen[VM_RE_I] ? PCRE2_CASELESS : 0) | (m->seen[VM_RE_M] ? PCRE2_MULTILINE : 0) |
			(m->seen[VM_RE_S] ? PCRE2_DOTALL : 0);
	PCRE2_SIZE off;
	int err;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)v->text, v->len, opts, &err, &off, NULL);

	if (!re) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(err, msg, sizeof(msg));
		return rules_diag_set(d, RULES_ERROR, v->line, "regex '%.*s' at offset %zu: %s", (int)MIN(v->len, 200),
				      v->text, (size_t)off, (char *)msg);
	}
	pcre2_code_free(re);
	if (memchr(v->text, '\0', v->len))
		return rules_diag_set(d, RULES_ERROR, v->line, "regex with a NUL byte");
	*t = (struct rtest){.kind = RT_REGEX, .field = field, .user_regex = true};
	t->hs_flags = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY | (m->seen[VM_RE_I] ? HS_FLAG_CASELESS : 0) |
		      (m->seen[VM_RE_M] ? HS_FLAG_MULTILINE : 0) | (m->seen[VM_RE_S] ? HS_FLAG_DOTALL : 0);
	t->expr = rules_strndup(v->text, v->len);
	return t->expr ? 0 : -ENOMEM;
}

static int number_test(const struct vmods *m, int field, const struct rules_scalar *v, struct rtest *t,
		       struct rules_diag *d)
{
	char buf[64], *end;
	double x;

	if (v->len == 0 || v->len >= sizeof(buf))
		return rules_diag_set(d, RULES_ERROR, v->line, "lt/lte/gt/gte need a number");
	memcpy(buf, v->text, v->len);
	buf[v->len] = '\0';
	errno = 0;
	x = strtod(buf, &end);
	if (errno || *end || end == buf)
		return rules_diag_set(d, RULES_ERROR, v->line, "lt/lte/gt/gte need a number, not '%s'", buf);
	*t = (struct rtest){.kind = RT_NUMBER, .field = field, .number = x};
	t->cmp = m->seen[VM_LT] ? RCMP_LT : m->seen[VM_LTE] ? RCMP_LTE : m->seen[VM_GT] ? RCMP_GT : RCMP_GTE;
	return 0;
}

static int cidr_test(int field, const struct rules_scalar *v, struct rtest *t, struct rules_diag *d)
{
	char buf[64];
	struct cidr c;

	if (v->len >= sizeof(buf))
		return rules_diag_set(d, RULES_ERROR, v->line, "cidr: not a network");
	memcpy(buf, v->text, v->len);
	buf[v->len] = '\0';
	if (cidr_parse(buf, &c) < 0)
		return rules_diag_set(d, RULES_ERROR, v->line, "cidr: '%s' is not an IPv4 or IPv6 network", buf);
	*t = (struct rtest){.kind = RT_CIDR, .field = field, .prefix = c.prefix};
	memcpy(t->addr, c.addr, sizeof(t->addr));
	return 0;
}

/* The alternatives one string value becomes, in order of the modifiers. */
static int value_alternatives(const struct vmods *m, int field, const struct rules_scalar *v, struct vpat **ret,
			      size_t *n_ret, struct rules_diag *d)
{
	struct vpat *alts = calloc(3, sizeof(*alts));
	size_t n = 1;
	int r;

	if (!alts)
		return -ENOMEM;
	r = vpat_from_sigma(&alts[0], v->text, v->len);
	if (field == RULES_FIELD_KEYWORD && !m->seen[VM_STARTSWITH] && !m->seen[VM_ENDSWITH] && r == 0)
		r = vpat_insert_front(&alts[0], VK_ANY) ?: vpat_push(&alts[0], 0, VK_ANY);
	for (size_t o = 0; o < m->n_order && r == 0; o++) {
		enum vmod_kind k = m->order[o];

		for (size_t a = 0; a < n && r == 0; a++) {
			struct vpat *p = &alts[a];

			if ((k == VM_BASE64 || k == VM_BASE64OFFSET) && !vpat_literal(p)) {
				r = rules_diag_set(d, RULES_ERROR, v->line, "base64 of a value with wildcards");
				break;
			}
			switch (k) {
			case VM_CONTAINS:
				if (p->n == 0 || p->k[0] != VK_ANY)
					r = vpat_insert_front(p, VK_ANY);
				if (r == 0 && p->k[p->n - 1] != VK_ANY)
					r = vpat_push(p, 0, VK_ANY);
				break;
			case VM_STARTSWITH:
				if (p->n == 0 || p->k[p->n - 1] != VK_ANY)
					r = vpat_push(p, 0, VK_ANY);
				break;
			case VM_ENDSWITH:
				if (p->n == 0 || p->k[0] != VK_ANY)
					r = vpat_insert_front(p, VK_ANY);
				break;
			case VM_WINDASH:
				vpat_windash(p);
				break;
			case VM_BASE64:
				r = vpat_base64(p);
				break;
			case VM_UTF16LE:
			case VM_UTF16BE:
			case VM_UTF16:
				r = vpat_utf16(p, k == VM_UTF16LE   ? VUTF16_LE
						  : k == VM_UTF16BE ? VUTF16_BE
								    : VUTF16_BOM);
				if (r == -EINVAL)
					r = rules_diag_set(d, RULES_ERROR, v->line, "utf16: the value is not UTF-8");
				break;
			default:
				break;
			}
		}
		if (k == VM_BASE64OFFSET && r == 0) {
			if (n != 1) {
				r = rules_diag_set(d, RULES_ERROR, v->line, "base64offset after another expansion");
				break;
			}
			struct vpat src = alts[0];

			alts[0] = (struct vpat){};
			for (int s = 0; s < 3 && r == 0; s++)
				r = vpat_base64_offset(&src, s, &alts[s]);
			vpat_done(&src);
			n = 3;
		}
	}
	if (r < 0) {
		for (size_t a = 0; a < 3; a++)
			vpat_done(&alts[a]);
		free(alts);
		return r;
	}
	*ret = alts;
	*n_ret = n;
	return 0;
}

/* One value -> a tree (an OR of its alternatives, or a single test). */
static int value_node(struct rule_ast *r, const struct vmods *m, int field, const struct rules_scalar *v,
		      struct rnode **ret, struct rules_diag *d)
{
	struct rtest t = {.field = field};
	struct vpat *alts = NULL;
	struct rnode * or = NULL;
	size_t n = 0;
	int e;

	if (m->seen[VM_RE]) {
		e = regex_test(m, field, v, &t, d);
		return e < 0 ? e : leaf(r, &t, ret, d, v->line);
	}
	if (m->seen[VM_CIDR]) {
		e = cidr_test(field, v, &t, d);
		return e < 0 ? e : leaf(r, &t, ret, d, v->line);
	}
	if (m->seen[VM_LT] || m->seen[VM_LTE] || m->seen[VM_GT] || m->seen[VM_GTE]) {
		e = number_test(m, field, v, &t, d);
		return e < 0 ? e : leaf(r, &t, ret, d, v->line);
	}
	e = value_alternatives(m, field, v, &alts, &n, d);
	if (e < 0)
		return e;
	or = n > 1 ? rnode_new(RN_OR) : NULL;
	if (n > 1 && ! or)
		e = -ENOMEM;
	for (size_t a = 0; a < n && e == 0; a++) {
		struct vpat *p = &alts[a];
		struct rnode *l = NULL;
		size_t any = 0;

		for (size_t i = 0; i < p->n; i++)
			any += p->k[i] == VK_ANY;
		if (p->n == 0)
			t = (struct rtest){.kind = RT_EMPTY, .field = field};
		else if (any == p->n)
			t = (struct rtest){.kind = RT_PRESENT, .field = field};
		else {
			t = (struct rtest){.kind = RT_PATTERN, .field = field};
			t.hs_flags = HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL | (m->seen[VM_CASED] ? 0 : HS_FLAG_CASELESS);
			t.expr = vpat_expr(p);
			if (!t.expr)
				e = -ENOMEM;
		}
		if (e == 0)
			e = leaf(r, &t, &l, d, v->line);
		if (e == 0 && or)
			e = rnode_add(or, l);
		else if (e == 0)
			*ret = l;
	}
	for (size_t a = 0; a < n; a++)
		vpat_done(&alts[a]);
	free(alts);
	if (e < 0) {
		rnode_free(or);
		return e;
	}
	if (or)
		*ret = or ;
	return 0;
}

int rules_value_tree(struct rule_ast *r, int field, const char *const *mods, size_t n_mods,
		     const struct rules_scalar *values, size_t n_values, unsigned line, struct rnode **ret,
		     struct rules_diag *d)
{
	struct vmods m = {};
	struct rnode *top = NULL;
	int e;

	e = parse_mods(mods, n_mods, &m, d, line);
	if (e < 0)
		return e;
	e = check_mods(&m, field, d, line);
	if (e < 0)
		return e;
	if (n_values == 0)
		return rules_diag_set(d, RULES_ERROR, line, "empty list of values");
	if (m.seen[VM_EXISTS]) {
		int b = n_values == 1 ? plain_bool(&values[0]) : -1;

		if (b < 0)
			return rules_diag_set(d, RULES_ERROR, line, "exists takes one value, true or false");
		return leaf(r, &(struct rtest){.kind = b ? RT_PRESENT : RT_NULL, .field = field}, ret, d, line);
	}
	/* neq: different from every value; all: every value; else any */
	top = rnode_new(m.seen[VM_NEQ] || m.seen[VM_ALL] ? RN_AND : RN_OR);
	if (!top)
		return -ENOMEM;
	if (m.seen[VM_NEQ]) {
		struct rnode *present = NULL;

		if (field == RULES_FIELD_KEYWORD)
			e = rules_diag_set(d, RULES_ERROR, line, "neq needs a field");
		else
			e = leaf(r, &(struct rtest){.kind = RT_PRESENT, .field = field}, &present, d, line);
		if (e == 0)
			e = rnode_add(top, present);
	}
	for (size_t i = 0; i < n_values && e == 0; i++) {
		struct rnode *v = NULL;

		if (plain_null(&values[i])) {
			if (n_mods > 0 || field == RULES_FIELD_KEYWORD)
				e = rules_diag_set(d, RULES_ERROR, values[i].line,
						   "null takes no modifier and needs a field");
			else
				e = leaf(r, &(struct rtest){.kind = RT_NULL, .field = field}, &v, d, values[i].line);
		} else {
			e = value_node(r, &m, field, &values[i], &v, d);
		}
		if (e == 0 && m.seen[VM_NEQ]) {
			struct rnode *not = rnode_new(RN_NOT);

			if (!not ) {
				rnode_free(v);
				e = -ENOMEM;
			} else {
				e = rnode_add(not, v);
				v = not ;
			}
		}
		if (e == 0)
			e = rnode_add(top, v);
	}
	return rnode_done(top, e, ret);
}
