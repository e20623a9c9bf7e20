#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""False positives of SigmaHQ's Linux rules on ordinary work: with all of
../shared/sigma loaded, a compile, apt-get --help, find /usr and a git
session raise no sigma anomaly of level high or critical; every hit of a
lower level is reported per rule (they are what an operator would see)."""

import collections
import os
import shutil
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

T = 30


def shared_sigma():
    d = os.environ.get("CLAWOS_SHARED")
    d = os.path.join(d, "sigma") if d else os.path.join(h.SOURCE_ROOT, "..", "shared", "sigma")
    return os.path.abspath(d) if os.path.isdir(d) else None


def workloads(wd):
    src = wd.join("hello.c")
    with open(src, "w") as f:
        f.write("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n")
    repo = wd.join("repo")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-C", repo]
    return [
        ("compile", [["cc", "-O2", "-o", wd.join("hello"), src], [wd.join("hello")]]),
        ("apt-get --help", [["apt-get", "--help"]]),
        ("find /usr", [["find", "/usr", "-maxdepth", "5"]]),
        ("git", [["git", "init", "-q", repo], git + ["add", "."], git + ["commit", "-q", "--allow-empty", "-m", "x"],
                 git + ["log", "--oneline"], git + ["status", "--short"], git + ["diff", "HEAD"]]),
    ]


def main():
    sigma = shared_sigma()
    if not sigma:
        h.skip("no SigmaHQ test data (set CLAWOS_SHARED or put it at ../shared/sigma)")
    h.require_root_bpf()
    binary = h.agent_path()
    me = os.getpid()
    with h.Workdir() as wd:
        os.makedirs(wd.join("repo"))
        with open(wd.join("repo", "README"), "w") as f:
            f.write("x\n")
        conf = h.write_config(wd, sigma_rules=sigma, anomaly_cooldown="0", include_path_prefix=wd.join(""))
        agent = h.Agent(binary, conf, wd)
        try:
            agent.start(wd.join("events.sock"), timeout=60)
            loaded = [r for r in agent.stdout_records() if r.get("event") == "rules_loaded"]
            h.check(loaded and loaded[0]["rules"]["loaded"] >= 160 and loaded[0]["rules"]["error"] == 0,
                    "the SigmaHQ rules loaded (%s)" % (loaded[0]["rules"] if loaded else None))
            ran = []
            for name, cmds in workloads(wd):
                if not shutil.which(cmds[0][0]) and not os.path.exists(cmds[0][0]):
                    h.log("(no %s here)" % cmds[0][0])
                    continue
                for c in cmds:
                    subprocess.run(c, capture_output=True, timeout=300)
                ran.append(name)
            marker = uuid.uuid4().hex
            subprocess.run(["/bin/true", marker])
            h.check(agent.client.wait_for(lambda r: r["event"] == "exec" and marker in r["exec"]["argv"], T)
                    is not None, "the workloads' records were read (%s)" % ", ".join(ran), agent.dump)
            time.sleep(0.5)
            ours = [r for r in agent.client.snapshot() if r["event"] == "anomaly" and r["anomaly"]["kind"] == "sigma"
                    and (r["process"]["pid"] == me or any(a["pid"] == me for a in r["anomaly"]["ancestry"]))]
            per_rule = collections.Counter((r["anomaly"]["sigma"]["level"], r["anomaly"]["description"])
                                           for r in ours)
            for (level, title), n in sorted(per_rule.items()):
                h.log("  hit: %-13s %3d  %s" % (level, n, title))
            h.log("%d sigma hits from ordinary workloads (%s), %d rules" % (len(ours), ", ".join(ran), len(per_rule)))
            loud = [r for r in ours if r["anomaly"]["sigma"]["level"] in ("high", "critical")]
            h.check(not loud, "no high or critical hit from ordinary workloads (%s)" %
                    [(r["anomaly"]["description"], r["anomaly"]["sigma"]["matched"]) for r in loud[:3]])
        finally:
            agent.stop(timeout=20)  # ASan: the leak check at exit scans the rules too


if __name__ == "__main__":
    h.run(main)
