/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by lsm-probe.bpf.c and its loader lsm-probe.c. */
#ifndef LSM_PROBE_H
#define LSM_PROBE_H

#define PROBE_NAME_LEN 32

struct probe_cfg {
	__u32 tgid;
	char name[PROBE_NAME_LEN];
};

#endif
