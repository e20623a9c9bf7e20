/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Stable journal MESSAGE_IDs, one per record type.  Never change a value:
 * users filter on them (journalctl MESSAGE_ID=...).  A new one comes from
 * `systemd-id128 new`, never from a keyboard; systemd/clawos-ebpf.catalog
 * explains each one for journalctl -x and man/clawos-ebpf-events.7.scd lists
 * them (tests/unit/test-message-ids.c keeps the three in step). */

#include <stddef.h>
#include <string.h>

#include "macro.h"

static const struct {
	const char *event;
	const char *id;
} clawos_message_ids[] = {
    {"exec", "a1932e8cbca84cc2aa15e99c61787c07"},
    {"file_access", "88ea0c6a5640492ebbe5e6c2f2987283"},
    {"network", "b36c75110a3c4e14a6a82d9106bbb309"},
    {"cgroup", "573b867fd0154a97902deec84093904e"},
    {"syscall", "0adea5ba56e34df698b4ebcf478e1f32"},
    {"anomaly", "18441d2f2d38473c8734343c0202757d"},
    {"startup", "2752bd38950548069eb36ab66d29db94"},
    {"stats", "54440e6d250a46018d350c5d955ee84e"},
    {"events_lost", "881bc40297e1426bb27d179e7d230d2d"},
    {"config_changed", "687ecf06351a47f09f704f0d617f42b7"},
    {"config_reload_failed", "eeb955be14894abea09934a1e9dca53e"},
    {"journal_suppressed", "88d5ffba95bf4841a96554bfc57fb148"},
    {"shutdown", "ed44206a7a054b578b27ca1f2125e12c"},
    {"process", "0a6b68af72e342e68303a240d3631669"},
    {"iface", "3dbd1d1bc0b84834abf158fd64df5dd8"},
    {"iface_state", "3237df1421ec45ed811e9832d56a2bbd"},
    {"sigma", "f71ef6276d3749b7a4f6dbdb5de0b8e9"}, /* anomalies of kind sigma */
    {"rules_loaded", "83048d91b0734a29a0132e5883daa9c7"},
};

static inline const char *clawos_message_id(const char *event)
{
	for (size_t i = 0; i < ELEMENTSOF(clawos_message_ids); i++)
		if (strcmp(clawos_message_ids[i].event, event) == 0)
			return clawos_message_ids[i].id;
	return NULL;
}
