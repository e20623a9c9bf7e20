// SPDX-License-Identifier: LGPL-2.1-or-later
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

static const struct {
	const char *name;
	unsigned categories;
} fields[_RF_MAX] = {
    [RF_IMAGE] = {"Image", PROC | FILE_ | NET},
    [RF_COMMAND_LINE] = {"CommandLine", PROC},
    [RF_CURRENT_DIRECTORY] = {"CurrentDirectory", PROC},
    [RF_USER] = {"User", PROC | FILE_ | NET},
    [RF_LOGON_ID] = {"LogonId", PROC},
    [RF_PROCESS_ID] = {"ProcessId", PROC | FILE_ | NET},
    [RF_PARENT_PROCESS_ID] = {"ParentProcessId", PROC},
    [RF_PARENT_IMAGE] = {"ParentImage", PROC},
    [RF_PARENT_COMMAND_LINE] = {"ParentCommandLine", PROC},
    [RF_TARGET_FILENAME] = {"TargetFilename", FILE_},
    [RF_INITIATED] = {"Initiated", NET},
    [RF_SOURCE_IP] = {"SourceIp", NET},
    [RF_SOURCE_PORT] = {"SourcePort", NET},
    [RF_DESTINATION_IP] = {"DestinationIp", NET},
    [RF_DESTINATION_PORT] = {"DestinationPort", NET},
    [RF_PROTOCOL] = {"Protocol", NET},
    [RF_SOURCE_IS_IPV6] = {"SourceIsIpv6", NET},
    [RF_DESTINATION_IS_IPV6] = {"DestinationIsIpv6", NET},
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

const char *rules_category_name(int c)
{
	return c >= 0 && c < _RULES_CAT_MAX ? category_names[c] : NULL;
}

int rules_category_from_name(const char *s)
{
	for (int c = 0; c < _RULES_CAT_MAX; c++)
		if (strcmp(category_names[c], s) == 0)
			return c;
	return -1;
}

const char *rules_level_name(int l)
{
	return l >= 0 && l < _RULES_LEVEL_MAX ? level_names[l] : NULL;
}

const char *rules_status_name(int s)
{
	return s >= 0 && s < _RULES_STATUS_MAX ? status_names[s] : NULL;
}

const char *rules_field_name(int f)
{
	return f >= 0 && f < _RF_MAX ? fields[f].name : NULL;
}

int rules_field_from_name(const char *s)
{
	for (int f = 0; f < _RF_MAX; f++)
		if (strcmp(fields[f].name, s) == 0)
			return f;
	return -1;
}

unsigned rules_field_categories(int f)
{
	return f >= 0 && f < _RF_MAX ? fields[f].categories : 0;
}

const char *rules_field_missing_reason(const char *name, int category)
{
	int f = rules_field_from_name(name);

	if (f >= 0 && category >= 0 && !(fields[f].categories & CAT(category)))
		return "no record of this category carries it";
	for (size_t i = 0; i < ELEMENTSOF(missing); i++)
		if (strcmp(missing[i].name, name) == 0)
			return missing[i].reason;
	return NULL;
}
