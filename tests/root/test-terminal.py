#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The agent in the foreground on a terminal (a pty), as a person runs it.

1. Controlling terminal on stdin/stdout/stderr, no --format: records are
   text lines (no JSON), anomalies coloured by severity; SIGHUP while the
   terminal lives reloads; closing the terminal (the master side) stops the
   agent with status 0, socket removed, no BPF program left.  Again with
   nothing written (scope = targets), to see that SIGHUP alone does it.
2. stdout on a pty that is not the controlling terminal, --format text,
   NO_COLOR=1: no colour; when the pty goes away the next write fails with
   EIO and the agent stops cleanly the same way.
3. A flood: the text view spends at most a tenth of a CPU, says on the
   terminal how many records it did not show, and counts them.
4. --format json on a terminal: NDJSON.
5. stdout piped: NDJSON byte-identical to the socket's lines.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

TEXT_LINE = re.compile(r"^(\x1b\[[0-9;]*m)?\d\d:\d\d:\d\d\.\d{3} (\S+) +(\S+) +(.*?)(\x1b\[0m)?$")
SEVERITY_SGR = {"low": "\x1b[36m", "medium": "\x1b[33m", "high": "\x1b[31m", "critical": "\x1b[1;37;41m"}


class PtyAgent(h.PtyProcess):
    """The agent in the foreground with its output on a pty."""

    def __init__(self, binary, config, workdir, args=(), ctty=True, env=None, name="tty", stderr_file=False):
        self.own_progs = None  # startup_line() records them
        self.err_path = workdir.join(name + ".stderr")
        cmd = [binary, "--foreground", "--config", config] + list(args)
        h.log("starting on a pty%s: %s" % (" (controlling terminal)" if ctty else "", " ".join(cmd)))
        super().__init__(cmd, ctty=ctty, env=env, err_path=self.err_path if (stderr_file or not ctty) else None)

    def expect_clean_exit(self, socket_path, timeout, what):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise h.TestFailure("%s: the agent still ran %d s later" % (what, timeout))
        h.check(rc == 0, "%s: the agent exited with status 0 (got %s)" % (what, rc))
        h.check(not os.path.exists(socket_path), "%s: it removed its socket" % what)
        h.check(self.own_progs is not None, "%s: the agent's programs were recorded at its startup" % what)
        h.check_progs_freed(self.own_progs or set(), what)


def startup_line(agent):
    pid = agent.proc.pid
    line = agent.wait_line(lambda l: re.search(r" startup +clawos-ebpf\(%d\) " % pid, l), 30,
                           "the startup line")
    if line:
        agent.own_progs = h.agent_prog_ids(pid)
    return line


