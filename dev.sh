#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Set up a fresh Debian 12 machine (as root), build, and either run the agent
# in the foreground or run every test suite.
#
#   ./dev.sh run     install what is missing, build, run the agent in the
#                    foreground with the default config: records on stdout
#   ./dev.sh test    install, build with ASan/UBSan, run the unit, root, fuzz,
#                    packaging, fresh and vm suites (or those named with
#                    --suite); ends with "N passed, N failed, N skipped"
#
# A step that fails says which, shows the end of its tool's output and exits
# non-zero.
set -Eeuo pipefail
# anything else that fails says so too
trap 'echo "dev.sh: line $LINENO: \"$BASH_COMMAND\" failed (exit status $?)" >&2' ERR
cd "$(dirname "$0")"

# build
PACKAGES=(
	build-essential clang llvm meson ninja-build pkg-config bpftool
	libbpf-dev libelf-dev zlib1g-dev libsystemd-dev libjson-c-dev libinih-dev
	libyaml-dev libhyperscan-dev libpcre2-dev
	scdoc mandoc systemd
)
# tests: unit (cmocka, sanitizer runtimes, schemas: ours, ECS and OCSF), root (iproute2 for veth,
# socat, syslog-ng as a real shipper, capsh/setpriv, strace to hold the agent at each step of
# its socket's set-up, python3-yaml for the Sigma conformance test, git for its ordinary
# workloads), vm (qemu guest), packaging (deb and rpm builds), fresh (a new Debian in a chroot,
# a clone)
TEST_PACKAGES=(
	libcmocka-dev libclang-rt-14-dev python3 python3-jsonschema python3-yaml git
	iproute2 socat syslog-ng-core libcap2-bin util-linux strace
	qemu-system-x86 busybox-static cpio kmod xz-utils
	debhelper dpkg-dev lintian rpm fakeroot
	debootstrap
)

# step WHAT COMMAND...: runs COMMAND with its output in a log; when it fails,
# says what failed, shows the last lines of the tool's own output and exits
# with its status.  Nothing fails silently.
step() {
	local what=$1 log rc=0
	shift
	log=$(mktemp "${TMPDIR:-/tmp}/dev.sh-log.XXXXXX")
	"$@" >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		{
			echo "dev.sh: $what failed (exit status $rc): $*"
			echo "dev.sh: the last lines of its output (all of it: $log):"
			tail -n 30 "$log" | sed 's/^/    /'
		} >&2
		exit $rc
	fi
	rm -f "$log"
}

install_deps() { # install_deps PACKAGE...
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "dev.sh: installing ${#missing[@]} packages (minutes on a new machine): ${missing[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		step "apt-get update" apt-get update -q
		step "installing packages" apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "dev.sh: run as root (loading BPF programs needs it)" >&2
		exit 1
	fi
}

build() { # build DIR [meson options...]
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		echo "dev.sh: configuring $dir" >&2
		step "meson setup $dir" meson setup "$dir" "$@"
	fi
	echo "dev.sh: building in $dir" >&2
	step "the build (ninja -C $dir)" ninja -C "$dir"
}

cmd_run() {
	need_root
	install_deps "${PACKAGES[@]}"
	build build
	# the agent refuses a config that is not root's or is world-writable
	step "installing the configuration" install -m 0640 -o root -g root config/clawos-ebpf.conf build/clawos-ebpf.conf
	echo "dev.sh: starting the agent; records appear below (Ctrl-C stops it)" >&2
	exec ./build/agent/clawos-ebpf --foreground --config build/clawos-ebpf.conf
}

cmd_test() {
	need_root
	install_deps "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
	build build-ci -Db_sanitize=address,undefined -Db_lundef=false
	local rc=0
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C build-ci --print-errorlogs --num-processes 1 "$@" || rc=$?
	python3 tests/summary.py build-ci/meson-logs/testlog.json
	return $rc
}

case "${1:-}" in
run) cmd_run ;;
test)
	shift
	cmd_test "$@"
	;;
*)
	sed -n '2,12p' "$0"
	exit 2
	;;
esac
