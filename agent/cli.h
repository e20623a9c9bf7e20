/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The commands for people around the running agent; argv[0] is the
 * command's name.  Each returns an exit status: 0, 1 (failed while
 * running), 2 (usage), 69 (no agent to talk to: EX_UNAVAILABLE).
 */

#define CLI_EXIT_USAGE 2
#define CLI_EXIT_UNAVAILABLE 69

/* `clawos-ebpf status [--json] [--control PATH]` (cli-status.c) */
int status_main(int argc, char *argv[]);
/* `clawos-ebpf events [--type LIST] [--format FORMAT] [--socket PATH]` (cli-events.c) */
int events_main(int argc, char *argv[]);
