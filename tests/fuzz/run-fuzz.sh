#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds a libFuzzer harness with clang (-fsanitize=fuzzer,address,undefined)
# from the project's sources and runs it for a bounded time on a copy of its
# seed corpus.  Fails on any crash, leak or timeout (libFuzzer's exit status).
#   run-fuzz.sh SOURCE_ROOT HARNESS SECONDS
set -euo pipefail
root=$1 harness=$2 seconds=${3:-60}
command -v clang >/dev/null || { echo "SKIP: clang is not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the record writers, every format (one list: a harness that links them
# must not miss a file another one gained)
writers=("$root"/agent/event-json.c "$root"/agent/event-json-kinds.c "$root"/agent/util/json-writer.c
	"$root"/agent/util/utf8.c "$root"/agent/util/names.c "$root"/agent/record-format.c "$root"/agent/event-siem.c
	"$root"/agent/event-ecs.c "$root"/agent/event-ecs-kinds.c "$root"/agent/event-ocsf.c
	"$root"/agent/event-ocsf-kinds.c "$root"/agent/event-agent-siem.c "$root"/agent/evasion.c)

case $harness in
config)
	srcs=("$root"/agent/config.c "$root"/agent/config-*.c "$root"/agent/util/sha256.c "$root"/agent/util/utf8.c "$root"/agent/util/cidr.c
		"$root"/agent/record-format.c "$root"/agent/kernel-plan.c "$root"/agent/util/log.c)
	libs=$(pkg-config --cflags --libs inih json-c)
	;;
record)
	srcs=("$root"/agent/decode.c "${writers[@]}")
	libs=$(pkg-config --cflags --libs json-c)
	;;
anomaly)
	srcs=("$root"/agent/decode.c "$root"/agent/detect.c "$root"/agent/util/cidr.c "${writers[@]}")
	libs=$(pkg-config --cflags --libs json-c)
	;;
control)
	srcs=("$root"/agent/control-proto.c)
	libs=""
	;;
proc)
	srcs=("$root"/agent/proctable.c "$root"/agent/passwd.c)
	libs=""
	;;
text)
	srcs=("$root"/agent/event-text.c "$root"/agent/event-text-kinds.c "$root"/agent/status-text.c)
	libs=$(pkg-config --cflags --libs json-c)
	;;
rules | match)
	srcs=("$root"/agent/rules-{yaml,value,pattern,cond,compile,program,eval,load,fields,event,anomaly,match}.c
		"$root"/agent/detect.c "$root"/agent/util/cidr.c "$root"/agent/proctable.c "$root"/agent/decode.c "${writers[@]}")
	libs=$(pkg-config --cflags --libs json-c yaml-0.1 libhs libpcre2-8)
	;;
*)
	echo "unknown harness $harness" >&2
	exit 2
	;;
esac

# names.c's errno table, generated as agent/meson.build does
"$root"/agent/util/gen-errno-names.sh clang >"$work/errno-table.h"
# shellcheck disable=SC2086
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -DSYSCONFDIR='"/etc"' -DCLAWOS_VERSION='"fuzz"' \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$root" -I"$root/agent" -I"$root/agent/util" -I"$work" "$root/tests/fuzz/fuzz-$harness.c" "${srcs[@]}" $libs \
	-o "$work/fuzz-$harness"
cp -r "$root/tests/fuzz/corpus-$harness" "$work/corpus"
cd "$work"
# -error_exitcode: libFuzzer's default, 77, would read as "skipped" to meson
"./fuzz-$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 "$work/corpus" 2>&1 | tail -n 25
