# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds, for a Sigma process_creation rule, the values of one process
creation that satisfies it (and a near miss that does not): the
conformance test runs them as real execs.

Only what the rule's tests ask for is built: Image, CommandLine,
CurrentDirectory, User, LogonId and the parent's ParentImage and
ParentCommandLine.  A regex value is satisfied with a string generated from
its parse tree.  Whether a case really satisfies (or misses) the rule is not
decided here but by the agent's own engine (`clawos-ebpf match`) before the
live run: this module only proposes.
"""

import re
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sc
    import sre_parse

FIELDS = ("Image", "CommandLine", "CurrentDirectory", "User", "LogonId", "ParentImage", "ParentCommandLine")
PATH_FIELDS = ("Image", "ParentImage", "CurrentDirectory")


class Unsolvable(Exception):
    pass


# ---------------------------------------------------------------- regex samples

def _sample(tree, depth=0):
    out = []
    for op, av in tree:
        if op is sc.LITERAL:
            out.append(chr(av))
        elif op is sc.NOT_LITERAL:
            out.append("a" if chr(av) != "a" else "b")
        elif op is sc.ANY:
            out.append("a")
        elif op is sc.IN:
            out.append(_class_char(av))
        elif op is sc.CATEGORY:
            out.append(_category_char(av))
        elif op in (sc.MAX_REPEAT, sc.MIN_REPEAT, getattr(sc, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            out.append(_sample(sub, depth + 1) * max(lo, 1 if hi else 0))
        elif op is sc.SUBPATTERN:
            out.append(_sample(av[-1], depth + 1))
        elif op is sc.BRANCH:
            out.append(_sample(av[1][0], depth + 1))
        elif op in (sc.AT, sc.ASSERT, sc.ASSERT_NOT):
            continue
        elif op is sc.GROUPREF:
            raise Unsolvable("regex back reference")
        else:
            raise Unsolvable("regex construct %s" % op)
    return "".join(out)


def _category_char(cat):
    return {sc.CATEGORY_SPACE: " ", sc.CATEGORY_DIGIT: "0", sc.CATEGORY_WORD: "a",
            sc.CATEGORY_NOT_SPACE: "a", sc.CATEGORY_NOT_DIGIT: "a", sc.CATEGORY_NOT_WORD: " "}.get(cat, "a")


def _class_char(items):
    negate = any(op is sc.NEGATE for op, _ in items)
    allowed, banned = [], set()
    for op, av in items:
        if op is sc.LITERAL:
            (banned.add(chr(av)) if negate else allowed.append(chr(av)))
        elif op is sc.RANGE:
            if negate:
                banned.update(chr(c) for c in range(av[0], av[1] + 1))
            else:
                allowed.append(chr(av[0]))
        elif op is sc.CATEGORY:
            c = _category_char(av)
            (banned.add(c) if negate else allowed.append(c))
    if not negate:
        return allowed[0] if allowed else "a"
    for c in "aqz0Z_.":
        if c not in banned:
            return c
    raise Unsolvable("regex class excludes everything tried")


def regex_sample(pattern):
    flags = 0
    try:
        tree = sre_parse.parse(pattern, flags)
    except Exception as e:  # PCRE syntax Python lacks
        raise Unsolvable("regex %r: %s" % (pattern, e))
    return _sample(tree)


# ---------------------------------------------------------------- conditions

_TOK = re.compile(r"\s*(\(|\)|[A-Za-z0-9_*.\-?]+)")


def parse_condition(text, names):
    toks = []
    pos = 0
    while pos < len(text):
        m = _TOK.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise Unsolvable("condition syntax")
        toks.append(m.group(1))
        pos = m.end()
    toks.append(None)
    i = 0

    def peek():
        return toks[i].lower() if toks[i] else None

    def take():
        nonlocal i
        i += 1
        return toks[i - 1]

    def pattern(p):
        if p == "them":
            return [n for n in names if not n.startswith("_")]
        rx = re.compile("^" + re.escape(p).replace(r"\*", ".*") + "$")
        return [n for n in names if rx.match(n)]

    def primary():
        t = peek()
        if t == "(":
            take()
            e = expr()
            take()
            return e
        if t in ("1", "any", "all"):
            take()
            if peek() != "of":
                raise Unsolvable("condition syntax")
            take()
            sel = pattern(take())
            return ("and" if t == "all" else "or", [("sel", n) for n in sel])
        return ("sel", take())

    def unary():
        if peek() == "not":
            take()
            return ("not", unary())
        return primary()

    def chain(op, sub):
        items = [sub()]
        while peek() == op:
            take()
            items.append(sub())
        return items[0] if len(items) == 1 else (op, items)

    def expr():
        return chain("or", lambda: chain("and", unary))

    return expr()


# ---------------------------------------------------------------- requirements

class Want:
    """What one field must look like: exact value or pieces it contains."""

    def __init__(self):
        self.equals = None
        self.prefix = ""
        self.suffix = ""
        self.parts = []

    def add(self, kind, v):
        if kind == "equals":
            if self.equals not in (None, v):
                raise Unsolvable("two different exact values")
            self.equals = v
        elif kind == "startswith":
            if len(v) > len(self.prefix):
                if not v.startswith(self.prefix):
                    raise Unsolvable("prefixes disagree")
                self.prefix = v
        elif kind == "endswith":
            if len(v) > len(self.suffix):
                if not v.endswith(self.suffix):
                    raise Unsolvable("suffixes disagree")
                self.suffix = v
        else:
            self.parts.append(v)


def _plain(v):
    """A Sigma value (wildcards, escapes) -> one text it matches."""
    out, i = [], 0
    while i < len(v):
        c = v[i]
        if c == "\\" and i + 1 < len(v) and v[i + 1] in "*?\\":
            out.append(v[i + 1])
            i += 2
            continue
        out.append({"*": "", "?": "x"}.get(c, c))
        i += 1
    return "".join(out)


def _field_reqs(key, value):
    """(field, [alternatives of [(kind, text)]]) of one 'Field|mods: values'."""
    name, *mods = key.split("|")
    if name not in FIELDS:
        raise Unsolvable("field %s" % (name or "keyword"))
    vals = value if isinstance(value, list) else [value]
    if any(v is None for v in vals):
        raise Unsolvable("null")
    vals = [str(v) if not isinstance(v, bool) else str(v).lower() for v in vals]
    mods = [m for m in mods if m not in ("cased", "windash")]
    all_ = "all" in mods
    mods = [m for m in mods if m != "all"]
    if mods and mods[0] == "re":
        alts = [[("contains", regex_sample(v))] for v in vals]
    elif not mods:
        alts = [[("equals" if "*" not in v else "contains", _plain(v))] for v in vals]
    elif len(mods) == 1 and mods[0] in ("contains", "startswith", "endswith"):
        alts = [[(mods[0], _plain(v))] for v in vals]
    else:
        raise Unsolvable("modifiers %s" % "|".join(mods))
    if all_:
        alts = [[a[0] for a in alts]]
    return name, alts


def _selection_alts(sel):
    """A search identifier -> alternatives, each a list of (field, kind, text)."""
    maps = sel if isinstance(sel, list) else [sel]
    out = []
    for m in maps:
        if not isinstance(m, dict):
            raise Unsolvable("keywords")
        combos = [[]]
        for k, v in m.items():
            name, alts = _field_reqs(k, v)
            combos = [c + [(name, kind, text) for kind, text in alt] for c in combos for alt in alts[:1]]
        out.extend(combos)
    return out


def _solve(node, sels, pos, neg):
    """Requirements (field, kind, text) that make node true; 'not' parts
    are collected in neg and left to the final check."""
    kind = node[0]
    if kind == "sel":
        alts = sels.get(node[1])
        if alts is None:
            raise Unsolvable("unknown selection")
        pos.extend(alts[0])
    elif kind == "and":
        for n in node[1]:
            _solve(n, sels, pos, neg)
    elif kind == "or":
        last = None
        for n in node[1]:
            try:
                trial = list(pos)
                _solve(n, sels, trial, neg)
                pos[:] = trial
                return
            except Unsolvable as e:
                last = e
        raise last or Unsolvable("empty or")
    elif kind == "not":
        neg.append(node[1])


def _build_path(want, default_dir, name):
    if want.equals is not None:
        return want.equals
    body = "".join(want.parts)
    base = default_dir + "/"
    # a prefix the work directory already has (e.g. /tmp/): stay inside it
    path = base if (not want.prefix or base.startswith(want.prefix)) else want.prefix
    if body:
        if not path.endswith("/") and not body.startswith("/"):
            path += "/"
        path += body.lstrip("/") if path.endswith("/") else body
    if want.suffix:
        if path.endswith("/") and want.suffix.startswith("/"):
            path = path[:-1]
        path += want.suffix
    if path.endswith("/"):
        path += name
    if not path.startswith("/"):
        path = base + path
    return path


def _build_text(want):
    if want.equals is not None:
        return want.equals
    pieces = [p for p in ([want.prefix] + want.parts + [want.suffix]) if p]
    out = ""
    for p in pieces:
        if out and not out.endswith(" ") and not p.startswith(" "):
            out += " "
        out += p
    return out


def solve(rule, workdir):
    """(case, reason): case is a dict of field -> value, or None."""
    det = rule.get("detection") or {}
    cond = det.get("condition")
    if isinstance(cond, list) and len(cond) == 1:
        cond = cond[0]
    if not isinstance(cond, str):
        return None, "condition"
    try:
        sels = {k: _selection_alts(v) for k, v in det.items() if k not in ("condition", "timeframe")}
        tree = parse_condition(cond, list(sels))
        pos, neg = [], []
        _solve(tree, sels, pos, neg)
    except Unsolvable as e:
        return None, str(e)
    wants = {}
    for field, kind, text in pos:
        wants.setdefault(field, Want()).add(kind, text) if True else None
    case = {}
    try:
        for f, w in wants.items():
            if f in PATH_FIELDS:
                case[f] = _build_path(w, workdir, {"Image": "tool", "ParentImage": "parent",
                                                   "CurrentDirectory": "cwd"}[f])
            else:
                case[f] = _build_text(w)
    except Unsolvable as e:
        return None, str(e)
    if case.get("User", "root") != "root" or case.get("LogonId", "0") != "0":
        return None, "needs another user than root"
    return case, None


def near_misses(case):
    """Cases that differ from case in one character of one tested field."""
    out = []
    for f in ("Image", "CommandLine", "ParentImage", "ParentCommandLine", "CurrentDirectory"):
        v = case.get(f)
        if not v:
            continue
        for i in range(len(v) - 1, -1, -1):
            if v[i].isalnum():
                repl = "q" if v[i].lower() != "q" else "z"
                miss = dict(case)
                miss[f] = v[:i] + repl + v[i + 1:]
                out.append((f, miss))
                break
        for i, c in enumerate(v):
            if c.isalnum():
                miss = dict(case)
                miss[f] = v[:i] + ("q" if c.lower() != "q" else "z") + v[i + 1:]
                out.append((f, miss))
                break
    return out
