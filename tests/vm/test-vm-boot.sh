#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A guest boots Debian's kernel with BPF-LSM enabled, and an lsm/file_open program loads,
# attaches and counts opens there.  Exit 0 pass, 1 fail, 77 skip (with the reason).
#
# CLAWOS_VM_KERNEL picks the suite (default bookworm); tests/vm/vm-matrix loops over it.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
suite=${CLAWOS_VM_KERNEL:-bookworm}

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
command -v clang >/dev/null || skip "clang not found"
command -v cc >/dev/null || skip "cc not found"
[ -f /usr/include/bpf/libbpf.h ] || skip "libbpf headers not found (libbpf-dev)"
[ -f "$SRC/bpf/x86/vmlinux.h" ] || skip "$SRC/bpf/x86/vmlinux.h not found"

# Not under /tmp: the guest mounts its own tmpfs there.
work=$(mktemp -d "${CLAWOS_VM_WORKDIR:-/var/tmp}/clawos-vm-boot.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# Built on the host before the boot: the guest only runs them.
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$SRC/bpf/x86" -I"$HERE" \
	-c "$HERE/lsm-probe.bpf.c" -o "$work/lsm-probe.bpf.o" || { echo "FAIL: clang"; exit 1; }
cc -O2 -Wall -I"$HERE" -o "$work/lsm-probe" "$HERE/lsm-probe.c" -lbpf ||
	{ echo "FAIL: cc lsm-probe"; exit 1; }

cat >"$work/guest.sh" <<'EOF'
#!/bin/bash
work=$1 fail=0
check() { if "$@"; then echo "ok: ${desc}"; else echo "FAIL: ${desc}"; fail=1; fi; }
echo "kernel: $(uname -r)"
echo "lsm: $(cat /sys/kernel/security/lsm)"
desc="bpf is an active LSM" check grep -qE '(^|,)bpf(,|$)' /sys/kernel/security/lsm
desc="uname -r is the booted package's ($CLAWOS_VM_KERNEL)" check test "$(uname -r)" = "$CLAWOS_VM_KERNEL"
desc="the kernel is Debian's" check grep -q 'Debian' /proc/version
: >/tmp/clawos-vm-probe
desc="lsm/file_open loads, attaches and counts" check "$work/lsm-probe" "$work/lsm-probe.bpf.o" /tmp/clawos-vm-probe
exit $fail
EOF
chmod +x "$work/guest.sh"

"$HERE/vm-run" --kernel "$suite" --mode direct --timeout "${CLAWOS_VM_TIMEOUT:-300}" \
	-- "$work/guest.sh" "$work"
rc=$?
case $rc in
0) echo "PASS: vm-boot ($suite)"; exit 0 ;;
77) exit 77 ;;
124) echo "FAIL: the guest timed out" ;;
125) echo "FAIL: the guest ended without a status" ;;
*) echo "FAIL: guest script exit $rc" ;;
esac
exit 1
