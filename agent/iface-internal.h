/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by iface.c (attach, link tracking) and iface-collect.c (counters,
 * records, stats). */

#include <net/if.h>

#include "iface.h"

#define IFACE_FLOW_SLOTS (2 * CLAWOS_IFACE_FLOWS_MAX) /* open addressing, power of two */
#define IFACE_TOT_MAX (4 * CLAWOS_IFACE_MAX)

enum iface_state {
	IFACE_ATTACHED,
	IFACE_GONE,  /* not present (or renamed away); re-attached when it returns */
	IFACE_ERROR, /* present, but attaching failed (see error) */
	_IFACE_STATE_MAX,
};

struct iface_watch {
	char name[IF_NAMESIZE];
	enum iface_state state;
	int ifindex;	 /* while attached */
	int old_ifindex; /* vanished: its counters are reported once more, then dropped */
	bool qdisc_created;
	uint32_t handle[2], priority[2]; /* of our filters, by enum clawos_iface_dir */
	uint64_t packets[2], bytes[2];	 /* since the agent started, over re-attaches */
	uint64_t attaches, losses, anomalies;
	char error[128];
};

struct iface_flow_slot {
	bool used;
	struct clawos_iface_key key;
	struct clawos_iface_counters c;
};

struct iface_tot_prev {
	struct clawos_iface_total_key key;
	struct clawos_iface_counters c;
};

struct clawos_iface;

struct iface_monitor {
	sd_event *ev;
	struct clawos_iface *skel;
	struct iface_watch *w;
	size_t n;
	int nl_fd;
	sd_event_source *nl_src;
	uint64_t threshold;
	iface_emit_fn emit;
	void *userdata;
	int ncpus;
	struct clawos_iface_counters *percpu; /* ncpus values of one per-CPU entry */
	struct iface_flow_slot *prev, *next;  /* flow counters at the last collect, and scratch */
	size_t flows;			      /* entries seen at the last collect */
	struct iface_tot_prev tprev[IFACE_TOT_MAX];
	size_t n_tprev;
	uint64_t last_ns; /* CLOCK_BOOTTIME of the last collect (or of the start) */
	uint64_t resyncs;
	char host[256];
};

uint64_t iface_boot_ns(void);
struct iface_watch *iface_watch_by_ifindex(struct iface_monitor *m, int ifindex);
struct json_object *iface_json_new(struct iface_monitor *m, const char *event);
const char *iface_state_name(enum iface_state s);
int iface_state_from_name(const char *s);
