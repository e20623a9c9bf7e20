#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Records in ECS and OCSF checked against the published definitions.

ECS 9.4.0 (fields.csv for names and types, ecs_flat.yml for the allowed
values of the categorisation fields) and the OCSF 1.8.0 schema source
(dictionary.json, events/, objects/, profiles/; a class's attributes are its
own plus those of every class it extends, `$include` profiles and objects
resolved) live outside the tree, in the project's shared test data:
$CLAWOS_SHARED/schemas, else <source root>/../shared/schemas.

  siem_validate.py ecs|ocsf FILE...          every line of every file
  siem_validate.py --invalid ecs|ocsf FILE   every line must be rejected
  siem_validate.py --golden DIR              DIR/ecs/*.json and DIR/ocsf/*.json,
                                             one of each for every DIR/*.json

Exit status 0 when all is as expected, 1 otherwise, 77 when the schema data
is missing.  Standard library and PyYAML (python3-yaml) only.
"""

import csv
import glob
import ipaddress
import json
import os
import re
import sys

ECS_VERSION = "9.4.0"
OCSF_VERSION = "1.8.0"
CUSTOM = "clawos"  # our fields that ECS lacks (ECS's rule: one custom namespace)

SOURCE_ROOT = os.environ.get("CLAWOS_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def schemas_dir():
    shared = os.environ.get("CLAWOS_SHARED") or os.path.join(SOURCE_ROOT, "..", "shared")
    d = os.path.join(shared, "schemas")
    return d if os.path.isdir(os.path.join(d, "ecs")) and os.path.isdir(os.path.join(d, "ocsf")) else None


INT_RANGE = {"long": (-2**63, 2**63 - 1), "integer": (-2**31, 2**31 - 1), "short": (-2**15, 2**15 - 1),
             "byte": (-128, 127), "unsigned_long": (0, 2**64 - 1)}
ISO8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class Ecs:
    """Every field name exists in fields.csv with a value of its type; the
    categorisation fields hold allowed values, event.type ones that the
    record's event.category expects."""

    REQUIRED = ("@timestamp", "ecs.version", "event.kind", "event.category", "event.type", "event.action",
                "event.module", "event.dataset", "host.name", "agent.type", "agent.version")

    def __init__(self, d):
        import yaml  # python3-yaml
        self.fields = {}
        with open(os.path.join(d, "ecs", "fields.csv"), newline="") as f:
            for row in csv.DictReader(f):
                if row["ECS_Version"] != ECS_VERSION:
                    raise SystemExit("fields.csv is ECS %s, not %s" % (row["ECS_Version"], ECS_VERSION))
                self.fields[row["Field"]] = (row["Type"], row["Normalization"])
        flat = yaml.safe_load(open(os.path.join(d, "ecs", "ecs_flat.yml")))
        self.allowed = {}
        self.expected_types = {}
        for name, v in flat.items():
            if v.get("allowed_values"):
                self.allowed[name] = {a["name"] for a in v["allowed_values"]}
                if name == "event.category":
                    self.expected_types = {a["name"]: set(a.get("expected_event_types") or [])
                                           for a in v["allowed_values"]}
        self.prefixes = set()
        for name in self.fields:
            parts = name.split(".")
            for i in range(1, len(parts)):
                self.prefixes.add(".".join(parts[:i]))

    def check_value(self, name, v, errs):
        typ, norm = self.fields[name]
        if isinstance(v, list):
            if "array" not in norm and typ != "nested":
                errs.append("%s: an array, but ECS does not make it one" % name)
                return
            for x in v:
                self.check_scalar(name, typ, x, errs)
            return
        self.check_scalar(name, typ, v, errs)

    def check_scalar(self, name, typ, v, errs):
        ok = True
        if typ in ("keyword", "constant_keyword", "wildcard", "match_only_text", "text"):
            ok = isinstance(v, str)
        elif typ in INT_RANGE:
            lo, hi = INT_RANGE[typ]
            ok = is_int(v) and lo <= v <= hi
        elif typ in ("float", "double", "scaled_float", "half_float"):
            ok = (is_int(v) or isinstance(v, float))
        elif typ == "boolean":
            ok = isinstance(v, bool)
        elif typ == "date":
            ok = (isinstance(v, str) and ISO8601.match(v) is not None) or is_int(v)
        elif typ == "ip":
            try:
                ipaddress.ip_address(v)
            except (ValueError, TypeError):
                ok = False
        elif typ in ("object", "flattened", "nested"):
            ok = isinstance(v, dict)
        else:
            errs.append("%s: type %s is not handled by this validator" % (name, typ))
            return
        if not ok:
            errs.append("%s: %s is not a valid %s" % (name, json.dumps(v), typ))
        elif name in self.allowed and v not in self.allowed[name]:
            errs.append("%s: %s is not an allowed value (%s)" % (name, json.dumps(v), sorted(self.allowed[name])))

    def walk(self, obj, prefix, errs, seen):
        for k, v in obj.items():
            name = prefix + k
            if name == CUSTOM or name.startswith(CUSTOM + "."):
                if prefix == "" and not isinstance(v, dict):
                    errs.append("%s: the custom namespace must be an object" % CUSTOM)
                continue
            if name in self.fields:
                seen[name] = v
                self.check_value(name, v, errs)
            elif name in self.prefixes and isinstance(v, dict):
                self.walk(v, name + ".", errs, seen)
            else:
                errs.append("%s: not an ECS %s field" % (name, ECS_VERSION))

    def validate(self, rec):
        errs, seen = [], {}
        if not isinstance(rec, dict):
            return ["not a JSON object"]
        self.walk(rec, "", errs, seen)
        for r in self.REQUIRED:
            if r not in seen:
                errs.append("%s is missing" % r)
        if seen.get("ecs.version") not in (None, ECS_VERSION):
            errs.append("ecs.version is %r, not %s" % (seen.get("ecs.version"), ECS_VERSION))
        cats = seen.get("event.category") or []
        types = seen.get("event.type") or []
        cats = cats if isinstance(cats, list) else [cats]
        types = types if isinstance(types, list) else [types]
        for t in types:
            if not any(t in self.expected_types.get(c, ()) for c in cats):
                errs.append("event.type %s is not expected by event.category %s" % (t, cats))
        for c in cats:
            if types and not self.expected_types.get(c, set()) & set(types):
                errs.append("event.category %s has none of its expected event types in %s" % (c, types))
        return errs


class Ocsf:
    """Class from class_uid; every required attribute of the class and of
    each object present; only attributes the class or object defines (plus
    unmapped); values of the attribute's type; enum ids that exist, with
    their captions in the sibling attribute; the objects' constraints."""

    def __init__(self, d):
        base = os.path.join(d, "ocsf")
        if json.load(open(os.path.join(base, "version.json")))["version"] != OCSF_VERSION:
            raise SystemExit("the OCSF schema data is not %s" % OCSF_VERSION)
        self.base = base
        dic = json.load(open(os.path.join(base, "dictionary.json")))
        self.dict_attrs = dic["attributes"]
        self.types = dic["types"]["attributes"]
        self.categories = json.load(open(os.path.join(base, "categories.json")))["attributes"]
        self.raw_objects = {}
        for f in glob.glob(os.path.join(base, "objects", "*.json")):
            o = json.load(open(f))
            self.raw_objects[o["name"]] = o
        self.raw_classes = {}
        for f in glob.glob(os.path.join(base, "events", "**", "*.json"), recursive=True):
            c = json.load(open(f))
            self.raw_classes[c["name"]] = c
        self.objects = {}
        self.classes = {}
        for name, c in self.raw_classes.items():
            if name == "base_event" or "uid" in c:
                r = self.resolve(c, self.raw_classes)
                self.classes[r["class_uid"]] = r

    def include(self, attrs, path):
        inc = json.load(open(os.path.join(self.base, path)))
        profile = inc["name"] if inc.get("meta") == "profile" else None
        for k, v in inc.get("attributes", {}).items():
            if k == "$include":
                continue
            e = dict(v)
            if profile:
                e["_profile"] = profile
            self.merge(attrs, k, e)

    @staticmethod
    def merge(attrs, k, v):
        cur = dict(attrs.get(k, {}))
        enum = dict(cur.get("enum", {}))
        enum.update(v.get("enum", {}))
        cur.update({kk: vv for kk, vv in v.items() if vv is not None or kk == "profile"})
        if "profile" in v and v["profile"] is None:
            cur.pop("_profile", None)
        if enum:
            cur["enum"] = enum
        attrs[k] = cur

    def resolve(self, c, table):
        parent = c.get("extends")
        if parent and parent in table:
            r = self.resolve(table[parent], table)
            attrs = {k: dict(v) for k, v in r["attrs"].items()}
            constraints = dict(r["constraints"])
            category = r["category"]
        else:
            attrs, constraints, category = {}, {}, None
        for p in c.get("attributes", {}).get("$include", []):
            self.include(attrs, p)
        for k, v in c.get("attributes", {}).items():
            if k != "$include":
                self.merge(attrs, k, v)
        constraints.update(c.get("constraints") or {})
        category = c.get("category", category)
        out = {"name": c["name"], "attrs": attrs, "constraints": constraints, "category": category}
        if table is self.raw_classes:
            cat_uid = self.categories[category]["uid"] if category in self.categories else 0
            out["category_uid"] = cat_uid
            out["class_uid"] = cat_uid * 1000 + c["uid"] if "uid" in c else 0
            out["caption"] = c["caption"]
            # the uids' enums are the class's own, as the OCSF server derives them
            cat = self.categories.get(category, {}).get("caption", "Uncategorized")
            attrs["category_uid"]["enum"] = {str(cat_uid): {"caption": cat}}
            attrs["class_uid"]["enum"] = {str(out["class_uid"]): {"caption": c["caption"]}}
            attrs["type_uid"]["enum"] = {
                str(out["class_uid"] * 100 + int(a)): {"caption": "%s: %s" % (c["caption"], e["caption"])}
                for a, e in attrs["activity_id"].get("enum", {}).items()}
        return out

    def obj(self, name):
        if name not in self.objects:
            self.objects[name] = self.resolve(self.raw_objects[name], self.raw_objects)
        return self.objects[name]

    def base_type(self, t):
        while t in self.types and "type" in self.types[t]:
            t = self.types[t]["type"]
        return t

    def check_scalar(self, path, t, v, errs):
        b = self.base_type(t)
        if b == "string_t":
            ok = isinstance(v, str)
            rx = self.types.get(t, {}).get("regex")
            if ok and t == "ip_t":
                try:
                    ipaddress.ip_address(v)
                except ValueError:
                    ok = False
            elif ok and rx and not re.search(rx, v):
                ok = False
            if ok and "max_len" in self.types.get(t, {}) and len(v) > self.types[t]["max_len"]:
                ok = False
        elif b == "integer_t":
            ok = is_int(v) and -2**31 <= v < 2**31
            rng = self.types.get(t, {}).get("range")
            if ok and rng:
                ok = rng[0] <= v <= rng[1]
        elif b == "long_t":
            ok = is_int(v) and -2**63 <= v < 2**63
        elif b == "float_t":
            ok = is_int(v) or isinstance(v, float)
        elif b == "boolean_t":
            ok = isinstance(v, bool)
        elif b == "json_t":
            ok = True
        else:
            errs.append("%s: type %s is not handled by this validator" % (path, t))
            return
        if not ok:
            errs.append("%s: %s is not a valid %s" % (path, json.dumps(v), t))

    def check_object(self, path, o, spec, profiles, errs):
        if not isinstance(o, dict):
            errs.append("%s: not an object" % path)
            return
        attrs = spec["attrs"]
        for k, v in o.items():
            p = path + "." + k if path else k
            if k not in attrs:
                errs.append("%s: not an attribute of %s" % (p, spec["name"]))
                continue
            a = attrs[k]
            d = self.dict_attrs.get(k, {})
            t = a.get("type") or d.get("type")
            if d.get("is_array") or a.get("is_array"):
                if not isinstance(v, list):
                    errs.append("%s: must be an array" % p)
                    continue
                items = v
            else:
                if isinstance(v, list):
                    errs.append("%s: must not be an array" % p)
                    continue
                items = [v]
            enum = dict(d.get("enum", {})) if k not in ("class_uid", "category_uid", "type_uid") else {}
            enum.update(a.get("enum", {}))
            for i, x in enumerate(items):
                pi = p + ("[%d]" % i if len(items) > 1 or isinstance(v, list) else "")
                if t == "object":
                    if not isinstance(x, dict):
                        errs.append("%s: not an object" % pi)
                elif t in self.raw_objects:
                    self.check_object(pi, x, self.obj(t), profiles, errs)
                else:
                    self.check_scalar(pi, t, x, errs)
                    if enum and str(x) not in enum:
                        errs.append("%s: %s is not one of %s's enum ids %s" % (pi, x, k, sorted(enum, key=int)))
            sib = d.get("sibling")
            if enum and sib and sib in o and is_int(v) and str(v) in enum:
                cap = enum[str(v)]["caption"]
                # "Other": the sibling carries the source's own label
                if cap != "Other" and not cap.endswith(": Other") and o[sib] != cap:
                    errs.append("%s: %r, but %s %d is %r" % ((path + "." if path else "") + sib, o[sib], k, v, cap))
        for k, a in attrs.items():
            if a.get("requirement") == "required" and k not in o and a.get("_profile", None) in (None, *profiles):
                errs.append("%s: required attribute %s is missing" % (path or spec["name"], k))
        c = spec["constraints"]
        if c.get("at_least_one") and not any(k in o for k in c["at_least_one"]):
            errs.append("%s: needs at least one of %s" % (path or spec["name"], c["at_least_one"]))
        if c.get("just_one") and sum(k in o for k in c["just_one"]) != 1:
            errs.append("%s: needs exactly one of %s" % (path or spec["name"], c["just_one"]))

    def validate(self, rec):
        errs = []
        if not isinstance(rec, dict):
            return ["not a JSON object"]
        cls = self.classes.get(rec.get("class_uid"))
        if cls is None:
            return ["class_uid %r is not an OCSF %s class" % (rec.get("class_uid"), OCSF_VERSION)]
        if rec.get("category_uid") != cls["category_uid"]:
            errs.append("category_uid %r, but %s is in category %d" % (rec.get("category_uid"), cls["name"],
                                                                     cls["category_uid"]))
        if is_int(rec.get("activity_id")) and rec.get("type_uid") != cls["class_uid"] * 100 + rec["activity_id"]:
            errs.append("type_uid %r is not class_uid * 100 + activity_id" % rec.get("type_uid"))
        meta = rec.get("metadata") if isinstance(rec.get("metadata"), dict) else {}
        if meta.get("version") != OCSF_VERSION:
            errs.append("metadata.version is %r, not %s" % (meta.get("version"), OCSF_VERSION))
        profiles = meta.get("profiles") if isinstance(meta.get("profiles"), list) else []
        for p in profiles:
            if not os.path.exists(os.path.join(self.base, "profiles", p + ".json")):
                errs.append("metadata.profiles: %s is not an OCSF profile" % p)
        self.check_object("", rec, cls, profiles, errs)
        return errs


def load(kind, d):
    return Ecs(d) if kind == "ecs" else Ocsf(d)


def records(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                yield n, line


def check_files(v, files, invalid=False):
    bad = good = 0
    for path in files:
        for n, line in records(path):
            try:
                rec = json.loads(line)
                errs = v.validate(rec)
            except ValueError as e:
                errs = ["not JSON: %s" % e]
            if invalid:
                if errs:
                    good += 1
                else:
                    bad += 1
                    print("%s:%d: accepted, but must be rejected: %s" % (path, n, line.strip()[:200]))
            elif errs:
                bad += 1
                for e in errs:
                    print("%s:%d: %s" % (path, n, e))
            else:
                good += 1
    return good, bad


def main(argv):
    d = schemas_dir()
    if not d:
        print("SKIP: the schema data is missing (set CLAWOS_SHARED; looked in %s)" %
              os.path.join(SOURCE_ROOT, "..", "shared", "schemas"))
        return 77
    try:
        import yaml  # noqa: F401  (ecs_flat.yml)
    except ImportError:
        print("SKIP: PyYAML is missing (Debian package python3-yaml)")
        return 77
    invalid = "--invalid" in argv
    argv = [a for a in argv if a != "--invalid"]
    if argv and argv[0] == "--golden":
        gold = argv[1]
        failures = 0
        natives = sorted(os.path.basename(p) for p in glob.glob(os.path.join(gold, "*.json")))
        for kind in ("ecs", "ocsf"):
            have = sorted(os.path.basename(p) for p in glob.glob(os.path.join(gold, kind, "*.json")))
            for n in natives:
                if n not in have:
                    print("%s/%s/%s: missing (every native golden record has an %s one)" % (gold, kind, n, kind))
                    failures += 1
            good, bad = check_files(load(kind, d), [os.path.join(gold, kind, h) for h in have])
            print("%s: %d golden records valid, %d invalid" % (kind, good, bad))
            failures += bad
        return 1 if failures else 0
    kind, files = argv[0], argv[1:]
    good, bad = check_files(load(kind, d), files, invalid)
    if invalid:
        print("%s: %d records rejected as they must be, %d accepted" % (kind, good, bad))
    else:
        print("%s: %d records valid, %d invalid" % (kind, good, bad))
    return 1 if bad or not good else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
