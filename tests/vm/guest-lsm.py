#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The BPF-LSM path, run inside the guest by test-vm-lsm.sh (direct mode).

Phases, each reported with "ok:"/"FAIL:" lines (a failed phase does not stop the
next one; the exit status is 1 if any failed):

  probe        --probe --json: lsm for file_open, connect, bind, listen, socket_create;
               --no-lsm: the fallbacks
  lsm-records  two agents at once on one workload (the root suite's shape:
               tests/root/test-pipeline.py): one on BPF-LSM, one with --no-lsm.
               The LSM one's file records carry kernel-resolved absolute paths
               (mechanism lsm, path_resolved true), its network records come from
               the LSM socket hooks
  prefix       include_path_prefix holds on the LSM path too
  equivalence  both agents saw the same events on the common fields; the
               differences that remain are listed and expected
  enforce      file_access_violation_mode = 2: EPERM, file_violation enforced true;
               after a reload to mode 1: allowed, enforced false
  cleanup      agents exit 0, no clawos_* programs or links remain, no sanitizer report
"""

import collections
import errno
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

SOURCE_ROOT = os.environ.get("CLAWOS_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "root"))
import clawos_harness as h  # noqa: E402

# The workload helpers of the root suite's pipeline test (the same shape on both sides).
_spec = importlib.util.spec_from_file_location(
    "clawos_pipeline", os.path.join(SOURCE_ROOT, "tests", "root", "test-pipeline.py"))
pipeline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pipeline)

T = 30  # TCG emulation: generous waits
LSM_HOOKS = ["file_open", "connect", "bind", "listen", "socket_create"]
FALLBACK = {"file_open": "tracepoint", "connect": "cgroup", "bind": "cgroup", "listen": "tracepoint",
            "socket_create": "cgroup"}
BPFTOOL = shutil.which("bpftool") or "/usr/sbin/bpftool"

failed_phases = []
results = []  # (phase, "ok" | "FAIL")


def phase(name, fn, *args):
    h.log("== phase %s" % name)
    t0 = time.monotonic()
    try:
        r = fn(*args)
        h.log("phase %s: ok (%.1f s)" % (name, time.monotonic() - t0))
        results.append((name, "ok"))
        return r
    except h.TestFailure as e:
        h.log("phase %s: FAILED (%s, %.1f s)" % (name, e, time.monotonic() - t0))
    except Exception as e:  # a crash in one phase must not hide the others
        import traceback
        traceback.print_exc()
        h.log("phase %s: FAILED (%r)" % (name, e))
    failed_phases.append(name)
    results.append((name, "FAIL"))
    return None


def soft(cond, what, diag=None):
    """Like h.check, but carries on; returns cond."""
    try:
        h.check(cond, what, diag)
    except h.TestFailure:
        failed_phases.append("check: " + what[:60])
    return cond


# ---------------------------------------------------------------- probe

def probe_json(agent, *extra):
    out = subprocess.run([agent, "--probe", "--json"] + list(extra), capture_output=True, text=True, timeout=120)
    h.check(out.returncode == 0, "clawos-ebpf --probe --json %s exits 0" % " ".join(extra),
            lambda: h.log(out.stderr[-3000:]))
    return json.loads(out.stdout)


PROBE = {}


def test_probe(agent):
    p = probe_json(agent)
    PROBE.update(p)
    h.log("probe: lsm_list %r, bpf_lsm_listed %s" % (p["kernel"]["lsm_list"], p["kernel"]["bpf_lsm_listed"]))
    h.check(p["kernel"]["bpf_lsm_listed"] is True, "probe: bpf is listed in the active LSMs")
    for hook in LSM_HOOKS:
        st = p["hooks"][hook]
        h.check(st["mechanism"] == "lsm" and st["state"] == "active",
                "probe: hook %s uses mechanism lsm, active (got %s, %s: %s)" % (hook, st["mechanism"], st["state"],
                                                                                st["reason"]))
    q = probe_json(agent, "--no-lsm")
    for hook in LSM_HOOKS:
        st = q["hooks"][hook]
        h.check(st["mechanism"] == FALLBACK[hook] and st["state"] == "active",
                "probe --no-lsm: hook %s falls back to %s (got %s, %s)" % (hook, FALLBACK[hook], st["mechanism"],
                                                                          st["state"]))


# ---------------------------------------------------------------- the workload

class Workload:
    """The root pipeline's workload, plus three cases where BPF-LSM differs:
    a symlink, a path with "..", and the exec of a binary under the prefix."""

    def __init__(self, wd):
        self.wd = wd
        self.tag = uuid.uuid4().hex
        self.me = os.getpid()
        self.comm = h.get_comm()
        self.pids = {}
        self.name = "abs-" + self.tag
        self.path = wd.join(self.name)
        self.missing = wd.join("missing-" + self.tag)
        self.link = wd.join("link-" + self.tag)
        self.dotdot = wd.join("sub", "..", self.name)
        self.binary = wd.join("bin-" + self.tag[:8])
        self.net = []  # (op, pid, addr, port, family, protocol)
        self.start_ns = 0  # CLOCK_BOOTTIME, as the records' boot_ns

    def run(self):
        self.start_ns = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        p = subprocess.Popen(["/bin/true", self.tag])
        p.wait(10)
        self.pids["true"] = p.pid
        shutil.copy("/bin/true", self.binary)
        os.chmod(self.binary, 0o755)
        p = subprocess.Popen([self.binary, self.tag])
        p.wait(10)
        self.pids["copy"] = p.pid

        with open(self.path, "w") as f:
            f.write("x\n")
        os.mkdir(self.wd.join("sub"))
        os.symlink(self.path, self.link)
        self.pids["abs"], _ = pipeline.in_child("clawt-abs", lambda: pipeline.open_abs(self.path))
        self.pids["rel"], _ = pipeline.in_child("clawt-rel", lambda: pipeline.open_rel(self.wd.path, self.name))
        self.pids["miss"], res = pipeline.in_child("clawt-miss", lambda: pipeline.open_missing(self.missing))
        h.check(res == "ENOENT", "workload: the child saw ENOENT")
        self.pids["link"], _ = pipeline.in_child("clawt-link", lambda: pipeline.open_abs(self.link))
        self.pids["dotdot"], _ = pipeline.in_child("clawt-dotdot", lambda: pipeline.open_abs(self.dotdot))

        for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            self.tcp(family, addr)
        self.udp()
        self.pids["raw"], _ = pipeline.in_child(
            "clawt-raw", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close())
        self.pids["packet"], _ = pipeline.in_child(
            "clawt-packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close())

    def tcp(self, family, addr):
        fam = "inet" if family == socket.AF_INET else "inet6"
        srv = socket.socket(family, socket.SOCK_STREAM)
        try:
            srv.bind((addr, 0))
            port = srv.getsockname()[1]
            srv.listen(8)
            srv.settimeout(10)
            self.net.append(("bind", self.me, addr, 0, fam, "tcp", self.comm))
            self.net.append(("listen", self.me, addr, port, fam, "tcp", self.comm))
            pid, local = pipeline.in_child("clawt-conn", lambda: pipeline.tcp_connect(family, addr, port))
            self.pids.setdefault("conn", []).append(pid)
            conn, peer = srv.accept()
            conn.close()
            h.check(peer[1] == local, "workload: accepted the child's %s connection" % fam)
            self.net.append(("connect", pid, addr, port, fam, "tcp", "clawt-conn"))
            self.net.append(("accept", self.me, addr, local, fam, "tcp", self.comm))
        finally:
            srv.close()

    def udp(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            pid, _ = pipeline.in_child("clawt-udp", lambda: pipeline.udp_send("127.0.0.1", port))
            self.pids["udp"] = pid
            s.settimeout(5)
            s.recv(64)
            self.net.append(("bind", self.me, "127.0.0.1", 0, "inet", "udp", self.comm))
            self.net.append(("sendmsg", pid, "127.0.0.1", port, "inet", "udp", "clawt-udp"))
        finally:
            s.close()

    def all_pids(self):
        out = {self.me}
        for v in self.pids.values():
            out.update(v if isinstance(v, list) else [v])
        return out


def settle(agents):
    """Two stats records (stats_interval = 1) after the workload on every client:
    whatever the workload caused has gone through the ring buffer by then."""
    for a in agents:
        start = a.client.count()
        for _ in range(2):
            r = a.client.wait_for(lambda r: r["event"] == "stats", T, what="a stats record", start=start)
            h.check(r is not None, "%s: stats records keep coming after the workload" % a.label)
            start = a.client.count()


def expect(agent, what, pred):
    rec = agent.client.wait_for(pred, T, what=what)
    h.check(rec is not None, "%s: %s" % (agent.label, what), lambda: agent.dump())
    return rec


def file_rec(agent, w, key, path, op="open"):
    pid = w.pids[key]
    return expect(agent, "file record (%s) %s by pid %d" % (op, path, pid),
                  lambda r: r["event"] == "file_access" and r["process"]["pid"] == pid
                  and r["file"]["path"] == path and r["file"]["op"] == op)


def net_rec(agent, op, pid, addr, port, fam, proto, comm, mech):
    rec = expect(agent, "%s %s %s:%d by pid %d" % (op, proto, addr, port, pid),
                 lambda r: r["event"] == "network" and r["network"]["op"] == op and r["process"]["pid"] == pid
                 and r["network"].get("port") == port and r["network"].get("address") == addr
                 and r["network"]["protocol"] == proto)
    h.check(rec["network"]["family"] == fam, "%s: %s family %s" % (agent.label, op, fam))
    h.check(rec["process"]["comm"] == comm, "%s: %s comm %r (got %r)" % (agent.label, op, comm,
                                                                       rec["process"]["comm"]))
    h.check(rec["mechanism"] == mech, "%s: %s mechanism %s (got %s)" % (agent.label, op, mech, rec["mechanism"]))
    return rec


def check_records(agent, w, lsm):
    label = agent.label
    if lsm and PROBE:
        # what --probe announced is what the agent then runs on
        differ = {hk: (PROBE["hooks"][hk]["mechanism"], agent.hook_mechanism(hk)) for hk in PROBE["hooks"]
                  if PROBE["hooks"][hk]["mechanism"] != agent.hook_mechanism(hk)}
        h.check(not differ, "%s: the startup record's mechanisms are those --probe announced (differ, probe -> "
                "agent: %s; agent: %s)" % (label, differ, agent.hook_reason("file_open") if differ else ""))
    for hook in LSM_HOOKS:
        got = agent.hook_mechanism(hook)
        want = "lsm" if lsm else FALLBACK[hook]
        h.check(got == want, "%s: startup record: hook %s on %s (got %s)" % (label, hook, want, got))
    h.check(agent.startup.get("bpf_lsm") is lsm, "%s: startup bpf_lsm %s" % (label, lsm))

    rec = expect(agent, "exec of /bin/true %s" % w.tag,
                 lambda r: r["event"] == "exec" and w.tag in r["exec"]["argv"] and r["process"]["pid"] == w.pids["true"])
    h.check(rec["exec"]["argv"] == ["/bin/true", w.tag] and rec["exec"]["success"] is True,
            "%s: exec argv and success" % label)

    open_mech = "lsm" if lsm else "tracepoint"
    for key, path in (("abs", w.path), ("rel", w.path)):
        f = file_rec(agent, w, key, path)
        # a successful open is resolved from the opened file, on either path (issue 15)
        resolved = True
        h.check(f["mechanism"] == open_mech and f["file"]["path_resolved"] is resolved and f["file"]["result"] >= 0,
                "%s: %s open: absolute path %s, mechanism %s, path_resolved %s (%s)" %
                (label, key, path, open_mech, str(resolved).lower(), h.short(f["file"])))
    f = file_rec(agent, w, "miss", w.missing)
    h.check(f["file"]["error"] == "ENOENT" and f["mechanism"] == "tracepoint",
            "%s: missing file: ENOENT from the tracepoint (file_open never runs) (%s, %s)" %
            (label, f["mechanism"], h.short(f["file"])))
    if lsm:
        f = file_rec(agent, w, "link", w.path)
        h.check(f["mechanism"] == "lsm" and f["file"]["path_resolved"] is True,
                "%s: open through a symlink reports the target, resolved by the kernel" % label)
        f = file_rec(agent, w, "dotdot", w.path)
        h.check(f["mechanism"] == "lsm" and "path_raw" not in f["file"],
                "%s: open of sub/../ reports the clean path" % label)
        f = file_rec(agent, w, "copy", w.binary, op="file_open")
        h.check(f["mechanism"] == "lsm" and f["file"]["path_resolved"] is True and f["file"]["result"] is None,
                "%s: exec of %s: a file_open record from BPF-LSM (%s)" % (label, w.binary, h.short(f["file"])))
    else:
        # the fallback reports what was opened too, read at sys_exit (issue 15)
        f = file_rec(agent, w, "link", w.path)
        h.check(f["file"].get("requested_path") == w.link,
                "%s: open through a symlink: the target, and the link as requested_path" % label)
        f = file_rec(agent, w, "dotdot", w.path)
        h.check(f["file"].get("requested_path") == w.dotdot,
                "%s: open of sub/../name: the clean path, and the name as requested_path" % label)

    for op, pid, addr, port, fam, proto, comm in w.net:
        hook = op if op in ("connect", "bind", "listen") else None
        if hook:
            m = "lsm" if lsm else FALLBACK[hook]
        else:
            m = agent.hook_mechanism(op)
        net_rec(agent, op, pid, addr, port, fam, proto, comm, m)
    # socket_create is recorded for raw and packet sockets only
    pid = w.pids["raw"]
    rec = expect(agent, "socket_create inet/raw by pid %d" % pid,
                 lambda r: r["event"] == "network" and r["network"]["op"] == "socket_create"
                 and r["process"]["pid"] == pid and r["network"]["family"] == "AF_INET")
    want = "lsm" if lsm else FALLBACK["socket_create"]
    h.check(rec["mechanism"] == want and rec["network"]["type"] == "SOCK_RAW",
            "%s: socket_create inet raw, mechanism %s (got %s, %s)" % (label, want, rec["mechanism"],
                                                                      rec["network"]["type"]))
    if lsm:
        pid = w.pids["packet"]
        rec = expect(agent, "socket_create packet by pid %d" % pid,
                     lambda r: r["event"] == "network" and r["network"]["op"] == "socket_create"
                     and r["process"]["pid"] == pid)
        h.check(rec["mechanism"] == "lsm", "%s: socket_create of an AF_PACKET socket via lsm" % label)


# ---------------------------------------------------------------- equivalence

def key_of(r):
    f, n, p = r.get("file") or {}, r.get("network") or {}, r.get("process") or {}
    op = f.get("op") or n.get("op")
    if r["event"] == "exec":
        op = "exec"
    return (r["event"], op, f.get("path") or (r.get("exec") or {}).get("filename"), n.get("address"),
            n.get("port"), p.get("comm"), p.get("pid"), n.get("family") if op == "socket_create" else None)


def workload_records(agent, w):
    """The records of the workload's processes from its start on (boot_ns; the test's own
    opens before, such as the second agent's config, are not in both streams)."""
    pids = w.all_pids()
    return [r for r in agent.client.snapshot()
            if r.get("event") in ("exec", "file_access", "network") and h.dig(r, "process", "pid") in pids
            and r.get("boot_ns", 0) >= w.start_ns]


