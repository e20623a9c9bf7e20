#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""aggregate_window: exact repeats of an open record folded in the kernel.

With aggregate_window = 200:
 - one file opened 10000 times in a tight loop, the process then asleep:
   exactly one plain record, then repeat records whose counts sum to 9999
   (every open accounted for), each spanning at most the window, emitted by
   the timer while the process still sleeps;
 - the same file opened 400 times 1 ms apart (longer than the window): one
   plain record and several repeat records, in order, counts summing to 399;
 - two files alternated: nothing is a repeat, every open is emitted;
 - A x5, B, A x3: A, A(repeat 4), B, A, A(repeat 2), in that order;
 - a protected file opened repeatedly: every open emitted, none folded;
 - status --json reports the aggregation active.
With aggregate_window = 60000 (the timer far away): the repeats of a process
that exits come at its exit, those of a process still running come at the
agent's stop.  With aggregate_window = 0: every one of 10000 opens is a
plain record; turned on by a live reload it folds, and the reload that turns
it off again emits the repeats still pending.  On a kernel without bpf_timer
(played with CLAWOS_NO_BPF_TIMER=1) the agent warns, its status says so and
every open is emitted."""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

WINDOW_MS = 200

# gen COMM SPEC...: each SPEC is PATH:COUNT[:DELAY_US]; prints "ready",
# waits for a line, runs the specs, prints "done", waits for a line or EOF.
GEN_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[64];

	prctl(PR_SET_NAME, argv[1]);
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (int a = 2; a < argc; a++) {
		char spec[512], *count, *delay;
		long n, us = 0;

		snprintf(spec, sizeof(spec), "%s", argv[a]);
		count = strchr(spec, ':');
		*count++ = '\0';
		delay = strchr(count, ':');
		if (delay) {
			*delay++ = '\0';
			us = atol(delay);
		}
		n = atol(count);
		for (long i = 0; i < n; i++) {
			int fd = open(spec, O_RDONLY);

			if (fd >= 0)
				close(fd);
			if (us) {
				struct timespec ts = {0, us * 1000};
				nanosleep(&ts, NULL);
			}
		}
	}
	printf("done\n");
	fflush(stdout);
	fgets(line, sizeof(line), stdin);
	return 0;
}
"""


