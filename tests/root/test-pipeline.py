#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Trigger and observe: exec, open, connect, listen, accept and sendmsg done
by known processes must reach a socket client as JSON records naming them."""

import json
import os
import socket
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

TIMEOUT = 15


def in_child(comm, fn):
    """fork; the child renames itself, runs fn and reports its result as JSON.
    Returns (pid, result)."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(rfd)
            h.set_comm(comm)
            res = fn()
            os.write(wfd, json.dumps(res).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as f:
        data = f.read()
    _, st = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        raise h.TestFailure("child %s (pid %d) failed" % (comm, pid))
    return pid, json.loads(data) if data else None


def open_abs(path):
    fd = os.open(path, os.O_RDONLY)
    os.close(fd)


def open_rel(directory, name):
    os.chdir(directory)
    fd = os.open(name, os.O_RDONLY)
    os.close(fd)


def open_missing(path):
    try:
        os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return "ENOENT"
    return "opened"


def tcp_connect(family, addr, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((addr, port))
    local = s.getsockname()[1]
    s.close()
    return local


def udp_send(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"clawos-test", (addr, port))
    s.close()


class Pipeline:
    def __init__(self, agent, wd):
        self.agent = agent
        self.client = agent.client
        self.wd = wd
        self.tag = uuid.uuid4().hex
        self.me = os.getpid()
        self.my_comm = h.get_comm()

    def expect(self, what, pred):
        rec = self.client.wait_for(pred, TIMEOUT, what=what)
        h.check(rec is not None, what, lambda: self.agent.dump())
        return rec

    def test_exec(self):
        p = subprocess.Popen(["/bin/true", self.tag])
        p.wait(10)
        real = os.path.realpath("/bin/true")
        rec = self.expect("exec of /bin/true %s by pid %d" % (self.tag, p.pid),
                          lambda r: r["event"] == "exec" and self.tag in r["exec"]["argv"]
                          and r["process"]["pid"] == p.pid)
        x = rec["exec"]
        h.check(x["success"] is True and x["result"] == 0 and x["error"] is None,
                "exec success true, result 0 (%s)" % h.short(x))
        h.check(x["argv"] == ["/bin/true", self.tag], "exec argv exactly %s (got %s)" % (["/bin/true", self.tag], x["argv"]))
        h.check(x["argc"] == 2, "exec argc 2")
        h.check(x["filename"] == real, "exec filename %r is the real path of /bin/true %r" % (x["filename"], real))
        h.check(rec["process"]["comm"] == "true", "exec comm 'true' (got %r)" % rec["process"]["comm"])
        h.check(rec["process"]["ppid"] == self.me, "exec ppid is the test's pid")
        h.check(rec["mechanism"] == self.agent.hook_mechanism("exec"),
                "exec mechanism %r matches the startup hooks" % rec["mechanism"])

    def _file_records(self, path, pid, comm):
        open_mech = self.agent.hook_mechanism("open")
        rec = self.expect("open of %s by %s[%d] via %s" % (path, comm, pid, open_mech),
                          lambda r: r["event"] == "file_access" and r["process"]["pid"] == pid
                          and r["file"]["path"] == path and r["mechanism"] == open_mech)
        h.check(rec["process"]["comm"] == comm, "comm %r (got %r)" % (comm, rec["process"]["comm"]))
        h.check(rec["file"]["verdict"] == "allow", "verdict allow")
        if self.agent.hook_mechanism("file_open") == "lsm":
            self.expect("file_open of %s by pid %d via lsm" % (path, pid),
                        lambda r: r["event"] == "file_access" and r["process"]["pid"] == pid
                        and r["file"]["path"] == path and r["mechanism"] == "lsm")
        return rec

    def test_files(self):
        name = "abs-" + self.tag
        path = self.wd.join(name)
        with open(path, "w") as f:
            f.write("x\n")
        pid, _ = in_child("clawt-abs", lambda: open_abs(path))
        rec = self._file_records(path, pid, "clawt-abs")
        h.check(rec["file"]["result"] >= 0 and rec["file"]["error"] is None,
                "absolute open succeeded (%s)" % h.short(rec["file"]))
        h.check("O_RDONLY" in rec["file"]["flags"], "flags name O_RDONLY")

        pid, _ = in_child("clawt-rel", lambda: open_rel(self.wd.path, name))
        rec = self._file_records(path, pid, "clawt-rel")
        h.check(rec["file"]["path_resolved"] is True, "relative path resolved in the kernel (%s)" % h.short(rec["file"]))
        h.check(rec["file"]["result"] >= 0, "relative open succeeded")

        missing = self.wd.join("missing-" + self.tag)
        pid, res = in_child("clawt-miss", lambda: open_missing(missing))
        h.check(res == "ENOENT", "the child saw ENOENT")
        rec = self._file_records(missing, pid, "clawt-miss")
        h.check(rec["file"]["result"] == -2 and rec["file"]["error"] == "ENOENT",
                "missing file: result -2, error ENOENT (%s)" % h.short(rec["file"]))

    def _net(self, op, pid, addr, port, family, protocol, mechanism, comm):
        rec = self.expect("%s %s:%d by pid %d" % (op, addr, port, pid),
                          lambda r: r["network"]["op"] == op and r["process"]["pid"] == pid
                          and r["network"]["port"] == port and r["network"]["address"] == addr)
        n = rec["network"]
        h.check(n["family"] == family, "%s family %s (got %s)" % (op, family, n["family"]))
        h.check(n["protocol"] == protocol, "%s protocol %s (got %s)" % (op, protocol, n["protocol"]))
        h.check(rec["mechanism"] == mechanism, "%s mechanism %r (got %r)" % (op, mechanism, rec["mechanism"]))
        h.check(rec["process"]["comm"] == comm, "%s comm %r (got %r)" % (op, comm, rec["process"]["comm"]))
        return rec

    def test_tcp(self, family, addr):
        fam = "inet" if family == socket.AF_INET else "inet6"
        srv = socket.socket(family, socket.SOCK_STREAM)
        try:
            try:
                srv.bind((addr, 0))
            except OSError as e:
                h.log("note: cannot bind %s (%s): %s part skipped" % (addr, e, fam))
                return
            port = srv.getsockname()[1]
            srv.listen(8)
            srv.settimeout(10)
            connect_mech = self.agent.hook_mechanism("connect")
            if not self.agent.startup.get("bpf_lsm"):
                h.check(connect_mech == "cgroup", "without BPF-LSM connect runs on cgroup (got %r)" % connect_mech)
            self._net("listen", self.me, addr, port, fam, "tcp", self.agent.hook_mechanism("listen"), self.my_comm)
            pid, local_port = in_child("clawt-conn", lambda: tcp_connect(family, addr, port))
            conn, peer = srv.accept()
            conn.close()
            h.check(peer[1] == local_port, "accepted the child's connection")
            self._net("connect", pid, addr, port, fam, "tcp", connect_mech, "clawt-conn")
            self._net("accept", self.me, addr, local_port, fam, "tcp", self.agent.hook_mechanism("accept"),
                      self.my_comm)
        finally:
            srv.close()

    def test_udp(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            pid, _ = in_child("clawt-udp", lambda: udp_send("127.0.0.1", port))
            s.settimeout(5)
            s.recv(64)
            self._net("sendmsg", pid, "127.0.0.1", port, "inet", "udp", self.agent.hook_mechanism("sendmsg"),
                      "clawt-udp")
        finally:
            s.close()

    def test_whole_stream(self):
        # at least one stats record (stats_interval = 1), so its shape is validated too
        self.expect("a stats record", lambda r: r["event"] == "stats")
        recs = self.client.snapshot()
        h.check(not self.client.bad_lines, "every socket line parses as a JSON object (%d bad)" % len(self.client.bad_lines),
                lambda: h.log(repr(self.client.bad_lines[:5])))
        lost = [r for r in recs if r.get("event") == "events_lost"]
        if lost:
            h.log("note: the socket reported lost records: %s" % h.short(lost[-1]))
        own = [r for r in recs if h.dig(r, "process", "pid") == self.agent.pid]
        h.check(not own, "no record names the agent's own pid %d (%d do)" % (self.agent.pid, len(own)),
                lambda: [h.log("  " + h.short(r)) for r in own[:5]])
        last, bad = {}, []
        for r in recs:
            cpu = r.get("cpu")
            if cpu is None or "seq" not in r:
                continue
            if cpu in last and r["seq"] <= last[cpu]:
                bad.append((cpu, last[cpu], r["seq"], r))
            last[cpu] = r["seq"]
        h.check(not bad, "seq increases per cpu over %d records (%d violations)" % (len(recs), len(bad)),
                lambda: [h.log("  cpu %s: %d then %d: %s" % (c, a, b, h.short(r))) for c, a, b, r in bad[:10]])
        errs = h.schema_errors([self.agent.startup] + recs)
        h.check(not errs, "records match the events schema",
                lambda: [h.log("  %s: %s" % (m, h.short(r))) for r, m in errs])
        if not [r for r in recs if r.get("event") == "startup"]:
            h.log("note: the startup record never reached the socket client (only stdout has it)")


def main():
    h.require_schema()
    h.require_root_bpf()
    binary = h.agent_path()
    h.set_comm("clawt-main")
    wd = h.Workdir()
    agent = None
    try:
        # File records only under our directory: a busy host (a benchmark's
        # open loop) would otherwise overflow the socket client's queue.  The
        # relative open then also checks that the prefix filter sees the
        # kernel-resolved path, not the bare name.
        conf = h.write_config(wd, include_path_prefix=wd.path + "/")
        agent = h.Agent(binary, conf, wd)
        agent.start(wd.join("events.sock"))
        t = Pipeline(agent, wd)
        t.test_exec()
        t.test_files()
        t.test_tcp(socket.AF_INET, "127.0.0.1")
        t.test_tcp(socket.AF_INET6, "::1")
        t.test_udp()
        t.test_whole_stream()
        agent.stop()
        agent = None
    finally:
        if agent:
            agent.kill()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
