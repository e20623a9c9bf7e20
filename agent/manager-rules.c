/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sigma_rules in the daemon: loaded at start and on every SIGHUP (a new
 * engine replaces the old one only once it is built; rules that do not
 * load are logged and skipped), and run on each decoded record the rules
 * read.  A hit becomes an anomaly of kind sigma through the same
 * de-duplication, ancestry and outputs as every other anomaly.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "rules-cli.h"
#include "rules-event.h"
#include "time-util.h"

/* The rules_loaded record: what loaded, per category, how fast. */
static struct json_object *loaded_record(struct manager *m, const struct rules_report *rep, bool reload)
{
	struct json_object *o = json_record_new("rules_loaded", manager_realtime_ns());
	struct json_object *r = rules_report_json(rep, false), *paths = json_object_new_array(), *x;

	for (size_t i = 0; i < m->settings.sigma_rules.n; i++)
		json_object_array_add(paths, json_object_new_string(m->settings.sigma_rules.items[i]));
	json_object_object_add(o, "paths", paths);
	if (json_object_object_get_ex(r, "summary", &x))
		json_object_object_add(o, "rules", json_object_get(x));
	if (json_object_object_get_ex(r, "by_category", &x))
		json_object_object_add(o, "by_category", json_object_get(x));
	json_object_object_add(o, "load_ms", rules_load_ms_json(rep));
	json_object_object_add(o, "memory_bytes", json_object_new_uint64(rules_memory(m->rules)));
	json_object_object_add(o, "reload", json_object_new_boolean(reload));
	json_object_put(r);
	return o;
}

static void log_report(const struct rules_report *rep)
{
	size_t unsupported = 0, errors = 0, loaded = 0;

	for (size_t i = 0; i < rep->n; i++) {
		const struct rules_report_entry *e = &rep->entries[i];

		if (e->status == RULES_ERROR) {
			errors++;
			log_warning("Sigma rule %s:%u%s%s: %s", e->file, e->line, e->title ? " " : "",
				    e->title ? e->title : "", e->reason);
		} else if (e->status == RULES_UNSUPPORTED) {
			unsupported++;
			log_debug("Sigma rule %s:%u %s: not evaluated: %s", e->file, e->line, e->title ? e->title : "",
				  e->reason);
		} else {
			loaded++;
		}
	}
	log_info("Sigma rules: %zu loaded, %zu unsupported here, %zu with errors, in %.0f ms", loaded, unsupported,
		 errors, (double)rep->load_ns / NSEC_PER_MSEC);
}

static bool report_errors(const struct rules_report *rep)
{
	for (int c = 0; c <= _RULES_CAT_MAX; c++)
		if (rep->count[c][RULES_ERROR])
			return true;
	return false;
}

static void emit_loaded(struct manager *m, struct json_object *o, bool errors)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "Sigma rules loaded: %zu rules%s", rules_count(m->rules),
		 errors ? ", some with errors (see the agent's log)" : "");
	manager_emit_json(m, o, "rules_loaded", false, errors ? LOG_WARNING : LOG_NOTICE, msg, getpid(), "clawos-ebpf");
}

int manager_rules_load(struct manager *m, bool reload)
{
	const struct clawos_string_list *l = &m->settings.sigma_rules;
	struct rules_report rep = {};
	struct rules_engine *e = NULL;
	struct json_object *o;
	int r;

	if (l->n == 0 && !m->rules)
		return 0; /* no rules, before or now: nothing to say */
	if (!m->rules_buf) {
		m->rules_buf = calloc(1, sizeof(*m->rules_buf));
		if (!m->rules_buf)
			return log_error_errno(-ENOMEM, "Sigma rules not loaded: %m");
	}
	r = rules_load((const char *const *)l->items, l->n, &e, &rep);
	if (r < 0) {
		rules_report_done(&rep);
		return log_error_errno(r, "Sigma rules could not be compiled, %s: %m",
				       m->rules ? "keeping the previous ones" : "running without");
	}
	log_report(&rep);
	rules_free(m->rules);
	m->rules = e;
	/* compiling takes far more memory than the result keeps: give the
	 * freed part back instead of holding it for the agent's lifetime */
	malloc_trim(0);
	o = loaded_record(m, &rep, reload);
	if (reload) {
		emit_loaded(m, o, report_errors(&rep));
		json_object_put(o);
	} else {
		/* at start the outputs are not up yet: emitted after startup */
		json_object_put(m->rules_loaded);
		m->rules_loaded = o;
		m->rules_loaded_errors = report_errors(&rep);
	}
	rules_report_done(&rep);
	return 0;
}

void manager_rules_emit_loaded(struct manager *m)
{
	if (!m->rules_loaded)
		return;
	emit_loaded(m, m->rules_loaded, m->rules_loaded_errors);
	json_object_put(m->rules_loaded);
	m->rules_loaded = NULL;
}

static void on_hit(const struct rules_rule *rule, uint32_t matched, void *userdata)
{
	struct manager *m = userdata;
	struct clawos_anomaly_event a;
	struct rules_hit_ctx hc;

	m->rules_hits++;
	rules_anomaly_build(rule, matched, m->rules_buf, m->rules_trigger, &a, &hc);
	manager_raise_sigma(m, &a, &hc.sigma, rules_level_priority(rule->level));
}

void manager_rules_record(struct manager *m, const struct clawos_event_hdr *h)
{
	const struct proc_entry *self, *parent = NULL;
	struct rules_proc p = {};

	if (!m->rules || !rules_record_relevant(h))
		return;
	self = proctable_get(&m->procs, h->pid);
	p.ppid = h->ppid ? h->ppid : self ? self->ppid : 0;
	p.exe = self && self->exe[0] ? self->exe : NULL;
	p.user = enrich_user(m->enrich, h->uid);
	if (p.ppid)
		parent = proctable_get(&m->procs, p.ppid);
	if (parent) {
		p.parent_exe = parent->exe[0] ? parent->exe : NULL;
		if (parent->cmdline) {
			p.parent_cmdline = parent->cmdline->text;
			p.parent_cmdline_len = parent->cmdline->len;
		}
	}
	if (!rules_event_from_record(m->rules_buf, h, &p))
		return;
	m->rules_trigger = h;
	rules_match(m->rules, &m->rules_buf->ev, on_hit, m);
	m->rules_trigger = NULL;
}

void manager_rules_free(struct manager *m)
{
	m->rules = rules_free(m->rules);
	free(m->rules_buf);
	m->rules_buf = NULL;
	json_object_put(m->rules_loaded);
	m->rules_loaded = NULL;
}
