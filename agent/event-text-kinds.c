/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kind and the essence of each record type, for event-text.c. */
#include <stdio.h>
#include <string.h>

#include "event-text-internal.h"
#include "macro.h"
#include "time-util.h"

const char *event_text_kind(struct json_object *rec, const char *event)
{
	struct json_object *x;

	if (strcmp(event, "file_access") == 0)
		return (x = jo(rec, "file")) && js(x, "op") && strcmp(js(x, "op"), "truncate") == 0 ? "truncate"
												    : "open";
	if (strcmp(event, "network") == 0 && (x = jo(rec, "network")) && js(x, "op"))
		return strcmp(js(x, "op"), "socket_create") == 0 ? "socket" : js(x, "op");
	if (strcmp(event, "process") == 0 && (x = jo(rec, "lifecycle")) && js(x, "op"))
		return js(x, "op");
	if (strcmp(event, "iface_state") == 0)
		return "iface";
	if (strcmp(event, "config_changed") == 0 || strcmp(event, "config_reload_failed") == 0)
		return "config";
	if (strcmp(event, "events_lost") == 0)
		return "lost";
	if (strcmp(event, "journal_suppressed") == 0)
		return "journal";
	if (strcmp(event, "rules_loaded") == 0)
		return "rules";
	return event;
}

const char *event_text_color(struct json_object *rec, const char *event)
{
	static const struct {
		const char *severity, *sgr;
	} by_severity[] = {
	    {"low", "36"},	     /* cyan */
	    {"medium", "33"},	     /* yellow */
	    {"high", "31"},	     /* red */
	    {"critical", "1;37;41"}, /* bold white on red */
	};
	struct json_object *a = jo(rec, "anomaly");
	const char *sev = a ? js(a, "severity") : NULL;

	if (strcmp(event, "events_lost") == 0)
		return "33";
	if (strcmp(event, "config_reload_failed") == 0)
		return "31";
	if (strcmp(event, "rules_loaded") == 0 && (a = jo(rec, "rules")) && ju(a, "error"))
		return "33";
	for (size_t i = 0; sev && i < ELEMENTSOF(by_severity); i++)
		if (strcmp(sev, by_severity[i].severity) == 0)
			return by_severity[i].sgr;
	return NULL;
}

/* 1536 -> "1.5 KiB" */
static void tb_bytes(struct tbuf *b, uint64_t n)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		tb_printf(b, "%llu B", (unsigned long long)n);
	else
		tb_printf(b, "%.1f %s", v, units[u]);
}

/* "10.0.0.5:443", "[2001:db8::1]:443" */
static void tb_endpoint(struct tbuf *b, const char *addr, int64_t port, bool has_port)
{
	bool v6 = addr && strchr(addr, ':');

	if (!addr)
		return;
	tb_puts(b, v6 && has_port ? "[" : "");
	tb_text(b, addr);
	if (has_port)
		tb_printf(b, "%s:%lld", v6 ? "]" : "", (long long)port);
}

/* What an exec hid from the syscall tracepoints or asked of the loader:
 * " [int80] [LD_PRELOAD] [traced]" (absent members say nothing). */
static void exec_evasion_marks(struct tbuf *b, struct json_object *x)
{
	struct json_object *v, *env;

	if (json_object_object_get_ex(x, "syscall_seen", &v) && !json_object_get_boolean(v))
		tb_puts(b, " [no-syscall]");
	if (json_object_object_get_ex(x, "loader_env", &env) && json_object_is_type(env, json_type_array))
		for (size_t i = 0; i < json_object_array_length(env); i++) {
			struct json_object *n = json_object_array_get_idx(env, i);

			tb_puts(b, " [");
			tb_text(b, json_object_is_type(n, json_type_string) ? json_object_get_string(n) : "?");
			tb_putc(b, ']');
		}
	if (jb(x, "env_unscanned"))
		tb_puts(b, " [env-unscanned]");
	if (jb(x, "traced"))
		tb_puts(b, " [traced]");
}

static void exec_essence(struct tbuf *b, struct json_object *x)
{
	struct json_object *argv;
	const char *error = js(x, "error");
	int64_t result;

	tb_word(b, js(x, "filename") ?: "?");
	if (json_object_object_get_ex(x, "argv", &argv) && json_object_is_type(argv, json_type_array))
		for (size_t i = 1; i < json_object_array_length(argv); i++) {
			struct json_object *a = json_object_array_get_idx(argv, i);

			tb_putc(b, ' ');
			tb_word(b, json_object_is_type(a, json_type_string) ? json_object_get_string(a) : "?");
		}
	if (jb(x, "args_truncated"))
		tb_puts(b, " ...");
	exec_evasion_marks(b, x);
	if (!jb(x, "success") && (error || ji(x, "result", &result))) {
		tb_puts(b, " = ");
		if (error)
			tb_text(b, error);
		else
			tb_printf(b, "%lld", (long long)result);
	}
}

