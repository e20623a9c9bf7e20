#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Record timestamps follow a step of the wall clock with stats_interval =
0 (issue 16): they were computed from an offset (CLOCK_REALTIME -
CLOCK_BOOTTIME) that only the statistics timer refreshed.

The host's clock is shared with other sessions, so it is not stepped here:
the agent runs with an LD_PRELOAD shim whose clock_gettime(CLOCK_REALTIME)
adds an offset read from a file; the test moves that offset one hour
ahead.  Checked: the time of a record made after that is an hour ahead
(within a minute), within 20 s; before, it never moved.  The agent also
reacts to real steps at once (a CANCEL_ON_SET timerfd, agent/clock-step.c),
which this test cannot show without stepping the host's clock."""

import datetime
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clawos_harness as h  # noqa: E402

STEP_S = 3600

SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_REALTIME plus the seconds in $CLOCK_SHIM_FILE (read again every
 * 100 ms of CLOCK_MONOTONIC): a wall clock the test can step. */
int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	static long offset;
	static struct timespec last;
	struct timespec now;
	int r;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	r = real(id, ts);
	if (r || id != CLOCK_REALTIME)
		return r;
	real(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec) > 100000000L) {
		const char *path = getenv("CLOCK_SHIM_FILE");
		FILE *f = path ? fopen(path, "r") : NULL;

		if (f) {
			if (fscanf(f, "%ld", &offset) != 1)
				offset = 0;
			fclose(f);
		}
		last = now;
	}
	ts->tv_sec += offset;
	return 0;
}
"""


def record_time(rec):
    t = rec["time"]
    return datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()


def main():
    h.require_root_bpf()
    binary = h.agent_path()
    with h.Workdir() as wd:
        src, lib = wd.join("shim.c"), wd.join("shim.so")
        with open(src, "w") as f:
            f.write(SHIM_C)
        r = subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", lib, src, "-ldl"], capture_output=True, text=True)
        if r.returncode != 0:
            h.hard_error("compiling the clock shim failed: " + r.stderr[-1000:])
        offset_file = wd.join("offset")
        with open(offset_file, "w") as f:
            f.write("0\n")
        os.environ["LD_PRELOAD"] = lib
        os.environ["CLOCK_SHIM_FILE"] = offset_file
        # the ASan runtime wants to be first; the shim only wraps libc
        os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
        conf = h.write_config(wd, stats_interval="0", include_path_prefix=wd.join("probe"))
        agent = h.Agent(binary, conf, wd)
        try:
            agent.start(wd.join("events.sock"))
            for k in ("LD_PRELOAD", "CLOCK_SHIM_FILE"):
                del os.environ[k]  # only the agent runs on the shim

            def probe(i):
                path = wd.join("probe", "p%d" % i)
                try:
                    open(path)
                except OSError:
                    pass
                return agent.client.wait_for(lambda r: r.get("event") == "file_access"
                                             and r.get("file", {}).get("path") == path, 10,
                                             what="the record of %s" % path)

            rec = probe(0)
            h.check(rec is not None, "a record before the step", agent.dump)
            h.check(abs(record_time(rec) - time.time()) < 60, "its time is now (%s)" % rec["time"])
            with open(offset_file, "w") as f:
                f.write("%d\n" % STEP_S)
            followed = None
            deadline = time.monotonic() + 20
            i = 1
            while time.monotonic() < deadline and not followed:
                rec = probe(i)
                i += 1
                if rec and abs(record_time(rec) - (time.time() + STEP_S)) < 60:
                    followed = rec
                time.sleep(0.5)
            h.check(followed is not None, "records after a one-hour step of the agent's wall clock are an hour "
                    "ahead with stats_interval = 0 (last: %s)" % (rec or {}).get("time"), agent.dump)
        finally:
            agent.stop()


if __name__ == "__main__":
    h.run(main)
