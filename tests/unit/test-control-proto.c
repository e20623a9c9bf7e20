/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* control-proto.c and passwd.c: the control socket's lines, /etc/passwd lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent/control-proto.h"
#include "agent/passwd.h"

static enum control_cmd req(const char *s, const char **arg)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s", s);
	return control_parse_request(buf, arg);
}

static void test_requests(void **state)
{
	const char *arg;

	assert_int_equal(req("STATUS\n", &arg), CONTROL_STATUS);
	assert_int_equal(req("WATCH\n", &arg), CONTROL_WATCH);
	assert_string_equal(arg, "watch");
	assert_int_equal(req("WATCH claude-code\r\n", &arg), CONTROL_WATCH);
	assert_string_equal(arg, "claude-code");
	assert_int_equal(req("WATCHER\n", &arg), CONTROL_UNKNOWN);
	assert_int_equal(req("status\n", &arg), CONTROL_UNKNOWN);
	assert_int_equal(req("", &arg), CONTROL_UNKNOWN);
	/* a name goes into records and the journal: no escapes, bounded */
	assert_int_equal(req("WATCH \x1b[2Jgone\n", &arg), CONTROL_BAD_NAME);
	assert_int_equal(req("WATCH \n", &arg), CONTROL_BAD_NAME);
	assert_int_equal(req("WATCH 01234567890123456789012345678901\n", &arg), CONTROL_BAD_NAME);
	assert_int_equal(req("WATCH 0123456789012345678901234567890\n", &arg), CONTROL_WATCH);
}

static void test_replies(void **state)
{
	char a[] = "OK 1000\n", b[] = "ERR timeout\n", c[] = "OK", d[] = "NOPE", e[] = "OKAY 1";
	const char *p;

	assert_int_equal(control_parse_reply(a, &p), 0);
	assert_string_equal(p, "1000");
	assert_int_equal(control_parse_reply(b, &p), -EPROTO);
	assert_string_equal(p, "timeout");
	assert_int_equal(control_parse_reply(c, &p), 0);
	assert_string_equal(p, "");
	assert_int_equal(control_parse_reply(d, &p), -EBADMSG);
	assert_null(p);
	assert_int_equal(control_parse_reply(e, &p), -EBADMSG);
}

static void test_passwd_lines(void **state)
{
	char a[] = "root:x:0:0:root:/root:/bin/bash\n", b[] = "+::::::\n", c[] = ":x:5:5::/:/bin/sh",
	     d[] = "neg:x:-1:0::/:/bin/sh", e[] = "big:x:4294967296:0::/:/bin/sh",
	     f[] = "nobody:x:65534:65534:::", g[] = "# comment";
	const char *name;
	uint32_t uid;

	assert_true(passwd_parse_line(a, &uid, &name));
	assert_int_equal(uid, 0);
	assert_string_equal(name, "root");
	assert_false(passwd_parse_line(b, &uid, &name));
	assert_false(passwd_parse_line(c, &uid, &name)); /* no name */
	assert_false(passwd_parse_line(d, &uid, &name));
	assert_false(passwd_parse_line(e, &uid, &name));
	assert_true(passwd_parse_line(f, &uid, &name));
	assert_int_equal(uid, 65534);
	assert_false(passwd_parse_line(g, &uid, &name));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_replies),
	    cmocka_unit_test(test_passwd_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
