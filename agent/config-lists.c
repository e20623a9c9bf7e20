/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* String and list value types of the configuration table. */

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"
#include "detect.h"

typedef int (*item_check_fn)(const struct config_key *k, const char *item, char *msg, size_t size);

/* Absolute, and free of "//", "." and ".." components so that prefix and
 * equality tests in the kernel match what the admin meant. */
static int check_path(const char *p, bool allow_trailing_slash, char *msg, size_t size)
{
	size_t n = strlen(p);

	if (p[0] != '/') {
		snprintf(msg, size, "expected an absolute path starting with '/', got '%s'", p);
		return -EINVAL;
	}
	if (strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") || (n >= 2 && strcmp(p + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(p + n - 3, "/..") == 0)) {
		snprintf(msg, size, "path '%s' is not normalized: remove '//', '.' and '..' components", p);
		return -EINVAL;
	}
	if (!allow_trailing_slash && p[n - 1] == '/') {
		snprintf(msg, size, "path '%s' must name a file, without a trailing '/'", p);
		return -EINVAL;
	}
	return 0;
}

static int check_length(const char *what, const char *s, size_t max, char *msg, size_t size)
{
	size_t n = strlen(s);

	if (n > max) {
		snprintf(msg, size, "%s '%s' is %zu bytes long, the limit is %zu bytes", what, s, n, max);
		return -EINVAL;
	}
	return 0;
}

/* ---- single strings (char * fields) ---- */

static int replace_string(void *field, const char *v)
{
	char *copy = strdup(v);

	if (!copy)
		return -ENOMEM;
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

static int parse_path(const struct config_key *k, const char *v, void *field, char *msg, size_t size)
{
	int r;

	r = check_path(v, false, msg, size);
	if (r < 0)
		return r;
	r = check_length("path", v, (size_t)k->max, msg, size);
	if (r < 0)
		return r;
	return replace_string(field, v);
}

/* Group names as useradd(8) and systemd-sysusers accept them, portably. */
static int parse_group(const struct config_key *k, const char *v, void *field, char *msg, size_t size)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
	size_t n = strlen(v);
	bool ok = n <= (size_t)k->max;

	for (size_t i = 0; ok && i < n; i++)
		ok = strchr(first, v[i]) || (i > 0 && strchr("0123456789.-", v[i]));
	if (!ok) {
		snprintf(msg, size,
			 "expected a group name (letters, digits, '_', '.', '-', not starting with a digit, "
			 "'.' or '-', at most %" PRId64 " bytes) or nothing, got '%s'",
			 k->max, v);
		return -EINVAL;
	}
	return replace_string(field, v);
}

static void print_string(const struct config_key *k, const void *field, FILE *f)
{
	const char *s = *(char *const *)field;

	(void)k;
	fputs(s ? s : "", f);
}

static struct json_object *json_string(const struct config_key *k, const void *field)
{
	const char *s = *(char *const *)field;

	(void)k;
	return json_object_new_string(s ? s : "");
}

static bool equal_string(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return strcmp(x ? x : "", y ? y : "") == 0;
}

const struct config_type config_type_path = {parse_path, print_string, json_string, equal_string};
const struct config_type config_type_group = {parse_group, print_string, json_string, equal_string};

/* ---- comma-separated lists ---- */

