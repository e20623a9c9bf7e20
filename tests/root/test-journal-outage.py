#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""journald outages do not touch the socket output: with a private journald
(own mount namespace) records reach the journal; with journald gone
(SIGTERM, socket removed) and with journald stopped (SIGSTOP) every record
still reaches the socket client, and what the journal missed is counted in
stats (outputs.journal_dropped, journal_no_journal); with journal_records =
all, every record meant for the journal is either sent or counted."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

K_UP = 2000       # opens with journald up ...
K_GONE = 5000     # ... gone ...
K_STOPPED = 30000  # ... and stopped: more than its socket and our queue (4096) hold
JOURNAL_FILES = ("socket", "stdout", "dev-log")


def out(s, key):
    return s["outputs"][key]


class Phase:
    """Counters of the journal output across one phase.

    routed: records the agent meant for the journal in between: with
    journal_records = all, every record on stdout (events_lost is
    socket-only), counted from stdout, which loses nothing here."""

    def __init__(self, agent, before):
        self.agent, self.before = agent, before

    def delta(self, after, key):
        return out(after, key) - out(self.before, key)

    def routed(self, after):
        recs, inside = 0, False
        with open(self.agent.stdout_path, "rb") as f:
            for line in f:
                if line.startswith(b'{"event":"stats"'):
                    t = u.stats_times([line])
                    if self.before["time"].encode() in t:
                        inside = True
                        recs += 1  # the stats record that opens the phase is journaled in it
                        continue
                    if after["time"].encode() in t:
                        break
                if inside:
                    recs += 1
        return recs

    def accounted(self, after):
        return (self.delta(after, "journal_sent") + self.delta(after, "journal_dropped") +
                self.delta(after, "journal_suppressed"))


def generate(gen_exe, comm, tag, n, first, rate):
    g = u.Generator(gen_exe, comm, tag, n, rate, first=first)
    g.go()
    g.wait_done(60)
    g.quit()


def settle(agent, phase, what, timeout=30):
    """The first stats record where the journal output has accounted for
    every record of the phase: sent, dropped or suppressed, none queued."""
    s = agent.request_stats(timeout, lambda s: phase.accounted(s) == phase.routed(s))
    h.check(s is not None, "journal output: every record of the phase %s is sent or counted" % what,
            lambda: h.log("last stats: %s" % agent.stats_seen[-1:]))
    return s


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    if not os.access(h.JOURNALD, os.X_OK):
        h.skip("%s is missing" % h.JOURNALD)
    h.enter_private_mounts()  # before any thread exists
    wd = u.ShmWorkdir()
    gen_exe = u.build_generator(wd)
    comm, tag = u.unique_comm(), os.urandom(4).hex()
    sock = wd.join("events.sock")
    journald = h.Journald(wd)
    agent = reader = None
    try:
        journald.start()
        conf = u.quiet_config(wd, comm, socket_path=sock, journal="yes", journal_records="all",
                              journal_rate_limit="100000", ring_buffer_size="16M")
        agent = u.BareAgent(binary, conf, wd)
        agent.start(sock)
        reader = u.RawReader(wd, sock, "reader", nice=-10)
        total = 0

        # journald up: the records are in the journal
        s0 = agent.request_stats(10)
        p = Phase(agent, s0)
        generate(gen_exe, comm, tag, K_UP, total, 4000)
        total += K_UP
        s1 = settle(agent, p, "with journald up")
        h.log("journald up: %d routed, sent %d, dropped %d" % (p.routed(s1), p.delta(s1, "journal_sent"),
                                                               p.delta(s1, "journal_dropped")))
        h.check(p.delta(s1, "journal_dropped") == 0, "nothing dropped with journald up")
        found = h.wait_for(lambda: len([e for e in h.journal_query("CLAWOS_EVENT=file_access")
                                        if tag in e.get("CLAWOS_JSON", "")]) >= K_UP, 30, interval=1,
                           what="the opens in the journal")
        n = len([e for e in h.journal_query("CLAWOS_EVENT=file_access") if tag in e.get("CLAWOS_JSON", "")])
        h.check(found and n == K_UP, "all %d opens are in the journal (%d)" % (K_UP, n))

        # journald gone: SIGTERM, its sockets removed
        journald.stop()
        for name in JOURNAL_FILES:
            try:
                os.unlink("/run/systemd/journal/" + name)
            except FileNotFoundError:
                pass
        time.sleep(1.5)  # the agent looks for the socket once a second
        p = Phase(agent, s1)
        generate(gen_exe, comm, tag, K_GONE, total, 10000)
        total += K_GONE
        s2 = settle(agent, p, "with journald gone")
        routed = p.routed(s2)
        h.log("journald gone: %d routed, sent %d, dropped %d (no journal %d)"
              % (routed, p.delta(s2, "journal_sent"), p.delta(s2, "journal_dropped"), p.delta(s2, "journal_no_journal")))
        h.check(p.delta(s2, "journal_dropped") >= K_GONE and p.delta(s2, "journal_no_journal") >= K_GONE,
                "journal_dropped and journal_no_journal grew by at least the %d opens" % K_GONE)

        # journald stopped: a new one, then SIGSTOP
        journald = h.Journald(wd)
        journald.start()
        time.sleep(1.5)
        s3 = agent.request_stats(10)
        h.check(h.wait_for(lambda: out(agent.request_stats(10), "journal_sent") > out(s3, "journal_sent"), 10,
                           what="the journal output to send again"), "the agent sends to the new journald")
        s3 = agent.request_stats(10)
        os.kill(journald.proc.pid, signal.SIGSTOP)
        try:
            p = Phase(agent, s3)
            t0 = time.monotonic()
            generate(gen_exe, comm, tag, K_STOPPED, total, 10000)
            total += K_STOPPED
            s4 = agent.request_stats(30, lambda s: s["events"]["file_access"] >= total)
            h.check(s4 is not None, "the agent answers SIGUSR1 and consumed the opens while journald is stopped")
            h.log("journald stopped: %d routed in %.1f s, sent %d, dropped %d so far"
                  % (p.routed(s4), time.monotonic() - t0, p.delta(s4, "journal_sent"), p.delta(s4, "journal_dropped")))
            h.check(p.delta(s4, "journal_dropped") > 0, "journal_dropped grew while journald was stopped (queue full)")
            final = agent.final_stats([reader], timeout=30)
            h.check(final is not None, "the socket client keeps receiving while journald is stopped")
        finally:
            os.kill(journald.proc.pid, signal.SIGCONT)
        s5 = settle(agent, p, "with journald stopped, once it runs again")
        h.log("journald stopped then resumed: %d routed, sent %d, dropped %d"
              % (p.routed(s5), p.delta(s5, "journal_sent"), p.delta(s5, "journal_dropped")))

        cap = u.Capture(tag, until=final["time"]).feed_file(reader.path)
        kd = final["kernel"]["ringbuf_drops"]
        h.check(kd == 0, "no kernel drops (%d)" % kd)
        h.check(not cap.lost and not cap.bad, "the socket client lost nothing (%d events_lost)" % len(cap.lost))
        h.check(sorted(cap.tagged) == list(range(total)),
                "the socket client got each of the %d opens of the three phases (%d)" % (total, len(cap.tagged)))
        h.check(agent.alive(), "the agent is still running")
        reader.kill()
        agent.stop()
    finally:
        if reader:
            reader.kill()
        if agent:
            agent.kill()
        if journald.proc and journald.proc.poll() is None:
            os.kill(journald.proc.pid, signal.SIGCONT)
        journald.stop()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
