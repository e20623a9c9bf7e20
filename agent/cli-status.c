/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clawos-ebpf status [--json] [--control PATH]: asks the running agent
 * over its root-only control socket and prints the answer. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "config.h"
#include "control-client.h"
#include "macro.h"
#include "status-text.h"

static const char usage[] =
    "Usage: clawos-ebpf status [--json] [--control PATH]\n"
    "What the running agent reports about itself (root only).\n\n"
    "      --json          print the status object (one line of JSON)\n"
    "      --control PATH  the agent's control socket (default " CLAWOS_DEFAULT_CONTROL_PATH ")\n";

int status_main(int argc, char *argv[])
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"control", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *control = CLAWOS_DEFAULT_CONTROL_PATH;
	_cleanup_free_ char *reply = NULL;
	struct json_object *st;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'C':
			control = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_SUCCESS;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "clawos-ebpf status: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	r = control_request(control, "STATUS", &reply);
	if (r == -EPROTO) {
		fprintf(stderr, "clawos-ebpf status: the agent refused: %s\n", reply);
		return EXIT_FAILURE;
	}
	if (r < 0) {
		fprintf(stderr, "clawos-ebpf status: cannot ask the agent at %s: %s%s\n", control, strerror(-r),
			r == -ENOENT || r == -ECONNREFUSED ? " (is it running?)"
			: r == -EACCES			   ? " (the control socket is root's)"
							   : "");
		return EXIT_UNAVAILABLE;
	}
	if (json) {
		printf("%s\n", reply);
		return EXIT_SUCCESS;
	}
	st = json_tokener_parse(reply);
	r = status_text_write(st, stdout);
	json_object_put(st);
	if (r < 0) {
		fprintf(stderr, "clawos-ebpf status: the agent's reply is not a status object\n");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
