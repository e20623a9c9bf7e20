/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Value types of the configuration table: parse, print, JSON, compare. */

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config-internal.h"

int config_parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	/* strtoull alone accepts "+5", "-1", " 5" and "0x5"; insist on digits. */
	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v > UINT64_MAX)
		return -ERANGE;
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

/* ---- booleans ---- */

static int parse_bool(const struct config_key *k, const char *v, void *field, char *msg, size_t size)
{
	static const char *const yes[] = {"1", "yes", "true", "on"}, *const no[] = {"0", "no", "false", "off"};

	(void)k;
	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*(bool *)field = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*(bool *)field = false;
			return 0;
		}
	}
	snprintf(msg, size, "expected a boolean (yes, no, true, false, on, off, 1, 0), got '%s'", v);
	return -EINVAL;
}

static void print_bool(const struct config_key *k, const void *field, FILE *f)
{
	(void)k;
	fputs(*(const bool *)field ? "yes" : "no", f);
}

static struct json_object *json_of_bool(const struct config_key *k, const void *field)
{
	(void)k;
	return json_object_new_boolean(*(const bool *)field);
}

static bool equal_bool(const void *a, const void *b)
{
	return *(const bool *)a == *(const bool *)b;
}

const struct config_type config_type_bool = {parse_bool, print_bool, json_of_bool, equal_bool, sizeof(bool), NULL};

/* ---- unsigned integers (uint32_t fields) ---- */

static int check_range(const struct config_key *k, uint64_t v, const char *text, char *msg, size_t size)
{
	if (v < (uint64_t)k->min || v > (uint64_t)k->max) {
		snprintf(msg, size, "value %s is out of range: expected %" PRId64 "..%" PRId64, text, k->min, k->max);
		return -EINVAL;
	}
	return 0;
}

static int parse_uint(const struct config_key *k, const char *v, void *field, char *msg, size_t size)
{
	uint64_t n;
	int r;

	r = config_parse_u64(v, &n);
	if (r == -ERANGE)
		n = UINT64_MAX;
	else if (r < 0) {
		snprintf(msg, size,
			 "expected an unsigned decimal integer in %" PRId64 "..%" PRId64
			 " (digits only, no sign, suffix or leading zero), got '%s'",
			 k->min, k->max, v);
		return -EINVAL;
	}
	r = check_range(k, n, v, msg, size);
	if (r < 0)
		return r;
	*(uint32_t *)field = (uint32_t)n;
	return 0;
}

static void print_uint(const struct config_key *k, const void *field, FILE *f)
{
	(void)k;
	fprintf(f, "%" PRIu32, *(const uint32_t *)field);
}

static struct json_object *json_uint(const struct config_key *k, const void *field)
{
	(void)k;
	return json_object_new_int64(*(const uint32_t *)field);
}

static bool equal_uint(const void *a, const void *b)
{
	return *(const uint32_t *)a == *(const uint32_t *)b;
}

const struct config_type config_type_uint = {parse_uint, print_uint, json_uint, equal_uint, sizeof(uint32_t), NULL};

/* ---- sizes: decimal bytes with an optional binary K, M or G suffix ---- */

static int parse_size(const struct config_key *k, const char *v, void *field, char *msg, size_t size)
{
	static const char suffixes[] = "KMG";
	char digits[32];
	size_t n = strlen(v);
	unsigned shift = 0;
	uint64_t bytes;
	int r;

	if (n > 0 && strchr(suffixes, v[n - 1])) {
		shift = 10 * (unsigned)(strchr(suffixes, v[n - 1]) - suffixes + 1);
		n--;
	}
	if (n == 0 || n >= sizeof(digits))
		goto invalid;
	memcpy(digits, v, n);
	digits[n] = '\0';
	r = config_parse_u64(digits, &bytes);
	if (r == -ERANGE || (r == 0 && bytes > (UINT64_MAX >> shift)))
		bytes = UINT64_MAX;
	else if (r < 0)
		goto invalid;
	else
		bytes <<= shift;
	r = check_range(k, bytes, v, msg, size);
	if (r < 0)
		return r;
	if ((bytes & (bytes - 1)) != 0) {
		snprintf(msg, size, "value %s is not a power of two (e.g. 1M, 4M, 16M)", v);
		return -EINVAL;
	}
	*(uint32_t *)field = (uint32_t)bytes;
	return 0;

invalid:
	snprintf(msg, size,
		 "expected a size in bytes: a decimal number with an optional binary suffix K, M or G (e.g. 4M), "
		 "got '%s'",
		 v);
	return -EINVAL;
}

