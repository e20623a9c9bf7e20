#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writes agent/syscall-table-i386.h, the i386 syscall number -> name table (int $0x80, 32-bit programs; compat.bpf.c), from
# the kernel UAPI header.  The output is committed; the build never runs this.
#
#   agent/gen-syscall-names-i386.sh [/usr/include/x86_64-linux-gnu/asm/unistd_32.h] >agent/syscall-table-i386.h
#
# Debian 12's linux-libc-dev stops at 450 (set_mempolicy_home_node), but the
# agent runs on newer kernels, so the syscalls added since are listed below
# from arch/x86/entry/syscalls/syscall_32.tbl.  An entry the header already has
# wins over the list, so regenerating from a newer header changes nothing.
set -eu

header=${1:-/usr/include/x86_64-linux-gnu/asm/unistd_32.h}
[ -r "$header" ] || { echo "$0: cannot read $header" >&2; exit 1; }

# nr name first-kernel
extra='
451 cachestat 6.5
452 fchmodat2 6.6
453 map_shadow_stack 6.6
454 futex_wake 6.7
455 futex_wait 6.7
456 futex_requeue 6.7
457 statmount 6.8
458 listmount 6.8
459 lsm_get_self_attr 6.8
460 lsm_set_self_attr 6.8
461 lsm_list_modules 6.8
462 mseal 6.10
463 setxattrat 6.13
464 getxattrat 6.13
465 listxattrat 6.13
466 removexattrat 6.13
467 open_tree_attr 6.15
468 file_getattr 6.17
469 file_setattr 6.17
'

{
	sed -n 's/^#define __NR_\([a-z0-9_]*\)[[:space:]]\{1,\}\([0-9]\{1,\}\)[[:space:]]*$/\2 \1 -/p' "$header"
	printf '%s\n' "$extra" | sed '/^$/d'
} | sort -s -n -k1,1 | awk -v header="$header" '
	BEGIN { n = 0; max = 0 }
	seen[$1]++ { next }
	{ nr[n] = $1; name[n] = $2; ver[n] = $3; n++; if ($1 > max) max = $1 }
	END {
		if (n == 0) { print "no __NR_ definitions found" > "/dev/stderr"; exit 1 }
		print "/* SPDX-License-Identifier: LGPL-2.1-or-later */"
		print "/*"
		print " * Generated, do not edit: regenerate with"
		print " *   agent/gen-syscall-names-i386.sh " header " >agent/syscall-table-i386.h"
		print " * Entries marked with a kernel version are missing from that header and"
		print " * come from the list in the script (arch/x86/entry/syscalls/syscall_32.tbl)."
		print " * Included only by evasion.c."
		print " */"
		print "#pragma once"
		print ""
		printf "#define I386_SYSCALL_TABLE_MAX %d\n\n", max
		print "/* clang-format off */"
		print "static const char *const i386_syscall_table[I386_SYSCALL_TABLE_MAX + 1] = {"
		for (i = 0; i < n; i++) {
			if (ver[i] == "-")
				printf "\t[%d] = \"%s\",\n", nr[i], name[i]
			else
				printf "\t[%d] = \"%s\", /* Linux %s */\n", nr[i], name[i], ver[i]
		}
		print "};"
		print "/* clang-format on */"
	}'
