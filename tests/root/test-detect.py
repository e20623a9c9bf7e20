#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Detection, end to end: for each anomaly kind a small workload that
triggers it, asserted on the socket and in a private journal (kind, rule,
process, ancestry, target); ordinary workloads raise none; `watch` tags a
grandchild; scope = targets emits nothing for untracked processes."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

T = 15


def anomalies(agent, pred=lambda r: True):
    return agent.client.find(lambda r: r["event"] == "anomaly" and pred(r))


def wait_anomaly(agent, what, pred):
    rec = agent.client.wait_for(lambda r: r["event"] == "anomaly" and pred(r), T, what=what)
    h.check(rec is not None, what, agent.dump)
    return rec


def in_journal(rec, ids):
    """The same anomaly in the journal: MESSAGE_ID, priority <= warning."""
    key = rec["anomaly"]["description"]
    found = h.wait_for(lambda: [e for e in h.journal_query("CLAWOS_EVENT=anomaly", priority="warning")
                                if key in (e.get("CLAWOS_JSON") or "")], T, interval=0.3,
                       what="the anomaly in the journal")
    h.check(bool(found), "journal holds: %s" % key)
    e = found[0]
    h.check(e.get("MESSAGE_ID") == ids["anomaly"], "anomaly MESSAGE_ID in the journal")
    h.check(int(e.get("PRIORITY", "7")) <= 4, "journal priority warning or higher (%s)" % e.get("PRIORITY"))


