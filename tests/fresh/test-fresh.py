#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""First contact on a fresh machine: the README's two commands in a new
minimal Debian 12 (debootstrap --variant=minbase, see fresh_chroot.py) with a
clean clone of the committed HEAD.

  test-fresh.py run    ./dev.sh run on a terminal (a pty) installs PACKAGES
                       only, builds and starts the agent; `cat /etc/hostname`
                       run in the chroot meanwhile shows up as a text line
                       (the first 20 lines are printed); closing the
                       terminal stops it.  Run again with stdout a pipe: the
                       exec record arrives as NDJSON; SIGTERM stops it.
  test-fresh.py test   ./dev.sh test --suite unit --suite packaging installs
                       what those suites need and passes them.

Each prints how long its steps took.  Uncommitted changes are not tested:
the clone is of HEAD (the test says so when the tree is dirty).
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "root"))
import clawos_harness as h  # noqa: E402
import fresh_chroot as fc  # noqa: E402

RUN_TIMEOUT = 1800  # install + build + start, on a slow mirror
TEST_TIMEOUT = 2700


def package_lists():
    """PACKAGES and TEST_PACKAGES as dev.sh declares them."""
    script = ('source <(sed -n "/^PACKAGES=(/,/^)/p;/^TEST_PACKAGES=(/,/^)/p" "$1"); '
              'echo "${PACKAGES[*]}"; echo "${TEST_PACKAGES[*]}"')
    out = subprocess.run(["bash", "-c", script, "bash", os.path.join(h.SOURCE_ROOT, "dev.sh")],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    if len(out) != 2 or not out[0] or not out[1]:
        h.hard_error("could not read PACKAGES and TEST_PACKAGES from dev.sh")
    return out[0].split(), out[1].split()


def manual_packages(ch):
    r = subprocess.run(ch.command("apt-mark", "showmanual"), capture_output=True, text=True, timeout=120)
    return set(r.stdout.split())


def note_dirty_tree(head):
    r = subprocess.run(["git", "-C", h.SOURCE_ROOT, "status", "--porcelain", "--untracked-files=no"],
                       capture_output=True, text=True)
    if r.stdout.strip():
        h.log("note: %s has uncommitted changes; this tests the committed HEAD %s" % (h.SOURCE_ROOT, head[:12]))


class StdoutReader:
    """Collects the agent's stdout lines (bytes) in a thread."""

    def __init__(self, stream):
        self.lines = []
        self.cond = threading.Condition()
        self.eof = False
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_record(self, predicate, timeout, proc):
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    try:
                        r = json.loads(line)
                    except ValueError:
                        continue
                    if h._safe(predicate, r):
                        return r
                seen = len(self.lines)
                if self.eof or proc.poll() is not None or time.monotonic() > deadline:
                    return None
                self.cond.wait(1)


def run_on_terminal(ch, marker):
    """The first ./dev.sh run, on a terminal as a person runs it: packages,
    build, start; text lines; the first lines are shown in the log; closing
    the terminal stops the agent."""
    t0 = time.monotonic()
    h.log("running ./dev.sh run in the chroot on a terminal (a pty)")
    term = h.PtyProcess(ch.command("/root/src/dev.sh", "run"))
    try:
        pid = term.proc.pid
        line = term.wait_line(lambda l: re.search(r" startup +clawos-ebpf\(%d\) " % pid, l), RUN_TIMEOUT,
                              "the startup line")
        if not line:
            raise h.TestFailure("./dev.sh run did not start the agent (exit status %s)" % term.proc.poll())
        t_start = time.monotonic() - t0
        h.log("./dev.sh run: packages, build and start took %.0f s" % t_start)
        r = subprocess.run(ch.command("/usr/bin/cat", "/etc/hostname", marker), capture_output=True, timeout=30)
        h.check(r.returncode == 0, "cat /etc/hostname %s ran in the chroot" % marker)
        want = "/usr/bin/cat /etc/hostname " + marker
        line = term.wait_line(lambda l: " exec " in l and " cat(" in l and l.endswith(want), 20,
                              "the exec line of cat")
        h.check(line is not None and "cat(" in line, "the terminal shows it as a text line: %r" % line)
        lines = term.lines()
        h.check(not [l for l in lines if l.startswith("{")], "no JSON on the terminal")
        h.log("---- the first 20 lines on the terminal ----")
        for l in lines[:20]:
            h.log("| " + l)
        h.log("---- and the lines of the cat ----")
        for l in lines:
            if marker in l and "cat(" in l:
                h.log("| " + l)
        h.log("----")
        term.close_terminal()
        rc = term.proc.wait(20)
        h.check(rc == 0, "closing the terminal stops the agent with status 0 (got %s)" % rc)
        return t_start
    finally:
        term.kill()


def run_piped(ch, marker):
    """./dev.sh run again with stdout a pipe: NDJSON, the exec record, SIGTERM."""
    err_path = ch.path + ".dev-sh.stderr"
    h.log("running ./dev.sh run in the chroot again, stdout a pipe")
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(ch.command("/root/src/dev.sh", "run"), stdout=subprocess.PIPE, stderr=err,
                                stdin=subprocess.DEVNULL)
    reader = StdoutReader(proc.stdout)
    try:
        startup = reader.wait_record(lambda r: r["event"] == "startup", RUN_TIMEOUT, proc)
        if not startup:
            fc.tail(err_path, 60)
            raise h.TestFailure("./dev.sh run did not start the agent (exit status %s)" % proc.poll())
        h.check(startup.get("pid") == proc.pid, "./dev.sh run execs the agent (startup pid %s)" % startup.get("pid"))
        t1 = time.monotonic()
        r = subprocess.run(ch.command("/usr/bin/cat", "/etc/hostname", marker), capture_output=True, timeout=30)
        h.check(r.returncode == 0, "cat /etc/hostname %s ran in the chroot" % marker)
        rec = reader.wait_record(lambda r: r["event"] == "exec" and r["exec"]["argv"][-1] == marker
                                 and r["process"]["comm"] == "cat", 20, proc)
        h.check(rec is not None, "its exec record appeared on the agent's stdout", lambda: fc.tail(err_path, 40))
        h.log("exec record after %.2f s: %s" % (time.monotonic() - t1, h.short(rec)))
        h.check(rec["exec"]["argv"] == ["/usr/bin/cat", "/etc/hostname", marker],
                "argv as run: %s" % rec["exec"]["argv"])
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(30)
        h.check(rc == 0, "SIGTERM stops the agent with status 0 (got %s)" % rc, lambda: fc.tail(err_path))
        reader.thread.join(10)
        bad = []
        for line in reader.lines:
            try:
                if not isinstance(json.loads(line), dict):
                    bad.append(line)
            except ValueError:
                bad.append(line)
        h.check(not bad, "piped stdout: %d lines, every one a JSON object (bad: %r)" % (len(reader.lines), bad[:3]))
        h.check(b'"event":"shutdown"' in reader.lines[-1], "the last record is the shutdown record")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if os.path.exists(err_path):
            os.unlink(err_path)


def test_run(head):
    packages, test_packages = package_lists()
    only_tests = [p for p in test_packages if p not in packages]
    with fc.Chroot("run", head) as ch:
        base_manual = manual_packages(ch)
        marker = "/tmp/fresh-%d-%d" % (os.getpid(), int(time.time()))
        with open(ch.join(marker.lstrip("/")), "w") as f:
            f.write("fresh\n")
        t_start = run_on_terminal(ch, marker)
        manual = manual_packages(ch) - base_manual
        extra = sorted(p for p in manual if p in only_tests)
        h.check(not extra, "./dev.sh run installed no test-only package (got %s)" % extra)
        missing = sorted(p for p in packages if p not in manual and p not in base_manual)
        h.check(not missing, "./dev.sh run installed every package of PACKAGES (missing %s)" % missing)
        run_piped(ch, marker)
    h.log("TIMING fresh-run: debootstrap %.0f s, chroot %.0f s, ./dev.sh run to the startup record %.0f s"
          % (ch.timings["debootstrap"], ch.timings["prepare"], t_start))


def test_suites(head):
    with fc.Chroot("test", head) as ch:
        log_path = ch.path + ".dev-sh.log"
        t0 = time.monotonic()
        h.log("running ./dev.sh test --suite unit --suite packaging in the chroot")
        try:
            try:
                fc.run_logged(ch.command("/root/src/dev.sh", "test", "--suite", "unit", "--suite", "packaging"),
                              log_path, TEST_TIMEOUT, "./dev.sh test --suite unit --suite packaging")
            finally:
                t_test = time.monotonic() - t0
            with open(log_path, errors="replace") as f:
                lines = f.read().splitlines()
            h.log("./dev.sh test: " + (lines[-1] if lines else "(no output)"))
            results = {}
            with open(ch.join("root/src/build-ci/meson-logs/testlog.json")) as f:
                for line in f:
                    if line.strip():
                        t = json.loads(line)
                        results[t["name"].split(" / ")[-1]] = t["result"]  # "project:suite / name"
            h.log("results: %s" % ", ".join("%s=%s" % kv for kv in sorted(results.items())))
            h.check(results.get("packages") == "OK", "the packaging suite ran and passed (not skipped)")
            # without ../shared on this machine the schema checks have nothing to
            # check against and say so (exit 77); with it, they must run
            data_skips = () if ch.shared else ("siem-schema", "siem-schema-strict-ecs", "siem-schema-strict-ocsf")
            if not ch.shared:
                h.log("no ../shared test data here: the SIEM schema checks may skip")
            not_ok = sorted(n for n, r in results.items()
                            if r != "OK" and not (r == "SKIP" and n in data_skips))
            h.check(not not_ok, "every unit and packaging test passed, none skipped (%s)" % not_ok,
                    lambda: fc.tail(log_path, 80))
        finally:
            if os.path.exists(log_path):
                os.unlink(log_path)
    h.log("TIMING fresh-test: debootstrap %.0f s, chroot %.0f s, ./dev.sh test --suite unit --suite packaging %.0f s"
          % (ch.timings["debootstrap"], ch.timings["prepare"], t_test))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("run", "test"):
        h.hard_error("usage: test-fresh.py run|test")
    head = fc.require()
    note_dirty_tree(head)
    fc.enter_namespace()
    t0 = time.monotonic()
    (test_run if mode == "run" else test_suites)(head)
    h.log("TIMING fresh-%s total %.0f s" % (mode, time.monotonic() - t0))


if __name__ == "__main__":
    h.run(main)
