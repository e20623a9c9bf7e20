/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sigma rules from YAML text (libyaml's document API, which keeps the line
 * of every node): metadata, logsource, the search identifiers of the
 * detection and the condition.  Every document of a file is one rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "rules-internal.h"

#define SELECTIONS_MAX 256
#define VALUES_MAX 4096
#define MODS_MAX 16

struct doc {
	const char *file;
	yaml_document_t *y;
	int category; /* enum rules_category, -1 before the logsource */
	struct rules_diag *d;
};

static yaml_node_t *node(const struct doc *doc, yaml_node_item_t i)
{
	return yaml_document_get_node(doc->y, i);
}

static unsigned line_of(const yaml_node_t *n)
{
	return n ? (unsigned)n->start_mark.line + 1 : 0;
}

static bool is_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool key_is(const struct doc *doc, const yaml_node_pair_t *p, const char *k)
{
	yaml_node_t *kn = node(doc, p->key);

	return is_scalar(kn) && strcmp(scalar(kn), k) == 0 && kn->data.scalar.length == strlen(k);
}

/* Keys of a mapping are unique (libyaml does not check). */
static int check_unique_keys(struct doc *doc, const yaml_node_t *map)
{
	for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
		yaml_node_t *ka = node(doc, a->key);

		if (!is_scalar(ka))
			return rules_diag_set(doc->d, RULES_ERROR, line_of(ka), "a key that is not a string");
		for (yaml_node_pair_t *b = map->data.mapping.pairs.start; b < a; b++) {
			yaml_node_t *kb = node(doc, b->key);

			if (ka->data.scalar.length == kb->data.scalar.length &&
			    memcmp(scalar(ka), scalar(kb), ka->data.scalar.length) == 0)
				return rules_diag_set(doc->d, RULES_ERROR, line_of(ka),
						      "duplicate key '%s' (first on line %u)", scalar(ka), line_of(kb));
		}
	}
	return 0;
}

static yaml_node_t *map_get(const struct doc *doc, const yaml_node_t *map, const char *k)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
		if (key_is(doc, p, k))
			return node(doc, p->value);
	return NULL;
}

/* An optional string attribute; NULL when absent. */
static int get_string(struct doc *doc, const yaml_node_t *map, const char *k, bool required, char **ret)
{
	yaml_node_t *v = map_get(doc, map, k);

	*ret = NULL;
	if (!v) {
		if (required)
			return rules_diag_set(doc->d, RULES_ERROR, line_of(map), "'%s' is missing", k);
		return 0;
	}
	if (!is_scalar(v))
		return rules_diag_set(doc->d, RULES_ERROR, line_of(v), "'%s' must be a string", k);
	*ret = rules_strndup(scalar(v), v->data.scalar.length);
	return *ret ? 0 : -ENOMEM;
}

static int parse_meta(struct doc *doc, const yaml_node_t *root, struct rules_rule *info)
{
	_cleanup_free_ char *level = NULL;
	yaml_node_t *tags;
	int r;

	r = get_string(doc, root, "title", true, &info->title);
	if (r == 0)
		r = get_string(doc, root, "id", false, &info->id);
	if (r == 0)
		r = get_string(doc, root, "status", false, &info->status);
	if (r == 0)
		r = get_string(doc, root, "level", false, &level);
	if (r < 0)
		return r;
	info->level = RULES_LEVEL_MEDIUM;
	if (level) {
		int l;

		for (l = 0; l < _RULES_LEVEL_MAX; l++)
			if (strcmp(level, rules_level_name(l)) == 0)
				break;
		if (l == _RULES_LEVEL_MAX)
			return rules_diag_set(doc->d, RULES_ERROR, line_of(map_get(doc, root, "level")),
					      "level '%s' is not informational, low, medium, high or critical", level);
		info->level = l;
	}
	tags = map_get(doc, root, "tags");
	if (!tags)
		return 0;
	if (tags->type != YAML_SEQUENCE_NODE)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(tags), "'tags' must be a list");
	info->tags =
	    calloc((size_t)(tags->data.sequence.items.top - tags->data.sequence.items.start) + 1, sizeof(char *));
	if (!info->tags)
		return -ENOMEM;
	for (yaml_node_item_t *i = tags->data.sequence.items.start; i < tags->data.sequence.items.top; i++) {
		yaml_node_t *t = node(doc, *i);

		if (!is_scalar(t))
			return rules_diag_set(doc->d, RULES_ERROR, line_of(t), "a tag must be a string");
		info->tags[info->n_tags] = rules_strndup(scalar(t), t->data.scalar.length);
		if (!info->tags[info->n_tags++])
			return -ENOMEM;
	}
	return 0;
}

