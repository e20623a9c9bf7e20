/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agent/message-ids.h, the journal catalog (systemd/clawos-ebpf.catalog) and
 * the table in man/clawos-ebpf-events.7.scd name the same MESSAGE_IDs for
 * the same records: an id added, changed or dropped in one place fails here
 * until the others follow.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/util/macro.h"
#include "agent/message-ids.h"

#define ID_LEN 32
#define MAX_IDS 64

struct id_list {
	size_t n;
	char id[MAX_IDS][ID_LEN + 1];
	char event[MAX_IDS][64]; /* the man page's row name; "" for the catalog */
};

static FILE *open_source(const char *relative)
{
	const char *root = getenv("CLAWOS_SOURCE_ROOT");
	char path[4096];
	FILE *f;

	assert_non_null(root);
	snprintf(path, sizeof(path), "%s/%s", root, relative);
	f = fopen(path, "re");
	if (!f)
		fail_msg("cannot open %s", path);
	return f;
}

/* A journal MESSAGE_ID as systemd-id128 new writes it: 32 lower-case hex
 * digits of a version 4 (random) UUID, variant 1. */
static bool id_is_random_v4(const char *id)
{
	if (strlen(id) != ID_LEN)
		return false;
	for (size_t i = 0; i < ID_LEN; i++)
		if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
			return false;
	return id[12] == '4' && strchr("89ab", id[16]);
}

static void list_add(struct id_list *l, const char *id, size_t len, const char *event)
{
	assert_true(l->n < MAX_IDS);
	if (len != ID_LEN)
		fail_msg("'%.*s' is not a 32-digit id", (int)len, id);
	memcpy(l->id[l->n], id, ID_LEN);
	l->id[l->n][ID_LEN] = '\0';
	snprintf(l->event[l->n], sizeof(l->event[l->n]), "%s", event);
	l->n++;
}

/* Each "-- ID" line that opens a catalog entry. */
static void read_catalog(struct id_list *l)
{
	_cleanup_fclose_ FILE *f = open_source("systemd/clawos-ebpf.catalog");
	char line[512];

	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "-- ", 3) == 0)
			list_add(l, line + 3, strcspn(line + 3, " \n"), "");
}

/* The rows "|  event" and ":  id" of the table headed *MESSAGE_ID*. */
static void read_man_table(struct id_list *l)
{
	_cleanup_fclose_ FILE *f = open_source("man/clawos-ebpf-events.7.scd");
	char line[512], event[64] = "";
	bool in_table = false;

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, ":[ *MESSAGE_ID*") == 0) {
			in_table = true;
			continue;
		}
		if (!in_table)
			continue;
		if (line[0] == '\0')
			break;
		if (strncmp(line, "|  ", 3) == 0)
			snprintf(event, sizeof(event), "%s", line + 3);
		else if (strncmp(line, ":  ", 3) == 0)
			list_add(l, line + 3, strlen(line + 3), event);
	}
}

static bool list_has(const struct id_list *l, const char *id, const char *event)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->id[i], id) == 0 && (!event || strcmp(l->event[i], event) == 0))
			return true;
	return false;
}

static void test_ids_unique_and_random(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(clawos_message_ids); i++) {
		if (!id_is_random_v4(clawos_message_ids[i].id))
			fail_msg("%s: %s is not from systemd-id128 new", clawos_message_ids[i].event,
				 clawos_message_ids[i].id);
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(clawos_message_ids[i].id, clawos_message_ids[j].id);
			assert_string_not_equal(clawos_message_ids[i].event, clawos_message_ids[j].event);
		}
		assert_ptr_equal(clawos_message_id(clawos_message_ids[i].event), clawos_message_ids[i].id);
	}
	assert_null(clawos_message_id("no_such_event"));
}

static void test_catalog_in_step(void **state)
{
	struct id_list catalog = {0};

	read_catalog(&catalog);
	for (size_t i = 0; i < ELEMENTSOF(clawos_message_ids); i++)
		if (!list_has(&catalog, clawos_message_ids[i].id, NULL))
			fail_msg("%s: %s has no entry in the catalog", clawos_message_ids[i].event,
				 clawos_message_ids[i].id);
	for (size_t i = 0; i < catalog.n; i++) {
		bool known = false;

		for (size_t j = 0; j < ELEMENTSOF(clawos_message_ids); j++)
			known = known || strcmp(catalog.id[i], clawos_message_ids[j].id) == 0;
		if (!known)
			fail_msg("the catalog explains %s, which message-ids.h does not have", catalog.id[i]);
	}
	assert_int_equal(catalog.n, ELEMENTSOF(clawos_message_ids));
}

static void test_man_table_in_step(void **state)
{
	struct id_list man = {0};

	read_man_table(&man);
	for (size_t i = 0; i < ELEMENTSOF(clawos_message_ids); i++)
		if (!list_has(&man, clawos_message_ids[i].id, clawos_message_ids[i].event))
			fail_msg("%s: %s is not in the table of clawos-ebpf-events(7)", clawos_message_ids[i].event,
				 clawos_message_ids[i].id);
	assert_int_equal(man.n, ELEMENTSOF(clawos_message_ids));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ids_unique_and_random),
	    cmocka_unit_test(test_catalog_in_step),
	    cmocka_unit_test(test_man_table_in_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
