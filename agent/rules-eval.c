/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One record through the engine: each field that some rule of the
 * record's category tests is scanned once by that field's Hyperscan
 * database (and once by the keyword database), setting bits; then only
 * the rules those bits name, plus the few that must always run, execute
 * their programs over the bitset.  Nothing is allocated per record.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules-internal.h"

static inline bool bit_get(const struct rules_engine *e, uint32_t id)
{
	return e->bits[id >> 6] & (1ULL << (id & 63));
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
	struct rules_engine *e = ctx;

	if (!bit_get(e, id)) {
		e->bits[id >> 6] |= 1ULL << (id & 63);
		e->set[e->n_set++] = id;
	}
	return 0;
}

static bool regex_on(struct rules_engine *e, const struct etest *t, const char *v, uint32_t len)
{
	/* a folded test demoted to PCRE2 is compiled PCRE2_CASELESS */
	return v && pcre2_match(t->re, (PCRE2_SPTR)v, len, 0, 0, e->md, NULL) >= 0;
}

static bool regex_eval(struct rules_engine *e, uint32_t id)
{
	const struct etest *t = &e->tests[id];
	const struct rules_event *ev = e->ev;
	bool r = false;

	if (t->gated && !bit_get(e, id))
		return false;
	if (e->cache[id] >= 0)
		return e->cache[id];
	if (t->field == RULES_FIELD_KEYWORD) {
		for (int f = 0; f < _RF_MAX && !r; f++)
			r = regex_on(e, t, ev->value[f], ev->len[f]);
	} else {
		r = regex_on(e, t, ev->value[t->field], ev->len[t->field]);
	}
	e->cache[id] = r;
	e->cached[e->n_cached++] = id;
	return r;
}

static bool number_eval(const struct etest *t, const char *v, uint32_t len)
{
	char buf[64], *end;
	double x;

	if (!v || len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	x = strtod(buf, &end);
	if (*end || end == buf)
		return false;
	switch (t->cmp) {
	case RCMP_LT:
		return x < t->number;
	case RCMP_LTE:
		return x <= t->number;
	case RCMP_GT:
		return x > t->number;
	case RCMP_GTE:
		return x >= t->number;
	}
	return false;
}

static bool cidr_eval(const struct etest *t, const char *v, uint32_t len)
{
	char buf[64];
	uint8_t a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned bits = t->prefix;

	if (!v || len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a + 12) != 1 && inet_pton(AF_INET6, buf, a) != 1)
		return false;
	if (memcmp(a, t->addr, bits / 8) != 0)
		return false;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

		return (a[bits / 8] & mask) == (t->addr[bits / 8] & mask);
	}
	return true;
}

static bool rules_test_eval(struct rules_engine *e, uint32_t id)
{
	const struct etest *t = &e->tests[id];
	const char *v = t->field < _RF_MAX ? e->ev->value[t->field] : NULL;
	uint32_t len = t->field < _RF_MAX ? e->ev->len[t->field] : 0;

	switch (t->kind) {
	case RT_PATTERN:
		return bit_get(e, id);
	case RT_REGEX:
		return regex_eval(e, id);
	case RT_PRESENT:
		return v != NULL;
	case RT_NULL:
		return v == NULL;
	case RT_EMPTY:
		return v && len == 0;
	case RT_NUMBER:
		return number_eval(t, v, len);
	case RT_CIDR:
		return cidr_eval(t, v, len);
	case RT_LAZY: /* its group says (matched_fields) */
		return false;
	}
	return false;
}

struct lazy_scan {
	uint32_t need, seen;
	uint64_t ids[4]; /* |all: which patterns matched (up to 256) */
};

static int on_lazy(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
	struct lazy_scan *s = ctx;

	if (s->need == 0) {
		s->seen = 1;
		return 1; /* any one is enough */
	}
	if (id < 256 && !(s->ids[id >> 6] & (1ULL << (id & 63)))) {
		s->ids[id >> 6] |= 1ULL << (id & 63);
		s->seen++;
	}
	return s->seen >= s->need; /* all seen: stop */
}

static const char *fold(struct rules_engine *e, const char *v, uint32_t len);

static bool literal_on(const struct etest *t, const char *v, uint32_t len)
{
	if (t->lit_len > len)
		return false;
	switch (t->lit_anchor) {
	case LIT_EQUALS:
		return len == t->lit_len && memcmp(v, t->lit, len) == 0;
	case LIT_STARTS:
		return memcmp(v, t->lit, t->lit_len) == 0;
	case LIT_ENDS:
		return memcmp(v + len - t->lit_len, t->lit, t->lit_len) == 0;
	default:
		return memmem(v, len, t->lit, t->lit_len) != NULL;
	}
}

/* A deferred or: its database over its field, once per record. */
static bool lazy_eval(struct rules_engine *e, uint32_t g)
{
	const struct rlazy *l = &e->lazy[g];
	const char *v = e->ev->value[l->field];
	uint32_t len = e->ev->len[l->field];
	struct lazy_scan s = {.need = l->all};
	bool hit;

	if (e->lazy_cache[g] >= 0)
		return e->lazy_cache[g];
	if (v && l->folded)
		v = fold(e, v, len);
	if (v && l->db) {
		hs_scan(l->db, v, len, 0, e->scratch, on_lazy, &s);
	} else if (v) {
		for (uint32_t i = 0; i < l->n_tests && (l->all ? true : s.seen == 0); i++)
			s.seen += literal_on(&e->tests[l->tests[i]], v, len);
	}
	hit = l->all ? s.seen >= l->all : s.seen > 0;
	e->lazy_cache[g] = hit;
	e->lazy_done[e->n_lazy_done++] = g;
	return hit;
}