def under(path, wd):
    return isinstance(path, str) and path.startswith(wd.path + "/")


def test_prefix(lsm_agent, w):
    recs = [r for r in lsm_agent.client.snapshot() if r.get("event") == "file_access"]
    # a path the tracepoint could not read (not faulted in yet) cannot be filtered: reported
    # on both mechanisms, noted only
    unreadable = [r for r in recs if r["file"].get("path_unreadable")]
    if unreadable:
        h.log("note: %d file records with an unreadable path pass include_path_prefix: %s" %
              (len(unreadable), ", ".join("%s[%s] %s" % (r["process"]["comm"], r["process"]["pid"],
                                                         r["file"]["error"]) for r in unreadable[:3])))
    # protected paths are reported whatever the filters say (they come with a file_violation,
    # e.g. the exec of the agent's own binary when the test starts the second agent)
    violations = {(h.dig(r, "process", "pid"), h.dig(r, "anomaly", "subject")) for r in lsm_agent.client.snapshot()
                  if r.get("event") == "anomaly" and h.dig(r, "anomaly", "kind") == "file_violation"}
    outside = [r for r in recs if not under(r["file"]["path"], w.wd) and not r["file"].get("path_unreadable")
               and (r["process"]["pid"], r["file"]["path"]) not in violations]
    by = collections.Counter((r["file"]["op"], r["mechanism"]) for r in outside)
    for k in by:
        ex = [r for r in outside if (r["file"]["op"], r["mechanism"]) == k][:3]
        h.log("  outside the prefix, op %s via %s: %d, e.g. %s" % (k[0], k[1], by[k], ", ".join(
            "%r by %s[%s]%s" % (r["file"]["path"], r["process"]["comm"], r["process"]["pid"],
                                " (unreadable, %s)" % r["file"]["error"] if r["file"].get("path_unreadable") else "")
            for r in ex)))
    h.check(not outside, "%s: include_path_prefix = %s/ holds: no file record outside it (%d of %d are, by "
            "op/mechanism: %s)" % (lsm_agent.label, w.wd.path, len(outside), len(recs), dict(by)),
            lambda: [h.log("  " + h.short(r, 300)) for r in outside[:8]])


