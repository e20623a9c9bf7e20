/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clawos-ebpf watch [--name NAME] [--control PATH] -- COMMAND [ARGS...]
 * Registers this process with the running agent as the root of a tracked
 * tree, then execs COMMAND: it and every descendant are followed and tagged
 * with NAME in every record.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "control-client.h"
#include "macro.h"
#include "watch.h"

static int watch_register(const char *control, const char *name)
{
	_cleanup_free_ char *reply = NULL;
	char msg[128];
	int r;

	snprintf(msg, sizeof(msg), "WATCH %s", name);
	r = control_request(control, msg, &reply);
	if (r == -EPROTO) {
		fprintf(stderr, "clawos-ebpf watch: the agent refused: %s\n", reply);
		return -EPERM;
	}
	if (r < 0)
		return r;
	return (int)strtoul(reply, NULL, 10);
}

int watch_main(int argc, char *argv[])
{
	static const struct option options[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"control", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *name = NULL, *control = CLAWOS_DEFAULT_CONTROL_PATH;
	int c, session;

	while ((c = getopt_long(argc, argv, "+n:C:h", options, NULL)) >= 0) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'C':
			control = optarg;
			break;
		case 'h':
			printf("Usage: clawos-ebpf watch [--name NAME] [--control PATH] -- COMMAND [ARGS...]\n");
			return EXIT_SUCCESS;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "clawos-ebpf watch: a COMMAND to run is needed\n");
		return EXIT_USAGE;
	}
	if (!name) {
		const char *slash = strrchr(argv[optind], '/');

		name = slash ? slash + 1 : argv[optind];
	}
	if (strlen(name) >= CLAWOS_WATCH_NAME_MAX || strpbrk(name, "\n\r")) {
		fprintf(stderr, "clawos-ebpf watch: --name must be one line under %d bytes\n", CLAWOS_WATCH_NAME_MAX);
		return EXIT_USAGE;
	}
	session = watch_register(control, name);
	if (session < 0) {
		fprintf(stderr, "clawos-ebpf watch: cannot register with the agent at %s: %s\n", control,
			strerror(-session));
		return EXIT_UNAVAILABLE;
	}
	fprintf(stderr, "clawos-ebpf watch: session %d '%s'\n", session, name);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "clawos-ebpf watch: cannot run %s: %s\n", argv[optind], strerror(errno));
	return 127;
}
