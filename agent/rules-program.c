/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rules' trees -> programs (enum rop in rules-internal.h), and what the
 * compiler decides from them: which rules must run on every record (they
 * can fire with none of their bits set), which regexes can wait for a
 * rule's other conjuncts, and which conjuncts leave the fields' databases
 * for their own (deferred ors, ROP_LAZY).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>

#include "rules-internal.h"

/* ---- programs ---- */

struct emitter {
	struct rinsn *code;
	size_t n, cap;
	const uint32_t *ids; /* rule-local test -> engine test */
	struct rules_engine *e;
	const struct rule_prog *p; /* its deferred ors */
	bool groups;		   /* the databases are final: long ors of bits become groups */
	bool oom;
};

static size_t emit(struct emitter *em, enum rop op, uint32_t arg)
{
	if (em->n == em->cap) {
		size_t cap = em->cap ? em->cap * 2 : 16;
		struct rinsn *c = cap < RULES_CODE_MAX ? realloc(em->code, cap * sizeof(*c)) : NULL;

		if (!c) {
			em->oom = true;
			return 0;
		}
		em->code = c;
		em->cap = cap;
	}
	em->code[em->n] = (struct rinsn){.op = op, .arg = arg};
	return em->n++;
}

/* An or whose kids are all patterns: one group, checked against the few
 * bits a record sets instead of bit by bit. */
static bool emit_group(struct emitter *em, const struct rnode *n)
{
	struct rules_engine *e = em->e;
	uint64_t *g;

	if (!em->groups || n->n_kids < RULES_GROUP_MIN)
		return false;
	for (size_t i = 0; i < n->n_kids; i++)
		if (n->kids[i]->type != RN_TEST || e->tests[em->ids[n->kids[i]->test]].kind != RT_PATTERN)
			return false;
	g = realloc(e->groups, (e->n_groups + 1) * e->group_words * sizeof(*g));
	if (!g) {
		em->oom = true;
		return true;
	}
	e->groups = g;
	g += e->n_groups * e->group_words;
	memset(g, 0, e->group_words * sizeof(*g));
	for (size_t i = 0; i < n->n_kids; i++) {
		uint32_t id = em->ids[n->kids[i]->test];

		g[id >> 6] |= 1ULL << (id & 63);
	}
	emit(em, ROP_ANYBIT, (uint32_t)e->n_groups++);
	return true;
}

static void emit_node(struct emitter *em, const struct rnode *n, unsigned depth)
{
	size_t *fix;

	if (em->oom || depth > RULES_TREE_DEPTH_MAX * 4) {
		em->oom = true;
		return;
	}
	for (uint32_t i = 0; n->type == RN_TEST && em->groups && em->p && i < em->p->n_lazy; i++)
		if (em->p->lazy_nodes[i] == n) {
			emit(em, ROP_LAZY, em->p->lazy[i]);
			return;
		}
	switch (n->type) {
	case RN_TEST: {
		uint32_t id = em->ids[n->test];

		emit(em, em->e->tests[id].kind == RT_PATTERN ? ROP_BIT : ROP_TEST, id);
		return;
	}
	case RN_TRUE:
	case RN_FALSE:
		emit(em, ROP_CONST, n->type == RN_TRUE);
		return;
	case RN_NOT:
		emit_node(em, n->kids[0], depth + 1);
		emit(em, ROP_NOT, 0);
		return;
	case RN_AND:
	case RN_OR:
		for (uint32_t i = 0; em->groups && em->p && i < em->p->n_lazy; i++)
			if (em->p->lazy_nodes[i] == n) {
				emit(em, ROP_LAZY, em->p->lazy[i]);
				return;
			}
		if (n->type == RN_OR && emit_group(em, n))
			return;
		if (n->n_kids == 0) {
			emit(em, ROP_CONST, n->type == RN_AND);
			return;
		}
		/* kid; jump to the end when decided; kid; ...; the last kid */
		fix = calloc(n->n_kids, sizeof(*fix));
		if (!fix) {
			em->oom = true;
			return;
		}
		for (size_t i = 0; i < n->n_kids; i++) {
			emit_node(em, n->kids[i], depth + 1);
			if (i + 1 < n->n_kids)
				fix[i] = emit(em, n->type == RN_AND ? ROP_JF : ROP_JT, 0);
		}
		for (size_t i = 0; i + 1 < n->n_kids && !em->oom; i++)
			em->code[fix[i]].arg = (uint32_t)em->n;
		free(fix);
		return;
	}
}

