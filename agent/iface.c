/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interface monitoring, the attaching half: loads bpf/iface.bpf.c, attaches
 * its tc programs to clsact ingress/egress of every watched interface, and
 * follows the interfaces through rtnetlink so that one that disappears is
 * reported and re-attached when a link of that name comes back.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "event-json.h"
#include "iface-internal.h"
#include "iface.skel.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"

uint64_t iface_boot_ns(void)
{
	return now_nsec(CLOCK_BOOTTIME);
}

static const char *const iface_state_table[_IFACE_STATE_MAX] = {
    [IFACE_ATTACHED] = "attached",
    [IFACE_GONE] = "gone",
    [IFACE_ERROR] = "error",
};

DEFINE_STRING_TABLE_LOOKUP(iface_state, enum iface_state, iface_state_table, "error");

struct iface_watch *iface_watch_by_ifindex(struct iface_monitor *m, int ifindex)
{
	for (size_t i = 0; i < m->n; i++)
		if (ifindex > 0 && (m->w[i].ifindex == ifindex || m->w[i].old_ifindex == ifindex))
			return &m->w[i];
	return NULL;
}

struct json_object *iface_json_new(struct iface_monitor *m, const char *event)
{
	struct json_object *o;

	o = json_record_new(event, now_nsec(CLOCK_REALTIME));
	if (!o)
		return NULL;
	json_object_object_add(o, "boot_ns", json_object_new_uint64(iface_boot_ns()));
	json_object_object_add(o, "host", m->host[0] ? json_object_new_string(m->host) : NULL);
	return o;
}

static void emit_state(struct iface_monitor *m, struct iface_watch *w, int ifindex, const char *detail)
{
	struct json_object *o = iface_json_new(m, "iface_state"), *i = json_object_new_object();
	char msg[256];

	if (!o)
		return;
	json_object_object_add(i, "name", json_object_new_string(w->name));
	json_object_object_add(i, "ifindex", json_object_new_int(ifindex));
	json_object_object_add(i, "state", json_object_new_string(iface_state_name(w->state)));
	json_object_object_add(i, "qdisc_created", json_object_new_boolean(w->qdisc_created));
	json_object_object_add(i, "detail", detail ? json_object_new_string(detail) : NULL);
	json_object_object_add(o, "iface", i);
	json_object_object_add(o, "mechanism", json_object_new_string("tc"));
	snprintf(msg, sizeof(msg), "interface %s %s%s%s", w->name, iface_state_name(w->state), detail ? ": " : "",
		 detail ? detail : "");
	m->emit(&(struct iface_record){.event = "iface_state",
				       .json = o,
				       .trace = false,
				       .priority = w->state == IFACE_ATTACHED ? LOG_NOTICE : LOG_WARNING,
				       .message = msg},
		m->userdata);
	json_object_put(o);
}

static void tc_detach(struct iface_watch *w)
{
	for (int d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = w->ifindex,
				    .attach_point = d == CLAWOS_IFACE_DIR_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = w->handle[d], .priority = w->priority[d]);
		int r;

		if (!w->handle[d])
			continue;
		r = bpf_tc_detach(&hook, &opts);
		if (r < 0 && r != -ENOENT && r != -ENODEV)
			log_warning_errno(r, "Failed to detach the tc program from %s: %m", w->name);
		w->handle[d] = w->priority[d] = 0;
	}
	if (w->qdisc_created) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = w->ifindex,
				    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		int r = bpf_tc_hook_destroy(&hook);

		if (r < 0 && r != -ENOENT && r != -ENODEV && r != -EINVAL)
			log_warning_errno(r, "Failed to remove the clsact qdisc of %s: %m", w->name);
		w->qdisc_created = false;
	}
}

/* clsact on ifindex, created unless it exists (-EEXIST: someone else's,
 * which we then never remove), and our two filters in it. */
