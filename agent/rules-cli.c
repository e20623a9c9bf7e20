/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command-line faces of the Sigma engine: --check-rules (what loads,
 * what cannot be evaluated here and why, what is broken and where) and
 * `match` (recorded NDJSON of this agent through the same engine as the
 * daemon, hits printed as the same anomaly records).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "config.h"
#include "event-json.h"
#include "log.h"
#include "rules-cli.h"
#include "rules-match.h"
#include "time-util.h"

/* ---- --check-rules ---- */

static struct json_object *counts_json(const size_t *c)
{
	struct json_object *o = json_object_new_object();

	for (int s = 0; s < _RULES_STATUS_MAX; s++)
		json_object_object_add(o, rules_status_name(s), json_object_new_uint64(c[s]));
	return o;
}

struct json_object *rules_load_ms_json(const struct rules_report *rep)
{
	char text[32];
	double ms = (double)rep->load_ns / NSEC_PER_MSEC;

	/* one decimal, as written (json-c would print 17 digits) */
	snprintf(text, sizeof(text), "%.1f", ms);
	return json_object_new_double_s(ms, text);
}

struct json_object *rules_report_json(const struct rules_report *rep, bool entries)
{
	struct json_object *o = json_object_new_object(), *by = json_object_new_object();
	size_t total[_RULES_STATUS_MAX] = {};

	for (int c = 0; c <= _RULES_CAT_MAX; c++) {
		bool any = false;

		for (int s = 0; s < _RULES_STATUS_MAX; s++) {
			total[s] += rep->count[c][s];
			any = any || rep->count[c][s];
		}
		if (any || c < _RULES_CAT_MAX)
			json_object_object_add(by, c < _RULES_CAT_MAX ? rules_category_name(c) : "unknown",
					       counts_json(rep->count[c]));
	}
	if (entries) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < rep->n; i++) {
			const struct rules_report_entry *e = &rep->entries[i];
			struct json_object *r = json_object_new_object();

			json_object_object_add(r, "file", json_object_new_string(e->file));
			json_object_object_add(r, "line", json_object_new_int(e->line));
			json_object_object_add(r, "id", e->id ? json_object_new_string(e->id) : NULL);
			json_object_object_add(r, "title", e->title ? json_object_new_string(e->title) : NULL);
			json_object_object_add(
			    r, "category",
			    e->category >= 0 ? json_object_new_string(rules_category_name(e->category)) : NULL);
			json_object_object_add(r, "status", json_object_new_string(rules_status_name(e->status)));
			json_object_object_add(r, "reason", e->reason ? json_object_new_string(e->reason) : NULL);
			json_object_array_add(a, r);
		}
		json_object_object_add(o, "rules", a);
	}
	json_object_object_add(o, "summary", counts_json(total));
	json_object_object_add(o, "by_category", by);
	json_object_object_add(o, "load_ms", rules_load_ms_json(rep));
	return o;
}

static void report_text(const struct rules_report *rep, const struct rules_engine *e, FILE *f)
{
	size_t total[_RULES_STATUS_MAX] = {};

	for (size_t i = 0; i < rep->n; i++) {
		const struct rules_report_entry *r = &rep->entries[i];

		fprintf(f, "%-11s %-18s %s:%u", rules_status_name(r->status),
			r->category >= 0 ? rules_category_name(r->category) : "-", r->file, r->line);
		if (r->title)
			fprintf(f, "  %s", r->title);
		if (r->reason)
			fprintf(f, "%s%s", r->title ? ": " : "  ", r->reason);
		fputc('\n', f);
	}
	fprintf(f, "\n%-20s %8s %12s %6s\n", "CATEGORY", "LOADED", "UNSUPPORTED", "ERROR");
	for (int c = 0; c <= _RULES_CAT_MAX; c++) {
		const size_t *n = rep->count[c];

		for (int s = 0; s < _RULES_STATUS_MAX; s++)
			total[s] += n[s];
		if (c == _RULES_CAT_MAX && !n[0] && !n[1] && !n[2])
			continue;
		fprintf(f, "%-20s %8zu %12zu %6zu\n", c < _RULES_CAT_MAX ? rules_category_name(c) : "unknown",
			n[RULES_LOADED], n[RULES_UNSUPPORTED], n[RULES_ERROR]);
	}
	fprintf(f, "%-20s %8zu %12zu %6zu\n", "total", total[RULES_LOADED], total[RULES_UNSUPPORTED],
		total[RULES_ERROR]);
	fprintf(f, "loaded in %.1f ms; databases and scratch %zu bytes\n", (double)rep->load_ns / NSEC_PER_MSEC,
		rules_memory(e));
}

static bool report_has_errors(const struct rules_report *rep)
{
	for (int c = 0; c <= _RULES_CAT_MAX; c++)
		if (rep->count[c][RULES_ERROR])
			return true;
	return false;
}

