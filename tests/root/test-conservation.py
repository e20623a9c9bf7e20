#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Conservation of records: 1,000,000 tagged opens through a 64 KiB ring
buffer to stdout and to two socket clients, one of them stopped for a
while.  For each output, records received + records counted as dropped
(kernel ring-buffer drops, events_lost in-band, stdout_dropped) equals what
was generated, exactly; the per-CPU sequence gaps equal the kernel drops;
the agent is still running.

Other processes' bpf() calls raise tamper anomalies in every agent (other
root tests may run meanwhile): they share the per-CPU sequence and the
queues, so stdout, which loses nothing here (a tmpfs file), is the
reference that tells which records a socket client missed."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import outputs_util as u  # noqa: E402

N = 1000000
PAUSE_S = 3.0


class Totals:
    """What the agent emitted since it started, from its last stats record.

    Every kernel record that reached the agent is emitted (events.*;
    anomalies once admitted by the de-duplication, which anomaly_cooldown
    = 0 turns off); the agent adds its startup and stats records.  The
    kernel numbers trace records per CPU; anomalies take no kernel number
    (user space numbers them), so only the trace drops make gaps.  stdout
    never drops a stats record here: they are requested after the burst,
    when its queue is empty."""

    def __init__(self, final, S, n_all):
        self.n_all = n_all
        drops = final["kernel"]["ringbuf_drops_by_type"]
        self.kd_file = drops["file_access"]
        self.kd_all = final["kernel"]["ringbuf_drops"]
        self.kd_trace = self.kd_all - drops["anomaly"]  # drops that leave a gap in the numbering
        self.events = final["events"]
        self.kernel = sum(self.events.values()) - self.events["anomaly"]  # numbered by the kernel
        self.stats = len(S.stats)
        self.all = 1 + sum(self.events.values()) + self.stats


def check_output(name, C, lost, T, before=(0, 0)):
    """One output C, which lost `lost` records by its own count.

    before: (records, kernel records) the agent emitted before a socket
    client connected, which it cannot have (stdout: (0, 0), and it has
    the startup record)."""
    n_before, k_before = before
    got = C.lines - len(C.lost)  # events_lost lines are not records of the stream
    expected = T.all - n_before
    file_got = C.by_event.get("file_access", 0)
    h.check(not C.bad, "%s: every line is a JSON record (%s)" % (name, C.bad[:2]))
    h.check(not C.user_records, "%s: no record made by the agent other than startup, stats, anomalies (%s)"
            % (name, C.user_records[:2]))
    h.check(file_got == len(C.tagged), "%s: every file_access record is the generator's (%d of %d)"
            % (name, len(C.tagged), file_got))
    h.check(len(set(C.tagged)) == len(C.tagged), "%s: no tagged record twice" % name)
    h.log("%s: %d records received + %d dropped by its own count = %d; the agent emitted %d while it was there"
          % (name, got, lost, got + lost, expected))
    h.check(got + lost == expected, "%s: records received + counted drops == records emitted" % name,
            lambda: h.log("received by event: %s; stats records %d" % (C.by_event, len(C.stats))))
    # its drops that were not ours: other kernel records (tamper anomalies
    # of other processes' bpf() calls) and stats records
    lost_other = (expected - T.events["file_access"]) - (got - file_got)
    lost_ours = lost - lost_other
    h.log("%s: %d tagged received + %d dropped (%d lost - %d not ours) + %d kernel drops = %d of %d generated"
          % (name, len(C.tagged), lost_ours, lost, lost_other, T.kd_file,
             len(C.tagged) + lost_ours + T.kd_file, T.n_all))
    h.check(len(C.tagged) + lost_ours + T.kd_file == T.n_all,
            "%s: tagged received + its drops of them + kernel drops == generated" % name)
    keys = C.kernel + [(cpu, 0) for cpu in {c for c, _ in C.kernel}]
    gaps, dups, _ = u.seq_gaps(keys)
    lost_kernel = (T.kernel - k_before) - len(C.kernel)
    h.log("%s: per-CPU seq gaps %d = %d kernel drops of trace records + %d kernel records it lost"
          " + %d emitted before it connected" % (name, gaps, T.kd_trace, lost_kernel, k_before))
    h.check(dups == 0, "%s: no (cpu, seq) twice (%d)" % (name, dups))
    h.check(gaps == T.kd_trace + lost_kernel + k_before,
            "%s: sequence gaps == kernel drops + kernel records it lost" % name)
    return lost_kernel


