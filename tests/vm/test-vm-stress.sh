#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Start, reload and stop (or SIGKILL) the agent on BPF-LSM with enforcement, ROUNDS times,
# while a workload opens, execs and connects on both CPUs of the guest (direct mode, one
# boot).  A soft lockup, hung task or RCU stall panics the guest with every CPU's stack on
# the console (vm-run), and the guest's kernel log must stay free of them.  The checks run
# in guest-stress.py.
#
#   test-vm-stress.sh [AGENT]      (default $CLAWOS_AGENT)
#
# CLAWOS_STRESS_ROUNDS (default 6), CLAWOS_STRESS_MODE (agent, cycle, cycle-reload, nobpf:
# see guest-stress.py), CLAWOS_VM_KERNEL (default bookworm), CLAWOS_VM_APPEND (extra kernel
# arguments), CLAWOS_VM_MTTCG=1 (one host thread per vCPU: the emulator mode that hangs,
# for reproducing it).  Exit 0 pass, 1 fail, 77 skip.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
suite=${CLAWOS_VM_KERNEL:-bookworm}
agent=${1:-${CLAWOS_AGENT:-}}
rounds=${CLAWOS_STRESS_ROUNDS:-6}

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -n "$agent" ] || { echo "FAIL: no agent binary (argument or CLAWOS_AGENT)"; exit 1; }
agent=$(realpath "$agent")
[ -x "$agent" ] || { echo "FAIL: $agent is not executable"; exit 1; }
case "$agent" in
/tmp/* | /run/*) skip "$agent is hidden in the guest (tmpfs over /tmp and /run)" ;;
esac
command -v python3 >/dev/null || skip "python3 not found"

envs=(--env "CLAWOS_AGENT=$agent" --env "CLAWOS_SOURCE_ROOT=$SRC" --env PYTHONDONTWRITEBYTECODE=1
	--env "CLAWOS_STRESS_ROUNDS=$rounds")
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS CLAWOS_STRESS_MODE CLAWOS_ATTACH_CYCLE; do
	[ -z "${!v:-}" ] || envs+=(--env "$v=${!v}")
done
extra=()
[ -z "${CLAWOS_VM_APPEND:-}" ] || extra+=(--append "$CLAWOS_VM_APPEND")
[ "${CLAWOS_VM_MTTCG:-0}" = 0 ] || extra+=(--mttcg)

boot() {
	"$HERE/vm-run" --kernel "$suite" --mode direct --timeout "${CLAWOS_VM_TIMEOUT:-$((120 + rounds * 60))}" \
		"${envs[@]}" "${extra[@]}" -- "$HERE/guest-stress.py" "$agent"
}
. "$HERE/boot-verdict.sh"
boot_verdict "vm-stress ($suite, $rounds rounds)"
