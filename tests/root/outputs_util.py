# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for the root tests of the outputs (issue 4): a C event generator,
raw socket readers in child processes, the agent without the harness's
in-process client, and a fast summary of large NDJSON captures.

The generator's events are openat() calls of missing paths that carry a tag
and a counter: /nonexistent/<tag>/<i>.  It runs under a unique comm (set
with prctl after exec, so the dynamic loader's opens are not reported) and
the tests set include_comm to it, so its records are the only trace records.
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

GEN_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/* gen COMM TAG N RATE [FIRST]: N opens of /nonexistent/TAG/<i>, i from FIRST,
 * at RATE per second (0: as fast as possible), each failing with ENOENT.  Protocol on
 * stdin/stdout: "ready" -> "go", "done <s>" -> "trailer" (one open of
 * /nonexistent/TAG/t<cpu> pinned to each CPU) or "quit". */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void expect(const char *word)
{
	char line[64];

	if (!fgets(line, sizeof(line), stdin) || strncmp(line, word, strlen(word)) != 0)
		exit(3);
}

static void open_missing(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		close(fd);
		fprintf(stderr, "gen: %s exists\n", path);
		exit(4);
	}
}

int main(int argc, char **argv)
{
	char path[256];
	unsigned long n, rate, first;
	double t0, t;
	cpu_set_t all;

	if (argc != 5 && argc != 6)
		return 2;
	n = strtoul(argv[3], NULL, 10);
	rate = strtoul(argv[4], NULL, 10);
	first = argc == 6 ? strtoul(argv[5], NULL, 10) : 0;
	prctl(PR_SET_NAME, argv[1], 0, 0, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	expect("go");
	t0 = now();
	for (unsigned long i = 0; i < n; i++) {
		if (rate && (i & 63) == 0) {
			double ahead = t0 + (double)i / rate - now();

			if (ahead > 0) {
				struct timespec ts = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };

				nanosleep(&ts, NULL);
			}
		}
		snprintf(path, sizeof(path), "/nonexistent/%s/%lu", argv[2], first + i);
		open_missing(path);
	}
	t = now() - t0;
	printf("done %.6f\n", t);
	if (!fgets(path, sizeof(path), stdin) || strncmp(path, "trailer", 7) != 0)
		return 0;
	if (sched_getaffinity(0, sizeof(all), &all) == 0) {
		for (int c = 0; c < CPU_SETSIZE; c++) {
			cpu_set_t one;

			if (!CPU_ISSET(c, &all))
				continue;
			CPU_ZERO(&one);
			CPU_SET(c, &one);
			if (sched_setaffinity(0, sizeof(one), &one) < 0)
				continue;
			snprintf(path, sizeof(path), "/nonexistent/%s/t%d", argv[2], c);
			open_missing(path);
		}
	}
	printf("end\n");
	return 0;
}
"""

# A reader in a child process: what it receives goes to a file untouched,
# so the test can stop it (SIGSTOP) or slow it without holding the GIL.
READER_PY = r"""
import socket, sys, time
path, out, rcvbuf, chunk, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
if rcvbuf:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.settimeout(10)
s.connect(path)
s.settimeout(None)
print("connected %d" % s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), flush=True)
status = "eof"
with open(out, "wb", buffering=0) as f:
    while True:
        try:
            b = s.recv(chunk)
        except ConnectionResetError:
            status = "reset"
            break
        except OSError as e:
            status = "error %s" % e
            break
        if not b:
            break
        f.write(b)
        if delay:
            time.sleep(delay)
print(status, flush=True)
"""


class ShmWorkdir(h.Workdir):
    """A temp dir on tmpfs (/dev/shm): captures of hundreds of MB are
    written without disk writeback throttling stalling a reader, or the
    agent's blocking writes to its stdout file."""

    def __init__(self, prefix="clawos-root-"):
        base = "/dev/shm" if os.path.isdir("/dev/shm") else None
        self.path = tempfile.mkdtemp(prefix=prefix, dir=base)
        os.chmod(self.path, 0o755)

    def cleanup(self):
        if os.environ.get("CLAWOS_KEEP_WORKDIR"):
            h.log("note: kept %s (CLAWOS_KEEP_WORKDIR)" % self.path)
            return
        super().cleanup()


def unique_comm():
    """A 15-byte comm nobody else uses."""
    return "cg" + uuid.uuid4().hex[:13]


