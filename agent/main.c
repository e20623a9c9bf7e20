/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include <json-c/json.h>

#include "bpf-loader.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "manager.h"
#include "probe.h"
#include "rules-cli.h"
#include "watch.h"

static void help(void)
{
	printf("Usage: clawos-ebpf [OPTIONS]\n"
	       "       clawos-ebpf watch [--name NAME] [--control PATH] -- COMMAND [ARGS...]\n"
	       "       clawos-ebpf status [--json] [--control PATH]\n"
	       "       clawos-ebpf events [--type TYPES] [--format FORMAT] [--socket PATH]\n"
	       "       clawos-ebpf match --rules PATH [FILE.ndjson]\n"
	       "eBPF host security agent: exec, file, network and cgroup activity as JSON.\n\n"
	       "  -c, --config FILE    configuration file (default %s)\n"
	       "  -f, --foreground     run in the foreground, records also on stdout\n"
	       "      --format FORMAT  records on stdout as %s (auto: text on a terminal)\n"
	       "      --probe          print what the kernel allows and the mechanism per hook\n"
	       "      --check-config   validate the configuration and print the effective one\n"
	       "      --check-rules    load the Sigma rules (sigma_rules, or --rules) and report each one\n"
	       "      --rules PATH     with --check-rules: this rule file or directory (repeatable)\n"
	       "      --json           with --probe, --check-config or --check-rules: print JSON\n"
	       "      --no-lsm         do not use BPF-LSM even where it works (fallbacks only)\n"
	       "      --iface IFNAME   count traffic on this interface (repeatable; adds to interfaces =)\n"
	       "  -v, --verbose        debug diagnostics\n"
	       "  -V, --version        print the version\n"
	       "  -h, --help           this help\n\n"
	       "See clawos-ebpf(8), clawos-ebpf.conf(5), clawos-ebpf-events(7).\n",
	       CLAWOS_DEFAULT_CONFIG_PATH, output_format_choices());
}

static void probe_print_text(const struct probe_result *pr, const struct hook_plan *plan)
{
	printf("kernel features\n");
	printf("  %-12s %s\n", "btf", pr->btf ? "yes" : "no");
	printf("  %-12s %s\n", "ringbuf", pr->ringbuf ? "yes" : "no");
	printf("  %-12s %s (%s)\n", "bpf_lsm", pr->lsm_ok[PROBE_LSM_FILE_OPEN] ? "yes" : "no", pr->lsm_list);
	if (pr->lsm_ok[PROBE_LSM_FILE_OPEN])
		printf("  %-12s %s%s%s\n", "bpf_d_path", pr->lsm_fopen_walk ? "no: " : "yes",
		       pr->lsm_fopen_walk ? pr->d_path_reason : "", pr->lsm_fopen_walk ? " (dentry walk)" : "");
	printf("  %-12s %s%s%s\n", "trampoline", pr->trampoline ? "yes" : "no", pr->trampoline ? "" : ": ",
	       pr->trampoline ? "" : pr->trampoline_reason);
	printf("  %-12s %s\n", "task_storage", pr->task_storage ? "yes" : "no (open records parked in an LRU hash)");
	printf("  %-12s %s\n", "bpf_timer", pr->bpf_timer ? "yes" : "no (aggregate_window unavailable)");
	printf("  %-12s %s\n", "tracefs", pr->tracefs ? pr->tracefs_path : "no");
	printf("  %-12s %s\n", "cgroup2", pr->cgroup2_path[0] ? pr->cgroup2_path : "no");
	printf("\n%-14s %-11s %-9s %s\n", "HOOK", "MECHANISM", "STATE", "REASON");
	for (int h = 0; h < _HOOK_MAX; h++) {
		const struct hook_status *st = &plan->hooks[h];

		printf("%-14s %-11s %-9s %s\n", st->name, mechanism_name(st->mechanism), hook_state_name(st->state),
		       st->reason);
	}
}

static void probe_print_json(const struct probe_result *pr, const struct hook_plan *plan)
{
	struct json_object *o = json_object_new_object(), *hooks = json_object_new_object();

	for (int h = 0; h < _HOOK_MAX; h++) {
		const struct hook_status *st = &plan->hooks[h];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "mechanism", json_object_new_string(mechanism_name(st->mechanism)));
		json_object_object_add(j, "state", json_object_new_string(hook_state_name(st->state)));
		json_object_object_add(j, "reason", json_object_new_string(st->reason));
		json_object_object_add(hooks, st->name, j);
	}
	struct json_object *k = probe_to_json(pr);
	struct utsname u;

	/* which kernel this was (for people and for the probe goldens) */
	if (uname(&u) == 0)
		json_object_object_add(k, "release", json_object_new_string(u.release));
	json_object_object_add(o, "kernel", k);
	json_object_object_add(o, "hooks", hooks);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int do_probe(bool json, bool no_lsm)
{
	struct probe_result pr;
	struct hook_plan plan;

	probe_kernel(&pr, no_lsm);
	hook_plan_make(&plan, &pr);
	if (json)
		probe_print_json(&pr, &plan);
	else
		probe_print_text(&pr, &plan);
	return EXIT_SUCCESS;
}

