/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Protected entries ([anomaly] protected_paths and the agent's own files)
 * into the kernel's maps, two ways:
 *  - by path, in the clawos_protect LPM trie, matched against the path of
 *    what was opened (resolved in the kernel).  "/a/b" is exact (stored with
 *    its NUL), "/a/b/" covers what is below the directory, "/a/b*" is a name
 *    prefix;
 *  - by identity, in the clawos_p_ident hash: the (device, inode) that
 *    stat() finds for each entry, so that a hard link, a bind mount or a
 *    path the walk cannot spell still matches.  Refreshed periodically
 *    (files replaced by rename get a new inode) and on reload.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bpf-loader.h"
#include "config.h"

enum protect_kind {
	PROTECT_EXACT,	/* "/etc/shadow" */
	PROTECT_DIR,	/* "/etc/sudoers.d/" */
	PROTECT_PREFIX, /* "/etc/ssh/ssh_host_*": by name only */
};

/* The agent's own files: tamper on write, rename, unlink. */
struct protect_agent_files {
	const char *files[4];
};

/* Fills clawos_protect and clawos_p_ident (the CLAWOS_CFG_PROTECT* flags
 * they need are kernel_plan_config()'s); 0 or -errno. */
int protect_apply(struct bpf_loader *l, const struct clawos_settings *s, const struct protect_agent_files *own);

/* stat()s every entry again and brings clawos_p_ident in step: new
 * identities in before stale ones out.  Returns how many entries exist. */
int protect_refresh(struct bpf_loader *l, const struct clawos_settings *s, const struct protect_agent_files *own);
