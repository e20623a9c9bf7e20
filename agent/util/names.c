/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf/clawos-abi.h"
#include "errno-table.h"
#include "macro.h"
#include "names.h"
#include "syscall-table.h"

/*
 * Our open(2) values must agree with libc's wherever libc has them (several
 * only with _GNU_SOURCE, which the build defines).  O_LARGEFILE is left out
 * on purpose: glibc defines it as 0 on x86_64.
 */
#define SAME_AS_LIBC(flag) _Static_assert(CLAWOS_##flag == flag, #flag)
SAME_AS_LIBC(O_ACCMODE);
SAME_AS_LIBC(O_RDONLY);
SAME_AS_LIBC(O_WRONLY);
SAME_AS_LIBC(O_RDWR);
SAME_AS_LIBC(O_CREAT);
SAME_AS_LIBC(O_EXCL);
SAME_AS_LIBC(O_NOCTTY);
SAME_AS_LIBC(O_TRUNC);
SAME_AS_LIBC(O_APPEND);
SAME_AS_LIBC(O_NONBLOCK);
SAME_AS_LIBC(O_DSYNC);
SAME_AS_LIBC(O_DIRECTORY);
SAME_AS_LIBC(O_NOFOLLOW);
SAME_AS_LIBC(O_CLOEXEC);
SAME_AS_LIBC(O_SYNC);
SAME_AS_LIBC(O_ASYNC);
SAME_AS_LIBC(O_DIRECT);
SAME_AS_LIBC(O_NOATIME);
SAME_AS_LIBC(O_PATH);
SAME_AS_LIBC(O_TMPFILE);
_Static_assert(IPV4_TEXT_MAX == INET_ADDRSTRLEN, "INET_ADDRSTRLEN");
_Static_assert(IPV6_TEXT_MAX == INET6_ADDRSTRLEN, "INET6_ADDRSTRLEN");

const char *syscall_name(unsigned nr)
{
	if (nr >= ELEMENTSOF(syscall_table))
		return NULL;
	return syscall_table[nr];
}

int syscall_number(const char *name)
{
	if (!name)
		return -EINVAL;
	for (unsigned nr = 0; nr < ELEMENTSOF(syscall_table); nr++)
		if (syscall_table[nr] && strcmp(syscall_table[nr], name) == 0)
			return (int)nr;
	return -ENOENT;
}

unsigned syscall_table_size(void)
{
	return ELEMENTSOF(syscall_table);
}

/* clang-format off */
static const char *const open_access_modes[] = {
	"O_RDONLY",
	"O_WRONLY",
	"O_RDWR",
	"O_ACCMODE", /* 3: no read or write access, ioctl only; strace's name */
};
/* clang-format on */

/* In bit order, which is the order open_flags_names() reports them in. */
/* clang-format off */
static const struct {
	uint32_t bit;
	const char *name;
} open_flags[] = {
	{ CLAWOS_FMODE_EXEC, "__FMODE_EXEC" },
	{ CLAWOS_O_CREAT, "O_CREAT" },
	{ CLAWOS_O_EXCL, "O_EXCL" },
	{ CLAWOS_O_NOCTTY, "O_NOCTTY" },
	{ CLAWOS_O_TRUNC, "O_TRUNC" },
	{ CLAWOS_O_APPEND, "O_APPEND" },
	{ CLAWOS_O_NONBLOCK, "O_NONBLOCK" },
	{ CLAWOS_O_DSYNC, "O_DSYNC" },
	{ CLAWOS_O_ASYNC, "O_ASYNC" },
	{ CLAWOS_O_DIRECT, "O_DIRECT" },
	{ CLAWOS_O_LARGEFILE, "O_LARGEFILE" },
	{ CLAWOS_O_DIRECTORY, "O_DIRECTORY" },
	{ CLAWOS_O_NOFOLLOW, "O_NOFOLLOW" },
	{ CLAWOS_O_NOATIME, "O_NOATIME" },
	{ CLAWOS_O_CLOEXEC, "O_CLOEXEC" },
	{ CLAWOS___O_SYNC, "O_SYNC" },
	{ CLAWOS_O_PATH, "O_PATH" },
	{ CLAWOS___O_TMPFILE, "O_TMPFILE" },
};
/* clang-format on */

