/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Networks and port lists as the configuration holds them ([anomaly]
 * network_deny_cidrs and network_deny_ports, Sigma's cidr modifier): IPv4
 * in its IPv4-mapped IPv6 form, so that one match serves both families.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIDR_LIST_MAX 32
#define PORT_LIST_MAX 32

struct cidr {
	uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	uint8_t prefix;	  /* bits, of the 128-bit form */
};

struct cidr_list {
	size_t n;
	struct cidr items[CIDR_LIST_MAX];
};

struct port_list {
	size_t n;
	uint16_t items[PORT_LIST_MAX];
};

/* "10.0.0.0/8", "2001:db8::/32" or an address alone (a host); -EINVAL
 * for anything else (a prefix longer than the family's, trailing text). */
int cidr_parse(const char *s, struct cidr *out);

/* addr (16 bytes, IPv4 mapped) is inside c. */
bool cidr_contains(const struct cidr *c, const uint8_t addr[16]);
