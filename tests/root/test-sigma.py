#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Sigma rules, end to end: rules of our own for each category fire on a
real exec, a created file and a connect, as anomalies of kind sigma on the
socket (rule, matched values, the triggering record, ancestry) and in a
private journal (their own MESSAGE_ID, priority from the level); one per
rule and process per cool-down; a reload picks up new rule files and a
broken rule does not take the others down; `match` over the capture finds
the same hits; --check-rules says what loads and exits 65 on an error."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import siem_validate as sv  # noqa: E402

T = 15
MARK = "clawos-sigma-" + uuid.uuid4().hex[:12]

RULES = {
    "exec.yml": """title: clawos test - marked exec
id: 3c6e2a10-7d4b-4f51-9a0e-c1a500000001
status: test
level: high
tags:
    - attack.execution
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|endswith: '/true'
        CommandLine|contains: '%(mark)s-exec'
    parent:
        ParentImage|endswith:
            - '/sh'
            - '/dash'
            - '/bash'
    condition: selection and parent
""",
    "chain.yml": """title: clawos test - one process, three execs
id: 3c6e2a10-7d4b-4f51-9a0e-c1a500000002
level: medium
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        CommandLine|contains: '%(mark)s-chain'
    condition: selection
""",
    "file.yml": """title: clawos test - created file
id: 3c6e2a10-7d4b-4f51-9a0e-c1a500000003
level: critical
logsource:
    product: linux
    category: file_event
detection:
    selection:
        TargetFilename|endswith: '/%(mark)s.created'
    condition: selection
""",
    "net.yml": """title: clawos test - connect to a marked port
id: 3c6e2a10-7d4b-4f51-9a0e-c1a500000004
level: low
logsource:
    product: linux
    category: network_connection
detection:
    selection:
        Initiated: 'true'
        DestinationPort: %(port)d
        DestinationIp|cidr: 127.0.0.0/8
    condition: selection
""",
}


def write_rules(d, port):
    os.makedirs(d, exist_ok=True)
    for name, text in RULES.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text % {"mark": MARK, "port": port})


def sigma_hit(agent, rule_id, what, pred=lambda r: True, start=0):
    rec = agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["kind"] == "sigma"
                                and r["anomaly"]["rule"] == rule_id and pred(r), T, what=what, start=start)
    h.check(rec is not None, what, agent.dump)
    return rec


def in_journal(rec, sigma_id, priority):
    rule = rec["anomaly"]["rule"]
    found = h.wait_for(lambda: [e for e in h.journal_query("CLAWOS_EVENT=anomaly", "MESSAGE_ID=" + sigma_id)
                                if rule in (e.get("CLAWOS_JSON") or "") and
                                ('"pid":%d,' % rec["process"]["pid"]) in (e.get("CLAWOS_JSON") or "")],
                       T, interval=0.3, what="the sigma anomaly in the journal")
    h.check(bool(found), "journal holds the sigma anomaly of %s with its own MESSAGE_ID" % rule)
    e = found[0]
    h.check(int(e["PRIORITY"]) == priority, "journal priority %s from the level (want %d)" % (e["PRIORITY"], priority))
    h.check(e.get("MESSAGE", "").startswith("sigma "), "MESSAGE names the rule: %s" % e.get("MESSAGE"))
    h.check(json.loads(e["CLAWOS_JSON"])["anomaly"]["sigma"]["id"] == rule, "CLAWOS_JSON carries the sigma object")


