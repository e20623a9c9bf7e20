/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* The single definition of every shared map (see common.bpf.h). */
#define CLAWOS_DEFINE_MAPS
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
