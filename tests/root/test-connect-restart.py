#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Connect mode across restarts of the agent (issue 16): a shipper (this
test, a listening Unix socket in its own folder) stays up while the agent is
stopped and started three times; after each stop the agent's runtime folder
is removed, as systemd does with RuntimeDirectory=.  The shipper greets each
connection with bytes the agent must read and ignore.

Checked: a connect_path inside /run/clawos-ebpf (the unit's
RuntimeDirectory) is refused at start (exit 78, the key named); the
shipper's socket outlives every stop; each agent connects, its startup
record and all of its workload's opens arrive; every line the shipper got
is one whole JSON object (a line cut by a stop is never continued by the
next agent); the agents exit 0."""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

RESTARTS = 3
N = 300
_RX_PATH = re.compile(rb'"path":"/nonexistent/([0-9a-z]+)/(\d+)"')


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    agent = None
    try:
        gen_exe = u.build_generator(wd)
        comm, tag = u.unique_comm(), os.urandom(4).hex()

        # the unit's RuntimeDirectory is no place for the shipper's socket
        bad = u.quiet_config(wd, comm, socket="no", connect="yes", connect_path="/run/clawos-ebpf/shipper.sock")
        try:
            r = subprocess.run([binary, "--config", bad, "--foreground"], capture_output=True, text=True, timeout=30,
                               stdin=subprocess.DEVNULL)
            rc, err = r.returncode, r.stderr
        except subprocess.TimeoutExpired:  # it started (and was killed)
            rc, err = "none: still running after 30 s", ""
        h.check(rc == 78 and "connect_path" in err and "runtime directory" in err,
                "connect_path in /run/clawos-ebpf is refused (exit %s: %s)" % (rc, err.strip()[-300:]))

        shipper = u.Shipper(wd.join("shipper", "ship.sock"))
        rundir = wd.join("run")
        events = os.path.join(rundir, "events.sock")
        conf = u.quiet_config(wd, comm, socket_path=events, connect="yes", connect_path=shipper.path)
        pids = []
        for i in range(RESTARTS):
            agent = u.BareAgent(binary, conf, wd, name="agent%d" % i)
            agent.start(events)
            pids.append(agent.pid)
            startup = b'"event":"startup"'
            pid = agent.pid
            h.check(h.wait_for(lambda: any(startup in line and (b'"pid":%d,' % pid) in line
                                           for line in shipper.all_lines()), 20,
                               what="agent %d's startup record at the shipper" % i),
                    "agent %d (pid %d) connected and its startup record arrived" % (i, pid), agent.dump)
            gen = u.Generator(gen_exe, comm, tag, N, 0, first=i * N)
            gen.go()
            gen.wait_done(30)
            gen.quit()
            want = set(range(i * N, (i + 1) * N))

            def missing():
                got = set()
                for line in shipper.all_lines():
                    m = _RX_PATH.search(line)
                    if m and m.group(1) == tag.encode():
                        got.add(int(m.group(2)))
                return want - got
            h.check(h.wait_for(lambda: not missing(), 30, what="the opens at the shipper"),
                    "agent %d: all %d opens arrived at the shipper (missing %d)" % (i, N, len(missing())),
                    agent.dump)
            agent.stop()
            agent = None
            shutil.rmtree(rundir, ignore_errors=True)  # systemd: RuntimeDirectory= goes on stop
            h.check(os.path.exists(shipper.path), "the shipper's socket outlived the agent's runtime directory")

        h.wait_for(lambda: len(shipper.conns) >= RESTARTS, 5, what="connections")
        bad_lines = []
        for line in shipper.all_lines():
            try:
                if not isinstance(json.loads(line), dict):
                    bad_lines.append(line)
            except ValueError:
                bad_lines.append(line)
        h.log("shipper: %d connections, %d lines" % (len(shipper.conns), len(shipper.all_lines())))
        h.check(len(shipper.conns) >= RESTARTS, "one connection per agent at least (%d)" % len(shipper.conns))
        h.check(not bad_lines, "every line at the shipper is one whole JSON object (bad: %r)" % bad_lines[:3])
        shipper.close()
    finally:
        if agent:
            agent.kill()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