static bool rules_prog_run(struct rules_engine *e, const struct rule_prog *p)
{
	const struct rinsn *code = p->code;
	uint32_t pc = 0, n = p->n_code;
	bool acc = false;

	while (pc < n) {
		struct rinsn in = code[pc];

		switch (in.op) {
		case ROP_BIT:
			acc = bit_get(e, in.arg);
			break;
		case ROP_TEST:
			acc = rules_test_eval(e, in.arg);
			break;
		case ROP_NOT:
			acc = !acc;
			break;
		case ROP_CONST:
			acc = in.arg;
			break;
		case ROP_LAZY:
			acc = lazy_eval(e, in.arg);
			break;
		case ROP_ANYBIT: {
			const uint64_t *g = e->groups + (size_t)in.arg * e->group_words;

			acc = false;
			for (size_t i = 0; i < e->n_set && !acc; i++)
				acc = g[e->set[i] >> 6] & (1ULL << (e->set[i] & 63));
			break;
		}
		case ROP_JF:
			if (!acc) {
				pc = in.arg;
				continue;
			}
			break;
		case ROP_JT:
			if (acc) {
				pc = in.arg;
				continue;
			}
			break;
		}
		pc++;
	}
	return acc;
}

/* The fields with a test that holds, for the hit's "matched". */
static uint32_t matched_fields(struct rules_engine *e, const struct rule_prog *p)
{
	uint32_t mask = 0;

	for (uint32_t i = 0; i < p->n_tests; i++) {
		const struct etest *t = &e->tests[p->tests[i]];

		if (t->field < _RF_MAX && e->ev->value[t->field] && t->kind != RT_NULL &&
		    rules_test_eval(e, p->tests[i]))
			mask |= 1u << t->field;
	}
	for (uint32_t i = 0; i < p->n_lazy; i++)
		if (lazy_eval(e, p->lazy[i]))
			mask |= 1u << e->lazy[p->lazy[i]].field;
	return mask;
}

/* ASCII only, as Sigma's (and Hyperscan's) case-insensitivity */
static const char *fold(struct rules_engine *e, const char *v, uint32_t len)
{
	if (len > e->fold_cap) {
		size_t cap = MAX((size_t)len, 2 * e->fold_cap);
		char *p = realloc(e->fold, cap); /* only values longer than any before: rare */

		if (!p)
			return NULL;
		e->fold = p;
		e->fold_cap = cap;
	}
	for (uint32_t i = 0; i < len; i++) {
		char ch = v[i];

		e->fold[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	return e->fold;
}

static void scan_field(struct rules_engine *e, void *const db[_RDB_MAX], const char *v, uint32_t len)
{
	if (db[RDB_FOLDED]) {
		const char *low = fold(e, v, len);

		if (low)
			hs_scan(db[RDB_FOLDED], low, len, 0, e->scratch, on_match, e);
	}
	if (db[RDB_RAW])
		hs_scan(db[RDB_RAW], v, len, 0, e->scratch, on_match, e);
}

static void candidate(struct rules_engine *e, uint32_t r, size_t *n)
{
	size_t j;

	if (e->mark[r])
		return;
	e->mark[r] = 1;
	/* kept in load order: few candidates, insertion is cheap */
	for (j = *n; j > 0 && e->cand[j - 1] > r; j--)
		e->cand[j] = e->cand[j - 1];
	e->cand[j] = r;
	(*n)++;
}

size_t rules_match(struct rules_engine *e, const struct rules_event *ev, rules_hit_fn fn, void *userdata)
{
	const struct rcat *c;
	size_t n_cand = 0, hits = 0;

	if (!e || (unsigned)ev->category >= _RULES_CAT_MAX)
		return 0;
	c = &e->cat[ev->category];
	if (c->n_rules == 0)
		return 0;
	e->ev = ev;
	for (int f = 0; f < _RF_MAX; f++) {
		if (!ev->value[f])
			continue;
		scan_field(e, c->db[f], ev->value[f], ev->len[f]);
		scan_field(e, c->db[RULES_FIELD_KEYWORD], ev->value[f], ev->len[f]);
	}
	for (size_t i = 0; i < e->n_set; i++) {
		uint32_t id = e->set[i];

		for (uint32_t k = e->touch_off[id]; k < e->touch_off[id + 1]; k++)
			candidate(e, e->touch[k], &n_cand);
	}
	for (size_t i = 0; i < c->n_always; i++)
		candidate(e, c->always[i], &n_cand);
	for (size_t i = 0; i < n_cand; i++) {
		const struct rule_prog *p = &e->rules[e->cand[i]];

		if (rules_prog_run(e, p)) {
			hits++;
			if (fn)
				fn(&p->info, matched_fields(e, p), userdata);
		}
	}
	/* back to a clean state for the next record */
	for (size_t i = 0; i < n_cand; i++)
		e->mark[e->cand[i]] = 0;
	for (size_t i = 0; i < e->n_set; i++)
		e->bits[e->set[i] >> 6] = 0;
	e->n_set = 0;
	for (size_t i = 0; i < e->n_cached; i++)
		e->cache[e->cached[i]] = -1;
	e->n_cached = 0;
	for (size_t i = 0; i < e->n_lazy_done; i++)
		e->lazy_cache[e->lazy_done[i]] = -1;
	e->n_lazy_done = 0;
	e->ev = NULL;
	return hits;
}