static void file_essence(struct tbuf *b, struct json_object *x)
{
	struct json_object *flags, *result;
	const char *error = js(x, "error"), *verdict = js(x, "verdict");

	tb_word(b, js(x, "path") ?: "?");
	if (jb(x, "path_truncated"))
		tb_puts(b, "...");
	if (json_object_object_get_ex(x, "flags", &flags) && json_object_is_type(flags, json_type_array))
		for (size_t i = 0; i < json_object_array_length(flags); i++) {
			struct json_object *f = json_object_array_get_idx(flags, i);

			tb_putc(b, i ? '|' : ' ');
			tb_text(b, json_object_is_type(f, json_type_string) ? json_object_get_string(f) : "?");
		}
	if (json_object_object_get_ex(x, "result", &result) && json_object_is_type(result, json_type_int)) {
		tb_puts(b, " = ");
		if (error)
			tb_text(b, error);
		else
			tb_printf(b, "%lld", (long long)json_object_get_int64(result));
	}
	if (verdict && strcmp(verdict, "deny") == 0)
		tb_puts(b, " DENIED");
}

static void network_essence(struct tbuf *b, struct json_object *x)
{
	const char *op = js(x, "op") ?: "";
	int64_t port = 0;

	if (strcmp(op, "socket_create") == 0) {
		const char *type = js(x, "type");

		tb_text(b, js(x, "family") ?: "?");
		tb_putc(b, ' ');
		if (type)
			tb_text(b, type);
		else if (ji(x, "type", &port))
			tb_printf(b, "type %lld", (long long)port);
		tb_putc(b, ' ');
		tb_text(b, js(x, "protocol") ?: "?");
		return;
	}
	tb_text(b, js(x, "protocol") ?: "?");
	tb_putc(b, ' ');
	tb_endpoint(b, js(x, "address"), ji(x, "port", &port) ? port : 0, true);
}

static void process_essence(struct tbuf *b, struct json_object *x)
{
	int64_t v;

	if (ji(x, "child_pid", &v))
		tb_printf(b, "child %lld", (long long)v);
	else if (ji(x, "exit_code", &v))
		tb_printf(b, "code %lld", (long long)v);
	else if (ji(x, "signal", &v)) {
		const char *name = v > 0 && v < 65 ? sigabbrev_np((int)v) : NULL;

		if (name)
			tb_printf(b, "signal SIG%s", name);
		else
			tb_printf(b, "signal %lld", (long long)v);
	}
}

static void anomaly_essence(struct tbuf *b, struct json_object *x)
{
	const char *desc = js(x, "description"), *subject = js(x, "subject");

	tb_text(b, js(x, "severity") ?: "?");
	tb_putc(b, ' ');
	tb_text(b, js(x, "kind") ?: "?");
	tb_puts(b, ": ");
	if (desc && desc[0]) {
		tb_text(b, desc);
	} else {
		tb_puts(b, "rule ");
		tb_text(b, js(x, "rule") ?: "?");
		tb_printf(b, ", observed %llu, threshold %llu", (unsigned long long)ju(x, "observed"),
			  (unsigned long long)ju(x, "threshold"));
	}
	/* the agent's descriptions name the subject; kernel rules may not */
	if (subject && subject[0] && !(desc && strstr(desc, subject))) {
		tb_puts(b, ": ");
		tb_word(b, subject);
	}
	if (jb(x, "enforced") && !(desc && strstr(desc, "denied")))
		tb_puts(b, " (denied)");
}

/* "in 10 pkts 1.5 KiB" */
static void tb_traffic(struct tbuf *b, const char *label, uint64_t packets, uint64_t bytes)
{
	tb_printf(b, "%s %llu pkts ", label, (unsigned long long)packets);
	tb_bytes(b, bytes);
}

static void tb_interval(struct tbuf *b, struct json_object *x)
{
	tb_printf(b, " in %.1f s", (double)ju(x, "interval_ms") / MSEC_PER_SEC);
}

