/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `clawos-ebpf status`: what the running agent reports about itself, as one
 * JSON object: version, pid, configuration, the mechanism per hook, every
 * counter of the stats record (manager_stats_fill, the same code) and the
 * records per type and per second over the last minute (rate-window.h).
 */
#include <unistd.h>

#include "event-json.h"
#include "bpf-loader.h"
#include "manager.h"

void manager_rate_counters(const struct manager *m, uint64_t *out)
{
	for (unsigned t = 0; t < CLAWOS_EV_MAX; t++)
		out[t] = m->events_by_type[t];
	out[MANAGER_RATE_ALL] = m->records_out;
}

static struct json_object *status_rates(struct manager *m)
{
	struct json_object *r = json_object_new_object(), *n = json_object_new_object(),
			   *per = json_object_new_object();
	uint64_t now[RATE_WINDOW_COUNTERS] = {};
	struct rate_window_result res;

	manager_rate_counters(m, now);
	rate_window_rates(&m->rates, manager_boot_ns(), now, &res);
	for (unsigned t = 1; t <= MANAGER_RATE_ALL; t++) {
		char name[32];

		if (t == MANAGER_RATE_ALL)
			snprintf(name, sizeof(name), "all");
		else
			manager_type_key(t, name, sizeof(name));
		json_object_object_add(n, name, json_object_new_uint64(res.delta[t]));
		json_object_object_add(per, name, json_object_new_double(res.per_s[t]));
	}
	json_object_object_add(r, "window_s", json_object_new_double(res.span_s));
	json_object_object_add(r, "records", n);
	json_object_object_add(r, "per_s", per);
	return r;
}

/* aggregate_window as configured and whether the kernel does it. */
struct json_object *manager_aggregation_json(struct manager *m)
{
	struct json_object *a = json_object_new_object();
	bool can = m->loader && bpf_loader_can_aggregate(m->loader);
	uint32_t w = m->settings.aggregate_window;

	json_object_object_add(a, "window_ms", json_object_new_int64(w));
	json_object_object_add(a, "state", json_object_new_string(!w ? "off" : can ? "active" : "unavailable"));
	if (w && !can)
		json_object_object_add(a, "reason",
				       json_object_new_string("the kernel has no bpf_timer (Linux 5.15) "
							      "or no task storage: every open record is "
							      "emitted"));
	return a;
}

struct json_object *manager_status_json(struct manager *m)
{
	struct json_object *o = json_object_new_object(), *cfg = json_object_new_object();
	char when[40];

	json_object_object_add(o, "version", json_object_new_string(CLAWOS_VERSION));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	if (format_rfc3339(manager_realtime_ns(), when, sizeof(when)) == 0)
		json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(cfg, "path", json_object_new_string(m->opts.config_path));
	json_object_object_add(cfg, "sha256", json_object_new_string(m->config_sha256));
	json_object_object_add(o, "config", cfg);
	json_object_object_add(o, "bpf_lsm", json_object_new_boolean(m->probe.lsm_ok[PROBE_LSM_FILE_OPEN]));
	json_object_object_add(o, "hooks", manager_hooks_json(m));
	json_object_object_add(o, "aggregation", manager_aggregation_json(m));
	manager_stats_fill(m, o);
	json_object_object_add(o, "records", json_object_new_uint64(m->records_out));
	json_object_object_add(o, "rates", status_rates(m));
	return o;
}
