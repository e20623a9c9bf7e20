#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""clawos-ebpf events: the event socket for people.

--type keeps the named record types (and events_lost); --format json passes
the socket's lines through unchanged, text gives event-text's lines, auto
into a pipe is JSON; a reader that goes away (| head) ends it with status 0,
and so does the agent's shutdown; bad options and a missing agent are
clear errors.
"""

import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 69


class Events:
    """`clawos-ebpf events ...` with its stdout lines collected."""

    def __init__(self, binary, sock, *args):
        self.proc = subprocess.Popen([binary, "events", "--socket", sock] + list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip(b"\n"))

    def wait(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if pred(line):
                    return line
            time.sleep(0.1)
        return None

    def finish(self, timeout=15):
        rc = self.proc.wait(timeout)
        self.thread.join(5)
        return rc, self.proc.stderr.read().decode(errors="replace")


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    with h.Workdir() as wd:
        sock = wd.join("events.sock")
        # file records only under the work dir: fewer for the readers on a busy host
        conf = h.write_config(wd, socket_path=sock, stats_interval="60", include_path_prefix=wd.join(""))
        agent = h.Agent(binary, conf, wd)
        clients = []
        try:
            agent.start(sock)
            ev_json = Events(binary, sock, "--type", "exec", "--format", "json")
            ev_text = Events(binary, sock, "--type", "exec,file_access", "--format", "text")
            ev_auto = Events(binary, sock)
            clients = [ev_json, ev_text, ev_auto]
            time.sleep(1)
            marker = wd.join("events-marker")
            open(marker, "w").close()
            subprocess.run(["/usr/bin/cat", "/etc/hostname", marker], stdout=subprocess.DEVNULL, check=True)
            rec = agent.client.wait_for(lambda r: r["event"] == "exec" and r["exec"]["argv"][-1] == marker, 15,
                                        "the marker's exec record")
            h.check(rec is not None, "the socket has the marker's exec record")

            line = ev_json.wait(lambda l: marker.encode() in l and b'"event":"exec"' in l, 15)
            h.check(line is not None and json.loads(line) == rec, "--format json: the same record as the socket's")
            kinds = {json.loads(l)["event"] for l in list(ev_json.lines)}
            h.check(kinds <= {"exec", "events_lost"}, "--type exec: only exec records (got %s)" % sorted(kinds))

            want = "cat(%d)" % rec["process"]["pid"]
            line = ev_text.wait(lambda l: marker.encode() in l and b" exec " in l, 15)
            h.check(line is not None and want.encode() in line and
                    line.decode().endswith("/usr/bin/cat /etc/hostname " + marker) and b"\x1b" not in line,
                    "--format text into a pipe: the exec line, no colour: %r" % line)
            line = ev_text.wait(lambda l: marker.encode() in l and b" open " in l and want.encode() in l, 15)
            h.check(line is not None and line.decode().endswith(marker + " O_RDONLY = 3"),
                    "--type exec,file_access: the open line too: %r" % line)
            bad = [l for l in list(ev_text.lines) if l.startswith(b"{") or not (b" exec " in l or b" open " in l
                                                                                  or b" lost " in l)]
            h.check(not bad, "--format text: text lines of the chosen types only (%r)" % bad[:2])

            line = ev_auto.wait(lambda l: marker.encode() in l and b'"event":"exec"' in l, 15)
            h.check(line is not None, "no --format into a pipe: JSON")
            h.check(ev_auto.wait(lambda l: l.startswith(b'{"event":"startup"'), 1) is not None,
                    "without --type every record passes, the socket's greeting (startup) first")

            # a reader that stops reading: | head -n 1
            head = subprocess.Popen("'%s' events --socket '%s' --format text | head -n 1 >/dev/null" % (binary, sock),
                                    shell=True)
            time.sleep(1)
            for _ in range(5):
                subprocess.run(["/usr/bin/true"])
            head.wait(15)
            h.check(head.returncode == 0, "events | head -n 1 ends, status 0")

            p = subprocess.run([binary, "events", "--socket", sock, "--type", "exec,bogus"], capture_output=True,
                               text=True, timeout=10)
            h.check(p.returncode == EXIT_USAGE and "bogus" in p.stderr and "file_access" in p.stderr,
                    "an unknown --type: exit 2 and the list of types (%s)" % p.stderr.strip())
            p = subprocess.run([binary, "events", "--socket", sock, "--format", "xml"], capture_output=True,
                               text=True, timeout=10)
            h.check(p.returncode == EXIT_USAGE and "auto, json, text" in p.stderr, "an unknown --format: exit 2")
            p = subprocess.run([binary, "events", "--socket", wd.join("none.sock")], capture_output=True, text=True,
                               timeout=10)
            h.check(p.returncode == EXIT_UNAVAILABLE and "is the agent running?" in p.stderr,
                    "no agent: exit 69, said so (%s)" % p.stderr.strip())

            agent.stop()
            for c, what in ((ev_json, "json"), (ev_text, "text"), (ev_auto, "auto")):
                rc, err = c.finish()
                h.check(rc == 0 and "the agent stopped" in err,
                        "events (%s) ends with status 0 when the agent stops (%s: %s)" % (what, rc, err.strip()))
            h.check(ev_auto.lines and ev_auto.lines[-1].startswith(b'{"event":"shutdown"'),
                    "the last line is the shutdown record")
        finally:
            for c in clients:
                if c.proc.poll() is None:
                    c.proc.kill()
            agent.kill()


if __name__ == "__main__":
    h.run(main)
