#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exit statuses of the command line: 0, 2 (usage), 78 (configuration)."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

EXIT_USAGE = 2
EXIT_CONFIG = 78


def run(binary, *args, timeout=30):
    try:
        return subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise h.TestFailure("%s did not exit within %d s" % (" ".join(args), timeout)) from e


def expect(binary, args, status, what, stderr_has=(), stdout_has=()):
    p = run(binary, *args)
    show = lambda: h.log("stdout: %s\nstderr: %s" % (p.stdout[-2000:], p.stderr[-2000:]))  # noqa: E731
    h.check(p.returncode == status, "%s: exit %d (got %d)" % (what, status, p.returncode), show)
    for s in stderr_has:
        h.check(s in p.stderr, "%s: stderr names %r" % (what, s), show)
    for s in stdout_has:
        h.check(s in p.stdout, "%s: stdout has %r" % (what, s), show)
    return p


def main():
    if os.geteuid() != 0:
        h.skip("needs root: the agent requires a root-owned configuration")
    binary = h.agent_path()
    wd = h.Workdir()
    try:
        expect(binary, ["--bogus-option"], EXIT_USAGE, "unknown option")
        expect(binary, ["extra-argument"], EXIT_USAGE, "unexpected argument")
        p = expect(binary, ["--version"], 0, "--version", stdout_has=("clawos-ebpf ",))
        h.check(p.stdout.count("\n") == 1, "--version prints one line (%r)" % p.stdout)
        expect(binary, ["--help"], 0, "--help", stdout_has=("--config", "--probe", "--format"))
        expect(binary, ["--format", "yaml", "--foreground"], EXIT_USAGE, "unknown --format",
               stderr_has=("yaml", "auto, json, text"))

        missing = "/nonexistent/clawos-%d.conf" % os.getpid()
        expect(binary, ["--config", missing, "--foreground"], EXIT_CONFIG, "missing config", stderr_has=(missing,))
        expect(binary, ["--config", missing, "--check-config"], EXIT_CONFIG, "--check-config of a missing config",
               stderr_has=(missing,))

        p = expect(binary, ["--config", h.SHIPPED_CONFIG, "--check-config"], 0, "--check-config of the shipped config")
        h.check("valid" in p.stdout, "--check-config says valid")
        p = expect(binary, ["--config", h.SHIPPED_CONFIG, "--check-config", "--json"], 0,
                   "--check-config --json of the shipped config")
        try:
            json.loads(p.stdout)
            ok = True
        except ValueError:
            ok = False
        h.check(ok, "--check-config --json prints JSON", lambda: h.log(p.stdout[:2000]))

        sock = wd.join("unknown-key.sock")
        conf = h.write_config(wd, name="unknown-key.conf", socket_path=sock)
        with open(conf) as f:
            lines = f.read().splitlines()
        line = lines.index("socket_path = " + sock) + 2  # 1-based, the line after socket_path
        lines.insert(line - 1, "no_such_key = 1")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        for args, what in ((["--foreground"], "agent"), (["--check-config"], "--check-config")):
            expect(binary, ["--config", conf] + args, EXIT_CONFIG, "unknown key (%s)" % what,
                   stderr_has=("%s:%d" % (conf, line), "no_such_key"))
        h.check(not os.path.exists(sock), "no socket created for a bad configuration")

        conf = h.write_config(wd, name="bad-value.conf", socket_path=sock, stats_interval="often")
        expect(binary, ["--config", conf, "--check-config"], EXIT_CONFIG, "bad value", stderr_has=(conf, "stats_interval"))

        conf = h.write_config(wd, name="world-writable.conf", socket_path=sock)
        os.chmod(conf, 0o666)
        expect(binary, ["--config", conf, "--foreground"], EXIT_CONFIG, "world-writable config", stderr_has=(conf,))
        h.check(not os.path.exists(sock), "no socket created for a world-writable configuration")
    finally:
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