static void print_size(const struct config_key *k, const void *field, FILE *f)
{
	uint32_t v = *(const uint32_t *)field;

	(void)k;
	if (v != 0 && v % (1024 * 1024) == 0)
		fprintf(f, "%" PRIu32 "M", v / (1024 * 1024));
	else if (v != 0 && v % 1024 == 0)
		fprintf(f, "%" PRIu32 "K", v / 1024);
	else
		fprintf(f, "%" PRIu32, v);
}

const struct config_type config_type_size = {parse_size, print_size, json_uint, equal_uint, sizeof(uint32_t), NULL};

/* ---- file modes: octal, starting with 0 ---- */

static int parse_mode(const struct config_key *k, const char *v, void *field, char *msg, size_t size)
{
	unsigned long mode;
	char *end;

	if (v[0] != '0' || strspn(v, "01234567") != strlen(v) || strlen(v) > 5) {
		snprintf(msg, size, "expected an octal file mode starting with 0 (e.g. 0660), got '%s'", v);
		return -EINVAL;
	}
	errno = 0;
	mode = strtoul(v, &end, 8);
	if (errno != 0 || *end != '\0' || mode > (unsigned long)k->max) {
		snprintf(msg, size,
			 "mode %s is out of range: expected 0..0%" PRIo64 " (no setuid, setgid or sticky bits)", v,
			 (uint64_t)k->max);
		return -EINVAL;
	}
	if (mode & 0002) {
		snprintf(msg, size, "mode %s is world-writable: anyone could connect and read the events; use 0660", v);
		return -EINVAL;
	}
	*(uint32_t *)field = (uint32_t)mode;
	return 0;
}

static void print_mode(const struct config_key *k, const void *field, FILE *f)
{
	(void)k;
	fprintf(f, "0%03" PRIo32, *(const uint32_t *)field);
}

static struct json_object *json_mode(const struct config_key *k, const void *field)
{
	char buf[16];

	(void)k;
	snprintf(buf, sizeof(buf), "0%03" PRIo32, *(const uint32_t *)field);
	return json_object_new_string(buf);
}

const struct config_type config_type_mode = {parse_mode, print_mode, json_mode, equal_uint, sizeof(uint32_t), NULL};

/* ---- enums: k->names[i] is the value k->min + i (int fields) ---- */

static int parse_enum(const struct config_key *k, const char *v, void *field, char *msg, size_t size)
{
	int n;

	for (int64_t i = 0; i <= k->max - k->min; i++)
		if (strcasecmp(v, k->names[i]) == 0) {
			*(int *)field = (int)(k->min + i);
			return 0;
		}
	n = snprintf(msg, size, "expected one of");
	for (int64_t i = 0; i <= k->max - k->min && n > 0 && (size_t)n < size; i++)
		n += snprintf(msg + n, size - (size_t)n, "%s %s", i == 0 ? "" : ",", k->names[i]);
	if (n > 0 && (size_t)n < size)
		snprintf(msg + n, size - (size_t)n, ", got '%s'", v);
	return -EINVAL;
}

static const char *enum_name(const struct config_key *k, const void *field)
{
	int v = *(const int *)field;

	if (v < k->min || v > k->max)
		return "invalid";
	return k->names[v - k->min];
}

static void print_enum(const struct config_key *k, const void *field, FILE *f)
{
	fputs(enum_name(k, field), f);
}

static struct json_object *json_enum(const struct config_key *k, const void *field)
{
	return json_object_new_string(enum_name(k, field));
}

static bool equal_int(const void *a, const void *b)
{
	return *(const int *)a == *(const int *)b;
}

const struct config_type config_type_enum = {parse_enum, print_enum, json_enum, equal_int, sizeof(int), NULL};
