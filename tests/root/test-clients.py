#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""max_clients = 20 and 70 connections: the 50 extra ones are closed at
once (stats outputs.socket_refused), half of all connections die abruptly
(SIGKILL of the processes holding them), the clients left keep receiving
everything, freed places are given to new clients, and the agent's open
file descriptors return to their count before any client came."""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

MAX = 20
K = 3000          # tagged opens the surviving clients must all get
HOLDERS = 7       # child processes ...
PER_HOLDER = 5    # ... holding this many connections each (35: half of 70)

HOLDER_PY = r"""
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    socks.append(s)
print("ok", flush=True)
time.sleep(600)
"""


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    gen_exe = u.build_generator(wd)
    comm, tag = u.unique_comm(), os.urandom(4).hex()
    path = wd.join("events.sock")
    conf = u.quiet_config(wd, comm, socket_path=path, max_clients=str(MAX), ring_buffer_size="16M")
    agent = u.BareAgent(binary, conf, wd)
    holders, mine, late = [], [], []
    gen = None
    try:
        agent.start(path)
        time.sleep(0.5)
        base_fds = agent.fd_count()
        # connection order decides who gets a place: 10 of ours, then the
        # holders' 35 (10 accepted, 25 refused), then 25 more of ours (refused)
        mine += [connect(path) for _ in range(10)]
        time.sleep(0.3)
        for _ in range(HOLDERS):
            p = subprocess.Popen([sys.executable, "-c", HOLDER_PY, path, str(PER_HOLDER)], stdout=subprocess.PIPE,
                                 text=True, stdin=subprocess.DEVNULL)
            holders.append(p)
            h.check(p.stdout.readline().strip() == "ok", "holder %d connected %d times" % (p.pid, PER_HOLDER))
        time.sleep(0.3)
        mine += [connect(path) for _ in range(25)]
        total = len(mine) + HOLDERS * PER_HOLDER
        h.log("%d connections made, max_clients = %d" % (total, MAX))
        closed = set(u.hangups(mine, 3))
        s1 = agent.request_stats(10)
        h.check(s1 is not None, "a stats record after the connections", agent.dump)
        out = s1["outputs"]
        h.log("stats: socket_clients %d, socket_refused %d; %d of our 35 closed by the agent"
              % (out["socket_clients"], out["socket_refused"], len(closed)))
        h.check(out["socket_clients"] == MAX, "socket_clients == max_clients (%d)" % out["socket_clients"])
        h.check(out["socket_refused"] == total - MAX, "socket_refused counts the %d extra connections (%d)"
                % (total - MAX, out["socket_refused"]))
        h.check(closed == set(range(10, 35)), "the agent closed exactly our 25 connections past the limit (%s)"
                % sorted(closed))
        got = [u.read_socket(mine[i], 2) for i in sorted(closed)]
        h.check(got and all(b == b"" and end in ("eof", "reset") for b, end in got),
                "the refused connections got EOF and no byte (%s)"
                % [(b[:80], end) for b, end in got if b or not end][:2])
        for i in sorted(closed):
            mine[i].close()
        alive = mine[:10]
        # half of the 70 die abruptly: the holders are SIGKILLed, their
        # sockets closed by the kernel without a shutdown
        for p in holders:
            p.kill()
        for p in holders:
            p.wait(5)
        s2 = agent.request_stats(10, lambda s: s["outputs"]["socket_clients"] == 10)
        h.check(s2 is not None, "the agent noticed the 10 killed clients (socket_clients 10)", agent.dump)
        # the survivors keep receiving: every tagged open reaches each of them
        gen = u.Generator(gen_exe, comm, tag, K, 5000)
        gen.go()
        gen.wait_done(30)
        final = agent.wait_consumed(K, 30)
        h.check(final is not None, "the agent consumed the %d opens" % K, agent.dump)
        h.check(final["kernel"]["ringbuf_drops"] == 0, "no kernel drops")
        marker = final["time"].encode()
        for i, s in enumerate(alive):
            data, end = u.read_socket(s, 30, marker)
            h.check(end == "marker", "surviving client %d read up to the stats record after the opens (%s)" % (i, end))
            cap = u.Capture(tag, validate_json=True).feed(data.split(b"\n")[:-1])
            h.check(sorted(cap.tagged) == list(range(K)) and not cap.lost and not cap.bad,
                    "surviving client %d got all %d opens (%d, %d events_lost)" % (i, K, len(cap.tagged), len(cap.lost)))
        # the places freed are given to new clients, up to the limit again
        late = [connect(path) for _ in range(MAX - 10 + 1)]
        closed = set(u.hangups(late, 2))
        s3 = agent.request_stats(10)
        h.check(len(closed) == 1 and s3["outputs"]["socket_clients"] == MAX and
                s3["outputs"]["socket_refused"] == total - MAX + 1,
                "freed places taken by new clients: %d accepted, %d refused (socket_clients %d, socket_refused %d)"
                % (len(late) - len(closed), len(closed), s3["outputs"]["socket_clients"], s3["outputs"]["socket_refused"]))
        # half of the rest closed without shutdown, half after shutdown
        for i, s in enumerate(alive + late):
            if i % 2:
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        mine, late = [], []
        fds = h.wait_for(lambda: agent.fd_count() == base_fds, 10, what="the agent's fd count back to its baseline")
        h.check(fds, "the agent's open fds are back to %d after all clients left (%d)" % (base_fds, agent.fd_count()))
        s4 = agent.request_stats(10)
        h.check(s4["outputs"]["socket_clients"] == 0, "socket_clients 0")
        h.check(agent.alive(), "the agent is still running")
        agent.stop()
    finally:
        for p in holders:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        for s in mine + late:
            s.close()
        if gen:
            gen.kill()
        agent.kill()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
