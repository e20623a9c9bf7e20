#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A guest boots systemd as PID 1 on an overlay of the host's root; the boot settles and the
# journal records what is logged.  Exit 0 pass, 1 fail, 77 skip (with the reason).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=${CLAWOS_VM_KERNEL:-bookworm}

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x /lib/systemd/systemd ] || skip "systemd is not installed on the host"

# Not under /tmp: the guest's /tmp is not the host's.
work=$(mktemp -d "${CLAWOS_VM_WORKDIR:-/var/tmp}/clawos-vm-systemd.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

cat >"$work/guest.sh" <<'EOF'
#!/bin/bash
fail=0
check() { if "$@"; then echo "ok: ${desc}"; else echo "FAIL: ${desc}"; fail=1; fi; }
echo "kernel: $(uname -r)"
desc="PID 1 is systemd" check test "$(cat /proc/1/comm)" = systemd
state=$(timeout 150 systemctl is-system-running --wait)
echo "system state: $state"
desc="the boot settles (running or degraded)" check grep -qxE 'running|degraded' <<<"$state"
[ "$state" = running ] || systemctl --failed --no-pager
marker="clawos-vm-$$-$RANDOM"
echo "$marker" | systemd-cat -t clawos-vm-test -p notice
found=0
for _ in $(seq 1 20); do
	journalctl --sync 2>/dev/null
	if journalctl -b -t clawos-vm-test -o cat --no-pager | grep -qx "$marker"; then
		found=1
		break
	fi
	sleep 0.5
done
desc="journalctl reads back a record logged through journald" check test "$found" = 1
desc="journalctl -o json works" check bash -c "journalctl -b -t clawos-vm-test -o json --no-pager | grep -q '\"MESSAGE\":\"$marker\"'"
systemd-analyze 2>/dev/null | head -n1
exit $fail
EOF
chmod +x "$work/guest.sh"

"$HERE/vm-run" --kernel "$suite" --mode systemd --timeout "${CLAWOS_VM_TIMEOUT:-600}" \
	-- "$work/guest.sh"
rc=$?
case $rc in
0) echo "PASS: vm-systemd ($suite)"; exit 0 ;;
77) exit 77 ;;
124) echo "FAIL: the guest timed out" ;;
125) echo "FAIL: the guest ended without a status" ;;
*) echo "FAIL: guest script exit $rc" ;;
esac
exit 1
