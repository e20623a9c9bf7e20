/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsed rules -> one engine.  Tests are deduplicated across rules; every
 * string test of one field of one category goes into one Hyperscan
 * database (block mode, one match per pattern per scan), the test's index
 * being its id and its bit in the match bitset.  A regex Hyperscan cannot
 * run exactly is compiled as a prefilter there (HS_FLAG_PREFILTER) and
 * confirmed with PCRE2 when its bit is set; one it cannot approximate
 * either runs in PCRE2 alone.  Each rule's tree becomes a short program
 * (rules-program.c) with jumps that short-circuit and/or.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules-internal.h"

/* ---- deduplication of tests ---- */

struct interner {
	uint32_t *slots; /* test id + 1, 0 = empty */
	size_t cap;
	size_t cap_tests; /* of the engine's tests array */
};

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t test_hash(const struct etest *t)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv(&t->kind, sizeof(t->kind), h);
	h = fnv(&t->field, sizeof(t->field), h);
	h = fnv(&t->category, sizeof(t->category), h);
	h = fnv(&t->hs_flags, sizeof(t->hs_flags), h);
	h = fnv(&t->cmp, sizeof(t->cmp), h);
	h = fnv(&t->number, sizeof(t->number), h);
	h = fnv(t->addr, sizeof(t->addr), h);
	h = fnv(&t->prefix, sizeof(t->prefix), h);
	if (t->expr)
		h = fnv(t->expr, strlen(t->expr), h);
	return h;
}

static bool test_equal(const struct etest *a, const struct etest *b)
{
	return a->kind == b->kind && a->field == b->field && a->category == b->category && a->hs_flags == b->hs_flags &&
	       a->cmp == b->cmp && a->number == b->number && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 &&
	       a->prefix == b->prefix && a->user_regex == b->user_regex && a->folded == b->folded &&
	       (a->expr == b->expr || (a->expr && b->expr && strcmp(a->expr, b->expr) == 0));
}

/* The id of t in e (t's expr is taken either way). */
static int intern(struct rules_engine *e, struct interner *in, struct etest *t, uint32_t *id)
{
	if (in->cap == 0 || (e->n_tests + 1) * 2 > in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 1024;
		uint32_t *s = calloc(cap, sizeof(*s));

		if (!s) {
			free(t->expr);
			return -ENOMEM;
		}
		for (size_t i = 0; i < e->n_tests; i++) {
			size_t h = test_hash(&e->tests[i]) & (cap - 1);

			while (s[h])
				h = (h + 1) & (cap - 1);
			s[h] = (uint32_t)i + 1;
		}
		free(in->slots);
		in->slots = s;
		in->cap = cap;
	}
	for (size_t h = test_hash(t) & (in->cap - 1);; h = (h + 1) & (in->cap - 1)) {
		if (!in->slots[h]) {
			if (e->n_tests + 1 >= RULES_CODE_MAX) {
				free(t->expr);
				return -E2BIG;
			}
			if (e->n_tests == in->cap_tests) {
				size_t cap = MAX(in->cap_tests * 2, 64);
				struct etest *n = realloc(e->tests, cap * sizeof(*n));

				if (!n) {
					free(t->expr);
					return -ENOMEM;
				}
				e->tests = n;
				in->cap_tests = cap;
			}
			e->tests[e->n_tests] = *t;
			in->slots[h] = (uint32_t)e->n_tests + 1;
			*id = (uint32_t)e->n_tests++;
			return 0;
		}
		if (test_equal(&e->tests[in->slots[h] - 1], t)) {
			free(t->expr);
			*id = in->slots[h] - 1;
			return 0;
		}
	}
}

/* ---- Hyperscan databases ---- */

static void hs_error(hs_compile_error_t *err)
{
	if (err)
		hs_free_compile_error(err);
}

