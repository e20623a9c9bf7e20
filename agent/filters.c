/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "clawos.skel.h"
#include "filters.h"

int filters_apply(struct bpf_loader *l, const struct kernel_plan *p)
{
	struct clawos *skel = bpf_loader_skel(l);
	int r;

	r = bpf_loader_sync_map(skel->maps.clawos_f_comm, &p->f_comm);
	if (r >= 0)
		r = bpf_loader_sync_map(skel->maps.clawos_f_uid, &p->f_uid);
	if (r >= 0)
		r = bpf_loader_sync_map(skel->maps.clawos_f_cgrp, &p->f_cgrp);
	if (r >= 0)
		r = bpf_loader_sync_map(skel->maps.clawos_f_exe, &p->f_exe);
	if (r >= 0)
		r = bpf_loader_sync_map(skel->maps.clawos_f_prefix, &p->f_prefix);
	return r;
}
