#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The socket's mode, owner and group are right from the first instant, a
process outside socket_group cannot connect (EACCES) and a member can.

The agent binds a temporary name, sets its owner and mode, and renames it
into place.  A tight lstat loop watches the directory while the agent
starts under strace, which holds the agent for HOLD_US after each of those
system calls: every state of the temporary name lasts long enough to be
seen, so the test knows it saw them (it fails if it did not).  strace is
detached once the socket is in place."""

import grp
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

MODE = 0o660
NOBODY = 65534
# the system calls that create and prepare the socket's path, and how long
# strace holds the agent after each (the watcher lstat()s every few µs)
PATH_SYSCALLS = "bind,chown,fchownat,lchown,chmod,fchmodat,rename,renameat,renameat2"
HOLD_US = 300000

CLIENT_PY = r"""
import errno, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(0)
line = s.makefile("rb").readline()
print("connected " + line[:40].decode(errors="replace"))
"""


class Watcher(threading.Thread):
    """lstat() of every entry of the socket's directory, as fast as it
    goes: each (name, type, mode, uid, gid) seen, in the order first seen."""

    def __init__(self, directory):
        super().__init__(daemon=True)
        self.directory = directory
        self.seen = []
        self.rounds = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.rounds += 1
            try:
                names = os.listdir(self.directory)
            except OSError:
                continue
            for n in names:
                if not n.startswith("events.sock"):
                    continue
                try:
                    st = os.lstat(os.path.join(self.directory, n))
                except FileNotFoundError:
                    continue
                state = (n, stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
                if state not in self.seen:
                    self.seen.append(state)


def tracer_pid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


def detach_strace(agent):
    """strace -I 1 detaches from the agent on SIGTERM; the agent runs on."""
    t = tracer_pid(agent.pid)
    if t:
        os.kill(t, signal.SIGTERM)
    h.check(h.wait_for(lambda: tracer_pid(agent.pid) == 0, 10, what="strace to detach") is not None,
            "strace detached from the agent")


def connect_as(path, uid, gid, groups):
    cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid]
    cmd += ["--groups=" + ",".join(str(g) for g in groups)] if groups else ["--clear-groups"]
    r = subprocess.run(cmd + [sys.executable, "-c", CLIENT_PY, path], capture_output=True, text=True, timeout=30)
    return (r.stdout.strip() or r.stderr.strip()[-300:])


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    for tool in ("groupadd", "groupdel", "setpriv", "strace"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            h.skip("%s is missing" % tool)
    group = "clawt" + uuid.uuid4().hex[:8]
    r = subprocess.run(["groupadd", "--system", group], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        h.hard_error("groupadd %s failed: %s" % (group, r.stderr.strip()))
    wd = u.ShmWorkdir()
    agent = None
    watcher = None
    try:
        gid = grp.getgrnam(group).gr_gid
        path = wd.join("events.sock")
        conf = h.write_config(wd, socket_path=path, socket_mode="0660", socket_group=group, stats_interval="0",
                              enable_file_monitoring="no", enable_network_monitoring="no",
                              enable_cgroup_monitoring="no", enable_syscall_tracing="no")
        watcher = Watcher(wd.path)
        watcher.start()
        agent = u.BareAgent(binary, conf, wd)
        # -D: the agent is strace's parent, so its pid is the Popen's; -I 1:
        # SIGTERM detaches strace (by default it would block the signal)
        agent.wrapper = ["strace", "-D", "-I", "1", "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + PATH_SYSCALLS,
                         "-e", "inject=%s:delay_exit=%d" % (PATH_SYSCALLS, HOLD_US)]
        agent.start(path)
        detach_strace(agent)
        time.sleep(0.5)
        watcher.stop.set()
        watcher.join(5)
        final = [s for s in watcher.seen if s[0] == "events.sock"]
        tmp = [s for s in watcher.seen if s[0] != "events.sock"]
        tmp_name = "events.sock.%d.tmp" % agent.pid
        h.log("watched %d rounds of lstat: at the path %s; temporary names %s" % (watcher.rounds, final, tmp))
        h.check(final == [("events.sock", stat.S_IFSOCK, MODE, 0, gid)],
                "events.sock only ever seen as a socket, mode 0660, owner root, group %s (%d)" % (group, gid))
        h.check(tmp and all(s[0] == tmp_name for s in tmp),
                "the temporary name %s was seen (held %d ms after each call), and no other"
                % (tmp_name, HOLD_US // 1000))
        h.check(tmp[0][1:] == (stat.S_IFSOCK, 0o600, 0, 0),
                "as bound, the temporary socket is 0600 root:root (%s)" % (tmp[0][1:],))
        h.check(all(s[1] == stat.S_IFSOCK and s[2] & ~MODE == 0 and s[3] == 0 and s[4] in (0, gid) for s in tmp),
                "the temporary socket never has more rights than 0660 root:%s" % group)
        h.check(tmp[-1][1:] == final[0][1:], "the temporary socket is renamed as it was prepared")
        st = os.lstat(path)
        h.check(stat.S_IMODE(st.st_mode) == MODE and st.st_gid == gid, "the socket is 0660 root:%s" % group)
        out = connect_as(path, NOBODY, NOBODY, [])
        h.check(out == "EACCES", "uid %d outside %s cannot connect: EACCES (%s)" % (NOBODY, group, out))
        out = connect_as(path, NOBODY, NOBODY, [gid])
        h.check(out.startswith('connected {"event":"startup"'),
                "uid %d in %s connects and is greeted with the startup record (%s)" % (NOBODY, group, out))
        out = connect_as(path, NOBODY, gid, [])
        h.check(out.startswith("connected"), "a process whose primary group is %s connects (%s)" % (group, out))
        h.check(agent.alive(), "the agent is still running")
        agent.stop()
    finally:
        if watcher:
            watcher.stop.set()
        if agent:
            agent.kill()
        wd.cleanup()
        subprocess.run(["groupdel", group], capture_output=True, timeout=30)


if __name__ == "__main__":
    h.run(main)
