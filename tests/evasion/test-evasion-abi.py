#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Evasion (issue 15): system-call ABIs and other ways in, process trees,
tamper, alert flooding.  Each trick is done for real by tests/evasion/
evade-abi (static: int $0x80 without a 32-bit libc, raw io_uring) or a
stock tool, and the record or anomaly that must result is asserted on the
agent's socket:

- an exec through int $0x80 is an exec record (syscall_seen false) and a
  compat_syscall anomaly; open, openat, creat, unlink, socketcall-connect and
  connect through int $0x80 are compat_syscall anomalies naming the i386
  call and its path or peer; a protected path among them is file_violation;
- io_uring openat, openat2 (with and without SQPOLL), connect, unlinkat and
  renameat are io_uring anomalies naming opcode and path or peer; a
  protected path is file_violation;
- a write to one of the agent's maps by another process is tamper
  agent_map (critical); unlinking the pinned kill log is tamper agent_file;
  ptrace and signals aimed at the agent name the thread;
- an allowed binary (protected_allow_exe) started with LD_PRELOAD,
  LD_LIBRARY_PATH, or under ptrace, reading a protected file, raises
  file_violation, and its exec record lists the loader variables;
- process trees: the leader's pthread_exit() and an execve() from a second
  thread keep a watched process in its tree (scope = targets); a full
  tracked-process map (max_tracked_processes = 1024) is an evasion anomaly
  and a stats counter;
- flooding: thousands of violations from one tree give a bounded number of
  anomaly records with counts, and another process's violation during the
  flood reaches the socket at once.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "root"))
import clawos_harness as h  # noqa: E402

T = 15
libc = ctypes.CDLL(None, use_errno=True)


def evade():
    p = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("CLAWOS_EVADE_ABI")
    if not p or not os.access(p, os.X_OK):
        h.hard_error("no evade-abi helper: pass it as argv[2]")
    return os.path.abspath(p)


def anomaly(agent, what, pred, timeout=T):
    rec = agent.client.wait_for(lambda r: r["event"] == "anomaly" and pred(r["anomaly"], r), timeout, what=what)
    h.check(rec is not None, what, agent.dump)
    return rec


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------ ABIs, tamper

def check_compat(agent, ev, wd):
    marker = "int80-" + uuid.uuid4().hex
    creat = wd.join("compat-created")
    port = closed_port()
    r = subprocess.run([ev, "compat", "/bin/echo", marker, "/etc/shadow", "/etc/gshadow", creat, str(port)],
                       capture_output=True, text=True, timeout=30)
    h.check(marker in r.stdout, "evade-abi ran echo through int $0x80 (%r %r)" % (r.stdout[-200:], r.stderr))
    h.check("open 3" in r.stdout or "open " in r.stdout, "the 32-bit calls ran: %s" % r.stdout.split("\n")[:6])
    rec = agent.client.wait_for(lambda x: x["event"] == "exec" and x["exec"]["argv"][-1:] == [marker]
                                and x["exec"]["argv"][0] == "/bin/echo", T, what="the int $0x80 exec")
    h.check(rec is not None, "exec through int $0x80 is recorded (sched_process_exec)", agent.dump)
    h.check(rec["exec"]["syscall_seen"] is False, "its exec record says no execve tracepoint saw it")
    h.check(rec["exec"]["filename"] == "/usr/bin/echo", "the binary that ran: %s" % rec["exec"]["filename"])
    h.check(rec["exec"]["argv"] == ["/bin/echo", marker], "argv from the new image: %s" % rec["exec"]["argv"])
    pid = rec["process"]["pid"]

    def compat(name, subject):
        a = anomaly(agent, "compat_syscall %s (%s)" % (name, subject),
                    lambda a, r: a["kind"] == "evasion" and a["rule"] == "compat_syscall" and r["process"]["pid"] == pid
                    and a["subject"] == subject and (" %s " % name) in a["description"])
        h.check(a["anomaly"]["severity"] == "high", "%s via int $0x80 from a 64-bit program is high" % name)
        return a

    compat("open", "/etc/shadow")
    compat("openat", "/etc/gshadow")
    compat("creat", creat)
    compat("unlink", creat)
    compat("socketcall", "127.0.0.1:%d" % port)
    compat("connect", "127.0.0.1:%d" % port)
    compat("execve", "/bin/echo")
    for path in ("/etc/shadow", "/etc/gshadow"):
        anomaly(agent, "file_violation for the int $0x80 open of %s" % path,
                lambda a, r: a["kind"] == "file_violation" and a["subject"] == path and r["process"]["pid"] == pid)


