#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A reused pid whose exit, fork and exec records were lost (issue 16).

The agent runs with the smallest ring buffer (64 KiB).  Process A (a copy
of sleep named oldexe-<tag>) runs at pid P and the agent knows it.  Then
the agent is stopped (SIGSTOP) and a flood of opens fills its ring buffer,
so that what follows is lost: A is killed, and process B (python3) is
started at the same pid P through /proc/sys/kernel/ns_last_pid.  The agent
continues, and B opens a marker path.

Checked: B's exec record never arrived (else the case is not shown: the
test tries again, up to 5 times);
the marker's record names B's executable (python3), not A's oldexe, and
carries B's comm.  Before, the process table kept A's entry for pid P."""

import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

T = 20
FLOOD = 20000

B_PY = "import sys\nsys.stdin.readline()\ntry:\n    open(sys.argv[1])\nexcept OSError:\n    pass\nsys.stdin.readline()\n"


def spawn_at(pid, cmd, **kw):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))
    p = subprocess.Popen(cmd, **kw)
    if p.pid != pid:
        p.kill()
        p.wait()
        return None
    return p


def attempt(binary, wd, gen_exe, n):
    tag = os.urandom(4).hex()
    old = wd.join("oldexe-%s" % tag[:6])
    shutil.copy("/bin/sleep", old)
    comm = u.unique_comm()
    conf = h.write_config(wd, name="reuse%d.conf" % n, ring_buffer_size="64K", stats_interval="0",
                          include_path_prefix="/nonexistent/," + wd.join(""), socket_path=wd.join("r%d.sock" % n))
    agent = h.Agent(binary, conf, wd, name="agent%d" % n)
    a = b = None
    try:
        agent.start(wd.join("r%d.sock" % n))
        a = subprocess.Popen([old, "60"])
        h.check(agent.client.wait_for(lambda r: r["event"] == "exec" and r["process"]["pid"] == a.pid, T,
                                      what="A's exec") is not None, "the agent saw A (pid %d) start" % a.pid,
                agent.dump)
        pid = a.pid
        os.kill(agent.pid, signal.SIGSTOP)
        try:
            gen = u.Generator(gen_exe, comm, tag, FLOOD, 0)
            gen.go()
            gen.wait_done(60)
            gen.quit()
            a.kill()
            a.wait()
            marker = wd.join("marker-%s" % tag)
            b = spawn_at(pid, [sys.executable, "-c", B_PY, marker], stdin=subprocess.PIPE, text=True)
        finally:
            os.kill(agent.pid, signal.SIGCONT)
        if b is None:
            h.log("pid %d was taken by another process first; again" % pid)
            return False
        # B opens the marker once the agent runs again
        b.stdin.write("go\n")
        b.stdin.flush()
        rec = agent.client.wait_for(lambda r: r["event"] == "file_access" and r["file"]["path"] == marker, T,
                                    what="B's marker")
        h.check(rec is not None, "B's open of the marker arrived", agent.dump)
        b_exec = agent.client.find(lambda r: r["event"] == "exec" and r["process"]["pid"] == pid and
                                   r["process"]["comm"] != os.path.basename(old)[:15])
        if b_exec:
            h.log("B's exec record arrived (the ring kept it): the case is not shown; again")
            return False
        want = os.path.realpath(sys.executable)
        p = rec["process"]
        h.log("marker record: pid %s comm %s exe %s" % (p.get("pid"), p.get("comm"), p.get("exe")))
        h.check(p["pid"] == pid and p.get("exe") == want,
                "the record of pid %d names B's executable %s, not A's %s (got %s)" % (pid, want, old, p.get("exe")))
        b.stdin.write("end\n")
        b.stdin.flush()
        b.wait(10)
        return True
    finally:
        for p in (a, b):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        agent.stop()


def main():
    h.require_root_bpf()
    if not os.access("/proc/sys/kernel/ns_last_pid", os.W_OK):
        h.skip("/proc/sys/kernel/ns_last_pid is not writable here")
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    try:
        gen_exe = u.build_generator(wd)
        for n in range(5):
            if attempt(binary, wd, gen_exe, n):
                return
        h.hard_error("could not lose B's exec record and reuse A's pid in 5 attempts")
    finally:
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