def test_equivalence(lsm_agent, fb_agent, w):
    def keys(agent):
        out = collections.Counter()
        for r in workload_records(agent, w):
            k = key_of(r)
            if r["event"] == "file_access" and not under(k[2], w.wd):
                continue  # the prefix phase judges those
            out[k] += 1
        return out

    a, b = keys(lsm_agent), keys(fb_agent)
    for agent in (lsm_agent, fb_agent):
        h.log("%s agent, the workload's records (event, op, path, address, port, comm, pid, family) mechanism:" %
              agent.label)
        for r in workload_records(agent, w):
            k = key_of(r)
            if r["event"] != "file_access" or under(k[2], w.wd):
                h.log("  %s %s%s" % (k, r.get("mechanism"), " resolved" if h.dig(r, "file", "path_resolved") else ""))
    only_lsm, only_fb = a - b, b - a
    pid_copy = w.pids["copy"]
    # The differences BPF-LSM is expected to make (mechanism aside, which differs by design on
    # file_open, connect, bind, listen and socket_create), and nothing else.
    expected = [
        ("LSM only", "the exec'd binary: opened by the kernel, not by an open syscall, so only the "
         "LSM file_open hook sees it (op file_open, comm of the parent before exec)",
         lambda k: k[0] == "file_access" and k[1] == "file_open" and k[2] == w.binary and k[6] == pid_copy, True),
        ("LSM only", "socket_create of an AF_PACKET socket: LSM socket_create sees every family, "
         "cgroup/sock_create only inet and inet6",
         lambda k: k[1] == "socket_create" and k[7] == "AF_PACKET" and k[6] == w.pids["packet"], True),
    ]

    def classify(side, k):
        for s, _, pred, _ in expected:
            if s == side and h._safe(pred, k):
                return True
        return False

    unexpected = [("LSM only", k, v) for k, v in only_lsm.items() if not classify("LSM only", k)]
    unexpected += [("fallback only", k, v) for k, v in only_fb.items() if not classify("fallback only", k)]
    h.log("fields compared: event, op, path (exec: filename), address, port, comm, pid (+ family of socket_create)")
    h.log("common: %d distinct, %d records; LSM agent %d, fallback agent %d records of the workload" %
          (len(a & b), sum((a & b).values()), sum(a.values()), sum(b.values())))
    h.log("expected differences:")
    for side, why, pred, _ in expected:
        src = only_lsm if side == "LSM only" else only_fb
        hits = [k for k in src if h._safe(pred, k)]
        h.log("  %-13s %s: %d seen %s" % (side, why, len(hits), hits[:2]))
    h.check(sum(a.values()) > 15 and sum(b.values()) > 15,
            "both agents saw the workload (%d and %d records)" % (sum(a.values()), sum(b.values())))
    h.check(not unexpected, "same events on the common fields but for the expected differences (%d unexpected)" %
            len(unexpected), lambda: [h.log("  %-13s %s x%d" % u) for u in unexpected[:30]])
    for side, why, pred, required in expected:
        if required:
            src = only_lsm if side == "LSM only" else only_fb
            h.check(any(h._safe(pred, k) for k in src), "expected difference present: %s: %s" % (side, why))
    for agent in (lsm_agent, fb_agent):
        mechs = collections.Counter((r["event"], key_of(r)[1], r["mechanism"]) for r in workload_records(agent, w))
        h.log("%s agent, mechanisms: %s" % (agent.label, ", ".join(
            "%s/%s=%s x%d" % (k + (v,)) for k, v in sorted(mechs.items(), key=str))))


