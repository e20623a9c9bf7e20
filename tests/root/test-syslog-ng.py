#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shipper interop, connect mode: Debian's syslog-ng listens on a
unix-stream() socket and writes each line it gets to a file; the agent
connects to it.  100,000 generated opens arrive with fields identical to
the agent's own stdout; syslog-ng is restarted twice mid-run (SIGTERM,
which flushes what it has read), the agent reconnects (stats
outputs.connect_reconnects), and delivered + counted drops + what was in
the socket when syslog-ng stopped == generated."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

N = 100000
RATE = 10000
RESTARTS_AT = (3.0, 6.0)  # seconds into the run
DOWN_S = 0.5
# A restart loses what the agent had written into the socket and syslog-ng
# had not read yet (a unix stream socket buffer, ~200 KiB: ~300 records)
# and the rest of a line cut by the disconnection, which the agent counts.
INFLIGHT_BOUND = 1000

CONF = """@version: 3.38
options {{ stats-freq(0); time-reopen(1); }};
source s_agent {{ unix-stream("{sock}" flags(no-parse) max-connections(4) log-iw-size(10000)); }};
destination d_file {{ file("{out}" template("${{MESSAGE}}\\n")); }};
log {{ source(s_agent); destination(d_file); flags(flow-control); }};
"""


