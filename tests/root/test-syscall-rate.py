#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""syscall_rate in the cases the old per-slot window missed (issue 16).

The agent runs with syscall_rate_scope = all, syscall_anomaly_threshold =
THRESHOLD.  Two workloads, each made of small C programs:

  - burst then exit: a process makes 5 x THRESHOLD getppid() calls and
    exits at once.  The rate used to be reported only when the same
    process made a syscall in a later one-second window, so this was never
    reported;
  - colliding pids: two processes whose pids are equal modulo 4096 (chosen
    through /proc/sys/kernel/ns_last_pid) call getppid() in turns for a
    second.  They shared one counter slot, each resetting the other's
    count, so neither was reported.

Checked: a syscall_rate anomaly for the burst's pid, and one for each of
the two colliding pids, with getppid as their top syscall."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

T = 15
THRESHOLD = 20000

PROG_C = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* burst N: N getppid() then _exit.
 * pair FD_IN FD_OUT N: N rounds of one getppid() then a byte through a
 * pipe to the partner (so the two processes' syscalls interleave). */
int main(int argc, char **argv)
{
	if (!strcmp(argv[1], "burst")) {
		long n = atol(argv[2]);

		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	if (!strcmp(argv[1], "pair")) {
		int in = atoi(argv[2]), out = atoi(argv[3]);
		long n = atol(argv[4]);
		char b = 0;

		for (long i = 0; i < n; i++) {
			for (int k = 0; k < 4; k++)
				syscall(SYS_getppid);
			if (write(out, &b, 1) != 1 || read(in, &b, 1) != 1)
				return 1;
		}
		return 0;
	}
	return 2;
}
"""


def build(wd):
    return u.compile_c(wd, PROG_C, "rate", "the workload")


def spawn_at(pid_wanted, cmd, pass_fds=()):
    """Start cmd with the pid pid_wanted (ns_last_pid); None if another
    process took it first."""
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid_wanted - 1))
    p = subprocess.Popen(cmd, pass_fds=pass_fds)
    if p.pid != pid_wanted:
        p.kill()
        p.wait()
        return None
    return p


def rate_anomaly(agent, pid):
    return agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["kind"] == "syscall_rate"
                                 and r["process"]["pid"] == pid, T, what="syscall_rate for pid %d" % pid)


def main():
    h.require_root_bpf()
    if not os.access("/proc/sys/kernel/ns_last_pid", os.W_OK):
        h.skip("/proc/sys/kernel/ns_last_pid is not writable here")
    binary = h.agent_path()
    with h.Workdir() as wd:
        exe = build(wd)
        conf = h.write_config(wd, syscall_rate_scope="all", syscall_anomaly_threshold=str(THRESHOLD),
                              anomaly_cooldown="0", include_path_prefix=wd.join(""))
        agent = h.Agent(binary, conf, wd)
        try:
            agent.start(wd.join("events.sock"))

            # burst then exit
            p = subprocess.Popen([exe, "burst", str(5 * THRESHOLD)])
            p.wait(30)
            rec = rate_anomaly(agent, p.pid)
            h.check(rec is not None, "a burst of %d syscalls followed by exit is reported (pid %d)"
                    % (5 * THRESHOLD, p.pid), agent.dump)
            a = rec["anomaly"]
            h.check(a["observed"] > a["threshold"] == THRESHOLD, "observed %d > threshold %d"
                    % (a["observed"], a["threshold"]))
            h.check(a["top_syscalls"] and a["top_syscalls"][0]["name"] == "getppid",
                    "top syscall is getppid (%s)" % a["top_syscalls"][:2])

            # two pids equal modulo 4096, interleaved
            rounds = 3 * THRESHOLD // 4
            with open("/proc/sys/kernel/pid_max") as f:
                pid_max = int(f.read())
            for attempt in range(20):
                a_in, b_out = os.pipe()
                b_in, a_out = os.pipe()
                base = 1000 + (os.getpid() * 7919 + attempt * 4099) % (pid_max - 4096 - 1100)
                pa = spawn_at(base, [exe, "pair", str(a_in), str(a_out), str(rounds)], (a_in, a_out))
                pb = spawn_at(base + 4096, [exe, "pair", str(b_in), str(b_out), str(rounds)], (b_in, b_out)) \
                    if pa else None
                for fd in (a_in, b_out, b_in, a_out):
                    os.close(fd)
                if pa and pb:
                    break
                for p in (pa, pb):
                    if p:
                        p.kill()
                        p.wait()
            else:
                h.hard_error("could not start two processes 4096 pids apart (others take pids here)")
            h.check(pa.wait(60) == 0 and pb.wait(60) == 0, "the pair ran (pids %d and %d)" % (pa.pid, pb.pid))
            for p in (pa, pb):
                rec = rate_anomaly(agent, p.pid)
                h.check(rec is not None, "pid %d (%d mod 4096) is reported though pid %d shares its slot"
                        % (p.pid, p.pid % 4096, (pb if p is pa else pa).pid), agent.dump)
        finally:
            agent.stop()


if __name__ == "__main__":
    h.run(main)