def check_uring_lsm(agent, ev):
    """No io_uring tracepoint here (before 6.0): with BPF-LSM, the ring's
    opens are file_open like any other; without it they are not seen, and
    the hook says so."""
    hook = h.dig(agent.startup, "hooks", "io_uring")
    h.check(hook["state"] == "missing" and hook["reason"], "the io_uring hook is missing with a reason: %s" % hook)
    if agent.hook_mechanism("file_open") != "lsm":
        h.log("note: no io_uring tracepoint and no BPF-LSM: io_uring requests are not seen here (said in --probe)")
        return
    for args, path in ((["openat", "/etc/shadow"], "/etc/shadow"), (["sqpoll", "openat2", "/etc/gshadow"], "/etc/gshadow")):
        r = subprocess.run([ev, "uring"] + args, capture_output=True, text=True, timeout=60)
        h.check(r.returncode == 0, "io_uring %s ran: %s" % (" ".join(args), r.stdout.strip()))
        anomaly(agent, "BPF-LSM: file_violation for the io_uring open of %s" % path,
                lambda a, x: a["kind"] == "file_violation" and a["subject"] == path
                and x["process"]["pid"] != agent.pid and x.get("mechanism") == "lsm")


def check_uring(agent, ev, wd):
    if h.dig(agent.startup, "hooks", "io_uring", "state") != "active":
        return check_uring_lsm(agent, ev)
    port = closed_port()
    src, dst, gone = wd.join("uring-src"), wd.join("uring-dst"), wd.join("uring-gone")
    for p in (src, gone):
        open(p, "w").close()
    cases = [  # args, opcode name, subject
        (["openat", wd.join("uring-openat")], "openat", wd.join("uring-openat")),
        (["sqpoll", "openat", wd.join("uring-openat-sq")], "openat", wd.join("uring-openat-sq")),
        (["openat2", wd.join("uring-openat2")], "openat2", wd.join("uring-openat2")),
        (["sqpoll", "openat2", wd.join("uring-openat2-sq")], "openat2", wd.join("uring-openat2-sq")),
        (["connect", str(port)], "connect", "127.0.0.1:%d" % port),
        (["unlinkat", gone], "unlinkat", gone),
        (["renameat", src, dst], "renameat", src),
        (["openat", "/etc/shadow"], "openat", "/etc/shadow"),
        (["sqpoll", "openat2", "/etc/gshadow"], "openat2", "/etc/gshadow"),
    ]
    for args, op, subject in cases:
        r = subprocess.run([ev, "uring"] + args, capture_output=True, text=True, timeout=30)
        h.check(r.returncode == 0 and r.stdout.startswith(args[0] if args[0] != "sqpoll" else args[1]),
                "io_uring %s ran: %s %s" % (" ".join(args), r.stdout.strip(), r.stderr.strip()))
        a = anomaly(agent, "io_uring anomaly for %s" % " ".join(args),
                    lambda a, x: a["kind"] == "evasion" and a["rule"] == "io_uring" and a["subject"] == subject
                    and (" %s " % op) in a["description"])
        h.check(a["process"]["comm"] == "evade-abi", "the io_uring anomaly names the process (%s)" % a["process"]["comm"])
    for path in ("/etc/shadow", "/etc/gshadow"):
        anomaly(agent, "file_violation for the io_uring open of %s" % path,
                lambda a, r: a["kind"] == "file_violation" and a["subject"] == path
                and r["process"]["comm"] == "evade-abi")


def agent_config_map_id(pid):
    """The id of the agent's CONFIG map (array, 1 entry of 64 bytes)."""
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                info = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except OSError:
            continue
        info = {k.strip(): v.strip() for k, v in info.items()}
        if (info.get("map_type") == "2" and info.get("key_size") == "4" and info.get("value_size") == "64"
                and info.get("max_entries") == "1"):
            return int(info["map_id"])
    return None