class SyslogNg:
    def __init__(self, exe, wd):
        self.exe, self.wd = exe, wd
        self.sock = wd.join("ship.sock")
        self.out = wd.join("out.ndjson")
        self.conf = wd.join("syslog-ng.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(sock=self.sock, out=self.out))
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.wd.join("syslog-ng.%d.log" % self.starts), "wb")
        self.proc = subprocess.Popen([self.exe, "-F", "--no-caps", "-f", self.conf, "-R", self.wd.join("persist"),
                                      "-p", self.wd.join("syslog-ng.pid"), "-c", self.wd.join("syslog-ng.ctl")],
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        if not h.wait_for(lambda: os.path.exists(self.sock) or self.proc.poll() is not None, 15,
                          what="syslog-ng's socket") or self.proc.poll() is not None:
            with open(self.wd.join("syslog-ng.%d.log" % self.starts), errors="replace") as f:
                h.log(f.read()[-2000:])
            raise h.TestFailure("syslog-ng did not start (status %s)" % self.proc.poll())

    def stop(self):
        """SIGTERM: syslog-ng writes out what it has read, then exits."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode if self.proc else None


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    exe = shutil.which("syslog-ng") or ("/usr/sbin/syslog-ng" if os.path.exists("/usr/sbin/syslog-ng") else None)
    if not exe:
        h.skip("syslog-ng is missing (Debian package syslog-ng-core)")
    wd = u.ShmWorkdir()
    gen_exe = u.build_generator(wd)
    comm, tag = u.unique_comm(), os.urandom(4).hex()
    sng = SyslogNg(exe, wd)
    agent = gen = None
    try:
        sng.start()
        conf = u.quiet_config(wd, comm, socket="no", connect="yes", connect_path=sng.sock, ring_buffer_size="16M",
                              connect_buffer_size="16M")
        agent = u.BareAgent(binary, conf, wd)
        agent.start(None)
        h.check(h.wait_for(lambda: out_lines(sng.out) > 0, 15, what="the startup record at syslog-ng"),
                "the agent connected to syslog-ng and its first record arrived", agent.dump)
        gen = u.Generator(gen_exe, comm, tag, N, RATE)
        restarts = []

        def restarter():
            for at in RESTARTS_AT:
                time.sleep(max(0, gen.t0 + at - time.monotonic()))
                rc = sng.stop()
                t = time.monotonic() - gen.t0
                time.sleep(DOWN_S)
                sng.start()
                restarts.append((t, rc))
        gen.go()
        th = threading.Thread(target=restarter, daemon=True)
        th.start()
        elapsed = gen.wait_done(60)
        th.join(30)
        h.check(len(restarts) == len(RESTARTS_AT), "syslog-ng restarted %d times (exit statuses %s)"
                % (len(restarts), [rc for _, rc in restarts]))
        h.log("generator: %d opens in %.1f s; syslog-ng stopped at %s s" % (N, elapsed, [round(t, 1) for t, _ in restarts]))
        # the agent catches up and its buffer drains into the new syslog-ng
        final = agent.wait_consumed(N, pred=lambda s: s["outputs"]["connect_connected"])
        h.check(final is not None, "the agent consumed the opens and is connected", agent.dump)
        marker = final["time"]
        h.check(h.wait_for(lambda: marker in tail_text(sng.out), 30, what="the last stats record at syslog-ng"),
                "syslog-ng received the stats record that follows the burst")
        sng.stop()  # flushes its file
        o = final["outputs"]
        kd = final["kernel"]["ringbuf_drops_by_type"]["file_access"]
        h.log("stats: connect_reconnects %d, connect_dropped %d, kernel drops %d"
              % (o["connect_reconnects"], o["connect_dropped"], kd))
        h.check(o["connect_reconnects"] >= len(RESTARTS_AT), "connect_reconnects >= %d (%d)"
                % (len(RESTARTS_AT), o["connect_reconnects"]))

        # the reference: the agent's stdout, which lost nothing (tmpfs file)
        h.check(o["stdout_dropped"] == 0, "stdout dropped nothing")
        ref, raw = {}, []
        with open(agent.stdout_path, "rb") as f:
            for line in f:
                r = json.loads(line)
                ref[key(r)] = r
                raw.append(line)
        shipped, fragments = [], []
        with open(sng.out, "rb") as f:
            for line in f:
                line = line.rstrip(b"\n")
                try:
                    shipped.append(json.loads(line))
                except ValueError:
                    fragments.append(line)
        different = [r for r in shipped if ref.get(key(r)) != r]
        h.check(not different, "every record syslog-ng wrote is identical to the agent's (%d differ: %s)"
                % (len(different), [h.short(r, 300) for r in different[:2]]))
        keys = [key(r) for r in shipped]
        h.check(len(set(keys)) == len(keys), "no record twice at syslog-ng")
        # a line cut by a restart reaches syslog-ng as a fragment, which it
        # writes as a message of its own; the agent counted the line as dropped
        torn = [fr for fr in fragments if not any(line.startswith(fr) for line in raw)]
        h.check(len(fragments) <= len(RESTARTS_AT) and not torn,
                "at most one fragment, the beginning of a record, per restart (%d: %s)"
                % (len(fragments), [fr[:60] for fr in fragments]))
        got = sorted(int(r["file"]["path"].rsplit("/", 1)[1]) for r in shipped
                     if r.get("event") == "file_access" and ("/%s/" % tag) in r["file"]["path"])
        lost = N - kd - len(got)
        inflight = lost - o["connect_dropped"]
        h.log("syslog-ng: %d of %d opens delivered + %d connect_dropped + %d kernel drops + %d in flight at the"
              " restarts = %d" % (len(got), N, o["connect_dropped"], kd, inflight, len(got) + o["connect_dropped"] + kd + inflight))
        h.check(len(set(got)) == len(got), "no open delivered twice")
        h.check(0 <= inflight <= INFLIGHT_BOUND * len(RESTARTS_AT),
                "delivered + connect_dropped + kernel drops == generated, but for at most %d records in flight per"
                " restart (%d)" % (INFLIGHT_BOUND, inflight))
        missing = sorted(set(range(N)) - set(got))
        h.log("missing opens: %s" % summarize(missing))
        h.check(agent.alive(), "the agent is still running")
        agent.stop()
    finally:
        if gen:
            gen.kill()
        if agent:
            agent.kill()
        sng.stop()
        wd.cleanup()


def key(r):
    if r.get("cpu") is not None:
        return ("k", r["cpu"], r["seq"])
    if "seq" in r:
        return ("u", r["seq"])
    return (r.get("event"), r.get("time"))


def out_lines(path):
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def tail_text(path, n=1 << 16):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - n))
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


def summarize(nums):
    """Runs of consecutive numbers: '1000-1299 (300), ...'."""
    runs = []
    for n in nums:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join("%d-%d (%d)" % (a, b, b - a + 1) for a, b in runs[:10]) + (" ..." if len(runs) > 10 else "")


if __name__ == "__main__":
    h.run(main)