/* ---- which rules run on every record ---- */

bool rules_has_bit(const struct etest *t)
{
	return t->kind == RT_PATTERN || (t->kind == RT_REGEX && t->gated);
}

#define FREE_MAX 10 /* tests whose values are tried exhaustively */

/* The program's result with every bit clear and the free tests (those a
 * bit does not decide) set as in mask. */
static bool run_without_bits(const struct rule_prog *p, const uint32_t *free, unsigned n_free, unsigned mask)
{
	bool acc = false;

	for (uint32_t pc = 0; pc < p->n_code;) {
		const struct rinsn *in = &p->code[pc];

		switch (in->op) {
		case ROP_ANYBIT: /* patterns only */
			acc = false;
			break;
		case ROP_LAZY: /* the free values past n_free - lazy */
			acc = false;
			for (unsigned i = 0; i < n_free; i++)
				if (free[i] == UINT32_MAX - in->arg)
					acc = mask & (1u << i);
			break;
		case ROP_BIT:
		case ROP_TEST:
			acc = false;
			for (unsigned i = 0; i < n_free; i++)
				if (free[i] == in->arg)
					acc = mask & (1u << i);
			break;
		case ROP_NOT:
			acc = !acc;
			break;
		case ROP_CONST:
			acc = in->arg;
			break;
		case ROP_JF:
			if (!acc) {
				pc = in->arg;
				continue;
			}
			break;
		case ROP_JT:
			if (acc) {
				pc = in->arg;
				continue;
			}
			break;
		}
		pc++;
	}
	return acc;
}

/* Can the rule fire on a record where none of its bits is set?  Then it
 * must run on every record of its category; otherwise only when a bit
 * names it.  Tests without a bit (null, numbers, CIDR, PCRE2, and `extra`,
 * a test under consideration) may be anything: every combination is
 * tried. */
bool rules_fires_without_bits(const struct rules_engine *e, const struct rule_prog *p, uint32_t extra)
{
	uint32_t free[FREE_MAX];
	unsigned n = 0;

	for (uint32_t i = 0; i < p->n_lazy; i++) {
		if (n == FREE_MAX)
			return true;
		free[n++] = UINT32_MAX - p->lazy[i]; /* a deferred or may be anything */
	}
	for (uint32_t i = 0; i < p->n_tests; i++) {
		uint32_t t = p->tests[i];

		if (rules_has_bit(&e->tests[t]) && t != extra)
			continue;
		if (n == FREE_MAX)
			return true; /* too many to try: assume so */
		free[n++] = t;
	}
	for (unsigned mask = 0; mask < (1u << n); mask++)
		if (run_without_bits(p, free, n, mask))
			return true;
	return false;
}

/* A regex that Hyperscan runs (exactly or as a prefilter) costs every
 * record a scan of its field, regexes with bounded repeats far more than
 * literals.  When no rule using it can fire without a bit of its own, the
 * regex is only needed on records a literal of the rule already matched:
 * then PCRE2 runs it there, on demand, and Hyperscan never sees it. */
