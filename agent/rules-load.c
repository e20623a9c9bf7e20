/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule files and directories -> parsed rules -> one engine, and the report
 * of every rule's fate.  A directory is searched recursively (sorted, dot
 * entries skipped) for *.yml and *.yaml; a file that cannot be read is an
 * error entry like a broken rule, and neither stops the others.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rules-internal.h"
#include "time-util.h"

#define DIR_DEPTH_MAX 16

char *rules_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	/* a NUL inside stays: C consumers see the text up to it */
	return p;
}

int rules_diag_set(struct rules_diag *d, enum rules_status status, unsigned line, const char *fmt, ...)
{
	va_list ap;

	d->status = status;
	d->line = line;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void rules_rule_done(struct rules_rule *r)
{
	free(r->id);
	free(r->title);
	free(r->status);
	free(r->file);
	for (size_t i = 0; i < r->n_tags; i++)
		free(r->tags[i]);
	free(r->tags);
	*r = (struct rules_rule){};
}

void rule_ast_done(struct rule_ast *r)
{
	rules_rule_done(&r->info);
	for (size_t i = 0; i < r->n_tests; i++)
		free(r->tests[i].expr);
	free(r->tests);
	rnode_free(r->root);
	*r = (struct rule_ast){};
}

int rules_report_add(struct rules_report *rep, const char *file, unsigned line, const char *id, const char *title,
		     int category, enum rules_status status, const char *reason)
{
	struct rules_report_entry *e;
	int c = category >= 0 && category < _RULES_CAT_MAX ? category : _RULES_CAT_MAX;

	if (rep->n == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 64;
		struct rules_report_entry *n = realloc(rep->entries, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rep->entries = n;
		rep->cap = cap;
	}
	e = &rep->entries[rep->n];
	*e = (struct rules_report_entry){.line = line, .category = c < _RULES_CAT_MAX ? c : -1, .status = status};
	e->file = strdup(file ? file : "");
	e->id = id ? strdup(id) : NULL;
	e->title = title ? strdup(title) : NULL;
	e->reason = reason ? strdup(reason) : NULL;
	if (!e->file || (id && !e->id) || (title && !e->title) || (reason && !e->reason)) {
		free(e->file);
		free(e->id);
		free(e->title);
		free(e->reason);
		return -ENOMEM;
	}
	rep->n++;
	rep->count[c][status]++;
	return 0;
}

void rules_report_done(struct rules_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->entries[i].file);
		free(r->entries[i].id);
		free(r->entries[i].title);
		free(r->entries[i].reason);
	}
	free(r->entries);
	*r = (struct rules_report){};
}

/* ---- collecting parsed rules ---- */

struct collect {
	struct rule_ast *rules;
	size_t n, cap;
};

static int collect_one(struct rule_ast *r, void *userdata)
{
	struct collect *c = userdata;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct rule_ast *n = realloc(c->rules, cap * sizeof(*n));

		if (!n) {
			rule_ast_done(r);
			free(r);
			return -ENOMEM;
		}
		c->rules = n;
		c->cap = cap;
	}
	c->rules[c->n++] = *r;
	free(r);
	return 0;
}

static void collect_done(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		rule_ast_done(&c->rules[i]);
	free(c->rules);
}

static int load_file(struct collect *c, const char *path, struct rules_report *rep)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	char why[300];

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, sizeof(why), "cannot open: %s", strerror(errno));
		return rules_report_add(rep, path, 0, NULL, NULL, -1, RULES_ERROR, why);
	}
	if (!S_ISREG(st.st_mode))
		return rules_report_add(rep, path, 0, NULL, NULL, -1, RULES_ERROR, "not a regular file");
	if (st.st_size > RULES_FILE_MAX) {
		snprintf(why, sizeof(why), "larger than %d bytes", RULES_FILE_MAX);
		return rules_report_add(rep, path, 0, NULL, NULL, -1, RULES_ERROR, why);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, sizeof(why), "cannot read: %s", strerror(errno));
			return rules_report_add(rep, path, 0, NULL, NULL, -1, RULES_ERROR, why);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return rules_parse_text(path, buf, len, collect_one, c, rep);
}

static bool rule_file_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && strcmp(name + n - 4, ".yml") == 0) || (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

static int load_path(struct collect *c, const char *path, unsigned depth, struct rules_report *rep)
{
	struct dirent **names = NULL;
	struct stat st;
	int n, r = 0;
	char why[300];

	if (stat(path, &st) < 0) {
		snprintf(why, sizeof(why), "cannot open: %s", strerror(errno));
		return rules_report_add(rep, path, 0, NULL, NULL, -1, RULES_ERROR, why);
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(c, path, rep);
	if (depth >= DIR_DEPTH_MAX)
		return rules_report_add(rep, path, 0, NULL, NULL, -1, RULES_ERROR, "directories nested too deeply");
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(why, sizeof(why), "cannot read the directory: %s", strerror(errno));
		return rules_report_add(rep, path, 0, NULL, NULL, -1, RULES_ERROR, why);
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		_cleanup_free_ char *sub = NULL;
		struct stat sst;

		if (r >= 0 && name[0] != '.' && asprintf(&sub, "%s/%s", path, name) >= 0 && stat(sub, &sst) == 0 &&
		    (S_ISDIR(sst.st_mode) || (S_ISREG(sst.st_mode) && rule_file_name(name))))
			r = load_path(c, sub, depth + 1, rep);
		free(names[i]);
	}
	free(names);
	return r;
}

static int entry_order(const void *a, const void *b)
{
	const struct rules_report_entry *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	return c ? c : x->line < y->line ? -1 : x->line > y->line;
}

static int finish(struct collect *c, struct rules_engine **ret, struct rules_report *rep, uint64_t start)
{
	int r = rules_compile(c->rules, c->n, ret, rep);

	collect_done(c);
	/* broken rules are reported when parsed, loaded ones when compiled:
	 * back into the order of the files */
	if (rep->n > 1)
		qsort(rep->entries, rep->n, sizeof(*rep->entries), entry_order);
	rep->load_ns = now_nsec(CLOCK_MONOTONIC) - start;
	return r;
}

int rules_load(const char *const *paths, size_t n_paths, struct rules_engine **ret, struct rules_report *rep)
{
	struct collect c = {};
	uint64_t start = now_nsec(CLOCK_MONOTONIC);
	int r = 0;

	for (size_t i = 0; i < n_paths && r >= 0; i++)
		r = load_path(&c, paths[i], 0, rep);
	if (r < 0) {
		collect_done(&c);
		return r;
	}
	return finish(&c, ret, rep, start);
}

int rules_load_buffer(const char *name, const char *buf, size_t len, struct rules_engine **ret,
		      struct rules_report *rep)
{
	struct collect c = {};
	uint64_t start = now_nsec(CLOCK_MONOTONIC);
	int r;

	if (len > RULES_FILE_MAX)
		r = rules_report_add(rep, name, 0, NULL, NULL, -1, RULES_ERROR, "too large");
	else
		r = rules_parse_text(name, buf, len, collect_one, &c, rep);
	if (r < 0) {
		collect_done(&c);
		return r;
	}
	return finish(&c, ret, rep, start);
}
