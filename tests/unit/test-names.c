/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libc's values are the independent reference the tables are checked against. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "agent/util/macro.h"
#include "agent/util/names.h"
#include "bpf/clawos-abi.h"

static void test_syscall_spot_checks(void **state)
{
	static const struct {
		unsigned nr;
		const char *name;
	} known[] = {
	    {0, "read"},
	    {1, "write"},
	    {2, "open"},
	    {3, "close"},
	    {42, "connect"},
	    {56, "clone"},
	    {59, "execve"},
	    {257, "openat"},
	    {321, "bpf"},
	    {322, "execveat"},
	    {334, "rseq"},
	    {424, "pidfd_send_signal"},
	    {425, "io_uring_setup"},
	    {435, "clone3"},
	    {437, "openat2"},
	    {450, "set_mempolicy_home_node"},
	    {451, "cachestat"},
	    {452, "fchmodat2"},
	    {453, "map_shadow_stack"},
	    {454, "futex_wake"},
	    {455, "futex_wait"},
	    {456, "futex_requeue"},
	    {457, "statmount"},
	    {458, "listmount"},
	    {459, "lsm_get_self_attr"},
	    {460, "lsm_set_self_attr"},
	    {461, "lsm_list_modules"},
	    {462, "mseal"},
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(known); i++) {
		assert_non_null(syscall_name(known[i].nr));
		assert_string_equal(syscall_name(known[i].nr), known[i].name);
		assert_int_equal(syscall_number(known[i].name), (int)known[i].nr);
	}

	/* Against the build host's own numbering. */
	assert_string_equal(syscall_name(SYS_read), "read");
	assert_string_equal(syscall_name(SYS_execve), "execve");
	assert_string_equal(syscall_name(SYS_openat), "openat");
	assert_string_equal(syscall_name(SYS_ptrace), "ptrace");
	assert_string_equal(syscall_name(SYS_init_module), "init_module");
	assert_string_equal(syscall_name(SYS_finit_module), "finit_module");
	assert_string_equal(syscall_name(SYS_memfd_create), "memfd_create");
	assert_string_equal(syscall_name(SYS_process_vm_writev), "process_vm_writev");
}

static void test_syscall_round_trip(void **state)
{
	unsigned size = syscall_table_size(), count = 0;

	(void)state;
	assert_true(size > 462);
	for (unsigned nr = 0; nr < size; nr++) {
		const char *name = syscall_name(nr);

		if (!name)
			continue;
		count++;
		assert_true(name[0] != '\0');
		assert_int_equal(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_"), strlen(name));
		assert_int_equal(syscall_number(name), (int)nr);
		assert_string_equal(syscall_name((unsigned)syscall_number(name)), name);
	}
	/* 0..334 and 424..450 from the Debian 12 header, 451..462 at least. */
	assert_true(count >= 335 + 27 + 12);
}

static void test_syscall_gaps(void **state)
{
	(void)state;
	/* x86_64 leaves 387..423 unused, and x32's 512.. is not ours. */
	for (unsigned nr = 387; nr <= 423; nr++)
		assert_null(syscall_name(nr));
	assert_null(syscall_name(512));
	assert_null(syscall_name(syscall_table_size()));
	assert_null(syscall_name(100000));
	assert_null(syscall_name(UINT_MAX));

	assert_int_equal(syscall_number("no_such_syscall"), -ENOENT);
	assert_int_equal(syscall_number(""), -ENOENT);
	assert_int_equal(syscall_number("READ"), -ENOENT);
	assert_int_equal(syscall_number("sys_read"), -ENOENT);
	assert_int_equal(syscall_number(NULL), -EINVAL);
}

/* Checks both the array form and the joined form of @flags. */
static void check_open_flags(uint32_t flags, const char *expected)
{
	const char *names[OPEN_FLAGS_NAMES_MAX];
	char joined[OPEN_FLAGS_FORMAT_MAX] = "", buf[OPEN_FLAGS_FORMAT_MAX];
	size_t n;

	n = open_flags_names(flags, names, ELEMENTSOF(names));
	assert_true(n >= 1 && n <= ELEMENTSOF(names));
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, "|");
		strcat(joined, names[i]);
	}
	if (open_flags_unknown(flags) == 0)
		assert_string_equal(joined, expected);

	assert_int_equal(open_flags_format(flags, buf, sizeof(buf)), 0);
	assert_string_equal(buf, expected);
}

