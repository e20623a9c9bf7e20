# shellcheck shell=bash
# Sourced by the vm tests: runs the caller's boot() function, boots once more
# when the guest died before its script reported (exit 125: under TCG an
# early-boot oops happens now and then, e.g. int3 in sched_clock_cpu on
# 6.12), then prints the verdict and exits: 0 pass, 77 skip, 1 fail.
#   boot_verdict NAME
boot_verdict() {
	local rc
	boot
	rc=$?
	if [ $rc = 125 ]; then
		echo "note: the guest ended without a status; booting once more"
		boot
		rc=$?
	fi
	case $rc in
	0) echo "PASS: $1"; exit 0 ;;
	77) exit 77 ;;
	124) echo "FAIL: the guest timed out" ;;
	125) echo "FAIL: the guest ended without a status" ;;
	*) echo "FAIL: guest script exit $rc" ;;
	esac
	exit 1
}