void rules_defer_regexes(struct rules_engine *e)
{
	for (size_t t = 0; t < e->n_tests; t++) {
		struct etest *x = &e->tests[t];
		bool defer = x->user_regex && (x->kind == RT_PATTERN || (x->kind == RT_REGEX && x->gated));

		for (size_t r = 0; defer && r < e->n_rules; r++)
			for (uint32_t i = 0; defer && i < e->rules[r].n_tests; i++)
				if (e->rules[r].tests[i] == t && rules_fires_without_bits(e, &e->rules[r], (uint32_t)t))
					defer = false;
		if (defer) {
			x->kind = RT_REGEX;
			x->gated = false;
			x->hs_flags &= ~HS_FLAG_PREFILTER;
		}
	}
}

/* ---- deferred ors ---- */

/* Is n false whenever none of the rule's bits is set? */
static bool needs_bit(const struct rules_engine *e, const uint32_t *ids, const struct rnode *n)
{
	switch (n->type) {
	case RN_TEST:
		return e->tests[ids[n->test]].kind == RT_PATTERN ||
		       (e->tests[ids[n->test]].kind == RT_REGEX && e->tests[ids[n->test]].gated);
	case RN_AND:
		for (size_t i = 0; i < n->n_kids; i++)
			if (needs_bit(e, ids, n->kids[i]))
				return true;
		return false;
	case RN_OR:
		for (size_t i = 0; i < n->n_kids; i++)
			if (!needs_bit(e, ids, n->kids[i]))
				return false;
		return n->n_kids > 0;
	case RN_FALSE:
		return true;
	default:
		return false;
	}
}

/* A conjunct made of patterns of one field only: one pattern, an or of
 * them (a list), or an and of them (|all). */
static bool lazy_candidate(const struct rules_engine *e, const uint32_t *ids, const struct rnode *n)
{
	const struct etest *first;
	size_t k = n->type == RN_TEST ? 1 : n->n_kids;

	if ((n->type != RN_OR && n->type != RN_AND && n->type != RN_TEST) || k == 0 || (n->type == RN_AND && k > 256))
		return false; /* 256: what the |all scan counts (rules-eval.c) */
	for (size_t i = 0; i < k; i++) {
		const struct rnode *kid = n->type == RN_TEST ? n : n->kids[i];
		const struct etest *t;

		if (kid->type != RN_TEST)
			return false;
		t = &e->tests[ids[kid->test]];
		first = i == 0 ? t : first;
		if (t->kind != RT_PATTERN || t->field == RULES_FIELD_KEYWORD || t->field != first->field ||
		    t->folded != first->folded)
			return false;
	}
	return true;
}

/* What it costs the fields' databases to keep a conjunct as the rule's
 * anchor, the one that selects its records: cheap fields (short, matched
 * by few rules) and long literals first; the command lines last. */
static unsigned anchor_cost(const struct rules_engine *e, const uint32_t *ids, const struct rnode *n)
{
	static const unsigned field_cost[_RF_MAX] = {
	    [RF_COMMAND_LINE] = 3,
	    [RF_PARENT_COMMAND_LINE] = 2,
	    [RF_INITIATED] = 2,
	    [RF_TARGET_FILENAME] = 1,
	};
	size_t shortest = SIZE_MAX, k = n->type == RN_TEST ? 1 : n->n_kids;
	int field;

	if (!lazy_candidate(e, ids, n))
		return 4000;
	field = e->tests[ids[(n->type == RN_TEST ? n : n->kids[0])->test]].field;
	for (size_t i = 0; i < k; i++)
		shortest = MIN(shortest, strlen(e->tests[ids[(n->type == RN_TEST ? n : n->kids[i])->test]].expr));
	return field_cost[field] * 1000 + (shortest < 999 ? 999 - (unsigned)shortest : 0);
}

static void conjuncts(const struct rnode *n, const struct rnode **out, size_t *k, size_t max)
{
	if (n->type == RN_AND) {
		for (size_t i = 0; i < n->n_kids; i++)
			conjuncts(n->kids[i], out, k, max);
	} else if (*k < max) {
		out[(*k)++] = n;
	}
}

