#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Conformance with SigmaHQ's Linux process_creation rules: for each rule
whose tests are on Image, CommandLine, CurrentDirectory, User and the
parent's Image and CommandLine only, a harmless exec built to satisfy it
(a copy of /bin/true at a path named like the tool, started with the
matching arguments, from the matching directory, by a parent named and
started like the rule's parent) must raise that rule's sigma anomaly, and a
near miss (one character of one tested value changed) must not.

The rules are test data of ../shared/sigma (DRL 1.1: used from there, never
copied).  Cases are proposed by sigma_solver.py and checked offline with
`clawos-ebpf match` (the same engine) before they run; a rule that cannot
be built (a regex construct, a user other than root) is counted, not
failed.  Paths outside the work directory live in private overlay mounts,
so nothing on the host changes."""

import ctypes
import json
import os
import shutil
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
import sigma_solver  # noqa: E402

SPAWNER_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
/* The parent of a case: runs the child named in the spec file of
 * $CLAWOS_SPEC (path, cwd, then argv, NUL-separated) and waits for it. */
int main(void)
{
	static char buf[65536], *argv[1024];
	const char *spec = getenv("CLAWOS_SPEC");
	int fd = spec ? open(spec, O_RDONLY) : -1, n = 0, status;
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	char *p = buf, *end;
	pid_t pid;

	if (len <= 0)
		return 100;
	end = buf + len;
	while (p < end && n < 1023) {
		argv[n++] = p;
		p += strlen(p) + 1;
	}
	if (n < 3)
		return 101;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		if (chdir(argv[1]) < 0)
			_exit(102);
		execv(argv[0], argv + 2);
		_exit(103);
	}
	if (pid > 0) { /* the test finds the case's records by this pid */
		char path[4096], text[32];
		int pf, tl = snprintf(text, sizeof(text), "%d", (int)pid);

		snprintf(path, sizeof(path), "%s.pid", spec);
		pf = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (pf < 0 || write(pf, text, tl) != tl)
			return 106;
		close(pf);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 104;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 105;
}
"""

T = 30
_libc = ctypes.CDLL(None, use_errno=True)


def shared_sigma():
    d = os.environ.get("CLAWOS_SHARED")
    d = os.path.join(d, "sigma") if d else os.path.join(h.SOURCE_ROOT, "..", "shared", "sigma")
    return os.path.abspath(d) if os.path.isdir(d) else None


def process_creation_rules(root):
    out = []
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith((".yml", ".yaml")):
                continue
            path = os.path.join(dirpath, f)
            with open(path) as fh:
                for doc in yaml.safe_load_all(fh):
                    if isinstance(doc, dict) and (doc.get("logsource") or {}).get("category") == "process_creation":
                        out.append((path, doc))
    return out


def only_process_fields(rule):
    det = rule.get("detection") or {}
    for k, v in det.items():
        if k in ("condition", "timeframe"):
            continue
        for m in (v if isinstance(v, list) else [v]):
            if not isinstance(m, dict):
                return False
            for key in m:
                if key.split("|")[0] not in sigma_solver.FIELDS:
                    return False
    return True


class Cases:
    """Each case is a parent exec and a child exec, with pids for the
    offline records; offline hits are looked up by (rule id, child pid)."""

    def __init__(self, wd):
        self.wd = wd
        self.items = []

    def records(self, case, n):
        ppid, cpid = 100000 + 2 * n, 100001 + 2 * n
        parent = {"event": "exec", "process": {"pid": ppid, "ppid": 1, "uid": 0, "user": "root", "comm": "p"},
                  "exec": {"success": True, "filename": case.get("ParentImage", self.wd + "/parent"),
                           "argv": case.get("ParentCommandLine", "parent").split(" "), "cwd": "/"}}
        child = {"event": "exec", "process": {"pid": cpid, "ppid": ppid, "uid": 0, "user": "root", "comm": "c"},
                 "exec": {"success": True, "filename": case.get("Image", self.wd + "/tool"),
                          "argv": case.get("CommandLine", "tool").split(" "),
                          "cwd": case.get("CurrentDirectory", self.wd)}}
        return cpid, [parent, child]


def offline_hits(binary, rules_dir, wd, cases):
    """{child pid: set of rule ids} of every case through `match`."""
    path = os.path.join(wd, "cases.ndjson")
    pids = []
    with open(path, "w") as f:
        for n, case in enumerate(cases):
            cpid, recs = Cases(wd).records(case, n)
            pids.append(cpid)
            for r in recs:
                f.write(json.dumps(r) + "\n")
    p = subprocess.run([binary, "match", "--quiet", "--rules", rules_dir, path], capture_output=True, text=True,
                       timeout=300)
    if p.returncode not in (0, 65):
        h.hard_error("match failed (%d): %s" % (p.returncode, p.stderr[-500:]))
    hits = {pid: set() for pid in pids}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        hits.setdefault(o["process"]["pid"], set()).add(o["anomaly"]["rule"])
    return [hits[pid] for pid in pids]


# ---------------------------------------------------------------- live

MS_RDONLY = 1


def overlay(top, base):
    """A private, writable view of a top-level directory (/usr, /var, ...)."""
    upper, work = os.path.join(base, "upper"), os.path.join(base, "work")
    os.makedirs(upper)
    os.makedirs(work)
    opts = "lowerdir=%s,upperdir=%s,workdir=%s" % (top, upper, work)
    if _libc.mount(b"overlay", top.encode(), b"overlay", 0, opts.encode()) != 0:
        raise OSError(ctypes.get_errno(), "overlay on %s" % top)


def writable_paths(paths, wd, quiet=False):
    """The top-level directories to overlay for the cases' paths outside
    wd, or None when one of them cannot be."""
    tops = set()
    for p in paths:
        if p and (p == "/dev/shm" or p.startswith("/dev/shm/")):
            tops.add("/dev/shm")  # a fresh tmpfs, not an overlay
        elif p and not p.startswith(wd + "/"):
            top = "/" + p.strip("/").split("/")[0]
            if top in ("/", "/tmp", "/proc", "/sys", "/dev", "/run") or os.path.islink(top) or \
                    not os.path.isdir(top):
                if not quiet:
                    h.log("cannot write %s in a private overlay" % p)
                return None
            tops.add(top)
    return tops


def canonical(case, wd):
    """Path fields as the kernel reports them (symbolic links of existing
    directories resolved, /bin -> /usr/bin on a merged-/usr system)."""
    out = dict(case)
    for f in sigma_solver.PATH_FIELDS:
        if out.get(f):
            d, b = os.path.split(out[f])
            out[f] = os.path.join(os.path.realpath(d), b) if b else os.path.realpath(d)
    return out


def safe_to_write(path, wd, tops):
    """Only the work directory and the private mounts are ever written."""
    return path.startswith(wd + "/") or any(path == t or path.startswith(t + "/") for t in tops)


def materialize(case, n, wd, spawner, tops):
    """The files a case needs; returns (parent path, parent argv, spec).
    The program and its parent are always our copies: whatever exists at
    their paths (in the private overlays) is replaced, never run."""
    image = case.get("Image", os.path.join(wd, "c%d" % n, "tool"))
    parent = case.get("ParentImage", os.path.join(wd, "p%d" % n, "parent"))
    cwd = case.get("CurrentDirectory", wd)
    for path, src in ((image, "/bin/true"), (parent, spawner)):
        if not safe_to_write(path, wd, tops):
            h.hard_error("refusing to write %s outside the work directory and the private mounts" % path)
        os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
        if os.path.isdir(path):
            h.hard_error("%s is a directory" % path)
        if os.path.lexists(path):
            os.unlink(path)
        shutil.copy(src, path)
        os.chmod(path, 0o755)
        with open(path, "rb") as a, open(src, "rb") as b:
            if a.read() != b.read():
                h.hard_error("%s is not a copy of %s" % (path, src))
    if not os.path.isdir(cwd):
        if not safe_to_write(cwd, wd, tops):
            h.hard_error("refusing to create %s" % cwd)
        os.makedirs(cwd, exist_ok=True)
    spec = os.path.join(wd, "spec%d" % n)
    argv = case.get("CommandLine", "tool").split(" ")
    with open(spec, "wb") as f:
        f.write(b"\0".join(x.encode() for x in [image, cwd] + argv) + b"\0")
    return parent, case.get("ParentCommandLine", "parent").split(" "), spec


def run_case(parent, pargv, spec):
    """(exit status, pid of the case's process)."""
    p = subprocess.run(pargv, executable=parent, env={"CLAWOS_SPEC": spec, "PATH": "/usr/bin:/bin"},
                       cwd="/", timeout=30, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    with open(spec + ".pid") as f:
        return p.returncode, int(f.read())


def main():
    sigma = shared_sigma()
    if not sigma:
        h.skip("no SigmaHQ test data (set CLAWOS_SHARED or put it at ../shared/sigma)")
    h.require_root_bpf()
    if not shutil.which("cc"):
        h.skip("no C compiler for the parent program")
    h.enter_private_mounts()
    binary = h.agent_path()
    mounts = []
    with h.Workdir(prefix="clawos-conf-") as wd:
        try:
            run(binary, sigma, wd, mounts)
        finally:
            # the private mounts go with this namespace; unmounted here so
            # that the work directory can be removed
            for m in reversed(mounts):
                _libc.umount2(m.encode(), 2)  # MNT_DETACH


def run(binary, sigma, wd, mounts):
    rules = process_creation_rules(sigma)
    cand = [(p, r) for p, r in rules if only_process_fields(r)]
    h.log("%d process_creation rules, %d test only Image, CommandLine, CurrentDirectory, User and Parent*" %
          (len(rules), len(cand)))
    # one directory of those rules, each file once, for the agent and match
    rules_dir = wd.join("rules")
    os.makedirs(rules_dir)
    for i, (p, r) in enumerate(cand):
        os.symlink(p, os.path.join(rules_dir, "%03d-%s" % (i, os.path.basename(p))))
    solved, cases, why = [], [], {}
    for p, r in cand:
        case, reason = sigma_solver.solve(r, wd.path)
        if case is None:
            why[r["id"]] = reason
            continue
        solved.append((p, r))
        cases.append(canonical(case, wd.path))
    hits = offline_hits(binary, rules_dir, wd.path, cases)
    confirmed = []
    for (p, r), case, hit in zip(solved, cases, hits):
        if r["id"] in hit:
            confirmed.append((p, r, case, [(f, canonical(m, wd.path)) for f, m in sigma_solver.near_misses(case)]))
        else:
            why[r["id"]] = "the proposed case does not satisfy it (offline)"
    # near misses, all in one run: one character of one tested field changed
    flat = [m for _, _, _, ms in confirmed for _, m in ms]
    mhits = iter(offline_hits(binary, rules_dir, wd.path, flat) if flat else [])
    good = []
    for p, r, case, ms in confirmed:
        miss = None
        for _, m in ms:
            hm = next(mhits)
            if miss is None and r["id"] not in hm and \
                    writable_paths([m.get(f) for f in sigma_solver.PATH_FIELDS], wd.path, quiet=True) is not None:
                miss = m
        if writable_paths([case.get(f) for f in sigma_solver.PATH_FIELDS], wd.path, quiet=True) is None:
            why[r["id"]] = "its paths cannot be made in a private mount: %s" % \
                [case.get(f) for f in sigma_solver.PATH_FIELDS if case.get(f)]
            continue
        good.append((p, r, case, miss))
    h.log("offline: %d rules built and confirmed by match, %d with a near miss; not built: %d" %
          (len(good), sum(1 for g in good if g[3]), len(why)))
    for rid, reason in sorted(why.items(), key=lambda x: x[1]):
        h.log("  not covered %s: %s" % (rid, reason))

    # the live run, in private overlays for paths outside the work dir
    paths = [c.get(f) for _, _, c, m in good for f in sigma_solver.PATH_FIELDS] + \
            [m.get(f) for _, _, _, m in good if m for f in sigma_solver.PATH_FIELDS]
    tops = writable_paths(paths, wd.path)
    if tops is None:
        h.hard_error("a case writes to a directory that cannot be overlaid")
    ovl = wd.join("ovl")
    os.makedirs(ovl)
    if _libc.mount(b"tmpfs", ovl.encode(), b"tmpfs", 0, b"mode=0755") != 0:
        h.skip("cannot mount a tmpfs for the overlays")
    mounts.append(ovl)
    for i, top in enumerate(sorted(tops)):
        if top == "/dev/shm":
            if _libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", 0, b"mode=1777") != 0:
                h.hard_error("cannot mount a private tmpfs on /dev/shm")
        else:
            overlay(top, os.path.join(ovl, str(i)))
        mounts.append(top)
    h.log("private overlays on %s" % ", ".join(sorted(tops)))
    spawner = wd.join("spawner")
    with open(spawner + ".c", "w") as f:
        f.write(SPAWNER_C)
    subprocess.run(["cc", "-O2", "-o", spawner, spawner + ".c"], check=True)

    conf = h.write_config(wd, sigma_rules=rules_dir, anomaly_cooldown="0", enable_file_monitoring="no")
    agent = h.Agent(binary, conf, wd)
    try:
        agent.start(wd.join("events.sock"))
        runs = []
        for n, (p, r, case, miss) in enumerate(good):
            parent, pargv, spec = materialize(case, 2 * n, wd.path, spawner, tops)
            rc, pid = run_case(parent, pargv, spec)
            h.check(rc == 0, "%s: the case ran (%d)" % (r["id"], rc))
            mpid = None
            if miss:
                mp, margv, mspec = materialize(miss, 2 * n + 1, wd.path, spawner, tops)
                rc, mpid = run_case(mp, margv, mspec)
                h.check(rc == 0, "%s: the near miss ran (%d)" % (r["id"], rc))
            runs.append((r, case, pid, miss, mpid))
        marker = wd.join("c-end", "tool")
        os.makedirs(os.path.dirname(marker))
        shutil.copy("/bin/true", marker)
        subprocess.run([marker, "clawos-conformance-end"])
        h.check(agent.client.wait_for(lambda x: x["event"] == "exec" and "clawos-conformance-end" in
                                      x["exec"]["argv"], T) is not None, "the agent read every case", agent.dump)
        time.sleep(0.5)
        fired = set()
        for x in agent.client.snapshot():
            if x["event"] == "anomaly" and x["anomaly"]["kind"] == "sigma":
                fired.add((x["anomaly"]["rule"], x["process"]["pid"]))
        ok_hits = ok_miss = 0
        for r, case, pid, miss, mpid in runs:
            h.check((r["id"], pid) in fired, "%s fires on its case: %s" % (r["id"], r["title"]),
                    lambda: h.log("  case %s" % case))
            ok_hits += 1
            if miss:
                h.check((r["id"], mpid) not in fired, "%s: its near miss does not fire" % r["id"],
                        lambda: h.log("  miss %s" % miss))
                ok_miss += 1
        h.log("COVERAGE: %d of %d process_creation rules fire on a real exec built for them "
              "(%d of them also checked against a near miss); %d of %d candidate rules not built" %
              (ok_hits, len(rules), ok_miss, len(cand) - len(good), len(cand)))
    finally:
        agent.stop(timeout=20)  # ASan: the leak check at exit scans the rules too


if __name__ == "__main__":
    h.run(main)