def part_controlling_terminal(binary, wd):
    sock = wd.join("tty.sock")
    # file records only under the work dir: a busy host's opens would use
    # up the text view's share of CPU (see part_flood) and hide ours
    conf = h.write_config(wd, name="tty.conf", socket_path=sock, stats_interval="60",
                          include_path_prefix=wd.join(""))
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    a = PtyAgent(binary, conf, wd, env=env)
    client = None
    try:
        h.check(startup_line(a) is not None, "on a terminal the startup record is a text line")
        client = h.SocketClient(sock)
        marker = wd.join("tty-marker")
        open(marker, "w").close()
        subprocess.run(["/usr/bin/cat", "/etc/hostname", marker], stdout=subprocess.DEVNULL, check=True)
        line = a.wait_line(lambda l: " exec " in l and marker in l and "cat(" in l, 15, "the exec line of cat")
        h.check(line is not None and TEXT_LINE.match(line) and "cat(" in line and
                "/usr/bin/cat /etc/hostname " + marker in line,
                "exec as a text line: %r" % line)
        line = a.wait_line(lambda l: " open " in l and marker in l and "cat(" in l, 15, "the open line of cat")
        h.check(line is not None and re.search(re.escape(marker) + r" O_RDONLY\S* = 3$", line),
                "open as a text line: %r" % line)
        json_lines = [l for l in a.lines() if l.startswith("{")]
        h.check(not json_lines, "no JSON on the terminal (%r)" % json_lines[:2])

        subprocess.run(["/usr/bin/cat", "/etc/shadow"], stdout=subprocess.DEVNULL)
        rec = client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["subject"] == "/etc/shadow"
                              and r["process"]["comm"] == "cat", 15, "the file_violation anomaly")
        h.check(rec is not None, "reading /etc/shadow raised an anomaly")
        sgr = SEVERITY_SGR[rec["anomaly"]["severity"]]
        line = a.wait_line(lambda l: "file_violation" in l and "/etc/shadow" in l and "cat(" in l, 15,
                           "the anomaly line")
        h.check(line is not None and line.startswith(sgr) and line.endswith("\x1b[0m"),
                "the %s anomaly is coloured %r: %r" % (rec["anomaly"]["severity"], sgr, line))

        os.kill(a.proc.pid, signal.SIGHUP)
        h.check(client.wait_for(lambda r: r["event"] == "config_changed", 15, "config_changed") is not None,
                "SIGHUP with the terminal alive reloads (config_changed)")
        time.sleep(0.5)
        h.check(a.proc.poll() is None, "and the agent keeps running")

        t0 = time.monotonic()
        a.close_terminal()
        a.expect_clean_exit(sock, 15, "terminal closed (SIGHUP, controlling terminal)")
        h.log("stopped %.2f s after the terminal closed" % (time.monotonic() - t0))
    finally:
        if client:
            client.close()
        a.kill()


def part_sighup_only(binary, wd):
    """scope = targets: no record is written, so only SIGHUP can tell."""
    sock = wd.join("hup.sock")
    conf = h.write_config(wd, name="hup.conf", socket_path=sock, stats_interval="60", scope="targets")
    a = PtyAgent(binary, conf, wd, name="hup", stderr_file=True)
    try:
        h.check(startup_line(a) is not None, "quiet agent on its controlling terminal: started")
        a.close_terminal()
        a.expect_clean_exit(sock, 15, "terminal closed, nothing written since (SIGHUP alone)")
        with open(a.err_path, errors="replace") as f:
            err = f.read()
        h.check("SIGHUP: the terminal is gone, stopping" in err, "the log says SIGHUP with the terminal gone",
                lambda: h.log(err[-2000:]))
    finally:
        a.kill()


def part_eio(binary, wd):
    sock = wd.join("eio.sock")
    conf = h.write_config(wd, name="eio.conf", socket_path=sock, stats_interval="60",
                          include_path_prefix=wd.join(""))
    env = dict(os.environ, NO_COLOR="1")
    a = PtyAgent(binary, conf, wd, args=["--format", "text"], ctty=False, env=env, name="eio")
    try:
        h.check(startup_line(a) is not None, "--format text: the startup text line")
        subprocess.run(["/usr/bin/cat", "/etc/shadow"], stdout=subprocess.DEVNULL)
        line = a.wait_line(lambda l: "file_violation" in l and "/etc/shadow" in l and "cat(" in l, 15,
                           "the anomaly line")
        h.check(line is not None and "\x1b" not in line, "NO_COLOR=1: the anomaly line has no colour: %r" % line)
        a.close_terminal()
        # not its controlling terminal: no SIGHUP, the next write fails with EIO
        subprocess.run(["/usr/bin/cat", "/etc/hostname"], stdout=subprocess.DEVNULL)
        a.expect_clean_exit(sock, 15, "stdout's pty gone (EIO)")
        with open(a.err_path, errors="replace") as f:
            err = f.read()
        h.check("terminal on stdout is gone" in err, "the log says why it stopped", lambda: h.log(err[-2000:]))
    finally:
        a.kill()


