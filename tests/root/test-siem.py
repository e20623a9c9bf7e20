#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live records in ECS and OCSF, validated against the published schemas.

One agent writes three formats at once: native on stdout, ECS on its
socket (socket_format = ecs), OCSF in connect mode to a listener of the
test (connect_format = ocsf).  The test makes records of every type the
host produces: exec, fork and exit, file opens, network (connect, bind,
listen, accept, UDP sendmsg), a file_violation anomaly (reading
/etc/shadow), syscall records of a traced target, cgroup counters, and
iface counters on a veth pair of its own; plus the agent's startup
and stats records.  Every record of both streams must validate
(tests/siem_validate.py: ECS 9.4.0 and OCSF 1.8.0 from ../shared/schemas),
each type must have arrived in both, the exec record must carry its argv
in both, ECS and OCSF must report the same kernel record as the native
stream (sequence numbers), and a reload switching socket_format to ocsf
turns the socket's next records to OCSF."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import clawos_harness as h  # noqa: E402
import siem_validate as sv  # noqa: E402

T = 20
IFACE = "csiem%d" % (os.getpid() % 10000)
IFACE_NET = "10.201.%d" % (os.getpid() % 250)
PER_KIND = 400  # records validated per kind and stream (about a millisecond each)


class Listener:
    """A shipper stand-in: listens on a Unix stream socket, keeps records."""

    def __init__(self, path):
        self.path = path
        self.recs = []
        self.cond = threading.Condition()
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(4)
        self.srv.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(0.2)
            buf = b""
            while not self.stop:
                try:
                    d = c.recv(1 << 20)
                except socket.timeout:
                    continue
                if not d:
                    break
                *lines, buf = (buf + d).split(b"\n")
                recs = [json.loads(x) for x in lines]
                with self.cond:
                    self.recs.extend(recs)
                    self.cond.notify_all()
            c.close()

    def records(self):
        with self.cond:
            return list(self.recs)

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.srv.close()


def sh(*cmd, check=True):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    if check and p.returncode != 0:
        raise h.TestFailure("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p.stdout


def ecs_kind(r):
    """The record type of an ECS record: its event.dataset without clawos."""
    return (r.get("event") or {}).get("dataset", "?").split(".", 1)[-1]


def ocsf_kind(r):
    return (r.get("metadata") or {}).get("event_code", "?")


def workload(tag, wd):
    """Records of every kind; returns what to look for."""
    # exec, fork, exit
    subprocess.run(["/bin/true", tag], check=True)
    # a file open that fails (ENOENT) and one that succeeds
    missing = wd.join("missing-" + tag)
    try:
        os.close(os.open(missing, os.O_RDONLY))
    except OSError:
        pass
    # network: listen + accept + connect over loopback, UDP sendmsg, a refused connect
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = srv.accept()
    a.sendall(b"x")
    c.recv(1)
    for s in (a, c, srv):
        s.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"siem", (IFACE_NET + ".2", 9))  # through our veth: iface counters
    u.close()
    # a protected path (file_violation) read by a program not allowed to
    subprocess.run(["/bin/cat", "/etc/shadow"], stdout=subprocess.DEVNULL, check=False)
    # a traced target: its system calls as syscall records
    subprocess.run(["/usr/bin/env", "-u", "NOSUCH", "/bin/true", tag], check=True)
    return missing, port


def wait_kinds(get, kinds, what, timeout):
    have = set()

    def done():
        have.clear()
        have.update(get())
        return kinds <= have
    h.wait_for(done, timeout, interval=0.5, what=what)
    return have


def validate(validator, recs, kind_of, who):
    errs, per = [], {}
    for r in recs:
        k = kind_of(r)
        per[k] = per.get(k, 0) + 1
        if per[k] > PER_KIND:
            continue
        for e in validator.validate(r):
            errs.append((k, e, r))
    h.log("%s: %d records by type %s" % (who, len(recs), dict(sorted(per.items()))))
    for k, e, r in errs[:10]:
        h.log("  %s: %s in %s" % (k, e, h.short(r, 800)))
    h.check(not errs, "every %s record validates against the published schema (%d checked, %d errors)"
            % (who, sum(min(v, PER_KIND) for v in per.values()), len(errs)))


