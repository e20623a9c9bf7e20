/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define CLAWOS_WATCH_NAME_MAX 32

/* `clawos-ebpf watch ...`: argv[0] is "watch". Returns an exit status, or
 * does not return (exec of the command). */
int watch_main(int argc, char *argv[]);
