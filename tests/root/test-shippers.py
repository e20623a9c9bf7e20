#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The shipped shipper configurations, end to end: packaging/examples/
syslog-ng/clawos-ebpf.conf or rsyslog/clawos-ebpf.conf, as shipped but for
its paths (the socket and the log folder moved into a private directory),
run by the real shipper; the agent connects with connect_format = ecs.

  test-shippers.py AGENT syslog-ng|rsyslog

Checked: the shipper receives the startup record and records of the
workload (an exec, a failed open, a read of /etc/shadow), writes each one
as the agent sent it (equal to the same record on the agent's own socket,
in ECS too), every line validates against ECS 9.4.0, its alerts file holds
exactly the alerts (the example's JSON parsing and filter work); after the
shipper restarts, the agent reconnects and later records arrive too.

syslog-ng comes from Debian's syslog-ng-core.  rsyslog conflicts with it,
so it is not installed: its packages (rsyslog, libestr0, libfastjson4) are
fetched once with apt-get download into /var/cache/clawos-ebpf-rsyslog and
run from there (ENVIRONMENT.md).  Without the package, or without the
schema data, the test is skipped."""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import clawos_harness as h  # noqa: E402
import siem_validate as sv  # noqa: E402

T = 20
EXAMPLES = os.path.join(h.SOURCE_ROOT, "packaging", "examples")
RSYSLOG_CACHE = "/var/cache/clawos-ebpf-rsyslog"
SHIPPER_DIR = "/run/clawos-ebpf-shipper"
LOG_DIR = "/var/log/clawos-ebpf"


def example(name, wd):
    """The shipped file with its socket and log paths moved into wd."""
    with open(os.path.join(EXAMPLES, name)) as f:
        text = f.read()
    for old in (SHIPPER_DIR, LOG_DIR):
        if old not in text:
            raise h.TestFailure("%s no longer uses %s: update this test" % (name, old))
    return text.replace(SHIPPER_DIR, wd.path).replace(LOG_DIR, wd.join("log"))


def socket_path(text):
    m = re.search(r'"(/[^"]*\.sock)"', text)
    if not m:
        raise h.TestFailure("no socket path in the example")
    return m.group(1)


class Shipper:
    def __init__(self, wd, cmd, sock):
        self.wd, self.cmd, self.sock, self.proc, self.starts = wd, cmd, sock, None, 0

    def start(self):
        self.starts += 1
        logf = self.wd.join("shipper.%d.log" % self.starts)
        if os.path.exists(self.sock):  # the last one's: wait for a new one
            os.unlink(self.sock)
        with open(logf, "wb") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         env=self.env())
        if not h.wait_for(lambda: os.path.exists(self.sock) or self.proc.poll() is not None, 15,
                          what="the shipper's socket") or self.proc.poll() is not None:
            with open(logf, errors="replace") as f:
                h.log(f.read()[-3000:])
            raise h.TestFailure("%s did not start (status %s)" % (self.cmd[0], self.proc.poll()))

    def env(self):
        return None

    def dump(self):
        for n in range(1, self.starts + 1):
            with open(self.wd.join("shipper.%d.log" % n), errors="replace") as f:
                h.log("---- %s log %d ----\n%s" % (self.cmd[0], n, f.read()[-3000:]))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def syslog_ng(wd):
    exe = shutil.which("syslog-ng") or ("/usr/sbin/syslog-ng" if os.path.exists("/usr/sbin/syslog-ng") else None)
    if not exe:
        h.skip("syslog-ng is missing (Debian package syslog-ng-core)")
    text = example("syslog-ng/clawos-ebpf.conf", wd)
    with open(wd.join("syslog-ng-clawos-ebpf.conf"), "w") as f:
        f.write(text)
    with open(wd.join("syslog-ng.conf"), "w") as f:
        f.write('@version: 3.38\noptions { stats-freq(0); time-reopen(1); };\n@include "%s"\n'
                % wd.join("syslog-ng-clawos-ebpf.conf"))
    cmd = [exe, "-F", "--no-caps", "-f", wd.join("syslog-ng.conf"), "-R", wd.join("persist"),
           "-p", wd.join("syslog-ng.pid"), "-c", wd.join("syslog-ng.ctl")]
    return Shipper(wd, cmd, socket_path(text))


def rsyslog_root():
    """rsyslog 8.2302 unpacked in RSYSLOG_CACHE, fetched once; None if not to be had."""
    root = os.path.join(RSYSLOG_CACHE, "root")
    if os.path.exists(os.path.join(root, "usr", "sbin", "rsyslogd")):
        return root
    debs = os.path.join(RSYSLOG_CACHE, "debs")
    os.makedirs(debs, exist_ok=True)
    for attempt in range(2):
        p = subprocess.run(["apt-get", "download", "rsyslog", "libestr0", "libfastjson4"], cwd=debs,
                           capture_output=True, text=True, timeout=300)
        if p.returncode == 0 or attempt:
            break
        # a fresh machine may have no package lists yet
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=300)
    if p.returncode != 0:
        h.log("apt-get download failed: %s" % p.stderr.strip()[-500:])
        return None
    for deb in glob.glob(os.path.join(debs, "*.deb")):
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    return root if os.path.exists(os.path.join(root, "usr", "sbin", "rsyslogd")) else None


class Rsyslog(Shipper):
    def env(self):
        return dict(os.environ, LD_LIBRARY_PATH=os.path.join(self.root, "usr", "lib", "x86_64-linux-gnu"))


def rsyslog(wd):
    root = rsyslog_root()
    if not root:
        h.skip("rsyslog 8.2302 could not be fetched (apt-get download rsyslog libestr0 libfastjson4)")
    text = example("rsyslog/clawos-ebpf.conf", wd)
    os.makedirs(wd.join("work"), exist_ok=True)
    with open(wd.join("rsyslog.conf"), "w") as f:
        f.write('global(workDirectory="%s")\n' % wd.join("work") + text)
    cmd = [os.path.join(root, "usr", "sbin", "rsyslogd"), "-n", "-f", wd.join("rsyslog.conf"),
           "-M", os.path.join(root, "usr", "lib", "x86_64-linux-gnu", "rsyslog"), "-i", wd.join("rsyslogd.pid")]
    s = Rsyslog(wd, cmd, socket_path(text))
    s.root = root
    return s


def lines(path):
    try:
        with open(path, "rb") as f:
            return [x for x in f.read().split(b"\n") if x]
    except FileNotFoundError:
        return []


def key(r):
    e = r.get("event", {})
    return (e.get("dataset"), e.get("sequence"), (r.get("clawos") or {}).get("cpu"), r.get("@timestamp"))


def workload(tag, wd):
    subprocess.run(["/bin/true", tag], check=True)
    try:
        os.close(os.open(wd.join("missing-" + tag), os.O_RDONLY))
    except OSError:
        pass
    subprocess.run(["/bin/cat", "/etc/shadow"], stdout=subprocess.DEVNULL, check=False)


def has_exec(recs, tag):
    return any(tag in ((r.get("process") or {}).get("args") or []) for r in recs)


def main():
    h.require_root_bpf()
    which = sys.argv[2] if len(sys.argv) > 2 else "syslog-ng"
    d = sv.schemas_dir()
    if not d:
        h.skip("the ECS schema data is missing (../shared/schemas or $CLAWOS_SHARED)")
    try:
        ecs_v = sv.Ecs(d)
    except ImportError:
        h.skip("PyYAML is missing (Debian package python3-yaml)")
    wd = h.Workdir()
    agent = shipper = None
    try:
        shipper = syslog_ng(wd) if which == "syslog-ng" else rsyslog(wd)
        shipper.start()
        out, alerts = wd.join("log", "ecs.ndjson"), wd.join("log", "alerts.ndjson")
        # only our records and those of the programs we run, not the host's
        comm = "cs" + uuid.uuid4().hex[:13]
        h.set_comm(comm)
        conf = h.write_config(wd, connect="yes", connect_path=shipper.sock, connect_format="ecs",
                              socket_format="ecs", anomaly_cooldown="0", include_comm="%s, true, cat" % comm)
        agent = h.Agent(h.agent_path(), conf, wd).start(wd.join("events.sock"), timeout=90)
        tag = "ship-" + uuid.uuid4().hex[:12]
        workload(tag, wd)
        h.check(h.wait_for(lambda: has_exec([json.loads(x) for x in lines(out)], tag), T,
                           what="the exec at %s" % which),
                "%s wrote the exec record of /bin/true %s" % (which, tag), agent.dump)
        h.check(h.wait_for(lambda: lines(alerts), T, what="an alert at %s" % which),
                "%s wrote the /etc/shadow alert to its alerts file" % which)

        shipper.stop()
        time.sleep(0.5)
        shipper.start()
        tag2 = tag + "-after"
        h.check(h.wait_for(lambda: (workload(tag2, wd), has_exec([json.loads(x) for x in lines(out)], tag2))[1],
                           T, interval=1, what="records after the restart"),
                "after %s restarted, the agent reconnected and records arrive again" % which,
                lambda: (agent.dump(records=[]), shipper.dump()))
        shipper.stop()

        shipped = [json.loads(x) for x in lines(out)]
        ref = {key(r): r for r in agent.client.snapshot()}
        h.check(shipped and shipped[0]["event"]["action"] == "startup",
                "the first record %s wrote is the agent's startup record" % which)
        # The records from before the test's client connected are not on
        # the socket (but for the startup record, which every client gets
        # first), and how many there are depends on timing: the test's own
        # polling opens files under the traced comm.  Both outputs get every
        # record in one order, so from the first other record on both, every
        # record the shipper wrote must be on the socket, byte for byte.
        first = next((i for i, r in enumerate(shipped)
                      if i and key(r) in ref), len(shipped))
        after = shipped[first:]
        # the test client's reader thread may be behind the shipper's file
        h.wait_for(lambda: {key(r) for r in after} <= {key(r) for r in agent.client.snapshot()}, T,
                   what="the shipper's records on the test's client")
        ref = {key(r): r for r in agent.client.snapshot()}
        missing = [r for r in after if key(r) not in ref]
        differ = [r for r in after if key(r) in ref and ref[key(r)] != r]
        h.check(after and has_exec(after, tag) and not missing and not differ,
                "every record %s wrote since the test's client connected equals the same record on the agent's "
                "socket (%d records, %d before the client, %d not on the socket: %s, %d differ: %s)"
                % (which, len(shipped), first, len(missing), [h.short(r, 300) for r in missing[:2]],
                   len(differ), [h.short(r, 300) for r in differ[:2]]))
        errs = [(e, r) for r in shipped for e in ecs_v.validate(r)]
        h.check(not errs, "every record %s wrote is valid ECS 9.4.0 (%d errors: %s)"
                % (which, len(errs), errs[:3]))
        al = [json.loads(x) for x in lines(alerts)]
        want = [r for r in shipped if r["event"]["kind"] == "alert"]
        h.check(al == want and any(h.dig(r, "file", "path") == "/etc/shadow" for r in al),
                "the alerts file holds exactly the %d alerts, among them /etc/shadow" % len(want))
        agent.stop()
    finally:
        if agent:
            agent.kill()
        if shipper:
            shipper.stop()
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
