/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Names for the numbers that the BPF records carry: x86_64 syscalls, open(2)
 * flags, socket families, types and protocols, errno values, and the text
 * form of IP addresses.  Pure logic: static tables, no allocation, no I/O.
 * The errno table is generated at build time from the kernel's UAPI header
 * (agent/gen-errno-names.sh); the others do not depend on the build host's
 * headers.
 */

#include <stddef.h>
#include <stdint.h>

/*
 * open(2) flags as the x86_64 kernel defines them.  The records carry the
 * kernel's value, so these do not come from <fcntl.h>: glibc hides several
 * behind _GNU_SOURCE and defines O_LARGEFILE as 0 on 64-bit, while the kernel
 * forces the real bit into f_flags.
 */
#define CLAWOS_O_ACCMODE 00000003
#define CLAWOS_O_RDONLY 00000000
#define CLAWOS_O_WRONLY 00000001
#define CLAWOS_O_RDWR 00000002
#define CLAWOS_FMODE_EXEC 00000040 /* kernel-internal, set in f_flags by exec */
#define CLAWOS_O_CREAT 00000100
#define CLAWOS_O_EXCL 00000200
#define CLAWOS_O_NOCTTY 00000400
#define CLAWOS_O_TRUNC 00001000
#define CLAWOS_O_APPEND 00002000
#define CLAWOS_O_NONBLOCK 00004000
#define CLAWOS_O_DSYNC 00010000
#define CLAWOS_O_ASYNC 00020000 /* FASYNC */
#define CLAWOS_O_DIRECT 00040000
#define CLAWOS_O_LARGEFILE 00100000
#define CLAWOS_O_DIRECTORY 00200000
#define CLAWOS_O_NOFOLLOW 00400000
#define CLAWOS_O_NOATIME 01000000
#define CLAWOS_O_CLOEXEC 02000000
#define CLAWOS___O_SYNC 04000000
#define CLAWOS_O_SYNC (CLAWOS___O_SYNC | CLAWOS_O_DSYNC)
#define CLAWOS_O_PATH 010000000
#define CLAWOS___O_TMPFILE 020000000
#define CLAWOS_O_TMPFILE (CLAWOS___O_TMPFILE | CLAWOS_O_DIRECTORY)

/* Upper bound of the names open_flags_names() can return for any value. */
#define OPEN_FLAGS_NAMES_MAX 24
/* Buffer that open_flags_format() never overflows. */
#define OPEN_FLAGS_FORMAT_MAX 256
/* Text sizes including the NUL, as INET_ADDRSTRLEN and INET6_ADDRSTRLEN. */
#define IPV4_TEXT_MAX 16
#define IPV6_TEXT_MAX 46

/* Name of x86_64 syscall @nr without the sys_ prefix, NULL if none. */
const char *syscall_name(unsigned nr);
/* Number of the x86_64 syscall @name, -ENOENT if unknown, -EINVAL if NULL. */
int syscall_number(const char *name);
/* One more than the highest syscall number syscall_name() knows. */
unsigned syscall_table_size(void);

/*
 * Stores in @out up to @max names for @flags: the access mode first
 * ("O_RDONLY", "O_WRONLY", "O_RDWR", or "O_ACCMODE" for 3), then each known
 * flag in bit order.  O_SYNC and O_TMPFILE are named once, not together with
 * the O_DSYNC and O_DIRECTORY bits they include.  Returns the number of names
 * @flags has, which is more than @max when @out was too short (like
 * snprintf()).  Bits without a name are left to open_flags_unknown().
 */
size_t open_flags_names(uint32_t flags, const char **out, size_t max);
/* The bits of @flags that open_flags_names() has no name for. */
uint32_t open_flags_unknown(uint32_t flags);
/*
 * Writes the names of @flags joined by '|', with unknown bits appended as
 * one hex number, e.g. "O_WRONLY|O_CREAT|0x80000000".  Returns 0, -EINVAL if
 * @buf is NULL, or -ENOSPC if @size is too small (@buf is then "").
 */
int open_flags_format(uint32_t flags, char *buf, size_t size);

/* "AF_INET", "AF_UNIX", ... for a socket(2) domain, NULL if unknown. */
const char *socket_family_name(unsigned family);
/* "SOCK_STREAM", ... ignoring SOCK_NONBLOCK and SOCK_CLOEXEC, NULL if unknown. */
const char *socket_type_name(unsigned type);
/* "tcp", "udp", ... for an IPPROTO_* value, NULL if unknown (including 0). */
const char *ip_protocol_name(unsigned proto);

/*
 * "ENOENT", ... for a positive errno value: each that <linux/errno.h> names
 * (aliases such as EWOULDBLOCK give the first name), and the kernel's
 * restart codes 512..516 that the sys_exit tracepoint sees before signal
 * delivery rewrites them.  NULL for unknown, zero or negative values.
 */
const char *errno_name(int err);

/*
 * Text form (RFC 5952 for IPv6, "::ffff:a.b.c.d" for mapped IPv4) of an
 * address in network byte order.  Return 0, -EINVAL if a pointer is NULL, or
 * -ENOSPC if @size is too small.
 */
int format_ipv4(uint32_t be_addr, char *buf, size_t size);
int format_ipv6(const uint8_t addr[16], char *buf, size_t size);

/* "tracepoint", "lsm", "cgroup", ... for enum clawos_mechanism, "unknown"
 * for a value without a name; the value of a name, or -EINVAL. */
const char *mechanism_name(unsigned mechanism);
int mechanism_from_name(const char *s);
/* "open", "file_open", "truncate" for a file record's enum clawos_file_op;
 * "open" for an unknown value (every file record is an access). */
const char *file_op_name(unsigned op);
int file_op_from_name(const char *s);