/* Can Hyperscan run this regex exactly, or as a prefilter? */
static void classify_user_regex(struct etest *t)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *err = NULL;

	if (hs_expression_info(t->expr, t->hs_flags, &info, &err) == HS_SUCCESS) {
		free(info);
		t->kind = RT_PATTERN;
		return;
	}
	hs_error(err);
	err = NULL;
	if (hs_expression_info(t->expr, t->hs_flags | HS_FLAG_PREFILTER, &info, &err) == HS_SUCCESS) {
		free(info);
		t->kind = RT_REGEX;
		t->gated = true;
		t->hs_flags |= HS_FLAG_PREFILTER;
		return;
	}
	hs_error(err);
	t->kind = RT_REGEX;
	t->gated = false;
}

/* One database for the tests of (category, field, which) that have a bit. */
static int compile_db(struct rules_engine *e, int cat, int field, int which)
{
	size_t n = 0;
	_cleanup_free_ const char **exprs = calloc(e->n_tests + 1, sizeof(char *));
	_cleanup_free_ unsigned *flags = calloc(e->n_tests + 1, sizeof(unsigned));
	_cleanup_free_ unsigned *ids = calloc(e->n_tests + 1, sizeof(unsigned));
	hs_database_t *db = NULL;

	if (!exprs || !flags || !ids)
		return -ENOMEM;
	for (;;) {
		hs_compile_error_t *err = NULL;
		struct etest *bad;

		n = 0;
		for (size_t i = 0; i < e->n_tests; i++) {
			struct etest *t = &e->tests[i];

			if (t->category != cat || t->field != field || !t->expr || t->folded != (which == RDB_FOLDED))
				continue;
			if (t->kind != RT_PATTERN && !(t->kind == RT_REGEX && t->gated))
				continue;
			exprs[n] = t->expr;
			flags[n] = t->hs_flags;
			ids[n++] = (unsigned)i;
		}
		if (n == 0)
			return 0;
		if (hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &db, &err) == HS_SUCCESS)
			break;
		if (!err || err->expression < 0) {
			hs_error(err);
			return -ENOTSUP; /* the database as a whole: resources */
		}
		/* one expression Hyperscan refuses: a prefilter, else PCRE2 alone */
		bad = &e->tests[ids[err->expression]];
		hs_error(err);
		if (bad->kind == RT_PATTERN) {
			bad->kind = RT_REGEX;
			bad->gated = true;
			bad->hs_flags |= HS_FLAG_PREFILTER;
		} else {
			bad->gated = false;
		}
	}
	e->cat[cat].db[field][which] = db;
	if (hs_alloc_scratch(db, (hs_scratch_t **)&e->scratch) != HS_SUCCESS)
		return -ENOMEM;
	{
		size_t sz = 0;

		if (hs_database_size(db, &sz) == HS_SUCCESS)
			e->bytes += sz;
	}
	return 0;
}

static int compile_pcre(struct etest *t)
{
	uint32_t opts = (t->hs_flags & HS_FLAG_CASELESS || t->folded ? PCRE2_CASELESS : 0) |
			(t->hs_flags & HS_FLAG_MULTILINE ? PCRE2_MULTILINE : 0) |
			(t->hs_flags & HS_FLAG_DOTALL ? PCRE2_DOTALL : 0);
	PCRE2_SIZE off;
	int err;

	t->re = pcre2_compile((PCRE2_SPTR)t->expr, PCRE2_ZERO_TERMINATED, opts, &err, &off, NULL);
	if (!t->re)
		return -EINVAL;			      /* checked when parsed; only memory can fail here */
	pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE); /* the interpreter when JIT is unavailable */
	return 0;
}

