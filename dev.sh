#!/bin/bash
# Set up a fresh Debian 12 machine (as root), build, and either run the agent
# in the foreground or run every test suite.
#
#   ./dev.sh run     install what is missing, build, run the agent in the
#                    foreground with the default config: records on stdout
#   ./dev.sh test    install, build with ASan/UBSan, run the unit, root, fuzz
#                    and vm suites; ends with "N passed, N failed, N skipped"
set -euo pipefail
cd "$(dirname "$0")"

# build
PACKAGES=(
	build-essential clang llvm meson ninja-build pkg-config bpftool
	libbpf-dev libelf-dev zlib1g-dev libsystemd-dev libjson-c-dev libinih-dev
	scdoc mandoc systemd
)
# tests: unit (cmocka, sanitizer runtimes, schemas: ours, ECS and OCSF), root (iproute2 for veth,
# socat, syslog-ng as a real shipper, capsh/setpriv), vm (qemu guest),
# packaging (deb and rpm builds)
TEST_PACKAGES=(
	libcmocka-dev libclang-rt-14-dev python3 python3-jsonschema python3-yaml
	iproute2 socat syslog-ng-core libcap2-bin util-linux
	qemu-system-x86 busybox-static cpio kmod xz-utils
	debhelper dpkg-dev lintian rpm fakeroot
)

install_deps() { # install_deps PACKAGE...
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "dev.sh: installing ${missing[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
}

cmd_run() {
	need_root
	install_deps "${PACKAGES[@]}"
	build build
	# the agent refuses a config that is not root's or is world-writable
	install -m 0640 -o root -g root config/clawos-ebpf.conf build/clawos-ebpf.conf
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
	sed -n '2,9p' "$0"
	exit 2
	;;
esac