def emitted_before(name, R, S):
    """Records and kernel records emitted before R connected, which it
    cannot have: those on stdout before R's first record after its
    greeting (the startup record, which it gets at once).  R got a stats
    record before the burst, when stdout lost nothing."""
    h.check(R.order[:1] == [("startup",)], "%s: greeted with the startup record" % name)
    i = S.order.index(R.order[1])
    return i - 1, sum(1 for k in S.order[:i] if isinstance(k[0], int))


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    wd = u.ShmWorkdir()
    gen_exe = u.build_generator(wd)
    comm, tag = u.unique_comm(), os.urandom(4).hex()
    ncpu = len(os.sched_getaffinity(0))
    n_all = N + ncpu  # the trailer: one open per CPU
    sock = wd.join("events.sock")
    conf = u.quiet_config(wd, comm, socket_path=sock, ring_buffer_size="64K", client_queue_size="16M",
                          client_stall_timeout="0")
    agent = u.BareAgent(binary, conf, wd)
    fast = paused = gen = timer = None
    t_start = time.monotonic()
    try:
        agent.start(sock)
        fast = u.RawReader(wd, sock, "fast", nice=-10)
        paused = u.RawReader(wd, sock, "paused")
        hello = agent.request_stats(10)
        h.check(hello is not None and h.wait_for(lambda: all(hello["time"] in open(r.path).read() for r in (fast, paused)),
                                                 10, what="the first stats record at both clients"),
                "both clients are connected and served", agent.dump)
        paused.stop()
        gen = u.Generator(gen_exe, comm, tag, N)
        gen.go()
        timer = threading.Timer(PAUSE_S, paused.cont)
        timer.start()
        elapsed = gen.wait_done(90)
        timer.join()
        h.log("generator: %d opens in %.2f s (%.0f/s); paused client stopped for the first %.0f s"
              % (N, elapsed, N / elapsed, PAUSE_S))
        h.check(agent.wait_consumed(N) is not None, "the agent consumed all %d opens" % N, agent.dump)
        # after the ring buffer drained, one record on each CPU: a drop at
        # the end of a CPU's sequence becomes a gap
        gen.trailer()
        h.check(agent.wait_consumed(n_all, 30) is not None, "the agent consumed the trailer", agent.dump)
        # a stats record both clients got: the paused one has caught up
        final = agent.final_stats([fast, paused], timeout=60)
        h.check(final is not None, "both clients received a stats record after the trailer", agent.dump)
        out = final["outputs"]
        h.check(agent.alive(), "the agent is still running")

        def told():
            caps = [u.Capture(tag, until=final["time"]).feed_file(r.path) for r in (fast, paused)]
            return caps if sum(c.lost_in_band() for c in caps) >= out["socket_dropped"] else None
        caps = h.wait_for(told, 30, interval=1, what="the clients' events_lost")
        h.check(caps is not None, "both clients were told of all they lost (socket_dropped %d)" % out["socket_dropped"])
        S = u.Capture(tag, until=final["time"]).feed_file(agent.stdout_path)
        T = Totals(final, S, n_all)
        h.log("agent: events %s; kernel ringbuf_drops %d (file_access %d); outputs %s"
              % (T.events, T.kd_all, T.kd_file, out))
        gaps, dups, _ = u.seq_gaps(S.kernel + [(c, 0) for c in {c for c, _ in S.kernel}])
        h.log("stdout: %d tagged records (%d distinct, %d trailer), %d kernel records, seq gaps %d, (cpu, seq) twice %d"
              % (len(S.tagged), len(set(S.tagged)), sum(1 for t in S.tagged if t < 0), len(S.kernel), gaps, dups))
        h.check(T.events["file_access"] + T.kd_file == n_all,
                "kernel: every open reached the agent or was counted as a ring-buffer drop (%d + %d == %d)"
                % (T.events["file_access"], T.kd_file, n_all))
        trailer = sorted(t for t in S.tagged if t < 0)
        h.check(len(trailer) == ncpu, "one trailer record per CPU on stdout (%d of %d)" % (len(trailer), ncpu))
        lost_s = check_output("stdout", S, out["stdout_dropped"], T)
        lost_f = check_output("fast client", caps[0], caps[0].lost_in_band(), T, emitted_before("fast client", caps[0], S))
        lost_p = check_output("paused client", caps[1], caps[1].lost_in_band(), T, emitted_before("paused client", caps[1], S))
        h.check(caps[0].lost_in_band() + caps[1].lost_in_band() == out["socket_dropped"],
                "stats outputs.socket_dropped (%d) == the sum of events_lost over both clients"
                % out["socket_dropped"])
        h.check(caps[1].lost_in_band() > 0, "the paused client lost records while stopped (%d)"
                % caps[1].lost_in_band())
        h.check(agent.alive(), "the agent is still running")
        h.log("delivered to stdout %d of %d opens in %.1f s; fast client lost %d kernel records, paused %d"
              % (len(S.tagged), n_all, elapsed, lost_f, lost_p))
        # The reader that cannot be slow (a tmpfs file) sees exactly the
        # kernel's drops as sequence gaps: the agent drops nothing of its own.
        h.check(lost_s == 0 and out["stdout_dropped"] == 0,
                "stdout: sequence gaps == kernel drops, nothing dropped in the agent (stdout_dropped %d)"
                % out["stdout_dropped"])
        h.log("conservation: %.0f s in all" % (time.monotonic() - t_start))
        fast.kill()
        paused.kill()
        agent.stop()
    finally:
        if timer:
            timer.cancel()
        for p in (gen, fast, paused):
            if p:
                p.kill()
        agent.kill()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
