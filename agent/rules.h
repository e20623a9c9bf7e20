/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Sigma rules over the agent's records (pure logic, part of libclawos).
 *
 *  rules-yaml.c     YAML (libyaml) -> rule: metadata, logsource, search
 *                   identifiers, modifiers -> a tree of tests per rule
 *  rules-value.c    a Sigma value and its modifiers -> one test: a
 *                   Hyperscan expression, a PCRE2 regex, or a direct check
 *                   (null, exists, numbers, CIDR)
 *  rules-cond.c     the condition -> the same tree
 *  rules-compile.c  every string test of every rule on one field of one
 *                   category -> one Hyperscan database; trees -> programs
 *  rules-eval.c     one record: one scan per field, then the programs of
 *                   the rules whose patterns matched, over the match bitset
 *  rules-load.c     files and directories -> an engine and a report
 *  rules-fields.c   Sigma field names; records (binary or JSON) -> events
 *  rules-anomaly.c  a hit -> the anomaly record
 *
 * A rule that cannot be evaluated here (a field the records cannot carry,
 * a modifier that needs a pipeline) is "unsupported", a broken one is an
 * "error"; neither keeps the other rules from loading.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rules_category {
	RULES_CAT_PROCESS_CREATION,
	RULES_CAT_FILE_EVENT,
	RULES_CAT_NETWORK_CONNECTION,
	_RULES_CAT_MAX,
};

/* The fields the records carry, under their Sigma (Sysmon) names. */
enum rules_field {
	RF_IMAGE,
	RF_COMMAND_LINE,
	RF_CURRENT_DIRECTORY,
	RF_USER,
	RF_LOGON_ID,
	RF_PROCESS_ID,
	RF_PARENT_PROCESS_ID,
	RF_PARENT_IMAGE,
	RF_PARENT_COMMAND_LINE,
	RF_TARGET_FILENAME,
	RF_INITIATED,
	RF_SOURCE_IP,
	RF_SOURCE_PORT,
	RF_DESTINATION_IP,
	RF_DESTINATION_PORT,
	RF_PROTOCOL,
	RF_SOURCE_IS_IPV6,
	RF_DESTINATION_IS_IPV6,
	_RF_MAX,
};

/* One record as the rules see it: a value (not necessarily NUL-terminated)
 * per field, NULL where the record has none. */
struct rules_event {
	enum rules_category category;
	const char *value[_RF_MAX];
	uint32_t len[_RF_MAX];
};

enum rules_level {
	RULES_LEVEL_INFORMATIONAL,
	RULES_LEVEL_LOW,
	RULES_LEVEL_MEDIUM,
	RULES_LEVEL_HIGH,
	RULES_LEVEL_CRITICAL,
	_RULES_LEVEL_MAX,
};

enum rules_status {
	RULES_LOADED,
	RULES_UNSUPPORTED,
	RULES_ERROR,
	_RULES_STATUS_MAX,
};

/* What --check-rules prints: one entry per rule (or per file that could
 * not be read or parsed). */
struct rules_report_entry {
	char *file;
	unsigned line; /* of the rule's document, or of the error */
	char *id;      /* NULL when unknown */
	char *title;   /* NULL when unknown */
	int category;  /* enum rules_category, -1 when unknown */
	enum rules_status status;
	char *reason; /* unsupported: which feature or field; error: why */
};

struct rules_report {
	struct rules_report_entry *entries;
	size_t n, cap;
	size_t count[_RULES_CAT_MAX + 1][_RULES_STATUS_MAX]; /* [_RULES_CAT_MAX]: category unknown */
	uint64_t load_ns;				     /* parse and compile, wall clock */
};

void rules_report_done(struct rules_report *r);

/* A loaded rule, as hits name it. */
struct rules_rule {
	char *id; /* NULL when the rule has none */
	char *title;
	char *status; /* NULL when the rule has none */
	char *file;
	unsigned line;
	enum rules_level level;
	enum rules_category category;
	char **tags;
	size_t n_tags;
};

struct rules_engine;

/*
 * Loads every path (a file, or a directory searched recursively for *.yml
 * and *.yaml) and compiles what loads.  Never fails because of a rule:
 * those are in the report.  Returns 0 and an engine (possibly of no rules),
 * or -ENOMEM (or another -errno when the compiler as such fails).
 */
int rules_load(const char *const *paths, size_t n_paths, struct rules_engine **ret, struct rules_report *report);
/* The same from one buffer (named `name` in the report): tests, fuzzing. */
int rules_load_buffer(const char *name, const char *buf, size_t len, struct rules_engine **ret,
		      struct rules_report *report);
struct rules_engine *rules_free(struct rules_engine *e);

size_t rules_count(const struct rules_engine *e);
/* Bytes held by the compiled databases and scratch space. */
size_t rules_memory(const struct rules_engine *e);

/* A hit: the rule, and the fields whose tests matched (bit per field). */
typedef void (*rules_hit_fn)(const struct rules_rule *rule, uint32_t matched_fields, void *userdata);

/* Evaluates one event; calls fn for each rule that fires, in load order,
 * and returns how many did.  Not reentrant: one engine per thread. */
size_t rules_match(struct rules_engine *e, const struct rules_event *ev, rules_hit_fn fn, void *userdata);

/* Names. */
const char *rules_category_name(int c); /* "process_creation", ...; NULL if unknown */
const char *rules_level_name(int l);	/* "informational", ... */
const char *rules_status_name(int s);	/* "loaded", "unsupported", "error" */
const char *rules_field_name(int f);	/* "Image", ... */
/* The value of a name, -EINVAL if none. */
int rules_category_from_name(const char *s);
int rules_level_from_name(const char *s);
int rules_status_from_name(const char *s);
int rules_field_from_name(const char *s);
/* Which categories' records carry field f (bit per category). */
unsigned rules_field_categories(int f);
/* Why a Sigma field that no record carries is missing, or NULL. */
const char *rules_field_missing_reason(const char *name, int category);
