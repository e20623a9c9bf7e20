#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The systemctl journey, run by test-vm-service.sh as a unit inside a guest that boots
systemd (vm-run --mode systemd).  The agent was installed into the guest's root before the
boot (meson install --destdir into an --overlay-dir), or is installed here from a .deb
($CLAWOS_VM_DEB, dpkg -i into the writable overlay root).

Steps, each with "ok:"/"FAIL:" lines; a failed step does not stop the next ones:
  install    systemd-sysusers + daemon-reload as after an install; the unit is known
  security   systemd-analyze security clawos-ebpf: the overall exposure is printed
  start      systemctl start returns once READY=1 came: active/running at once, the
             startup record and the hook lines are already in the journal, and stamped
             before ActiveEnterTimestamp; BPF-LSM in use under the unit's sandbox
  status     systemctl status shows the STATUS= line
  socket     a client of /run/clawos-ebpf/events.sock receives trace records
  anomaly    cat /etc/shadow: journalctl -t clawos-ebpf CLAWOS_EVENT=anomaly -o json, and -p warning
  reload     a changed key + systemctl reload: config_changed on the socket and in the journal
  kill       systemctl kill -s KILL: restarted (NRestarts + 1, new MainPID)
  watchdog   kill -STOP $MAINPID: the watchdog (WatchdogSec=10s by the test's drop-in) kills
             and restarts it
  stop       systemctl stop: inactive, no clawos_* programs or links left
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

SOURCE_ROOT = os.environ.get("CLAWOS_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "root"))
import clawos_harness as h  # noqa: E402

UNIT = "clawos-ebpf.service"
SOCKET = "/run/clawos-ebpf/events.sock"
T = 60
BPFTOOL = shutil.which("bpftool") or "/usr/sbin/bpftool"
failed = []
results = []


def step(name, fn, *args):
    h.log("== step %s" % name)
    t0 = time.monotonic()
    try:
        r = fn(*args)
        h.log("step %s: ok (%.1f s)" % (name, time.monotonic() - t0))
        results.append((name, "ok"))
        return r
    except h.TestFailure as e:
        h.log("step %s: FAILED (%s, %.1f s)" % (name, e, time.monotonic() - t0))
    except Exception as e:
        import traceback
        traceback.print_exc()
        h.log("step %s: FAILED (%r)" % (name, e))
    failed.append(name)
    results.append((name, "FAIL"))
    return None


def run(*cmd, check=False, timeout=120):
    out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        h.log("$ %s -> %d\n%s%s" % (" ".join(cmd), out.returncode, out.stdout[-2000:], out.stderr[-2000:]))
        raise h.TestFailure("%s failed (%d)" % (" ".join(cmd), out.returncode))
    return out


def show(*props):
    out = run("systemctl", "show", UNIT, "-p", ",".join(props), check=True)
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def journal_dump():
    out = run("journalctl", "-b", "-u", UNIT, "--no-pager", "-o", "short-monotonic")
    h.log("---- journalctl -u %s (last 40 lines) ----\n%s" % (UNIT, "\n".join(out.stdout.splitlines()[-40:])))


def wait_active(old_pid=None, timeout=T, what="active"):
    """Until the unit is active/running (with a MainPID other than old_pid)."""
    def ok():
        s = show("ActiveState", "SubState", "MainPID", "NRestarts")
        if s["ActiveState"] == "active" and s["SubState"] == "running" and s["MainPID"] not in ("0", old_pid):
            return s
        return None
    s = h.wait_for(ok, timeout, interval=0.5, what=what)
    h.check(s is not None, what, journal_dump)
    return s


def usec_of_rfc3339(t):
    """'2026-11-22T03:10:18.123456789Z' -> microseconds since the epoch."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\d*Z$", t)
    d = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + int(m.group(2))


def journal_records(event, pid=None, priority=None):
    run("journalctl", "--sync")
    matches = ["CLAWOS_EVENT=" + event]
    if pid:
        matches.append("_PID=%s" % pid)
    return h.journal_query(*matches, priority=priority)


# ---------------------------------------------------------------- steps

def install():
    deb = os.environ.get("CLAWOS_VM_DEB")
    if deb:
        run("dpkg", "-i", deb, check=True, timeout=300)
        h.log("installed %s with dpkg -i" % deb)
    else:
        h.log("installed by meson install --destdir into the overlay (%s)" % os.environ.get("CLAWOS_VM_PREFIX"))
    # as after an install: the group of the socket, then the new unit
    run("systemd-sysusers", check=True)
    run("systemctl", "daemon-reload", check=True)
    h.check(run("getent", "group", "clawos").returncode == 0, "group clawos exists (systemd-sysusers)")
    s = show("LoadState", "FragmentPath", "DropInPaths", "ExecStart", "Type")
    h.log("unit: %s, drop-ins: %s" % (s["FragmentPath"], s["DropInPaths"]))
    h.log("ExecStart: %s" % s["ExecStart"])
    h.check(s["LoadState"] == "loaded" and s["Type"] == "notify", "the unit is loaded, Type=notify")
    with open("/proc/sys/kernel/perf_event_paranoid") as f:
        paranoid = f.read().strip()
    h.log("kernel.perf_event_paranoid = %s" % paranoid)
    want = os.environ.get("CLAWOS_VM_PERF_EVENT_PARANOID")
    if want:
        with open("/proc/sys/kernel/perf_event_paranoid", "w") as f:
            f.write(want)
        h.log("note: kernel.perf_event_paranoid set to %s for this run (CLAWOS_VM_PERF_EVENT_PARANOID)" % want)


def security():
    out = run("systemd-analyze", "security", UNIT, "--no-pager", timeout=300)
    text = out.stdout + out.stderr
    h.log("---- systemd-analyze security %s (the lines with a ✗) ----" % UNIT)
    for line in text.splitlines():
        if line.startswith("✗"):
            h.log("  " + line)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\S+)", text)
    h.check(m is not None, "systemd-analyze security prints the overall exposure",
            lambda: h.log(text[-3000:]))
    h.log("overall exposure: %s %s" % (m.group(1), m.group(2)))
    h.check(float(m.group(1)) <= 4.0, "exposure %s is at most 4.0 (as tests/root/test-unit.py holds it)" % m.group(1))


def start():
    t0 = time.monotonic()
    out = run("systemctl", "start", UNIT, timeout=180)
    took = time.monotonic() - t0
    if out.returncode != 0:
        log = run("journalctl", "-b", "-u", UNIT, "-o", "cat", "--no-pager").stdout
        with open("/proc/sys/kernel/perf_event_paranoid") as f:
            paranoid = int(f.read())
        if "perf_event_open() failed: Permission denied" in log and paranoid >= 3:
            h.log("diagnosis: kernel.perf_event_paranoid = %d: Debian's kernel then allows perf_event_open() "
                  "(tracepoint attachment) only with CAP_SYS_ADMIN, which the unit's CapabilityBoundingSet= "
                  "drops" % paranoid)
        journal_dump()
        raise h.TestFailure("systemctl start %s failed (%d): %s" % (UNIT, out.returncode, out.stderr.strip()))
    # at once, without waiting: Type=notify means start returned after READY=1
    s = show("ActiveState", "SubState", "MainPID", "NRestarts", "ExecMainStartTimestamp",
             "ExecMainStartTimestampMonotonic", "ActiveEnterTimestamp", "ActiveEnterTimestampMonotonic",
             "StatusText")
    h.log("systemctl start took %.1f s; %s" % (took, s))
    wd = show("WatchdogUSec")["WatchdogUSec"]
    want = os.environ.get("CLAWOS_VM_WATCHDOG_SEC", "10")
    h.check(wd in (want + "s", str(int(want) * 1000000)), "WatchdogSec=%ss from the test's drop-in (got %s)" %
            (want, wd))
    h.check(s["ActiveState"] == "active" and s["SubState"] == "running",
            "active/running as soon as systemctl start returns (%s/%s)" % (s["ActiveState"], s["SubState"]),
            journal_dump)
    pid = s["MainPID"]
    startup = journal_records("startup", pid=pid)
    h.check(len(startup) == 1, "the startup record of MainPID %s is already in the journal" % pid, journal_dump)
    rec = json.loads(startup[0]["CLAWOS_JSON"])
    # the journal holds the stdout/stderr lines of the service too
    lines = run("journalctl", "-b", "_PID=%s" % pid, "-o", "json", "--no-pager", "-q").stdout.splitlines()
    hooks = [json.loads(l) for l in lines if '"MESSAGE":"hook ' in l or 'hook file_open' in l]
    h.check(any("hook file_open" in e.get("MESSAGE", "") for e in hooks),
            "the hook lines are already in the journal (%d)" % len(hooks), journal_dump)
    exec_start, active = int(s["ExecMainStartTimestampMonotonic"]), int(s["ActiveEnterTimestampMonotonic"])
    h.log("exec -> active: %.2f s (READY=1 after loading and attaching)" % ((active - exec_start) / 1e6))
    t_rec = usec_of_rfc3339(rec["time"])
    active_rt = show_usec("ActiveEnterTimestamp")
    h.check(active_rt is not None and t_rec <= active_rt,
            "the startup record is stamped before the unit became active (%.3f s before)" %
            ((active_rt - t_rec) / 1e6 if active_rt else float("nan")))
    h.log("first hook line: %s" % hooks[0]["MESSAGE"])
    mech = {k: v.get("mechanism") for k, v in rec.get("hooks", {}).items()}
    h.log("hooks under the unit's sandbox: %s" % mech)
    for hook in ("file_open", "connect", "bind", "listen", "socket_create"):
        h.check(mech.get(hook) == "lsm", "under the unit: hook %s on lsm (got %s)" % (hook, mech.get(hook)))
    return pid


def show_usec(prop):
    """A timestamp property in microseconds since the epoch (systemctl show --timestamp=us+utc)."""
    out = run("systemctl", "show", UNIT, "-p", prop, "--timestamp=us+utc").stdout.strip()
    v = out.split("=", 1)[1] if "=" in out else ""
    m = re.match(r"^\w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{6}) UTC$", v)
    if not m:
        return None
    d = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + int(m.group(2))


def status():
    out = run("systemctl", "status", UNIT, "--no-pager", "-l", "-n", "0")
    h.log("---- systemctl status ----\n" + out.stdout.rstrip())
    m = re.search(r'^\s*Status: "(.*)"$', out.stdout, re.M)
    h.check(m is not None, "systemctl status shows a Status: line")
    h.check("file_open=lsm" in m.group(1) and "connect=lsm" in m.group(1),
            "the STATUS line names the mechanisms (%s)" % m.group(1))


def socket_client():
    client = h.SocketClient(SOCKET)
    tag = uuid.uuid4().hex
    # a first record shows the client is attached (stats come every 30 s: make some)
    subprocess.run(["/bin/true", "warmup-" + tag])
    time.sleep(1)
    p = subprocess.Popen(["/bin/true", tag])
    p.wait(10)
    rec = client.wait_for(lambda r: r["event"] == "exec" and tag in r["exec"]["argv"], 30, what="exec record")
    h.check(rec is not None and rec["process"]["pid"] == p.pid,
            "a socket client of %s receives the exec record of /bin/true %s" % (SOCKET, tag))
    h.check(not client.bad_lines, "every line on the socket parses as JSON")
    return client


def anomaly(client):
    start = client.count() if client else 0
    cat = subprocess.run(["cat", "/etc/shadow"], capture_output=True)
    h.log("cat /etc/shadow exit %d (mode 1: alert only)" % cat.returncode)
    pid_ok = lambda e: (json.loads(e["CLAWOS_JSON"]).get("anomaly", {}).get("subject") == "/etc/shadow"
                        and e.get("CLAWOS_COMM") == "cat")
    found = h.wait_for(lambda: [e for e in journal_records("anomaly") if pid_ok(e)], 30,
                       what="the anomaly in the journal")
    h.check(bool(found), "journalctl -t clawos-ebpf CLAWOS_EVENT=anomaly -o json finds the file_violation of cat")
    e = found[-1]
    a = json.loads(e["CLAWOS_JSON"])["anomaly"]
    h.log("journal entry: PRIORITY=%s MESSAGE=%s" % (e.get("PRIORITY"), e.get("MESSAGE")))
    h.check(a["kind"] == "file_violation" and a["enforced"] is False, "kind file_violation, enforced false")
    warn = [x for x in journal_records("anomaly", priority="warning") if pid_ok(x)]
    h.check(bool(warn), "journalctl -p warning finds it too (PRIORITY %s)" % e.get("PRIORITY"))
    if client:
        rec = client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["subject"] == "/etc/shadow", 30,
                              what="anomaly on the socket", start=start)
        h.check(rec is not None, "the same anomaly reaches the socket client")


def reload(client, conf):
    pid = show("MainPID")["MainPID"]
    with open(conf) as f:
        text = f.read()
    old = re.search(r"(?m)^stats_interval = (\d+)$", text).group(1)
    new = "17" if old != "17" else "19"
    with open(conf, "w") as f:
        f.write(re.sub(r"(?m)^stats_interval = .*$", "stats_interval = " + new, text))
    start = client.count() if client else 0
    before = len(journal_records("config_changed"))
    run("systemctl", "reload", UNIT, check=True, timeout=120)
    s = show("ActiveState", "SubState", "MainPID")
    h.check(s["ActiveState"] == "active" and s["MainPID"] == pid,
            "after systemctl reload: still active, same MainPID %s (%s)" % (pid, s))
    if client:
        rec = client.wait_for(lambda r: r["event"] == "config_changed", 30, what="config_changed", start=start)
        h.check(rec is not None, "config_changed record on the socket (stats_interval %s -> %s)" % (old, new))
        h.log("config_changed: %s" % h.short(rec, 400))
    got = h.wait_for(lambda: len(journal_records("config_changed")) > before, 15, what="config_changed in the journal")
    h.check(bool(got), "config_changed entry in the journal")


def kill_restart():
    s = show("MainPID", "NRestarts")
    run("systemctl", "kill", "-s", "KILL", UNIT, check=True)
    t = wait_active(old_pid=s["MainPID"], what="restarted after SIGKILL")
    h.check(int(t["NRestarts"]) == int(s["NRestarts"]) + 1 and t["MainPID"] != s["MainPID"],
            "systemctl kill -s KILL: restarted, NRestarts %s -> %s, MainPID %s -> %s" %
            (s["NRestarts"], t["NRestarts"], s["MainPID"], t["MainPID"]))


def watchdog():
    s = show("MainPID", "NRestarts")
    t0 = time.monotonic()
    os.kill(int(s["MainPID"]), 19)  # SIGSTOP
    t = wait_active(old_pid=s["MainPID"], timeout=90, what="restarted after the watchdog fired")
    h.log("frozen -> running again in %.1f s" % (time.monotonic() - t0))
    h.check(int(t["NRestarts"]) == int(s["NRestarts"]) + 1,
            "watchdog: restarted, NRestarts %s -> %s, MainPID %s -> %s" %
            (s["NRestarts"], t["NRestarts"], s["MainPID"], t["MainPID"]))
    out = run("journalctl", "-b", "-u", UNIT, "-o", "cat", "--no-pager").stdout
    line = [l for l in out.splitlines() if "atchdog timeout" in l]
    h.check(bool(line), "the journal says the watchdog fired: %s" % (line[-1] if line else None), journal_dump)


def stop(started):
    run("systemctl", "stop", UNIT, check=True, timeout=120)
    s = show("ActiveState", "Result", "ExecMainStatus")
    h.check(s["ActiveState"] in ("inactive", "failed"), "systemctl stop: %s" % s)
    h.check(not started or s["Result"] == "success", "stopped cleanly (Result=%s, exit status %s)" % (s["Result"],
                                                                                      s["ExecMainStatus"]),
            journal_dump)
    for what in ("prog", "link"):
        out = run(BPFTOOL, what, "list")
        names = re.findall(r"\bname (clawos_\w+)", out.stdout)
        h.check(out.returncode == 0 and not names, "bpftool %s list shows no clawos_* (%s)" % (what, names[:5]))
    h.check(not os.path.exists(SOCKET), "the socket is gone")


def main():
    h.log("kernel: %s" % os.uname().release)
    with open("/sys/kernel/security/lsm") as f:
        h.log("lsm: %s" % f.read().strip())
    state = run("systemctl", "is-system-running", "--wait", timeout=200).stdout.strip()
    h.log("system state: %s" % state)
    h.check(state in ("running", "degraded"), "the boot settles")
    if state != "running":
        h.log(run("systemctl", "--failed", "--no-pager").stdout)
    conf = os.environ.get("CLAWOS_VM_CONF", "/etc/clawos-ebpf/clawos-ebpf.conf")
    client = None
    step("install", install)
    step("security", security)
    started = step("start", start) is not None
    if started:
        step("status", status)
        client = step("socket", socket_client)
        step("anomaly", anomaly, client)
        step("reload", reload, client, conf)
        if client:
            client.close()
        step("kill", kill_restart)
        step("watchdog", watchdog)
    step("stop", stop, started)
    h.log("summary: " + " ".join("%s=%s" % r for r in results))
    if failed:
        journal_dump()
        raise h.TestFailure("failed steps: " + ", ".join(failed))


if __name__ == "__main__":
    h.run(main)
