/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the text form of records: `clawos-ebpf events`
 * formats whatever arrives on the event socket, so any bytes must give
 * -EINVAL or one line that is NUL-terminated at its returned length, fits
 * the buffer and holds no byte a terminal would act on (the colour escapes
 * the formatter adds itself aside).  The first input byte picks colour and
 * the buffer size (64 bytes up to EVENT_TEXT_MAX).  The same bytes, parsed
 * as a status object, must print as text (status-text.h) with no control
 * byte but the line ends.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include <json-c/json.h>

#include "agent/event-text.h"
#include "agent/status-text.h"

static char out[EVENT_TEXT_MAX];

static void check_safe(const char *s, size_t n, bool color)
{
	size_t start = 0, end = n;

	if (color && n > 0 && s[0] == '\033') {
		start = strcspn(s, "m") + 1;
		if (n < 4 || memcmp(s + n - 4, "\033[0m", 4) != 0)
			abort();
		end = n - 4;
	}
	for (size_t i = start; i < end; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			abort();
		if (c == 0xc2 && i + 1 < end && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] < 0xa0)
			abort();
	}
}

static void check_status(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *st = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	json_tokener_free(tok);
	if (!st)
		return;
	m = open_memstream(&buf, &len);
	if (!m)
		abort();
	status_text_write(st, m);
	fclose(m);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)buf[i] < 0x20 && buf[i] != '\n') || buf[i] == 0x7f)
			abort();
	free(buf);
	json_object_put(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_text_options o;
	size_t cap;
	int r;

	if (size < 1)
		return 0;
	check_status(data + 1, size - 1);
	o.color = data[0] & 1;
	cap = 64 + (size_t)(data[0] >> 1) * ((EVENT_TEXT_MAX - 64) / 127);
	r = event_text_format((const char *)data + 1, size - 1, &o, out, cap);
	if (r == -22) /* -EINVAL: not one JSON object with an "event" string */
		return 0;
	if (r < 0 || (size_t)r >= cap || strlen(out) != (size_t)r)
		abort();
	check_safe(out, (size_t)r, o.color);
	return 0;
}
