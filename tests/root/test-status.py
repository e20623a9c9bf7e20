#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""clawos-ebpf status: the running agent's counters over the control socket.

Between two stats records (SIGUSR1), `status --json` must carry every
counter of the stats record under the same name, each between its values in
the two records (the agent keeps counting meanwhile); the rates over the
last minute must add up with the counters; the text form names the same
figures; errors (no agent, not root, unknown command) are clear.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

EXIT_UNAVAILABLE = 69


def leaves(o, path=()):
    """{path: value} of every number and boolean below o."""
    out = {}
    if isinstance(o, dict):
        for k, v in o.items():
            out.update(leaves(v, path + (k,)))
    elif isinstance(o, (int, float)) and not isinstance(o, bool):
        out[path] = o
    return out


def status(binary, control, *args):
    return subprocess.run([binary, "status", "--control", control] + list(args), capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)


def stats_now(agent, after):
    n = agent.client.count()
    os.kill(agent.pid, signal.SIGUSR1)
    rec = agent.client.wait_for(lambda r: r["event"] == "stats", 10, "a stats record", start=n)
    h.check(rec is not None, "SIGUSR1 gave a stats record (%s)" % after)
    return rec


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    with h.Workdir() as wd:
        sock = wd.join("events.sock")
        control = wd.join("control.sock")
        conf = h.write_config(wd, socket_path=sock, stats_interval="60")
        agent = h.Agent(binary, conf, wd)
        try:
            agent.start(sock)
            marker = wd.join("status-marker")
            open(marker, "w").close()
            for _ in range(20):
                subprocess.run(["/usr/bin/cat", marker], check=True)
            subprocess.run(["/usr/bin/cat", "/etc/shadow"], stdout=subprocess.DEVNULL)
            h.check(agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["subject"] == "/etc/shadow",
                                          15, "the file_violation anomaly") is not None,
                    "an anomaly to count by kind")

            a = stats_now(agent, "before")
            p = status(binary, control, "--json")
            h.check(p.returncode == 0, "status --json exits 0", lambda: h.log(p.stderr))
            st = json.loads(p.stdout)
            b = stats_now(agent, "after")

            h.check(st["pid"] == agent.pid and st["version"] == agent.startup["version"],
                    "status names the agent: pid %s, version %s" % (st["pid"], st["version"]))
            h.check(st["config"]["path"] == os.path.realpath(conf) and st["config"]["sha256"] == a["config_sha256"],
                    "status names the configuration file and its hash")
            h.check(st["hooks"] == agent.startup["hooks"], "status has the mechanism per hook of the startup record")
            envelope = {("schema_version",)}  # the record's, not a counter
            la, ls, lb = [{k: v for k, v in leaves(x).items() if k not in envelope} for x in (a, st, b)]
            missing = sorted(".".join(k) for k in la if k not in ls)
            h.check(not missing, "every counter of the stats record is in the status (missing %s)" % missing)
            h.check(set(la) == set(lb), "both stats records have the same counters")
            out_of_order = []
            for k, va in la.items():
                if k in (("rss_kib",), ("outputs", "socket_queued_bytes")):
                    continue  # measures, not counters
                if not (va <= ls[k] <= lb[k]):
                    out_of_order.append("%s: %s <= %s <= %s" % (".".join(k), va, ls[k], lb[k]))
            h.check(not out_of_order, "each status counter lies between the two stats records' (%s)" % out_of_order[:5])
            h.check(st["events"]["exec"] >= 21 and st["anomalies"]["by_kind"]["file_violation"] >= 1,
                    "the commands are counted: exec %d, file_violation anomalies %d"
                    % (st["events"]["exec"], st["anomalies"]["by_kind"]["file_violation"]))
            h.check(st["outputs"]["socket_clients"] == a["outputs"]["socket_clients"] == 1,
                    "one socket client connected, in both")
            h.check(sum(st["anomalies"]["by_kind"].values()) == st["anomalies"]["raised"],
                    "anomalies by kind add up to those raised")

            r = st["rates"]
            h.check(0 < r["window_s"] <= st["uptime_s"] + 1, "rates over %.1f s (agent up %d s)"
                    % (r["window_s"], st["uptime_s"]))
            # in the first minute the window reaches back to the start
            if st["uptime_s"] < 55:
                diff = {t: (r["records"][t], n) for t, n in st["events"].items() if r["records"][t] != n}
                h.check(not diff, "records in the window = records since the start (%s)" % diff)
            bad = {t: (r["per_s"][t], r["records"][t]) for t in r["records"]
                   if abs(r["per_s"][t] * r["window_s"] - r["records"][t]) > 0.01 * r["records"][t] + 0.01}
            h.check(not bad, "per_s x window_s = records in the window, per type (%s)" % bad)
            h.check(r["records"]["all"] <= st["records"], "all records in the window <= all written")

            p = status(binary, control)
            h.check(p.returncode == 0, "status (text) exits 0", lambda: h.log(p.stderr))
            text = p.stdout
            h.log(text)
            h.check(text.startswith("clawos-ebpf %s, pid %d, up " % (st["version"], agent.pid)),
                    "text: version, pid and uptime first")
            h.check("config     " + os.path.realpath(conf) in text, "text: the configuration file")
            rows = [l.split() for l in text.splitlines() if l.startswith(" " * 11 + "exec ")]
            h.check(len(rows) == 2 and rows[1][-1].isdigit() and int(rows[1][-1]) >= st["events"]["exec"],
                    "text: the exec hook and the exec count (%s)" % rows)
            h.check("file_violation" in text, "text: anomalies by kind")

            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(control)
            s.sendall(b"FROBNICATE\n")
            reply = s.recv(100)
            s.close()
            h.check(reply == b"ERR unknown command\n", "an unknown command gets 'ERR unknown command' (%r)" % reply)

            p = status(binary, wd.join("nothing-here.sock"))
            h.check(p.returncode == EXIT_UNAVAILABLE and "is it running?" in p.stderr,
                    "no agent at the socket: exit 69, said so (%d: %s)" % (p.returncode, p.stderr.strip()))
            setpriv = shutil.which("setpriv")
            if setpriv:
                p = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", binary, "status",
                                    "--control", control], capture_output=True, text=True, timeout=30)
                h.check(p.returncode == EXIT_UNAVAILABLE and "root" in p.stderr,
                        "not root: exit 69, said so (%d: %s)" % (p.returncode, p.stderr.strip()))
            p = status(binary, control, "--bogus")
            h.check(p.returncode == 2, "unknown option: exit 2")
            h.check(agent.proc.poll() is None, "the agent still runs")
            agent.stop()
        finally:
            agent.kill()


if __name__ == "__main__":
    h.run(main)
