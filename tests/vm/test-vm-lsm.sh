#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent on BPF-LSM, in a guest booting Debian's kernel (direct mode, one boot):
# --probe, the root suite's workload seen by an LSM agent and a --no-lsm agent side by
# side (records and their equivalence), file_access_violation_mode 2 (EPERM) and 1, and
# nothing left loaded afterwards.  The checks run in guest-lsm.py.
#
#   test-vm-lsm.sh [AGENT]      (default $CLAWOS_AGENT)
#
# CLAWOS_VM_KERNEL picks the suite (default bookworm); tests/vm/vm-matrix -t lsm loops over
# it.  Exit 0 pass, 1 fail, 77 skip (with the reason).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
suite=${CLAWOS_VM_KERNEL:-bookworm}
agent=${1:-${CLAWOS_AGENT:-}}

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -n "$agent" ] || { echo "FAIL: no agent binary (argument or CLAWOS_AGENT)"; exit 1; }
agent=$(realpath "$agent")
[ -x "$agent" ] || { echo "FAIL: $agent is not executable"; exit 1; }
case "$agent" in
/tmp/* | /run/*) skip "$agent is hidden in the guest (tmpfs over /tmp and /run)" ;;
esac
command -v python3 >/dev/null || skip "python3 not found"

envs=(--env "CLAWOS_AGENT=$agent" --env "CLAWOS_SOURCE_ROOT=$SRC" --env PYTHONDONTWRITEBYTECODE=1)
# Sanitizer settings of the caller (dev.sh test, CI) hold in the guest too.
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -z "${!v:-}" ] || envs+=(--env "$v=${!v}")
done

boot() {
	"$HERE/vm-run" --kernel "$suite" --mode direct --timeout "${CLAWOS_VM_TIMEOUT:-420}" "${envs[@]}" \
		-- "$HERE/guest-lsm.py" "$agent"
}
. "$HERE/boot-verdict.sh"
boot_verdict "vm-lsm ($suite)"
