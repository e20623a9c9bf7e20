#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A client that never reads next to one that reads: the reader gets every
record (no events_lost, no gap in the generator's counter), the agent's
memory stays bounded by client_queue_size, and the stuck client is
disconnected after client_stall_timeout (stats outputs.socket_stalled)."""

import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

N = 200000          # tagged opens ...
RATE = 50000        # ... per second: 4 s of traffic
STALL_S = 2
BEHIND_S = 0.5      # the agent is stopped this long: a backlog of 25,000 records
QUEUE = "4M"        # client_queue_size
# The ring buffer holds the whole burst (64 MiB / 312 bytes > N), so a busy
# host that slows the agent delays records instead of dropping them.
RING = "64M"
# Growth of VmRSS allowed over the idle agent: the queues of both clients
# (2 x 4 MiB) plus the allocator's slack; without the bound the stuck
# client's queue alone would take N x ~650 bytes = 130 MiB.
RSS_BOUND_KIB = 32 * 1024


def stall_agent(agent, seconds):
    os.kill(agent.pid, signal.SIGSTOP)
    time.sleep(seconds)
    os.kill(agent.pid, signal.SIGCONT)


class RssSampler(threading.Thread):
    def __init__(self, agent):
        super().__init__(daemon=True)
        self.agent, self.max = agent, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                r = self.agent.rss_kib()
                self.max = max(self.max, r)
                if os.environ.get("RSSDEBUG"):
                    h.log("rss %d" % r)
            except OSError:
                break
            time.sleep(0.1)


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    gen_exe = u.build_generator(wd)
    comm, tag = u.unique_comm(), os.urandom(4).hex()
    sock_path = wd.join("events.sock")
    conf = u.quiet_config(wd, comm, ring_buffer_size=RING, client_queue_size=QUEUE,
                          client_stall_timeout=str(STALL_S), socket_path=sock_path)
    agent = u.BareAgent(binary, conf, wd)
    # glibc keeps what libbpf freed after loading (BTF: ~100 MiB) and would
    # serve the queues from it unseen; return freed memory at once and map
    # large buffers on their own, so that VmRSS shows what the queues take.
    agent.env = {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0:glibc.malloc.mmap_threshold=131072"}
    asan = h.asan_build(agent.binary)
    if asan:
        # AddressSanitizer keeps freed memory in quarantine and has its own
        # allocator: give memory back at once, and allow for its shadow
        agent.env["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                                     ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0").lstrip(":")
    reader = gen = stuck = sampler = None
    try:
        agent.start(sock_path)
        time.sleep(1)
        base = agent.rss_kib()
        stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(sock_path)
        reader = u.RawReader(wd, sock_path, "reader", nice=-10)
        sampler = RssSampler(agent)
        sampler.start()
        gen = u.Generator(gen_exe, comm, tag, N, RATE)
        gen.go()
        # the agent falls behind for a moment, as on a busy host: the ring
        # buffer holds the backlog, and the reading client, which keeps up,
        # must still lose nothing when the agent catches up
        threading.Timer(1.0, lambda: stall_agent(agent, BEHIND_S)).start()
        # the stuck client is cut off while the traffic flows
        # seen with poll(), so that the client still reads nothing
        t_cut = u.hangups([stuck], 30).get(0)
        end = u.read_socket(stuck, 10)[1] if t_cut is not None else None
        elapsed = gen.wait_done(60)
        h.log("generator: %d opens in %.2f s (%.0f/s); stuck client cut off (%s) %s s after the start" %
              (N, elapsed, N / elapsed, end, t_cut and "%.1f" % t_cut))
        stats, _ = u.check_every_open(agent, reader, tag, N, "with a %s ring buffer" % RING)
        sampler.done.set()
        sampler.join(5)
        out = stats["outputs"]
        h.log("socket_stalled %d, socket_clients %d" % (out["socket_stalled"], out["socket_clients"]))
        growth = sampler.max - base
        h.log("VmRSS: %d KiB idle, at most %d KiB during the run (+%d KiB); agent's own rss_kib %d" %
              (base, sampler.max, growth, stats["rss_kib"]))
        bound = RSS_BOUND_KIB * (4 if asan else 1)
        h.check(growth < bound, "VmRSS grew by less than %d KiB%s (%d KiB)" %
                (bound, " (AddressSanitizer build)" if asan else "", growth))
        # the stuck client: cut off after client_stall_timeout, counted
        h.check(end in ("eof", "reset"), "the stuck client's socket ended with EOF or ECONNRESET (%s)" % end,
                agent.dump)
        h.check(t_cut >= STALL_S, "not before client_stall_timeout = %d s (%.1f s)" % (STALL_S, t_cut))
        h.check(out["socket_stalled"] == 1, "stats outputs.socket_stalled = 1 (%d)" % out["socket_stalled"])
        h.check(out["socket_clients"] == 1, "one client left (%d)" % out["socket_clients"])
        h.check(agent.alive(), "the agent is still running")
        reader.kill()
        agent.stop()
    finally:
        if agent.alive():
            os.kill(agent.pid, signal.SIGCONT)
        if sampler:
            sampler.done.set()
        if gen:
            gen.kill()
        if reader:
            reader.kill()
        if stuck:
            stuck.close()
        agent.kill()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