# ---------------------------------------------------------------- enforcement

def try_open(path):
    try:
        os.close(os.open(path, os.O_RDONLY))
        return "opened"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def violation(agent, pid, subject, start):
    return agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["kind"] == "file_violation"
                                 and r["process"]["pid"] == pid and r["anomaly"]["subject"] == subject, T,
                                 what="file_violation by %d on %s" % (pid, subject), start=start)


def test_enforce(binary, wd):
    prot = wd.join("prot")
    plink = wd.join("plink")
    with open(prot, "w") as f:
        f.write("secret\n")
    os.symlink(prot, plink)
    h.check(len(prot) < 64, "protected path %s is under 64 bytes" % prot)
    conf = h.write_config(wd, name="enforce.conf", socket_path=wd.join("enforce.sock"),
                          include_path_prefix=wd.path + "/", file_access_violation_mode=2,
                          anomaly_cooldown=0, protected_paths="/etc/shadow, /etc/gshadow, " + prot)
    with open(conf) as f:
        conf_text = f.read()
    agent = h.Agent(binary, conf, wd, name="enforce")
    agent.label = "enforce"
    try:
        agent.start(wd.join("enforce.sock"), timeout=90)
        h.check(agent.hook_mechanism("file_open") == "lsm", "enforce: file_open on lsm")
        for mode, want_open, enforced in ((2, "EPERM", True), (1, "opened", False)):
            if mode == 1:
                start = agent.client.count()
                try_read = try_open(conf)
                # the agent's own files are tamper-watched (writes, renames), not
                # read-protected: mode 2 must not lock the admin and the agent out
                h.check(try_read == "opened", "mode 2: the agent's own configuration stays readable (%s)" % try_read)
                replace_config(conf, wd.join("mode1.conf"), re.sub(r"(?m)^file_access_violation_mode = .*$",
                                                                   "file_access_violation_mode = 1", conf_text))
                os.kill(agent.pid, signal.SIGHUP)
                rec = agent.client.wait_for(lambda r: r["event"] == "config_changed", T, what="config_changed",
                                            start=start)
                h.check(rec is not None, "mode 1: SIGHUP reload gives a config_changed record")
            for comm, path in (("clawt-prot", prot), ("clawt-plink", plink)):
                start = agent.client.count()
                pid, res = pipeline.in_child(comm, lambda: try_open(path))
                h.check(res == want_open, "mode %d: open of %s by %s gives %s (got %s)" % (mode, path, comm,
                                                                                        want_open, res))
                a = violation(agent, pid, prot, start)
                h.check(a is not None, "mode %d: file_violation anomaly for %s on %s" % (mode, comm, prot),
                        agent.dump)
                h.check(a["anomaly"]["enforced"] is enforced and a["mechanism"] == "lsm",
                        "mode %d: anomaly enforced %s, mechanism lsm (%s)" % (mode, enforced, h.short(a["anomaly"])))
                f = agent.client.wait_for(lambda r: r["event"] == "file_access" and r["process"]["pid"] == pid
                                          and r["file"]["path"] == prot, T, what="file record", start=start)
                verdict = "deny" if enforced else "allow"
                h.check(f is not None and f["file"]["verdict"] == verdict
                        and (f["file"]["error"] == ("EPERM" if enforced else None)),
                        "mode %d: file record of %s: verdict %s%s (%s)" % (mode, comm, verdict,
                                                                          ", error EPERM" if enforced else "",
                                                                          h.short(f and f["file"])))
            if mode == 2:
                # the agent's own binary is a protected path too: the CLI (watch, --probe) in mode 2
                try:
                    v = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
                    res = "exit %d %s" % (v.returncode, v.stdout.strip())
                except OSError as e:
                    res = "exec fails: %s" % e
                h.log("note: mode 2: running %s --version from a shell: %s" % (binary, res))
            start = agent.client.count()
            cat = subprocess.run(["cat", "/etc/shadow"], capture_output=True, text=True)
            if enforced:
                h.check(cat.returncode != 0 and "Operation not permitted" in cat.stderr,
                        "mode 2: cat /etc/shadow fails with EPERM (%r)" % cat.stderr.strip())
            else:
                h.check(cat.returncode == 0, "mode 1: cat /etc/shadow reads it")
            a = agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["kind"] == "file_violation"
                                      and r["anomaly"]["subject"] == "/etc/shadow" and r["process"]["comm"] == "cat",
                                      T, what="file_violation for cat", start=start)
            h.check(a is not None and a["anomaly"]["enforced"] is enforced,
                    "mode %d: cat /etc/shadow: file_violation, enforced %s" % (mode, enforced))
        agent.stop(timeout=60)
        agent = None
        sanitizer_clean(wd, "enforce")
    finally:
        if agent:
            agent.kill()