class Gen:
    def __init__(self, exe, comm, *specs):
        self.comm = comm
        self.proc = subprocess.Popen([exe, comm] + list(specs), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        h.check(self.proc.stdout.readline().startswith("ready"), "generator %s is ready" % comm)

    def run(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        h.check(self.proc.stdout.readline().startswith("done"), "generator %s ran" % self.comm)
        return self

    def quit(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(10)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def build(wd):
    return u.compile_c(wd, GEN_C, "gen", "the generator")


def opens_of(agent, comm, path=None):
    """file_access records of comm (and path), in stream order."""
    return [r for r in agent.stdout_records()
            if r.get("event") == "file_access" and r["process"]["comm"] == comm
            and (path is None or r["file"]["path"] == path)]


def plain_and_repeats(recs):
    return [r for r in recs if "repeat" not in r], [r for r in recs if "repeat" in r]


def check_spans(reps, what):
    bad = [r["repeat"] for r in reps
           if not (r["repeat"]["first_boot_ns"] <= r["repeat"]["last_boot_ns"]
                   <= r["repeat"]["first_boot_ns"] + WINDOW_MS * 1000000)
           or r["boot_ns"] != r["repeat"]["first_boot_ns"] or r["repeat"]["count"] < 1]
    h.check(not bad, "%s: each repeat record spans at most %d ms from its first repeat, which is its time (%s)"
            % (what, WINDOW_MS, bad[:3]))
    order = [(r["repeat"]["first_boot_ns"], r["repeat"]["last_boot_ns"]) for r in reps]
    h.check(all(a[1] < b[0] for a, b in zip(order, order[1:])),
            "%s: repeat records follow each other without overlap" % what)


def window_run(binary, exe, wd, names):
    secret = wd.join("secret")
    with open(secret, "w") as f:
        f.write("x")
    a_path, b_path = wd.join("a"), wd.join("b")
    for p in (a_path, b_path):
        open(p, "w").close()
    sock = wd.join("events.sock")
    conf = u.quiet_config(wd, ", ".join(names.values()), aggregate_window=str(WINDOW_MS), protected_paths=secret,
                          file_access_violation_mode="1", socket_path=sock)
    agent = u.BareAgent(binary, conf, wd)
    gens = []
    try:
        agent.start(sock)
        h.check("aggregated in the kernel within %d ms" % WINDOW_MS in agent.stderr(),
                "the agent says the aggregation is on", lambda: h.log(agent.stderr()[-3000:]))
        st = subprocess.run([binary, "status", "--control", wd.join("control.sock"), "--json"], capture_output=True,
                            text=True, timeout=30)
        agg = json.loads(st.stdout).get("aggregation") if st.returncode == 0 else None
        h.check(agg == {"window_ms": WINDOW_MS, "state": "active"}, "status reports the aggregation active (%s)" % agg)

        # a tight loop, then asleep: the timer emits the repeats
        g = Gen(exe, names["tight"], "/etc/hostname:10000")
        gens.append(g)
        g.run()

        def tight_done():
            plain, reps = plain_and_repeats(opens_of(agent, names["tight"], "/etc/hostname"))
            return sum(r["repeat"]["count"] for r in reps) >= 9999
        h.check(h.wait_for(tight_done, 5, what="the repeat records of the tight loop"),
                "the tight loop's repeats came while the process still runs (the timer)",
                lambda: h.log(str(len(opens_of(agent, names["tight"])))))
        recs = opens_of(agent, names["tight"], "/etc/hostname")
        plain, reps = plain_and_repeats(recs)
        h.log("tight loop: %d plain, %d repeat records, counts %s" % (len(plain), len(reps),
                                                                     [r["repeat"]["count"] for r in reps][:10]))
        h.check(len(plain) == 1 and recs[0] is plain[0], "the tight loop: exactly one plain record, the first")
        h.check(sum(r["repeat"]["count"] for r in reps) == 9999,
                "the tight loop: repeat counts sum to 9999 (got %d)" % sum(r["repeat"]["count"] for r in reps))
        check_spans(reps, "the tight loop")
        g.quit()

        # paced: longer than the window, several aggregates in order
        g = Gen(exe, names["paced"], "/etc/hostname:400:1000")
        gens.append(g)
        g.run()
        g.quit()

        def paced_done():
            return sum(r["repeat"]["count"] for r in opens_of(agent, names["paced"]) if "repeat" in r) >= 399
        h.wait_for(paced_done, 5, what="the paced repeats")
        recs = opens_of(agent, names["paced"], "/etc/hostname")
        plain, reps = plain_and_repeats(recs)
        h.log("paced: %d plain, %d repeat records, counts %s" % (len(plain), len(reps),
                                                                [r["repeat"]["count"] for r in reps]))
        h.check(len(plain) == 1 and recs[0] is plain[0], "paced: exactly one plain record, the first")
        h.check(len(reps) >= 2, "paced over %d ms: more than one repeat record" % WINDOW_MS)
        h.check(sum(r["repeat"]["count"] for r in reps) == 399, "paced: repeat counts sum to 399")
        check_spans(reps, "paced")

        # alternating: no repeats at all
        g = Gen(exe, names["alt"], *(["%s:1" % a_path, "%s:1" % b_path] * 1000))
        gens.append(g)
        g.run()
        g.quit()
        h.wait_for(lambda: len(opens_of(agent, names["alt"])) >= 2000, 5, what="the alternating opens")
        recs = [r for r in opens_of(agent, names["alt"]) if r["file"]["path"] in (a_path, b_path)]
        h.check(len(recs) == 2000 and not any("repeat" in r for r in recs),
                "alternating two files: all 2000 opens emitted, none folded (%d records)" % len(recs))
        h.check([r["file"]["path"] for r in recs] == [a_path, b_path] * 1000, "alternating: in the order opened")

        # order: the repeats come before the next different record
        g = Gen(exe, names["order"], "%s:5" % a_path, "%s:1" % b_path, "%s:3" % a_path)
        gens.append(g)
        g.run()
        g.quit()
        h.wait_for(lambda: len(opens_of(agent, names["order"])) >= 5, 5, what="the ordered opens")
        got = [(os.path.basename(r["file"]["path"]), r.get("repeat", {}).get("count"))
               for r in opens_of(agent, names["order"]) if r["file"]["path"] in (a_path, b_path)]
        h.check(got == [("a", None), ("a", 4), ("b", None), ("a", None), ("a", 2)],
                "A x5, B, A x3 gives A, A(4), B, A, A(2) in order (got %s)" % got)

        # a protected file: every open raises, none is folded
        g = Gen(exe, names["prot"], "%s:300" % secret)
        gens.append(g)
        g.run()
        g.quit()
        h.wait_for(lambda: len(opens_of(agent, names["prot"], secret)) >= 300, 5, what="the protected opens")
        time.sleep(0.5)
        recs = opens_of(agent, names["prot"], secret)
        h.check(len(recs) == 300 and not any("repeat" in r for r in recs),
                "a protected file opened 300 times: 300 records, none folded (%d, %d folded)"
                % (len(recs), sum(1 for r in recs if "repeat" in r)))
        agent.stop()
    finally:
        for g in gens:
            g.kill()
        agent.kill()


def long_window_run(binary, exe, wd, names):
    """aggregate_window = 60000: no timer in sight; exit and stop flush."""
    sock = wd.join("events2.sock")
    conf = u.quiet_config(wd, ", ".join(names.values()), aggregate_window="60000", socket_path=sock)
    agent = u.BareAgent(binary, conf, wd, name="agent2")
    gens = []
    try:
        agent.start(sock)
        g = Gen(exe, names["exit"], "/etc/hostname:100")
        gens.append(g)
        g.run()
        g.quit()  # exits: its repeats come at its exit
        h.check(h.wait_for(lambda: any("repeat" in r for r in opens_of(agent, names["exit"])), 3,
                           what="the exiting process's repeats"),
                "the repeats of an exiting thread come at its exit, not after the window")
        reps = [r for r in opens_of(agent, names["exit"]) if "repeat" in r]
        h.check([r["repeat"]["count"] for r in reps] == [99], "exit: one repeat record of 99")
        g = Gen(exe, names["stop"], "/etc/hostname:50")
        gens.append(g)
        g.run()
        time.sleep(0.3)
        h.check(not any("repeat" in r for r in opens_of(agent, names["stop"])),
                "a running process's repeats wait for the window")
        agent.stop()
        reps = [r for r in opens_of(agent, names["stop"]) if "repeat" in r]
        h.check([r["repeat"]["count"] for r in reps] == [49], "the agent's stop emits the pending repeats (%s)"
                % [r["repeat"]["count"] for r in reps])
    finally:
        for g in gens:
            g.kill()
        agent.kill()


def reload_to(agent, wd, comms, sock, window):
    n = sum(1 for r in agent.stdout_records() if r.get("event") == "config_changed")
    u.quiet_config(wd, comms, socket_path=sock, aggregate_window=str(window))
    os.kill(agent.pid, signal.SIGHUP)
    h.check(h.wait_for(lambda: sum(1 for r in agent.stdout_records() if r.get("event") == "config_changed") > n, 10,
                       what="config_changed"), "reloaded with aggregate_window = %d" % window)


def off_run(binary, exe, wd, comm, comm2):
    """aggregate_window = 0, then on and off again by live reloads."""
    sock = wd.join("events3.sock")
    comms = comm + ", " + comm2
    conf = u.quiet_config(wd, comms, socket_path=sock)
    agent = u.BareAgent(binary, conf, wd, name="agent3")
    gens = []
    try:
        agent.start(sock)
        g = Gen(exe, comm, "/etc/hostname:10000")
        gens.append(g)
        g.run()
        g.quit()
        h.wait_for(lambda: len(opens_of(agent, comm, "/etc/hostname")) >= 10000, 10, what="10000 records")
        recs = opens_of(agent, comm, "/etc/hostname")
        h.check(len(recs) == 10000 and not any("repeat" in r for r in recs),
                "aggregate_window = 0: all 10000 opens emitted (%d), none folded" % len(recs))
        # on by reload (a window the timer will not reach), then off: the
        # reload that turns it off emits what is pending
        reload_to(agent, wd, comms, sock, 60000)
        g = Gen(exe, comm2, "/etc/hostname:1000")
        gens.append(g)
        g.run()
        time.sleep(0.3)
        recs = opens_of(agent, comm2, "/etc/hostname")
        h.check(len(recs) == 1, "reloaded on: only the first of 1000 opens so far (%d records)" % len(recs))
        reload_to(agent, wd, comms, sock, 0)
        h.wait_for(lambda: len(opens_of(agent, comm2, "/etc/hostname")) >= 2, 5, what="the repeats")
        recs = opens_of(agent, comm2, "/etc/hostname")
        h.check([r.get("repeat", {}).get("count") for r in recs] == [None, 999],
                "reloaded off: the pending 999 repeats come at once (%s)"
                % [r.get("repeat", {}).get("count") for r in recs])
        g.quit()
        agent.stop()
    finally:
        for g in gens:
            g.kill()
        agent.kill()


def unavailable_run(binary, exe, wd, comm):
    """A kernel without bpf_timer (played: CLAWOS_NO_BPF_TIMER=1): a warning,
    the status says unavailable, every open is emitted."""
    sock = wd.join("events4.sock")
    conf = u.quiet_config(wd, comm, socket_path=sock, aggregate_window=str(WINDOW_MS))
    agent = u.BareAgent(binary, conf, wd, name="agent4")
    agent.env = {"CLAWOS_NO_BPF_TIMER": "1"}
    g = None
    try:
        agent.start(sock)
        h.check("warning: aggregate_window = %d is set, but this kernel cannot aggregate" % WINDOW_MS in agent.stderr(),
                "a warning says the window is set but cannot work", lambda: h.log(agent.stderr()[-3000:]))
        st = subprocess.run([binary, "status", "--control", wd.join("control.sock")], capture_output=True, text=True,
                            timeout=30)
        h.check("aggregate_window %d ms: unavailable" % WINDOW_MS in st.stdout,
                "the status says the aggregation is unavailable", lambda: h.log(st.stdout + st.stderr))
        g = Gen(exe, comm, "/etc/hostname:1000")
        g.run()
        g.quit()
        h.wait_for(lambda: len(opens_of(agent, comm, "/etc/hostname")) >= 1000, 10, what="1000 records")
        agent.stop()
        recs = opens_of(agent, comm, "/etc/hostname")
        h.check(len(recs) == 1000 and not any("repeat" in r for r in recs),
                "without bpf_timer: all 1000 opens emitted (%d), none folded" % len(recs))
    finally:
        if g:
            g.kill()
        agent.kill()


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    try:
        exe = build(wd)
        names = {k: u.unique_comm() for k in ("tight", "paced", "alt", "order", "prot")}
        probe = subprocess.run([binary, "--probe"], capture_output=True, text=True, timeout=60)
        if "bpf_timer    no" in probe.stdout:
            h.skip("this kernel has no bpf_timer: aggregate_window is unavailable")
        window_run(binary, exe, wd, names)
        long_window_run(binary, exe, wd, {k: u.unique_comm() for k in ("exit", "stop")})
        off_run(binary, exe, wd, u.unique_comm(), u.unique_comm())
        unavailable_run(binary, exe, wd, u.unique_comm())
    finally:
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
