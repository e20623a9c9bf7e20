#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The evasion suite's path tricks (tests/evasion) on BPF-LSM, in a guest booting
# Debian's kernel (direct mode, one boot): every spelling raises file_violation in
# mode 1 and is denied with EPERM in mode 2, with file_open's path from bpf_d_path and
# from the dentry walk (5.10 refuses bpf_d_path in BPF-LSM: the walk is its only way).
#
#   test-vm-evasion.sh [AGENT [EVADE_PATHS]]   (default $CLAWOS_AGENT, $CLAWOS_EVADE_PATHS)
#
# CLAWOS_VM_KERNEL picks the suite (default bookworm).  Exit 0 pass, 1 fail, 77 skip.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
suite=${CLAWOS_VM_KERNEL:-bookworm}
agent=${1:-${CLAWOS_AGENT:-}}
evade=${2:-${CLAWOS_EVADE_PATHS:-}}

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -n "$agent" ] && [ -n "$evade" ] || { echo "FAIL: agent and evade-paths binaries needed"; exit 1; }
agent=$(realpath "$agent")
evade=$(realpath "$evade")
for b in "$agent" "$evade"; do
	case "$b" in
	/tmp/* | /run/*) skip "$b is hidden in the guest (tmpfs over /tmp and /run)" ;;
	esac
done
command -v python3 >/dev/null || skip "python3 not found"

envs=(--env "CLAWOS_SOURCE_ROOT=$SRC" --env PYTHONDONTWRITEBYTECODE=1)
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -z "${!v:-}" ] || envs+=(--env "$v=${!v}")
done

boot() {
	"$HERE/vm-run" --kernel "$suite" --mode direct --timeout "${CLAWOS_VM_TIMEOUT:-900}" "${envs[@]}" \
		-- "$HERE/guest-evasion.sh" "$agent" "$evade"
}
. "$HERE/boot-verdict.sh"
boot_verdict "vm-evasion ($suite)"
