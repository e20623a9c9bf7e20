# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fresh minimal Debian 12 in a chroot, for "first contact" tests.

debootstrap --variant=minbase runs once per day and machine into a cached
tarball; each test unpacks it into its own directory, mounts what a booted
machine has (proc, /sys and /dev bound recursively, a tmpfs on /run), copies
the machine's apt sources in, and clones the committed HEAD of the source
tree into /root/src.

Mounts: the caller enters a private mount namespace first (enter_namespace),
so nothing mounted here is ever visible to the host and everything vanishes
with the test's processes, whatever the exit path.  Within the namespace the
chroot's mounts are still unmounted (umount -R, lazily as a last resort) and
checked gone before its directory is removed, and the removal never crosses
into another file system (rm --one-file-system): a bind of /dev or /sys is
never walked by rm.
"""

import ctypes
import fcntl
import os
import re
import signal
import subprocess
import time

import clawos_harness as h

CACHE_DIR = os.environ.get("CLAWOS_FRESH_CACHE", "/var/cache/clawos-ebpf-fresh")
WORK_BASE = os.environ.get("CLAWOS_FRESH_WORKDIR", "/var/tmp")
SOURCES = "/etc/apt/sources.list.d/debian.sources"
SUITE = "bookworm"
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)


def enter_namespace():
    """Own mount namespace, every mount private: call before any thread."""
    if _libc.unshare(CLONE_NEWNS) != 0:
        h.skip("unshare(CLONE_NEWNS) failed: %s" % os.strerror(ctypes.get_errno()))
    if _libc.mount(None, b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None) != 0:
        h.hard_error("making / private failed: %s" % os.strerror(ctypes.get_errno()))


def require():
    """Skip (77) with the reason when this machine cannot run the test."""
    if os.geteuid() != 0:
        h.skip("needs root (chroot, mounts, BPF)")
    for tool in ("debootstrap", "git", "chroot", "tar", "mount", "umount"):
        if not any(os.access(os.path.join(d, tool), os.X_OK) for d in CHROOT_PATH.split(":")):
            h.skip("%s is not installed (./dev.sh test installs the test packages)" % tool)
    if not os.path.exists(SOURCES):
        h.skip("%s is missing: no mirror to bootstrap from" % SOURCES)
    r = subprocess.run(["git", "-C", h.SOURCE_ROOT, "rev-parse", "HEAD"], capture_output=True, text=True)
    if r.returncode != 0:
        h.skip("%s is not a git checkout: nothing committed to clone" % h.SOURCE_ROOT)
    return r.stdout.strip()


def mirror():
    """The first URI of the machine's Debian sources (deb822)."""
    with open(SOURCES) as f:
        m = re.search(r"(?m)^URIs:\s*(\S+)", f.read())
    if not m:
        h.hard_error("no URIs: line in %s" % SOURCES)
    return m.group(1)


def run_logged(cmd, log_path, timeout, what, **kw):
    """Runs cmd with its output in log_path; on failure shows its end."""
    t0 = time.monotonic()
    with open(log_path, "ab") as lf:
        try:
            r = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               timeout=timeout, **kw)
            rc = r.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout after %d s" % timeout
    if rc != 0:
        tail(log_path)
        raise h.TestFailure("%s failed (%s): %s" % (what, rc, " ".join(cmd)))
    return time.monotonic() - t0


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return
    h.log("---- last %d lines of %s ----" % (min(n, len(lines)), path))
    for line in lines[-n:]:
        h.log("  " + line)
    h.log("---- end ----")


def tarball():
    """Path of today's minbase tarball; made (about a minute) if missing.

    Serialised by a lock: tests (or engineers) running at once share one."""
    os.makedirs(CACHE_DIR, mode=0o755, exist_ok=True)
    name = "%s-minbase-%s.tar" % (SUITE, time.strftime("%Y%m%d", time.gmtime()))
    path = os.path.join(CACHE_DIR, name)
    with open(os.path.join(CACHE_DIR, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(path):
            h.log("cached: %s" % path)
            return path, 0.0
        t0 = time.monotonic()
        root = os.path.join(CACHE_DIR, "root.%d" % os.getpid())
        log = os.path.join(CACHE_DIR, "debootstrap.log")
        if os.path.exists(log):
            os.unlink(log)
        h.log("debootstrap --variant=minbase %s from %s (once a day)" % (SUITE, mirror()))
        try:
            run_logged(["debootstrap", "--variant=minbase", SUITE, root, mirror()], log, 1200, "debootstrap")
            # debootstrap mounts proc and sys in the target while it works
            unmount_all(root)
            run_logged(["tar", "-C", root, "--numeric-owner", "-cf", path + ".tmp", "."], log, 600, "tar")
            os.rename(path + ".tmp", path)
        finally:
            remove_tree(root)
            if os.path.exists(path + ".tmp"):
                os.unlink(path + ".tmp")
        for old in os.listdir(CACHE_DIR):
            if old.endswith(".tar") and old != name:
                os.unlink(os.path.join(CACHE_DIR, old))
        return path, time.monotonic() - t0


def _unescape(p):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), p)


def mounts_under(path):
    """Mount points at or below path in this namespace, deepest last."""
    path = os.path.realpath(path)
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = _unescape(line.split()[4])
            if mp == path or mp.startswith(path + "/"):
                out.append(mp)
    return out


