/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The wire format and its gatekeeper: the sizes and header offsets that the
 * BPF programs and the agent agree on, and event_decode() accepting exactly
 * the records of a known type, our ABI version and the exact size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/decode.h"
#include "agent/util/macro.h"

static const struct {
	unsigned type;
	size_t size;
	const char *name;
} types[] = {
    {CLAWOS_EV_ANOMALY, 1056, "anomaly"}, {CLAWOS_EV_SYSCALL, 104, "syscall"}, {CLAWOS_EV_FILE, 672, "file_access"},
    {CLAWOS_EV_NET, 72, "network"},	  {CLAWOS_EV_CGROUP, 304, "cgroup"},   {CLAWOS_EV_EXEC, 4688, "exec"},
    {CLAWOS_EV_NET6, 88, "network"},	  {CLAWOS_EV_PROC, 80, "process"},
};

/* Largest record plus slack, so oversized buffers stay in bounds. */
#define BUF_SIZE 8192

/* An exec record's args_len says how much of args follows its fixed part. */
static void *record_new(unsigned type, size_t size, uint16_t hdr_size)
{
	struct clawos_event_hdr *h = calloc(1, BUF_SIZE);

	assert_non_null(h);
	assert_true(size <= BUF_SIZE);
	h->type = (uint8_t)type;
	h->version = CLAWOS_ABI_VERSION;
	h->size = hdr_size;
	if (type == CLAWOS_EV_EXEC && hdr_size >= CLAWOS_EXEC_FIXED_SIZE)
		((struct clawos_exec_event *)h)->args_len = (uint16_t)(hdr_size - CLAWOS_EXEC_FIXED_SIZE);
	if (type == CLAWOS_EV_FILE && hdr_size >= CLAWOS_FILE_FIXED_SIZE)
		((struct clawos_file_event *)h)->requested_len = (uint16_t)(hdr_size - CLAWOS_FILE_FIXED_SIZE);
	return h;
}

static void test_abi_sizes(void **state)
{
	/* the sizes of the contract */
	assert_int_equal(sizeof(struct clawos_anomaly_event), 1056);
	assert_int_equal(sizeof(struct clawos_syscall_event), 104);
	assert_int_equal(sizeof(struct clawos_file_event), 672); /* variable size */
	assert_int_equal(CLAWOS_FILE_FIXED_SIZE, 456);
	assert_int_equal(CLAWOS_FILE_MIN_SIZE, 328);
	assert_int_equal(sizeof(struct clawos_net_event), 72);
	assert_int_equal(sizeof(struct clawos_cgroup_event), 304);
	/* and the additional ones */
	assert_int_equal(sizeof(struct clawos_exec_event), 4688); /* the largest; variable size */
	assert_int_equal(CLAWOS_EXEC_FIXED_SIZE, 592);
	assert_int_equal(sizeof(struct clawos_net6_event), 88);
	assert_int_equal(sizeof(struct clawos_proc_event), 80);
	assert_int_equal(sizeof(struct clawos_event_hdr), 64);
	assert_int_equal(sizeof(struct clawos_config), 64);
	assert_int_equal(sizeof(struct clawos_ancestor), 24);
	assert_int_equal(sizeof(struct clawos_syscall_count), 8);
	assert_int_equal(CLAWOS_ABI_VERSION, 3);
}

static void test_abi_header_offsets(void **state)
{
	assert_int_equal(offsetof(struct clawos_event_hdr, type), 0);
	assert_int_equal(offsetof(struct clawos_event_hdr, version), 1);
	assert_int_equal(offsetof(struct clawos_event_hdr, size), 2);
	assert_int_equal(offsetof(struct clawos_event_hdr, cpu), 4);
	assert_int_equal(offsetof(struct clawos_event_hdr, flags), 6);
	assert_int_equal(offsetof(struct clawos_event_hdr, seq), 8);
	assert_int_equal(offsetof(struct clawos_event_hdr, pid), 12);
	assert_int_equal(offsetof(struct clawos_event_hdr, ts_ns), 16);
	assert_int_equal(offsetof(struct clawos_event_hdr, tid), 24);
	assert_int_equal(offsetof(struct clawos_event_hdr, ppid), 28);
	assert_int_equal(offsetof(struct clawos_event_hdr, uid), 32);
	assert_int_equal(offsetof(struct clawos_event_hdr, gid), 36);
	assert_int_equal(offsetof(struct clawos_event_hdr, cgroup_id), 40);
	assert_int_equal(offsetof(struct clawos_event_hdr, comm), 48);
	assert_int_equal(sizeof(((struct clawos_event_hdr *)0)->comm), CLAWOS_COMM_LEN);
}

