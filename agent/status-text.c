/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "event-text-internal.h"
#include "status-text.h"

#define LINE_MAX_TEXT 1024

/* One line: the label in a 11-column field, then what fmt_line built. */
struct line {
	char buf[LINE_MAX_TEXT];
	struct tbuf b;
};

static struct tbuf *line_start(struct line *l, const char *label)
{
	l->b = (struct tbuf){.p = l->buf, .cap = sizeof(l->buf)};
	l->buf[0] = '\0';
	tb_printf(&l->b, "%-11s", label);
	return &l->b;
}

static void line_end(struct line *l, FILE *f)
{
	while (l->b.len > 0 && l->buf[l->b.len - 1] == ' ')
		l->buf[--l->b.len] = '\0';
	fprintf(f, "%s%s\n", l->buf, l->b.cut ? "..." : "");
}

/* Spaces up to byte column col, and at least one. */
static void tb_pad_to(struct tbuf *b, size_t col)
{
	do
		tb_putc(b, ' ');
	while (b->len < col && !b->cut);
}

static void tb_duration(struct tbuf *b, uint64_t s)
{
	if (s < 60)
		tb_printf(b, "%llu s", (unsigned long long)s);
	else if (s < 3600)
		tb_printf(b, "%llu min %02llu s", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else if (s < 86400)
		tb_printf(b, "%llu h %02llu min", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
	else
		tb_printf(b, "%llu d %02llu h", (unsigned long long)(s / 86400),
			  (unsigned long long)(s % 86400 / 3600));
}

static double jd(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return 0;
	return json_object_get_double(v);
}

static void hooks_lines(struct json_object *st, FILE *f)
{
	struct json_object *hooks = jo(st, "hooks");
	struct line l;
	unsigned active = 0, total = 0;
	struct tbuf *b;

	if (!hooks)
		return;
	json_object_object_foreach(hooks, name, h)
	{
		const char *state = json_object_is_type(h, json_type_object) ? js(h, "state") : NULL;

		(void)name;
		total++;
		active += state && strcmp(state, "active") == 0;
	}
	b = line_start(&l, "hooks");
	tb_printf(b, "%u of %u active", active, total);
	line_end(&l, f);
	json_object_object_foreach(hooks, name2, h2)
	{
		const char *state = json_object_is_type(h2, json_type_object) ? js(h2, "state") : NULL;

		b = line_start(&l, "");
		tb_text(b, name2);
		tb_pad_to(b, 11 + 14);
		tb_text(b, json_object_is_type(h2, json_type_object) ? js(h2, "mechanism") ?: "?" : "?");
		tb_pad_to(b, 11 + 14 + 11);
		tb_text(b, state ?: "?");
		if (!(state && strcmp(state, "active") == 0) && json_object_is_type(h2, json_type_object) &&
		    js(h2, "reason")) {
			tb_puts(b, ": ");
			tb_text(b, js(h2, "reason"));
		}
		line_end(&l, f);
	}
}

static void records_lines(struct json_object *st, FILE *f)
{
	struct json_object *ev = jo(st, "events"), *rates = jo(st, "rates");
	struct json_object *per = rates ? jo(rates, "per_s") : NULL;
	struct line l;
	struct tbuf *b;

	b = line_start(&l, "records");
	tb_printf(b, "%-14s%12s %14s", "", "per second", "in all");
	line_end(&l, f);
	if (ev) {
		json_object_object_foreach(ev, name, v)
		{
			b = line_start(&l, "");
			tb_text(b, name);
			tb_pad_to(b, 11 + 14);
			tb_printf(b, "%12.1f %14llu", jd(per, name),
				  (unsigned long long)(json_object_is_type(v, json_type_int) ? json_object_get_uint64(v)
											     : 0));
			line_end(&l, f);
		}
	}
	b = line_start(&l, "");
	tb_printf(b, "%-14s%12.1f %14llu  (rates over the last %.0f s)", "all written", jd(per, "all"),
		  (unsigned long long)ju(st, "records"), jd(rates, "window_s"));
	line_end(&l, f);
}

static void losses_lines(struct json_object *st, FILE *f)
{
	struct json_object *k = jo(st, "kernel"), *out = jo(st, "outputs"), *dec = jo(st, "decode_errors");
	uint64_t decode = 0;
	struct line l;
	struct tbuf *b;

	if (dec) {
		json_object_object_foreach(dec, name, v)
		{
			(void)name;
			decode += json_object_is_type(v, json_type_int) ? json_object_get_uint64(v) : 0;
		}
	}
	b = line_start(&l, "lost");
	tb_printf(b, "kernel %llu (ring buffer full), decode errors %llu", (unsigned long long)ju(k, "ringbuf_drops"),
		  (unsigned long long)decode);
	line_end(&l, f);
	b = line_start(&l, "");
	tb_printf(b, "stdout %llu, socket %llu (%llu clients cut off), journal %llu",
		  (unsigned long long)ju(out, "stdout_dropped"), (unsigned long long)ju(out, "socket_dropped"),
		  (unsigned long long)ju(out, "socket_stalled"), (unsigned long long)ju(out, "journal_dropped"));
	if (out && json_object_object_get_ex(out, "connect_dropped", NULL))
		tb_printf(b, ", connect %llu", (unsigned long long)ju(out, "connect_dropped"));
	line_end(&l, f);
	b = line_start(&l, "clients");
	tb_printf(b, "%llu on the socket, %llu refused", (unsigned long long)ju(out, "socket_clients"),
		  (unsigned long long)ju(out, "socket_refused"));
	if (out && json_object_object_get_ex(out, "connect_connected", NULL))
		tb_printf(b, "; shipper %s, %llu reconnects",
			  jb(out, "connect_connected") ? "connected" : "not connected",
			  (unsigned long long)ju(out, "connect_reconnects"));
	line_end(&l, f);
}

int status_text_write(struct json_object *st, FILE *f)
{
	struct json_object *cfg, *an, *by, *agg;
	struct line l;
	struct tbuf *b;
	int64_t pid = 0;

	if (!json_object_is_type(st, json_type_object) || !js(st, "version"))
		return -EINVAL;
	cfg = jo(st, "config");
	an = jo(st, "anomalies");
	b = line_start(&l, "");
	b->len = 0; /* the first line has no label */
	tb_puts(b, "clawos-ebpf ");
	tb_text(b, js(st, "version"));
	if (ji(st, "pid", &pid))
		tb_printf(b, ", pid %lld", (long long)pid);
	tb_puts(b, ", up ");
	tb_duration(b, ju(st, "uptime_s"));
	line_end(&l, f);
	b = line_start(&l, "config");
	tb_word(b, cfg && js(cfg, "path") ? js(cfg, "path") : "?");
	line_end(&l, f);
	b = line_start(&l, "");
	tb_puts(b, "sha256 ");
	tb_text(b, cfg && js(cfg, "sha256") ? js(cfg, "sha256") : "?");
	line_end(&l, f);
	b = line_start(&l, "BPF-LSM");
	tb_puts(b, jb(st, "bpf_lsm") ? "yes" : "no (fallbacks: tracepoints and cgroup programs)");
	line_end(&l, f);
	hooks_lines(st, f);
	agg = jo(st, "aggregation");
	if (agg && js(agg, "state") && strcmp(js(agg, "state"), "off") != 0) {
		b = line_start(&l, "aggregation");
		tb_printf(b, "aggregate_window %llu ms: ", (unsigned long long)ju(agg, "window_ms"));
		tb_text(b, js(agg, "state"));
		if (js(agg, "reason")) {
			tb_puts(b, " (");
			tb_text(b, js(agg, "reason"));
			tb_puts(b, ")");
		}
		line_end(&l, f);
	}
	records_lines(st, f);
	losses_lines(st, f);
	b = line_start(&l, "anomalies");
	tb_printf(b, "%llu raised, %llu suppressed as repeats", (unsigned long long)ju(an, "raised"),
		  (unsigned long long)ju(an, "suppressed"));
	by = an ? jo(an, "by_kind") : NULL;
	if (by) {
		bool first = true;

		json_object_object_foreach(by, kind, v)
		{
			if (!json_object_is_type(v, json_type_int) || json_object_get_uint64(v) == 0)
				continue;
			tb_puts(b, first ? ": " : ", ");
			tb_text(b, kind);
			tb_printf(b, " %llu", (unsigned long long)json_object_get_uint64(v));
			first = false;
		}
	}
	line_end(&l, f);
	b = line_start(&l, "memory");
	tb_puts(b, "RSS ");
	tb_printf(b, "%.1f MiB", (double)ju(st, "rss_kib") / 1024);
	line_end(&l, f);
	return 0;
}