static void test_open_flags_common(void **state)
{
	(void)state;
	check_open_flags(0, "O_RDONLY");
	check_open_flags(O_RDONLY, "O_RDONLY");
	check_open_flags(O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC");
	check_open_flags(O_RDWR | O_CLOEXEC | O_DIRECTORY, "O_RDWR|O_DIRECTORY|O_CLOEXEC");
	check_open_flags(O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, "O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW");
	check_open_flags(O_WRONLY | O_APPEND | O_NONBLOCK | O_NOCTTY, "O_WRONLY|O_NOCTTY|O_APPEND|O_NONBLOCK");
	check_open_flags(O_RDONLY | O_DIRECT | O_NOATIME | O_ASYNC, "O_RDONLY|O_ASYNC|O_DIRECT|O_NOATIME");
	check_open_flags(O_PATH | O_CLOEXEC, "O_RDONLY|O_CLOEXEC|O_PATH");
	check_open_flags(O_ACCMODE, "O_ACCMODE");
	/* What the kernel puts in f_flags for exec and for every 64-bit open. */
	check_open_flags(CLAWOS_FMODE_EXEC | CLAWOS_O_LARGEFILE, "O_RDONLY|__FMODE_EXEC|O_LARGEFILE");
	assert_int_equal(CLAWOS_O_LARGEFILE, 0100000);
}

static void test_open_flags_composite(void **state)
{
	(void)state;
	/* O_SYNC carries the O_DSYNC bit: one name, not two. */
	check_open_flags(O_WRONLY | O_SYNC, "O_WRONLY|O_SYNC");
	check_open_flags(O_WRONLY | O_DSYNC, "O_WRONLY|O_DSYNC");
	check_open_flags(CLAWOS___O_SYNC, "O_RDONLY|O_SYNC");
	assert_int_equal(CLAWOS_O_SYNC, O_SYNC);

	/* O_TMPFILE carries the O_DIRECTORY bit. */
	check_open_flags(O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE");
	check_open_flags(O_WRONLY | O_TMPFILE | O_EXCL, "O_WRONLY|O_EXCL|O_TMPFILE");
	check_open_flags(O_RDWR | CLAWOS___O_TMPFILE, "O_RDWR|__O_TMPFILE");
	assert_int_equal(CLAWOS_O_TMPFILE, O_TMPFILE);

	assert_int_equal(open_flags_unknown(O_RDWR | O_SYNC | O_TMPFILE | O_CLOEXEC), 0);
}

static void test_open_flags_unknown(void **state)
{
	const char *names[2];
	char buf[OPEN_FLAGS_FORMAT_MAX];

	(void)state;
	assert_int_equal(open_flags_unknown(0x80000000u), 0x80000000u);
	assert_int_equal(open_flags_unknown(0x80000000u | O_WRONLY | O_CREAT), 0x80000000u);
	assert_int_equal(open_flags_unknown(0x40000000u | 0x10u), 0x40000010u);

	check_open_flags(0x80000000u, "O_RDONLY|0x80000000");
	check_open_flags(O_WRONLY | O_CREAT | 0x40000010u, "O_WRONLY|O_CREAT|0x40000010");
	assert_int_equal(open_flags_names(0x80000000u, names, ELEMENTSOF(names)), 1);
	assert_string_equal(names[0], "O_RDONLY");

	/* Every bit set: everything named once, the rest in hex. */
	assert_int_equal(open_flags_format(UINT32_MAX, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "O_ACCMODE|__FMODE_EXEC|O_CREAT|"));
	assert_null(strstr(buf, "O_DSYNC"));
	assert_null(strstr(buf, "O_DIRECTORY"));
	assert_non_null(strstr(buf, "|O_SYNC|O_PATH|O_TMPFILE|0xff80001c"));
}

static void test_open_flags_short_output(void **state)
{
	const char *names[1];
	char buf[OPEN_FLAGS_FORMAT_MAX];
	uint32_t flags = O_WRONLY | O_CREAT | O_TRUNC;

	(void)state;
	/* Like snprintf(): the count is the full one, storage stops at max. */
	assert_int_equal(open_flags_names(flags, names, ELEMENTSOF(names)), 3);
	assert_string_equal(names[0], "O_WRONLY");
	assert_int_equal(open_flags_names(flags, NULL, 0), 3);
	assert_int_equal(open_flags_names(UINT32_MAX, NULL, 0), 17);
	assert_true(open_flags_names(UINT32_MAX, NULL, 0) <= OPEN_FLAGS_NAMES_MAX);

	assert_int_equal(open_flags_format(flags, buf, strlen("O_WRONLY|O_CREAT|O_TRUNC") + 1), 0);
	assert_string_equal(buf, "O_WRONLY|O_CREAT|O_TRUNC");
	assert_int_equal(open_flags_format(flags, buf, strlen("O_WRONLY|O_CREAT|O_TRUNC")), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(open_flags_format(0x80000000u, buf, strlen("O_RDONLY|0x8000000") + 1), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(open_flags_format(0, buf, 1), -ENOSPC);
	assert_int_equal(open_flags_format(0, buf, 0), -ENOSPC);
	assert_int_equal(open_flags_format(0, NULL, 10), -EINVAL);
}

#define CHECK_NAME(fn, macro) assert_string_equal(fn(macro), #macro)

static void test_socket_names(void **state)
{
	(void)state;
	CHECK_NAME(socket_family_name, AF_UNSPEC);
	CHECK_NAME(socket_family_name, AF_UNIX);
	CHECK_NAME(socket_family_name, AF_INET);
	CHECK_NAME(socket_family_name, AF_INET6);
	CHECK_NAME(socket_family_name, AF_NETLINK);
	CHECK_NAME(socket_family_name, AF_PACKET);
	CHECK_NAME(socket_family_name, AF_BLUETOOTH);
	CHECK_NAME(socket_family_name, AF_CAN);
	CHECK_NAME(socket_family_name, AF_ALG);
	CHECK_NAME(socket_family_name, AF_VSOCK);
	CHECK_NAME(socket_family_name, AF_XDP);
	CHECK_NAME(socket_family_name, AF_KEY);
	CHECK_NAME(socket_family_name, AF_TIPC);
	CHECK_NAME(socket_family_name, AF_MCTP);
	assert_null(socket_family_name(AF_MAX));
	assert_null(socket_family_name(UINT_MAX));

	CHECK_NAME(socket_type_name, SOCK_STREAM);
	CHECK_NAME(socket_type_name, SOCK_DGRAM);
	CHECK_NAME(socket_type_name, SOCK_RAW);
	CHECK_NAME(socket_type_name, SOCK_RDM);
	CHECK_NAME(socket_type_name, SOCK_SEQPACKET);
	CHECK_NAME(socket_type_name, SOCK_DCCP);
	CHECK_NAME(socket_type_name, SOCK_PACKET);
	assert_string_equal(socket_type_name(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC), "SOCK_STREAM");
	assert_null(socket_type_name(0));
	assert_null(socket_type_name(7));
	assert_null(socket_type_name(0x100 | SOCK_STREAM));
	assert_null(socket_type_name(UINT_MAX));
}

static void test_ip_protocol_names(void **state)
{
	(void)state;
	assert_string_equal(ip_protocol_name(IPPROTO_TCP), "tcp");
	assert_string_equal(ip_protocol_name(IPPROTO_UDP), "udp");
	assert_string_equal(ip_protocol_name(IPPROTO_ICMP), "icmp");
	assert_string_equal(ip_protocol_name(IPPROTO_ICMPV6), "icmpv6");
	assert_string_equal(ip_protocol_name(IPPROTO_RAW), "raw");
	assert_string_equal(ip_protocol_name(IPPROTO_SCTP), "sctp");
	assert_string_equal(ip_protocol_name(IPPROTO_UDPLITE), "udplite");
	assert_string_equal(ip_protocol_name(IPPROTO_GRE), "gre");
	assert_string_equal(ip_protocol_name(IPPROTO_MPTCP), "mptcp");
	assert_null(ip_protocol_name(0));
	assert_null(ip_protocol_name(3));
	assert_null(ip_protocol_name(UINT_MAX));
}

static void test_errno_names(void **state)
{
	(void)state;
	CHECK_NAME(errno_name, EPERM);
	CHECK_NAME(errno_name, ENOENT);
	CHECK_NAME(errno_name, EACCES);
	CHECK_NAME(errno_name, EAGAIN);
	CHECK_NAME(errno_name, EINVAL);
	CHECK_NAME(errno_name, ENOSYS);
	CHECK_NAME(errno_name, ELOOP);
	CHECK_NAME(errno_name, EOPNOTSUPP);
	CHECK_NAME(errno_name, ECONNREFUSED);
	CHECK_NAME(errno_name, ETIMEDOUT);
	CHECK_NAME(errno_name, EHWPOISON);
	/* Aliases name their first spelling. */
	assert_string_equal(errno_name(EWOULDBLOCK), "EAGAIN");
	assert_string_equal(errno_name(EDEADLOCK), "EDEADLK");
	assert_string_equal(errno_name(ENOTSUP), "EOPNOTSUPP");

	/* Every value libc knows by name has ours, and they agree with strerrorname_np(). */
	for (int e = 1; e <= 133; e++)
		if (strerrorname_np(e))
			assert_string_equal(errno_name(e), strerrorname_np(e));
	assert_null(errno_name(41));
	assert_null(errno_name(58));

	assert_string_equal(errno_name(512), "ERESTARTSYS");
	assert_string_equal(errno_name(516), "ERESTART_RESTARTBLOCK");
	assert_null(errno_name(0));
	assert_null(errno_name(-ENOENT));
	assert_null(errno_name(134));
	assert_null(errno_name(517));
	assert_null(errno_name(INT_MAX));
	assert_null(errno_name(INT_MIN));
}

static void test_format_ipv4(void **state)
{
	char buf[IPV4_TEXT_MAX];

	(void)state;
	assert_int_equal(format_ipv4(htonl(INADDR_LOOPBACK), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "127.0.0.1");
	assert_int_equal(format_ipv4(htonl(0xc0a80101), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "192.168.1.1");
	assert_int_equal(format_ipv4(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0.0.0.0");

	assert_int_equal(format_ipv4(UINT32_MAX, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "255.255.255.255");
	assert_int_equal(format_ipv4(UINT32_MAX, buf, sizeof(buf) - 1), -ENOSPC);
	assert_int_equal(format_ipv4(htonl(INADDR_LOOPBACK), buf, strlen("127.0.0.1")), -ENOSPC);
	assert_int_equal(format_ipv4(0, buf, 0), -ENOSPC);
	assert_int_equal(format_ipv4(0, NULL, 16), -EINVAL);
}

static void check_ipv6(const char *in, const char *expected)
{
	struct in6_addr addr;
	char buf[IPV6_TEXT_MAX + 10];

	assert_int_equal(inet_pton(AF_INET6, in, &addr), 1);
	assert_int_equal(format_ipv6(addr.s6_addr, buf, sizeof(buf)), 0);
	assert_string_equal(buf, expected);
	assert_int_equal(format_ipv6(addr.s6_addr, buf, strlen(expected) + 1), 0);
	assert_string_equal(buf, expected);
	assert_int_equal(format_ipv6(addr.s6_addr, buf, strlen(expected)), -ENOSPC);
}

static void test_format_ipv6(void **state)
{
	static const uint8_t loopback[16] = {[15] = 1};
	char buf[IPV6_TEXT_MAX];

	(void)state;
	assert_int_equal(format_ipv6(loopback, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "::1");

	check_ipv6("::1", "::1");
	check_ipv6("::", "::");
	check_ipv6("::ffff:1.2.3.4", "::ffff:1.2.3.4");
	check_ipv6("0:0:0:0:0:ffff:0102:0304", "::ffff:1.2.3.4");
	check_ipv6("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	check_ipv6("fe80:0:0:0:0200:5eff:fe00:5301", "fe80::200:5eff:fe00:5301");
	/* RFC 5952 4.2.2: one zero field is not compressed; 4.2.3: the first of equal runs is. */
	check_ipv6("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	check_ipv6("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	check_ipv6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

	assert_int_equal(format_ipv6(loopback, buf, 3), -ENOSPC);
	assert_int_equal(format_ipv6(loopback, buf, 0), -ENOSPC);
	assert_int_equal(format_ipv6(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(format_ipv6(loopback, NULL, sizeof(buf)), -EINVAL);
}

static void test_file_op_names(void **state)
{
	(void)state;
	assert_string_equal(file_op_name(CLAWOS_FILE_OP_OPEN), "open");
	assert_string_equal(file_op_name(CLAWOS_FILE_OP_FILE_OPEN), "file_open");
	assert_string_equal(file_op_name(CLAWOS_FILE_OP_TRUNCATE), "truncate");
	assert_string_equal(file_op_name(0), "open");
	assert_string_equal(file_op_name(200), "open");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_syscall_spot_checks),
	    cmocka_unit_test(test_syscall_round_trip),
	    cmocka_unit_test(test_syscall_gaps),
	    cmocka_unit_test(test_open_flags_common),
	    cmocka_unit_test(test_open_flags_composite),
	    cmocka_unit_test(test_open_flags_unknown),
	    cmocka_unit_test(test_open_flags_short_output),
	    cmocka_unit_test(test_socket_names),
	    cmocka_unit_test(test_ip_protocol_names),
	    cmocka_unit_test(test_errno_names),
	    cmocka_unit_test(test_format_ipv4),
	    cmocka_unit_test(test_format_ipv6),
	    cmocka_unit_test(test_file_op_names),
	};

	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
