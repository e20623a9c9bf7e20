# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the vm tests: runs the caller's boot() function, then prints the verdict and
# exits: 0 pass, 77 skip, 1 fail.  No second boot: a guest that died or hung is a failure
# to look at (vm-run printed its console, and for a hang every vCPU's registers and stack).
#   boot_verdict NAME
boot_verdict() {
	local rc
	boot
	rc=$?
	case $rc in
	0) echo "PASS: $1"; exit 0 ;;
	77) exit 77 ;;
	124) echo "FAIL: the guest hung or timed out (see vm-run's report above)" ;;
	125) echo "FAIL: the guest ended without a status (panic or init failure, console above)" ;;
	*) echo "FAIL: guest script exit $rc" ;;
	esac
	exit 1
}