static void iface_essence(struct tbuf *b, struct json_object *x)
{
	const char *proto = js(x, "protocol");
	int64_t port = 0;
	bool has_port = ji(x, "remote_port", &port);

	tb_text(b, js(x, "name") ?: "?");
	tb_putc(b, ' ');
	if (js(x, "state")) { /* iface_state */
		tb_text(b, js(x, "state"));
		if (js(x, "detail")) {
			tb_puts(b, ": ");
			tb_text(b, js(x, "detail"));
		}
		return;
	}
	tb_text(b, js(x, "direction") ?: "?");
	tb_putc(b, ' ');
	tb_text(b, proto ? proto : js(x, "family") ?: "?");
	if (js(x, "remote_addr")) {
		tb_putc(b, ' ');
		tb_endpoint(b, js(x, "remote_addr"), port, has_port);
	}
	tb_traffic(b, "", ju(x, "packets"), ju(x, "bytes"));
	tb_interval(b, x);
}

static void startup_essence(struct tbuf *b, struct json_object *rec)
{
	struct json_object *hooks = jo(rec, "hooks");
	unsigned active = 0, other = 0;

	tb_puts(b, "clawos-ebpf ");
	tb_text(b, js(rec, "version") ?: "?");
	tb_puts(b, " on ");
	tb_text(b, js(rec, "kernel") ?: "?");
	tb_printf(b, ", BPF-LSM %s", jb(rec, "bpf_lsm") ? "yes" : "no");
	if (!hooks)
		return;
	json_object_object_foreach(hooks, name, h)
	{
		const char *state = json_object_is_type(h, json_type_object) ? js(h, "state") : NULL;

		(void)name;
		if (state && strcmp(state, "active") == 0)
			active++;
		else
			other++;
	}
	tb_printf(b, "; %u hooks active", active);
	if (!other)
		return;
	tb_puts(b, ", not active:");
	json_object_object_foreach(hooks, name2, h2)
	{
		const char *state = json_object_is_type(h2, json_type_object) ? js(h2, "state") : NULL;

		if (state && strcmp(state, "active") == 0)
			continue;
		tb_putc(b, ' ');
		tb_text(b, name2);
		tb_putc(b, '=');
		tb_text(b, state ?: "?");
	}
}

/* Sum of every number in a flat counter object. */
static uint64_t counters_sum(struct json_object *o)
{
	uint64_t sum = 0;

	if (!o)
		return 0;
	json_object_object_foreach(o, k, v)
	{
		(void)k;
		if (json_object_is_type(v, json_type_int))
			sum += json_object_get_uint64(v);
	}
	return sum;
}

static void stats_essence(struct tbuf *b, struct json_object *rec)
{
	struct json_object *ev = jo(rec, "events"), *out = jo(rec, "outputs"), *k = jo(rec, "kernel");
	uint64_t out_drops = 0;
	bool first = true;

	tb_printf(b, "up %llu s; records", (unsigned long long)ju(rec, "uptime_s"));
	if (ev) {
		json_object_object_foreach(ev, name, v)
		{
			if (!json_object_is_type(v, json_type_int) || json_object_get_uint64(v) == 0)
				continue;
			tb_printf(b, "%s ", first ? "" : ",");
			tb_text(b, name);
			tb_printf(b, " %llu", (unsigned long long)json_object_get_uint64(v));
			first = false;
		}
	}
	if (first)
		tb_puts(b, " none");
	if (out)
		out_drops = ju(out, "stdout_dropped") + ju(out, "socket_dropped") + ju(out, "journal_dropped") +
			    ju(out, "connect_dropped");
	tb_printf(b, "; lost: kernel %llu, outputs %llu, decode %llu; clients %llu; rss ",
		  (unsigned long long)(k ? ju(k, "ringbuf_drops") : 0), (unsigned long long)out_drops,
		  (unsigned long long)counters_sum(jo(rec, "decode_errors")),
		  (unsigned long long)(out ? ju(out, "socket_clients") : 0));
	tb_bytes(b, ju(rec, "rss_kib") * 1024);
}

static void short_sha(struct tbuf *b, const char *sha)
{
	char s[13];

	snprintf(s, sizeof(s), "%s", sha ?: "?");
	tb_text(b, s);
}

static void config_essence(struct tbuf *b, struct json_object *rec, bool failed)
{
	tb_puts(b, failed ? "reload refused, still running " : "reloaded ");
	tb_word(b, js(rec, "path") ?: "?");
	tb_puts(b, " (");
	short_sha(b, js(rec, "old_sha256"));
	if (!failed) {
		tb_puts(b, " -> ");
		short_sha(b, js(rec, "new_sha256"));
	}
	tb_putc(b, ')');
	if (js(rec, "error")) {
		tb_puts(b, ": ");
		tb_text(b, js(rec, "error"));
	}
}