def check_exec(agent, sigma_id):
    tag = MARK + "-exec"
    r = subprocess.run(["sh", "-c", "/bin/true %s; true" % tag], timeout=30)
    h.check(r.returncode == 0, "marked exec ran")
    rec = sigma_hit(agent, "3c6e2a10-7d4b-4f51-9a0e-c1a500000001", "sigma anomaly for the marked exec")
    a = rec["anomaly"]
    s = a["sigma"]
    h.check(a["severity"] == "high" and s["level"] == "high", "severity and level high")
    h.check(a["description"] == "clawos test - marked exec" and s["title"] == a["description"], "title")
    h.check(s["category"] == "process_creation" and s["tags"] == ["attack.execution"] and s["status"] == "test",
            "category, tags, status: %s" % h.short(s))
    h.check(s["file"].endswith("/exec.yml"), "file names the rule file")
    h.check(s["matched"].get("CommandLine") == "/bin/true " + tag, "matched CommandLine: %s" % s["matched"])
    h.check(s["matched"].get("Image") == os.path.realpath("/bin/true"), "matched Image")
    h.check(s["matched"].get("ParentImage", "").endswith(("/sh", "/dash", "/bash")),
            "matched ParentImage, from the process table: %s" % s["matched"].get("ParentImage"))
    h.check(a["subject"] == os.path.realpath("/bin/true"), "subject is the image")
    h.check(any(x["comm"] in ("sh", "dash", "bash") for x in a["ancestry"]), "ancestry: %s" % a["ancestry"])
    # the trigger names the exec record in the stream
    t = a["trigger"]
    ex = agent.client.find(lambda r: r["event"] == "exec" and r["cpu"] == t["cpu"] and r["seq"] == t["seq"]
                           and r["process"]["pid"] == rec["process"]["pid"])
    h.check(t["event"] == "exec" and len(ex) == 1 and tag in ex[0]["exec"]["argv"],
            "trigger (exec, cpu %s, seq %s) is the marked exec record" % (t["cpu"], t["seq"]))
    h.check(ex[0]["exec"]["cwd"] == os.getcwd(), "exec.cwd is the working directory (%s)" % ex[0]["exec"]["cwd"])
    in_journal(rec, sigma_id, 3)  # high: err


def check_dedup(agent):
    """Three execs of one process: one anomaly within the cool-down."""
    tag = MARK + "-chain"
    p = subprocess.run(["bash", "-c", "exec env X=1 /bin/true %s" % tag], timeout=30)
    h.check(p.returncode == 0, "exec chain ran")
    rid = "3c6e2a10-7d4b-4f51-9a0e-c1a500000002"
    rec = sigma_hit(agent, rid, "sigma anomaly for the exec chain")
    pid = rec["process"]["pid"]
    execs = agent.client.wait_for(lambda r: len([x for x in agent.client.snapshot() if x["event"] == "exec"
                                                 and x["process"]["pid"] == pid]) >= 3, T, what="the three execs")
    h.check(execs is not None, "three exec records of pid %d" % pid)
    hits = agent.client.find(lambda r: r["event"] == "anomaly" and r["anomaly"]["rule"] == rid)
    h.check(len(hits) == 1, "one anomaly for three matching execs of one process (%d)" % len(hits))


def check_file(agent, wd, sigma_id):
    path = wd.join(MARK + ".created")
    with open(path, "w") as f:
        f.write("x")
    rec = sigma_hit(agent, "3c6e2a10-7d4b-4f51-9a0e-c1a500000003", "sigma anomaly for the created file")
    s = rec["anomaly"]["sigma"]
    h.check(s["matched"] == {"TargetFilename": path}, "matched TargetFilename: %s" % s["matched"])
    h.check(rec["anomaly"]["trigger"]["event"] == "file_access" and rec["anomaly"]["subject"] == path,
            "trigger file_access, subject the file")
    h.check(rec["anomaly"]["severity"] == "critical", "critical")
    in_journal(rec, sigma_id, 2)  # critical: crit
    # opening it again creates nothing: the rule reads created files only
    start = agent.client.count()
    with open(path, "a") as f:
        f.write("y")
    seen = agent.client.wait_for(lambda r: r["event"] == "file_access" and r["file"]["path"] == path, T,
                                 start=start, what="the second open")
    h.check(seen is not None and seen["file"]["created"] is False, "a second open is not a creation")


def check_net(agent, port):
    srv = socket.socket()
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn, _ = srv.accept()
    def diag():
        for r in agent.client.find(lambda r: r["event"] in ("network", "anomaly") and
                                   r["process"]["pid"] == os.getpid()):
            h.log("  " + h.short(r, 900))
    rec = agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["kind"] == "sigma" and
                                r["anomaly"]["rule"] == "3c6e2a10-7d4b-4f51-9a0e-c1a500000004" and
                                r["process"]["pid"] == os.getpid(), T, what="sigma anomaly for the connect")
    h.check(rec is not None, "sigma anomaly for the connect", diag)
    m = rec["anomaly"]["sigma"]["matched"]
    h.check(m.get("DestinationPort") == str(port) and m.get("Initiated") == "true" and
            m.get("DestinationIp") == "127.0.0.1", "matched Initiated, DestinationIp, DestinationPort: %s" % m)
    h.check(rec["anomaly"]["subject"] == "127.0.0.1:%d" % port, "subject is the peer")
    for s in (c, conn, srv):
        s.close()