/* The conjuncts of a rule's condition deferred to their own databases:
 * every one made of patterns of one field, but the anchor, the cheapest
 * conjunct that needs a bit, which keeps selecting the records the rule
 * runs on. */
static int plan_rule(struct rules_engine *e, struct rule_ast *r, struct rule_prog *p)
{
	const struct rnode *c[256];
	size_t k = 0, anchor = SIZE_MAX;
	unsigned best = UINT_MAX;

	conjuncts(r->root, c, &k, ELEMENTSOF(c));
	for (size_t i = 0; i < k; i++) {
		unsigned cost;

		if (!needs_bit(e, p->ids, c[i]))
			continue;
		cost = anchor_cost(e, p->ids, c[i]);
		if (cost < best) {
			best = cost;
			anchor = i;
		}
	}
	if (anchor == SIZE_MAX)
		return 0;
	for (size_t i = 0; i < k; i++) {
		const struct etest *t;
		struct rlazy *l;
		void *np;

		if (i == anchor || !lazy_candidate(e, p->ids, c[i]))
			continue;
		t = &e->tests[p->ids[(c[i]->type == RN_TEST ? c[i] : c[i]->kids[0])->test]];
		l = realloc(e->lazy, (e->n_lazy + 1) * sizeof(*l));
		if (!l)
			return -ENOMEM;
		e->lazy = l;
		e->lazy[e->n_lazy] = (struct rlazy){
		    .field = t->field, .folded = t->folded, .all = c[i]->type == RN_AND ? (uint32_t)c[i]->n_kids : 0};
		np = realloc(p->lazy_nodes, (p->n_lazy + 1) * sizeof(*p->lazy_nodes));
		if (!np)
			return -ENOMEM;
		p->lazy_nodes = np;
		np = realloc(p->lazy, (p->n_lazy + 1) * sizeof(*p->lazy));
		if (!np)
			return -ENOMEM;
		p->lazy = np;
		p->lazy_nodes[p->n_lazy] = c[i];
		p->lazy[p->n_lazy++] = (uint32_t)e->n_lazy++;
	}
	return 0;
}

static void count_refs(const struct rule_prog *p, const uint32_t *ids, const struct rnode *n, uint32_t *refs)
{
	for (uint32_t i = 0; i < p->n_lazy; i++)
		if (p->lazy_nodes[i] == n)
			return; /* under a deferred or: not in the field's database */
	if (n->type == RN_TEST)
		refs[ids[n->test]]++;
	for (size_t i = 0; i < n->n_kids; i++)
		count_refs(p, ids, n->kids[i], refs);
}

/* The literal of one of our expressions ("^", word bytes and \xHH, "\z"),
 * or -EINVAL when it has wildcards. */
int rules_plan_lazy(struct rules_engine *e, struct rule_ast *rules)
{
	_cleanup_free_ uint32_t *refs = calloc(e->n_tests + 1, sizeof(*refs));
	int r = 0;

	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_rules && r == 0; i++)
		r = plan_rule(e, &rules[i], &e->rules[i]);
	for (size_t i = 0; i < e->n_rules && r == 0; i++)
		count_refs(&e->rules[i], e->rules[i].ids, rules[i].root, refs);
	for (size_t t = 0; t < e->n_tests && r == 0; t++)
		if (refs[t] == 0 && e->tests[t].kind == RT_PATTERN)
			e->tests[t].kind = RT_LAZY; /* no rule needs its bit */
	return r;
}

int rules_emit(struct rules_engine *e, struct rule_prog *p, const struct rnode *root, bool final)
{
	struct emitter em = {.ids = p->ids, .e = e, .p = final ? p : NULL, .groups = final};

	emit_node(&em, root, 0);
	if (em.oom) {
		free(em.code);
		return -ENOMEM;
	}
	free(p->code);
	p->code = em.code;
	p->n_code = (uint32_t)em.n;
	return 0;
}