def watch(binary, control, name, script):
    return subprocess.run([binary, "watch", "--name", name, "--control", control, "--", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60)


def check_kinds(binary, wd, agent, ids):
    control = wd.join("control.sock")

    # syscall_rate: a tight loop in a watched tree (syscall_rate_scope = targets)
    # Debian's python3, isolated (-I -S: about 250 system calls to start; a
    # pyenv shim on PATH makes thousands of newfstatat, over the threshold by
    # itself), and a sleep that keeps its start out of the loop's windows: the
    # window that crosses the threshold is the loop's
    r = watch(binary, control, "looper",
              "/usr/bin/python3 -I -S -c 'import os,time\ntime.sleep(1.1)\nt=time.time()\n"
              "while time.time()-t<2.5: os.getppid()'")
    h.check(r.returncode == 0, "watched syscall loop ran (%s)" % r.stderr.strip())
    rec = wait_anomaly(agent, "syscall_rate anomaly for the watched loop",
                       lambda r: r["anomaly"]["kind"] == "syscall_rate" and r.get("target", {}).get("name") == "looper")
    a = rec["anomaly"]
    h.check(a["observed"] > a["threshold"] == 1000, "observed %d > threshold %d" % (a["observed"], a["threshold"]))
    h.check(a["top_syscalls"] and a["top_syscalls"][0]["name"] == "getppid",
            "top syscall is getppid (%s)" % a["top_syscalls"][:2])
    h.check(rec["process"]["comm"] == "python3", "the process is python3")
    h.check(any(x["comm"] == "sh" for x in a["ancestry"]), "ancestry reaches the watched sh: %s" % a["ancestry"])
    in_journal(rec, ids)

    # file_violation: reading a protected file
    subprocess.run(["cat", "/etc/shadow"], capture_output=True)
    rec = wait_anomaly(agent, "file_violation for cat /etc/shadow",
                       lambda r: r["anomaly"]["kind"] == "file_violation" and r["anomaly"]["subject"] == "/etc/shadow"
                       and r["process"]["comm"] == "cat")
    h.check(rec["anomaly"]["rule"] == "protected_path", "rule protected_path")
    h.check(rec["anomaly"]["enforced"] is False, "mode 1 alerts without denying")
    in_journal(rec, ids)

    # network_burst: 200 connects in a second to closed local ports
    code = ("import socket\n"
            "for p in range(21000, 21200):\n"
            "    s = socket.socket(); s.setblocking(False)\n"
            "    try: s.connect(('127.0.0.1', p))\n"
            "    except OSError: pass\n"
            "    s.close()\n")
    pr = subprocess.run(["python3", "-c", code], timeout=30)
    h.check(pr.returncode == 0, "connect loop ran")
    rec = wait_anomaly(agent, "network_burst connect_rate", lambda r: r["anomaly"]["rule"] == "connect_rate"
                       and r["process"]["comm"] == "python3")
    h.check(rec["anomaly"]["kind"] == "network_burst", "kind network_burst")
    wait_anomaly(agent, "network_burst distinct_destinations", lambda r: r["anomaly"]["rule"] == "distinct_destinations")
    in_journal(rec, ids)

    # tamper: bpf() by another process
    subprocess.run([h.bpftool(), "prog", "list"], capture_output=True, timeout=30)
    rec = wait_anomaly(agent, "tamper bpf_syscall by bpftool", lambda r: r["anomaly"]["rule"] == "bpf_syscall"
                       and r["process"]["comm"] == "bpftool")
    h.check(rec["anomaly"]["kind"] == "tamper" and rec["anomaly"]["severity"] in ("high", "critical"),
            "tamper, severity high")
    in_journal(rec, ids)

    # tamper: SIGSTOP then SIGCONT on the agent
    subprocess.run(["kill", "-STOP", str(agent.pid)])
    time.sleep(0.3)
    subprocess.run(["kill", "-CONT", str(agent.pid)])
    rec = wait_anomaly(agent, "tamper signal_agent SIGSTOP", lambda r: r["anomaly"]["rule"] == "signal_agent")
    h.check(rec["anomaly"]["observed"] == 19 and "SIGSTOP" in rec["anomaly"]["description"], "SIGSTOP named")
    h.check(rec["process"]["comm"] == "kill", "sent by kill (%s)" % rec["process"]["comm"])
    in_journal(rec, ids)

    # tamper: a write to the agent's configuration file
    with open(agent.config, "a") as f:
        f.write("# touched by test-detect\n")
    # (another agent of this host starting or stopping touches the pinned kill
    # log, also one of this agent's files: the config's anomaly is the one)
    conf_path = os.path.realpath(agent.config)
    rec = wait_anomaly(agent, "tamper agent_file for the config write (subject %s)" % conf_path,
                       lambda r: r["anomaly"]["rule"] == "agent_file" and r["anomaly"]["subject"] == conf_path)
    in_journal(rec, ids)


def check_quiet(agent, wd):
    """Ordinary workloads: find, a compile, apt-get --help: no anomaly."""
    start = agent.client.count()
    src = wd.join("hello.c")
    with open(src, "w") as f:
        f.write("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n")
    for cmd in (["find", "/usr", "-maxdepth", "4"], ["cc", "-O2", "-o", wd.join("hello"), src],
                ["apt-get", "--help"]):
        if not shutil.which(cmd[0]):
            h.log("(no %s here)" % cmd[0])
            continue
        subprocess.run(cmd, capture_output=True, timeout=120)
    # let the agent drain what those produced
    marker = uuid.uuid4().hex
    subprocess.run(["/bin/true", marker])
    h.check(agent.client.wait_for(lambda r: r["event"] == "exec" and marker in r["exec"]["argv"], T, start=start)
            is not None, "the ordinary workloads' records were read")
    noisy = [r for r in agent.client.snapshot()[start:] if r["event"] == "anomaly"
             and r["process"]["comm"] in ("find", "cc", "cc1", "as", "ld", "collect2", "apt-get")]
    h.check(not noisy, "no anomaly from find, a compile or apt-get --help (%s)" %
            [x["anomaly"]["description"] for x in noisy[:3]])


def check_watch_tags(binary, wd, agent):
    tag = uuid.uuid4().hex
    r = watch(binary, wd.join("control.sock"), "claude-test",
              "sh -c '/bin/true %s; cat /etc/hostname > /dev/null'" % tag)
    h.check(r.returncode == 0, "watch ran its command")
    rec = agent.client.wait_for(lambda r: r["event"] == "exec" and tag in r["exec"]["argv"], T,
                                what="the grandchild's exec")
    h.check(rec is not None, "grandchild exec seen", agent.dump)
    t = rec.get("target") or {}
    h.check(t.get("name") == "claude-test" and t.get("session_id", 0) >= 1000,
            "grandchild tagged with the watch's name: %s" % t)
    untagged = agent.client.find(lambda r: r["event"] == "exec" and "watch" not in r["exec"]["argv"] and
                                 r.get("target") and r["process"]["comm"] == "find")
    h.check(not untagged, "processes outside the tree carry no target")


def check_scope_targets(binary, wd):
    # no protected entries: their opens are judged for every process whatever
    # the scope (clawos-ebpf.conf(5)), and another process of this host may
    # read /etc/shadow meanwhile
    conf = h.write_config(wd, name="scope.conf", socket_path=wd.join("scope/events.sock"), scope="targets",
                          protected_paths="")
    agent = h.Agent(binary, conf, wd, name="agent-scope")
    try:
        os.makedirs(wd.join("scope"), exist_ok=True)
        agent.start(wd.join("scope/events.sock"))
        outside, inside = uuid.uuid4().hex, uuid.uuid4().hex
        subprocess.run(["/bin/true", outside])
        watch(binary, wd.join("scope/control.sock"), "scoped", "/bin/true %s" % inside)
        h.check(agent.client.wait_for(lambda r: r["event"] == "exec" and inside in r["exec"]["argv"], T)
                is not None, "scope = targets: the watched exec is reported", agent.dump)
        time.sleep(0.5)
        trace = [r for r in agent.client.snapshot() if r["event"] in ("exec", "file_access", "network", "process")]
        h.check(not agent.client.find(lambda r: r["event"] == "exec" and outside in r["exec"]["argv"]),
                "scope = targets: an untracked exec is not reported")
        stray = [r for r in trace if not r.get("target")]
        h.check(not stray, "scope = targets: every trace record belongs to a target (%d records, %d without: %s)"
                % (len(trace), len(stray), [h.short(r, 300) for r in stray[:3]]))
    finally:
        agent.stop()


def main():
    h.require_root_bpf()
    h.enter_private_mounts()
    binary = h.agent_path()
    ids = {e: h.message_id(e) for e in ("anomaly",)}
    with h.Workdir() as wd:
        jd = h.Journald(wd).start()
        try:
            # file records only under the work dir (protected paths are
            # reported whatever the filters say)
            conf = h.write_config(wd, journal="yes", journal_records="anomalies", anomaly_cooldown="60",
                                  include_path_prefix=wd.join(""))
            agent = h.Agent(binary, conf, wd)
            try:
                agent.start(wd.join("events.sock"))
                check_kinds(binary, wd, agent, ids)
                check_watch_tags(binary, wd, agent)
                check_quiet(agent, wd)
            finally:
                agent.stop()
            check_scope_targets(binary, wd)
        finally:
            jd.stop()


if __name__ == "__main__":
    h.run(main)
