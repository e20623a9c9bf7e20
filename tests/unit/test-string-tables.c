/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every value of each enum that has a name table (DEFINE_STRING_TABLE_LOOKUP
 * in agent/util/macro.h) has a name, and the name leads back to the value; values
 * past the end get the table's fallback, which names no value.
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/decode.h"
#include "agent/evasion.h"
#include "agent/event-json-internal.h"
#include "agent/event-json.h"
#include "agent/hook-plan.h"
#include "agent/util/names.h"
#include "agent/output-format.h"
#include "agent/probe.h"
#include "agent/record-format.h"
#include "agent/rules.h"
#include "bpf/clawos-abi.h"

/* Values first..end-1 each have a name that maps back to them; end has none
 * (its fallback, or NULL, is not a name from_name knows). */
#define assert_table(prefix, type, first, end)                                                                         \
	do {                                                                                                           \
		for (int _v = (first); _v < (int)(end); _v++) {                                                        \
			const char *_name = prefix##_name((type)_v);                                                   \
                                                                                                                       \
			if (!_name)                                                                                    \
				fail_msg("%s_name(%d) has no name", #prefix, _v);                                      \
			if (prefix##_from_name(_name) != _v)                                                           \
				fail_msg("%s_from_name(\"%s\") is %d, not %d", #prefix, _name,                         \
					 prefix##_from_name(_name), _v);                                               \
		}                                                                                                      \
		const char *_past = prefix##_name((type)(end));                                                        \
		if (_past)                                                                                             \
			assert_int_not_equal(prefix##_from_name(_past), (int)(end));                                   \
		assert_int_equal(prefix##_from_name(NULL), -EINVAL);                                                   \
		assert_int_equal(prefix##_from_name(""), -EINVAL);                                                     \
	} while (0)

static void test_abi_tables(void **state)
{
	assert_table(mechanism, unsigned, CLAWOS_MECH_NONE, CLAWOS_MECH_MAX);
	assert_table(file_op, unsigned, CLAWOS_FILE_OP_OPEN, CLAWOS_FILE_OP_MAX);
	assert_table(net_op, unsigned, CLAWOS_NET_OP_CONNECT, CLAWOS_NET_OP_MAX);
	assert_table(net_proto, unsigned, CLAWOS_PROTO_OTHER, CLAWOS_PROTO_MAX);
	assert_table(anomaly_kind, unsigned, CLAWOS_ANOMALY_SYSCALL_RATE, CLAWOS_ANOMALY_MAX);
	assert_table(severity, unsigned, CLAWOS_SEV_INFO, CLAWOS_SEV_MAX);
	/* every io_uring opcode up to the last one the table was written for */
	assert_table(uring_op, unsigned, IORING_OP_NOP, IORING_OP_SENDMSG_ZC + 1);
}

static void test_agent_tables(void **state)
{
	assert_table(decode_error, enum decode_error, DECODE_OK, _DECODE_ERROR_MAX);
	assert_table(hook_state, enum hook_state, HOOK_ACTIVE, _HOOK_STATE_MAX);
	assert_table(output_format, enum output_format, OUTPUT_FORMAT_AUTO, _OUTPUT_FORMAT_MAX);
	assert_table(record_format, enum record_format, RECORD_FORMAT_NATIVE, _RECORD_FORMAT_MAX);
	assert_table(probe_lsm_hook, enum probe_lsm_hook, PROBE_LSM_FILE_OPEN, _PROBE_LSM_MAX);
	assert_table(rules_category, int, 0, _RULES_CAT_MAX);
	assert_table(rules_level, int, 0, _RULES_LEVEL_MAX);
	assert_table(rules_status, int, 0, _RULES_STATUS_MAX);
	assert_table(rules_field, int, 0, _RF_MAX);
}

/* The fallbacks are part of the records: an unknown value never prints NULL. */
static void test_fallbacks(void **state)
{
	assert_string_equal(mechanism_name(CLAWOS_MECH_MAX), "unknown");
	assert_string_equal(file_op_name(0), "open");
	assert_string_equal(file_op_name(CLAWOS_FILE_OP_MAX), "open");
	assert_string_equal(net_op_name(0), "unknown");
	assert_string_equal(net_proto_name(CLAWOS_PROTO_MAX), "other");
	assert_string_equal(anomaly_kind_name(0), "unknown");
	assert_string_equal(severity_name(CLAWOS_SEV_MAX), "unknown");
	assert_string_equal(decode_error_name(_DECODE_ERROR_MAX), "unknown");
	assert_string_equal(hook_state_name(_HOOK_STATE_MAX), "missing");
	assert_null(uring_op_name(IORING_OP_LAST + 1000));
	assert_null(rules_category_name(-1));
	assert_null(output_format_name((enum output_format) - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_abi_tables),
	    cmocka_unit_test(test_agent_tables),
	    cmocka_unit_test(test_fallbacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
