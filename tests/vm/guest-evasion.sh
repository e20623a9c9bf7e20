#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Inside the guest (test-vm-evasion.sh): the evasion suite's path tricks against
# the agent on BPF-LSM, in mode 1 (alert) and mode 2 (deny), with file_open's path
# from bpf_d_path where the kernel allows it and from the dentry walk (forced with
# CLAWOS_LSM_WALK=1, or the kernel's own choice where bpf_d_path is refused).
#
#   guest-evasion.sh AGENT EVADE_PATHS
set -u
agent=$1
evade=$2
test=$CLAWOS_SOURCE_ROOT/tests/evasion/test-evasion-paths.py
export CLAWOS_EVASION_WAIT=60 CLAWOS_EVASION_FILE_OPEN=lsm
fail=0
walk=$("$agent" --probe --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernel"]["bpf_lsm"]["file_open"].get("path"))')
echo "file_open's path on this kernel: $walk"
runs=("1 -" "2 -")
[ "$walk" = d_path ] && runs+=("2 1")
for r in "${runs[@]}"; do
	set -- $r
	echo "=== mode $1, CLAWOS_LSM_WALK=$2"
	if [ "$2" = 1 ]; then
		CLAWOS_LSM_WALK=1 CLAWOS_EVASION_PATH_FROM="dentry walk" CLAWOS_EVASION_MODE=$1 "$test" "$agent" "$evade" || fail=1
	elif [ "$walk" = dentry_walk ]; then
		CLAWOS_EVASION_PATH_FROM="dentry walk" CLAWOS_EVASION_MODE=$1 "$test" "$agent" "$evade" || fail=1
	else
		CLAWOS_EVASION_PATH_FROM="bpf_d_path" CLAWOS_EVASION_MODE=$1 "$test" "$agent" "$evade" || fail=1
	fi
done
echo "=== guest-evasion: $([ $fail = 0 ] && echo PASS || echo FAIL)"
exit $fail
