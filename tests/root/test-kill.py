#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""SIGKILL of the agent: the killed instance cannot report it, the next one
does, from the pinned kill log; a clean stop leaves no pinned map behind."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

PIN = "/sys/fs/bpf/clawos_killlog"


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    with h.Workdir() as wd:
        conf = h.write_config(wd, enable_file_monitoring="no", enable_network_monitoring="no")
        first = h.Agent(binary, conf, wd, name="first")
        try:
            first.start(wd.join("events.sock"))
            if not os.path.exists(PIN):
                h.skip("no bpffs at /sys/fs/bpf: the kill log is not kept here")
            killer = subprocess.run(["kill", "-KILL", str(first.pid)])
            h.check(killer.returncode == 0, "kill -KILL sent to the agent")
            first.proc.wait(10)
            h.check(os.path.exists(PIN), "the kill log outlives the killed agent")
        finally:
            first.kill()
        os.unlink(wd.join("events.sock")) if os.path.exists(wd.join("events.sock")) else None
        second = h.Agent(binary, conf, wd, name="second")
        try:
            second.start(wd.join("events.sock"))
            rec = h.wait_for(lambda: [r for r in second.stdout_records() if r["event"] == "anomaly" and
                                      r["anomaly"]["rule"] == "signal_agent" and r["anomaly"]["observed"] == 9],
                             10, what="the previous SIGKILL")
            h.check(bool(rec), "the next instance reports the SIGKILL of the previous one", second.dump)
            a = rec[0]
            h.check(a["process"]["comm"] == "kill" and a["anomaly"]["kind"] == "tamper" and
                    a["anomaly"]["severity"] == "critical" and
                    "pid %d" % first.pid in a["anomaly"]["description"],
                    "sender, kind, severity and the killed pid: %s" % a["anomaly"]["description"])
        finally:
            second.stop()
        time.sleep(0.2)
        h.check(not os.path.exists(PIN), "a clean stop removes the pinned kill log")


if __name__ == "__main__":
    h.run(main)
