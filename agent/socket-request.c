/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "socket-request.h"

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

int socket_request_parse(const char *line, size_t len, char *err, size_t errsize)
{
	static const char verb[] = "format ";
	char name[16];
	int f;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len >= SOCKET_REQUEST_MAX) {
		snprintf(err, errsize, "request longer than %d bytes", SOCKET_REQUEST_MAX - 1);
		return -EINVAL;
	}
	if (!has_prefix(line, len, verb)) {
		snprintf(err, errsize, "unknown request (the only one is 'format native|ecs|ocsf')");
		return -EINVAL;
	}
	line += sizeof(verb) - 1;
	len -= sizeof(verb) - 1;
	if (len == 0 || len >= sizeof(name) || memchr(line, '\0', len)) {
		snprintf(err, errsize, "format request without a valid format name (native, ecs, ocsf)");
		return -EINVAL;
	}
	memcpy(name, line, len);
	name[len] = '\0';
	f = record_format_from_name(name);
	if (f < 0) {
		/* name is at most 15 bytes; printable or not, %s of it is bounded */
		for (char *p = name; *p; p++)
			if (*p < 0x20 || *p == '"' || *p == '\\' || (unsigned char)*p >= 0x7f)
				*p = '?';
		snprintf(err, errsize, "unknown format '%s' (native, ecs, ocsf)", name);
		return -EINVAL;
	}
	return f;
}

int socket_request_format(enum record_format f, char *buf, size_t size)
{
	const char *name = record_format_name(f);
	int n;

	if (!name)
		return -EINVAL;
	n = snprintf(buf, size, "format %s\n", name);
	return n < 0 || (size_t)n >= size ? -ENOBUFS : n;
}

int record_format_of_line(const char *line, size_t len)
{
	if (has_prefix(line, len, "{\"event\":"))
		return RECORD_FORMAT_NATIVE;
	if (has_prefix(line, len, "{\"@timestamp\":"))
		return RECORD_FORMAT_ECS;
	if (has_prefix(line, len, "{\"class_uid\":"))
		return RECORD_FORMAT_OCSF;
	return -EINVAL;
}

bool socket_error_line(const char *line, size_t len, char *buf, size_t size)
{
	static const char prefix[] = "{\"error\":\"";
	size_t n = 0;

	if (!size || !has_prefix(line, len, prefix))
		return false;
	for (size_t i = sizeof(prefix) - 1; i < len && line[i] != '"' && n + 1 < size; i++) {
		if (line[i] == '\\' && i + 1 < len)
			i++;
		buf[n++] = line[i];
	}
	buf[n] = '\0';
	return true;
}
