#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Interface monitoring (tc/clsact) on a veth pair the test makes.

The test process moves itself into a new network namespace (side A, where
the agent runs) and makes a second, named one (side B).  Two veth pairs
join them, addressed in 10.200.0.0/24 only:

    clawa0 10.200.0.1/30  <->  clawb0 10.200.0.2/30   watched via --iface
    clawa1 10.200.0.5/30  <->  clawb1 10.200.0.6/30   watched via interfaces =,
                                                      clsact made by the test

Checked: UDP packets and bytes are exact in both directions, TCP bytes
reach what was sent, a network_volume anomaly fires over the threshold,
deleting and re-creating clawa0 gives "gone" then "attached" and counting
resumes on the new link, the agent removes only the clsact qdisc it made,
and --iface nosuchif0 exits 78 naming it.  Nothing outside the two
namespaces is touched.
"""

import ctypes
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

EXIT_CONFIG = 78
CLONE_NEWNET = 0x40000000
ETH_IP_UDP = 14 + 20 + 8   # what a UDP/IPv4 datagram adds on an Ethernet link
THRESHOLD = 400000
NS_B = "clawos-iface-%d" % os.getpid()
A0, B0, A1, B1 = "clawa0", "clawb0", "clawa1", "clawb1"
IP_A0, IP_B0, IP_A1, IP_B1 = "10.200.0.1", "10.200.0.2", "10.200.0.5", "10.200.0.6"


def sh(*cmd, check=True):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    if check and p.returncode != 0:
        raise h.TestFailure("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p.stdout


def in_b(*cmd, **kw):
    return sh("ip", "netns", "exec", NS_B, *cmd, **kw)


def make_pair(a, b, ip_a, ip_b):
    sh("ip", "link", "add", a, "type", "veth", "peer", "name", b, "netns", NS_B)
    sh("ip", "addr", "add", ip_a + "/30", "dev", a)
    sh("ip", "link", "set", a, "up")
    in_b("ip", "addr", "add", ip_b + "/30", "dev", b)
    in_b("ip", "link", "set", b, "up")


def link_index(name):
    out = sh("ip", "-o", "link", "show", "dev", name)
    return int(out.split(":", 1)[0])


def send_udp(dst, port, count, size, src_port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if src_port:
        s.bind(("", src_port))
    for _ in range(count):
        s.sendto(b"x" * size, (dst, port))
        time.sleep(0.001)
    s.close()


UDP_FROM_B = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("%s", %d))
for _ in range(%d):
    s.sendto(b"y" * %d, ("%s", %d))
    time.sleep(0.001)
"""

TCP_SERVER = """
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("%s", %d))
l.listen(1)
print("listening", flush=True)
c, _ = l.accept()
n = 0
while True:
    d = c.recv(1 << 16)
    if not d:
        break
    n += len(d)
print(n, flush=True)
"""


def flows(recs, name, direction, proto, remote, port, after=0):
    out = [r for r in recs[after:] if r.get("event") == "iface" and h.dig(r, "iface", "name") == name
           and h.dig(r, "iface", "direction") == direction and h.dig(r, "iface", "protocol") == proto
           and h.dig(r, "iface", "remote_addr") == remote and h.dig(r, "iface", "remote_port") == port]
    return (sum(h.dig(r, "iface", "packets") for r in out), sum(h.dig(r, "iface", "bytes") for r in out), out)


def wait_sum(agent, what, want_packets, *args, after=0, timeout=15):
    h.wait_for(lambda: flows(agent.client.snapshot(), *args, after=after)[0] >= want_packets, timeout, what=what)
    time.sleep(2.5)  # two more intervals: nothing may be counted twice
    return flows(agent.client.snapshot(), *args, after=after)