static int compile_rule(struct rules_engine *e, struct interner *in, struct rule_ast *r, struct rule_prog *p)
{
	_cleanup_free_ uint32_t *ids = calloc(r->n_tests + 1, sizeof(*ids));
	int ret;

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_tests; i++) {
		struct rtest *rt = &r->tests[i];
		struct etest t = {.kind = rt->kind,
				  .field = rt->field,
				  .category = r->info.category,
				  .cmp = rt->cmp,
				  .number = rt->number,
				  .prefix = rt->prefix,
				  .expr = rt->expr,
				  .hs_flags = rt->hs_flags,
				  .user_regex = rt->user_regex};

		memcpy(t.addr, rt->addr, sizeof(t.addr));
		rt->expr = NULL;
		if (t.user_regex) {
			classify_user_regex(&t);
		} else if (t.expr && (t.hs_flags & HS_FLAG_CASELESS)) {
			/* our expressions have letters only as themselves (other
			 * bytes are \xHH, never an upper-case escape) */
			for (char *c = t.expr; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			t.hs_flags &= ~HS_FLAG_CASELESS;
			t.folded = true;
		}
		ret = intern(e, in, &t, &ids[i]);
		if (ret < 0)
			return ret;
	}
	p->ids = TAKE_PTR(ids);
	ret = rules_emit(e, p, r->root, false);
	if (ret < 0)
		return ret;
	p->tests = calloc(r->n_tests + 1, sizeof(*p->tests));
	if (!p->tests)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_tests; i++) {
		bool dup = false;

		for (uint32_t j = 0; j < p->n_tests && !dup; j++)
			dup = p->tests[j] == p->ids[i];
		if (!dup)
			p->tests[p->n_tests++] = p->ids[i];
	}
	p->info = r->info;
	r->info = (struct rules_rule){};
	return 0;
}

/* test -> rules reading its bit, as offsets into one array */
static int build_touch(struct rules_engine *e)
{
	size_t total = 0;

	e->touch_off = calloc(e->n_tests + 1, sizeof(*e->touch_off));
	if (!e->touch_off)
		return -ENOMEM;
	for (size_t r = 0; r < e->n_rules; r++)
		for (uint32_t i = 0; i < e->rules[r].n_tests; i++)
			if (rules_has_bit(&e->tests[e->rules[r].tests[i]])) {
				e->touch_off[e->rules[r].tests[i] + 1]++;
				total++;
			}
	for (size_t t = 0; t < e->n_tests; t++)
		e->touch_off[t + 1] += e->touch_off[t];
	e->touch = calloc(total + 1, sizeof(*e->touch));
	if (!e->touch)
		return -ENOMEM;
	_cleanup_free_ uint32_t *fill = calloc(e->n_tests + 1, sizeof(*fill));
	if (!fill)
		return -ENOMEM;
	for (size_t r = 0; r < e->n_rules; r++)
		for (uint32_t i = 0; i < e->rules[r].n_tests; i++) {
			uint32_t t = e->rules[r].tests[i];

			if (rules_has_bit(&e->tests[t]))
				e->touch[e->touch_off[t] + fill[t]++] = (uint32_t)r;
		}
	return 0;
}

static int build_state(struct rules_engine *e)
{
	e->bits = calloc(e->n_tests / 64 + 1, sizeof(uint64_t));
	e->set = calloc(e->n_tests + 1, sizeof(uint32_t));
	e->mark = calloc(e->n_rules + 1, 1);
	e->cand = calloc(e->n_rules + 1, sizeof(uint32_t));
	e->cache = malloc(e->n_tests + 1);
	e->cached = calloc(e->n_tests + 1, sizeof(uint32_t));
	if (!e->bits || !e->set || !e->mark || !e->cand || !e->cache || !e->cached)
		return -ENOMEM;
	memset(e->cache, -1, e->n_tests + 1);
	e->lazy_cache = malloc(e->n_lazy + 1);
	e->lazy_done = calloc(e->n_lazy + 1, sizeof(*e->lazy_done));
	if (!e->lazy_cache || !e->lazy_done)
		return -ENOMEM;
	memset(e->lazy_cache, -1, e->n_lazy + 1);
	e->md = pcre2_match_data_create(1, NULL);
	if (!e->md)
		return -ENOMEM;
	for (size_t r = 0; r < e->n_rules; r++) {
		struct rcat *c = &e->cat[e->rules[r].info.category];

		c->n_rules++;
		if (!e->rules[r].always)
			continue;
		uint32_t *a = realloc(c->always, (c->n_always + 1) * sizeof(*a));

		if (!a)
			return -ENOMEM;
		c->always = a;
		c->always[c->n_always++] = (uint32_t)r;
	}
	return 0;
}

