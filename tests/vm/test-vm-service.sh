#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The systemctl journey in a guest that boots systemd as PID 1 (one boot): the agent is
# installed as a user would, then started, queried, reloaded, killed, frozen and stopped
# through systemctl; the checks run in guest-service.py as the guest's test unit.
#
#   test-vm-service.sh [AGENT]      (default $CLAWOS_AGENT)
#
# Install: `meson install --destdir` of AGENT's build directory into an overlay that
# vm-run copies over the guest's root before the boot (CLAWOS_BUILD_ROOT names the build
# directory; default: the one AGENT was built in), or, with CLAWOS_VM_DEB=/abs/x.deb
# (packaging/build-deb.sh), `dpkg -i` inside the guest.  The test adds one drop-in:
# WatchdogSec=10s (the unit says 30s; CLAWOS_VM_WATCHDOG_SEC) so that the frozen-agent step
# takes seconds, and, for
# a sanitizer build only, ASAN_OPTIONS=detect_leaks=0 (LeakSanitizer needs ptrace, which
# the unit's SystemCallFilter refuses).
# CLAWOS_VM_PERF_EVENT_PARANOID=N sets kernel.perf_event_paranoid in the guest before the
# start (Debian's default 3 refuses perf_event_open without CAP_SYS_ADMIN): a diagnosis aid.
# CLAWOS_VM_KERNEL picks the suite (default bookworm).  Exit 0 pass, 1 fail, 77 skip.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
suite=${CLAWOS_VM_KERNEL:-bookworm}
agent=${1:-${CLAWOS_AGENT:-}}
deb=${CLAWOS_VM_DEB:-}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x /lib/systemd/systemd ] || skip "systemd is not installed on the host"
command -v python3 >/dev/null || skip "python3 not found"

# Not under /tmp: vm-run's overlay dirs are read through the guest's view of the host root.
work=$(mktemp -d "${CLAWOS_VM_WORKDIR:-/var/tmp}/clawos-vm-service.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
ov=$work/overlay
dropin=$ov/etc/systemd/system/clawos-ebpf.service.d
mkdir -p "$dropin"
envs=(--env "CLAWOS_SOURCE_ROOT=$SRC" --env PYTHONDONTWRITEBYTECODE=1)

if [ -n "$deb" ]; then
	deb=$(realpath "$deb")
	[ -f "$deb" ] || fail "CLAWOS_VM_DEB=$deb is not a file"
	envs+=(--env "CLAWOS_VM_DEB=$deb" --env CLAWOS_VM_CONF=/etc/clawos-ebpf/clawos-ebpf.conf)
	binary=$(dpkg-deb -c "$deb" | grep -o '\./usr/s\?bin/clawos-ebpf$' | head -n1)
	asan=0
	echo "installing $deb with dpkg -i in the guest"
else
	[ -n "$agent" ] || fail "no agent binary (argument or CLAWOS_AGENT)"
	agent=$(realpath "$agent")
	build=${CLAWOS_BUILD_ROOT:-$(dirname "$(dirname "$agent")")}
	[ -f "$build/meson-private/coredata.dat" ] || fail "$build is not a meson build directory (CLAWOS_BUILD_ROOT)"
	meson install -C "$build" --destdir "$ov" --no-rebuild --quiet >"$work/install.log" 2>&1 ||
		{ cat "$work/install.log"; fail "meson install --destdir failed"; }
	conf=$(cd "$ov" && find . -path '*/clawos-ebpf/clawos-ebpf.conf' | head -n1)
	unit=$(cd "$ov" && find . -name clawos-ebpf.service -path '*systemd/system/*' | head -n1)
	[ -n "$conf" ] && [ -n "$unit" ] || fail "meson install put no config or no unit in $ov"
	envs+=(--env "CLAWOS_VM_CONF=${conf#.}" --env "CLAWOS_VM_PREFIX=$(meson introspect "$build" --buildoptions |
		python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')")
	echo "meson install --destdir: unit ${unit#.}, config ${conf#.}"
	asan=0
	readelf -d "$agent" 2>/dev/null | grep -q 'NEEDED.*libasan' && asan=1
fi

# The agent's first WATCHDOG=1 comes before it loads its programs (5-10 s under TCG), so
# the limit must exceed the start-up time.
watchdog=${CLAWOS_VM_WATCHDOG_SEC:-10}
envs+=(--env "CLAWOS_VM_WATCHDOG_SEC=$watchdog")
{
	echo "# added by tests/vm/test-vm-service.sh"
	echo "[Service]"
	echo "WatchdogSec=${watchdog}s"
	echo "TimeoutAbortSec=20s"
	if [ "$asan" = 1 ]; then
		echo "Environment=ASAN_OPTIONS=detect_leaks=0"
		[ -z "${UBSAN_OPTIONS:-}" ] || echo "Environment=UBSAN_OPTIONS=$UBSAN_OPTIONS"
	fi
} >"$dropin/50-vm-test.conf"
sed 's/^/drop-in: /' "$dropin/50-vm-test.conf"

[ -z "${CLAWOS_VM_PERF_EVENT_PARANOID:-}" ] || envs+=(--env "CLAWOS_VM_PERF_EVENT_PARANOID=$CLAWOS_VM_PERF_EVENT_PARANOID")

boot() {
	"$HERE/vm-run" --kernel "$suite" --mode systemd --timeout "${CLAWOS_VM_TIMEOUT:-600}" \
		--overlay-dir "$ov" "${envs[@]}" -- "$HERE/guest-service.py"
}
. "$HERE/boot-verdict.sh"
boot_verdict "vm-service ($suite)"
