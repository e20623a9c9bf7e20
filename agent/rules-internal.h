/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals shared by the rules-*.c modules (see rules.h). */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "rules.h"

#define RULES_FIELD_KEYWORD _RF_MAX /* a field-less (keyword) test: every field */
#define RULES_FILE_MAX (1024 * 1024)
#define RULES_TREE_DEPTH_MAX 64	  /* nesting of conditions and selections */
#define RULES_TESTS_PER_RULE 4096 /* values of one rule, after expansion */

enum rtest_kind {
	RT_PATTERN, /* a Hyperscan expression: a bit of the match bitset */
	RT_REGEX,   /* a PCRE2 regex, gated by a Hyperscan prefilter bit when it has one */
	RT_PRESENT, /* the field has a value ('*', exists: true) */
	RT_NULL,    /* the field has no value (null, exists: false) */
	RT_EMPTY,   /* the field is '' */
	RT_NUMBER,  /* lt, lte, gt, gte */
	RT_CIDR,
	RT_LAZY, /* a pattern only in deferred groups (ROP_LAZY): no bit */
};

enum rcmp {
	RCMP_LT,
	RCMP_LTE,
	RCMP_GT,
	RCMP_GTE,
};

/* One test on one field; the unit Hyperscan and the programs work with. */
struct rtest {
	enum rtest_kind kind;
	int field; /* enum rules_field, or RULES_FIELD_KEYWORD */
	/* RT_PATTERN, RT_REGEX: the expression and Hyperscan's flags (HS_FLAG_*) */
	char *expr;
	unsigned hs_flags;
	bool user_regex; /* from |re: may need PCRE2 */
	/* RT_NUMBER */
	enum rcmp cmp;
	double number;
	/* RT_CIDR: IPv4 as ::ffff:a.b.c.d, prefix of the 128-bit form */
	uint8_t addr[16];
	uint8_t prefix;
};

enum rnode_type {
	RN_TEST,
	RN_AND,
	RN_OR,
	RN_NOT,
	RN_TRUE,
	RN_FALSE,
};

struct rnode {
	enum rnode_type type;
	size_t test; /* RN_TEST: index into the rule's tests */
	struct rnode **kids;
	size_t n_kids, cap;
};

/* A rule as parsed, before compilation. */
struct rule_ast {
	struct rules_rule info;
	struct rtest *tests;
	size_t n_tests, cap_tests;
	struct rnode *root;
};

/* Where a problem is: filled by the parser, turned into a report entry. */
struct rules_diag {
	enum rules_status status; /* RULES_UNSUPPORTED or RULES_ERROR */
	unsigned line;
	char reason[512];
};

_printf_(4, 5) int rules_diag_set(struct rules_diag *d, enum rules_status status, unsigned line, const char *fmt, ...);

/* rnode helpers (rules-cond.c) */
struct rnode *rnode_new(enum rnode_type type);
int rnode_add(struct rnode *parent, struct rnode *kid); /* takes kid, also on failure */
struct rnode *rnode_free(struct rnode *n);
/* The end of a builder that adds kids one by one: n goes to *ret when e is
 * 0, else it is freed; returns e. */
int rnode_done(struct rnode *n, int e, struct rnode **ret);

/* A search identifier of the detection, parsed into a tree. */
struct rules_selection {
	const char *name;
	struct rnode *tree;
	bool used;
};

/* The condition over the selections -> one tree; the selections' trees
 * are copied in.  0, or an error/unsupported diagnostic (-EINVAL). */
int rules_condition_parse(const char *text, unsigned line, struct rules_selection *sels, size_t n_sels,
			  struct rnode **ret, struct rules_diag *d);

/* One field's values and modifiers -> tests added to the rule and a tree
 * over them (rules-value.c).  values: n scalars (text, and whether the YAML
 * scalar was plain, i.e. may be null/true/false); field: enum rules_field
 * or RULES_FIELD_KEYWORD. */
struct rules_scalar {
	const char *text;
	size_t len;
	bool plain;
	unsigned line;
};