static int expr_literal(struct etest *t)
{
	const char *x = t->expr;
	size_t n = strlen(x), o = 0;
	bool start = false, end = false;
	char *lit;

	if (n && x[0] == '^')
		start = true, x++, n--;
	if (n >= 2 && x[n - 2] == '\\' && x[n - 1] == 'z')
		end = true, n -= 2;
	lit = malloc(n + 1);
	if (!lit)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (x[i] == '\\' && i + 3 < n + 1 && x[i + 1] == 'x' && sscanf(x + i + 2, "%2x", &v) == 1) {
			lit[o++] = (char)v;
			i += 3;
		} else if ((x[i] >= 'a' && x[i] <= 'z') || (x[i] >= 'A' && x[i] <= 'Z') ||
			   (x[i] >= '0' && x[i] <= '9') || x[i] == '_') {
			lit[o++] = x[i];
		} else {
			free(lit);
			return -EINVAL;
		}
	}
	lit[o] = '\0';
	t->lit = lit;
	t->lit_len = (uint32_t)o;
	t->lit_anchor = start && end ? LIT_EQUALS : start ? LIT_STARTS : end ? LIT_ENDS : LIT_CONTAINS;
	return 0;
}

static int lazy_compile(struct rules_engine *e, const struct rule_prog *p, uint32_t which)
{
	const struct rnode *n = NULL;
	struct rlazy *l = &e->lazy[p->lazy[which]];
	_cleanup_free_ const char **exprs = NULL;
	_cleanup_free_ unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *err = NULL;
	size_t sz = 0;

	size_t k;
	bool literal = true;

	n = p->lazy_nodes[which];
	k = n->type == RN_TEST ? 1 : n->n_kids;
	/* a few literals: compared directly, a Hyperscan database per group
	 * would cost more to build and to start than the comparisons */
	for (size_t i = 0; i < k && literal; i++) {
		struct etest *t = &e->tests[p->ids[(n->type == RN_TEST ? n : n->kids[i])->test]];
		int r = t->lit ? 0 : t->user_regex || !t->folded ? -EINVAL : expr_literal(t);

		if (r == -ENOMEM)
			return r;
		literal = r == 0;
	}
	if (literal && k < RULES_GROUP_MIN) {
		l->tests = calloc(k, sizeof(*l->tests));
		if (!l->tests)
			return -ENOMEM;
		for (size_t i = 0; i < k; i++)
			l->tests[l->n_tests++] = p->ids[(n->type == RN_TEST ? n : n->kids[i])->test];
		return 0;
	}
	exprs = calloc(k, sizeof(*exprs));
	flags = calloc(k, sizeof(*flags));
	ids = calloc(k, sizeof(*ids));
	if (!exprs || !flags || !ids)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		const struct etest *t = &e->tests[p->ids[(n->type == RN_TEST ? n : n->kids[i])->test]];

		exprs[i] = t->expr;
		flags[i] = t->hs_flags | HS_FLAG_SINGLEMATCH;
		ids[i] = (unsigned)i;
	}
	if (hs_compile_multi(exprs, flags, ids, (unsigned)k, HS_MODE_BLOCK, NULL, (hs_database_t **)&l->db, &err) !=
	    HS_SUCCESS) {
		hs_error(err);
		return -ENOTSUP;
	}
	if (hs_alloc_scratch(l->db, (hs_scratch_t **)&e->scratch) != HS_SUCCESS)
		return -ENOMEM;
	if (hs_database_size(l->db, &sz) == HS_SUCCESS)
		e->bytes += sz;
	return 0;
}