void event_text_essence(struct tbuf *b, struct json_object *rec, const char *event)
{
	struct json_object *x;

	if (strcmp(event, "exec") == 0 && (x = jo(rec, "exec")))
		exec_essence(b, x);
	else if (strcmp(event, "file_access") == 0 && (x = jo(rec, "file"))) {
		file_essence(b, x);
		if ((x = jo(rec, "repeat"))) /* aggregate_window: one line for the repeats */
			tb_printf(b, " (repeated %llu times in %.1f ms)", (unsigned long long)ju(x, "count"),
				  (double)(ju(x, "last_boot_ns") - ju(x, "first_boot_ns")) / 1e6);
	} else if (strcmp(event, "network") == 0 && (x = jo(rec, "network")))
		network_essence(b, x);
	else if (strcmp(event, "process") == 0 && (x = jo(rec, "lifecycle")))
		process_essence(b, x);
	else if (strcmp(event, "anomaly") == 0 && (x = jo(rec, "anomaly")))
		anomaly_essence(b, x);
	else if (strcmp(event, "syscall") == 0 && (x = jo(rec, "syscall"))) {
		struct json_object *args;
		int64_t nr = -1;

		if (js(x, "name"))
			tb_text(b, js(x, "name"));
		else
			tb_printf(b, "syscall_%lld", ji(x, "nr", &nr) ? (long long)nr : -1LL);
		tb_putc(b, '(');
		if (json_object_object_get_ex(x, "args", &args) && json_object_is_type(args, json_type_array))
			for (size_t i = 0; i < json_object_array_length(args); i++)
				tb_printf(
				    b, "%s0x%llx", i ? ", " : "",
				    (unsigned long long)json_object_get_uint64(json_object_array_get_idx(args, i)));
		tb_putc(b, ')');
	} else if (strcmp(event, "cgroup") == 0 && (x = jo(rec, "cgroup"))) {
		tb_word(b, js(x, "path") ?: "?");
		tb_traffic(b, " rx", ju(x, "rx_packets"), ju(x, "rx_bytes"));
		tb_traffic(b, ", tx", ju(x, "tx_packets"), ju(x, "tx_bytes"));
		tb_interval(b, x);
	} else if (strncmp(event, "iface", 5) == 0 && (x = jo(rec, "iface")))
		iface_essence(b, x);
	else if (strcmp(event, "startup") == 0)
		startup_essence(b, rec);
	else if (strcmp(event, "stats") == 0)
		stats_essence(b, rec);
	else if (strcmp(event, "shutdown") == 0) {
		int64_t status = 0;

		ji(rec, "status", &status);
		tb_printf(b, "stopped after %llu records, status %lld", (unsigned long long)ju(rec, "records"),
			  (long long)status);
	} else if (strcmp(event, "config_changed") == 0 || strcmp(event, "config_reload_failed") == 0)
		config_essence(b, rec, event[7] == 'r');
	else if (strcmp(event, "events_lost") == 0 && js(rec, "output") && strcmp(js(rec, "output"), "stdout") == 0)
		/* the agent's own notice on a terminal (output-stdout.c) */
		tb_printf(b,
			  "%llu records not shown here, more than the text view may spend CPU on (%llu in all; the "
			  "socket and the journal have them)",
			  (unsigned long long)ju(rec, "lost"), (unsigned long long)ju(rec, "lost_total"));
	else if (strcmp(event, "events_lost") == 0) {
		tb_printf(b, "%llu records lost by this reader of the ", (unsigned long long)ju(rec, "lost"));
		tb_text(b, js(rec, "output") ?: "?");
		tb_printf(b, " (%llu in all)", (unsigned long long)ju(rec, "lost_total"));
	} else if (strcmp(event, "journal_suppressed") == 0)
		tb_printf(b, "%llu trace records over journal_rate_limit", (unsigned long long)ju(rec, "suppressed"));
	else if (strcmp(event, "rules_loaded") == 0 && (x = jo(rec, "rules"))) {
		double ms = 0;
		struct json_object *v;

		if (json_object_object_get_ex(rec, "load_ms", &v))
			ms = json_object_get_double(v);
		tb_printf(b, "Sigma rules %s: %llu loaded, %llu unsupported here, %llu with errors, in %.0f ms",
			  jb(rec, "reload") ? "reloaded" : "loaded", (unsigned long long)ju(x, "loaded"),
			  (unsigned long long)ju(x, "unsupported"), (unsigned long long)ju(x, "error"), ms);
	}
}