def compile_c(wd, source, name, what="the generator"):
    """Compiles a test's C helper (source text) into wd/name; skips when
    there is no C compiler, fails the test when it does not compile."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        h.skip("no C compiler (cc) for %s" % what)
    src = wd.join(name + ".c")
    with open(src, "w") as f:
        f.write(source)
    exe = wd.join(name)
    r = subprocess.run([cc, "-O2", "-o", exe, src], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        h.hard_error("compiling %s failed: %s" % (what, r.stderr[-2000:]))
    return exe


def build_generator(wd):
    return compile_c(wd, GEN_C, "gen", "the event generator")


class Generator:
    """The C generator: N tagged opens at a rate, then an optional trailer."""

    def __init__(self, exe, comm, tag, n, rate=0, first=0):
        self.comm, self.tag, self.n = comm, tag, n
        self.proc = subprocess.Popen([exe, comm, tag, str(n), str(rate), str(first)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.elapsed = None
        self._expect("ready", 10)

    def _expect(self, word, timeout):
        import select
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if r else ""
        if not line.startswith(word):
            self.kill()
            raise h.TestFailure("generator: expected %r, got %r (status %s)" % (word, line, self.proc.poll()))
        return line

    def go(self):
        self.t0 = time.monotonic()
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def wait_done(self, timeout):
        line = self._expect("done", timeout)
        self.elapsed = float(line.split()[1])
        return self.elapsed

    def trailer(self, timeout=10):
        self.proc.stdin.write("trailer\n")
        self.proc.stdin.flush()
        self._expect("end", timeout)
        self.proc.wait(timeout)

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


class RawReader:
    """A socket client in a child process writing what it reads to a file."""

    def __init__(self, wd, sock_path, name, rcvbuf=0, chunk=1 << 20, delay=0.0, user=None, nice=0):
        self.path = wd.join(name + ".raw")
        cmd = [sys.executable, "-c", READER_PY, sock_path, self.path, str(rcvbuf), str(chunk), str(delay)]
        if nice:  # a reader that must keep up on a busy 2-core host
            cmd = ["nice", "-n", str(nice)] + cmd
        if user is not None:  # (uid, gid): the reader runs as that user with no groups
            cmd = ["setpriv", "--reuid=%d" % user[0], "--regid=%d" % user[1], "--clear-groups"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        if not line.startswith("connected"):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.kill()
            raise h.TestFailure("reader %s did not connect: %r %s" % (name, line, err[-500:]))
        self.rcvbuf = int(line.split()[1])
        self.name = name
        self.tail = Tail(self.path)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def cont(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def status(self, timeout):
        """'eof', 'reset' or 'error ...' once the reader saw its socket end, else None."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.proc.stdout.read().strip()

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(5)


class Tail:
    """Complete lines appended to a file, read incrementally."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = b""

    def new_lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        data = self.partial + data
        *lines, self.partial = data.split(b"\n")
        return lines


# ---------------------------------------------------------------- sockets

def hangups(socks, timeout):
    """{index: seconds} of the sockets the agent closed within timeout, seen
    with poll() (POLLRDHUP): nothing is read from them."""
    p = select.poll()
    for s in socks:
        p.register(s, select.POLLRDHUP)
    fds = {s.fileno(): i for i, s in enumerate(socks)}
    closed = {}
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout and len(closed) < len(socks):
        for fd, ev in p.poll(100):
            if ev & (select.POLLRDHUP | select.POLLHUP | select.POLLERR):
                closed[fds[fd]] = time.monotonic() - t0
                p.unregister(fd)
    return closed


def read_socket(sock, timeout, marker=None):
    """(bytes read, how it ended): "eof" or "reset" at the socket's end,
    "marker" once marker was read, None when timeout passed first."""
    sock.settimeout(0.5)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            b = sock.recv(1 << 20)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data, "reset"
        if not b:
            return data, "eof"
        data += b
        if marker is not None and marker in data:
            return data, "marker"
    return data, None


# ---------------------------------------------------------------- the agent

class BareAgent(h.Agent):
    """The harness's Agent without its in-process client (which would parse
    every record in the test process): started, its socket and startup
    record awaited; stats requested with SIGUSR1 and read from stdout."""

    env = None  # extra environment variables for the agent
    wrapper = []  # a command the agent runs under (its pid must be the agent's: strace -D)

    def start(self, socket_path, timeout=30):
        self.socket_path = socket_path
        cmd = self.wrapper + [self.binary, "--config", self.config, "--foreground"] + self.args
        h.log("starting: " + " ".join(cmd))
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=dict(os.environ, **self.env) if self.env else None)
        want = socket_path or self.stdout_path
        ok = h.wait_for(lambda: os.path.exists(want) or self.proc.poll() is not None, timeout,
                        what="the agent's socket")
        if not ok or self.proc.poll() is not None:
            self.dump()
            raise h.TestFailure("agent did not start (exit status %s)" % self.proc.poll())
        self.startup = h.wait_for(self._startup_from_stdout, 10, what="the startup record on stdout")
        if not self.startup:
            self.dump()
            raise h.TestFailure("no startup record on the agent's stdout")
        self.own_progs = h.agent_prog_ids(self.proc.pid)  # gone once it has exited
        self.stdout_tail = Tail(self.stdout_path)
        self.stats_seen = []
        return self

    def stop(self, timeout=5):
        """SIGTERM: exit 0, socket removed, none of its programs left."""
        if not self.proc:
            return
        self.terminate(timeout)
        h.check_progs_freed(self.own_progs)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def poll_stats(self):
        """Stats records that appeared on stdout since the last call."""
        new = []
        for line in self.stdout_tail.new_lines():
            if line.startswith(b'{"event":"stats"'):
                new.append(json.loads(line))
        self.stats_seen.extend(new)
        return new

    def request_stats(self, timeout=10, pred=None):
        """SIGUSR1 until a new stats record (satisfying pred) is on stdout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.proc.send_signal(signal.SIGUSR1)
            step = time.monotonic() + 0.5
            while time.monotonic() < step:
                for s in self.poll_stats():
                    if pred is None or pred(s):
                        return s
                time.sleep(0.05)
            if not self.alive():
                break
        return None

    def wait_consumed(self, n, timeout=60, pred=None):
        """A stats record by which the agent read or dropped n file_access
        records (and satisfying pred); None if none came within timeout."""
        def consumed(s):
            done = s["events"]["file_access"] + s["kernel"]["ringbuf_drops_by_type"]["file_access"] >= n
            return done and (pred is None or pred(s))
        return self.request_stats(timeout, consumed)

    def final_stats(self, readers, pred=None, timeout=60):
        """A stats record (satisfying pred) that every reader received.

        A stats record pushed while a client's queue is full is lost for
        that client (and told by events_lost): ask again until one made it
        to all of them."""
        seen = {r: set() for r in readers}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.request_stats(max(1, deadline - time.monotonic()), pred)
            if s is None:
                return None
            t = s["time"].encode()
            step = min(deadline, time.monotonic() + 3)
            while time.monotonic() < step:
                for r in readers:
                    seen[r].update(stats_times(r.tail.new_lines()))
                if all(t in v for v in seen.values()):
                    return s
                time.sleep(0.1)
        return None

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))


