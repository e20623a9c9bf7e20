#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Start, reload and stop the agent on BPF-LSM with enforcement, over and over, while a
workload opens, execs and connects on both CPUs; run inside the guest by test-vm-stress.sh.

Each round: start (file_access_violation_mode = 2, a protected file the workload keeps
trying to read), wait for the startup record and a denied open, SIGHUP and wait for
config_changed, then SIGTERM (every third round SIGKILL, so that the next start follows a
teardown of programs and maps by the kernel, and reports the kill).  The guest kernel
panics on a soft lockup, hung task or RCU stall (vm-run's kernel command line), so a hang
ends the boot with both CPUs' stacks on the console instead of a silent timeout.

  guest-stress.py AGENT [ROUNDS]        (ROUNDS default $CLAWOS_STRESS_ROUNDS or 6)

For diagnosis, CLAWOS_STRESS_MODE picks what is repeated under the same workload:
  agent (default)  the agent's whole start/reload/stop as above;
  cycle            attach and detach the agent's own programs (attach-cycle, from
                   $CLAWOS_ATTACH_CYCLE), ROUNDS times, the object loaded once;
  cycle-reload     the same, loading and freeing the whole object every round;
  nobpf            no BPF at all: enable and disable trace events through tracefs
                   (the same static-key code patching), ROUNDS times.
"""

import errno
import os
import re
import signal
import socket
import subprocess
import sys
import time

SOURCE_ROOT = os.environ.get("CLAWOS_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "root"))
import clawos_harness as h  # noqa: E402

T = 300  # a start under TCG takes 5-20 s, much more on a busy host; generous


def worker(cpu, prot, stop_at, port):
    """One CPU's share of the workload: opens (the protected file too), execs, connects."""
    os.sched_setaffinity(0, {cpu})
    h.set_comm("clawt-load%d" % cpu)
    n = 0
    while time.monotonic() < stop_at:
        for path in ("/etc/hostname", prot, "/nonexistent/clawt"):
            try:
                os.close(os.open(path, os.O_RDONLY))
            except OSError:
                pass
        if n % 8 == 0:
            subprocess.run(["/bin/true"], check=False)
        if n % 4 == 0:
            s = socket.socket()
            try:
                s.settimeout(1)
                s.connect(("127.0.0.1", port))
            except OSError:
                pass
            finally:
                s.close()
        n += 1
    os._exit(0)


def start_load(prot, seconds, port):
    pids = []
    for cpu in range(os.cpu_count() or 1):
        pid = os.fork()
        if pid == 0:
            try:
                worker(cpu, prot, time.monotonic() + seconds, port)
            finally:
                os._exit(0)
        pids.append(pid)
    return pids


def one_round(binary, conf, wd, i, kill):
    sock = wd.join("stress.sock")
    agent = h.Agent(binary, conf, wd, name="stress%d" % i)
    t0 = time.monotonic()
    try:
        agent.start(sock, timeout=T)
        h.check(agent.hook_mechanism("file_open") == "lsm", "round %d: file_open on lsm" % i)
        denied = agent.client.wait_for(
            lambda r: r.get("event") == "anomaly" and h.dig(r, "anomaly", "kind") == "file_violation"
            and h.dig(r, "anomaly", "enforced") is True,
            T, what="an enforced file_violation")
        h.check(denied is not None, "round %d: the workload's reads of the protected file are denied" % i)
        start = agent.client.count()
        agent.proc.send_signal(signal.SIGHUP)
        changed = agent.client.wait_for(lambda r: r.get("event") in ("config_changed", "config_reload_failed"),
                                        T, what="the reload's record", start=start)
        h.check(changed is not None, "round %d: the reload is answered" % i)
        if kill:
            agent.proc.kill()
            agent.proc.wait(T)
            agent.client.close()
            os.unlink(sock)  # left behind by the killed agent; start() waits for a new one
            h.log("round %d: SIGKILLed after %.1f s" % (i, time.monotonic() - t0))
        else:
            agent.stop(timeout=T)
            h.log("round %d: stopped after %.1f s" % (i, time.monotonic() - t0))
    finally:
        agent.kill()


def cycle(rounds, reload):
    tool = os.environ.get("CLAWOS_ATTACH_CYCLE")
    h.check(tool and os.access(tool, os.X_OK), "attach-cycle is built (CLAWOS_ATTACH_CYCLE=%s)" % tool)
    cmd = [tool] + (["--reload"] if reload else []) + [str(rounds)]
    h.log("running: " + " ".join(cmd))
    rc = subprocess.run(cmd).returncode
    h.check(rc == 0, "attach-cycle exits 0 (got %d)" % rc)


def toggle_events(rounds):
    """Static keys patched through tracefs alone: no BPF program anywhere."""
    events = ["syscalls/sys_enter_openat", "syscalls/sys_exit_openat", "sched/sched_process_exec",
              "sched/sched_process_fork", "syscalls/sys_enter_connect"]
    t0 = time.monotonic()
    for i in range(rounds):
        for on in (b"1", b"0"):
            for e in events:
                with open("/sys/kernel/tracing/events/%s/enable" % e, "wb") as f:
                    f.write(on)
        if i % 10 == 0:
            h.log("nobpf: %d rounds of toggles (%.0f s)" % (i, time.monotonic() - t0))


# Kernel log lines that mean the guest is not well (the command line, which names the
# panic switches, excepted).
KERNEL_PROBLEMS = re.compile(r"BUG: |soft lockup|hard LOCKUP|rcu: INFO: rcu_|detected stalls|blocked for more than"
                             r"|Oops|WARNING: CPU|general protection fault|Kernel panic|Call Trace")


def kernel_problems():
    out = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if KERNEL_PROBLEMS.search(line) and "command line" not in line.lower()]


def main():
    h.require_root_bpf()
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ["CLAWOS_AGENT"])
    rounds = int(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("CLAWOS_STRESS_ROUNDS", "6"))
    wd = h.Workdir(prefix="clawos-stress-")
    prot = wd.join("prot")
    with open(prot, "w") as f:
        f.write("secret\n")
    conf = h.write_config(wd, name="stress.conf", socket_path=wd.join("stress.sock"), file_access_violation_mode=2,
                          anomaly_cooldown=0, protected_paths="/etc/shadow, " + prot)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    # accept and close in a thread-free way: a forked acceptor
    acceptor = os.fork()
    if acceptor == 0:
        h.set_comm("clawt-accept")
        while True:
            try:
                c, _ = listener.accept()
                c.close()
            except OSError as e:
                if e.errno != errno.EINTR:
                    os._exit(0)
    load = start_load(prot, 24 * 3600, port)
    t0 = time.monotonic()
    try:
        mode = os.environ.get("CLAWOS_STRESS_MODE", "agent")
        if mode == "agent":
            for i in range(rounds):
                one_round(binary, conf, wd, i, kill=(i % 3 == 2))
        elif mode in ("cycle", "cycle-reload"):
            cycle(rounds, mode == "cycle-reload")
        elif mode == "nobpf":
            toggle_events(rounds)
        else:
            h.hard_error("unknown CLAWOS_STRESS_MODE %r" % mode)
        h.log("%d rounds in %.0f s" % (rounds, time.monotonic() - t0))
    finally:
        for pid in load + [acceptor]:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        wd.cleanup()
    problems = kernel_problems()
    h.check(not problems, "the guest kernel logged no lockup, stall, oops or warning",
            lambda: h.log("\n".join(problems[:40])))


if __name__ == "__main__":
    h.run(main)
