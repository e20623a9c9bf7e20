#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Structured journal records: a private journald (in a private mount
namespace, so the host's /run and journal are untouched), the agent with
journal_records = all and then = anomalies, read back with journalctl."""

import json
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

TIMEOUT = 15
# what journal_records = anomalies still journals: anomalies and summaries
NOT_TRACE = ("anomaly", "startup", "stats", "shutdown", "events_lost", "config_changed",
             "config_reload_failed", "journal_suppressed")


def exec_true(agent, tag):
    p = subprocess.Popen(["/bin/true", tag])
    p.wait(10)
    rec = agent.client.wait_for(lambda r: r["event"] == "exec" and tag in r["exec"]["argv"], TIMEOUT,
                                what="exec %s on the socket" % tag)
    h.check(rec is not None, "exec of /bin/true %s reached the socket" % tag, agent.dump)
    return p.pid, rec


def journal_wait(what, pred, *matches, **kw):
    found = h.wait_for(lambda: [e for e in h.journal_query(*matches, **kw) if pred(e)], TIMEOUT,
                       interval=0.3, what=what)
    return found[0] if found else None


def dump_journal(agent_pid):
    entries = h.journal_query("_PID=%d" % agent_pid)
    h.log("---- %d journal entries of pid %d, last 10 ----" % (len(entries), agent_pid))
    for e in entries[-10:]:
        h.log("  %s %s %s" % (e.get("CLAWOS_EVENT"), e.get("MESSAGE_ID"), (e.get("MESSAGE") or "")[:200]))


def run_all(binary, wd, ids):
    # File and network monitoring off: on a busy host their volume would
    # only test the agent's queue, and the exec record is what is checked.
    conf = h.write_config(wd, name="all.conf", socket_path=wd.join("all.sock"), journal="yes", journal_records="all",
                          journal_rate_limit="100000", enable_file_monitoring="no",
                          enable_network_monitoring="no")
    agent = h.Agent(binary, conf, wd, name="agent-all")
    try:
        agent.start(wd.join("all.sock"))
        tag = uuid.uuid4().hex
        pid, sock_rec = exec_true(agent, tag)
        diag = lambda: (agent.dump(), dump_journal(agent.pid))  # noqa: E731
        e = journal_wait("exec %s in the journal" % tag, lambda e: tag in (e.get("CLAWOS_JSON") or ""),
                         "CLAWOS_EVENT=exec")
        h.check(e is not None, "journalctl -t clawos-ebpf CLAWOS_EVENT=exec holds the exec of %s" % tag, diag)
        h.check(e.get("MESSAGE_ID") == ids["exec"], "exec MESSAGE_ID %s (got %s)" % (ids["exec"], e.get("MESSAGE_ID")))
        h.check(e.get("SYSLOG_IDENTIFIER") == "clawos-ebpf", "SYSLOG_IDENTIFIER clawos-ebpf")
        h.check(e.get("CLAWOS_PID") == str(pid), "CLAWOS_PID %d (got %s)" % (pid, e.get("CLAWOS_PID")))
        h.check(e.get("CLAWOS_COMM") == "true", "CLAWOS_COMM true (got %r)" % e.get("CLAWOS_COMM"))
        h.check(e.get("PRIORITY") == "6", "exec at priority info (got %s)" % e.get("PRIORITY"))
        h.check(e.get("_PID") == str(agent.pid), "sent by the agent (_PID %s)" % e.get("_PID"))
        h.check(json.loads(e["CLAWOS_JSON"]) == sock_rec, "CLAWOS_JSON is the record the socket carried",
                lambda: h.log("journal: %s\nsocket:  %s" % (e["CLAWOS_JSON"], json.dumps(sock_rec))))
        h.check(tag in (e.get("MESSAGE") or "") or "/true" in (e.get("MESSAGE") or ""),
                "MESSAGE names the exec (%r)" % e.get("MESSAGE"))
        warn = [x for x in h.journal_query("CLAWOS_EVENT=exec", priority="warning")
                if tag in (x.get("CLAWOS_JSON") or "")]
        h.check(not warn, "journalctl -p warning does not list the info-level exec")
        s = journal_wait("startup of pid %d" % agent.pid,
                         lambda e: e.get("_PID") == str(agent.pid), "MESSAGE_ID=" + ids["startup"])
        h.check(s is not None, "journalctl MESSAGE_ID=%s finds the startup record" % ids["startup"], diag)
        h.check(json.loads(s["CLAWOS_JSON"]).get("pid") == agent.pid, "startup CLAWOS_JSON names the agent")
        h.check(s.get("CLAWOS_EVENT") == "startup", "startup CLAWOS_EVENT")
        agent.stop()
    finally:
        agent.kill()


def run_anomalies(binary, wd, ids):
    conf = h.write_config(wd, name="anomalies.conf", socket_path=wd.join("anomalies.sock"), journal="yes", journal_records="anomalies",
                          enable_file_monitoring="no", enable_network_monitoring="no")
    agent = h.Agent(binary, conf, wd, name="agent-anomalies")
    try:
        agent.start(wd.join("anomalies.sock"))
        diag = lambda: (agent.dump(), dump_journal(agent.pid))  # noqa: E731
        tag = uuid.uuid4().hex
        _, rec = exec_true(agent, tag)
        # Barrier: a stats record emitted after the exec went through the
        # same journal queue; once it is in the journal, the exec would be too.
        stats = agent.client.wait_for(lambda r: r["event"] == "stats", TIMEOUT,
                                      what="a stats record after the exec", start=agent.client.count())
        h.check(stats is not None, "a stats record followed the exec on the socket", diag)
        e = journal_wait("that stats record in the journal",
                         lambda e: e.get("_PID") == str(agent.pid) and json.loads(e["CLAWOS_JSON"]).get("time") == stats["time"],
                         "CLAWOS_EVENT=stats")
        h.check(e is not None, "journal_records = anomalies still journals stats records", diag)
        h.check(e.get("MESSAGE_ID") == ids["stats"], "stats MESSAGE_ID %s" % ids["stats"])
        entries = h.journal_query("_PID=%d" % agent.pid)
        trace = [x for x in entries if x.get("CLAWOS_EVENT") not in NOT_TRACE]
        h.check(not trace, "no trace record in the journal with journal_records = anomalies (%d)" % len(trace),
                lambda: [h.log("  " + (x.get("MESSAGE") or "")) for x in trace[:10]])
        h.check(not [x for x in entries if tag in (x.get("CLAWOS_JSON") or "")], "the exec of %s is not journaled" % tag)
        s = journal_wait("startup of pid %d" % agent.pid,
                         lambda e: e.get("_PID") == str(agent.pid), "MESSAGE_ID=" + ids["startup"])
        h.check(s is not None, "the startup record is journaled with journal_records = anomalies", diag)
        agent.stop()
    finally:
        agent.kill()


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    if not os.access(h.JOURNALD, os.X_OK):
        h.skip("%s is missing" % h.JOURNALD)
    h.enter_private_mounts()  # before any thread exists
    ids = {e: h.message_id(e) for e in ("exec", "startup", "stats")}
    wd = h.Workdir()
    journald = h.Journald(wd)
    try:
        journald.start()
        run_all(binary, wd, ids)
        run_anomalies(binary, wd, ids)
    finally:
        journald.stop()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
