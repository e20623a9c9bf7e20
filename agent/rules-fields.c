/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of categories, levels, statuses and fields, and which category's
 * records carry which field (the Sysmon for Linux meanings SigmaHQ's Linux
 * rules are written against). */
#include <string.h>

#include "rules-internal.h"

#define CAT(c) (1u << (c))
#define PROC CAT(RULES_CAT_PROCESS_CREATION)
#define FILE_ CAT(RULES_CAT_FILE_EVENT)
#define NET CAT(RULES_CAT_NETWORK_CONNECTION)

static const char *const category_names[_RULES_CAT_MAX] = {
    [RULES_CAT_PROCESS_CREATION] = "process_creation",
    [RULES_CAT_FILE_EVENT] = "file_event",
    [RULES_CAT_NETWORK_CONNECTION] = "network_connection",
};

static const char *const level_names[_RULES_LEVEL_MAX] = {
    [RULES_LEVEL_INFORMATIONAL] = "informational",
    [RULES_LEVEL_LOW] = "low",
    [RULES_LEVEL_MEDIUM] = "medium",
    [RULES_LEVEL_HIGH] = "high",
    [RULES_LEVEL_CRITICAL] = "critical",
};

static const char *const status_names[_RULES_STATUS_MAX] = {
    [RULES_LOADED] = "loaded",
    [RULES_UNSUPPORTED] = "unsupported",
    [RULES_ERROR] = "error",
};

static const char *const field_names[_RF_MAX] = {
    [RF_IMAGE] = "Image",
    [RF_COMMAND_LINE] = "CommandLine",
    [RF_CURRENT_DIRECTORY] = "CurrentDirectory",
    [RF_USER] = "User",
    [RF_LOGON_ID] = "LogonId",
    [RF_PROCESS_ID] = "ProcessId",
    [RF_PARENT_PROCESS_ID] = "ParentProcessId",
    [RF_PARENT_IMAGE] = "ParentImage",
    [RF_PARENT_COMMAND_LINE] = "ParentCommandLine",
    [RF_TARGET_FILENAME] = "TargetFilename",
    [RF_INITIATED] = "Initiated",
    [RF_SOURCE_IP] = "SourceIp",
    [RF_SOURCE_PORT] = "SourcePort",
    [RF_DESTINATION_IP] = "DestinationIp",
    [RF_DESTINATION_PORT] = "DestinationPort",
    [RF_PROTOCOL] = "Protocol",
    [RF_SOURCE_IS_IPV6] = "SourceIsIpv6",
    [RF_DESTINATION_IS_IPV6] = "DestinationIsIpv6",
};

/* The categories whose records carry each field. */
static const unsigned field_categories[_RF_MAX] = {
    [RF_IMAGE] = PROC | FILE_ | NET,
    [RF_COMMAND_LINE] = PROC,
    [RF_CURRENT_DIRECTORY] = PROC,
    [RF_USER] = PROC | FILE_ | NET,
    [RF_LOGON_ID] = PROC,
    [RF_PROCESS_ID] = PROC | FILE_ | NET,
    [RF_PARENT_PROCESS_ID] = PROC,
    [RF_PARENT_IMAGE] = PROC,
    [RF_PARENT_COMMAND_LINE] = PROC,
    [RF_TARGET_FILENAME] = FILE_,
    [RF_INITIATED] = NET,
    [RF_SOURCE_IP] = NET,
    [RF_SOURCE_PORT] = NET,
    [RF_DESTINATION_IP] = NET,
    [RF_DESTINATION_PORT] = NET,
    [RF_PROTOCOL] = NET,
    [RF_SOURCE_IS_IPV6] = NET,
    [RF_DESTINATION_IS_IPV6] = NET,
};

/* Sysmon fields no record of ours can carry, and why. */
static const struct {
	const char *name;
	const char *reason;
} missing[] = {
    {"DestinationHostname", "the agent does not resolve names: network records carry addresses only"},
    {"SourceHostname", "the agent does not resolve names: network records carry addresses only"},
    {"DestinationPortName", "the agent does not name ports"},
    {"SourcePortName", "the agent does not name ports"},
    {"Hashes", "the agent does not hash executables"},
    {"OriginalFileName", "ELF binaries carry no original file name"},
    {"Product", "ELF binaries carry no version resource"},
    {"Company", "ELF binaries carry no version resource"},
    {"Description", "ELF binaries carry no version resource"},
    {"FileVersion", "ELF binaries carry no version resource"},
    {"IntegrityLevel", "Linux has no integrity levels"},
    {"LogonGuid", "Linux has no logon GUIDs"},
    {"ProcessGuid", "the agent identifies processes by pid"},
    {"ParentProcessGuid", "the agent identifies processes by pid"},
    {"TerminalSessionId", "the agent does not record terminal sessions"},
    {"ParentUser", "the process table keeps no parent user"},
    {"CreationUtcTime", "the agent does not record file creation times"},
};

DEFINE_STRING_TABLE_LOOKUP(rules_category, int, category_names, NULL);
DEFINE_STRING_TABLE_LOOKUP(rules_level, int, level_names, NULL);
DEFINE_STRING_TABLE_LOOKUP(rules_status, int, status_names, NULL);
DEFINE_STRING_TABLE_LOOKUP(rules_field, int, field_names, NULL);

unsigned rules_field_categories(int f)
{
	return f >= 0 && f < _RF_MAX ? field_categories[f] : 0;
}

const char *rules_field_missing_reason(const char *name, int category)
{
	int f = rules_field_from_name(name);

	if (f >= 0 && category >= 0 && !(field_categories[f] & CAT(category)))
		return "no record of this category carries it";
	for (size_t i = 0; i < ELEMENTSOF(missing); i++)
		if (strcmp(missing[i].name, name) == 0)
			return missing[i].reason;
	return NULL;
}
