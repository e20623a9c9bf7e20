#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Connect mode loses records only counted and told: the shipper is away
while a generator makes far more records than connect_buffer_size (64K)
holds; then it comes back and a second batch follows.

Checked: the shipper gets the first batch's head (what the buffer held), one
events_lost record (output "connect") after it and before the second batch,
whose lost equals the agent's connect_dropped and covers every open of the
first batch that did not arrive; every open of the second batch arrives; the
record is valid against the schema; in ECS (connect_format = ecs) the same
notice is an ECS event with the count."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

N1 = 3000  # about 1.2 MB of native records: far more than 64K
N2 = 200  # at 500/s: the agent flushes between reads of the ring, a 64K buffer holds ~100 records


def opens(lines, tag):
    """Index in lines of each open of tag, by its number."""
    at = {}
    for i, line in enumerate(lines):
        m = u._RX_PATH.search(line)
        if m and m.group(1) == tag.encode():
            at[int(m.group(3))] = i
    return at


def lost_records(lines):
    out = []
    for i, line in enumerate(lines):
        if b"events_lost" in line:
            r = json.loads(line)
            out.append((i, r))
    return out


def run(binary, wd, gen_exe, fmt):
    comm, tag = u.unique_comm(), os.urandom(4).hex()
    ship_path = wd.join("shipper-" + fmt, "ship.sock")
    os.makedirs(os.path.dirname(ship_path), exist_ok=True)
    events = wd.join("run-" + fmt, "events.sock")
    conf = u.quiet_config(wd, comm, socket_path=events, connect="yes", connect_path=ship_path,
                          connect_buffer_size="64K", connect_format=fmt)
    agent = u.BareAgent(binary, conf, wd, name="agent-" + fmt)
    shipper = None
    try:
        agent.start(events)
        # the shipper is away: the first batch overflows the buffer
        gen = u.Generator(gen_exe, comm, tag, N1, 0, first=0)
        gen.go()
        gen.wait_done(60)
        gen.quit()
        h.check(h.wait_for(lambda: agent.request_stats(pred=lambda s: s["outputs"]["connect_dropped"] > 0), 20,
                           what="connect_dropped above 0"),
                "%s: with the shipper away, the agent dropped records beyond the 64K buffer" % fmt, agent.dump)
        shipper = u.Shipper(ship_path)
        h.check(h.wait_for(lambda: shipper.all_lines(), 40, what="the agent's reconnect"),
                "%s: the agent connected to the shipper once it listened" % fmt, agent.dump)
        gen = u.Generator(gen_exe, comm, tag, N2, 500, first=N1)
        gen.go()
        gen.wait_done(30)
        gen.quit()
        h.check(h.wait_for(lambda: len([k for k in opens(shipper.all_lines(), tag) if k >= N1]) == N2, 30,
                           what="the second batch at the shipper"),
                "%s: all %d opens of the second batch arrived" % (fmt, N2),
                lambda: (agent.dump(), h.log("shipper: %d lines, opens %s, last %s" % (
                    len(shipper.all_lines()), sorted(opens(shipper.all_lines(), tag))[-3:],
                    [h.short(x.decode(errors="replace"), 200) for x in shipper.all_lines()[-3:]]))))
        stats = agent.request_stats()
        dropped = stats["outputs"]["connect_dropped"]
        lines = shipper.all_lines()
        at = opens(lines, tag)
        first_batch = [i for k, i in at.items() if k < N1]
        second = [i for k, i in at.items() if k >= N1]
        notices = lost_records(lines)
        h.log("%s: shipper got %d lines, %d of the first batch, notices %s, connect_dropped %d"
              % (fmt, len(lines), len(first_batch), [(i, h.short(json.dumps(r), 200)) for i, r in notices], dropped))
        h.check(len(notices) == 1, "%s: one events_lost record at the shipper (%d)" % (fmt, len(notices)))
        i, r = notices[0]
        if fmt == "native":
            got = (r.get("output"), r.get("lost"), r.get("lost_total"))
            errs = h.schema_errors([r])
            h.check(not errs, "native: the events_lost record is valid against the schema (%s)" % errs[:2])
        else:
            c = (r.get("clawos") or {}).get("events_lost") or {}
            got = (c.get("output"), c.get("lost"), c.get("lost_total"))
            h.check((r.get("event") or {}).get("action") == "events_lost",
                    "ecs: the notice is an ECS event with event.action events_lost (%s)" % h.short(json.dumps(r), 300))
        h.check(got == ("connect", dropped, dropped),
                "%s: it says output connect and lost = lost_total = connect_dropped (%s, dropped %d)"
                % (fmt, got, dropped))
        h.check(0 < N1 - len(first_batch) <= dropped,
                "%s: it covers every open of the first batch that did not arrive (%d missing, %d lost)"
                % (fmt, N1 - len(first_batch), dropped))
        h.check(first_batch and max(first_batch) < i < min(second),
                "%s: it comes after the buffered head of the first batch and before the second batch" % fmt)
        agent.stop()
        agent = None
    finally:
        if agent:
            agent.kill()
        if shipper:
            shipper.close()


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    try:
        gen_exe = u.build_generator(wd)
        run(binary, wd, gen_exe, "native")
        run(binary, wd, gen_exe, "ecs")
    finally:
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
