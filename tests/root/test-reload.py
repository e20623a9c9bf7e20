#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live reload (SIGHUP): a changed key takes effect at once without a gap in
the event stream; an invalid file is refused and the old settings stay.
Every record the agent wrote on its standard output (startup,
config_changed, config_reload_failed, exec, file_access, shutdown) is
valid against the events schema."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

T = 15


def set_key(path, key, value):
    with open(path) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^%s = .*$" % key, "%s = %s" % (key, value), text)
    if n != 1:
        raise h.TestFailure("key %s not found once in %s" % (key, path))
    with open(path, "w") as f:
        f.write(text)


def hup(agent):
    os.kill(agent.pid, signal.SIGHUP)


def open_file(path):
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError:
        pass


def file_seen(agent, tag, start):
    return agent.client.wait_for(lambda r: r["event"] == "file_access" and tag in r["file"]["path"], 3,
                                 what="open of %s" % tag, start=start)


def exec_seen(agent, tag, start):
    subprocess.run(["/bin/true", tag])
    return agent.client.wait_for(lambda r: r["event"] == "exec" and tag in r["exec"]["argv"], T,
                                 what="exec %s" % tag, start=start)


def wait_config_record(agent, event, start):
    return agent.client.wait_for(lambda r: r["event"] == event, T, what=event, start=start)


def check_switch(agent):
    conf = agent.config
    start = agent.client.count()
    set_key(conf, "enable_file_monitoring", "no")
    hup(agent)
    rec = wait_config_record(agent, "config_changed", start)
    h.check(rec is not None and rec["old_sha256"] != rec["new_sha256"], "config_changed with old and new SHA-256")
    t_reload = time.monotonic()
    start = agent.client.count()
    tag = agent.workdir.join("missing-" + uuid.uuid4().hex)
    open_file(tag)
    h.check(exec_seen(agent, uuid.uuid4().hex, start) is not None, "exec records continue with file monitoring off")
    h.check(not agent.client.find(lambda r: r["event"] == "file_access" and tag in r["file"]["path"]),
            "no file record once enable_file_monitoring = no took effect (%.2f s after the reload)" %
            (time.monotonic() - t_reload))

    set_key(conf, "enable_file_monitoring", "yes")
    start = agent.client.count()
    hup(agent)
    h.check(wait_config_record(agent, "config_changed", start) is not None, "second reload applied")
    tag = agent.workdir.join("missing-" + uuid.uuid4().hex)
    t0 = time.monotonic()
    open_file(tag)
    h.check(file_seen(agent, tag, start) is not None, "file records resume within a second (%.2f s)" %
            (time.monotonic() - t0))


def check_invalid(agent):
    conf = agent.config
    with open(conf) as f:
        good = f.read()
    with open(conf, "a") as f:
        f.write("no_such_key = 1\n")
    start = agent.client.count()
    hup(agent)
    rec = wait_config_record(agent, "config_reload_failed", start)
    h.check(rec is not None, "an invalid file gives config_reload_failed", agent.dump)
    h.check("no_such_key" in rec["error"] and re.search(r":\d+:", rec["error"]) is not None,
            "the error names the key and the line: %s" % rec["error"])
    h.check(agent.proc.poll() is None, "the agent keeps running")
    tag = agent.workdir.join("missing-" + uuid.uuid4().hex)
    open_file(tag)
    h.check(file_seen(agent, tag, start) is not None, "the old settings stay in force")
    with open(conf, "w") as f:
        f.write(good)


def check_no_gap(agent):
    """Numbered execs while the file is reloaded three times: all arrive, and
    no per-CPU sequence number is skipped."""
    tag = uuid.uuid4().hex
    n = 300
    start = agent.client.count()
    seen = len(agent.client.find(lambda r: r["event"] == "config_changed"))
    stop = threading.Event()

    def reloader():
        # one reload at a time: a second SIGHUP while one is pending would
        # merge with it
        for k in range(3):
            time.sleep(0.3)
            hup(agent)
            h.wait_for(lambda: len(agent.client.find(lambda r: r["event"] == "config_changed")) >= seen + k + 1,
                       T, what="reload %d" % (k + 1))
        stop.set()

    th = threading.Thread(target=reloader)
    th.start()
    for i in range(n):
        subprocess.run(["/bin/true", tag, str(i)])
    th.join()
    ok = agent.client.wait_for(lambda r: r["event"] == "exec" and r["exec"]["argv"][1:] == [tag, str(n - 1)], T,
                               start=start)
    h.check(ok is not None, "the last numbered exec arrived")
    recs = agent.client.snapshot()[start:]
    got = sorted(int(r["exec"]["argv"][2]) for r in recs
                 if r["event"] == "exec" and len(r["exec"]["argv"]) == 3 and r["exec"]["argv"][1] == tag)
    h.check(got == list(range(n)), "all %d numbered execs arrived across three reloads (%d)" % (n, len(got)))
    h.check(len(agent.client.find(lambda r: r["event"] == "config_changed")) == seen + 3,
            "three config_changed records")
    by_cpu = {}
    for r in recs:
        if r.get("cpu") is not None and "seq" in r:
            by_cpu.setdefault(r["cpu"], []).append(r["seq"])
    gaps = 0
    for cpu, seqs in by_cpu.items():
        seqs.sort()
        gaps += sum(b - a - 1 for a, b in zip(seqs, seqs[1:]) if b > a + 1)
    h.check(gaps == 0, "no sequence gap on any CPU across the reloads (%d gaps)" % gaps)


def check_schema(agent):
    """What the agent wrote on stdout over the whole run, once it exited."""
    recs = agent.stdout_records()
    kinds = {r.get("event") for r in recs}
    want = {"startup", "config_changed", "config_reload_failed", "exec", "file_access", "shutdown"}
    h.check(want <= kinds, "stdout has every kind of record this test made (missing %s)" % sorted(want - kinds))
    errs = h.schema_errors(recs)
    h.check(not errs, "the %d records on stdout match the events schema" % len(recs),
            lambda: [h.log("  %s: %s" % (m, h.short(r))) for r, m in errs])


def main():
    h.require_schema()
    h.require_root_bpf()
    binary = h.agent_path()
    with h.Workdir() as wd:
        # file records only under the work dir: a busy host (benchmarks,
        # builds) must not crowd the client's queue
        conf = h.write_config(wd, enable_network_monitoring="no", enable_cgroup_monitoring="no",
                              stats_interval="0", include_path_prefix=wd.join(""))
        agent = h.Agent(binary, conf, wd)
        try:
            agent.start(wd.join("events.sock"))
            check_switch(agent)
            check_invalid(agent)
            check_no_gap(agent)
            agent.stop()
            check_schema(agent)
        finally:
            agent.kill()


if __name__ == "__main__":
    h.run(main)
