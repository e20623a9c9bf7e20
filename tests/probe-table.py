#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The README's kernels x hooks x mechanism table, from the probe goldens
(tests/data/probe/*.json: `clawos-ebpf --probe --json` on each kernel of the
vm matrix and on the host; tests/vm/probe-goldens rewrites them).

    probe-table.py            print the table (markdown)
    probe-table.py --check    exit 1 when README.md's table differs from it
"""

import json
import os
import sys

ROOT = os.environ.get("CLAWOS_SOURCE_ROOT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
KERNELS = [("bullseye", "Debian 11"), ("bookworm", "Debian 12"), ("bookworm-backports", "Debian 12 backports"),
           ("host", "this project's CI host")]
BEGIN, END = "<!-- probe-table begin -->", "<!-- probe-table end -->"


def cell(hook):
    m = hook["mechanism"]
    if m == "lsm" and "dentry walk" in hook["reason"]:
        m = "lsm (path from the dentry walk)"
    return m if hook["state"] == "active" else "%s (%s)" % (m, hook["state"])


def table():
    probes = []
    for name, label in KERNELS:
        with open(os.path.join(ROOT, "tests", "data", "probe", name + ".json")) as f:
            probes.append((name, label, json.load(f)))
    head = ["hook"] + ["%s %s" % (label, p["kernel"].get("release", "?").split("-amd64")[0])
                       for _, label, p in probes]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows.append("| BPF-LSM usable | " + " | ".join(
        "yes" if any(h["loads"] for h in p["kernel"]["bpf_lsm"].values()) else "no" for _, _, p in probes) + " |")
    for hook in probes[0][2]["hooks"]:
        rows.append("| %s | %s |" % (hook, " | ".join(cell(p["hooks"][hook]) for _, _, p in probes)))
    return "\n".join(rows) + "\n"


def main():
    t = table()
    if "--check" not in sys.argv:
        sys.stdout.write(t)
        return 0
    readme = open(os.path.join(ROOT, "README.md")).read()
    if BEGIN not in readme or END not in readme:
        print("README.md has no probe table (%s ... %s)" % (BEGIN, END))
        return 1
    have = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    if have != t:
        print("README.md's kernel table differs from tests/data/probe (python3 tests/probe-table.py prints it):")
        print(t)
        return 1
    print("README.md's kernel table matches tests/data/probe")
    return 0


if __name__ == "__main__":
    sys.exit(main())