def test_missing(binary, wd, config):
    p = subprocess.run([binary, "--config", config, "--foreground", "--iface", "nosuchif0"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    h.check(p.returncode == EXIT_CONFIG, "--iface nosuchif0: exit %d (got %d)" % (EXIT_CONFIG, p.returncode),
            lambda: h.log(p.stderr[-2000:]))
    h.check("nosuchif0" in p.stderr, "--iface nosuchif0: stderr names the interface",
            lambda: h.log(p.stderr[-2000:]))


def run_traffic(agent):
    c = agent.client
    send_udp(IP_B0, 40000, 1, 10)  # ARP first, on another port
    in_b("python3", "-c", UDP_FROM_B % (IP_B0, 40000, 1, 10, IP_A0, 40000))
    time.sleep(0.5)

    send_udp(IP_B0, 40001, 50, 100)
    pk, by, recs = wait_sum(agent, "UDP egress records", 50, A0, "egress", "udp", IP_B0, 40001)
    h.log("measured: UDP egress %s -> %s:40001: %d packets, %d bytes in %d records" % (A0, IP_B0, pk, by, len(recs)))
    h.check(pk == 50 and by == 50 * (ETH_IP_UDP + 100),
            "UDP egress counted exactly: 50 packets, %d bytes (got %d, %d)" % (50 * (ETH_IP_UDP + 100), pk, by),
            agent.dump)
    h.check(all(r["iface"]["family"] == "ipv4" and r["iface"]["ip_protocol"] == 17 for r in recs),
            "UDP records: family ipv4, ip_protocol 17")

    in_b("python3", "-c", UDP_FROM_B % (IP_B0, 40003, 30, 200, IP_A0, 40002))
    pk, by, _ = wait_sum(agent, "UDP ingress records", 30, A0, "ingress", "udp", IP_B0, 40003)
    h.log("measured: UDP ingress %s <- %s:40003: %d packets, %d bytes" % (A0, IP_B0, pk, by))
    h.check(pk == 30 and by == 30 * (ETH_IP_UDP + 200),
            "UDP ingress counted exactly: 30 packets, %d bytes (got %d, %d)" % (30 * (ETH_IP_UDP + 200), pk, by),
            agent.dump)

    send_udp(IP_B1, 40005, 10, 50)  # the second interface (ARP included: count >= 10)
    pk, by, _ = wait_sum(agent, "UDP egress on " + A1, 10, A1, "egress", "udp", IP_B1, 40005)
    h.log("measured: UDP egress %s -> %s:40005: %d packets, %d bytes" % (A1, IP_B1, pk, by))
    h.check(pk == 10 and by == 10 * (ETH_IP_UDP + 50), "UDP egress on %s (from interfaces =) exact" % A1, agent.dump)

    total = 1000000
    srv = subprocess.Popen(["ip", "netns", "exec", NS_B, "python3", "-c", TCP_SERVER % (IP_B0, 40010)],
                           stdout=subprocess.PIPE, text=True)
    try:
        h.check(srv.stdout.readline().strip() == "listening", "TCP server listening in " + NS_B)
        s = socket.create_connection((IP_B0, 40010), timeout=10)
        s.sendall(b"z" * total)
        s.close()
        got = int(srv.stdout.readline().strip() or 0)
    finally:
        srv.wait(10)
    h.check(got == total, "TCP server received %d bytes (got %d)" % (total, got))
    pk, by, _ = wait_sum(agent, "TCP egress records", 1, A0, "egress", "tcp", IP_B0, 40010)
    while by < total and h.wait_for(lambda: flows(c.snapshot(), A0, "egress", "tcp", IP_B0, 40010)[1] > by, 5):
        pk, by, _ = flows(c.snapshot(), A0, "egress", "tcp", IP_B0, 40010)
    ipk, iby, _ = flows(c.snapshot(), A0, "ingress", "tcp", IP_B0, 40010)
    h.log("measured: TCP egress to %s:40010: %d packets, %d bytes; ingress (ACKs): %d packets, %d bytes" %
          (IP_B0, pk, by, ipk, iby))
    h.check(by >= total and pk >= total // 65536, "TCP egress bytes >= the %d sent" % total, agent.dump)
    h.check(ipk > 0, "TCP ingress (ACKs) counted")
    a = c.wait_for(lambda r: r["event"] == "anomaly" and r["anomaly"]["kind"] == "network_volume"
                   and r["anomaly"]["subject"] == A0, 10, what="a network_volume anomaly")
    h.check(a is not None and a["anomaly"]["threshold"] == THRESHOLD and a["anomaly"]["observed"] > THRESHOLD,
            "network_volume anomaly for %s over %d bytes" % (A0, THRESHOLD), agent.dump)
    h.log("anomaly: " + h.short(a))


def run_relink(agent):
    c = agent.client
    old = link_index(A0)
    start = c.count()
    sh("ip", "link", "del", A0)
    g = c.wait_for(lambda r: r["event"] == "iface_state" and r["iface"]["name"] == A0
                   and r["iface"]["state"] == "gone", 10, what="iface_state gone", start=start)
    h.check(g is not None and g["iface"]["ifindex"] == old, "deleting %s: iface_state gone (ifindex %d)" % (A0, old),
            agent.dump)
    make_pair(A0, B0, IP_A0, IP_B0)
    new = link_index(A0)
    at = c.wait_for(lambda r: r["event"] == "iface_state" and r["iface"]["name"] == A0
                    and r["iface"]["state"] == "attached", 10, what="iface_state attached", start=start)
    h.check(at is not None and at["iface"]["ifindex"] == new and at["iface"]["qdisc_created"],
            "re-creating %s: iface_state attached (ifindex %d), clsact created by the agent" % (A0, new), agent.dump)
    after = c.count()
    send_udp(IP_B0, 40004, 20, 64)
    pk, by, recs = wait_sum(agent, "UDP egress after re-attach", 20, A0, "egress", "udp", IP_B0, 40004, after=after)
    h.log("measured after re-attach: UDP egress to %s:40004: %d packets, %d bytes" % (IP_B0, pk, by))
    h.check(pk == 20 and by == 20 * (ETH_IP_UDP + 64) and all(r["iface"]["ifindex"] == new for r in recs),
            "counting resumed on the new %s: 20 packets, %d bytes" % (A0, 20 * (ETH_IP_UDP + 64)), agent.dump)
    st = c.wait_for(lambda r: r["event"] == "stats" and "interfaces" in r, 5, what="stats with interfaces",
                    start=c.count())
    w = {i["name"]: i for i in st["interfaces"]["interfaces"]} if st else {}
    h.check(w.get(A0, {}).get("attaches") == 2 and w.get(A0, {}).get("losses") == 1
            and w.get(A0, {}).get("state") == "attached" and w.get(A1, {}).get("qdisc_created") is False,
            "stats: %s attached twice, lost once; %s shares the existing clsact" % (A0, A1),
            lambda: h.log(h.short(st, 3000)))


def check_schema(agent):
    """The records of the run against the events schema."""
    kinds = ("iface", "iface_state", "anomaly", "stats")
    recs = [r for r in agent.client.snapshot() if r.get("event") in kinds]
    missing = set(kinds) - {r["event"] for r in recs}
    h.check(not missing, "the run made iface, iface_state, anomaly and stats records (missing %s)" % sorted(missing))
    errs = h.schema_errors(recs)
    for r, e in errs:
        h.log("  schema: %s: %s" % (e, h.short(r)))
    h.check(not errs, "iface, iface_state, anomaly and stats records match the events schema")


def main():
    if os.geteuid() != 0:
        h.skip("needs root (euid %d)" % os.geteuid())
    for tool in ("ip", "tc"):
        if not shutil.which(tool):
            h.skip("'%s' (iproute2) is missing" % tool)
    h.require_schema()
    h.require_root_bpf()
    binary = h.agent_path()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        h.skip("unshare(CLONE_NEWNET) failed: %s" % os.strerror(ctypes.get_errno()))
    wd = h.Workdir()
    agent = None
    try:
        sh("ip", "netns", "add", NS_B)
        make_pair(A0, B0, IP_A0, IP_B0)
        make_pair(A1, B1, IP_A1, IP_B1)
        sh("tc", "qdisc", "add", "dev", A1, "clsact")  # not ours: must survive the agent
        # only the interface counters: a busy host must not crowd them out
        config = h.write_config(wd, interfaces=A1, network_egress_threshold_bytes=THRESHOLD,
                                enable_file_monitoring="no", enable_syscall_tracing="no",
                                enable_network_monitoring="no")

        test_missing(binary, wd, config)

        agent = h.Agent(binary, config, wd, args=["--iface", A0])
        agent.start(wd.join("events.sock"))
        h.check("clawos_tc_out" in sh("tc", "filter", "show", "dev", A0, "egress"),
                "clawos_tc_out attached to %s egress" % A0)
        h.check("clawos_tc_in" in sh("tc", "filter", "show", "dev", A1, "ingress"),
                "clawos_tc_in attached to %s ingress (existing clsact)" % A1)
        run_traffic(agent)
        run_relink(agent)
        check_schema(agent)
        agent.stop()
        agent = None
        h.check("clsact" not in sh("tc", "qdisc", "show", "dev", A0),
                "the clsact qdisc the agent created on %s is removed" % A0)
        h.check("clsact" in sh("tc", "qdisc", "show", "dev", A1),
                "the pre-existing clsact qdisc on %s is kept" % A1)
        h.check("clawos_" not in sh("tc", "filter", "show", "dev", A1, "ingress") +
                sh("tc", "filter", "show", "dev", A1, "egress"),
                "no clawos_ tc filter left on %s" % A1)
    finally:
        if agent:
            agent.kill()
        sh("ip", "netns", "del", NS_B, check=False)
        wd.cleanup()


if __name__ == "__main__":
    h.run(main)