def check_reload(agent, rules_dir):
    """A new rule file and a broken one: the new one runs, the old ones too."""
    start = agent.client.count()
    with open(os.path.join(rules_dir, "new.yml"), "w") as f:
        f.write(RULES["chain.yml"].replace("one process, three execs", "added on reload")
                .replace("c1a500000002", "c1a500000005").replace("-chain", "-reload") % {"mark": MARK})
    with open(os.path.join(rules_dir, "broken.yml"), "w") as f:
        f.write("title: broken\nlogsource:\n  category: process_creation\ndetection:\n  sel:\n"
                "    CommandLine|re: 'a(b'\n  condition: sel\n")
    os.kill(agent.pid, signal.SIGHUP)
    rec = agent.client.wait_for(lambda r: r["event"] == "rules_loaded", T, start=start, what="rules_loaded")
    h.check(rec is not None and rec["reload"] is True, "rules_loaded after SIGHUP", agent.dump)
    h.check(rec["rules"] == {"loaded": 5, "unsupported": 0, "error": 2},
            "5 rules loaded; the broken one and the missing path errors: %s" % rec["rules"])
    h.check(rec["by_category"]["process_creation"]["error"] == 1, "by category: %s" % rec["by_category"])
    h.check("broken.yml:6" in agent.stderr() and "offset" in agent.stderr(),
            "the log names the broken rule's file and line")
    subprocess.run(["/bin/true", MARK + "-reload"])
    sigma_hit(agent, "3c6e2a10-7d4b-4f51-9a0e-c1a500000005", "the rule added on reload fires", start=start)
    subprocess.run(["sh", "-c", "/bin/true %s-exec; true" % MARK])
    sigma_hit(agent, "3c6e2a10-7d4b-4f51-9a0e-c1a500000001", "an old rule still fires after the reload",
              start=start)


def check_match(binary, agent, wd, rules_dir):
    """The capture through `match`: the same hits, every one (no cool-down)."""
    cap = wd.join("capture.ndjson")
    recs = agent.client.snapshot()
    with open(cap, "w") as f:
        for r in recs:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    p = subprocess.run([binary, "match", "--rules", rules_dir, cap], capture_output=True, text=True, timeout=120)
    h.check(p.returncode == 65, "match exits 65: a rule of the directory has an error (%d: %s)" %
            (p.returncode, p.stderr.strip()[-300:]))
    out = [json.loads(x) for x in p.stdout.splitlines()]
    h.check(all(o["event"] == "anomaly" and o["anomaly"]["kind"] == "sigma" for o in out), "match prints anomalies")
    errs = h.schema_errors(out)
    h.check(not errs, "match's records follow the schema (%s)" % errs[:1])
    live = {(r["anomaly"]["rule"], r["process"]["pid"]) for r in recs
            if r["event"] == "anomaly" and r["anomaly"]["kind"] == "sigma" and MARK[:6] in json.dumps(r)
            and r["anomaly"]["rule"].startswith("3c6e2a10")}
    offline = {(o["anomaly"]["rule"], o["process"]["pid"]) for o in out if o["anomaly"]["rule"].startswith("3c6e2a10")}
    h.check(live and live <= offline, "match finds every live hit of the capture (%d live, %d offline)" %
            (len(live), len(offline)))
    chain = [o for o in out if o["anomaly"]["rule"] == "3c6e2a10-7d4b-4f51-9a0e-c1a500000002"]
    h.check(len(chain) == 3, "match reports all three execs of the chain (%d)" % len(chain))
    same = [o for o in out if o["anomaly"]["rule"] == "3c6e2a10-7d4b-4f51-9a0e-c1a500000001"][0]
    h.check(same["anomaly"]["sigma"]["matched"].get("ParentImage", "").endswith(("/sh", "/dash", "/bash")),
            "match finds the parent in the capture")
    check_match_formats(binary, cap, rules_dir, out)