/* Which of our categories the rule reads; unsupported for every other
 * log source. */
static int parse_logsource(struct doc *doc, const yaml_node_t *root)
{
	yaml_node_t *ls = map_get(doc, root, "logsource");
	_cleanup_free_ char *category = NULL, *product = NULL, *service = NULL;
	int r, c;

	if (!ls)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(root), "'logsource' is missing");
	if (ls->type != YAML_MAPPING_NODE)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(ls), "'logsource' must be a mapping");
	r = check_unique_keys(doc, ls);
	if (r == 0)
		r = get_string(doc, ls, "category", false, &category);
	if (r == 0)
		r = get_string(doc, ls, "product", false, &product);
	if (r == 0)
		r = get_string(doc, ls, "service", false, &service);
	if (r < 0)
		return r;
	if (product && strcmp(product, "linux") != 0)
		return rules_diag_set(doc->d, RULES_UNSUPPORTED, line_of(ls),
				      "logsource product '%s' (this agent is linux)", product);
	if (service)
		return rules_diag_set(doc->d, RULES_UNSUPPORTED, line_of(ls),
				      "logsource service '%s': the agent's records are not that log", service);
	if (!category)
		return rules_diag_set(doc->d, RULES_UNSUPPORTED, line_of(ls), "logsource without a category");
	c = rules_category_from_name(category);
	if (c < 0)
		return rules_diag_set(doc->d, RULES_UNSUPPORTED, line_of(ls),
				      "logsource category '%s' (the agent has process_creation, file_event and "
				      "network_connection)",
				      category);
	doc->category = c;
	return 0;
}

/* "Field|mod|mod" -> field and modifiers; unsupported for fields no
 * record of the category carries. */
static int parse_key(struct doc *doc, const yaml_node_t *k, char *buf, size_t size, int *field, const char **mods,
		     size_t *n_mods)
{
	char *save = NULL, *name, *m;
	size_t len = k->data.scalar.length;

	if (len >= size)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(k), "key '%.40s...' is too long", scalar(k));
	memcpy(buf, scalar(k), len);
	buf[len] = '\0';
	if (memchr(scalar(k), '\0', len))
		return rules_diag_set(doc->d, RULES_ERROR, line_of(k), "a key with a NUL byte");
	*n_mods = 0;
	name = buf;
	m = strchr(buf, '|');
	if (m) {
		*m++ = '\0';
		for (char *t = strtok_r(m, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
			if (*n_mods == MODS_MAX)
				return rules_diag_set(doc->d, RULES_ERROR, line_of(k), "too many modifiers");
			mods[(*n_mods)++] = t;
		}
		if (*n_mods == 0 || strstr(scalar(k), "||") || scalar(k)[len - 1] == '|')
			return rules_diag_set(doc->d, RULES_ERROR, line_of(k), "empty modifier in '%s'", scalar(k));
	}
	if (name[0] == '\0') {
		*field = RULES_FIELD_KEYWORD;
		return 0;
	}
	*field = rules_field_from_name(name);
	if (*field < 0 || !(rules_field_categories(*field) & (1u << doc->category))) {
		const char *why = rules_field_missing_reason(name, doc->category);

		return rules_diag_set(doc->d, RULES_UNSUPPORTED, line_of(k), "field %s: %s", name,
				      why ? why : "not a field of the agent's records");
	}
	return 0;
}

static void to_scalar(const yaml_node_t *n, struct rules_scalar *s)
{
	s->text = scalar(n);
	s->len = n->data.scalar.length;
	s->plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE; /* null, true, false are plain */
	s->line = line_of(n);
}

/* One "Field|mods: value(s)" entry -> a tree. */
static int parse_entry(struct doc *doc, struct rule_ast *r, const yaml_node_pair_t *p, struct rnode **ret)
{
	yaml_node_t *k = node(doc, p->key), *v = node(doc, p->value);
	char buf[256];
	const char *mods[MODS_MAX];
	size_t n_mods = 0, n = 0;
	int field = RULES_FIELD_KEYWORD, e;
	_cleanup_free_ struct rules_scalar *vals = NULL;

	e = parse_key(doc, k, buf, sizeof(buf), &field, mods, &n_mods);
	if (e < 0)
		return e;
	if (!v)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(k), "no value");
	if (v->type == YAML_MAPPING_NODE)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(v), "the value of '%s' is a mapping", scalar(k));
	if (v->type == YAML_SCALAR_NODE) {
		vals = calloc(1, sizeof(*vals));
		if (!vals)
			return -ENOMEM;
		to_scalar(v, &vals[n++]);
	} else {
		size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);

		if (cnt > VALUES_MAX)
			return rules_diag_set(doc->d, RULES_ERROR, line_of(v), "more than %d values", VALUES_MAX);
		vals = calloc(cnt + 1, sizeof(*vals));
		if (!vals)
			return -ENOMEM;
		for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
			yaml_node_t *item = node(doc, *i);

			if (!is_scalar(item))
				return rules_diag_set(doc->d, RULES_ERROR, line_of(item),
						      "a value of '%s' that is not a string or a number", scalar(k));
			to_scalar(item, &vals[n++]);
		}
	}
	return rules_value_tree(r, field, mods, n_mods, vals, n, line_of(k), ret, doc->d);
}