def unmount_all(path):
    """umount -R every mount below path (lazily if busy); True when none is left."""
    for attempt in range(3):
        mps = mounts_under(path)
        if not mps:
            return True
        # top-level ones first: umount -R takes their children along
        tops = [m for m in mps if not any(m != o and m.startswith(o + "/") for o in mps)]
        for m in tops:
            args = ["umount", "-R"] + (["-l"] if attempt else []) + [m]
            r = subprocess.run(args, capture_output=True, text=True)
            if r.returncode != 0:
                h.log("%s: %s" % (" ".join(args), r.stderr.strip()))
        time.sleep(0.2 * attempt)
    left = mounts_under(path)
    if left:
        h.log("still mounted: %s" % ", ".join(left))
    return not left


def remove_tree(path):
    """rm -rf path, only when nothing is mounted below it, never across file systems."""
    if not os.path.lexists(path):
        return
    if not unmount_all(path):
        h.log("NOT removing %s: mounts are left below it" % path)
        return
    subprocess.run(["rm", "-rf", "--one-file-system", path], check=False)


def kill_processes_in(root):
    """SIGKILL every process whose root directory is in the chroot."""
    root = os.path.realpath(root)
    killed = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            r = os.readlink("/proc/%s/root" % pid)
        except OSError:
            continue
        if r == root or r.startswith(root + "/"):
            try:
                os.kill(int(pid), signal.SIGKILL)
                killed.append(int(pid))
            except OSError:
                pass
    if killed:
        h.log("killed processes left in the chroot: %s" % killed)
        time.sleep(0.5)


class Chroot:
    """One fresh chroot with the committed HEAD cloned at /root/src."""

    def __init__(self, name, head):
        self.name = name
        self.head = head
        self.path = None
        self.shared = False
        self.timings = {}

    def __enter__(self):
        tar, made = tarball()
        self.timings["debootstrap"] = made
        t0 = time.monotonic()
        self.path = os.path.realpath(
            subprocess.run(["mktemp", "-d", os.path.join(WORK_BASE, "clawos-fresh-%s.XXXXXX" % self.name)],
                           capture_output=True, text=True, check=True).stdout.strip())
        os.chmod(self.path, 0o755)
        self.log_path = self.path + ".log"
        run_logged(["tar", "-C", self.path, "--numeric-owner", "-xf", tar], self.log_path, 600, "unpacking " + tar)
        # the machine's sources (one mirror, as on the host), its resolver
        os.makedirs(self.join("etc/apt/sources.list.d"), exist_ok=True)
        with open(SOURCES, "rb") as src, open(self.join("etc/apt/sources.list.d/debian.sources"), "wb") as dst:
            dst.write(src.read())
        if os.path.exists(self.join("etc/apt/sources.list")):
            os.unlink(self.join("etc/apt/sources.list"))  # debootstrap's: the same mirror twice
        with open("/etc/resolv.conf", "rb") as src, open(self.join("etc/resolv.conf"), "wb") as dst:
            dst.write(src.read())
        for args in (["-t", "proc", "proc", self.join("proc")],
                     ["--rbind", "/sys", self.join("sys")], ["--make-rslave", self.join("sys")],
                     ["--rbind", "/dev", self.join("dev")], ["--make-rslave", self.join("dev")],
                     ["-t", "tmpfs", "-o", "mode=0755", "tmpfs", self.join("run")]):
            run_logged(["mount"] + args, self.log_path, 60, "mount")
        # the project's shared test data (schemas, Sigma rules) where a checkout
        # finds it, ../shared next to the source, read-only: the unit suite's
        # schema checks run on it, as they do on any developer's machine
        shared = os.path.realpath(os.environ.get("CLAWOS_SHARED") or os.path.join(h.SOURCE_ROOT, "..", "shared"))
        self.shared = os.path.isdir(shared)
        if self.shared:
            os.makedirs(self.join("root/shared"), exist_ok=True)
            for args in (["--bind", shared, self.join("root/shared")],
                         ["-o", "remount,bind,ro", self.join("root/shared")]):
                run_logged(["mount"] + args, self.log_path, 60, "mount")
        # a clean clone of exactly the commit under test
        src = self.join("root/src")
        run_logged(["git", "clone", "--quiet", "--no-checkout", h.SOURCE_ROOT, src], self.log_path, 300, "git clone")
        run_logged(["git", "-C", src, "checkout", "--quiet", "--detach", self.head], self.log_path, 300,
                   "git checkout")
        self.timings["prepare"] = time.monotonic() - t0
        h.log("chroot %s: %s at %s" % (self.name, self.path, self.head[:12]))
        return self

    def join(self, *p):
        return os.path.join(self.path, *p)

    def command(self, *argv):
        """argv run as root inside the chroot, with a clean environment."""
        # absolute paths: a PATH search would show up as failed execs on the agent's terminal
        return ["/usr/bin/env", "-i", "PATH=" + CHROOT_PATH, "HOME=/root", "LANG=C.UTF-8", "TERM=dumb",
                "/usr/sbin/chroot", self.path] + list(argv)

    def __exit__(self, exc_type, exc, tb):
        if not self.path:
            return
        kill_processes_in(self.path)
        if exc_type is not None:
            tail(self.log_path, 20)
        if os.path.exists(self.log_path):
            os.unlink(self.log_path)
        if os.environ.get("CLAWOS_FRESH_KEEP") == "1":
            unmount_all(self.path)
            h.log("kept (CLAWOS_FRESH_KEEP=1): %s" % self.path)
            return
        remove_tree(self.path)
        if os.path.exists(self.path):
            raise h.TestFailure("could not remove %s" % self.path)
