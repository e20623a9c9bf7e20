/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-delta.h"

void cg_delta_init(struct cg_delta *d)
{
	memset(d, 0, sizeof(*d));
}

void cg_delta_done(struct cg_delta *d)
{
	free(d->prev);
	free(d->cur);
	memset(d, 0, sizeof(*d));
}

static size_t slot_of(uint64_t id, size_t cap)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static struct cg_delta_entry *lookup(struct cg_delta_entry *t, size_t cap, uint64_t id, bool *found)
{
	size_t i = slot_of(id, cap);

	/* never full: the table is at most half used */
	while (t[i].id && t[i].id != id)
		i = (i + 1) & (cap - 1);
	*found = t[i].id == id;
	return &t[i];
}

static int grow(struct cg_delta *d)
{
	size_t ncap = d->cur_cap ? d->cur_cap * 2 : 64;
	struct cg_delta_entry *n = calloc(ncap, sizeof(*n));
	bool found;

	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < d->cur_cap; i++)
		if (d->cur[i].id)
			*lookup(n, ncap, d->cur[i].id, &found) = d->cur[i];
	free(d->cur);
	d->cur = n;
	d->cur_cap = ncap;
	return 0;
}

static bool went_back(const struct clawos_cgroup_counters *now, const struct clawos_cgroup_counters *then)
{
	return now->rx_packets < then->rx_packets || now->rx_bytes < then->rx_bytes ||
	       now->tx_packets < then->tx_packets || now->tx_bytes < then->tx_bytes;
}

int cg_delta_update(struct cg_delta *d, uint64_t cgid, const struct clawos_cgroup_counters *c,
		    struct clawos_cgroup_counters *delta)
{
	struct cg_delta_entry *e, *p = NULL;
	bool found = false;

	if (!cgid)
		return 0;
	if ((d->cur_n + 1) * 2 > d->cur_cap && grow(d) < 0)
		return -ENOMEM;
	e = lookup(d->cur, d->cur_cap, cgid, &found);
	if (!found)
		d->cur_n++;
	e->id = cgid;
	e->c = *c;
	if (d->prev_cap)
		p = lookup(d->prev, d->prev_cap, cgid, &found);
	if (!p || !found || went_back(c, &p->c))
		return 0;
	delta->rx_packets = c->rx_packets - p->c.rx_packets;
	delta->rx_bytes = c->rx_bytes - p->c.rx_bytes;
	delta->tx_packets = c->tx_packets - p->c.tx_packets;
	delta->tx_bytes = c->tx_bytes - p->c.tx_bytes;
	return 1;
}

void cg_delta_end_round(struct cg_delta *d)
{
	free(d->prev);
	d->prev = d->cur;
	d->prev_cap = d->cur_cap;
	d->cur = NULL;
	d->cur_cap = d->cur_n = 0;
}
