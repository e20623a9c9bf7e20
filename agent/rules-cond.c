/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The condition of a Sigma rule -> a tree over the selections' trees.
 *
 *   expr   := and ("or" and)*
 *   and    := not ("and" not)*
 *   not    := "not" not | primary
 *   primary:= "(" expr ")" | ("1" | "any" | "all") "of" (pattern | "them") | name
 *
 * Keywords are case-insensitive; a pattern matches names with '*'; "them"
 * is every search identifier not starting with '_'.  An aggregation
 * ("| count() ...", Sigma 1's correlations) is unsupported.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules-internal.h"

struct rnode *rnode_new(enum rnode_type type)
{
	struct rnode *n = calloc(1, sizeof(*n));

	if (n)
		n->type = type;
	return n;
}

struct rnode *rnode_free(struct rnode *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n_kids; i++)
		rnode_free(n->kids[i]);
	free(n->kids);
	free(n);
	return NULL;
}

int rnode_done(struct rnode *n, int e, struct rnode **ret)
{
	if (e < 0) {
		rnode_free(n);
		return e;
	}
	*ret = n;
	return 0;
}

int rnode_add(struct rnode *parent, struct rnode *kid)
{
	if (!kid)
		return -ENOMEM;
	if (parent->n_kids == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct rnode **k = realloc(parent->kids, cap * sizeof(*k));

		if (!k) {
			rnode_free(kid);
			return -ENOMEM;
		}
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n_kids++] = kid;
	return 0;
}

static struct rnode *rnode_copy(const struct rnode *n)
{
	struct rnode *c = rnode_new(n->type);

	if (!c)
		return NULL;
	c->test = n->test;
	for (size_t i = 0; i < n->n_kids; i++)
		if (rnode_add(c, rnode_copy(n->kids[i])) < 0)
			return rnode_free(c);
	return c;
}

enum tok {
	T_END,
	T_LPAREN,
	T_RPAREN,
	T_AND,
	T_OR,
	T_NOT,
	T_OF,
	T_ONE, /* "1" or "any" */
	T_ALL,
	T_THEM,
	T_NAME,
	T_PIPE,
	T_BAD,
};

struct cparser {
	const char *s;
	size_t pos;
	enum tok tok;
	char name[128];
	unsigned line, depth;
	struct rules_selection *sels;
	size_t n_sels;
	struct rules_diag *d;
};

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '*' || c == '-' || c == '.' || c == '?';
}

static void next(struct cparser *p)
{
	static const struct {
		const char *word;
		enum tok tok;
	} words[] = {
	    {"and", T_AND}, {"or", T_OR},   {"not", T_NOT}, {"of", T_OF},
	    {"1", T_ONE},   {"any", T_ONE}, {"all", T_ALL}, {"them", T_THEM},
	};
	const char *s = p->s;
	size_t n = 0;

	while (isspace((unsigned char)s[p->pos]))
		p->pos++;
	switch (s[p->pos]) {
	case '\0':
		p->tok = T_END;
		return;
	case '(':
		p->pos++;
		p->tok = T_LPAREN;
		return;
	case ')':
		p->pos++;
		p->tok = T_RPAREN;
		return;
	case '|':
		p->tok = T_PIPE;
		return;
	}
	while (name_char(s[p->pos + n]))
		n++;
	if (n == 0 || n >= sizeof(p->name)) {
		p->tok = T_BAD;
		snprintf(p->name, sizeof(p->name), "%.20s", s + p->pos);
		return;
	}
	memcpy(p->name, s + p->pos, n);
	p->name[n] = '\0';
	p->pos += n;
	p->tok = T_NAME;
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strcasecmp(words[i].word, p->name) == 0)
			p->tok = words[i].tok;
}

static int fail(struct cparser *p, const char *what)
{
	return rules_diag_set(p->d, RULES_ERROR, p->line, "condition '%s': %s at column %zu", p->s, what, p->pos + 1);
}

static int parse_or(struct cparser *p, struct rnode **ret);

/* "1 of X*", "all of them" */
static int parse_quantified(struct cparser *p, struct rnode **ret)
{
	bool all = p->tok == T_ALL, them;
	struct rnode *n;
	size_t hits = 0;

	next(p);
	if (p->tok != T_OF)
		return fail(p, "expected 'of'");
	next(p);
	if (p->tok != T_NAME && p->tok != T_THEM)
		return fail(p, "expected a search identifier pattern or 'them' after 'of'");
	them = p->tok == T_THEM;
	n = rnode_new(all ? RN_AND : RN_OR);
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_sels; i++) {
		bool match = them ? p->sels[i].name[0] != '_' : fnmatch(p->name, p->sels[i].name, FNM_NOESCAPE) == 0;

		if (!match)
			continue;
		p->sels[i].used = true;
		if (rnode_add(n, rnode_copy(p->sels[i].tree)) < 0) {
			rnode_free(n);
			return -ENOMEM;
		}
		hits++;
	}
	if (hits == 0) {
		rnode_free(n);
		return rules_diag_set(p->d, RULES_ERROR, p->line, "condition '%s': '%s' matches no search identifier",
				      p->s, them ? "them" : p->name);
	}
	next(p);
	*ret = n;
	return 0;
}

