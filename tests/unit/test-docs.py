#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Documentation coverage: every key of the shipped configuration has an
entry in clawos-ebpf.conf(5), and every record type and field of the JSON
Schema is named in clawos-ebpf-events(7)."""

import json
import os
import re
import sys

root = os.environ.get("CLAWOS_SOURCE_ROOT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
conf = open(os.path.join(root, "config", "clawos-ebpf.conf")).read()
conf5 = open(os.path.join(root, "man", "clawos-ebpf.conf.5.scd")).read()
events7 = open(os.path.join(root, "man", "clawos-ebpf-events.7.scd")).read()
schema = json.load(open(os.path.join(root, "man", "clawos-ebpf-events.schema.json")))

failures = []

keys = re.findall(r"(?m)^([a-z_0-9]+) =", conf)
sections = re.findall(r"(?m)^\[([a-z]+)\]", conf)
for k in keys:
    # an entry is "*key =*" at the start of a line
    if not re.search(r"(?m)^\*%s =\*" % re.escape(k), conf5):
        failures.append("config key %s has no entry in clawos-ebpf.conf(5)" % k)
for s in sections:
    if "[%s]" % s not in conf5:
        failures.append("section [%s] is not in clawos-ebpf.conf(5)" % s)


def words(doc):
    # field names appear as *name* (scdoc bold), possibly with escaped _
    return set(w.replace("\\_", "_") for w in re.findall(r"\*([a-z0-9_\\]+)\*", doc))


documented = words(events7)


def fields(node, seen):
    """Property names of a schema node, following $ref inside $defs."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].split("/")[-1]
            if name not in seen:
                seen.add(name)
                yield from fields(schema["$defs"][name], seen)
        for k, v in node.get("properties", {}).items():
            yield k
            yield from fields(v, seen)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from fields(node[key], seen)
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(key, []):
                yield from fields(sub, seen)


events = schema["properties"]["event"]["enum"]
for e in events:
    if e not in documented:
        failures.append("record type %s is not in clawos-ebpf-events(7)" % e)
for name, d in schema["$defs"].items():
    if not name.startswith("record_"):
        continue
    for f in sorted(set(fields(d, set()))):
        # counter maps keyed by record type / hook name are documented as maps
        if f not in documented:
            failures.append("field %s of %s is not in clawos-ebpf-events(7)" % (f, name[len("record_"):]))

for f in failures:
    print("not documented: " + f)
nfields = sum(len(set(fields(d, set()))) for n, d in schema["$defs"].items() if n.startswith("record_"))
print("%d config keys, %d record types, %d record fields checked; %d missing" %
      (len(keys), len(events), nfields, len(failures)))
sys.exit(1 if failures else 0)
