/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

int cidr_parse(const char *s, struct cidr *out)
{
	char buf[64], *slash;
	unsigned long bits;
	struct in_addr a4;
	char *end;
	bool v4;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(out, 0, sizeof(*out));
	v4 = inet_pton(AF_INET, buf, &a4) == 1;
	if (v4) {
		out->addr[10] = out->addr[11] = 0xff;
		memcpy(out->addr + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, buf, out->addr) != 1) {
		return -EINVAL;
	}
	bits = v4 ? 32 : 128;
	if (slash) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || bits > (v4 ? 32u : 128u))
			return -EINVAL;
	}
	out->prefix = (uint8_t)(v4 ? bits + 96 : bits);
	return 0;
}

bool cidr_contains(const struct cidr *c, const uint8_t addr[16])
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, addr, full) != 0)
		return false;
	return rest == 0 || ((c->addr[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}