_RX_STATS_TIME = re.compile(rb'^\{"event":"stats","schema_version":\d+,"time":"([^"]*)"')


def stats_times(lines):
    return {m.group(1) for m in (_RX_STATS_TIME.match(line) for line in lines if line.startswith(b'{"event":"stats"')) if m}


def quiet_config(wd, comm, **overrides):
    """A configuration whose only trace records are the generator's opens:
    include_comm = its comm, no network, cgroup, syscall or exec records,
    no protected paths beyond the agent's own files (which nobody opens).
    Tamper anomalies (other processes' bpf() calls) cannot be turned off;
    anomaly_cooldown = 0 emits each of them, so that every record the
    kernel produced is an emitted record the stats count."""
    values = dict(stats_interval="0", enable_network_monitoring="no", enable_cgroup_monitoring="no",
                  enable_syscall_tracing="no", include_comm=comm, protected_paths="",
                  file_access_violation_mode="0", anomaly_cooldown="0")
    values.update(overrides)
    return h.write_config(wd, **values)


class Shipper:
    """A listening shipper for connect mode: accepts connections, greets
    each, keeps every line per connection."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.conns = []  # one list of raw lines per connection
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            lines = []
            with self.lock:
                self.conns.append(lines)
            c.sendall(b"hello from the shipper\n" * 4)
            threading.Thread(target=self._read, args=(c, lines), daemon=True).start()

    def _read(self, c, lines):
        buf = b""
        while True:
            data = c.recv(1 << 16)
            if not data:
                break
            buf += data
            *done, buf = buf.split(b"\n")
            with self.lock:
                lines.extend(done)
        if buf:
            with self.lock:
                lines.append(b"<unterminated>" + buf)
        c.close()

    def all_lines(self):
        with self.lock:
            return [line for conn in self.conns for line in conn]

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- records

_RX_SEQ = re.compile(rb'^\{"event":"[a-z_0-9]+","schema_version":\d+,"time":"[^"]*","boot_ns":\d+,"cpu":(\d+|null),"seq":(\d+)')
_RX_EVENT = re.compile(rb'^\{"event":"([a-z_0-9]+)"')
_RX_PATH = re.compile(rb'"path":"/nonexistent/([0-9a-z]+)/(t?)(\d+)"')


class Capture:
    """What one output delivered, summarised line by line.

    kernel: (cpu, seq) of every record numbered by the kernel, in order;
    tagged: counter of each tagged open (trailer opens as -1-cpu);
    stats, lost: the stats and events_lost records; bad: lines that are
    not JSON records; order: one key per record of the stream, in order:
    (cpu, seq), ("user", seq) for records the agent numbers itself
    (anomalies, cpu null), ("stats", time), ("startup",), ("shutdown",).
    until: the time of a stats record; records after it are only counted
    in .after (events_lost lines still count)."""

    def __init__(self, tag, validate_json=False, until=None):
        self.tag = tag.encode()
        self.validate_json = validate_json
        self.until = until
        self.after = 0
        self.kernel = []
        self.tagged = []
        self.tagged_keys = set()
        self.other_kernel = []  # kernel records without our tag: (event, cpu, seq)
        self.stats = []
        self.lost = []
        self.by_event = {}      # records received per event name
        self.user_records = []  # records of kinds no test here expects
        self.bad = []
        self.order = []
        self.lines = 0

    def _ended(self):
        return self.after or (self.until and self.order and self.order[-1] == ("stats", self.until))

    def feed(self, lines):
        for line in lines:
            if not line:
                continue
            if self._ended():
                if line.startswith(b'{"event":"events_lost"'):
                    self.lines += 1
                    self.lost.append(json.loads(line))
                else:
                    self.after += 1
                continue
            self.lines += 1
            if self.validate_json:
                try:
                    o = json.loads(line)
                    if not isinstance(o, dict):
                        raise ValueError("not an object")
                except ValueError as e:
                    self.bad.append((line[:200], str(e)))
                    continue
            m = _RX_EVENT.match(line)
            if not m:
                self.bad.append((line[:200], "not a JSON record"))
                continue
            event = m.group(1).decode()
            self.by_event[event] = self.by_event.get(event, 0) + 1
            k = _RX_SEQ.match(line) if event not in ("stats", "events_lost", "startup", "shutdown") else None
            if k and k.group(1) != b"null":
                key = (int(k.group(1)), int(k.group(2)))
                self.kernel.append(key)
                self.order.append(key)
                p = _RX_PATH.search(line) if event == "file_access" else None
                if p and p.group(1) == self.tag:
                    self.tagged.append(-1 - int(p.group(3)) if p.group(2) else int(p.group(3)))
                    self.tagged_keys.add(key)
                else:
                    self.other_kernel.append((event, key[0], key[1]))
            elif k:
                self.order.append(("user", int(k.group(2))))
                if event != "anomaly":
                    self.user_records.append(line[:300])
            elif event == "stats":
                s = json.loads(line)
                self.stats.append(s)
                self.order.append(("stats", s["time"]))
            elif event == "events_lost":
                self.lost.append(json.loads(line))
            elif event in ("startup", "shutdown"):
                self.order.append((event,))
            else:
                self.order.append((event, self.lines))
                self.user_records.append(line[:300])
        return self

    def check_each_once(self, n, who):
        """The generator's records 0..n-1, each exactly once."""
        got = sorted(self.tagged)
        h.check(got == list(range(n)), "%s got each of the %d opens exactly once (%d missing, %d records)"
                % (who, n, n - len(set(got)), len(got)))

    def feed_file(self, path, chunk=64 << 20):
        partial = b""
        with open(path, "rb") as f:
            while True:
                data = f.read(chunk)
                if not data:
                    break
                *lines, partial = (partial + data).split(b"\n")
                self.feed(lines)
        if partial and not self._ended():
            self.bad.append((partial[:200], "unterminated last line"))
        return self

    def lost_in_band(self):
        return sum(r["lost"] for r in self.lost)


