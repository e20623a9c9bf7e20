#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A stop with a client behind: the client that starts reading a moment
after SIGTERM still gets whole lines, up to and including the shutdown
record.  One write that found the socket buffer full used to close the
socket in the middle of a line: a shipper got broken JSON as the last
record (seen as a flaky line in test-terminal's piped part)."""

import json
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

N = 3000         # tagged opens: about 2 MB of records, under client_queue_size
LATE_S = 0.5     # the client starts reading this long after SIGTERM


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    gen_exe = u.build_generator(wd)
    comm, tag = u.unique_comm(), os.urandom(4).hex()
    sock_path = wd.join("events.sock")
    conf = u.quiet_config(wd, comm, socket_path=sock_path)
    agent = u.BareAgent(binary, conf, wd)
    client = gen = None
    try:
        agent.start(sock_path)
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(sock_path)
        time.sleep(0.5)  # accepted and greeted
        gen = u.Generator(gen_exe, comm, tag, N)
        gen.go()
        gen.wait_done(30)
        time.sleep(1)  # the agent has read the ring: the records wait in the client's queue
        got = {}

        def late_reader():
            time.sleep(LATE_S)
            got["data"], got["end"] = u.read_socket(client, 15)

        t = threading.Thread(target=late_reader, daemon=True)
        t.start()
        os.kill(agent.pid, signal.SIGTERM)
        agent.stop(timeout=15)
        t.join(20)
        data = got.get("data", b"")
        lines = data.split(b"\n")
        h.log("%d bytes, %d lines read after the stop" % (len(data), len(lines) - 1))
        h.check(data.endswith(b"\n"), "the stream ends at the end of a line (last bytes %r)" % data[-80:])
        bad = []
        for line in lines[:-1]:
            try:
                json.loads(line)
            except ValueError:
                bad.append(line[:120])
        h.check(not bad, "every line is JSON (%d are not: %r)" % (len(bad), bad[:2]))
        last = json.loads(lines[-2]) if len(lines) > 1 and not bad else {}
        h.check(last.get("event") == "shutdown", "the last record is the shutdown record (%s)" % last.get("event"))
        tagged = sum(1 for line in lines if b"/nonexistent/" + tag.encode() in line)
        h.check(tagged == N, "every tagged open reached the client (%d of %d)" % (tagged, N))
    finally:
        if gen:
            gen.kill()
        if client:
            client.close()
        agent.kill()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
