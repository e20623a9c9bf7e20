/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* String and list value types of the configuration table. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"
#include "cidr.h"

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

static void done_string(void *field)
{
	free(*(char **)field);
	*(char **)field = NULL;
}

const struct config_type config_type_path = {parse_path,   print_string,   json_string,
					     equal_string, sizeof(char *), done_string};
const struct config_type config_type_group = {parse_group,  print_string,   json_string,
					      equal_string, sizeof(char *), done_string};

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
	for (size_t i = 0; l->items && i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void done_string_list(void *field)
{
	string_list_free(field);
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
	const struct config_type config_type_##name = {parse_##name,                                                   \
						       print_string_list,                                              \
						       json_string_list,                                               \
						       equal_string_list,                                              \
						       sizeof(struct clawos_string_list),                              \
						       done_string_list}
STRING_LIST_TYPE(comm_list);
STRING_LIST_TYPE(exe_list);
STRING_LIST_TYPE(prefix_list);
STRING_LIST_TYPE(cgroup_list);
STRING_LIST_TYPE(ifname_list);
STRING_LIST_TYPE(rules_list);

/* ---- lists of values parsed at load: {size_t n; T items[cap]} ---- */

struct value_list_kind {
	size_t list_size, item_size, cap;
	/* value is zeroed; on failure msg says what was expected */
	int (*parse)(const char *item, void *value, char *msg, size_t size);
	void (*format)(const void *value, char *buf, size_t size);
	bool json_number; /* the value as a JSON number, else as its text */
};

/* Every value list keeps n first and its items right after it. */
#define VALUE_LIST_ITEMS sizeof(size_t)

static uint8_t *value_list_item(const struct value_list_kind *vk, const void *list, size_t i)
{
	return (uint8_t *)list + VALUE_LIST_ITEMS + i * vk->item_size;
}

static int value_list_add(const struct value_list_kind *vk, const struct config_key *k, void *list, const char *item,
			  char *msg, size_t size)
{
	size_t *n = list;
	uint8_t *value;
	int r;

	r = check_item(k, item, *n, msg, size);
	if (r < 0)
		return r;
	if (*n >= vk->cap) {
		snprintf(msg, size, "too many items: the limit is %zu", vk->cap);
		return -EINVAL;
	}
	if (k->item_max) {
		r = check_length("item", item, k->item_max, msg, size);
		if (r < 0)
			return r;
	}
	value = value_list_item(vk, list, *n);
	memset(value, 0, vk->item_size);
	r = vk->parse(item, value, msg, size);
	if (r < 0)
		return r;
	for (size_t i = 0; i < *n; i++)
		if (memcmp(value_list_item(vk, list, i), value, vk->item_size) == 0) {
			snprintf(msg, size, "item '%s' is listed twice", item);
			return -EINVAL;
		}
	(*n)++;
	return 0;
}

static int parse_value_list(const struct value_list_kind *vk, const struct config_key *k, const char *v, void *field,
			    char *msg, size_t size)
{
	_cleanup_free_ void *l = calloc(1, vk->list_size);
	_cleanup_free_ char *copy = NULL;
	char *state, *item;
	int r;

	if (!l)
		return -ENOMEM;
	if (v[0] != '\0') {
		copy = strdup(v);
		if (!copy)
			return -ENOMEM;
		state = copy;
		while ((item = list_next(&state))) {
			r = value_list_add(vk, k, l, item, msg, size);
			if (r < 0)
				return r;
		}
	}
	memcpy(field, l, vk->list_size);
	return 0;
}

static void print_value_list(const struct value_list_kind *vk, const void *field, FILE *f)
{
	char buf[64];

	for (size_t i = 0; i < *(const size_t *)field; i++) {
		vk->format(value_list_item(vk, field, i), buf, sizeof(buf));
		fprintf(f, "%s%s", i > 0 ? ", " : "", buf);
	}
}

static struct json_object *json_value_list(const struct value_list_kind *vk, const void *field)
{
	struct json_object *a = json_object_new_array();
	char buf[64];

	for (size_t i = 0; a && i < *(const size_t *)field; i++) {
		struct json_object *o;

		vk->format(value_list_item(vk, field, i), buf, sizeof(buf));
		o = vk->json_number ? json_object_new_int64(strtoll(buf, NULL, 10)) : json_object_new_string(buf);
		if (json_object_array_add(a, o) < 0) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

static bool equal_value_list(const struct value_list_kind *vk, const void *a, const void *b)
{
	size_t n = *(const size_t *)a;

	return n == *(const size_t *)b &&
	       memcmp(value_list_item(vk, a, 0), value_list_item(vk, b, 0), n * vk->item_size) == 0;
}

#define VALUE_LIST_TYPE(name, list_type, parse_fn, format_fn, number)                                                  \
	_Static_assert(offsetof(list_type, items) == VALUE_LIST_ITEMS, #list_type ": n, then the items");              \
	static const struct value_list_kind name##_kind = {sizeof(list_type),                                          \
							   sizeof(((list_type *)0)->items[0]),                         \
							   ELEMENTSOF(((list_type *)0)->items),                        \
							   parse_fn,                                                   \
							   format_fn,                                                  \
							   number};                                                    \
	static int parse_##name(const struct config_key *k, const char *v, void *field, char *msg, size_t size)        \
	{                                                                                                              \
		return parse_value_list(&name##_kind, k, v, field, msg, size);                                         \
	}                                                                                                              \
	static void print_##name(_unused_ const struct config_key *k, const void *field, FILE *f)                      \
	{                                                                                                              \
		print_value_list(&name##_kind, field, f);                                                              \
	}                                                                                                              \
	static struct json_object *json_##name(_unused_ const struct config_key *k, const void *field)                 \
	{                                                                                                              \
		return json_value_list(&name##_kind, field);                                                           \
	}                                                                                                              \
	static bool equal_##name(const void *a, const void *b)                                                         \
	{                                                                                                              \
		return equal_value_list(&name##_kind, a, b);                                                           \
	}                                                                                                              \
	const struct config_type config_type_##name = {parse_##name, print_##name,	json_##name,                   \
						       equal_##name, sizeof(list_type), NULL}

/* (uid_t)-1 is "no uid" for the kernel, never a real user. */
static int parse_uid(const char *item, void *value, char *msg, size_t size)
{
	uint64_t uid;

	if (config_parse_u64(item, &uid) < 0 || uid >= UINT32_MAX) {
		snprintf(msg, size, "expected a numeric uid in 0..%" PRIu32 ", got '%s'", UINT32_MAX - 1, item);
		return -EINVAL;
	}
	*(uint32_t *)value = (uint32_t)uid;
	return 0;
}

static void format_uid(const void *value, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRIu32, *(const uint32_t *)value);
}

static int parse_port(const char *item, void *value, char *msg, size_t size)
{
	uint64_t port;

	if (config_parse_u64(item, &port) < 0 || port == 0 || port > 65535) {
		snprintf(msg, size, "expected a port number in 1..65535, got '%s'", item);
		return -EINVAL;
	}
	*(uint16_t *)value = (uint16_t)port;
	return 0;
}

static void format_port(const void *value, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRIu16, *(const uint16_t *)value);
}

static int parse_cidr(const char *item, void *value, char *msg, size_t size)
{
	if (cidr_parse(item, value) < 0) {
		snprintf(msg, size, "expected an IPv4 or IPv6 address or CIDR (192.0.2.0/24, 2001:db8::/32), got '%s'",
			 item);
		return -EINVAL;
	}
	return 0;
}

/* Back as an address of the family it was most likely written in (an
 * IPv4-mapped network is the IPv4 one: cidr_contains matches them alike), with
 * "/bits" unless it is one address. */
static void format_cidr(const void *value, char *buf, size_t size)
{
	static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
	const struct cidr *c = value;
	bool v4 = c->prefix >= 96 && memcmp(c->addr, v4mapped, sizeof(v4mapped)) == 0;
	unsigned bits = v4 ? c->prefix - 96u : c->prefix;
	char a[INET6_ADDRSTRLEN] = "";

	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? c->addr + 12 : c->addr, a, sizeof(a));
	if (bits == (v4 ? 32u : 128u))
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s/%u", a, bits);
}

VALUE_LIST_TYPE(uid_list, struct clawos_uid_list, parse_uid, format_uid, true);
VALUE_LIST_TYPE(port_list, struct port_list, parse_port, format_port, false);
VALUE_LIST_TYPE(cidr_list, struct cidr_list, parse_cidr, format_cidr, false);