static int do_check_config(const char *path, bool json)
{
	struct clawos_settings s = {};
	struct clawos_config_error err = {};
	char sha[SHA256_HEX_SIZE], text[900];

	if (config_load_file(path, &s, &err, sha) < 0) {
		fprintf(stderr, "%s\n", config_error_format(&err, text, sizeof(text)));
		return CLAWOS_EXIT_CONFIG;
	}
	if (!json)
		printf("# %s: valid (sha256 %s)\n", path, sha);
	settings_print(&s, stdout, json);
	settings_done(&s);
	return EXIT_SUCCESS;
}

int main(int argc, char *argv[])
{
	enum { ARG_PROBE = 0x100, ARG_CHECK, ARG_JSON, ARG_NO_LSM, ARG_IFACE, ARG_FORMAT, ARG_CHECK_RULES, ARG_RULES };
	static const struct option options[] = {{"config", required_argument, NULL, 'c'},
						{"foreground", no_argument, NULL, 'f'},
						{"probe", no_argument, NULL, ARG_PROBE},
						{"check-config", no_argument, NULL, ARG_CHECK},
						{"json", no_argument, NULL, ARG_JSON},
						{"no-lsm", no_argument, NULL, ARG_NO_LSM},
						{"verbose", no_argument, NULL, 'v'},
						{"version", no_argument, NULL, 'V'},
						{"help", no_argument, NULL, 'h'},
						{"iface", required_argument, NULL, ARG_IFACE},
						{"format", required_argument, NULL, ARG_FORMAT},
						{"check-rules", no_argument, NULL, ARG_CHECK_RULES},
						{"rules", required_argument, NULL, ARG_RULES},
						{}};
	struct manager_options opts = {.config_path = CLAWOS_DEFAULT_CONFIG_PATH};
	bool probe = false, check = false, json = false, check_rules = false;
	static char *ifaces[CLAWOS_IFACE_MAX];
	_cleanup_free_ char **rules = calloc((size_t)argc + 1, sizeof(char *));
	size_t n_rules = 0;
	int c;

	/* A fixed threshold: blocks of 128K and more (client queues, libbpf's
	 * BTF) are mapped and given back on free.  glibc's default raises the
	 * threshold to the largest mapped block freed: once libbpf has freed
	 * the kernel's BTF (5.5 MB on 6.18) every smaller block comes from
	 * the heap, and much of it stays: 20 MB of anonymous memory at idle
	 * instead of 9 (B6, measured with GLIBC_TUNABLES both ways). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);

	if (argc > 1 && strcmp(argv[1], "watch") == 0)
		return watch_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "status") == 0)
		return status_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "events") == 0)
		return events_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "match") == 0)
		return rules_cli_match(argc - 1, argv + 1);
	if (!rules)
		return EXIT_FAILURE;
	while ((c = getopt_long(argc, argv, "c:fvVh", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 'f':
			opts.foreground = true;
			break;
		case ARG_PROBE:
			probe = true;
			break;
		case ARG_CHECK:
			check = true;
			break;
		case ARG_JSON:
			json = true;
			break;
		case ARG_NO_LSM:
			opts.no_lsm = true;
			break;
		case ARG_FORMAT:
			if (output_format_from_name(optarg) < 0) {
				fprintf(stderr, "clawos-ebpf: --format '%s' is not one of: %s\n", optarg,
					output_format_choices());
				return EXIT_USAGE;
			}
			opts.stdout_format = output_format_from_name(optarg);
			break;
		case ARG_CHECK_RULES:
			check_rules = true;
			break;
		case ARG_RULES:
			rules[n_rules++] = optarg;
			break;
		case ARG_IFACE:
			if (!config_ifname_valid(optarg)) {
				fprintf(stderr, "clawos-ebpf: --iface '%s' is not a valid interface name\n", optarg);
				return EXIT_USAGE;
			}
			if (opts.n_ifaces == CLAWOS_IFACE_MAX) {
				fprintf(stderr, "clawos-ebpf: at most %d --iface options\n", CLAWOS_IFACE_MAX);
				return EXIT_USAGE;
			}
			ifaces[opts.n_ifaces++] = optarg;
			opts.ifaces = ifaces;
			break;
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'V':
			printf("clawos-ebpf %s (ABI %d)\n", CLAWOS_VERSION, CLAWOS_ABI_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			help();
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try 'clawos-ebpf --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "clawos-ebpf: unexpected argument '%s'\nTry 'clawos-ebpf --help'.\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (json && !probe && !check && !check_rules) {
		fprintf(stderr, "clawos-ebpf: --json needs --probe, --check-config or --check-rules\n");
		return EXIT_USAGE;
	}
	if (n_rules && !check_rules) {
		fprintf(stderr, "clawos-ebpf: --rules needs --check-rules (the daemon reads sigma_rules)\n");
		return EXIT_USAGE;
	}
	if (getenv("JOURNAL_STREAM") && !opts.foreground)
		log_set_kmsg_prefix(true);
	bpf_loader_log_libbpf();
	if (check)
		return do_check_config(opts.config_path, json);
	if (check_rules)
		return rules_cli_check(opts.config_path, rules, n_rules, json);
	if (probe)
		return do_probe(json, opts.no_lsm);
	if (geteuid() != 0)
		log_warning("Not running as root: loading BPF programs will likely fail");
	/* reloads re-read the same file whatever the working directory */
	_cleanup_free_ char *abs = realpath(opts.config_path, NULL);

	if (abs)
		opts.config_path = abs;
	return manager_run(&opts);
}
