#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The sd_notify protocol as systemd would see it (Type=notify, WatchdogSec=).

The agent runs with NOTIFY_SOCKET pointing at a datagram socket this test
reads, WATCHDOG_USEC=2 s and WATCHDOG_PID set to the agent's own pid (a shell
exports $$ and execs the agent, so the pid is kept).  Asserted:
  - READY=1 only once the hooks are attached and the outputs are up: when it
    arrives the startup record is on stdout, the socket exists and the
    agent's fds hold its BPF programs;
  - WATCHDOG=1 keeps coming, never more than 1.5 s apart (sd-event pings
    between 1/2 and 3/4 of the period);
  - STATUS= is sent with READY=1 and refreshed by the statistics timer;
  - SIGHUP: RELOADING=1, then READY=1 -- for a good and for a refused file;
  - SIGTERM: STOPPING=1, exit 0, and none of its programs remains loaded;
  - every message comes from the agent's pid (SCM_CREDENTIALS), as
    NotifyAccess=main requires.

Usage: test-notify.py [AGENT]  (or $CLAWOS_AGENT)
"""

import os
import signal
import socket
import struct
import subprocess
import threading
import time

import clawos_harness as h

WATCHDOG_USEC = 2000000
MAX_PING_GAP = 1.5 + 0.25  # 3/4 of the period, plus scheduling slack


class NotifyReader:
    """Collects (monotonic time, sender pid, {key: value}) from a datagram socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.2)
        self.msgs = []
        self.cond = threading.Condition()
        self.hooks = []  # callables run on each message, in the reader thread
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        space = socket.CMSG_SPACE(struct.calcsize("3i"))
        while not self._stop:
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, space)
            except socket.timeout:
                continue
            except OSError:
                break
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:12])[0]
            fields = {}
            for line in data.decode(errors="replace").split("\n"):
                if "=" in line:
                    k, v = line.split("=", 1)
                    fields[k] = v
            msg = (time.monotonic(), pid, fields)
            for hook in self.hooks:
                hook(msg)
            with self.cond:
                self.msgs.append(msg)
                self.cond.notify_all()

    def wait_for(self, key, value=None, after=0, timeout=10):
        """Index of the first message at index >= after carrying key (=value)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(after, len(self.msgs)):
                    f = self.msgs[i][2]
                    if key in f and (value is None or f[key] == value):
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    h.log("timeout after %.1f s waiting for %s%s" % (timeout, key, "=" + value if value else ""))
                    return None
                self.cond.wait(min(left, 0.5))

    def snapshot(self):
        with self.cond:
            return list(self.msgs)

    def close(self):
        self._stop = True
        self.thread.join(5)
        self.sock.close()


def non_watchdog(msgs):
    return [m for m in msgs if set(m[2]) != {"WATCHDOG"}]


def describe(msgs):
    return ["%.3f pid=%s %s" % (t, p, " ".join("%s=%s" % kv for kv in f.items())) for t, p, f in msgs]


def main():
    h.require_root_bpf()
    agent = h.agent_path()
    with h.Workdir("clawos-notify-") as wd:
        config = h.write_config(wd)
        sock_path = wd.join("events.sock")
        stdout_path, stderr_path = wd.join("agent.stdout"), wd.join("agent.stderr")
        reader = NotifyReader(wd.join("notify.sock"))
        at_ready = {}

        def on_message(msg):
            # Runs the moment READY=1 arrives, before the agent can do much
            # more: what is attached and written at this point was so before.
            if msg[2].get("READY") == "1" and "stdout" not in at_ready:
                with open(stdout_path, "rb") as f:
                    at_ready["stdout"] = f.read()
                at_ready["socket"] = os.path.exists(sock_path)
                at_ready["progs"] = h.bpf_prog_ids_of(msg[1]) if msg[1] else set()

        reader.hooks.append(on_message)
        env = dict(os.environ, NOTIFY_SOCKET=reader.path, WATCHDOG_USEC=str(WATCHDOG_USEC))
        env.pop("WATCHDOG_PID", None)
        cmd = ["sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$0" "$@"',
               agent, "--foreground", "--config", config]
        h.log("starting: " + " ".join(cmd))
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)

        def dump():
            h.log("---- notify messages ----")
            for line in describe(reader.snapshot()):
                h.log("  " + line)
            with open(stderr_path, errors="replace") as f:
                h.log("---- agent stderr ----\n" + f.read()[-4000:])

        try:
            ready = reader.wait_for("READY", "1", timeout=30)
            h.check(ready is not None, "READY=1 received", dump)
            msgs = reader.snapshot()
            h.check(all(m[1] == proc.pid for m in msgs),
                    "every message comes from the agent's pid %d" % proc.pid, dump)
            h.check(b'"event":"startup"' in at_ready["stdout"],
                    "the startup record (hooks attached) was on stdout before READY=1", dump)
            h.check(at_ready["socket"], "the event socket existed before READY=1")
            h.check(len(at_ready["progs"]) > 0,
                    "the agent held %d BPF programs when READY=1 arrived" % len(at_ready["progs"]))
            h.check(not any(m[2].get("READY") == "1" for m in msgs[:ready]), "no READY=1 before that one")
            h.check("STATUS" in msgs[ready][2], "READY=1 carries STATUS=: %s" % msgs[ready][2].get("STATUS"))

            # the watchdog, over about four periods
            time.sleep(4 * WATCHDOG_USEC / 1e6)
            t_ready = msgs[ready][0]
            pings = [m[0] for m in reader.snapshot() if m[2].get("WATCHDOG") == "1" and m[0] > t_ready]
            gaps = [b - a for a, b in zip([t_ready] + pings, pings)]
            h.log("watchdog pings after READY=1: %d, gaps %s" % (len(pings), ", ".join("%.2f" % g for g in gaps)))
            h.check(len(pings) >= 4, "at least 4 WATCHDOG=1 in 8 s with WATCHDOG_USEC=2 s", dump)
            h.check(max(gaps) <= MAX_PING_GAP, "WATCHDOG=1 never more than %.2f s apart" % MAX_PING_GAP, dump)
            statuses = [m for m in reader.snapshot()[ready + 1:] if "STATUS" in m[2]]
            h.check(len(statuses) >= 2, "STATUS= refreshed by the 1 s statistics timer (%d updates)" % len(statuses),
                    dump)

            # reload: a valid file, then one the agent must refuse
            for what, content in (("a valid configuration", None), ("a refused configuration", "bogus = 1\n")):
                if content is not None:
                    with open(config, "a") as f:
                        f.write(content)
                mark = len(reader.snapshot())
                os.kill(proc.pid, signal.SIGHUP)
                i = reader.wait_for("RELOADING", "1", after=mark, timeout=10)
                h.check(i is not None, "SIGHUP with %s: RELOADING=1" % what, dump)
                j = reader.wait_for("READY", "1", after=i + 1, timeout=10)
                h.check(j is not None, "SIGHUP with %s: READY=1 after RELOADING=1" % what, dump)
                between = non_watchdog(reader.snapshot()[i + 1:j])
                h.check(not between, "nothing else between RELOADING=1 and READY=1 (%s)" % describe(between))
                h.check(proc.poll() is None, "the agent keeps running after a reload with %s" % what)

            held = h.bpf_prog_ids_of(proc.pid)
            mark = len(reader.snapshot())
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(15)
            except subprocess.TimeoutExpired:
                rc = None
            h.check(rc == 0, "exit status 0 after SIGTERM (got %s)" % rc, dump)
            h.check(reader.wait_for("STOPPING", "1", after=mark, timeout=2) is not None,
                    "STOPPING=1 after SIGTERM", dump)
            h.check(not os.path.exists(sock_path), "the event socket is removed")
            # the kernel frees programs shortly after the last reference goes
            h.wait_for(lambda: not held & set(h.bpf_progs()), 5, what="the programs to be freed")
            left = sorted(held & set(h.bpf_progs()))
            h.check(held and not left, "none of the agent's %d BPF programs is left (left: %s)" % (len(held), left))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
            reader.close()


if __name__ == "__main__":
    h.run(main)