static int tc_attach(struct iface_monitor *m, struct iface_watch *w, int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int fds[2] = {bpf_program__fd(m->skel->progs.clawos_tc_in), bpf_program__fd(m->skel->progs.clawos_tc_out)};
	int r;

	r = bpf_tc_hook_create(&hook);
	if (r < 0 && r != -EEXIST)
		return log_warning_errno(r, "Failed to create the clsact qdisc on %s: %m", w->name);
	w->ifindex = ifindex;
	w->qdisc_created = r == 0;
	for (int d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = fds[d]);

		hook.attach_point = d == CLAWOS_IFACE_DIR_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		r = bpf_tc_attach(&hook, &opts);
		if (r < 0) {
			log_warning_errno(r, "Failed to attach the tc %s program to %s: %m",
					  d == CLAWOS_IFACE_DIR_EGRESS ? "egress" : "ingress", w->name);
			tc_detach(w);
			w->ifindex = 0;
			return r;
		}
		w->handle[d] = opts.handle;
		w->priority[d] = opts.priority;
	}
	w->state = IFACE_ATTACHED;
	w->attaches++;
	w->error[0] = '\0';
	log_info("Interface %s (ifindex %d): tc ingress/egress attached%s", w->name, ifindex,
		 w->qdisc_created ? ", clsact qdisc created" : " to the existing clsact qdisc");
	return 0;
}

/* The link went away (or was renamed away): filters and qdisc go with a
 * deleted device; a renamed one keeps them, so remove ours. */
static void watch_lost(struct iface_monitor *m, struct iface_watch *w, bool still_exists, const char *detail)
{
	int ifindex = w->ifindex;

	if (still_exists)
		tc_detach(w);
	w->handle[0] = w->handle[1] = w->priority[0] = w->priority[1] = 0;
	w->old_ifindex = ifindex;
	w->ifindex = 0;
	w->state = IFACE_GONE;
	w->qdisc_created = false;
	w->losses++;
	log_warning("Interface %s (ifindex %d) %s; it will be re-attached when it returns", w->name, ifindex, detail);
	emit_state(m, w, ifindex, detail);
}

static void watch_found(struct iface_monitor *m, struct iface_watch *w, int ifindex)
{
	int r = tc_attach(m, w, ifindex);

	if (r < 0) {
		w->state = IFACE_ERROR;
		snprintf(w->error, sizeof(w->error), "attach failed: %s", strerror(-r));
		emit_state(m, w, ifindex, w->error);
		return;
	}
	emit_state(m, w, ifindex, NULL);
}

static void on_link(struct iface_monitor *m, int type, int ifindex, const char *name)
{
	for (size_t i = 0; i < m->n; i++) {
		struct iface_watch *w = &m->w[i];
		bool same_name = name && strcmp(name, w->name) == 0;

		if (w->state == IFACE_ATTACHED && w->ifindex == ifindex) {
			if (type == RTM_DELLINK)
				watch_lost(m, w, false, "disappeared");
			else if (!same_name)
				watch_lost(m, w, true, "renamed");
			else
				continue;
		}
		if (type != RTM_NEWLINK || !same_name)
			continue;
		if (w->state == IFACE_ATTACHED) /* a new link of that name; the
						 * deletion of the old one was missed */
			watch_lost(m, w, false, "replaced");

		watch_found(m, w, ifindex);
	}
}

/* After a netlink overrun (ENOBUFS) events were lost: compare with now. */
static void resync(struct iface_monitor *m)
{
	m->resyncs++;
	for (size_t i = 0; i < m->n; i++) {
		struct iface_watch *w = &m->w[i];
		int idx = (int)if_nametoindex(w->name);

		if (w->state == IFACE_ATTACHED && idx != w->ifindex) {
			char now[IF_NAMESIZE];

			watch_lost(m, w, if_indextoname((unsigned)w->ifindex, now) != NULL, "disappeared");
		}
		if (w->state != IFACE_ATTACHED && idx > 0)
			watch_found(m, w, idx);
	}
}

static void parse_link(struct iface_monitor *m, const struct nlmsghdr *nh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	char name[IF_NAMESIZE] = "";

	if (len < 0)
		return;
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME)
			snprintf(name, sizeof(name), "%.*s", (int)RTA_PAYLOAD(a), (const char *)RTA_DATA(a));
	on_link(m, nh->nlmsg_type, ifi->ifi_index, name[0] ? name : NULL);
}

static int on_netlink(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct iface_monitor *m = userdata;
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ENOBUFS) {
				log_warning("rtnetlink overrun: checking the watched interfaces again");
				resync(m);
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				log_warning_errno(-errno, "Reading rtnetlink failed: %m");
			return 0;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n))
			if (nh->nlmsg_type == RTM_NEWLINK || nh->nlmsg_type == RTM_DELLINK)
				parse_link(m, nh);
	}
}

/* Subscribed before the interfaces are resolved, so that nothing that
 * happens in between is missed. */