int rules_value_tree(struct rule_ast *r, int field, const char *const *mods, size_t n_mods,
		     const struct rules_scalar *values, size_t n_values, unsigned line, struct rnode **ret,
		     struct rules_diag *d);

/* rules-pattern.c: a plain value as a pattern, and its transformations */
enum vkind {
	VK_LIT,
	VK_ANY,	 /* '*' */
	VK_ONE,	 /* '?': one character */
	VK_DASH, /* windash: '-', '/', en dash, em dash, horizontal bar */
};

struct vpat {
	uint8_t *b, *k; /* a byte and its enum vkind per position */
	size_t n, cap;
};

enum vutf16 {
	VUTF16_LE,
	VUTF16_BE,
	VUTF16_BOM, /* a byte order mark, then little endian */
};

void vpat_done(struct vpat *p);
int vpat_push(struct vpat *p, uint8_t byte, uint8_t kind);
int vpat_insert_front(struct vpat *p, uint8_t kind);
int vpat_from_sigma(struct vpat *p, const char *s, size_t len);
bool vpat_literal(const struct vpat *p);
void vpat_windash(struct vpat *p);
int vpat_base64(struct vpat *p);
int vpat_base64_offset(const struct vpat *p, int shift, struct vpat *out);
int vpat_utf16(struct vpat *p, enum vutf16 how); /* -EINVAL: not UTF-8 */
/* The expression (leading/trailing '*' dropped: unanchored there); NULL
 * when memory ran out. */
char *vpat_expr(const struct vpat *p);

void rule_ast_done(struct rule_ast *r);
void rules_rule_done(struct rules_rule *r);

/* rules-yaml.c: every rule of one file's text; each either parsed (ast
 * appended) or diagnosed (report entry). */
typedef int (*rules_ast_fn)(struct rule_ast *r, void *userdata);
int rules_parse_text(const char *file, const char *buf, size_t len, rules_ast_fn fn, void *userdata,
		     struct rules_report *rep);

/* rules-load.c */
int rules_report_add(struct rules_report *rep, const char *file, unsigned line, const char *id, const char *title,
		     int category, enum rules_status status, const char *reason);

/* rules-compile.c: the engine from parsed rules (takes them); rules that
 * fail to compile become report entries. */
int rules_compile(struct rule_ast *rules, size_t n, struct rules_engine **ret, struct rules_report *rep);

/* Cheap text tools */
char *rules_strndup(const char *s, size_t n);

/* ---- the compiled engine (rules-compile.c builds it, rules-eval.c runs it) ---- */

enum rop {
	ROP_BIT,    /* acc = bit of the match bitset */
	ROP_TEST,   /* acc = a direct test (null, numbers, CIDR, PCRE2) */
	ROP_NOT,    /* acc = !acc */
	ROP_JF,	    /* if !acc: jump to arg */
	ROP_JT,	    /* if acc: jump to arg */
	ROP_CONST,  /* acc = arg */
	ROP_ANYBIT, /* acc = any bit of group arg is set (a long or of patterns) */
	ROP_LAZY,   /* acc = deferred group arg matches its field (scanned on demand) */
};

struct rinsn {
	uint32_t op : 8;
	uint32_t arg : 24;
};

struct rule_prog {
	struct rules_rule info;
	struct rinsn *code;
	uint32_t n_code;
	uint32_t *tests; /* the engine's tests this rule reads */
	uint32_t n_tests;
	uint32_t *ids;			 /* while compiling: the rule's own test numbers -> the engine's */
	const struct rnode **lazy_nodes; /* while compiling: the deferred ors */
	uint32_t *lazy;			 /* their groups (enum rop ROP_LAZY) */
	uint32_t n_lazy;
	bool always; /* evaluated on every record of its category */
};

/* A long or of patterns that a rule needs only once another of its
 * conjuncts matched: its own small database, scanned on demand, instead of
 * a cost on every record in the field's database. */
