#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The evasion suite's ABI test (tests/evasion/test-evasion-abi.py) on BPF-LSM, in a guest
# booting Debian's kernel (direct mode, one boot): int $0x80, io_uring (opens seen as
# file_open where the kernel has no io_uring tracepoint), loader variables and ptrace
# against the allow list, tamper, process trees, flooding.
#
#   test-vm-evasion-abi.sh [AGENT [EVADE_ABI]]   (default $CLAWOS_AGENT, $CLAWOS_EVADE_ABI)
#
# CLAWOS_VM_KERNEL picks the suite (default bookworm).  Exit 0 pass, 1 fail, 77 skip.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
suite=${CLAWOS_VM_KERNEL:-bookworm}
agent=${1:-${CLAWOS_AGENT:-}}
evade=${2:-${CLAWOS_EVADE_ABI:-}}

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -n "$agent" ] && [ -n "$evade" ] || { echo "FAIL: no agent or evade-abi binary (arguments or environment)"; exit 1; }
agent=$(realpath "$agent")
evade=$(realpath "$evade")
case "$agent$evade" in
*/tmp/* | */run/*) skip "the binaries are hidden in the guest (tmpfs over /tmp and /run)" ;;
esac
command -v python3 >/dev/null || skip "python3 not found"

# 300 violations in the flood: 3000 execs take about 10 minutes under TCG
envs=(--env "CLAWOS_SOURCE_ROOT=$SRC" --env PYTHONDONTWRITEBYTECODE=1 --env CLAWOS_EVASION_FLOOD=300)
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -z "${!v:-}" ] || envs+=(--env "$v=${!v}")
done

boot() {
	"$HERE/vm-run" --kernel "$suite" --mode direct --timeout "${CLAWOS_VM_TIMEOUT:-1200}" "${envs[@]}" \
		-- "$(command -v python3)" "$SRC/tests/evasion/test-evasion-abi.py" "$agent" "$evade"
}
. "$HERE/boot-verdict.sh"
boot_verdict "vm-evasion-abi ($suite)"