/* Deferred ors out of the fields' databases into their own. */
static int compile_all(struct rules_engine *e, struct rule_ast *rules, size_t n)
{
	struct interner in = {};
	int r = 0;

	e->rules = calloc(n + 1, sizeof(*e->rules));
	if (!e->rules)
		return -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		r = compile_rule(e, &in, &rules[i], &e->rules[e->n_rules]);
		if (r == 0)
			e->n_rules++;
	}
	free(in.slots);
	if (r == 0)
		rules_defer_regexes(e);
	if (r == 0)
		r = rules_plan_lazy(e, rules);
	for (int c = 0; c < _RULES_CAT_MAX && r == 0; c++)
		for (int f = 0; f <= _RF_MAX && r == 0; f++)
			for (int w = 0; w < _RDB_MAX && r == 0; w++)
				r = compile_db(e, c, f, w);
	for (size_t i = 0; i < e->n_rules && r == 0; i++)
		for (uint32_t g = 0; g < e->rules[i].n_lazy && r == 0; g++)
			r = lazy_compile(e, &e->rules[i], g);
	for (size_t i = 0; i < e->n_tests && r == 0; i++)
		if (e->tests[i].kind == RT_REGEX)
			r = compile_pcre(&e->tests[i]);
	/* the final programs: the kinds are settled (demotions while compiling
	 * may have turned a bit into a direct test), long ors become groups */
	e->group_words = e->n_tests / 64 + 1;
	for (size_t i = 0; i < e->n_rules && r == 0; i++)
		r = rules_emit(e, &e->rules[i], rules[i].root, true);
	for (size_t i = 0; i < e->n_rules; i++) {
		free(e->rules[i].ids);
		e->rules[i].ids = NULL;
		free(e->rules[i].lazy_nodes); /* the trees go with the parsed rules */
		e->rules[i].lazy_nodes = NULL;
	}
	for (size_t i = 0; i < e->n_rules && r == 0; i++)
		e->rules[i].always = rules_fires_without_bits(e, &e->rules[i], UINT32_MAX);
	if (r == 0)
		r = build_touch(e);
	if (r == 0)
		r = build_state(e);
	if (r == 0 && e->scratch) {
		size_t sz = 0;

		if (hs_scratch_size(e->scratch, &sz) == HS_SUCCESS)
			e->bytes += sz;
	}
	return r;
}

int rules_compile(struct rule_ast *rules, size_t n, struct rules_engine **ret, struct rules_report *rep)
{
	struct rules_engine *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	r = compile_all(e, rules, n);
	if (r < 0) {
		rules_free(e);
		return r;
	}
	for (size_t i = 0; i < e->n_rules; i++) {
		const struct rules_rule *info = &e->rules[i].info;

		r = rules_report_add(rep, info->file, info->line, info->id, info->title, info->category, RULES_LOADED,
				     NULL);
		if (r < 0) {
			rules_free(e);
			return r;
		}
	}
	*ret = e;
	return 0;
}

struct rules_engine *rules_free(struct rules_engine *e)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < e->n_rules; i++) {
		rules_rule_done(&e->rules[i].info);
		free(e->rules[i].code);
		free(e->rules[i].tests);
		free(e->rules[i].ids);
		free(e->rules[i].lazy_nodes);
		free(e->rules[i].lazy);
	}
	free(e->rules);
	free(e->groups);
	for (size_t i = 0; i < e->n_lazy; i++) {
		hs_free_database(e->lazy[i].db);
		free(e->lazy[i].tests);
	}
	free(e->lazy);
	free(e->lazy_cache);
	free(e->lazy_done);
	for (size_t i = 0; i < e->n_tests; i++) {
		free(e->tests[i].expr);
		free(e->tests[i].lit);
		pcre2_code_free(e->tests[i].re);
	}
	free(e->tests);
	for (int c = 0; c < _RULES_CAT_MAX; c++) {
		for (int f = 0; f <= _RF_MAX; f++)
			for (int w = 0; w < _RDB_MAX; w++)
				hs_free_database(e->cat[c].db[f][w]);
		free(e->cat[c].always);
	}
	hs_free_scratch(e->scratch);
	pcre2_match_data_free(e->md);
	free(e->touch_off);
	free(e->touch);
	free(e->bits);
	free(e->set);
	free(e->mark);
	free(e->cand);
	free(e->cache);
	free(e->cached);
	free(e->fold);
	free(e);
	return NULL;
}

size_t rules_count(const struct rules_engine *e)
{
	return e ? e->n_rules : 0;
}

size_t rules_memory(const struct rules_engine *e)
{
	return e ? e->bytes : 0;
}