/* Returns the next item of a comma-separated list, trimmed, or NULL. */
static char *list_next(char **state)
{
	char *s = *state, *e, *comma;

	if (!s)
		return NULL;
	comma = strchr(s, ',');
	if (comma) {
		*comma = '\0';
		*state = comma + 1;
	} else
		*state = NULL;
	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Checks shared by all lists; index counts items already accepted. */
static int check_item(const struct config_key *k, const char *item, size_t index, char *msg, size_t size)
{
	if (item[0] == '\0') {
		snprintf(msg, size, "empty item %zu in the list: remove the extra ','", index + 1);
		return -EINVAL;
	}
	/* "a, #b" would read as an inline comment once printed back. */
	if (item[0] == ';' || item[0] == '#') {
		snprintf(msg, size, "item '%s' starts with '%c', which reads as a comment", item, item[0]);
		return -EINVAL;
	}
	if (index >= (size_t)k->max) {
		snprintf(msg, size, "too many items: the limit is %" PRId64, k->max);
		return -EINVAL;
	}
	return 0;
}

static void string_list_free(struct clawos_string_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static int list_add(const struct config_key *k, struct clawos_string_list *l, const char *item, item_check_fn check,
		    char *msg, size_t size)
{
	int r;

	r = check_item(k, item, l->n, msg, size);
	if (r < 0)
		return r;
	r = check_length("item", item, k->item_max, msg, size);
	if (r < 0)
		return r;
	r = check(k, item, msg, size);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], item) == 0) {
			snprintf(msg, size, "item '%s' is listed twice", item);
			return -EINVAL;
		}
	l->items[l->n] = strdup(item);
	if (!l->items[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static int parse_list(const struct config_key *k, const char *v, void *field, char *msg, size_t size,
		      item_check_fn check)
{
	struct clawos_string_list l = {}, *out = field;
	_cleanup_free_ char *copy = NULL;
	char *state, *item;
	int r = 0;

	if (v[0] != '\0') {
		copy = strdup(v);
		l.items = calloc((size_t)k->max, sizeof(char *));
		if (!copy || !l.items) {
			free(l.items);
			return -ENOMEM;
		}
		state = copy;
		while (r >= 0 && (item = list_next(&state)))
			r = list_add(k, &l, item, check, msg, size);
		if (r < 0) {
			string_list_free(&l);
			return r;
		}
	}
	string_list_free(out);
	*out = l;
	return 0;
}

/* Any text fits a comm; the scanner already refused control characters. */
static int check_comm(_unused_ const struct config_key *k, _unused_ const char *item, _unused_ char *msg,
		      _unused_ size_t size)
{
	return 0;
}

static int check_exe(const struct config_key *k, const char *item, char *msg, size_t size)
{
	(void)k;
	return check_path(item, false, msg, size);
}

static int check_prefix(const struct config_key *k, const char *item, char *msg, size_t size)
{
	(void)k;
	return check_path(item, true, msg, size);
}

/* A cgroup v2 path below the mount point, or its numeric id (inode). */
static int check_cgroup(const struct config_key *k, const char *item, char *msg, size_t size)
{
	uint64_t id;

	(void)k;
	if (item[0] >= '0' && item[0] <= '9') {
		if (config_parse_u64(item, &id) < 0 || id == 0) {
			snprintf(msg, size,
				 "expected a cgroup path such as /system.slice or a cgroup id (1..%" PRIu64
				 "), got '%s'",
				 UINT64_MAX, item);
			return -EINVAL;
		}
		return 0;
	}
	return check_path(item, true, msg, size);
}

static int check_port(const struct config_key *k, const char *item, char *msg, size_t size)
{
	uint64_t port;

	(void)k;
	if (config_parse_u64(item, &port) < 0 || port == 0 || port > 65535) {
		snprintf(msg, size, "expected a port number in 1..65535, got '%s'", item);
		return -EINVAL;
	}
	return 0;
}

static int check_cidr(const struct config_key *k, const char *item, char *msg, size_t size)
{
	struct detect_cidr c;

	(void)k;
	if (detect_parse_cidr(item, &c) < 0) {
		snprintf(msg, size, "expected an IPv4 or IPv6 address or CIDR (192.0.2.0/24, 2001:db8::/32), got '%s'",
			 item);
		return -EINVAL;
	}
	return 0;
}

bool config_ifname_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= 16 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] == ',' || name[i] == ' ' || name[i] == '\t' ||
		    (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return false;
	return true;
}

static int check_ifname(const struct config_key *k, const char *item, char *msg, size_t size)
{
	(void)k;
	if (!config_ifname_valid(item)) {
		snprintf(
		    msg, size,
		    "expected an interface name (1..15 bytes, no '/', ':' or whitespace, not '.' or '..'), got '%s'",
		    item);
		return -EINVAL;
	}
	return 0;
}

/* A rule file or a directory of them: absolute and normalized. */
static int check_rules_path(const struct config_key *k, const char *item, char *msg, size_t size)
{
	(void)k;
	return check_path(item, true, msg, size);
}

#define LIST_PARSER(name, check)                                                                                       \
	static int parse_##name(const struct config_key *k, const char *v, void *field, char *msg, size_t size)        \
	{                                                                                                              \
		return parse_list(k, v, field, msg, size, check);                                                      \
	}
LIST_PARSER(comm_list, check_comm)
LIST_PARSER(exe_list, check_exe)
LIST_PARSER(prefix_list, check_prefix)
LIST_PARSER(cgroup_list, check_cgroup)
LIST_PARSER(ifname_list, check_ifname)
LIST_PARSER(port_list, check_port)
LIST_PARSER(cidr_list, check_cidr)
LIST_PARSER(rules_list, check_rules_path)

static void print_string_list(const struct config_key *k, const void *field, FILE *f)
{
	const struct clawos_string_list *l = field;

	(void)k;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s%s", i > 0 ? ", " : "", l->items[i]);
}

static struct json_object *json_string_list(const struct config_key *k, const void *field)
{
	const struct clawos_string_list *l = field;
	struct json_object *a = json_object_new_array();

	(void)k;
	for (size_t i = 0; a && i < l->n; i++)
		if (json_object_array_add(a, json_object_new_string(l->items[i])) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static bool equal_string_list(const void *a, const void *b)
{
	const struct clawos_string_list *x = a, *y = b;

	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->items[i], y->items[i]) != 0)
			return false;
	return true;
}

#define STRING_LIST_TYPE(name)                                                                                         \
	const struct config_type config_type_##name = {parse_##name, print_string_list, json_string_list,              \
						       equal_string_list}