def main():
    h.require_root_bpf()
    d = sv.schemas_dir()
    if not d:
        h.skip("the ECS and OCSF schema data is missing (../shared/schemas or $CLAWOS_SHARED)")
    try:
        ecs_v, ocsf_v = sv.Ecs(d), sv.Ocsf(d)
    except ImportError:
        h.skip("PyYAML is missing (Debian package python3-yaml)")
    binary = h.agent_path()
    wd = h.Workdir()
    tag = "siem-" + uuid.uuid4().hex[:12]
    # only our records (and those of the programs we run): the host's
    # others would only slow the test down on a busy machine
    comm = "cs" + uuid.uuid4().hex[:13]
    h.set_comm(comm)
    ship = Listener(wd.join("ship.sock"))
    agent = None
    try:
        # a veth of our own, its peer unaddressed: what is sent to
        # IFACE_NET.2 leaves through IFACE (a static neighbour, no ARP)
        sh("ip", "link", "add", IFACE, "type", "veth", "peer", "name", IFACE + "p")
        sh("ip", "addr", "add", IFACE_NET + ".1/24", "dev", IFACE)
        sh("ip", "link", "set", IFACE + "p", "up")
        sh("ip", "link", "set", IFACE, "up")
        sh("ip", "neigh", "replace", IFACE_NET + ".2", "lladdr", "02:00:00:00:00:02", "dev", IFACE)
        conf = h.write_config(wd, socket_format="ecs", connect="yes", connect_path=ship.path,
                              connect_format="ocsf", stats_interval="1", target_exe="/usr/bin/env",
                              trace_target_syscalls="yes", anomaly_cooldown="0",
                              include_comm="%s, true, cat, env" % comm)
        agent = h.Agent(binary, conf, wd, args=["--iface", IFACE]).start(wd.join("events.sock"), timeout=90)
        first = agent.client.snapshot()[0]
        h.check(ecs_kind(first) == "startup" and "@timestamp" in first,
                "the socket's first record is the startup record, in ECS")
        h.check(h.wait_for(lambda: any(ocsf_kind(r) == "startup" for r in ship.records()), T,
                           what="the OCSF startup record at the listener"),
                "the connect-mode listener received the startup record in OCSF")
        missing, port = workload(tag, wd)
        kinds = {"startup", "stats", "exec", "process", "file_access", "network", "anomaly", "syscall",
                 "cgroup", "iface"}
        got_e = wait_kinds(lambda: {ecs_kind(r) for r in agent.client.snapshot()}, kinds, "ECS types", T)
        got_o = wait_kinds(lambda: {ocsf_kind(r) for r in ship.records()}, kinds, "OCSF types", T)
        h.check(kinds <= got_e, "ECS: records of every type arrived (missing %s)" % sorted(kinds - got_e),
                agent.dump)
        h.check(kinds <= got_o, "OCSF: records of every type arrived (missing %s)" % sorted(kinds - got_o))

        ecs, ocsf, native = agent.client.snapshot(), ship.records(), agent.stdout_records()
        ex = [r for r in ecs if ecs_kind(r) == "exec" and tag in (h.dig(r, "process", "args") or [])]
        h.check(len(ex) >= 1 and ex[0]["process"]["executable"] == "/usr/bin/true" and
                ex[0]["process"]["command_line"] == "/bin/true " + tag,
                "ECS exec: process.executable, args and command_line of /bin/true %s" % tag)
        nat = [r for r in native if r.get("event") == "exec" and tag in r["exec"]["argv"]]
        h.check(nat and ex[0]["event"]["sequence"] == nat[0]["seq"] and ex[0]["clawos"]["cpu"] == nat[0]["cpu"]
                and ex[0]["@timestamp"] == nat[0]["time"],
                "ECS and native report the same exec record (cpu, seq, time)")
        ox = [r for r in ocsf if ocsf_kind(r) == "exec" and tag in (h.dig(r, "process", "cmd_line") or "")]
        h.check(ox and ox[0]["unmapped"]["seq"] == nat[0]["seq"] and ox[0]["type_uid"] == 100701 and
                ox[0]["process"]["pid"] == nat[0]["process"]["pid"],
                "OCSF exec: Process Activity Launch of the same record, pid %s" % nat[0]["process"]["pid"])
        h.check(any(ecs_kind(r) == "file_access" and h.dig(r, "file", "path") == missing and
                    r["event"]["outcome"] == "failure" and h.dig(r, "error", "code") == "ENOENT" for r in ecs),
                "ECS file: the failed open of %s, outcome failure, error.code ENOENT" % missing)
        h.check(any(r.get("class_uid") == 1001 and h.dig(r, "file", "path") == missing and
                    r.get("status_code") == "ENOENT" for r in ocsf),
                "OCSF File System Activity: the failed open, status_code ENOENT")
        h.check(any(ecs_kind(r) == "network" and h.dig(r, "event", "action") == "connect" and
                    h.dig(r, "destination", "port") == port for r in ecs),
                "ECS network: the connect to 127.0.0.1:%d as destination" % port)
        h.check(any(r.get("class_uid") == 4001 and r.get("activity_id") == 7 and
                    h.dig(r, "dst_endpoint", "port") == port for r in ocsf),
                "OCSF Network Activity Listen on port %d" % port)
        h.check(any(ecs_kind(r) == "anomaly" and r["event"]["kind"] == "alert" and
                    h.dig(r, "file", "path") == "/etc/shadow" for r in ecs),
                "ECS: the file_violation anomaly is an alert on /etc/shadow")
        h.check(any(r.get("class_uid") == 2004 and h.dig(r, "finding_info", "analytic", "name") for r in ocsf),
                "OCSF: the anomaly is a Detection Finding with its rule")
        validate(ecs_v, ecs, ecs_kind, "ECS")
        validate(ocsf_v, ocsf, ocsf_kind, "OCSF")

        # live reload: the socket switches to OCSF
        with open(conf) as f:
            text = re.sub(r"(?m)^socket_format = .*$", "socket_format = ocsf", f.read())
        with open(conf, "w") as f:
            f.write(text)
        start = agent.client.count()
        os.kill(agent.pid, signal.SIGHUP)
        changed = agent.client.wait_for(lambda r: ocsf_kind(r) == "config_changed", T, what="config_changed",
                                        start=start)
        h.check(changed is not None and changed.get("class_uid") == 0,
                "after SIGHUP the socket's config_changed record is in OCSF")
        tag2 = tag + "-after"
        subprocess.run(["/bin/true", tag2], check=True)
        after = agent.client.wait_for(lambda r: tag2 in (h.dig(r, "process", "cmd_line") or ""), T,
                                      what="the exec after the reload", start=start)
        h.check(after is not None and after.get("class_uid") == 1007, "the next exec on the socket is OCSF")
        mixed = agent.client.snapshot()[start:]
        h.check(all("class_uid" in r for r in mixed[mixed.index(changed):]),
                "every socket record from config_changed on is OCSF")
        validate(ocsf_v, mixed[mixed.index(changed):], ocsf_kind, "OCSF after the reload")
        agent.stop()
        h.check(not agent.client.bad_lines, "every socket line was one JSON object")
    finally:
        if agent:
            agent.kill()
        ship.close()
        sh("ip", "link", "del", IFACE, check=False)
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