static int netlink_open(struct iface_monitor *m)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int r;

	m->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (m->nl_fd < 0)
		return log_error_errno(-errno, "Failed to open an rtnetlink socket: %m");
	if (bind(m->nl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return log_error_errno(-errno, "Failed to subscribe to rtnetlink link events: %m");
	r = sd_event_add_io(m->ev, &m->nl_src, m->nl_fd, EPOLLIN, on_netlink, m);
	if (r < 0)
		return log_error_errno(r, "Failed to watch rtnetlink: %m");
	return 0;
}

static int load_bpf(struct iface_monitor *m)
{
	struct clawos_iface_config cfg = {.enabled = 1};
	uint32_t zero = 0;
	int r;

	m->skel = clawos_iface__open_and_load();
	if (!m->skel)
		return log_error_errno(negative_errno(), "Failed to load the tc programs (bpf/iface.bpf.c): %m");
	r = bpf_map_update_elem(bpf_map__fd(m->skel->maps.clawos_if_cfg), &zero, &cfg, BPF_ANY);
	if (r < 0)
		return log_error_errno(negative_errno(), "Failed to enable the tc programs: %m");
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0)
		return log_error_errno(m->ncpus < 0 ? m->ncpus : -EINVAL, "Failed to count the possible CPUs: %m");
	m->percpu = calloc((size_t)m->ncpus, sizeof(*m->percpu));
	if (!m->percpu)
		return log_error_errno(-ENOMEM, "Out of memory");
	return 0;
}

int iface_monitor_new(struct iface_monitor **ret, sd_event *ev, char **ifnames, size_t n,
		      uint64_t egress_threshold_bytes, iface_emit_fn emit, void *userdata)
{
	struct iface_monitor *m;
	int r;

	if (n == 0 || n > CLAWOS_IFACE_MAX)
		return log_error_errno(-EINVAL, "Between 1 and %d interfaces can be watched, not %zu", CLAWOS_IFACE_MAX,
				       n);
	m = calloc(1, sizeof(*m));
	if (!m)
		return log_error_errno(-ENOMEM, "Out of memory");
	m->nl_fd = -1;
	m->ev = sd_event_ref(ev);
	m->threshold = egress_threshold_bytes;
	m->emit = emit;
	m->userdata = userdata;
	m->n = n;
	m->w = calloc(n, sizeof(*m->w));
	m->prev = calloc(IFACE_FLOW_SLOTS, sizeof(*m->prev));
	m->next = calloc(IFACE_FLOW_SLOTS, sizeof(*m->next));
	if (!m->w || !m->prev || !m->next) {
		r = log_error_errno(-ENOMEM, "Out of memory");
		goto fail;
	}
	if (gethostname(m->host, sizeof(m->host) - 1) < 0)
		m->host[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		snprintf(m->w[i].name, sizeof(m->w[i].name), "%s", ifnames[i]);
		m->w[i].state = IFACE_GONE;
	}
	r = netlink_open(m);
	if (r < 0)
		goto fail;
	/* every name must exist before anything is loaded: a typo is an error */
	for (size_t i = 0; i < n; i++)
		if (if_nametoindex(m->w[i].name) == 0) {
			r = log_error_errno(-ENODEV, "Interface '%s' does not exist (--iface / interfaces =)",
					    m->w[i].name);
			goto fail;
		}
	r = load_bpf(m);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		int idx = (int)if_nametoindex(m->w[i].name);

		r = idx > 0 ? tc_attach(m, &m->w[i], idx) : -ENODEV;
		if (r == -ENODEV)
			log_error("Interface '%s' disappeared while attaching", m->w[i].name);
		if (r < 0)
			goto fail;
	}
	m->last_ns = iface_boot_ns();
	*ret = m;
	return 0;
fail:
	iface_monitor_free(m);
	return r;
}

struct iface_monitor *iface_monitor_free(struct iface_monitor *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; m->w && i < m->n; i++) {
		struct iface_watch *w = &m->w[i];
		char now[IF_NAMESIZE];

		/* only the device we attached to, still under its name */
		if (w->state == IFACE_ATTACHED && if_indextoname((unsigned)w->ifindex, now) &&
		    strcmp(now, w->name) == 0)
			tc_detach(w);
	}
	sd_event_source_disable_unref(m->nl_src);
	if (m->nl_fd >= 0)
		close(m->nl_fd);
	clawos_iface__destroy(m->skel);
	sd_event_unref(m->ev);
	free(m->w);
	free(m->prev);
	free(m->next);
	free(m->percpu);
	free(m);
	return NULL;
}

void iface_monitor_set_threshold(struct iface_monitor *m, uint64_t egress_threshold_bytes)
{
	if (m)
		m->threshold = egress_threshold_bytes;
}