static int parse_primary(struct cparser *p, struct rnode **ret)
{
	int r;

	switch (p->tok) {
	case T_LPAREN:
		if (++p->depth > RULES_TREE_DEPTH_MAX)
			return fail(p, "nested too deeply");
		next(p);
		r = parse_or(p, ret);
		if (r < 0)
			return r;
		if (p->tok != T_RPAREN) {
			*ret = rnode_free(*ret);
			return fail(p, "expected ')'");
		}
		p->depth--;
		next(p);
		return 0;
	case T_ONE:
	case T_ALL:
		return parse_quantified(p, ret);
	case T_NAME:
		for (size_t i = 0; i < p->n_sels; i++)
			if (strcmp(p->sels[i].name, p->name) == 0) {
				p->sels[i].used = true;
				*ret = rnode_copy(p->sels[i].tree);
				if (!*ret)
					return -ENOMEM;
				next(p);
				return 0;
			}
		if (strchr(p->name, '*'))
			return rules_diag_set(p->d, RULES_ERROR, p->line,
					      "condition '%s': pattern '%s' needs '1 of' or 'all of'", p->s, p->name);
		return rules_diag_set(p->d, RULES_ERROR, p->line, "condition '%s': '%s' is not a search identifier",
				      p->s, p->name);
	case T_PIPE:
		return rules_diag_set(p->d, RULES_UNSUPPORTED, p->line,
				      "aggregations in the condition ('| count() ...') are not supported");
	case T_END:
		return fail(p, "unexpected end");
	default:
		return fail(p, "unexpected token");
	}
}

static int parse_not(struct cparser *p, struct rnode **ret)
{
	struct rnode *n, *kid = NULL;
	int r;

	if (p->tok != T_NOT)
		return parse_primary(p, ret);
	if (++p->depth > RULES_TREE_DEPTH_MAX)
		return fail(p, "nested too deeply");
	next(p);
	r = parse_not(p, &kid);
	p->depth--;
	if (r < 0)
		return r;
	n = rnode_new(RN_NOT);
	if (!n || rnode_add(n, kid) < 0) {
		if (!n)
			rnode_free(kid);
		rnode_free(n);
		return -ENOMEM;
	}
	*ret = n;
	return 0;
}

/* left-assoc chain of one operator, flattened into one node */
static int parse_chain(struct cparser *p, struct rnode **ret, enum tok op, enum rnode_type type,
		       int (*sub)(struct cparser *, struct rnode **))
{
	struct rnode *first = NULL, *n;
	int r = sub(p, &first);

	if (r < 0)
		return r;
	if (p->tok != op) {
		*ret = first;
		return 0;
	}
	n = rnode_new(type);
	if (!n || rnode_add(n, first) < 0) {
		if (!n)
			rnode_free(first);
		rnode_free(n);
		return -ENOMEM;
	}
	while (p->tok == op) {
		struct rnode *kid = NULL;

		next(p);
		r = sub(p, &kid);
		if (r == 0)
			r = rnode_add(n, kid);
		if (r < 0) {
			rnode_free(n);
			return r;
		}
	}
	*ret = n;
	return 0;
}

static int parse_and(struct cparser *p, struct rnode **ret)
{
	return parse_chain(p, ret, T_AND, RN_AND, parse_not);
}

static int parse_or(struct cparser *p, struct rnode **ret)
{
	return parse_chain(p, ret, T_OR, RN_OR, parse_and);
}

int rules_condition_parse(const char *text, unsigned line, struct rules_selection *sels, size_t n_sels,
			  struct rnode **ret, struct rules_diag *d)
{
	struct cparser p = {.s = text, .line = line, .sels = sels, .n_sels = n_sels, .d = d};
	struct rnode *n = NULL;
	int r;

	next(&p);
	if (p.tok == T_END)
		return rules_diag_set(d, RULES_ERROR, line, "empty condition");
	r = parse_or(&p, &n);
	if (r < 0)
		return r;
	if (p.tok == T_PIPE) {
		rnode_free(n);
		return rules_diag_set(d, RULES_UNSUPPORTED, line,
				      "aggregations in the condition ('| count() ...') are not supported");
	}
	if (p.tok != T_END) {
		rnode_free(n);
		return fail(&p, p.tok == T_BAD ? "unexpected character" : "unexpected token");
	}
	*ret = n;
	return 0;
}