def replace_config(path, tmp, text):
    """A new file renamed over the configuration, as editors and packages do (the
    rename raises a tamper anomaly)."""
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


# ---------------------------------------------------------------- cleanup

def sanitizer_clean(wd, name):
    with open(wd.join(name + ".stderr"), errors="replace") as f:
        err = f.read()
    bad = [l for l in err.splitlines() if re.search(r"ERROR: (Address|Leak)Sanitizer|runtime error:", l)]
    h.check(not bad, "%s: no sanitizer report on the agent's stderr (%s)" % (name, bad[:3]))


def no_bpf_left():
    for what in ("prog", "link"):
        out = subprocess.run([BPFTOOL, what, "list"], capture_output=True, text=True, timeout=60)
        names = re.findall(r"\bname (clawos_\w+)", out.stdout)
        h.check(out.returncode == 0 and not names,
                "bpftool %s list shows no clawos_* %s (%s)" % (what, what, names[:5]))


# ---------------------------------------------------------------- main

def hook_reason(self, hook):
    return h.dig(self.startup, "hooks", hook, "reason")


h.Agent.hook_reason = hook_reason


def start_pair(binary, wd):
    agents = []
    for label, args in (("lsm", []), ("fallback", ["--no-lsm"])):
        conf = h.write_config(wd, name=label + ".conf", socket_path=wd.join(label + ".sock"),
                              include_path_prefix=wd.path + "/")
        a = h.Agent(binary, conf, wd, args=args, name=label)
        a.label = label
        t0 = time.monotonic()
        a.start(wd.join(label + ".sock"), timeout=90)
        h.log("%s agent up in %.1f s (pid %d)" % (label, time.monotonic() - t0, a.pid))
        agents.append(a)
    return agents