def check_every_open(agent, reader, tag, n, what):
    """After the generator's n opens: the agent consumed them, the reader
    got a stats record after them, no kernel drop, no events_lost, each
    open exactly once.  Returns (the final stats record, the capture)."""
    h.check(agent.wait_consumed(n) is not None, "the agent saw all %d opens (read or dropped)" % n, agent.dump)
    stats = agent.final_stats([reader], timeout=30)
    h.check(stats is not None, "the client received a stats record after the run", agent.dump)
    cap = Capture(tag).feed_file(reader.path)
    kd = stats["kernel"]["ringbuf_drops_by_type"]["file_access"]
    h.log("kernel drops %d, socket_dropped %d" % (kd, stats["outputs"]["socket_dropped"]))
    h.check(kd == 0, "no kernel drops %s (%d)" % (what, kd))
    h.check(not cap.lost, "no events_lost (%s)" % [r["lost"] for r in cap.lost][:5])
    cap.check_each_once(n, "the reader")
    return stats, cap


def seq_gaps(keys):
    """Missing sequence numbers between consecutive records of each CPU,
    and (cpu, seq) pairs seen twice."""
    by_cpu = {}
    for cpu, seq in keys:
        by_cpu.setdefault(cpu, []).append(seq)
    gaps, dups = 0, 0
    first = {}
    for cpu, seqs in by_cpu.items():
        seqs.sort()
        first[cpu] = seqs[0]
        for a, b in zip(seqs, seqs[1:]):
            if b == a:
                dups += 1
            else:
                gaps += b - a - 1
    return gaps, dups, first


def stat_path(s, *keys):
    return h.dig(s, *keys)
