#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""clawos-ebpf events --format native|ecs|ocsf|text whatever the socket's format.

A client of the event socket may ask for its own format in one line
("format ecs\\n", clawos-ebpf.conf(5), [socket]); `events` does so for a
schema and for text (which reads native records).  With the socket in
native: `events --format ecs` and `--format ocsf` print the exec and the
open of a marker in that schema (validated against the published schemas
when ../shared/schemas is here), the startup record first; `--format text`
prints text lines; a plain client that asked nothing meanwhile gets native
records only; a bad request gets an error line and is disconnected; and
each `events` ends with status 0 when the agent stops (the shutdown record
told in ECS and OCSF too).  With the socket in ECS: `--format text` still
prints text lines, `--format native` native records, `--format json` the
socket's ECS records as they come.
"""

import json
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import clawos_harness as h  # noqa: E402
import siem_validate as sv  # noqa: E402

Events = None  # test-events.py's class, loaded below (its file name has a dash)
T = 20


def load_events_class():
    import importlib.util
    spec = importlib.util.spec_from_file_location("test_events", os.path.join(HERE, "test-events.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.Events


def ecs_kind(r):
    return (r.get("event") or {}).get("dataset", "?").split(".", 1)[-1]


def ocsf_kind(r):
    return (r.get("metadata") or {}).get("event_code", "?")


def native_kind(r):
    return r.get("event") if isinstance(r.get("event"), str) else "?"


def records(ev):
    out = []
    for line in list(ev.lines):
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"unparsed": line.decode(errors="replace")})
    return out


def has(ev, kind_of, kind, marker):
    return any(kind_of(r) == kind and marker in json.dumps(r) for r in records(ev))


def validators():
    d = sv.schemas_dir()
    if not d:
        h.log("NOTE: ../shared/schemas is missing: ECS and OCSF records are not validated against the schemas")
        return None, None
    try:
        return sv.Ecs(d), sv.Ocsf(d)
    except ImportError:
        h.log("NOTE: PyYAML is missing: ECS and OCSF records are not validated against the schemas")
        return None, None


def validate(v, recs, who):
    if v is None:
        return
    errs = [(r, e) for r in recs for e in v.validate(r)]
    for r, e in errs[:5]:
        h.log("  %s: %s in %s" % (who, e, h.short(r, 600)))
    h.check(not errs, "every %s record of events validates (%d records, %d errors)" % (who, len(recs), len(errs)))


def workload(wd, name):
    marker = wd.join(name)
    open(marker, "w").close()
    subprocess.run(["/usr/bin/cat", marker], stdout=subprocess.DEVNULL, check=True)
    return marker


def raw_request(sock, line):
    """What the agent answers a raw client that sends line: all it gets until EOF."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock)
    s.sendall(line)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return data, True
            data += d
    except socket.timeout:
        return data, False
    finally:
        s.close()


def native_socket(binary, wd, ecs_v, ocsf_v):
    sock = wd.join("native.sock")
    conf = h.write_config(wd, name="native.conf", socket_path=sock, socket_format="native", stats_interval="60",
                          include_path_prefix=wd.join(""))
    agent = h.Agent(binary, conf, wd, name="agent-native")
    evs = []
    try:
        agent.start(sock)
        ev_ecs = Events(binary, sock, "--format", "ecs")
        ev_ocsf = Events(binary, sock, "--format", "ocsf")
        ev_text = Events(binary, sock, "--format", "text")
        ev_json = Events(binary, sock, "--format", "json")
        evs = [ev_ecs, ev_ocsf, ev_text, ev_json]
        # each has its startup record in its format (the agent read the request)
        h.check(ev_ecs.wait(lambda l: l.startswith(b'{"@timestamp"') and b'"dataset":"clawos.startup"' in l, T)
                is not None, "events --format ecs: the startup record in ECS")
        h.check(ev_ocsf.wait(lambda l: l.startswith(b'{"class_uid"') and b'"event_code":"startup"' in l, T)
                is not None, "events --format ocsf: the startup record in OCSF")
        h.check(ev_text.wait(lambda l: b" startup " in l or b"startup" in l, T) is not None,
                "events --format text: the startup line")
        marker = workload(wd, "evfmt-native-marker")
        for ev, kind_of, who in ((ev_ecs, ecs_kind, "ECS"), (ev_ocsf, ocsf_kind, "OCSF")):
            for kind in ("exec", "file_access"):
                ok = h.wait_for(lambda: has(ev, kind_of, kind, marker), T, what="%s %s" % (who, kind))
                h.check(ok, "events --format %s: the marker's %s record in %s" % (who.lower(), kind, who))
        line = ev_text.wait(lambda l: marker.encode() in l and b" exec " in l, T)
        h.check(line is not None and not line.startswith(b"{"), "events --format text: the exec line %r" % line)
        line = ev_text.wait(lambda l: marker.encode() in l and b" open " in l and b"cat(" in l, T)
        h.check(line is not None, "events --format text: the open line %r" % line)
        rec = agent.client.wait_for(lambda r: r.get("event") == "exec" and marker in r["exec"]["argv"], T,
                                    "the plain client's exec record")
        h.check(rec is not None, "a plain client (no request) meanwhile: the native exec record")
        plain = agent.client.snapshot()
        h.check(all(isinstance(r.get("event"), str) for r in plain),
                "the plain client got native records only (%d)" % len(plain))
        h.check(ev_json.wait(lambda l: marker.encode() in l and l.startswith(b'{"event":"exec"'), T) is not None,
                "events --format json: the socket's native records as they come")

        ecs = records(ev_ecs)
        ocsf = records(ev_ocsf)
        h.check(all("@timestamp" in r for r in ecs), "events --format ecs printed ECS records only")
        h.check(all("class_uid" in r for r in ocsf), "events --format ocsf printed OCSF records only")
        h.check(ecs_kind(ecs[0]) == "startup" and ocsf_kind(ocsf[0]) == "startup",
                "the first record printed is the startup record (%s, %s)" % (ecs_kind(ecs[0]), ocsf_kind(ocsf[0])))
        validate(ecs_v, ecs, "ECS")
        validate(ocsf_v, ocsf, "OCSF")

        data, eof = raw_request(sock, b"format xml\n")
        h.check(eof and b'{"error":"unknown format \'xml\' (native, ecs, ocsf)"}\n' in data,
                "a bad request: an error line, then the agent closes (%r)" % data[-200:])
        data, eof = raw_request(sock, b"x" * 100)
        h.check(eof and b'"error":"request longer than 63 bytes"' in data, "a request line that does not end: refused")

        agent.stop()
        for ev, what in ((ev_ecs, "ecs"), (ev_ocsf, "ocsf"), (ev_text, "text"), (ev_json, "json")):
            rc, err = ev.finish()
            h.check(rc == 0 and "the agent stopped" in err,
                    "events --format %s ends with status 0 when the agent stops (%s: %s)" % (what, rc, err.strip()))
        h.check(ecs_kind(records(ev_ecs)[-1]) == "shutdown" and ocsf_kind(records(ev_ocsf)[-1]) == "shutdown",
                "the last ECS and OCSF records are the shutdown record")
    finally:
        for ev in evs:
            if ev.proc.poll() is None:
                ev.proc.kill()
        agent.kill()


