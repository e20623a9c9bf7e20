/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A Sigma hit -> the anomaly record, the same for the daemon and `match`. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "rules-event.h"

static const uint8_t level_severity[_RULES_LEVEL_MAX] = {
    [RULES_LEVEL_INFORMATIONAL] = CLAWOS_SEV_INFO, [RULES_LEVEL_LOW] = CLAWOS_SEV_LOW,
    [RULES_LEVEL_MEDIUM] = CLAWOS_SEV_MEDIUM,	   [RULES_LEVEL_HIGH] = CLAWOS_SEV_HIGH,
    [RULES_LEVEL_CRITICAL] = CLAWOS_SEV_CRITICAL,
};

int rules_level_priority(int level)
{
	static const int prio[_RULES_LEVEL_MAX] = {
	    [RULES_LEVEL_INFORMATIONAL] = LOG_INFO, [RULES_LEVEL_LOW] = LOG_NOTICE,
	    [RULES_LEVEL_MEDIUM] = LOG_WARNING,	    [RULES_LEVEL_HIGH] = LOG_ERR,
	    [RULES_LEVEL_CRITICAL] = LOG_CRIT,
	};

	return level >= 0 && level < _RULES_LEVEL_MAX ? prio[level] : LOG_WARNING;
}

void rules_anomaly_build(const struct rules_rule *rule, uint32_t matched, const struct rules_event_buf *b,
			 const struct clawos_event_hdr *trigger, struct clawos_anomaly_event *a,
			 struct rules_hit_ctx *ctx)
{
	const char *key = rule->id ? rule->id : rule->title;
	size_t n = 0;

	memset(a, 0, sizeof(*a));
	a->hdr = *trigger;
	a->hdr.type = CLAWOS_EV_ANOMALY;
	a->hdr.version = CLAWOS_ABI_VERSION;
	a->hdr.size = sizeof(*a);
	a->kind = CLAWOS_ANOMALY_SIGMA;
	a->severity = rule->level < _RULES_LEVEL_MAX ? level_severity[rule->level] : CLAWOS_SEV_MEDIUM;
	a->mechanism = CLAWOS_MECH_USER;
	/* the full id and title travel in ctx; these are for the journal's
	 * MESSAGE and the de-duplication key, which must tell rules apart even
	 * when their ids share the first 31 bytes */
	if (strlen(key) < sizeof(a->rule)) {
		snprintf(a->rule, sizeof(a->rule), "%s", key);
	} else {
		uint32_t h = 2166136261u;

		for (const char *c = key; *c; c++)
			h = (h ^ (uint8_t)*c) * 16777619u;
		snprintf(a->rule, sizeof(a->rule), "%.22s~%08x", key, h);
	}
	snprintf(a->description, sizeof(a->description), "%s", rule->title);
	memset(ctx, 0, sizeof(*ctx));
	for (int f = 0; f < _RF_MAX; f++)
		if ((matched & (1u << f)) && b->ev.value[f]) {
			ctx->names[n] = rules_field_name(f);
			ctx->values[n] = b->ev.value[f];
			ctx->lens[n++] = b->ev.len[f];
		}
	ctx->sigma = (struct event_sigma){
	    .id = rule->id,
	    .title = rule->title,
	    .level = rules_level_name(rule->level),
	    .status = rule->status,
	    .category = rules_category_name(rule->category),
	    .file = rule->file,
	    .tags = (const char *const *)rule->tags,
	    .n_tags = rule->n_tags,
	    .matched_names = ctx->names,
	    .matched_values = ctx->values,
	    .matched_lens = ctx->lens,
	    .n_matched = n,
	    .subject = b->subject,
	    .trigger_event = b->trigger,
	    .trigger_cpu = trigger->cpu == CLAWOS_CPU_USER ? -1 : trigger->cpu,
	    .trigger_seq = trigger->seq,
	};
}
