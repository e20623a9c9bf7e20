#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""debug_printk: with yes, an open of a target path leaves a line in
trace_pipe; with no, none; switched by a live reload, and every program and map of the agent
carries a clawos_ name (bpftool prog/map show)."""

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

TRACING = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")


def trace_pipe():
    for d in TRACING:
        if os.path.exists(os.path.join(d, "trace_pipe")):
            return os.path.join(d, "trace_pipe")
    return None


def read_pipe_for(fd, seconds, needle):
    """Lines of trace_pipe containing needle during the next seconds."""
    found, buf, end = [], b"", time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        chunk = os.read(fd, 65536)
        buf += chunk
        *lines, buf = buf.split(b"\n")
        found += [ln for ln in lines if needle in ln]
    return found


def open_in_child(path):
    """A forked child opens path and nothing else, then exits: its pid."""
    pid = os.fork()
    if pid == 0:
        try:
            os.close(os.open(path, os.O_RDONLY))
        except OSError:
            pass
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def opens_seen(fd, agent, target):
    """Two opens of target, each by a child that opens nothing else, while
    trace_pipe is read: {pid: its openat lines}.  The agent's records of
    the opens tie each pid to the target path."""
    read_pipe_for(fd, 0.2, b"")  # what is pending belongs to earlier opens
    start = agent.client.count()
    pids = [open_in_child(target) for _ in range(2)]
    lines = read_pipe_for(fd, 2.0, b"clawos openat pid=")
    for pid in pids:
        rec = agent.client.wait_for(lambda r: r["event"] == "file_access" and r["file"]["path"] == target
                                    and r["process"]["pid"] == pid, 10, what="the open of %s" % target,
                                    start=start)
        h.check(rec is not None, "the agent recorded pid %d's open of %s" % (pid, target))
    return {pid: [ln for ln in lines if b"clawos openat pid=%d " % pid in ln] for pid in pids}


def set_key(path, key, value):
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(re.sub(r"(?m)^%s = .*$" % key, "%s = %s" % (key, value), text))


def reload(agent):
    start = agent.client.count()
    os.kill(agent.pid, signal.SIGHUP)
    h.check(agent.client.wait_for(lambda r: r["event"] == "config_changed", 10, start=start) is not None,
            "reload applied")


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    with h.Workdir() as wd:
        conf = h.write_config(wd, debug_printk="no", enable_network_monitoring="no")
        agent = h.Agent(binary, conf, wd)
        try:
            agent.start(wd.join("events.sock"))
            tp = trace_pipe()
            if not tp:
                h.skip("no trace_pipe (tracefs not mounted)")
            fd = os.open(tp, os.O_RDONLY | os.O_NONBLOCK)
            try:
                target = "/nonexistent-" + uuid.uuid4().hex
                seen = opens_seen(fd, agent, target)
                h.check(not any(seen.values()), "debug_printk = no: no line in trace_pipe for the opens (%s)" % seen)
                set_key(conf, "debug_printk", "yes")
                reload(agent)
                seen = opens_seen(fd, agent, target)
                h.check(all(any(b" report " in ln for ln in v) for v in seen.values()),
                        "debug_printk = yes: each open of the target left its 'report' line in trace_pipe (%s)" % seen)
                set_key(conf, "debug_printk", "no")
                reload(agent)
                seen = opens_seen(fd, agent, target)
                h.check(not any(seen.values()), "back to no: silent again (%s)" % seen)
            finally:
                os.close(fd)
            ids = h.clawos_prog_ids()
            progs = json.loads(subprocess.run([h.bpftool(), "prog", "show", "-j"], capture_output=True,
                                              text=True).stdout or "[]")
            ours = [p for p in progs if p.get("id") in ids]
            h.check(len(ours) > 10, "bpftool prog show lists the agent's programs (%d)" % len(ours))
            maps = set(m for p in ours for m in p.get("map_ids", []))
            allmaps = json.loads(subprocess.run([h.bpftool(), "map", "show", "-j"], capture_output=True,
                                                text=True).stdout or "[]")
            names = [m.get("name", "") for m in allmaps if m.get("id") in maps]
            # libbpf names the maps of constant sections itself:
            # "clawos.rodata", and ".rodata.str1.1" for string literals
            odd = sorted(set(n for n in names if not n.startswith("clawos_") and n != "clawos.rodata"
                             and not n.startswith(".rodata")))
            h.check(names and not odd, "every map of the agent is named clawos_* (or is libbpf's .rodata): %s"
                    % odd)
        finally:
            agent.stop()


if __name__ == "__main__":
    h.run(main)