def check_tamper(agent, ev):
    mid = agent_config_map_id(agent.pid)
    h.check(mid is not None, "found the agent's CONFIG map id")
    r = subprocess.run([ev, "map-rewrite", str(mid)], capture_output=True, text=True, timeout=30)
    h.check(r.returncode == 0, "another process rewrote the agent's map %d (%s)" % (mid, (r.stdout + r.stderr).strip()))
    a = anomaly(agent, "tamper agent_map for the write to map %d" % mid,
                lambda a, x: a["kind"] == "tamper" and a["rule"] == "agent_map" and a["threshold"] == mid)
    h.check(a["anomaly"]["severity"] == "critical", "agent_map is critical")
    h.check(a["anomaly"]["observed"] == 2, "the command is BPF_MAP_UPDATE_ELEM")

    r = subprocess.run([ev, "map-rewrite32", str(mid)], capture_output=True, text=True, timeout=30)
    h.check(r.returncode == 0, "the same through int $0x80 (%s)" % (r.stdout + r.stderr).strip())
    a = anomaly(agent, "compat_syscall bpf naming the agent's map %d" % mid,
                lambda a, x: a["kind"] == "evasion" and a["rule"] == "compat_syscall"
                and a["subject"] == "the agent's map %d" % mid)
    h.check(a["anomaly"]["severity"] == "critical", "a 32-bit write to the agent's map is critical")

    pin = "/sys/fs/bpf/clawos_killlog"
    if os.path.exists(pin):
        subprocess.run(["rm", "-f", pin])
        anomaly(agent, "tamper agent_file for unlinking the pinned kill log",
                lambda a, x: a["kind"] == "tamper" and a["rule"] == "agent_file" and a["subject"] == pin)
    else:
        h.log("note: %s is not pinned here; its removal is not tried" % pin)

    tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % agent.pid))
    tid = next((t for t in tids if t != agent.pid), agent.pid)
    h.log("agent threads: %s; aiming at %d" % (tids, tid))
    # a harmless request: PEEKDATA on a thread we do not trace fails, but
    # the attempt is what counts
    libc.syscall(101, 2, tid, 0, 0)
    a = anomaly(agent, "tamper ptrace_agent naming thread %d" % tid,
                lambda a, x: a["kind"] == "tamper" and a["rule"] == "ptrace_agent" and a["threshold"] == tid)
    # SIGSTOP to one thread stops the group: continue it at once
    libc.syscall(234, agent.pid, tid, signal.SIGSTOP)
    os.kill(agent.pid, signal.SIGCONT)
    anomaly(agent, "tamper signal_agent naming thread %d" % tid,
            lambda a, x: a["kind"] == "tamper" and a["rule"] == "signal_agent" and a["threshold"] == tid
            and a["subject"] == "SIGSTOP")


