#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Evasion by path (issue 15): every spelling of a protected file that a
process can use to open it raises file_violation, on the fallback path
(tracepoints) of this host.

One trick per process (tests/evasion/evade-paths.c), so that each
anomaly is told apart by its pid.  A trick that did not open the target is a
broken test, not a pass.  Then: an exact entry does not cover a longer name
(/etc/shadow123), a chroot's own file is not the host's, and the path filters
hold on the resolved path.  The summary table at the end says, per trick,
whether the agent saw it; every row must say "seen"."""

import os
import re
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "root"))
import clawos_harness as h  # noqa: E402

T = int(os.environ.get("CLAWOS_EVASION_WAIT", "10"))
# file_access_violation_mode: 1 here; the guest suite (tests/vm/test-vm-evasion.sh)
# runs 2 too, where BPF-LSM denies every spelling
MODE = os.environ.get("CLAWOS_EVASION_MODE", "1")
DENY = MODE == "2"
SHADOW = "/etc/shadow"
DECOY = "/etc/passwd"  # as long as SHADOW: the thread's rewrite is atomic enough


def violation(agent, pid, start=0, timeout=T):
    return agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["kind"] == "file_violation"
                                 and r["process"]["pid"] == pid, timeout, what="file_violation of pid %d" % pid,
                                 start=start)


def file_records(agent, pid):
    return agent.client.find(lambda r: r["event"] == "file_access" and r["process"]["pid"] == pid)


def run_trick(evade, trick, target, arg=None, user=None, opens=True):
    """One trick in a process of its own below a shell of its own: flood
    control counts violations per process and per parent (agent/detect.c),
    and every trick must be reported on its own.  user: run as that uid
    (and gid); opens=False: a trick whose outcome does not depend on the
    mode (a failed open, a truncate: evade-paths exits 0 when it went as it
    should)."""
    who = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] if user is not None else []
    cmd = ["sh", "-c", '"$@"; exit $?', "sh"] + who + [evade, trick, target] + ([arg] if arg else [])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=600)
    m = re.match(r"pid (\d+)", out)
    h.check(m is not None, "%s: evade-paths ran (%s)" % (trick, (out + err).strip()[-300:]))
    if not opens:
        h.check(p.returncode == 0, "%s: went as it should (%s)" % (trick, (out + err).strip()[-300:]))
    elif DENY:  # mode 2 on BPF-LSM: the open is refused
        h.check(p.returncode != 0, "%s: the trick did not open %s (%s)" % (trick, target, (out + err).strip()[-300:]))
    else:
        h.check(p.returncode == 0, "%s: the trick opened %s (%s)" % (trick, target, (out + err).strip()[-300:]))
    return int(m.group(1)), out


def enforced_ok(a):
    """mode 2 denies and says so; mode 1 only alerts"""
    return a is not None and a["anomaly"]["enforced"] is DENY


def same_fs_dir(path):
    """A writable directory on the filesystem of path (for a hard link)."""
    dev = os.stat(path).st_dev
    for d in ("/var/tmp", "/root", "/var", "/"):
        try:
            if os.stat(d).st_dev == dev and os.access(d, os.W_OK):
                return d
        except OSError:
            pass
    return None


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    evade = os.environ.get("CLAWOS_EVADE_PATHS") or (sys.argv[2] if len(sys.argv) > 2 else None)
    if not evade or not os.access(evade, os.X_OK):
        h.hard_error("no evade-paths binary (argv[2] or $CLAWOS_EVADE_PATHS)")
    if not os.path.exists(SHADOW) or len(SHADOW) != len(DECOY):
        h.skip("no %s here" % SHADOW)
    results = []
    links = []
    with h.Workdir() as wd:
        prot = wd.join("prot")
        os.makedirs(prot)
        secret = os.path.join(prot, "secret")
        for f in (secret, secret + "123"):
            with open(f, "w") as fh:
                fh.write("test\n")
        # a protected directory, reached below a bind mount of a directory
        # under it: only the walk up d_parent by identity sees it
        pdir = wd.join("pdir")
        pfile = os.path.join(pdir, "sub", "f")
        os.makedirs(os.path.dirname(pfile))
        with open(pfile, "w") as fh:
            fh.write("test\n")
        excluded = wd.join("excluded")
        os.makedirs(excluded)
        with open(os.path.join(excluded, "f"), "w") as fh:
            fh.write("x\n")
        with open(wd.join("plain"), "w") as fh:
            fh.write("x\n")
        # defaults plus a test file; file records only under the work dir
        # (protected files are reported whatever the filters say)
        conf = h.write_config(wd, anomaly_cooldown="60", include_path_prefix=wd.join(""),
                              file_access_violation_mode=MODE,
                              exclude_path_prefix=excluded + "/",
                              protected_paths="/etc/shadow, /etc/gshadow, /etc/sudoers, /etc/sudoers.d/, "
                              "/root/.ssh/, /etc/ssh/ssh_host_*, " + secret + ", " + pdir + "/")
        agent = h.Agent(binary, conf, wd)
        try:
            agent.start(wd.join("events.sock"))
            h.log("open hook: %s, file_open: %s (%s)" % (agent.hook_mechanism("open"), agent.hook_mechanism("file_open"),
                                                        h.dig(agent.startup, "hooks", "file_open", "reason")))
            want = os.environ.get("CLAWOS_EVASION_FILE_OPEN")  # the guest suite: lsm
            if want:
                h.check(agent.hook_mechanism("file_open") == want, "file_open runs on %s" % want)
            want = os.environ.get("CLAWOS_EVASION_PATH_FROM")  # d_path or dentry walk
            if want:
                h.check(want in (h.dig(agent.startup, "hooks", "file_open", "reason") or ""),
                        "file_open's path from %s" % want)

            deep = wd.join(*["d%d" % i for i in range(12)])
            os.makedirs(deep)
            link = wd.join("shadow-link")
            os.symlink(SHADOW, link)
            hdir = same_fs_dir(SHADOW)
            hard = None
            if hdir:
                hard = os.path.join(hdir, ".clawos-evade-%s" % uuid.uuid4().hex[:8])
                os.link(SHADOW, hard)
                links.append(hard)
            jail = wd.join("jail")
            os.makedirs(os.path.join(jail, "etc"))
            with open(os.path.join(jail, "etc", "shadow"), "w") as fh:
                fh.write("the jail's own\n")

            tricks = [
                ("plain", SHADOW, None, None),
                ("double-slash", SHADOW, None, "/etc//shadow"),
                ("dot", SHADOW, None, "/etc/./shadow"),
                ("dotdot", SHADOW, deep, "../" * deep.count("/") + "etc/shadow"),
                ("symlink", SHADOW, link, link),
                ("hardlink", SHADOW, hard, hard),
                ("proc-root", SHADOW, None, "/proc/self/root/etc/shadow"),
                ("proc-cwd", SHADOW, None, "/proc/self/cwd/shadow"),
                ("bind", SHADOW, wd.path, os.path.join(wd.path, "bind", "shadow")),
                ("bind-dir", pfile, wd.path, os.path.join(wd.path, "bind", "f")),
                ("long", SHADOW, wd.path, None),
                ("nonresident", SHADOW, wd.path, None),
                ("thread", SHADOW, DECOY, None),
                ("openat2", SHADOW, None, "/etc//shadow"),
                ("creat", secret, None, os.path.join(prot, ".", "secret")),
            ]
            for trick, target, arg, requested in tricks:
                if trick == "hardlink" and not hard:
                    h.log("(no writable directory on the filesystem of %s: no hard link)" % SHADOW)
                    continue
                start = agent.client.count()
                pid, out = run_trick(evade, trick, target, arg)
                a = violation(agent, pid, start)
                seen = enforced_ok(a)
                results.append((trick, seen))
                h.log("%-13s %s" % (trick, "seen" if seen else "MISSED"))
                if not seen:
                    continue
                expect = os.path.realpath(target)
                recs = [r for r in file_records(agent, pid) if r["file"]["path"] == expect]
                if trick == "hardlink":
                    recs = [r for r in file_records(agent, pid) if r["file"]["path"] == hard]
                    h.check(bool(recs) and recs[0]["file"].get("protected_by") == "identity",
                            "hardlink: the link's path, protected by identity: %s" % [h.short(r) for r in recs[:1]])
                    continue
                if trick in ("bind", "bind-dir"):
                    name = "/bind/" + os.path.basename(target)
                    recs = [r for r in file_records(agent, pid) if r["file"]["path"].endswith(name)]
                    h.check(bool(recs) and recs[0]["file"].get("protected_by") == "identity",
                            "%s: the bind mount's path, protected by identity: %s" %
                            (trick, [h.short(r) for r in recs[:1]]))
                    continue
                h.check(bool(recs), "%s: a file_access record names %s (%s)" %
                        (trick, expect, [r["file"]["path"] for r in file_records(agent, pid)][:3]))
                f = recs[0]["file"]
                if trick == "thread":
                    m = re.search(r"hits (\d+) denied (\d+)", out)
                    want = int(m.group(1)) + int(m.group(2)) if m else 1
                    h.wait_for(lambda: len([r for r in file_records(agent, pid) if r["file"]["path"] == expect])
                               >= want, T, what="a record for each of the %d opens of the target" % want)
                    recs = [r for r in file_records(agent, pid) if r["file"]["path"] == expect]
                    # the rewrite won the race where the tracepoint read the
                    # decoy and the kernel opened the target
                    raced = [r for r in recs if r["file"].get("requested_path") == DECOY]
                    h.log("thread: %d records of %s, %d where the tracepoint read %s (%s)" %
                          (len(recs), SHADOW, len(raced), DECOY, out.strip().splitlines()[-1:]))
                    continue
                if trick == "nonresident":
                    # unreadable at entry, read again at exit
                    h.check("path_unreadable" not in f and f["path"] == SHADOW and "requested_path" not in f,
                            "nonresident: the path is what was opened, the name read at exit (%s)" % h.short(recs[0]))
                    continue
                if trick == "long":
                    h.check(f.get("requested_path", "").startswith(wd.path) and f["path"] == SHADOW,
                            "long: path %s, requested_path cut at 215 bytes (%d)" %
                            (f["path"], len(f.get("requested_path", ""))))
                    continue
                if requested is None:
                    h.check("requested_path" not in f, "%s: no requested_path when it is the path" % trick)
                else:
                    h.check(f.get("requested_path") == requested, "%s: requested_path %r (%r)" %
                            (trick, requested, f.get("requested_path")))

            # a name in a page not resident at sys_enter, and an open that
            # fails (nothing opened: only the name tells, read at sys_exit,
            # after the kernel faulted the page in): by a user who may not
            # read the target (EACCES), and of a missing file (ENOENT)
            scratch = wd.join("nobody")
            os.makedirs(scratch)
            os.chmod(scratch, 0o1777)
            start = agent.client.count()
            pid, out = run_trick(evade, "nonresident-fail", SHADOW, scratch, user=65534, opens=False)
            a = violation(agent, pid, start)
            rec = agent.client.wait_for(lambda r: r["event"] == "file_access" and r["process"]["pid"] == pid
                                        and r["file"]["path"] == SHADOW, T, what="the failed open's record",
                                        start=start)
            ok = (a is not None and a["anomaly"]["subject"] == SHADOW and rec is not None and
                  rec["file"].get("error") == "EACCES" and "path_unreadable" not in rec["file"])
            h.log("nonresident, EACCES: %s %s" % (h.short(a) if a else None, h.short(rec) if rec else None))
            results.append(("nonresident, failed open (EACCES, uid 65534)", ok))
            start = agent.client.count()
            pid, out = run_trick(evade, "nonresident-missing", SHADOW, wd.path, opens=False)
            want = wd.join("missing-%d" % pid)
            rec = agent.client.wait_for(lambda r: r["event"] == "file_access" and r["process"]["pid"] == pid
                                        and r["file"]["error"] == "ENOENT", T, what="the failed open's record",
                                        start=start)
            h.log("nonresident, ENOENT: %s" % (h.short(rec) if rec else None))
            results.append(("nonresident, failed open (ENOENT): its path", rec is not None and
                            rec["file"]["path"] == want and "path_unreadable" not in rec["file"]))

            # glibc's failed open of /usr/lib/locale/locale-archive (absent
            # here) names it from libc's .rodata, not touched yet by a new
            # process: read at exit, its path is outside the included
            # prefix, so no record; unread, it came as path "" (unfiltered)
            env = dict(os.environ, LANG="C.UTF-8")
            p_cat = subprocess.Popen(["cat", "/etc/hostname"], stdout=subprocess.DEVNULL, env=env)
            p_cat.wait()
            pid, _ = run_trick(evade, "plain", secret)  # a later record: the cat's are read
            h.check(violation(agent, pid) is not None, "plain open of %s after cat" % secret)
            blank = [r for r in file_records(agent, p_cat.pid) if not r["file"]["path"]]
            h.log("cat /etc/hostname, records without a path: %s" % [h.short(r, 300) for r in blank[:2]])
            results.append(("cat /etc/hostname: no record without its path", not blank))

            # truncate(2) changes a file as open(O_WRONLY|O_TRUNC) does: the
            # same record (op truncate) and rules, judged on the name (no
            # file is opened): absolute, relative to the cwd, refused
            # (EACCES as uid 65534; EROFS in the guest, whose /etc is
            # read-only), and the agent's own config (tamper)
            for trick, target, user, subject in (("truncate", secret, None, secret),
                                                 ("truncate-rel", secret, None, secret),
                                                 ("truncate-denied", SHADOW, 65534, SHADOW)):
                start = agent.client.count()
                pid, out = run_trick(evade, trick, target, user=user, opens=False)
                a = violation(agent, pid, start)
                rec = agent.client.wait_for(lambda r: r["event"] == "file_access" and r["process"]["pid"] == pid
                                            and r["file"]["op"] == "truncate", T, what="the truncate record",
                                            start=start)
                ok = (a is not None and a["anomaly"]["subject"] == subject and rec is not None and
                      rec["file"]["path"] == subject and "O_TRUNC" in rec["file"]["flags"] and
                      (rec["file"]["result"] < 0 if user else rec["file"]["result"] == 0))
                h.log("%s: %s %s" % (trick, h.short(a, 300) if a else None, h.short(rec) if rec else None))
                results.append((trick + " of " + subject, ok))
            start = agent.client.count()
            pid, out = run_trick(evade, "truncate", conf, opens=False)
            a = agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["process"]["pid"] == pid and
                                      r["anomaly"]["kind"] == "tamper" and r["anomaly"]["rule"] == "agent_file",
                                      T, what="tamper agent_file", start=start)
            h.log("truncate of the config: %s" % (h.short(a, 300) if a else None))
            results.append(("truncate of the agent's config (tamper)",
                            a is not None and a["anomaly"]["subject"] == conf))

            # a chroot: its own /etc/shadow is not the protected one, the
            # host's reached through a bind mount is; root is reported
            start = agent.client.count()
            pid, _ = run_trick(evade, "chroot", SHADOW, jail)
            chroot_pid = pid
            a = agent.client.wait_for(lambda r: r["event"] == "anomaly" and r["process"]["pid"] == pid and
                                      r["anomaly"]["kind"] == "file_violation" and
                                      r["anomaly"]["subject"].endswith("/host-etc/shadow"), T,
                                      what="the violation of the host's file", start=start)
            results.append(("chroot+bind", enforced_ok(a)))
            if a is not None:
                recs = file_records(agent, pid)
                host = [r for r in recs if r["file"]["path"] == os.path.join(jail, "host-etc", "shadow")]
                h.check(bool(host) and host[0]["file"].get("root") == jail and
                        host[0]["file"].get("requested_path") == "/host-etc/shadow",
                        "chroot: path as the host sees it, root %s: %s" % (jail, [h.short(r) for r in host[:1]]))

            # exact entries: secret123 is not secret; the jail's decoy is
            # not /etc/shadow.  Asserted after a later violation was read.
            if DENY:
                h.check(agent.hook_mechanism("file_open") == "lsm", "mode 2 needs BPF-LSM file_open")
            neg_pid = subprocess.Popen(["cat", secret + "123"], stdout=subprocess.DEVNULL)
            neg_pid.wait()
            start = agent.client.count()
            pid, _ = run_trick(evade, "plain", secret)
            h.check(violation(agent, pid, start) is not None, "plain open of the exact entry %s" % secret)
            v = agent.client.find(lambda r: r["event"] == "anomaly" and r["process"]["pid"] == neg_pid.pid)
            h.log("exact entry vs %s123: %s" % (secret, [h.short(x) for x in v[:1]]))
            results.append(("no violation for secret123", not v))
            jv = agent.client.find(lambda r: r["event"] == "anomaly" and r["process"]["pid"] == chroot_pid and
                                   not r["anomaly"]["subject"].endswith("/host-etc/shadow"))
            h.log("the jail's own etc/shadow: %s" % [h.short(x) for x in jv[:1]])
            results.append(("no violation for the jail's own shadow", not jv))

            # filters on the resolved path: a link outside the included
            # prefix to a file inside it is reported; a spelling of an
            # excluded file is not
            outside = "/tmp/clawos-evade-%s" % uuid.uuid4().hex[:8]
            os.symlink(wd.join("plain"), outside)
            links.append(outside)
            p_in = subprocess.Popen(["cat", outside], stdout=subprocess.DEVNULL)
            p_in.wait()
            p_ex = subprocess.Popen(["cat", os.path.join(wd.path, ".", "excluded", "f")], stdout=subprocess.DEVNULL)
            p_ex.wait()
            rec = agent.client.wait_for(lambda r: r["event"] == "file_access" and r["process"]["pid"] == p_in.pid
                                        and r["file"]["path"] == wd.join("plain"), T, what="the open through the link")
            results.append(("include_path_prefix via a link", rec is not None))
            if rec is not None:
                h.check(rec["file"]["path"] == wd.join("plain") and rec["file"].get("requested_path") == outside,
                        "include_path_prefix: a link from outside is matched on what it opened (%s)" % h.short(rec))
            ex = [r for r in file_records(agent, p_ex.pid)
                  if "excluded" in r["file"]["path"] + r["file"].get("requested_path", "")]
            h.log("exclude_path_prefix vs %s/./excluded/f: %s" % (wd.path, [h.short(x) for x in ex[:1]]))
            results.append(("exclude_path_prefix via ./", not ex))
            errs = h.schema_errors(agent.client.snapshot())
            h.check(not errs, "every record matches the schema (%s)" % errs[:2])
        finally:
            h.log("\n| technique | result |\n|---|---|")
            for trick, seen in results:
                h.log("| %s | %s |" % (trick, "seen" if seen else "missed"))
            for p in links:
                try:
                    os.unlink(p)
                except OSError:
                    pass
            agent.stop()
        missed = [t for t, s in results if not s]
        h.check(not missed, "every trick seen (missed: %s)" % missed)


if __name__ == "__main__":
    h.run(main)