def ecs_socket(binary, wd):
    sock = wd.join("ecs.sock")
    conf = h.write_config(wd, name="ecs.conf", socket_path=sock, socket_format="ecs", stats_interval="60",
                          include_path_prefix=wd.join(""))
    agent = h.Agent(binary, conf, wd, name="agent-ecs")
    evs = []
    try:
        agent.start(sock)
        ev_text = Events(binary, sock, "--format", "text", "--type", "exec,file_access")
        ev_native = Events(binary, sock, "--format", "native")
        ev_json = Events(binary, sock, "--format", "json")
        evs = [ev_text, ev_native, ev_json]
        h.check(ev_native.wait(lambda l: l.startswith(b'{"event":"startup"'), T) is not None,
                "socket in ECS, events --format native: the native startup record")
        marker = workload(wd, "evfmt-ecs-marker")
        line = ev_text.wait(lambda l: marker.encode() in l and b" exec " in l, T)
        h.check(line is not None and not line.startswith(b"{"),
                "socket in ECS, events --format text: the exec line %r" % line)
        line = ev_text.wait(lambda l: marker.encode() in l and b" open " in l and b"cat(" in l, T)
        h.check(line is not None, "socket in ECS, events --format text: the open line %r" % line)
        h.check(h.wait_for(lambda: has(ev_native, native_kind, "exec", marker), T, what="native exec"),
                "socket in ECS, events --format native: the native exec record")
        h.check(all(l.startswith(b'{"event":') for l in list(ev_native.lines)), "--format native: native only")
        h.check(ev_json.wait(lambda l: marker.encode() in l and l.startswith(b'{"@timestamp"'), T) is not None,
                "socket in ECS, events --format json: the socket's ECS records as they come")
        h.check(all(l.startswith(b'{"@timestamp"') for l in list(ev_json.lines)), "--format json: ECS only")
        p = subprocess.run([binary, "events", "--socket", sock, "--format", "ocsf", "--type", "exec"],
                           capture_output=True, text=True, timeout=10)
        h.check(p.returncode == 2 and "--type" in p.stderr, "--type with --format ocsf: a usage error (%s)"
                % p.stderr.strip())
        agent.stop()
        for ev, what in ((ev_text, "text"), (ev_native, "native"), (ev_json, "json")):
            rc, err = ev.finish()
            h.check(rc == 0 and "the agent stopped" in err,
                    "socket in ECS: events --format %s ends with status 0 (%s: %s)" % (what, rc, err.strip()))
    finally:
        for ev in evs:
            if ev.proc.poll() is None:
                ev.proc.kill()
        agent.kill()


def main():
    global Events
    h.require_root_bpf()
    Events = load_events_class()
    ecs_v, ocsf_v = validators()
    binary = h.agent_path()
    with h.Workdir() as wd:
        native_socket(binary, wd, ecs_v, ocsf_v)
        ecs_socket(binary, wd)


if __name__ == "__main__":
    h.run(main)