/* Payload offsets right after the header: a hole here would be an ABI change. */
static void test_abi_payload_offsets(void **state)
{
	assert_int_equal(offsetof(struct clawos_file_event, ret), 64);
	assert_int_equal(offsetof(struct clawos_file_event, path_len), 80);
	assert_int_equal(offsetof(struct clawos_file_event, path), 88);
	assert_int_equal(offsetof(struct clawos_file_event, ino), 304);
	assert_int_equal(offsetof(struct clawos_file_event, dev), 312);
	assert_int_equal(offsetof(struct clawos_file_event, root_len), 318);
	assert_int_equal(offsetof(struct clawos_file_event, requested_len), 320);
	assert_int_equal(offsetof(struct clawos_file_event, root), 328);
	assert_int_equal(offsetof(struct clawos_file_event, requested), 456);
	assert_int_equal(offsetof(struct clawos_net_event, addr), 64);
	assert_int_equal(offsetof(struct clawos_net_event, sock.family), 64);
	assert_int_equal(offsetof(struct clawos_net_event, sock.type), 66);
	assert_int_equal(offsetof(struct clawos_net_event, port), 68);
	assert_int_equal(offsetof(struct clawos_net_event, op), 70);
	assert_int_equal(offsetof(struct clawos_net_event, info), 71);
	assert_int_equal(offsetof(struct clawos_net6_event, addr), 64);
	assert_int_equal(offsetof(struct clawos_net6_event, port), 80);
	assert_int_equal(offsetof(struct clawos_net6_event, scope_id), 84);
	assert_int_equal(offsetof(struct clawos_syscall_event, args), 72);
	assert_int_equal(offsetof(struct clawos_cgroup_event, path), 112);
	assert_int_equal(offsetof(struct clawos_exec_event, filename), 80);
	assert_int_equal(offsetof(struct clawos_exec_event, cwd), 336);
	assert_int_equal(offsetof(struct clawos_exec_event, args), 592);
	assert_int_equal(offsetof(struct clawos_anomaly_event, rule), 104);
	assert_int_equal(offsetof(struct clawos_anomaly_event, ancestry), 680);
	assert_int_equal(offsetof(struct clawos_anomaly_event, top), 872);
	assert_int_equal(offsetof(struct clawos_anomaly_event, reserved2), 936);
	assert_int_equal(offsetof(struct clawos_proc_event, op), 64);
	assert_int_equal(offsetof(struct clawos_proc_event, child_pid), 68);
	assert_int_equal(offsetof(struct clawos_proc_event, exit_code), 72);
}

static void test_type_table(void **state)
{
	/* a new record type must be added here, with its size, on purpose */
	assert_int_equal(ELEMENTSOF(types), CLAWOS_EV_MAX - 1);
	for (unsigned t = 1; t < CLAWOS_EV_MAX; t++) {
		bool found = false;

		for (size_t i = 0; i < ELEMENTSOF(types); i++)
			found |= types[i].type == t;
		if (!found)
			fail_msg("record type %u is not in this test's table", t);
	}
	for (size_t i = 0; i < ELEMENTSOF(types); i++) {
		assert_int_equal(event_type_size(types[i].type), types[i].size);
		assert_string_equal(event_type_name(types[i].type), types[i].name);
	}
	assert_int_equal(event_type_size(CLAWOS_EV_NONE), 0);
	assert_null(event_type_name(CLAWOS_EV_NONE));
	assert_int_equal(event_type_size(CLAWOS_EV_MAX), 0);
	assert_null(event_type_name(CLAWOS_EV_MAX));
	assert_int_equal(event_type_size(255), 0);
	assert_null(event_type_name(255));
	assert_int_equal(event_type_size(~0u), 0);
}

static void test_decode_valid(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(types); i++) {
		void *rec = record_new(types[i].type, types[i].size, (uint16_t)types[i].size);
		const struct clawos_event_hdr *h = NULL;

		assert_int_equal(event_decode(rec, types[i].size, &h), DECODE_OK);
		assert_ptr_equal(h, rec);
		free(rec);
	}
}

static void test_decode_truncated(void **state)
{
	const struct clawos_event_hdr *h = NULL;
	void *rec = record_new(CLAWOS_EV_FILE, 304, 304);

	assert_int_equal(event_decode(NULL, 304, &h), DECODE_TRUNCATED);
	assert_int_equal(event_decode(rec, 0, &h), DECODE_TRUNCATED);
	assert_int_equal(event_decode(rec, 1, &h), DECODE_TRUNCATED);
	assert_int_equal(event_decode(rec, sizeof(struct clawos_event_hdr) - 1, &h), DECODE_TRUNCATED);
	free(rec);
	/* a whole header, but shorter than its type: by one byte and header-only */
	for (size_t i = 0; i < ELEMENTSOF(types); i++) {
		if (types[i].type == CLAWOS_EV_EXEC || types[i].type == CLAWOS_EV_FILE)
			continue; /* variable size: test_decode_exec, test_decode_file */
		rec = record_new(types[i].type, types[i].size, (uint16_t)types[i].size);
		assert_int_equal(event_decode(rec, types[i].size - 1, &h), DECODE_TRUNCATED);
		assert_int_equal(event_decode(rec, sizeof(struct clawos_event_hdr), &h), DECODE_TRUNCATED);
		free(rec);
	}
	assert_null(h);
}