def check_match_formats(binary, cap, rules_dir, native):
    """match --format ecs|ocsf: the same hits, as the SIEM's alert records."""
    d = sv.schemas_dir()
    for fmt in ("ecs", "ocsf"):
        p = subprocess.run([binary, "match", "--rules", rules_dir, "--format", fmt, cap], capture_output=True,
                           text=True, timeout=120)
        out = [json.loads(x) for x in p.stdout.splitlines()]
        h.check(len(out) == len(native), "match --format %s: %d hits, as native (%d)" % (fmt, len(out), len(native)))
        if fmt == "ecs":
            rules = [o.get("rule", {}).get("id") for o in out]
            h.check(all(o.get("event", {}).get("kind") == "alert" for o in out), "ECS hits are event.kind alert")
        else:
            rules = [o.get("finding_info", {}).get("analytic", {}).get("uid") for o in out]
            h.check(all(o.get("class_uid") == 2004 for o in out), "OCSF hits are Detection Findings (2004)")
        h.check(sorted(rules) == sorted(o["anomaly"]["rule"] for o in native),
                "match --format %s names the same rules" % fmt)
        if d:
            v = sv.Ecs(d) if fmt == "ecs" else sv.Ocsf(d)
            errs = [e for o in out[:50] for e in v.validate(o)]
            h.check(not errs, "match --format %s: the hits validate against the published schema (%s)"
                    % (fmt, errs[:2]))
    p = subprocess.run([binary, "match", "--rules", rules_dir, "--format", "cef", cap], capture_output=True,
                       text=True, timeout=60)
    h.check(p.returncode == 2 and "native, ecs, ocsf" in p.stderr, "match --format cef is a usage error naming "
            "the choices (%d: %s)" % (p.returncode, p.stderr.strip()))


def check_cli(binary, wd, rules_dir):
    p = subprocess.run([binary, "--check-rules", "--rules", rules_dir], capture_output=True, text=True, timeout=60)
    h.check(p.returncode == 65, "--check-rules exits 65 with a broken rule (%d)" % p.returncode)
    h.check("error" in p.stdout and "broken.yml:6" in p.stdout, "the report names broken.yml:6")
    os.unlink(os.path.join(rules_dir, "broken.yml"))
    p = subprocess.run([binary, "--check-rules", "--json", "--rules", rules_dir], capture_output=True, text=True,
                       timeout=60)
    h.check(p.returncode == 0, "--check-rules exits 0 when every rule loads (%d: %s)" % (p.returncode, p.stderr))
    j = json.loads(p.stdout)
    h.check(j["summary"] == {"loaded": 5, "unsupported": 0, "error": 0}, "--json summary %s" % j["summary"])
    h.check(all(r["status"] == "loaded" and r["id"] and r["file"].startswith(rules_dir) for r in j["rules"]),
            "--json lists every rule")
    unsup = wd.join("unsupported.yml")
    with open(unsup, "w") as f:
        f.write("title: x\nlogsource:\n  category: network_connection\ndetection:\n  s:\n"
                "    DestinationHostname: evil.example\n  condition: s\n")
    p = subprocess.run([binary, "--check-rules", "--rules", unsup], capture_output=True, text=True, timeout=60)
    h.check(p.returncode == 0 and "unsupported" in p.stdout and "does not resolve names" in p.stdout,
            "an unsupported rule is reported with why, and is not an error (%d)" % p.returncode)


def main():
    h.require_schema()
    h.require_root_bpf()
    h.enter_private_mounts()
    binary = h.agent_path()
    sigma_id = h.message_id("sigma")
    with h.Workdir() as wd:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        rules_dir = wd.join("rules")
        write_rules(rules_dir, port)
        jd = h.Journald(wd).start()
        try:
            conf = h.write_config(wd, journal="yes", journal_records="anomalies", anomaly_cooldown="60",
                                  include_path_prefix=wd.join(""), sigma_rules=rules_dir + ", " + wd.join("none"))
            agent = h.Agent(binary, conf, wd)
            try:
                agent.start(wd.join("events.sock"))
                loaded = [r for r in agent.stdout_records() if r.get("event") == "rules_loaded"]
                h.check(loaded and loaded[0]["rules"] == {"loaded": 4, "unsupported": 0, "error": 1}
                        and loaded[0]["reload"] is False,
                        "rules_loaded at start: 4 rules, the missing path an error (%s)" % (loaded[:1]))
                check_exec(agent, sigma_id)
                check_dedup(agent)
                check_file(agent, wd, sigma_id)
                check_net(agent, port)
                check_reload(agent, rules_dir)
                errs = h.schema_errors([r for r in agent.client.snapshot() if r["event"] in
                                        ("anomaly", "exec", "file_access", "rules_loaded")])
                h.check(not errs, "records follow the schema (%s)" % errs[:1])
                check_match(binary, agent, wd, rules_dir)
            finally:
                agent.stop(timeout=20)  # ASan: the leak check at exit scans the rules too
            check_cli(binary, wd, rules_dir)
        finally:
            jd.stop()


if __name__ == "__main__":
    h.run(main)