def part_flood(binary, wd):
    """More records than the text view may spend its tenth of a CPU on: it
    skips lines, says how many on the terminal, and counts them."""
    sock = wd.join("flood.sock")
    conf = h.write_config(wd, name="flood.conf", socket_path=sock, stats_interval="60")
    a = PtyAgent(binary, conf, wd, args=["--format", "text"], ctty=False, name="flood")
    try:
        h.check(startup_line(a) is not None, "text agent for the flood: started")
        flood = "import os\nfor i in range(300000):\n    try: os.open('/nonexistent/clawos-flood', 0)\n" \
                "    except OSError: pass\n"
        subprocess.run([sys.executable, "-c", flood], check=True)
        notice = re.compile(r" lost +clawos-ebpf +\d+ records not shown here, .*\((\d+) in all; ")
        line = a.wait_line(lambda l: notice.search(l), 15, "a 'records not shown' line")
        h.check(line is not None, "the terminal says records were not shown: %r" % line)
        time.sleep(2)  # the last notice comes when the flood is over
        total = max(int(m.group(1)) for m in (notice.search(l) for l in a.lines()) if m)
        st = json.loads(subprocess.run([binary, "status", "--json", "--control", wd.join("control.sock")],
                                       capture_output=True, text=True, timeout=30).stdout)
        h.check(st["outputs"]["stdout_dropped"] >= total > 0,
                "stats count them: stdout_dropped %d >= %d told on the terminal" % (st["outputs"]["stdout_dropped"],
                                                                                     total))
        os.kill(a.proc.pid, signal.SIGTERM)
        a.expect_clean_exit(sock, 30, "SIGTERM after the flood")
    finally:
        a.kill()


def part_json_on_tty(binary, wd):
    sock = wd.join("json.sock")
    conf = h.write_config(wd, name="json.conf", socket_path=sock, stats_interval="60")
    a = PtyAgent(binary, conf, wd, args=["--format", "json"], ctty=False, name="json")
    try:
        line = a.wait_line(lambda l: l.startswith('{"event":"startup"'), 30, "the startup record as JSON")
        h.check(line is not None and json.loads(line)["pid"] == a.proc.pid,
                "--format json on a terminal: NDJSON")
        a.own_progs = h.agent_prog_ids(a.proc.pid)
        os.kill(a.proc.pid, signal.SIGTERM)
        a.expect_clean_exit(sock, 15, "SIGTERM")
    finally:
        a.kill()


def part_piped(binary, wd):
    sock = wd.join("pipe.sock")
    conf = h.write_config(wd, name="pipe.conf", socket_path=sock, stats_interval="1")
    agent = h.Agent(binary, conf, wd, name="pipe")
    raw = []
    try:
        agent.start(sock)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.settimeout(0.5)

        def reader():
            buf = b""
            while True:
                try:
                    chunk = s.recv(1 << 20)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
            raw.extend(buf.split(b"\n"))

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        for _ in range(3):
            subprocess.run(["/usr/bin/cat", "/etc/hostname"], stdout=subprocess.DEVNULL)
        time.sleep(2.5)  # two stats records
        agent.stop()
        t.join(10)
        s.close()
        with open(agent.stdout_path, "rb") as f:
            out = set(f.read().split(b"\n"))
        lines = [l for l in raw if l and b'"event":"events_lost"' not in l]
        missing = [l for l in lines if l not in out]
        h.check(len(lines) > 10 and not missing,
                "piped stdout holds every socket line byte for byte (%d lines, %d missing: %r)"
                % (len(lines), len(missing), [m[:200] for m in missing[:2]]))
    finally:
        agent.kill()


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    with h.Workdir() as wd:
        part_controlling_terminal(binary, wd)
        part_sighup_only(binary, wd)
        part_eio(binary, wd)
        part_flood(binary, wd)
        part_json_on_tty(binary, wd)
        part_piped(binary, wd)


if __name__ == "__main__":
    h.run(main)
