/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The commands for people around the running agent; argv[0] is the
 * command's name.  Each returns an exit status: EXIT_SUCCESS, EXIT_FAILURE
 * (failed while running), EXIT_USAGE or EXIT_UNAVAILABLE (no agent to talk
 * to).
 */

#include <stdlib.h>

/* Exit statuses of every clawos-ebpf command besides EXIT_SUCCESS and
 * EXIT_FAILURE (clawos-ebpf(8), EXIT STATUS); CLAWOS_EXIT_CONFIG is in
 * config.h, the rule checker's in rules-cli.h. */
#define EXIT_USAGE 2
#define EXIT_UNAVAILABLE 69 /* sysexits EX_UNAVAILABLE: no agent, or no BPF support in the kernel */

/* `clawos-ebpf status [--json] [--control PATH]` (cli-status.c) */
int status_main(int argc, char *argv[]);
/* `clawos-ebpf events [--type LIST] [--format FORMAT] [--socket PATH]` (cli-events.c) */
int events_main(int argc, char *argv[]);
