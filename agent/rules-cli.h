/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* clawos-ebpf --check-rules and clawos-ebpf match (rules-cli.c). */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "rules.h"

#define CLAWOS_EXIT_RULES 65   /* sysexits EX_DATAERR: a rule or an input line is broken */
#define CLAWOS_EXIT_NOINPUT 66 /* sysexits EX_NOINPUT */

/* paths: --rules; none: sigma_rules of the configuration at config_path. */
int rules_cli_check(const char *config_path, char **paths, size_t n_paths, bool json);
int rules_cli_match(int argc, char **argv);

/* Counts (total and per category), and with entries every rule's fate. */
struct json_object *rules_report_json(const struct rules_report *rep, bool entries);
/* The load time in milliseconds as a JSON number with one decimal. */
struct json_object *rules_load_ms_json(const struct rules_report *rep);
