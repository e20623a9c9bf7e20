/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Internals of the configuration module, shared by config.c (table, inih
 * glue, file loading), config-scan.c (line checks done before inih sees the
 * text), config-parsers.c (value types) and config-view.c (the settings as
 * INI or JSON, and the restart-only keys compared and kept).
 */

#include <ini.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "macro.h"

struct json_object;
struct config_key;

/*
 * inih's line buffer holds INI_MAX_LINE bytes including "\n" and the NUL;
 * the reader strips '\r', so this is the longest line content it can take
 * whole.  Longer lines are rejected before inih would split them.
 */
#define CONFIG_LINE_MAX (INI_MAX_LINE - 2)
#define CONFIG_FILE_MAX (1024 * 1024)

/* One value type: how to parse, print, encode and compare a field. */
struct config_type {
	/* Parses value into field; on failure returns -EINVAL (msg says what
	 * was expected) or -ENOMEM and leaves field alone.  Whether an empty
	 * value is valid is the parser's call (lists: the empty list). */
	int (*parse)(const struct config_key *k, const char *value, void *field, char *msg, size_t size);
	/* Writes the value as it would appear after "key = ". */
	void (*print)(const struct config_key *k, const void *field, FILE *f);
	struct json_object *(*json)(const struct config_key *k, const void *field);
	bool (*equal)(const void *a, const void *b);
	size_t size; /* of the field */
	/* Frees what the field owns (NULL: nothing); leaves it zeroed. */
	void (*done)(void *field);
};

struct config_key {
	const char *section;
	const char *key;
	const struct config_type *type;
	size_t offset;		  /* of the field in struct clawos_settings */
	int64_t min, max;	  /* numbers: range; strings: max length; lists: max items */
	size_t item_max;	  /* lists: longest item in bytes, without the NUL */
	const char *const *names; /* enums: names of min, min+1, ... */
	bool reload_live;	  /* false: a change needs a restart */
};

extern const struct config_key config_keys[];
extern const size_t config_n_keys;
extern const char *const config_sections[];
extern const size_t config_n_sections;

extern const struct config_type config_type_bool;
extern const struct config_type config_type_uint;
extern const struct config_type config_type_size;
extern const struct config_type config_type_mode;
extern const struct config_type config_type_enum;
extern const struct config_type config_type_path;
extern const struct config_type config_type_group;
extern const struct config_type config_type_comm_list;
extern const struct config_type config_type_exe_list;
extern const struct config_type config_type_cgroup_list;
extern const struct config_type config_type_prefix_list;
extern const struct config_type config_type_uid_list;
extern const struct config_type config_type_ifname_list;
extern const struct config_type config_type_port_list;
extern const struct config_type config_type_cidr_list;
extern const struct config_type config_type_rules_list;

static inline void *config_field(const struct config_key *k, const struct clawos_settings *s)
{
	return (uint8_t *)s + k->offset;
}

_printf_(6, 7) int config_error_set(struct clawos_config_error *err, const char *file, unsigned line,
				    const char *section, const char *key, const char *fmt, ...);

/* Lexical and syntax checks of the whole text, line by line. */
int config_scan(const char *filename, const char *buf, size_t len, struct clawos_config_error *err);

/* Strict unsigned decimal: digits only, no sign, no leading zeros. */
int config_parse_u64(const char *s, uint64_t *ret);
