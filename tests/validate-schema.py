#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Validate NDJSON records against man/clawos-ebpf-events.schema.json.

Usage: validate-schema.py [--invalid] SCHEMA FILE...
       validate-schema.py --output-of PROGRAM SCHEMA

FILE is an NDJSON file, '-' for standard input, or a directory: its *.json
files in name order.  With --output-of, PROGRAM is run and what it prints is
validated: records the code makes now, not a capture.  It must exit 0 and
print at least one record.

Every non-empty line must be one JSON object valid against the schema.  The
first errors are printed as FILE:LINE: message.  With --invalid the opposite
is checked: every line must be rejected (a test that the schema is strict).
Exit status: 0 as expected, 1 not, 2 usage or unreadable input, 77 (skip)
when the Python jsonschema module is missing.
"""

import io
import json
import os
import subprocess
import sys

MAX_ERRORS = 20

try:
    import jsonschema
except ImportError:
    print("validate-schema: python3 jsonschema module missing, skipping", file=sys.stderr)
    sys.exit(77)


def validator_for(schema):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def error_path(err):
    return "/" + "/".join(str(p) for p in err.absolute_path)


def best_errors(validator, record):
    """The most specific errors: descend into if/then and anyOf branches."""
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    return [jsonschema.exceptions.best_match([e]) for e in errors]


def check_stream(validator, name, stream, budget, expect_invalid=False):
    bad = 0
    for lineno, line in enumerate(stream, 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if expect_invalid:
            try:
                errors = best_errors(validator, json.loads(line))
            except ValueError:
                errors = ["not JSON"]
            if not errors:
                bad += 1
                if budget[0] > 0:
                    budget[0] -= 1
                    print(f"{name}:{lineno}: accepted, but should be rejected")
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            bad += 1
            if budget[0] > 0:
                budget[0] -= 1
                print(f"{name}:{lineno}: not JSON: {e}")
            continue
        errors = best_errors(validator, record)
        if errors:
            bad += 1
            event = record.get("event", "?") if isinstance(record, dict) else "?"
            for e in errors:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
                print(f"{name}:{lineno}: {event}: {error_path(e)}: {e.message}")
    return bad


def check_program(validator, program, budget):
    """Runs program and validates its standard output; 0, 1 or 2 as main()."""
    try:
        r = subprocess.run([program], stdout=subprocess.PIPE, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"validate-schema: {program}: {e}", file=sys.stderr)
        return 2
    if r.returncode != 0:
        print(f"validate-schema: {program} exited with status {r.returncode}", file=sys.stderr)
        return 1
    try:
        text = r.stdout.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        print(f"validate-schema: {program}: {e}", file=sys.stderr)
        return 1
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        print(f"validate-schema: {program} printed no record", file=sys.stderr)
        return 1
    bad = check_stream(validator, os.path.basename(program), io.StringIO(text), budget)
    if bad:
        print(f"validate-schema: {bad} invalid record(s) of {len(lines)} from {program}", file=sys.stderr)
        return 1
    return 0


def main(argv):
    expect_invalid = len(argv) > 1 and argv[1] == "--invalid"
    if expect_invalid:
        argv = argv[:1] + argv[2:]
    program = None
    if len(argv) == 4 and argv[1] == "--output-of":
        program = argv[2]
        argv = argv[:1] + argv[3:]
    if len(argv) < (2 if program else 3) or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            validator = validator_for(json.load(f))
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print(f"validate-schema: {argv[1]}: {e}", file=sys.stderr)
        return 2
    budget = [MAX_ERRORS]
    if program:
        return check_program(validator, program, budget)
    bad = total = 0
    names = []
    for name in argv[2:]:
        if os.path.isdir(name):
            found = sorted(os.path.join(name, n) for n in os.listdir(name) if n.endswith(".json"))
            if not found:
                print(f"validate-schema: {name}: no *.json files", file=sys.stderr)
                return 2
            names += found
        else:
            names.append(name)
    for name in names:
        try:
            if name == "-":
                bad += check_stream(validator, "<stdin>", sys.stdin, budget, expect_invalid)
            else:
                with open(name, encoding="utf-8", errors="strict") as f:
                    bad += check_stream(validator, name, f, budget, expect_invalid)
        except (OSError, UnicodeDecodeError) as e:
            print(f"validate-schema: {name}: {e}", file=sys.stderr)
            return 2
        total += 1
    if bad:
        what = "accepted invalid" if expect_invalid else "invalid"
        print(f"validate-schema: {bad} {what} record(s) in {total} file(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
