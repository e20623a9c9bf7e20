#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writes a syscall number -> name table from the kernel UAPI header: for
# x86_64 agent/util/syscall-table.h (names.c), for i386 agent/util/syscall-table-i386.h
# (int $0x80 and 32-bit programs, evasion.c).  The output is committed; the
# build never runs this.
#
#   agent/util/gen-syscall-names.sh [x86_64 [HEADER]] >agent/util/syscall-table.h
#   agent/util/gen-syscall-names.sh i386 [HEADER] >agent/util/syscall-table-i386.h
#
# Debian 12's linux-libc-dev stops at 450 (set_mempolicy_home_node), but the
# agent runs on newer kernels, so the syscalls added since are listed below
# from arch/x86/entry/syscalls/syscall_{64,32}.tbl.  An entry the header
# already has wins over the list, so regenerating from a newer header changes
# nothing.
set -eu

abi=${1:-x86_64}
case $abi in
x86_64) bits=64 out=syscall-table.h prefix= user=names.c ;;
i386) bits=32 out=syscall-table-i386.h prefix=I386_ user=evasion.c ;;
*) echo "$0: ABI is x86_64 or i386, not $abi" >&2; exit 2 ;;
esac
header=${2:-/usr/include/x86_64-linux-gnu/asm/unistd_$bits.h}
[ -r "$header" ] || { echo "$0: cannot read $header" >&2; exit 1; }

# nr name first-kernel (the two uprobe calls are x86_64's only)
extra=$(if [ "$abi" = x86_64 ]; then printf '335 uretprobe 6.11\n336 uprobe 6.17\n'; fi)'
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
} | sort -s -n -k1,1 | awk -v header="$header" -v abi="$abi" -v bits="$bits" -v out="$out" \
	-v prefix="$prefix" -v user="$user" -v table="$(echo "$prefix" | tr A-Z a-z)syscall_table" '
	BEGIN { n = 0; max = 0 }
	seen[$1]++ { next }
	{ nr[n] = $1; name[n] = $2; ver[n] = $3; n++; if ($1 > max) max = $1 }
	END {
		if (n == 0) { print "no __NR_ definitions found" > "/dev/stderr"; exit 1 }
		print "/* SPDX-License-Identifier: LGPL-2.1-or-later */"
		print "/*"
		print " * Generated, do not edit: regenerate with"
		print " *   agent/util/gen-syscall-names.sh " abi " " header " >agent/util/" out
		print " * Entries marked with a kernel version are missing from that header and"
		print " * come from the list in the script (arch/x86/entry/syscalls/syscall_" bits ".tbl)."
		print " * Included only by " user "."
		print " */"
		print "#pragma once"
		print ""
		printf "#define %sSYSCALL_TABLE_MAX %d\n\n", prefix, max
		print "/* clang-format off */"
		printf "static const char *const %s[%sSYSCALL_TABLE_MAX + 1] = {\n", table, prefix
		for (i = 0; i < n; i++) {
			if (ver[i] == "-")
				printf "\t[%d] = \"%s\",\n", nr[i], name[i]
			else
				printf "\t[%d] = \"%s\", /* Linux %s */\n", nr[i], name[i], ver[i]
		}
		print "};"
		print "/* clang-format on */"
	}'