static void test_decode_oversized(void **state)
{
	const struct clawos_event_hdr *h = NULL;

	for (size_t i = 0; i < ELEMENTSOF(types); i++) {
		void *rec = record_new(types[i].type, types[i].size + 8, (uint16_t)types[i].size);

		if (types[i].type == CLAWOS_EV_EXEC) {
			free(rec);
			continue;
		}

		assert_int_equal(event_decode(rec, types[i].size + 1, &h), DECODE_SIZE_MISMATCH);
		assert_int_equal(event_decode(rec, types[i].size + 8, &h), DECODE_SIZE_MISMATCH);
		free(rec);
	}
	/* an IPv4 record in an IPv6-sized sample is still the wrong size */
	void *rec = record_new(CLAWOS_EV_NET, 88, 72);
	assert_int_equal(event_decode(rec, 88, &h), DECODE_SIZE_MISMATCH);
	free(rec);
	assert_null(h);
}

static void test_decode_hdr_size_mismatch(void **state)
{
	const struct clawos_event_hdr *h = NULL;

	for (size_t i = 0; i < ELEMENTSOF(types); i++) {
		const uint16_t bad[] = {0, 64, (uint16_t)(types[i].size - 1), (uint16_t)(types[i].size + 1), 0xffff};

		if (types[i].type == CLAWOS_EV_EXEC)
			continue;

		for (size_t j = 0; j < ELEMENTSOF(bad); j++) {
			void *rec = record_new(types[i].type, types[i].size, bad[j]);

			assert_int_equal(event_decode(rec, types[i].size, &h), DECODE_SIZE_MISMATCH);
			free(rec);
		}
	}
	assert_null(h);
}

static void test_decode_bad_version(void **state)
{
	const struct clawos_event_hdr *h = NULL;
	const uint8_t bad[] = {0, CLAWOS_ABI_VERSION + 1, 0xff};

	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		for (size_t j = 0; j < ELEMENTSOF(bad); j++) {
			struct clawos_event_hdr *rec =
			    record_new(types[i].type, types[i].size, (uint16_t)types[i].size);

			rec->version = bad[j];
			assert_int_equal(event_decode(rec, types[i].size, &h), DECODE_BAD_VERSION);
			free(rec);
		}
	assert_null(h);
}

static void test_decode_unknown_type(void **state)
{
	const struct clawos_event_hdr *h = NULL;
	const unsigned bad[] = {CLAWOS_EV_NONE, CLAWOS_EV_MAX, 255};

	for (size_t j = 0; j < ELEMENTSOF(bad); j++) {
		/* every size a known type could have: none makes the type valid */
		for (size_t i = 0; i < ELEMENTSOF(types); i++) {
			void *rec = record_new(bad[j], types[i].size, (uint16_t)types[i].size);

			assert_int_equal(event_decode(rec, types[i].size, &h), DECODE_UNKNOWN_TYPE);
			free(rec);
		}
		void *rec = record_new(bad[j], 64, 64);
		assert_int_equal(event_decode(rec, 64, &h), DECODE_UNKNOWN_TYPE);
		free(rec);
	}
	assert_null(h);
}

/* The variable-size exec record: its fixed part plus exactly args_len. */
static void test_decode_exec(void **state)
{
	const struct clawos_event_hdr *h = NULL;
	const size_t fixed = CLAWOS_EXEC_FIXED_SIZE, max = sizeof(struct clawos_exec_event);
	const size_t good[] = {fixed, fixed + 1, fixed + 10, max - 1, max};
	struct clawos_exec_event *e;

	assert_int_equal(event_type_min_size(CLAWOS_EV_EXEC), fixed);
	assert_int_equal(event_type_min_size(CLAWOS_EV_FILE), CLAWOS_FILE_MIN_SIZE);
	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		e = record_new(CLAWOS_EV_EXEC, good[i], (uint16_t)good[i]);
		assert_int_equal(event_decode(e, good[i], &h), DECODE_OK);
		assert_ptr_equal(h, e);
		/* the buffer and the header disagree */
		assert_int_equal(event_decode(e, good[i] + 1, &h), DECODE_SIZE_MISMATCH);
		if (good[i] > fixed)
			assert_int_equal(event_decode(e, good[i] - 1, &h), DECODE_SIZE_MISMATCH);
		/* args_len says more, or less, than the record holds */
		e->args_len++;
		assert_int_equal(event_decode(e, good[i], &h), DECODE_SIZE_MISMATCH);
		e->args_len -= 2;
		assert_int_equal(event_decode(e, good[i], &h), DECODE_SIZE_MISMATCH);
		free(e);
	}
	/* shorter than the fixed part, longer than the largest */
	e = record_new(CLAWOS_EV_EXEC, fixed, (uint16_t)(fixed - 1));
	assert_int_equal(event_decode(e, fixed - 1, &h), DECODE_TRUNCATED);
	assert_int_equal(event_decode(e, sizeof(struct clawos_event_hdr), &h), DECODE_TRUNCATED);
	free(e);
	e = record_new(CLAWOS_EV_EXEC, max + 8, (uint16_t)(max + 8));
	assert_int_equal(event_decode(e, max + 8, &h), DECODE_SIZE_MISMATCH);
	free(e);
}