def leave_chroot():
    """vm-run's direct mode chroots into the 9p root.  The agent's own path walks (exec
    filenames, relative opens) go up to the namespace's root while bpf_d_path() stops at
    the chroot: inside a chroot every fallback path would read /newroot/...  Do what
    switch_root does, in a private mount namespace: move the 9p root mount onto / and
    chroot there, then start again."""
    if os.environ.get("CLAWOS_VM_MODE") != "direct" or os.environ.get("CLAWOS_VM_UNCHROOTED"):
        return
    a, b = os.stat("/"), os.stat("/proc/1/root/.")
    if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
        return
    cwd = os.getcwd()
    # first out of the chroot (PID 1's root is in this mount namespace), then a private copy
    os.chroot("/proc/1/root")
    os.chdir("/")
    if h._libc.unshare(h.CLONE_NEWNS) != 0:
        h.hard_error("unshare(CLONE_NEWNS) failed")
    h._mount(None, "/", None, h.MS_REC | h.MS_PRIVATE)
    points = []
    for d in os.listdir("/"):
        try:
            st = os.stat("/" + d)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (a.st_dev, a.st_ino):
            points.append("/" + d)
    if not points:
        h.hard_error("the chroot's directory is not below the real root")
    os.chdir(points[0])
    h._mount(".", "/", None, 8192)  # MS_MOVE
    os.chroot(".")
    os.chdir(cwd)
    os.environ["CLAWOS_VM_UNCHROOTED"] = points[0]
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable] + sys.argv)


