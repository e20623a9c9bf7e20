# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for the root tests: run the real agent on the real kernel.

Standard library only (Debian's python3).  Every wait has a timeout; every
helper cleans up what it started.  A test that cannot run exits 77 (meson's
"skipped") after printing why; a broken setup exits 99 (hard error).
"""

import ctypes
import errno
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

EXIT_SKIP = 77
EXIT_HARD_ERROR = 99

SOURCE_ROOT = os.environ.get("CLAWOS_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SHIPPED_CONFIG = os.path.join(SOURCE_ROOT, "config", "clawos-ebpf.conf")
MESSAGE_IDS_H = os.path.join(SOURCE_ROOT, "agent", "message-ids.h")
SCHEMA = os.path.join(SOURCE_ROOT, "man", "clawos-ebpf-events.schema.json")
JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_SOCKET = "/run/systemd/journal/socket"

_libc = ctypes.CDLL(None, use_errno=True)


def log(msg):
    print(msg, flush=True)


def skip(reason):
    log("SKIP: " + reason)
    sys.exit(EXIT_SKIP)


def hard_error(reason):
    log("ERROR: " + reason)
    sys.exit(EXIT_HARD_ERROR)


class TestFailure(AssertionError):
    pass


def check(cond, what, diag=None):
    """Assert with a message; diag() is called for extra output on failure."""
    if cond:
        log("ok: " + what)
        return
    log("FAIL: " + what)
    if diag:
        try:
            diag()
        except Exception:  # diagnostics must never hide the failure
            traceback.print_exc()
    raise TestFailure(what)


# ---------------------------------------------------------------- environment

def _bpf_nr():
    return {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361,
            "s390x": 351, "i686": 357, "armv7l": 386}.get(platform.machine())


def bpf_usable():
    """None if bpf() works for us, else the reason it does not."""
    nr = _bpf_nr()
    if nr is None:
        return "unknown bpf() syscall number on " + platform.machine()
    # union bpf_attr for BPF_MAP_CREATE: type, key_size, value_size, max_entries
    attr = (ctypes.c_uint32 * 32)(2, 4, 4, 1)  # BPF_MAP_TYPE_ARRAY
    fd = _libc.syscall(ctypes.c_long(nr), ctypes.c_int(0), ctypes.byref(attr),
                       ctypes.c_uint(ctypes.sizeof(attr)))
    if fd >= 0:
        os.close(fd)
        return None
    e = ctypes.get_errno()
    if e in (errno.ENOSYS, errno.EPERM, errno.EACCES):
        return "bpf() fails: " + os.strerror(e)
    return None  # some other error: let the agent report it


def require_root_bpf():
    if os.geteuid() != 0:
        skip("needs root (euid %d)" % os.geteuid())
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("no /sys/kernel/btf/vmlinux: the kernel has no BTF")
    reason = bpf_usable()
    if reason:
        skip(reason)


def asan_build(binary):
    """Whether the agent was built with AddressSanitizer."""
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def agent_path():
    """The agent binary: argv[1], else $CLAWOS_AGENT."""
    p = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CLAWOS_AGENT")
    if not p:
        hard_error("no agent binary: pass it as argv[1] or set CLAWOS_AGENT")
    if not os.access(p, os.X_OK):
        hard_error("agent binary %s is not executable" % p)
    return os.path.abspath(p)


def message_id(event):
    """The MESSAGE_ID of an event, read from agent/message-ids.h."""
    with open(MESSAGE_IDS_H) as f:
        text = f.read()
    m = re.search(r'\{\s*"%s"\s*,\s*"([0-9a-f]{32})"\s*\}' % re.escape(event), text)
    if not m:
        hard_error("no MESSAGE_ID for %r in %s" % (event, MESSAGE_IDS_H))
    return m.group(1)


def set_comm(name):
    """prctl(PR_SET_NAME) for the calling thread."""
    _libc.prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def get_comm():
    with open("/proc/thread-self/comm") as f:
        return f.read().strip()


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Poll predicate() until it returns a true value; return it, or None."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() >= deadline:
            log("timeout after %.1f s waiting for %s" % (timeout, what))
            return None
        time.sleep(interval)


def bpftool():
    """The bpftool the build used ($CLAWOS_BPFTOOL, set by meson), else the
    one on PATH; the build needs it, so its absence is a broken setup."""
    p = os.environ.get("CLAWOS_BPFTOOL") or shutil.which("bpftool") or "/usr/sbin/bpftool"
    if not os.access(p, os.X_OK):
        hard_error("no bpftool (%s): the leak checks and program listings need it" % p)
    return p


def bpf_progs():
    """{id: name} of loaded BPF programs."""
    out = subprocess.run([bpftool(), "prog", "show", "-j"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        hard_error("bpftool prog show failed: " + out.stderr.strip())
    return {p["id"]: p.get("name", "") for p in json.loads(out.stdout or "[]")}


def bpf_prog_ids_of(pid):
    """Program ids referenced by an fd (program or link) of process pid."""
    held = set()
    try:
        fds = os.listdir("/proc/%s/fdinfo" % pid)
    except OSError:
        return held
    for fd in fds:
        try:
            with open("/proc/%s/fdinfo/%s" % (pid, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        held.add(int(line.split()[1]))
        except (OSError, ValueError):
            pass
    return held


def bpf_prog_ids_held():
    """Program ids referenced by an fd (program or link) of a live process."""
    held = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            held |= bpf_prog_ids_of(pid)
    return held


def clawos_prog_ids():
    return {i for i, n in bpf_progs().items() if n.startswith("clawos_")}


def agent_prog_ids(pid):
    """The clawos_* programs agent pid holds (record them once it runs)."""
    own = bpf_prog_ids_of(pid) & clawos_prog_ids()
    check(bool(own), "the agent holds its clawos_* programs (fdinfo of pid %d)" % pid)
    return own


def check_progs_freed(own, what="after exit"):
    """None of own (agent_prog_ids of an agent that has exited) may be left.
    Only the agent's own: other agents (other tests, the packaged service)
    load and free theirs meanwhile.  The kernel frees a program a moment
    after its last reference goes (RCU), hence the wait."""
    wait_for(lambda: not (own & clawos_prog_ids()), 5, what="the agent's programs to be freed")
    left = own & clawos_prog_ids()
    check(not left, "%s: none of the agent's %d clawos_* BPF programs left (leaked ids %s)" %
          (what, len(own), sorted(left)))


# ---------------------------------------------------------------- config

class Workdir:
    """A private temp dir, removed on exit."""

    def __init__(self, prefix="clawos-root-"):
        self.path = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.path, 0o755)

    def join(self, *p):
        return os.path.join(self.path, *p)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def write_config(workdir, name="clawos-ebpf.conf", extra_lines=(), **overrides):
    """The shipped config with "key = value" lines replaced; returns its path.

    Tests default to a private socket, no journal and 1 s statistics;
    socket_group is emptied because the 'clawos' group need not exist here."""
    values = {"socket_path": workdir.join("events.sock"), "socket_group": "",
              "stats_interval": "1", "journal": "no"}
    values.update({k: str(v) for k, v in overrides.items()})
    with open(SHIPPED_CONFIG) as f:
        lines = f.read().splitlines()
    seen = set()
    for i, line in enumerate(lines):
        m = re.match(r"^([a-z_0-9]+) =", line)
        if m and m.group(1) in values:
            lines[i] = "%s = %s" % (m.group(1), values[m.group(1)])
            seen.add(m.group(1))
    missing = set(values) - seen
    if missing:
        hard_error("keys not in %s: %s" % (SHIPPED_CONFIG, ", ".join(sorted(missing))))
    lines.extend(extra_lines)
    path = workdir.join(name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o644)
    os.chown(path, 0, 0)
    return path


# ---------------------------------------------------------------- records

_schema_validator = None


def require_schema():
    """Skip (77) when records cannot be validated against the events
    schema (python3-jsonschema missing); a test that validates calls it
    before it starts the agent."""
    _validator()


def _validator():
    global _schema_validator
    if _schema_validator is not None:
        return _schema_validator
    try:
        import jsonschema  # python3-jsonschema (dev.sh installs it)
    except ImportError:
        skip("python3-jsonschema is missing: records cannot be validated against %s" % SCHEMA)
    try:
        with open(SCHEMA) as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        hard_error("cannot read the events schema: %s" % e)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    _schema_validator = cls(schema)
    return _schema_validator


def schema_errors(records, limit=5, per_event=300):
    """Up to `limit` (record, message) pairs failing the events schema.

    At most `per_event` records of each event kind are validated (about a
    millisecond each): every kind is covered, a flood of one is not.  No
    records is an error: a validation of nothing would pass."""
    v = _validator()
    if not records:
        return [({}, "no records to validate")]
    out = []
    seen = {}
    for r in records:
        kind = r.get("event")
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] > per_event:
            continue
        e = next(iter(v.iter_errors(r)), None)
        if e is not None:
            out.append((r, "%s at %s" % (e.message, "/".join(str(p) for p in e.absolute_path))))
            if len(out) >= limit:
                break
    return out


def short(rec, n=600):
    s = json.dumps(rec, sort_keys=True)
    return s if len(s) <= n else s[:n] + "..."


class SocketClient:
    """Reads NDJSON records from the agent's socket in a background thread."""

    def __init__(self, path, timeout=10):
        self.path = path
        self.records = []
        self.bad_lines = []  # (line, error): every line must parse as an object
        self.cond = threading.Condition()
        self.eof = False
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.sock.settimeout(0.2)
        self._stop = False
        self.thread = threading.Thread(target=self._run, name="clawos-client", daemon=True)
        self.thread.start()

    def _run(self):
        buf = b""
        while not self._stop:
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            parsed = []
            for line in lines:
                try:
                    o = json.loads(line)
                    if not isinstance(o, dict):
                        raise ValueError("not an object")
                    parsed.append(o)
                except ValueError as e:
                    self.bad_lines.append((line[:300], str(e)))
            with self.cond:
                self.records.extend(parsed)
                self.cond.notify_all()
        with self.cond:
            if buf:
                self.bad_lines.append((buf[:300], "unterminated last line"))
            self.eof = True
            self.cond.notify_all()

    def count(self):
        with self.cond:
            return len(self.records)

    def snapshot(self):
        with self.cond:
            return list(self.records)

    def find(self, predicate):
        with self.cond:
            return [r for r in self.records if _safe(predicate, r)]

    def wait_for(self, predicate, timeout, what="record", start=0):
        """First record at index >= start matching predicate within timeout, else None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for r in self.records[start:]:
                    if _safe(predicate, r):
                        return r
                start = len(self.records)
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    log("timeout after %.1f s waiting for %s (%d records seen%s)" %
                        (timeout, what, len(self.records), ", socket closed" if self.eof else ""))
                    return None
                self.cond.wait(min(left, 0.5))

    def close(self):
        self._stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(5)
        self.sock.close()


def _safe(predicate, r):
    try:
        return predicate(r)
    except (KeyError, TypeError, AttributeError, IndexError):
        return False


def dig(rec, *keys):
    """rec[k1][k2]... or None."""
    for k in keys:
        if not isinstance(rec, dict):
            return None
        rec = rec.get(k)
    return rec


# ---------------------------------------------------------------- the agent

class Agent:
    """The agent in the foreground, stdout and stderr captured to files."""

    def __init__(self, binary, config, workdir, args=(), name="agent"):
        self.binary = binary
        self.config = config
        self.workdir = workdir
        self.args = list(args)
        self.stdout_path = workdir.join(name + ".stdout")
        self.stderr_path = workdir.join(name + ".stderr")
        self.proc = None
        self.client = None
        self.startup = None
        self.socket_path = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, socket_path, timeout=30):
        """Start, wait for the socket and the startup record, attach a client.

        The startup record is emitted before the event loop runs, so a client
        cannot receive it (see the report); it is read from stdout.  The
        client counts as attached once a first record reached it."""
        self.socket_path = socket_path
        cmd = [self.binary, "--config", self.config, "--foreground"] + self.args
        log("starting: " + " ".join(cmd))
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        ok = wait_for(lambda: os.path.exists(socket_path) or self.proc.poll() is not None,
                      timeout, what="the agent's socket")
        if not ok or self.proc.poll() is not None:
            self.dump()
            raise TestFailure("agent did not create %s (exit status %s)" % (socket_path, self.proc.poll()))
        self.startup = wait_for(self._startup_from_stdout, 10, what="the startup record on stdout")
        if not self.startup:
            self.dump()
            raise TestFailure("no startup record on the agent's stdout")
        check(self.startup.get("pid") == self.proc.pid, "startup record names the agent's pid %d" % self.proc.pid)
        self.own_progs = agent_prog_ids(self.proc.pid)  # gone once it has exited
        self.client = SocketClient(socket_path)
        if not self.client.wait_for(lambda r: True, 10, what="a first record on the socket"):
            self.dump()
            raise TestFailure("the socket client received nothing")
        return self

    def stdout_records(self):
        out = []
        try:
            with open(self.stdout_path, "rb") as f:
                for line in f:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass  # the last line may be partial while running
        except FileNotFoundError:
            pass
        return out

    def _startup_from_stdout(self):
        with open(self.stdout_path, "rb") as f:
            for line in f:
                if b'"event":"startup"' in line:
                    try:
                        return json.loads(line)
                    except ValueError:
                        return None
        return None

    def hook_mechanism(self, hook):
        return dig(self.startup, "hooks", hook, "mechanism")

    def stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def dump(self, records=None, n=20):
        log("---- agent stderr (%s) ----" % self.stderr_path)
        sys.stdout.write(self.stderr()[-6000:])
        if self.client is not None:
            recs = self.client.snapshot() if records is None else records
            kinds = {}
            for r in recs:
                kind = r.get("event") if isinstance(r.get("event"), str) else str(dig(r, "event", "dataset"))
                kinds[kind] = kinds.get(kind, 0) + 1
            log("---- %d socket records by event: %s" % (len(recs), kinds))
            for r in [r for r in recs if r.get("event") in ("events_lost", "stats")][-3:]:
                log("  " + short(r, 1500))
            log("---- last %d socket records ----" % n)
            for r in recs[-n:]:
                log("  " + short(r))
            for line, e in self.client.bad_lines[:5]:
                log("  unparsable line (%s): %r" % (e, line))
        log("---- end ----")

    def terminate(self, timeout=5):
        """SIGTERM; the agent must exit 0 within timeout and remove its socket."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            self.dump()
            raise TestFailure("agent did not exit within %d s of SIGTERM" % timeout)
        finally:
            if self.client:
                self.client.close()
        check(rc == 0, "agent exited 0 after SIGTERM (got %s)" % rc, self.dump)
        if self.socket_path:
            check(not os.path.exists(self.socket_path), "agent removed its socket %s" % self.socket_path)

    def stop(self, timeout=5):
        """terminate(), and no clawos_* program may be left."""
        if not self.proc:
            return
        self.terminate(timeout)
        check_progs_freed(self.own_progs)

    def kill(self):
        """Cleanup path: never leave the agent running."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        if self.client:
            self.client.close()


# ---------------------------------------------------------------- journald

CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18


def _mount(source, target, fstype, flags, data=None):
    r = _libc.mount(ctypes.c_char_p(source.encode() if source else None), ctypes.c_char_p(target.encode()),
                    ctypes.c_char_p(fstype.encode() if fstype else None), ctypes.c_ulong(flags),
                    ctypes.c_char_p(data.encode() if data else None))
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, "mount %s on %s: %s" % (fstype or source, target, os.strerror(e)))


def enter_private_mounts():
    """Own mount namespace with fresh tmpfs over /run and /var/log/journal.

    The private journald's socket, journal files and config drop-in live
    there and vanish with the test; the host's /run and journal are never
    touched.  Call before any thread is started (unshare(CLONE_NEWNS)
    implies CLONE_FS, which a multi-threaded process may not unshare)."""
    if _libc.unshare(CLONE_NEWNS) != 0:
        skip("unshare(CLONE_NEWNS) failed: %s" % os.strerror(ctypes.get_errno()))
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", "/run", "tmpfs", 0, "mode=0755")
    if os.path.isdir("/var/log/journal"):
        _mount("tmpfs", "/var/log/journal", "tmpfs", 0, "mode=2755")


class Journald:
    """A private systemd-journald started by hand, in our mount namespace."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None

    def start(self, timeout=10):
        if not os.access(JOURNALD, os.X_OK):
            skip("%s is missing" % JOURNALD)
        if not shutil.which("journalctl"):
            skip("journalctl is missing")
        os.makedirs("/run/systemd/journald.conf.d", exist_ok=True)
        with open("/run/systemd/journald.conf.d/50-clawos-test.conf", "w") as f:
            # no journald rate limit (the agent has its own), nothing forwarded
            f.write("[Journal]\nStorage=volatile\nRateLimitBurst=0\nRuntimeMaxUse=512M\n"
                    "ReadKMsg=no\nForwardToSyslog=no\nForwardToWall=no\nForwardToKMsg=no\n"
                    "ForwardToConsole=no\n")
        self.log_path = self.workdir.join("journald.log")
        with open(self.log_path, "wb") as lf:
            self.proc = subprocess.Popen([JOURNALD], stdout=lf, stderr=lf, stdin=subprocess.DEVNULL)
        if not wait_for(lambda: os.path.exists(JOURNAL_SOCKET) or self.proc.poll() is not None,
                        timeout, what=JOURNAL_SOCKET) or self.proc.poll() is not None:
            with open(self.log_path, errors="replace") as f:
                log(f.read()[-3000:])
            raise TestFailure("journald did not start (status %s)" % self.proc.poll())
        log("private journald running, pid %d" % self.proc.pid)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def journal_query(*matches, priority=None, identifier="clawos-ebpf", timeout=30):
    """Entries of `journalctl -o json` with the given FIELD=value matches."""
    cmd = ["journalctl", "--no-pager", "--all", "-o", "json", "-q"]
    if identifier:
        cmd += ["-t", identifier]
    if priority:
        cmd += ["-p", priority]
    cmd += list(matches)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode not in (0, 1):
        log("journalctl failed (%d): %s" % (out.returncode, out.stderr.strip()))
    entries = []
    for line in out.stdout.splitlines():
        if line.strip():
            entries.append(json.loads(line))
    return entries


# ---------------------------------------------------------------- a terminal

class PtyProcess:
    """A command with a pty as its terminal; the master side read in a thread.

    ctty: stdin, stdout and stderr on the pty, which becomes the controlling
    terminal of the command's new session (closing the master then sends it
    SIGHUP).  Otherwise only stdout is on the pty, stderr goes to err_path."""

    def __init__(self, cmd, ctty=True, env=None, err_path=None):
        import fcntl
        import termios
        self.master, slave = os.openpty()
        err = open(err_path, "wb") if err_path else None
        try:
            self.proc = subprocess.Popen(
                cmd, stdin=slave if ctty else subprocess.DEVNULL, stdout=slave, stderr=err or slave,
                start_new_session=True, env=env,
                # after setsid(): the pty becomes the session's controlling terminal
                preexec_fn=(lambda: fcntl.ioctl(1, termios.TIOCSCTTY, 0)) if ctty else None)
        finally:
            os.close(slave)
            if err:
                err.close()
        self.buf = b""
        self.cond = threading.Condition()
        self.eof = False
        self.closing = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        import select
        while True:
            # never blocked in read(): close_terminal() must be the last
            # user of the master for the close to hang the terminal up
            if self.closing:
                return
            if not select.select([self.master], [], [], 0.1)[0]:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.buf += chunk
                self.cond.notify_all()

    def lines(self):
        """What the terminal showed, line by line (the last, partial one left out)."""
        with self.cond:
            return self.buf.decode(errors="replace").replace("\r\n", "\n").split("\n")[:-1]

    def wait_line(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            lines = self.lines()
            for line in lines[seen:]:
                if pred(line):
                    return line
            seen = len(lines)
            if time.monotonic() > deadline or self.proc.poll() is not None:
                log("timeout waiting for %s (exit status %s); last lines:" % (what, self.proc.poll()))
                for line in lines[-15:]:
                    log("  " + repr(line)[:300])
                return None
            with self.cond:
                self.cond.wait(0.2)

    def close_terminal(self):
        """Close the master side: the terminal hangs up."""
        self.closing = True
        self.thread.join(5)
        if self.master >= 0:
            os.close(self.master)
            self.master = -1

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.close_terminal()


# ---------------------------------------------------------------- running a test

def run(main):
    """Run main(); map TestFailure and crashes to exit 1.

    SIGTERM (meson's timeout) unwinds through the tests' finally blocks, so
    the agent, journald and temp dirs are still cleaned up."""
    def on_term(signo, frame):
        raise TestFailure("terminated by signal %d (timeout?)" % signo)

    signal.signal(signal.SIGTERM, on_term)
    try:
        main()
    except TestFailure as e:
        log("FAILED: %s" % e)
        sys.exit(1)
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        sys.exit(1)
    log("PASS")
    sys.exit(0)
