/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the configuration parser: any input must either
 * parse or produce a complete error, never crash or leak.  A parsed
 * configuration is also printed (INI and JSON) and the INI text re-parsed,
 * which must succeed.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/kernel-plan.h"

/* Every path exists, with an inode of its own: no warning per input. */
static int fake_stat(const char *path, struct stat *st, void *userdata)
{
	(void)userdata;
	memset(st, 0, sizeof(*st));
	st->st_ino = strlen(path) + (unsigned char)path[0];
	return 0;
}

static void print_and_reparse(const struct clawos_settings *s)
{
	struct clawos_config_error err;
	struct clawos_settings again;
	const struct kernel_resolver res = {.stat = fake_stat};
	struct kernel_plan *plan;
	struct clawos_config c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	plan = calloc(1, sizeof(*plan));
	if (plan && kernel_plan_make(plan, s, &res) == 0)
		kernel_plan_config(s, plan, false, 1, &c);
	free(plan);
	f = fopen("/dev/null", "we");
	if (f) {
		settings_print(s, f, true);
		fclose(f);
	}
	f = open_memstream(&text, &len);
	if (!f)
		return;
	if (settings_print(s, f, false) < 0) {
		fclose(f);
		free(text);
		return;
	}
	fclose(f);
	if (config_parse_buffer("reprint", text, len, &again, &err) < 0)
		abort();
	settings_done(&again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clawos_config_error err;
	struct clawos_settings s;
	char buf[1024];

	if (config_parse_buffer("fuzz.conf", (const char *)data, size, &s, &err) < 0) {
		config_error_format(&err, buf, sizeof(buf));
		if (err.message[0] == '\0')
			abort();
		return 0;
	}
	print_and_reparse(&s);
	settings_done(&s);
	return 0;
}
