#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The socket's mode, owner and group are right from the first instant
(watched with a tight lstat loop while the agent starts), a process outside
socket_group cannot connect (EACCES) and a member can."""

import grp
import os
import shutil
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
    goes: each (name, type, mode, uid, gid) ever seen."""

    def __init__(self, directory):
        super().__init__(daemon=True)
        self.directory = directory
        self.seen = set()
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
                self.seen.add((n, stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid))


def connect_as(path, uid, gid, groups):
    cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid]
    cmd += ["--groups=" + ",".join(str(g) for g in groups)] if groups else ["--clear-groups"]
    r = subprocess.run(cmd + [sys.executable, "-c", CLIENT_PY, path], capture_output=True, text=True, timeout=30)
    return (r.stdout.strip() or r.stderr.strip()[-300:])


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    for tool in ("groupadd", "groupdel", "setpriv"):
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
        agent.start(path)
        time.sleep(0.5)
        watcher.stop.set()
        watcher.join(5)
        final = [s for s in watcher.seen if s[0] == "events.sock"]
        tmp = [s for s in watcher.seen if s[0] != "events.sock"]
        h.log("watched %d rounds of lstat: at the path %s; temporary names %s" % (watcher.rounds, sorted(final), sorted(tmp)))
        h.check(final == [("events.sock", stat.S_IFSOCK, MODE, 0, gid)],
                "events.sock only ever seen as a socket, mode 0660, owner root, group %s (%d)" % (group, gid))
        h.check(all(s[1] == stat.S_IFSOCK and s[2] & ~MODE == 0 for s in tmp),
                "a temporary name, if seen, never has more rights than 0660")
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
