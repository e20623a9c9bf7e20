#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""clawos-ebpf --probe: what the kernel allows and the mechanism per hook.

Right on both kinds of kernel: where BPF-LSM loads (bpf listed in
/sys/kernel/security/lsm and the probe's own LSM program loads) the LSM
hooks must say "lsm"; where it is refused they must name a fallback and the
reason."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

# hook of the plan -> its BPF-LSM probe in kernel.bpf_lsm
LSM_HOOKS = {"file_open": "file_open", "connect": "socket_connect", "bind": "socket_bind",
             "listen": "socket_listen", "socket_create": "socket_create"}
FALLBACKS = ("tracepoint", "cgroup")
# hooks every agent has; newer ones may be added
ALL_HOOKS = ("exec", "open", "file_open", "connect", "bind", "listen", "accept", "socket_create",
             "sendmsg", "cgroup_skb")
STATES = ("active", "degraded", "missing")


def run(binary, *args):
    p = subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=60)
    h.check(p.returncode == 0, "%s exits 0 (got %d)" % (" ".join(args), p.returncode),
            lambda: h.log(p.stderr))
    return p.stdout


def lsm_list():
    try:
        with open("/sys/kernel/security/lsm") as f:
            return f.read().strip().split(",")
    except OSError:
        return None


def check_kernel(k, no_lsm):
    h.check(k["btf"] is True, "kernel.btf true (BTF is there: the test skips otherwise)")
    h.check(k["ringbuf"] is True, "kernel.ringbuf true")
    listed = lsm_list()
    if listed is not None:
        h.check(k["bpf_lsm_listed"] == ("bpf" in listed),
                "bpf_lsm_listed %s matches /sys/kernel/security/lsm %s" % (k["bpf_lsm_listed"], listed))
    h.check(set(k["bpf_lsm"]) == set(LSM_HOOKS.values()), "kernel.bpf_lsm has one entry per LSM hook")
    for name, v in k["bpf_lsm"].items():
        if v["loads"]:
            h.check(not no_lsm, "bpf_lsm.%s loads only without --no-lsm" % name)
            h.check(v["reason"] is None, "bpf_lsm.%s: no reason when it loads" % name)
        else:
            h.check(isinstance(v["reason"], str) and v["reason"],
                    "bpf_lsm.%s loads false with a reason (%r)" % (name, v["reason"]))
            if no_lsm:
                h.check("--no-lsm" in v["reason"], "bpf_lsm.%s reason names --no-lsm" % name)


def check_hooks(o, no_lsm):
    k, hooks = o["kernel"], o["hooks"]
    h.check(set(ALL_HOOKS) <= set(hooks), "hooks %s include %s" % (sorted(hooks), sorted(ALL_HOOKS)))
    listed = lsm_list() or []
    for hook, probe in LSM_HOOKS.items():
        st, lsm = hooks[hook], k["bpf_lsm"][probe]
        if "bpf" in listed and lsm["loads"] and not no_lsm:
            h.check(st["mechanism"] == "lsm", "%s uses BPF-LSM where the kernel allows it (got %s)" % (hook, st["mechanism"]))
        else:
            h.check(st["mechanism"] in FALLBACKS, "%s falls back to %s" % (hook, st["mechanism"]))
            h.check(lsm["reason"] in st["reason"],
                    "%s reason %r mentions the refusal %r" % (hook, st["reason"], lsm["reason"]))
        h.check(st["state"] == "active", "%s state active (got %s)" % (hook, st["state"]))
    for hook in ALL_HOOKS:
        h.check(hooks[hook]["mechanism"] not in ("none", "unknown"), "%s has a mechanism (%s)" % (hook, hooks[hook]["mechanism"]))
        h.check(hooks[hook]["state"] == "active", "%s is active here (%s)" % (hook, hooks[hook]["state"]))
    for hook, st in hooks.items():
        h.check(st["state"] in STATES, "%s state %r is known" % (hook, st["state"]))
        if st["state"] != "active":
            h.check(bool(st["reason"]), "%s is %s and says why (%r)" % (hook, st["state"], st["reason"]))


def check_this_host(o):
    """The documented host (ENVIRONMENT.md): bpf listed, yet every LSM load refused with EPERM."""
    refused = [n for n, v in o["kernel"]["bpf_lsm"].items() if not v["loads"]]
    if not refused:
        h.log("note: BPF-LSM loads on this kernel; the fallback branch is tested in a guest")
        return
    for n in refused:
        r = o["kernel"]["bpf_lsm"][n]["reason"]
        h.check("refuse" in r or "not an active LSM" in r, "bpf_lsm.%s reason says why (%r)" % (n, r))


def check_text(binary, o):
    out = run(binary, "--probe")
    lines = out.splitlines()
    head = [i for i, l in enumerate(lines) if l.split() == ["HOOK", "MECHANISM", "STATE", "REASON"]]
    h.check(len(head) == 1, "text form prints the HOOK/MECHANISM/STATE/REASON table", lambda: h.log(out))
    rows = {}
    for l in lines[head[0] + 1:]:
        f = l.split(None, 3)
        if len(f) >= 3:
            rows[f[0]] = (f[1], f[2])
    for hook, st in o["hooks"].items():
        h.check(rows.get(hook) == (st["mechanism"], st["state"]),
                "text row %s: %s (JSON says %s %s)" % (hook, rows.get(hook), st["mechanism"], st["state"]))
    h.check("kernel features" in out and "bpf_lsm" in out, "text form prints the kernel features")


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    o = json.loads(run(binary, "--probe", "--json"))
    h.log("lsm list: %s" % lsm_list())
    check_kernel(o["kernel"], False)
    check_hooks(o, False)
    check_this_host(o)
    check_text(binary, o)
    n = json.loads(run(binary, "--probe", "--json", "--no-lsm"))
    check_kernel(n["kernel"], True)
    check_hooks(n, True)
    for hook in LSM_HOOKS:
        h.check(n["hooks"][hook]["mechanism"] in FALLBACKS, "--no-lsm: %s on a fallback" % hook)
    p = subprocess.run([binary, "--json"], capture_output=True, text=True, timeout=30)
    h.check(p.returncode == 2, "--json alone is a usage error (2, got %d)" % p.returncode)


if __name__ == "__main__":
    h.run(main)