def main():
    leave_chroot()
    if os.environ.get("CLAWOS_VM_UNCHROOTED"):
        h.log("left the chroot of %s (its mount moved onto /, private mount namespace)" %
              os.environ["CLAWOS_VM_UNCHROOTED"])
    h.require_root_bpf()
    binary = h.agent_path()
    h.log("kernel: %s" % os.uname().release)
    with open("/sys/kernel/security/lsm") as f:
        h.log("lsm: %s" % f.read().strip())
    h.log("agent: %s" % binary)
    # direct mode: nothing has brought the loopback interface up
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
    h.set_comm("clawt-main")

    phase("probe", test_probe, binary)
    wd = h.Workdir(prefix="clawos-vm-")
    agents = []
    try:
        agents = phase("start", start_pair, binary, wd) or []
        if len(agents) == 2:
            lsm_agent, fb_agent = agents
            w = Workload(wd)
            phase("workload", w.run)
            phase("settle", settle, agents)
            phase("lsm-records", check_records, lsm_agent, w, True)
            phase("fallback-records", check_records, fb_agent, w, False)
            phase("prefix", test_prefix, lsm_agent, w)
            phase("equivalence", test_equivalence, lsm_agent, fb_agent, w)

            def stop_both():
                for a in list(agents):
                    a.stop(timeout=60)
                    agents.remove(a)
                    sanitizer_clean(wd, a.label)
            phase("stop", stop_both)
        phase("enforce", test_enforce, binary, wd)
        phase("cleanup", no_bpf_left)
    finally:
        for a in agents:
            a.kill()
        wd.cleanup()
    h.log("summary: " + " ".join("%s=%s" % r for r in results))
    if failed_phases:
        raise h.TestFailure("failed: " + ", ".join(failed_phases))


if __name__ == "__main__":
    h.run(main)
