/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * [filter] of the configuration -> the BPF filter maps.  Names are turned
 * into what the kernel can compare cheaply: cgroup paths into cgroup ids,
 * executable paths into (device, inode).
 */

#include <stdint.h>

#include "bpf-loader.h"
#include "config.h"

/* Makes the filter maps hold exactly what s asks for and returns the
 * CLAWOS_FILTER_* flags for the CONFIG map in *flags.  Entries that cannot
 * be resolved (a cgroup or binary that does not exist) are logged and
 * skipped.  New entries go in before stale ones go out, so a reload never
 * lets filtered events through. */
int filters_apply(struct bpf_loader *l, const struct clawos_settings *s, const char *cgroup2_root, uint32_t *flags);
