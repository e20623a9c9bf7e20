#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The unit's CapabilityBoundingSet= is enough, and every member is needed.

The set (and SupplementaryGroups=) is read from the built unit file, never
copied here.  The agent runs as root under `setpriv --bounding-set` with
those capabilities only, as systemd would start it, and must:
  - attach every hook with the same mechanism and state as with full root,
    and tc programs to lo (interfaces = lo);
  - deliver exec, file open and connect records of triggered activity;
  - enrich as full root does: the exe of another user's process that
    started before the agent (read from /proc/PID/exe) and the path of a
    cgroup (open_by_handle_at on its id);
  - give the socket the unit's group without CAP_CHOWN;
  - leave none of its programs loaded after SIGTERM.
Then, for each capability in the set, a run without it must lose something
(fail to start, a hook, a record kind or an enrichment); a capability whose
removal changes nothing should leave the unit.

Usage: test-caps.py [AGENT [UNIT]]  (or $CLAWOS_AGENT, $CLAWOS_UNIT)
"""

import grp
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import clawos_harness as h

NOBODY = 65534
# nobody must be able to run it (a python below /root may not be)
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


def unit_path():
    p = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("CLAWOS_UNIT")
    if not p or not os.path.exists(p):
        h.hard_error("no unit file: pass it as argv[2] or set CLAWOS_UNIT (got %r)" % p)
    return p


def unit_settings(path):
    """CapabilityBoundingSet= members and SupplementaryGroups= of [Service]."""
    caps, groups, section = [], [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
                continue
            if section != "[Service]" or "=" not in line or line.startswith("#"):
                continue
            key, value = (s.strip() for s in line.split("=", 1))
            if key == "CapabilityBoundingSet":
                if value.startswith("~"):
                    h.hard_error("a negated CapabilityBoundingSet= is not supported by this test")
                caps = [] if not value else caps + value.split()
            elif key == "SupplementaryGroups":
                groups = [] if not value else groups + value.split()
    return caps, groups


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return mnt
    return None


class Run:
    """One agent run with a given bounding set (None: full root)."""

    def __init__(self, agent, wd, name, caps, gid, group):
        self.agent, self.wd, self.name, self.caps, self.gid, self.group = agent, wd, name, caps, gid, group
        self.exit = None
        self.records = []
        self.stderr = ""

    def command(self, config):
        cmd = [self.agent, "--foreground", "--config", config]
        if self.caps is None:
            return cmd
        bset = "-all" + "".join(",+" + c[4:].lower() for c in self.caps)
        pre = ["setpriv", "--bounding-set=" + bset, "--inh-caps=-all", "--ambient-caps=-all"]
        if self.gid is not None:
            pre.append("--groups=%d" % self.gid)  # SupplementaryGroups=
        return pre + ["--"] + cmd

    def run(self, cg_root):
        d = self.wd.join(self.name)
        os.mkdir(d)
        os.chmod(d, 0o755)
        # interfaces = lo: tc programs, attached over rtnetlink
        config = h.write_config(self.wd, name=self.name + ".conf", socket_path=os.path.join(d, "events.sock"),
                                socket_group=self.group or "", interfaces="lo")
        self.marker = os.path.join(d, "marker")
        self.sock_path = os.path.join(d, "events.sock")
        # Started before the agent, so that the agent never sees their exec:
        # another user's process (its exe only from /proc) and one in a cgroup
        # of its own (its path only through open_by_handle_at).
        nobody = subprocess.Popen(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--",
                                   PYTHON, "-c", "import sys; sys.stdin.readline(); open('/etc/hostname').read(); sys.stdin.read()"],
                                  stdin=subprocess.PIPE)
        self.nobody_pid = nobody.pid
        self.cgroup_id = None
        cg_proc, cg_dir = None, None
        if cg_root:
            cg_dir = os.path.join(cg_root, "clawos-test-caps-%d-%s" % (os.getpid(), self.name))
            try:
                os.mkdir(cg_dir)
                cg_proc = subprocess.Popen(["sh", "-c", "read x; cat /etc/hostname >/dev/null; read y"], stdin=subprocess.PIPE)
                with open(os.path.join(cg_dir, "cgroup.procs"), "w") as f:
                    f.write(str(cg_proc.pid))
                self.cgroup_id = os.stat(cg_dir).st_ino
                self.cgroup_name = "/" + os.path.basename(cg_dir)
            except OSError as e:
                h.log("note: no test cgroup (%s): cgroup paths are not compared" % e)
        out_path, err_path = os.path.join(d, "stdout"), os.path.join(d, "stderr")
        cmd = self.command(config)
        h.log("[%s] %s" % (self.name, " ".join(cmd)))
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            started = h.wait_for(lambda: proc.poll() is not None or b'"event":"startup"' in open(out_path, "rb").read(),
                                 30, what="the startup record")
            if proc.poll() is None and started:
                self.sock_stat = os.stat(self.sock_path) if os.path.exists(self.sock_path) else None
                self.trigger()
                # the helpers act now and stay alive until their records are
                # decoded: /proc/PID/exe is read then
                for p in (nobody, cg_proc):
                    if p:
                        p.stdin.write(b"go\n")
                        p.stdin.flush()
                h.wait_for(lambda: self.complete(out_path), 5, what="the triggered records")
                for p in (nobody, cg_proc):
                    if p:
                        p.stdin.close()
                        p.wait(10)
                self.held = h.bpf_prog_ids_of(proc.pid)
                proc.send_signal(signal.SIGTERM)
            self.exit = proc.wait(15)
        finally:
            for p in (proc, nobody, cg_proc):
                if p and p.poll() is None:
                    p.kill()
                    p.wait(5)
            if cg_dir and os.path.isdir(cg_dir):
                os.rmdir(cg_dir)
        self.records = self.read(out_path)
        with open(err_path, errors="replace") as f:
            self.stderr = f.read()
        return self

    def trigger(self):
        subprocess.run(["/bin/true", "clawos-caps-" + self.name], check=True)
        open(self.marker, "w").close()
        s = socket.socket()
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", 9))  # discard: nobody listens, the attempt is what counts
        except OSError:
            pass
        s.close()

    @staticmethod
    def read(path):
        import json
        out = []
        with open(path, "rb") as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def complete(self, out_path):
        self.records = self.read(out_path)
        r = self.result()
        return r["exec"] and r["open"] and r["connect"] and r["nobody"] and (not self.cgroup_id or r["cgroup"])

    def result(self):
        recs = self.records
        startup = next((r for r in recs if r.get("event") == "startup"), None)
        nobody = [r for r in recs if h.dig(r, "process", "pid") == self.nobody_pid]
        cg = [r for r in recs if self.cgroup_id and h.dig(r, "process", "cgroup_id") == self.cgroup_id]
        return {
            "started": startup is not None,
            "hooks": {k: (v.get("mechanism"), v.get("state")) for k, v in (h.dig(startup, "hooks") or {}).items()},
            "bpf_lsm": h.dig(startup, "bpf_lsm"),
            "exec": any(r.get("event") == "exec" and "clawos-caps-" + self.name in (h.dig(r, "exec", "argv") or [])
                        for r in recs),
            "open": any(r.get("event") == "file_access" and h.dig(r, "file", "path") == self.marker for r in recs),
            "connect": any(r.get("event") == "network" and h.dig(r, "network", "op") == "connect"
                           and h.dig(r, "network", "port") == 9 for r in recs),
            "nobody": bool(nobody),
            "nobody_exe": sorted({h.dig(r, "process", "exe") or "" for r in nobody}),
            "cgroup": sorted({h.dig(r, "process", "cgroup") or "" for r in cg}),
            "iface": any("Interface lo" in l and "attached" in l for l in self.stderr.splitlines()),
        }


def perf_event_paranoid():
    try:
        with open("/proc/sys/kernel/perf_event_paranoid") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 2


def main():
    h.require_root_bpf()
    agent = h.agent_path()
    caps, groups = unit_settings(unit_path())
    if not shutil.which("setpriv"):
        h.skip("setpriv (util-linux) is missing")
    if subprocess.run(["setpriv", "--bounding-set=-all,+bpf,+perfmon", "--", "true"],
                      capture_output=True).returncode != 0:
        h.skip("setpriv does not know CAP_BPF/CAP_PERFMON (util-linux/libcap-ng too old)")
    h.log("unit: CapabilityBoundingSet=%s SupplementaryGroups=%s" % (" ".join(caps), " ".join(groups)))
    h.check("CAP_BPF" in caps and "CAP_PERFMON" in caps, "the set starts from CAP_BPF CAP_PERFMON")
    # The unit's group may not exist on a test machine: a stand-in plays it.
    group, gid = None, None
    if groups:
        for name in (groups[0], "daemon", "nogroup"):
            try:
                gid, group = grp.getgrnam(name).gr_gid, name
                break
            except KeyError:
                continue
        h.log("socket group: %s (gid %s) for the unit's %s" % (group, gid, groups[0]))
    cg_root = cgroup2_root()

    with h.Workdir("clawos-caps-") as wd:
        root = Run(agent, wd, "root", None, None, group).run(cg_root)
        ref = root.result()
        h.log("full root: %s" % ref)
        h.check(root.exit == 0 and ref["started"], "the agent runs as full root (exit %s)" % root.exit,
                lambda: h.log(root.stderr[-3000:]))
        for k in ("exec", "open", "connect", "nobody", "iface"):
            h.check(ref[k], "full root: %s" % k, lambda: h.log(root.stderr[-3000:]))

        unit = Run(agent, wd, "unit", caps, gid, group).run(cg_root)
        res = unit.result()
        h.log("unit's set: %s" % res)
        diag = lambda: h.log(unit.stderr[-3000:])  # noqa: E731
        h.check(unit.exit == 0 and res["started"], "the agent runs under the unit's set (exit %s)" % unit.exit, diag)
        h.check(res["hooks"] == ref["hooks"], "same hooks, mechanisms and states as full root", diag)
        h.check(res["bpf_lsm"] == ref["bpf_lsm"], "same BPF-LSM use as full root (%s)" % ref["bpf_lsm"])
        for k in ("exec", "open", "connect"):
            h.check(res[k], "%s record under the unit's set" % k, diag)
        h.check(res["iface"], "tc programs attached to lo under the unit's set", diag)
        h.check(res["nobody_exe"] == ref["nobody_exe"] and "" not in ref["nobody_exe"],
                "another user's process: exe %s as with full root" % res["nobody_exe"])
        if unit.cgroup_id:
            h.check(ref["cgroup"] == [root.cgroup_name] and res["cgroup"] == [unit.cgroup_name],
                    "cgroup path %s as with full root (%s)" % (res["cgroup"], ref["cgroup"]))
        if group:
            st = unit.sock_stat
            h.check(st is not None and st.st_gid == gid,
                    "the socket belongs to group %s without CAP_CHOWN (gid %s)" % (group, st and st.st_gid))
        h.wait_for(lambda: not unit.held & set(h.bpf_progs()), 5, what="the programs to be freed")
        h.check(unit.held and not unit.held & set(h.bpf_progs()),
                "none of the %d programs is left after SIGTERM" % len(unit.held))

        # Every member is needed: without it, something is lost.  CAP_SYS_ADMIN
        # is only needed under Debian's perf_event_paranoid = 3 (the vm suite
        # proves it); as a superset of CAP_BPF and CAP_PERFMON it would hide
        # their need, so where paranoid <= 2 the others are checked without it.
        minimal = [c for c in caps if c != "CAP_SYS_ADMIN"] if perf_event_paranoid() <= 2 else caps
        if minimal != caps:
            h.log("note: kernel.perf_event_paranoid = %d: CAP_SYS_ADMIN is not needed here" % perf_event_paranoid())
            run = Run(agent, wd, "minimal", minimal, gid, group).run(cg_root)
            r = run.result()
            h.check(run.exit == 0 and r["started"] and r["hooks"] == ref["hooks"] and all(
                r[k] for k in ("exec", "open", "connect")), "the set without CAP_SYS_ADMIN attaches everything here")
        for cap in minimal:
            rest = [c for c in minimal if c != cap]
            run = Run(agent, wd, "no-" + cap[4:].lower(), rest, gid, group).run(cg_root)
            r = run.result()
            lost = [k for k in ("exec", "open", "connect") if not r[k]]
            if not r["started"] or run.exit != 0:
                lost.append("start (exit %s: %s)" % (run.exit, (run.stderr.strip().splitlines() or [""])[-1]))
            else:
                lost += ["hook " + k for k in ref["hooks"] if r["hooks"].get(k) != ref["hooks"][k]]
                if not r["iface"]:
                    lost.append("tc programs on lo")
                if r["nobody_exe"] != ref["nobody_exe"]:
                    lost.append("exe of another user's process")
                if run.cgroup_id and r["cgroup"] != [run.cgroup_name]:
                    lost.append("cgroup path")
            h.check(lost, "without %s the agent loses: %s" % (cap, "; ".join(lost) or "nothing (drop it?)"))


if __name__ == "__main__":
    h.run(main)