int rules_cli_check(const char *config_path, char **paths, size_t n_paths, bool json)
{
	struct clawos_settings s = {};
	struct clawos_config_error err = {};
	struct rules_report rep = {};
	struct rules_engine *e = NULL;
	char text[900];
	int r, status;

	if (n_paths == 0) {
		if (config_load_file(config_path, &s, &err, NULL) < 0) {
			fprintf(stderr, "%s\n", config_error_format(&err, text, sizeof(text)));
			return CLAWOS_EXIT_CONFIG;
		}
		paths = s.sigma_rules.items;
		n_paths = s.sigma_rules.n;
		if (n_paths == 0)
			fprintf(stderr, "clawos-ebpf: %s sets no sigma_rules\n", config_path);
	}
	r = rules_load((const char *const *)paths, n_paths, &e, &rep);
	if (r < 0) {
		fprintf(stderr, "clawos-ebpf: loading the rules failed: %s\n", strerror(-r));
		settings_done(&s);
		rules_report_done(&rep);
		return EXIT_FAILURE;
	}
	if (json) {
		struct json_object *o = rules_report_json(&rep, true);

		json_object_object_add(o, "memory_bytes", json_object_new_uint64(rules_memory(e)));
		printf("%s\n",
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		report_text(&rep, e, stdout);
	}
	status = report_has_errors(&rep) ? CLAWOS_EXIT_RULES : EXIT_SUCCESS;
	rules_free(e);
	rules_report_done(&rep);
	settings_done(&s);
	return status;
}

/* ---- match ---- */

static void print_hit(const char *line, size_t len, void *userdata)
{
	fwrite(line, 1, len, stdout);
	fputc('\n', stdout);
}

static int match_stream(struct rules_matcher *m, FILE *in, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0, bad = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		int r;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		r = rules_matcher_line(m, line, (size_t)n, print_hit, NULL);
		if (r == -ENOMEM) {
			free(line);
			return r;
		}
		if (r < 0 && bad++ < 5)
			fprintf(stderr, "clawos-ebpf match: %s:%lu: not a JSON object, skipped\n", name, lineno);
	}
	free(line);
	if (bad > 5)
		fprintf(stderr, "clawos-ebpf match: %s: %lu lines were not JSON objects\n", name, bad);
	return bad ? -EINVAL : 0;
}

static void match_help(void)
{
	printf("Usage: clawos-ebpf match --rules PATH [--rules PATH...] [--format FORMAT] [FILE.ndjson]\n"
	       "Evaluates the Sigma rules on recorded NDJSON of clawos-ebpf (native records, stdin by\n"
	       "default) and prints each hit as an anomaly record, one per line.  Every hit is printed\n"
	       "(no cool-down).\n\n"
	       "  -r, --rules PATH   a rule file or a directory of them (repeatable; required)\n"
	       "  -f, --format FMT   the hits as native (default), ecs or ocsf records\n"
	       "  -q, --quiet        do not report rules that fail to load on stderr\n"
	       "  -h, --help         this help\n\n"
	       "Exit status: 0; 65 when a rule had an error or an input line was not JSON;\n"
	       "66 when the input cannot be opened; 2 on a usage error.\n");
}

int rules_cli_match(int argc, char **argv)
{
	static const struct option options[] = {{"rules", required_argument, NULL, 'r'},
						{"format", required_argument, NULL, 'f'},
						{"quiet", no_argument, NULL, 'q'},
						{"help", no_argument, NULL, 'h'},
						{}};
	_cleanup_free_ char **paths = calloc((size_t)argc + 1, sizeof(char *));
	struct rules_engine *engine = NULL;
	struct rules_matcher *m = NULL;
	struct rules_report rep = {};
	size_t n_paths = 0;
	bool quiet = false, errors;
	int format = RECORD_FORMAT_NATIVE;
	FILE *in = stdin;
	const char *name = "<stdin>";
	int c, r;

	if (!paths)
		return EXIT_FAILURE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:f:qh", options, NULL)) >= 0) {
		switch (c) {
		case 'r':
			paths[n_paths++] = optarg;
			break;
		case 'f':
			format = record_format_from_name(optarg);
			if (format < 0) {
				fprintf(stderr, "clawos-ebpf match: --format '%s' is not one of: native, ecs, ocsf\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			match_help();
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try 'clawos-ebpf match --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (n_paths == 0 || argc - optind > 1) {
		fprintf(stderr, "clawos-ebpf match: %s\nTry 'clawos-ebpf match --help'.\n",
			n_paths == 0 ? "--rules PATH is required" : "at most one input file");
		return EXIT_USAGE;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0) {
		name = argv[optind];
		in = fopen(name, "re");
		if (!in) {
			fprintf(stderr, "clawos-ebpf match: cannot open %s: %s\n", name, strerror(errno));
			return CLAWOS_EXIT_NOINPUT;
		}
	}
	r = rules_load((const char *const *)paths, n_paths, &engine, &rep);
	if (r >= 0)
		r = rules_matcher_new(&m, engine);
	if (r < 0) {
		fprintf(stderr, "clawos-ebpf match: loading the rules failed: %s\n", strerror(-r));
		if (in != stdin)
			fclose(in);
		rules_report_done(&rep);
		rules_free(engine);
		return EXIT_FAILURE;
	}
	rules_matcher_set_format(m, format);
	errors = report_has_errors(&rep);
	for (size_t i = 0; i < rep.n && !quiet; i++)
		if (rep.entries[i].status == RULES_ERROR)
			fprintf(stderr, "clawos-ebpf match: %s:%u: %s\n", rep.entries[i].file, rep.entries[i].line,
				rep.entries[i].reason);
	r = match_stream(m, in, name);
	fflush(stdout);
	if (in != stdin)
		fclose(in);
	rules_matcher_free(m);
	rules_free(engine);
	rules_report_done(&rep);
	if (r == -ENOMEM)
		return EXIT_FAILURE;
	return errors || r < 0 ? CLAWOS_EXIT_RULES : EXIT_SUCCESS;
}
