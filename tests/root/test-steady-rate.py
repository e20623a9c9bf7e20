#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The reader's wakeup policy: a steady 20,000 tagged opens per second for
4 s through a 1 MiB ring buffer (about 3,400 file records, 170 ms of this
traffic) reach one socket client with zero loss: no kernel drop, no
events_lost, every record exactly once.  A reader that waited for the ring
to fill, or slept a timer's default slack (sd-event: 250 ms) between
reads, would lose records here; the assertion is on counts, never on time."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

N = 80000
RATE = 20000
RING = "1M"


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    gen_exe = u.build_generator(wd)
    comm, tag = u.unique_comm(), os.urandom(4).hex()
    sock_path = wd.join("events.sock")
    conf = u.quiet_config(wd, comm, ring_buffer_size=RING, client_queue_size="16M", socket_path=sock_path)
    agent = u.BareAgent(binary, conf, wd)
    reader = gen = None
    try:
        agent.start(sock_path)
        reader = u.RawReader(wd, sock_path, "reader", nice=-10)
        gen = u.Generator(gen_exe, comm, tag, N, RATE)
        gen.go()
        elapsed = gen.wait_done(60)
        h.log("generator: %d opens in %.2f s (%.0f/s)" % (N, elapsed, N / elapsed))
        u.check_every_open(agent, reader, tag, N, "with a %s ring buffer at %d/s" % (RING, RATE))
        h.check(agent.alive(), "the agent is still running")
        reader.kill()
        agent.stop()
    finally:
        if gen:
            gen.kill()
        if reader:
            reader.kill()
        agent.kill()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