/* A mapping: every entry (AND). */
static int parse_map(struct doc *doc, struct rule_ast *r, const yaml_node_t *map, struct rnode **ret)
{
	struct rnode *and;
	int e = check_unique_keys(doc, map);

	if (e < 0)
		return e;
	if (map->data.mapping.pairs.top == map->data.mapping.pairs.start)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(map), "an empty mapping");
	and = rnode_new(RN_AND);
	if (!and)
		return -ENOMEM;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top && e == 0; p++) {
		struct rnode *kid = NULL;

		e = parse_entry(doc, r, p, &kid);
		if (e == 0)
			e = rnode_add(and, kid);
	}
	return rnode_done(and, e, ret);
}

/* A search identifier: a mapping, or a list of mappings (OR) and of
 * keywords (OR). */
static int parse_selection(struct doc *doc, struct rule_ast *r, const yaml_node_t *v, struct rnode **ret)
{
	struct rnode * or ;
	int e = 0;

	if (!v || v->type == YAML_SCALAR_NODE)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(v),
				      "a search identifier must be a mapping or a list");
	if (v->type == YAML_MAPPING_NODE)
		return parse_map(doc, r, v, ret);
	if (v->data.sequence.items.top == v->data.sequence.items.start)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(v), "an empty list");
	or = rnode_new(RN_OR);
	if (! or)
		return -ENOMEM;
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top && e == 0; i++) {
		yaml_node_t *item = node(doc, *i);
		struct rnode *kid = NULL;

		if (is_scalar(item)) {
			struct rules_scalar s;

			to_scalar(item, &s);
			e = rules_value_tree(r, RULES_FIELD_KEYWORD, NULL, 0, &s, 1, line_of(item), &kid, doc->d);
		} else if (item && item->type == YAML_MAPPING_NODE) {
			e = parse_map(doc, r, item, &kid);
		} else {
			e = rules_diag_set(doc->d, RULES_ERROR, line_of(item), "a list inside a list");
		}
		if (e == 0)
			e = rnode_add(or, kid);
	}
	return rnode_done(or, e, ret);
}

static int parse_condition(struct doc *doc, const yaml_node_t *c, struct rules_selection *sels, size_t n,
			   struct rnode **ret)
{
	struct rnode * or ;
	int e = 0;

	if (is_scalar(c)) {
		if (memchr(scalar(c), '\0', c->data.scalar.length))
			return rules_diag_set(doc->d, RULES_ERROR, line_of(c), "a condition with a NUL byte");
		return rules_condition_parse(scalar(c), line_of(c), sels, n, ret, doc->d);
	}
	if (c->type != YAML_SEQUENCE_NODE || c->data.sequence.items.top == c->data.sequence.items.start)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(c),
				      "'condition' must be a string or a list of them");
	/* a list of conditions: any of them */
	or = rnode_new(RN_OR);
	if (! or)
		return -ENOMEM;
	for (yaml_node_item_t *i = c->data.sequence.items.start; i < c->data.sequence.items.top && e == 0; i++) {
		yaml_node_t *item = node(doc, *i);
		struct rnode *kid = NULL;

		if (!is_scalar(item))
			e = rules_diag_set(doc->d, RULES_ERROR, line_of(item), "a condition must be a string");
		else if (memchr(scalar(item), '\0', item->data.scalar.length))
			e = rules_diag_set(doc->d, RULES_ERROR, line_of(item), "a condition with a NUL byte");
		else
			e = rules_condition_parse(scalar(item), line_of(item), sels, n, &kid, doc->d);
		if (e == 0)
			e = rnode_add(or, kid);
	}
	return rnode_done(or, e, ret);
}