struct rlazy {
	void *db; /* hs_database_t, or NULL: a few literals, compared directly */
	int field;
	bool folded;
	uint32_t all;	 /* 0: any pattern; else how many must match (|all) */
	uint32_t *tests; /* without a database: the literals' tests */
	uint32_t n_tests;
};

/* A pattern that is a literal (no wildcard): compared without Hyperscan. */
enum {
	LIT_CONTAINS,
	LIT_STARTS,
	LIT_ENDS,
	LIT_EQUALS,
};

/* A deduplicated test; its index is its Hyperscan id and bit. */
struct etest {
	enum rtest_kind kind;
	int field;
	int category;
	bool gated; /* RT_REGEX: only when its prefilter bit is set */
	void *re;   /* RT_REGEX: pcre2_code */
	enum rcmp cmp;
	double number;
	uint8_t addr[16];
	uint8_t prefix;
	char *expr; /* RT_PATTERN, RT_REGEX */
	unsigned hs_flags;
	bool user_regex;
	bool folded; /* case-insensitive by matching the lower-cased value */
	char *lit;   /* the literal of a wildcard-free pattern of ours, or NULL */
	uint32_t lit_len;
	uint8_t lit_anchor; /* LIT_* */
};

/* Two databases per field: the value lower-cased (every case-insensitive
 * pattern of ours, compiled lower-case: cheaper for Hyperscan than its
 * caseless literals) and the value as it is (regexes, |cased). */
enum { RDB_FOLDED, RDB_RAW, _RDB_MAX };

struct rcat {
	void *db[_RF_MAX + 1][_RDB_MAX]; /* hs_database_t; [RULES_FIELD_KEYWORD] scans every field */
	uint32_t *always;
	size_t n_always, n_rules;
};

struct rules_engine {
	struct rule_prog *rules;
	size_t n_rules;
	struct etest *tests;
	size_t n_tests;
	uint32_t *touch_off, *touch; /* test -> rules that read its bit */
	uint64_t *groups;	     /* ROP_ANYBIT: group_words per group, a bit per test */
	size_t n_groups, group_words;
	struct rlazy *lazy;
	size_t n_lazy;
	int8_t *lazy_cache; /* per record: -1 not scanned yet */
	uint32_t *lazy_done;
	size_t n_lazy_done;
	struct rcat cat[_RULES_CAT_MAX];
	void *scratch; /* hs_scratch_t */
	void *md;      /* pcre2_match_data */
	size_t bytes;
	/* one record's state */
	const struct rules_event *ev;
	uint64_t *bits;
	uint32_t *set;
	size_t n_set;
	uint8_t *mark;
	uint32_t *cand;
	int8_t *cache; /* RT_REGEX results: -1 unknown */
	uint32_t *cached;
	size_t n_cached;
	char *fold; /* a field's value lower-cased */
	size_t fold_cap;
};

/* rules-program.c */
#define RULES_CODE_MAX (1u << 24) /* tests and instructions (struct rinsn's arg) */
#define RULES_GROUP_MIN 8	  /* an or of this many patterns: one membership test */

/* The rule's program from its tree (p->ids map its tests): first with
 * every test as it is; final once the databases are built, with long ors
 * as groups and the deferred ors (p->lazy_nodes) as ROP_LAZY. */
int rules_emit(struct rules_engine *e, struct rule_prog *p, const struct rnode *root, bool final);
/* A pattern, or a regex with a prefilter: a bit of the match bitset. */
bool rules_has_bit(const struct etest *t);
/* Can the rule fire with none of its bits set (test extra counted as one
 * that may be anything)? */
bool rules_fires_without_bits(const struct rules_engine *e, const struct rule_prog *p, uint32_t extra);
/* Regexes that only rules with other bits read: PCRE2 on demand. */
void rules_defer_regexes(struct rules_engine *e);
/* Conjuncts that leave the fields' databases (rules-compile.c compiles
 * them); tests no rule needs a bit of become RT_LAZY. */
int rules_plan_lazy(struct rules_engine *e, struct rule_ast *rules);