def check_loader_env(agent, wd):
    cat = wd.join("allowed-cat")

    def run(env_extra, wrap=()):
        env = dict(os.environ)
        env.update(env_extra)
        p = subprocess.run(list(wrap) + [cat, "/etc/shadow"], env=env, capture_output=True, timeout=30)
        return p

    clean = subprocess.Popen([cat, "/etc/shadow"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    clean.wait()
    cases = [({"LD_PRELOAD": "/nonexistent-evabi.so"}, (), ["LD_PRELOAD"]),
             # past the first 4 KiB of the environment (the second chunk of the scan)
             ({"EVABI_PAD": "x" * 5000, "LD_PRELOAD": "/nonexistent-evabi.so"}, (), ["LD_PRELOAD"]),
             # more than the 8 KiB scanned: not covered by the allow list either
             ({"EVABI_PAD": "x" * 9000}, (), []),
             ({"LD_LIBRARY_PATH": "/nonexistent-evabi"}, (), ["LD_LIBRARY_PATH"]),
             ({"LD_AUDIT": "/nonexistent-evabi-audit.so"}, (), ["LD_AUDIT"])]
    if shutil.which("strace"):
        cases.append(({}, ("strace", "-f", "-o", "/dev/null"), []))
    for env, wrap, names in cases:
        seen = set(r["process"]["pid"] for r in agent.client.snapshot() if r["event"] == "anomaly"
                   and r["anomaly"]["kind"] == "file_violation" and r["process"]["comm"] == "allowed-cat")
        run(env, wrap)
        what = ", ".join("%s (%d bytes)" % (k, len(v)) for k, v in env.items()) or "ptrace (strace)"
        a = anomaly(agent, "file_violation by the allowed binary started with %s" % what,
                    lambda a, r: a["kind"] == "file_violation" and a["subject"] == "/etc/shadow"
                    and r["process"]["comm"] == "allowed-cat" and r["process"]["pid"] not in seen)
        e = agent.client.wait_for(lambda r: r["event"] == "exec" and r["process"]["pid"] == a["process"]["pid"]
                                  and r["exec"]["filename"] == cat, T, what="its exec record")
        h.check(e is not None, "the exec record of the allowed binary (%s)" % what, agent.dump)
        h.check(e["exec"]["loader_env"] == names, "loader_env %s (want %s)" % (e["exec"]["loader_env"], names))
        if wrap:
            h.check(e["exec"]["traced"] is True, "traced at exec under strace")
        h.check(e["exec"]["env_unscanned"] is (len(env.get("EVABI_PAD", "")) > 8192),
                "env_unscanned is %s" % e["exec"]["env_unscanned"])
    h.check(not agent.client.find(lambda r: r["event"] == "anomaly" and r["process"]["pid"] == clean.pid),
            "the allowed binary started plainly raised nothing (pid %d)" % clean.pid)


# ------------------------------------------------------------ process trees

def watch(binary, control, name, argv):
    return subprocess.run([binary, "watch", "--name", name, "--control", control, "--"] + argv,
                          capture_output=True, text=True, timeout=120)


def file_record(agent, path, what):
    rec = agent.client.wait_for(lambda r: r["event"] == "file_access" and r["file"]["path"] == path, T, what=what)
    h.check(rec is not None, what, agent.dump)
    return rec


def check_trees(binary, ev, wd):
    sock = wd.join("trees/events.sock")
    os.makedirs(wd.join("trees"), exist_ok=True)
    conf = h.write_config(wd, name="trees.conf", socket_path=sock, scope="targets", max_tracked_processes="1024")
    agent = h.Agent(binary, conf, wd, name="agent-trees")
    control = wd.join("trees/control.sock")
    try:
        agent.start(sock)
        lx = wd.join("leader-exit")
        r = watch(binary, control, "leaderexit", [ev, "leader-exit", lx])
        h.check(r.returncode == 0, "watched leader-exit ran (%s)" % r.stderr.strip())
        rec = file_record(agent, lx, "scope = targets: the open after the leader's pthread_exit() is reported")
        h.check(rec.get("target", {}).get("name") == "leaderexit", "it belongs to the watched tree")
        file_record(agent, lx + ".child", "scope = targets: its child (forked after the leader exited) too")

        tx = wd.join("thread-exec")
        r = watch(binary, control, "threadexec", [ev, "thread-exec", tx])
        h.check(r.returncode == 0, "watched thread-exec ran (%s)" % r.stderr.strip())
        rec = agent.client.wait_for(lambda x: x["event"] == "exec" and x["exec"]["argv"][1:] == ["open", tx], T,
                                    what="the exec from a second thread")
        h.check(rec is not None, "scope = targets: the exec from a second thread is reported", agent.dump)
        h.check(rec["exec"]["old_tid"] != rec["process"]["pid"], "it came from another thread (old_tid %d, pid %d)"
                % (rec["exec"]["old_tid"], rec["process"]["pid"]))
        file_record(agent, tx, "scope = targets: the new image's open is reported (still in its tree)")

        r = watch(binary, control, "forker", [ev, "fork-many", "1100", "4"])
        h.check(r.returncode == 0 and "started 1100" in r.stdout, "1100 processes alive at once (%s)" % r.stdout.strip())
        a = anomaly(agent, "evasion tracked_map_full with max_tracked_processes = 1024",
                    lambda a, x: a["kind"] == "evasion" and a["rule"] == "tracked_map_full")
        h.check(a["anomaly"]["severity"] == "high", "tracked_map_full is high")
        st = agent.client.wait_for(lambda x: x["event"] == "stats" and x["kernel"].get("tracked_map_full", 0) > 0, T,
                                   what="stats counting the overflow")
        h.check(st is not None, "stats.kernel.tracked_map_full counts the processes not followed", agent.dump)
        h.log("tracked_map_full = %d" % st["kernel"]["tracked_map_full"])
        # after the flood the map has room again: the next tree is followed
        nx = wd.join("after-full")
        watch(binary, control, "afterfull", [ev, "open", nx])
        file_record(agent, nx, "after the overflow a new watched process is followed again")
    finally:
        agent.stop()


# ------------------------------------------------------------ flooding

def check_flood(binary, ev, wd):
    sock = wd.join("flood/events.sock")
    os.makedirs(wd.join("flood"), exist_ok=True)
    conf = h.write_config(wd, name="flood.conf", socket_path=sock, include_path_prefix=wd.join("flood/"),
                          journal="yes", journal_records="anomalies")
    agent = h.Agent(binary, conf, wd, name="agent-flood")
    try:
        agent.start(sock)
        # fewer under emulation (tests/vm sets it): 3000 execs take 10 min under TCG
        n = int(os.environ.get("CLAWOS_EVASION_FLOOD", "3000"))
        script = "i=0; while [ $i -lt %d ]; do cat /etc/shadow >/dev/null 2>&1; i=$((i+1)); done" % n
        flood = subprocess.Popen(["sh", "-c", script])
        flood_t0 = time.monotonic()
        time.sleep(1.0)
        before = agent.client.count()
        genuine = subprocess.Popen(["cat", "/etc/gshadow"], stdout=subprocess.DEVNULL)
        genuine.wait()
        t0 = time.monotonic()
        rec = agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["kind"] == "file_violation"
                                    and r["anomaly"]["subject"] == "/etc/gshadow", T, start=before,
                                    what="the genuine violation during the flood")
        h.check(rec is not None, "another process's violation during the flood reaches the socket", agent.dump)
        h.log("genuine violation delivered %.2f s after it ran" % (time.monotonic() - t0))
        h.check(rec["process"]["pid"] == genuine.pid, "it names the genuine reader (pid %d)" % genuine.pid)
        desc = rec["anomaly"]["description"]
        found = h.wait_for(lambda: [e for e in h.journal_query("CLAWOS_EVENT=anomaly", priority="warning")
                                    if desc in (e.get("CLAWOS_JSON") or "")], T, interval=0.3,
                           what="the genuine violation in the journal")
        h.check(bool(found), "the genuine violation reaches the journal during the flood")
        h.log("in the journal %.2f s after it ran" % (time.monotonic() - t0))
        flood.wait(timeout=600)
        duration = time.monotonic() - flood_t0

        def flood_records():
            return [r for r in agent.client.snapshot() if r["event"] == "anomaly"
                    and r["anomaly"]["kind"] == "file_violation" and r["anomaly"]["subject"] == "/etc/shadow"]

        def counted():
            recs = flood_records()
            return len(recs) + sum(r["anomaly"]["suppressed"] for r in recs)

        # the last summary comes within flood control's 10 s (and the 5 s timer)
        h.wait_for(lambda: counted() >= n, 30, interval=0.5, what="flood control's summaries")
        recs = flood_records()
        h.log("flood of %d violations: %d anomaly records, %d counted in them" % (n, len(recs), counted()))
        # 32 at once (the loop's shell is every cat's parent), then one a
        # bucket per 10 s: bounded by the flood's duration, not its size
        bound = 32 + 10 + int(duration / 5)
        h.check(len(recs) <= bound, "the flood gives a bounded number of anomaly records (%d for %d in %.0f s, "
                "at most %d)" % (len(recs), n, duration, bound))
        h.check(counted() >= n, "the records count what they fold (%d of %d)" % (counted(), n))
        h.check(any("flood control" in r["anomaly"]["description"] for r in recs), "a summary says flood control")
    finally:
        agent.stop()


def main():
    h.require_root_bpf()
    h.enter_private_mounts()
    binary = h.agent_path()
    ev = evade()
    with h.Workdir() as wd:
        jd = h.Journald(wd).start()
        try:
            run_all(binary, ev, wd)
        finally:
            jd.stop()


def run_all(binary, ev, wd):
    shutil.copy("/usr/bin/cat", wd.join("allowed-cat"))
    conf = h.write_config(wd, include_path_prefix=wd.join(""),
                          protected_allow_exe="/usr/bin/sudo, %s" % wd.join("allowed-cat"))
    agent = h.Agent(binary, conf, wd)
    try:
        agent.start(wd.join("events.sock"))
        h.check(h.dig(agent.startup, "hooks", "compat_syscall", "state") == "active",
                "hook compat_syscall active: %s" % h.dig(agent.startup, "hooks", "compat_syscall"))
        h.log("hook io_uring: %s" % h.dig(agent.startup, "hooks", "io_uring"))
        check_compat(agent, ev, wd)
        check_uring(agent, ev, wd)
        check_loader_env(agent, wd)
        check_tamper(agent, ev)
    finally:
        agent.stop()
    check_trees(binary, ev, wd)
    check_flood(binary, ev, wd)


if __name__ == "__main__":
    h.run(main)