/* The name of one set bit of @flags, NULL if another name already covers it. */
static const char *open_flag_name(uint32_t bit, const char *name, uint32_t flags)
{
	/* O_SYNC is __O_SYNC|O_DSYNC; the kernel also treats a bare __O_SYNC as O_SYNC. */
	if (bit == CLAWOS_O_DSYNC && (flags & CLAWOS___O_SYNC))
		return NULL;
	/* O_TMPFILE is __O_TMPFILE|O_DIRECTORY; open(2) rejects __O_TMPFILE alone. */
	if (bit == CLAWOS_O_DIRECTORY && (flags & CLAWOS___O_TMPFILE))
		return NULL;
	if (bit == CLAWOS___O_TMPFILE && !(flags & CLAWOS_O_DIRECTORY))
		return "__O_TMPFILE";
	return name;
}

size_t open_flags_names(uint32_t flags, const char **out, size_t max)
{
	size_t n = 0;

	if (!out)
		max = 0;
	if (n < max)
		out[n] = open_access_modes[flags & CLAWOS_O_ACCMODE];
	n++;

	for (size_t i = 0; i < ELEMENTSOF(open_flags); i++) {
		const char *name;

		if (!(flags & open_flags[i].bit))
			continue;
		name = open_flag_name(open_flags[i].bit, open_flags[i].name, flags);
		if (!name)
			continue;
		if (n < max)
			out[n] = name;
		n++;
	}
	return n;
}

uint32_t open_flags_unknown(uint32_t flags)
{
	uint32_t known = CLAWOS_O_ACCMODE;

	for (size_t i = 0; i < ELEMENTSOF(open_flags); i++)
		known |= open_flags[i].bit;
	return flags & ~known;
}

int open_flags_format(uint32_t flags, char *buf, size_t size)
{
	const char *names[OPEN_FLAGS_NAMES_MAX];
	uint32_t unknown = open_flags_unknown(flags);
	size_t n, len = 0;
	int r;

	if (!buf)
		return -EINVAL;
	if (size == 0)
		return -ENOSPC;

	n = open_flags_names(flags, names, ELEMENTSOF(names));
	for (size_t i = 0; i < n; i++) {
		r = snprintf(buf + len, size - len, "%s%s", i > 0 ? "|" : "", names[i]);
		if (r < 0 || (size_t)r >= size - len)
			goto too_small;
		len += (size_t)r;
	}
	if (unknown != 0) {
		r = snprintf(buf + len, size - len, "|0x%" PRIx32, unknown);
		if (r < 0 || (size_t)r >= size - len)
			goto too_small;
	}
	return 0;

too_small:
	buf[0] = '\0';
	return -ENOSPC;
}

/* Linux's address families (include/linux/socket.h), all of them up to AF_MCTP. */
/* clang-format off */
static const char *const socket_families[] = {
	[0] = "AF_UNSPEC",       [1] = "AF_UNIX",         [2] = "AF_INET",         [3] = "AF_AX25",
	[4] = "AF_IPX",          [5] = "AF_APPLETALK",    [6] = "AF_NETROM",       [7] = "AF_BRIDGE",
	[8] = "AF_ATMPVC",       [9] = "AF_X25",          [10] = "AF_INET6",       [11] = "AF_ROSE",
	[12] = "AF_DECnet",      [13] = "AF_NETBEUI",     [14] = "AF_SECURITY",    [15] = "AF_KEY",
	[16] = "AF_NETLINK",     [17] = "AF_PACKET",      [18] = "AF_ASH",         [19] = "AF_ECONET",
	[20] = "AF_ATMSVC",      [21] = "AF_RDS",         [22] = "AF_SNA",         [23] = "AF_IRDA",
	[24] = "AF_PPPOX",       [25] = "AF_WANPIPE",     [26] = "AF_LLC",         [27] = "AF_IB",
	[28] = "AF_MPLS",        [29] = "AF_CAN",         [30] = "AF_TIPC",        [31] = "AF_BLUETOOTH",
	[32] = "AF_IUCV",        [33] = "AF_RXRPC",       [34] = "AF_ISDN",        [35] = "AF_PHONET",
	[36] = "AF_IEEE802154",  [37] = "AF_CAIF",        [38] = "AF_ALG",         [39] = "AF_NFC",
	[40] = "AF_VSOCK",       [41] = "AF_KCM",         [42] = "AF_QIPCRTR",     [43] = "AF_SMC",
	[44] = "AF_XDP",         [45] = "AF_MCTP",
};
/* clang-format on */

const char *socket_family_name(unsigned family)
{
	if (family >= ELEMENTSOF(socket_families))
		return NULL;
	return socket_families[family];
}