STRING_LIST_TYPE(comm_list);
STRING_LIST_TYPE(exe_list);
STRING_LIST_TYPE(prefix_list);
STRING_LIST_TYPE(cgroup_list);
STRING_LIST_TYPE(ifname_list);
STRING_LIST_TYPE(port_list);
STRING_LIST_TYPE(cidr_list);
STRING_LIST_TYPE(rules_list);

/* ---- numeric uid lists (struct clawos_uid_list fields) ---- */

static int uid_list_add(const struct config_key *k, struct clawos_uid_list *l, const char *item, char *msg, size_t size)
{
	uint64_t uid;
	int r;

	r = check_item(k, item, l->n, msg, size);
	if (r < 0)
		return r;
	/* (uid_t)-1 is "no uid" for the kernel, never a real user. */
	if (config_parse_u64(item, &uid) < 0 || uid >= UINT32_MAX) {
		snprintf(msg, size, "expected a numeric uid in 0..%" PRIu32 ", got '%s'", UINT32_MAX - 1, item);
		return -EINVAL;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i] == uid) {
			snprintf(msg, size, "item '%s' is listed twice", item);
			return -EINVAL;
		}
	l->items[l->n++] = (uint32_t)uid;
	return 0;
}

static int parse_uid_list(const struct config_key *k, const char *v, void *field, char *msg, size_t size)
{
	struct clawos_uid_list l = {};
	_cleanup_free_ char *copy = NULL;
	char *state, *item;
	int r;

	if (v[0] != '\0') {
		copy = strdup(v);
		if (!copy)
			return -ENOMEM;
		state = copy;
		while ((item = list_next(&state))) {
			r = uid_list_add(k, &l, item, msg, size);
			if (r < 0)
				return r;
		}
	}
	*(struct clawos_uid_list *)field = l;
	return 0;
}

static void print_uid_list(const struct config_key *k, const void *field, FILE *f)
{
	const struct clawos_uid_list *l = field;

	(void)k;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s%" PRIu32, i > 0 ? ", " : "", l->items[i]);
}

static struct json_object *json_uid_list(const struct config_key *k, const void *field)
{
	const struct clawos_uid_list *l = field;
	struct json_object *a = json_object_new_array();

	(void)k;
	for (size_t i = 0; a && i < l->n; i++)
		if (json_object_array_add(a, json_object_new_int64(l->items[i])) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static bool equal_uid_list(const void *a, const void *b)
{
	const struct clawos_uid_list *x = a, *y = b;

	return x->n == y->n && memcmp(x->items, y->items, x->n * sizeof(x->items[0])) == 0;
}

const struct config_type config_type_uid_list = {parse_uid_list, print_uid_list, json_uid_list, equal_uid_list};