static int parse_detection(struct doc *doc, struct rule_ast *r, const yaml_node_t *root)
{
	yaml_node_t *det = map_get(doc, root, "detection"), *cond = NULL;
	struct rules_selection sels[SELECTIONS_MAX];
	size_t n = 0;
	int e;

	if (!det)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(root), "'detection' is missing");
	if (det->type != YAML_MAPPING_NODE)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(det), "'detection' must be a mapping");
	e = check_unique_keys(doc, det);
	if (e < 0)
		return e;
	for (yaml_node_pair_t *p = det->data.mapping.pairs.start; p < det->data.mapping.pairs.top && e == 0; p++) {
		yaml_node_t *k = node(doc, p->key);

		if (key_is(doc, p, "condition")) {
			cond = node(doc, p->value);
		} else if (key_is(doc, p, "timeframe")) {
			e = rules_diag_set(doc->d, RULES_UNSUPPORTED, line_of(k), "timeframe (aggregation over time)");
		} else if (n == SELECTIONS_MAX) {
			e = rules_diag_set(doc->d, RULES_ERROR, line_of(k), "more than %d search identifiers",
					   SELECTIONS_MAX);
		} else if (memchr(scalar(k), '\0', k->data.scalar.length)) {
			e = rules_diag_set(doc->d, RULES_ERROR, line_of(k), "a name with a NUL byte");
		} else {
			sels[n] = (struct rules_selection){.name = scalar(k)};
			e = parse_selection(doc, r, node(doc, p->value), &sels[n].tree);
			if (e == 0)
				n++;
		}
	}
	if (e == 0 && !cond)
		e = rules_diag_set(doc->d, RULES_ERROR, line_of(det), "'condition' is missing");
	if (e == 0)
		e = parse_condition(doc, cond, sels, n, &r->root);
	for (size_t i = 0; i < n; i++)
		rnode_free(sels[i].tree);
	return e;
}

static int parse_rule(struct doc *doc, const yaml_node_t *root, struct rule_ast *r)
{
	int e;

	if (root->type != YAML_MAPPING_NODE)
		return rules_diag_set(doc->d, RULES_ERROR, line_of(root), "a rule must be a YAML mapping");
	e = check_unique_keys(doc, root);
	if (e < 0)
		return e;
	if (map_get(doc, root, "action"))
		return rules_diag_set(doc->d, RULES_UNSUPPORTED, line_of(root), "rule collections ('action:')");
	if (map_get(doc, root, "correlation"))
		return rules_diag_set(doc->d, RULES_UNSUPPORTED, line_of(root), "correlation rules");
	if (map_get(doc, root, "filter") && !map_get(doc, root, "detection"))
		return rules_diag_set(doc->d, RULES_UNSUPPORTED, line_of(root), "Sigma filters");
	e = parse_meta(doc, root, &r->info);
	if (e < 0)
		return e;
	if (!map_get(doc, root, "detection"))
		return rules_diag_set(doc->d, RULES_ERROR, line_of(root), "'detection' is missing");
	e = parse_logsource(doc, root);
	if (e < 0)
		return e;
	r->info.category = doc->category;
	return parse_detection(doc, r, root);
}

static int report_rule(struct rules_report *rep, const char *file, unsigned line, const struct rule_ast *r,
		       int category, const struct rules_diag *d)
{
	return rules_report_add(rep, file, d->line ? d->line : line, r->info.id, r->info.title, category, d->status,
				d->reason);
}

int rules_parse_text(const char *file, const char *buf, size_t len, rules_ast_fn fn, void *userdata,
		     struct rules_report *rep)
{
	yaml_parser_t parser;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		yaml_document_t y;
		yaml_node_t *root;
		struct rules_diag d = {};
		struct rule_ast *ast;
		struct doc doc = {.file = file, .y = &y, .category = -1, .d = &d};
		unsigned line;

		if (!yaml_parser_load(&parser, &y)) {
			char why[300];

			snprintf(why, sizeof(why), "YAML: %s%s%s", parser.problem ? parser.problem : "syntax error",
				 parser.context ? " " : "", parser.context ? parser.context : "");
			r = rules_report_add(rep, file, (unsigned)parser.problem_mark.line + 1, NULL, NULL, -1,
					     RULES_ERROR, why);
			break;
		}
		root = yaml_document_get_root_node(&y);
		if (!root) {
			yaml_document_delete(&y);
			break;
		}
		line = line_of(root);
		ast = calloc(1, sizeof(*ast));
		if (!ast) {
			yaml_document_delete(&y);
			r = -ENOMEM;
			break;
		}
		ast->info.category = -1;
		r = parse_rule(&doc, root, ast);
		yaml_document_delete(&y);
		if (r == -ENOMEM) {
			rule_ast_done(ast);
			free(ast);
			break;
		}
		if (r < 0) {
			r = report_rule(rep, file, line, ast, doc.category, &d);
			rule_ast_done(ast);
			free(ast);
		} else {
			ast->info.file = strdup(file);
			ast->info.line = line;
			r = ast->info.file ? fn(ast, userdata) : -ENOMEM;
		}
		if (r < 0)
			break;
	}
	yaml_parser_delete(&parser);
	return r;
}
