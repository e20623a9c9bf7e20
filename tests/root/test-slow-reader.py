#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A slow client with a tiny receive buffer (SO_RCVBUF = 4096) that reads
odd-sized small chunks: everything it gets is whole JSON lines, records
and events_lost alike, never a torn or interleaved line; what it missed is
told in-band and adds up with what it got."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

N = 40000        # opens, in BURSTS bursts with a pause between them
BURSTS = 3
RATE = 10000
CHUNK = 333     # bytes per read: lines are split across reads everywhere
DELAY = 0.001   # seconds between reads


def main():
    h.require_schema()
    h.require_root_bpf()
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    gen_exe = u.build_generator(wd)
    comm, tag = u.unique_comm(), os.urandom(4).hex()
    sock = wd.join("events.sock")
    # the smallest queue, so that the client loses records while it reads
    conf = u.quiet_config(wd, comm, socket_path=sock, ring_buffer_size="16M", client_queue_size="64K",
                          client_stall_timeout="0")
    agent = u.BareAgent(binary, conf, wd)
    slow = gen = None
    try:
        agent.start(sock)
        slow = u.RawReader(wd, sock, "slow", rcvbuf=4096, chunk=CHUNK, delay=DELAY)
        h.log("slow client: SO_RCVBUF %d (asked 4096), reads of %d bytes every %.0f ms" % (slow.rcvbuf, CHUNK, DELAY * 1000))
        per = N // BURSTS
        for b in range(BURSTS):
            n = per if b < BURSTS - 1 else N - per * (BURSTS - 1)
            gen = u.Generator(gen_exe, comm, tag, n, RATE, first=b * per)
            gen.go()
            gen.wait_done(60)
            gen.quit()
            if b < BURSTS - 1:  # it catches up, is told what it lost, then the next burst
                h.check(agent.final_stats([slow], timeout=60) is not None, "the slow client caught up after burst %d" % b)
        h.check(agent.wait_consumed(N) is not None, "the agent consumed the %d opens" % N, agent.dump)
        # it reads its queue (64 KiB) and socket buffer at its own pace
        final = agent.final_stats([slow], timeout=60)
        h.check(final is not None, "the slow client read up to a stats record after the burst", agent.dump)
        dropped = final["outputs"]["socket_dropped"]

        def told():
            c = u.Capture(tag, validate_json=True, until=final["time"]).feed_file(slow.path)
            return c if c.lost_in_band() >= dropped else None
        cap = h.wait_for(told, 20, interval=0.5, what="the slow client's events_lost")
        h.check(cap is not None, "the slow client was told of all it lost (socket_dropped %d)" % dropped)
        slow.kill()
        with open(slow.path, "rb") as f:
            data = f.read()
        whole = data[:data.rfind(b"\n") + 1]  # it was killed mid-read: the rest is simply unread
        lines = whole.split(b"\n")[:-1]
        bad = []
        records = []
        for line in lines:
            try:
                o = json.loads(line)
                if not isinstance(o, dict) or not isinstance(o.get("event"), str):
                    raise ValueError("not a record")
                records.append(o)
            except ValueError as e:
                bad.append((line[:200], str(e)))
        kinds = {}
        for r in records:
            kinds[r["event"]] = kinds.get(r["event"], 0) + 1
        h.log("slow client: %d bytes, %d lines %s; socket_dropped %d; kernel drops %d"
              % (len(data), len(lines), kinds, dropped, final["kernel"]["ringbuf_drops"]))
        h.check(not bad, "every line it got parses as one JSON record (%d bad: %s)" % (len(bad), bad[:3]))
        h.check(not cap.bad, "no torn or unterminated line up to the last stats record (%s)" % cap.bad[:3])
        lost = [r for r in records if r["event"] == "events_lost"]
        h.check(len(lost) >= BURSTS and dropped > 0, "it lost records in each burst and was told in-band (%d events_lost)"
                % len(lost))
        total = 0
        for r in lost:
            total += r.get("lost", 0)
            h.check(r.get("output") == "socket" and isinstance(r.get("lost"), int) and r["lost"] > 0
                    and r.get("lost_total") == total and r.get("schema_version") == 1 and "time" in r,
                    "events_lost %s: output socket, lost > 0, lost_total %d" % (json.dumps(r, sort_keys=True), total))
            if total >= cap.lost_in_band():
                break
        h.check(cap.lost_in_band() == dropped, "the events_lost add up to stats outputs.socket_dropped (%d == %d)"
                % (cap.lost_in_band(), dropped))
        tagged = cap.tagged
        h.check(tagged == sorted(tagged) and len(set(tagged)) == len(tagged),
                "the opens it got are in order, none twice (%d)" % len(tagged))
        kd = final["kernel"]["ringbuf_drops_by_type"]["file_access"]
        extra = cap.lost_in_band() - (N - kd - len(tagged))  # records of others it lost (anomalies, stats)
        agent.poll_stats()  # every stats record so far, from stdout
        other = sum(v for k, v in final["events"].items() if k != "file_access") + len(agent.stats_seen)
        h.log("slow client: %d opens received + %d lost in-band + %d kernel drops; %d of its losses not ours"
              % (len(tagged), cap.lost_in_band(), kd, extra))
        h.check(0 <= extra <= other, "received + lost in-band + kernel drops covers the %d opens (%d other records"
                " lost, at most %d other records emitted)" % (N, extra, other))
        errs = h.schema_errors(records)
        h.check(not errs, "records and events_lost validate against the schema (%s)" % errs[:2])
        h.check(agent.alive(), "the agent is still running")
        agent.stop()
    finally:
        for p in (gen, slow):
            if p:
                p.kill()
        agent.kill()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