/* The variable-size file record: its fixed part plus exactly requested_len. */
static void test_decode_file(void **state)
{
	const struct clawos_event_hdr *h = NULL;
	const size_t fixed = CLAWOS_FILE_FIXED_SIZE, max = sizeof(struct clawos_file_event);
	const size_t good[] = {fixed, fixed + 1, fixed + 12, max};
	struct clawos_file_event *e;

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		e = record_new(CLAWOS_EV_FILE, good[i], (uint16_t)good[i]);
		assert_int_equal(event_decode(e, good[i], &h), DECODE_OK);
		assert_int_equal(event_decode(e, good[i] + 1, &h), DECODE_SIZE_MISMATCH);
		e->requested_len++;
		assert_int_equal(event_decode(e, good[i], &h), DECODE_SIZE_MISMATCH);
		free(e);
	}
	/* the short form: no root, no requested */
	e = record_new(CLAWOS_EV_FILE, CLAWOS_FILE_MIN_SIZE, CLAWOS_FILE_MIN_SIZE);
	assert_int_equal(event_decode(e, CLAWOS_FILE_MIN_SIZE, &h), DECODE_OK);
	e->requested_len = 1;
	assert_int_equal(event_decode(e, CLAWOS_FILE_MIN_SIZE, &h), DECODE_SIZE_MISMATCH);
	e->requested_len = 0;
	e->xflags = CLAWOS_FILE_X_ROOT; /* root announced, not carried */
	assert_int_equal(event_decode(e, CLAWOS_FILE_MIN_SIZE, &h), DECODE_SIZE_MISMATCH);
	free(e);
	/* between the short form and the fixed part */
	e = record_new(CLAWOS_EV_FILE, fixed - 8, (uint16_t)(fixed - 8));
	assert_int_equal(event_decode(e, fixed - 8, &h), DECODE_SIZE_MISMATCH);
	free(e);
	e = record_new(CLAWOS_EV_FILE, fixed, (uint16_t)(CLAWOS_FILE_MIN_SIZE - 1));
	assert_int_equal(event_decode(e, CLAWOS_FILE_MIN_SIZE - 1, &h), DECODE_TRUNCATED);
	assert_int_equal(event_decode(e, 304, &h), DECODE_TRUNCATED); /* the ABI 2 size */
	free(e);
	e = record_new(CLAWOS_EV_FILE, max + 8, (uint16_t)(max + 8));
	assert_int_equal(event_decode(e, max + 8, &h), DECODE_SIZE_MISMATCH);
	free(e);
}

static void test_decode_error_names(void **state)
{
	assert_string_equal(decode_error_name(DECODE_OK), "ok");
	assert_string_equal(decode_error_name(DECODE_TRUNCATED), "truncated");
	assert_string_equal(decode_error_name(DECODE_BAD_VERSION), "bad_version");
	assert_string_equal(decode_error_name(DECODE_UNKNOWN_TYPE), "unknown_type");
	assert_string_equal(decode_error_name(DECODE_SIZE_MISMATCH), "size_mismatch");
	assert_string_equal(decode_error_name(_DECODE_ERROR_MAX), "unknown");
	assert_string_equal(decode_error_name((enum decode_error) - 1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_abi_sizes),		cmocka_unit_test(test_abi_header_offsets),
	    cmocka_unit_test(test_abi_payload_offsets), cmocka_unit_test(test_type_table),
	    cmocka_unit_test(test_decode_valid),	cmocka_unit_test(test_decode_truncated),
	    cmocka_unit_test(test_decode_oversized),	cmocka_unit_test(test_decode_hdr_size_mismatch),
	    cmocka_unit_test(test_decode_bad_version),	cmocka_unit_test(test_decode_unknown_type),
	    cmocka_unit_test(test_decode_error_names),	cmocka_unit_test(test_decode_exec),
	    cmocka_unit_test(test_decode_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