/* clang-format off */
static const char *const socket_types[] = {
	[1] = "SOCK_STREAM",     [2] = "SOCK_DGRAM",      [3] = "SOCK_RAW",        [4] = "SOCK_RDM",
	[5] = "SOCK_SEQPACKET",  [6] = "SOCK_DCCP",       [10] = "SOCK_PACKET",
};
/* clang-format on */

const char *socket_type_name(unsigned type)
{
	/* SOCK_NONBLOCK and SOCK_CLOEXEC share the O_ values on x86_64. */
	type &= ~(unsigned)(CLAWOS_O_NONBLOCK | CLAWOS_O_CLOEXEC);
	if (type >= ELEMENTSOF(socket_types))
		return NULL;
	return socket_types[type];
}

/* Spelled as in /etc/protocols, lower case. */
/* clang-format off */
static const struct {
	unsigned proto;
	const char *name;
} ip_protocols[] = {
	{ 1, "icmp" },       { 2, "igmp" },       { 4, "ipip" },       { 6, "tcp" },        { 17, "udp" },
	{ 41, "ipv6" },      { 47, "gre" },       { 50, "esp" },       { 51, "ah" },        { 58, "icmpv6" },
	{ 132, "sctp" },     { 136, "udplite" },  { 255, "raw" },      { 262, "mptcp" },
};
/* clang-format on */

const char *ip_protocol_name(unsigned proto)
{
	for (size_t i = 0; i < ELEMENTSOF(ip_protocols); i++)
		if (ip_protocols[i].proto == proto)
			return ip_protocols[i].name;
	return NULL;
}

/*
 * include/linux/errno.h: kernel-internal codes that should not reach user
 * space, but the sys_exit tracepoint sees them before signal delivery
 * rewrites them (to EINTR or a restarted call).
 */
/* clang-format off */
static const char *const errno_restart_names[] = {
	"ERESTARTSYS",
	"ERESTARTNOINTR",
	"ERESTARTNOHAND",
	"ENOIOCTLCMD",
	"ERESTART_RESTARTBLOCK",
};
/* clang-format on */
#define ERRNO_RESTART_BASE 512

const char *errno_name(int err)
{
	if (err <= 0)
		return NULL;
	if ((unsigned)err < ELEMENTSOF(errno_table))
		return errno_table[err];
	if (err >= ERRNO_RESTART_BASE && (unsigned)(err - ERRNO_RESTART_BASE) < ELEMENTSOF(errno_restart_names))
		return errno_restart_names[err - ERRNO_RESTART_BASE];
	return NULL;
}

static int format_address(int family, const void *addr, char *buf, size_t size)
{
	if (!addr || !buf)
		return -EINVAL;
	/* Longer buffers than the longest text are never needed; keeps socklen_t safe. */
	if (size > INET6_ADDRSTRLEN)
		size = INET6_ADDRSTRLEN;
	if (!inet_ntop(family, addr, buf, (socklen_t)size)) {
		if (size > 0)
			buf[0] = '\0';
		return errno > 0 ? -errno : -EIO;
	}
	return 0;
}

int format_ipv4(uint32_t be_addr, char *buf, size_t size)
{
	return format_address(AF_INET, &be_addr, buf, size);
}

int format_ipv6(const uint8_t addr[16], char *buf, size_t size)
{
	return format_address(AF_INET6, addr, buf, size);
}

static const char *const file_op_table[CLAWOS_FILE_OP_MAX] = {
    [CLAWOS_FILE_OP_OPEN] = "open",
    [CLAWOS_FILE_OP_FILE_OPEN] = "file_open",
    [CLAWOS_FILE_OP_TRUNCATE] = "truncate",
};

/* Every file record is an access: an unknown op is still an "open". */
DEFINE_STRING_TABLE_LOOKUP(file_op, unsigned, file_op_table, "open");

static const char *const mechanism_table[CLAWOS_MECH_MAX] = {
    [CLAWOS_MECH_NONE] = "none",     [CLAWOS_MECH_TRACEPOINT] = "tracepoint", [CLAWOS_MECH_LSM] = "lsm",
    [CLAWOS_MECH_CGROUP] = "cgroup", [CLAWOS_MECH_CGROUP_SKB] = "cgroup_skb", [CLAWOS_MECH_TP_BTF] = "tp_btf",
    [CLAWOS_MECH_USER] = "user",
};

DEFINE_STRING_TABLE_LOOKUP(mechanism, unsigned, mechanism_table, "unknown");
