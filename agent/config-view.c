/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Views of the settings: printed as INI or JSON (--check-config), and
 * compared for the restart-only keys on reload. */

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "config-internal.h"

/* "key = value", or "key =" without a trailing blank for an empty value. */
static int print_key(const struct config_key *k, const struct clawos_settings *s, FILE *f)
{
	_cleanup_free_ char *v = NULL;
	size_t len = 0;
	FILE *m;

	m = open_memstream(&v, &len);
	if (!m)
		return -ENOMEM;
	k->type->print(k, config_field(k, s), m);
	if (fclose(m) != 0)
		return -ENOMEM;
	if (strlen(k->key) + 3 + len <= CONFIG_LINE_MAX) {
		fprintf(f, "%s =%s%s\n", k->key, len > 0 ? " " : "", v);
		return 0;
	}
	/* Too long for a line in the readable form: the compact one, never
	 * longer than a line the parser accepted (items hold no commas). */
	fprintf(f, "%s=", k->key);
	for (const char *p = v; *p; p++)
		if (!(p[0] == ' ' && p > v && p[-1] == ','))
			fputc(*p, f);
	fputc('\n', f);
	return 0;
}

static int settings_print_ini(const struct clawos_settings *s, FILE *f)
{
	const char *section = NULL;
	int r;

	fputs("# Effective configuration of clawos-ebpf; see clawos-ebpf.conf(5).\n", f);
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];

		if (!section || strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(f, "\n[%s]\n", section);
		}
		r = print_key(k, s, f);
		if (r < 0)
			return r;
	}
	return 0;
}

static struct json_object *settings_json(const struct clawos_settings *s)
{
	struct json_object *root = json_object_new_object(), *sec = NULL;
	const char *section = NULL;

	for (size_t i = 0; root && i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		struct json_object *v;

		if (!section || strcmp(section, k->section) != 0) {
			section = k->section;
			sec = json_object_new_object();
			if (!sec || json_object_object_add(root, section, sec) < 0)
				goto fail;
		}
		v = k->type->json(k, config_field(k, s));
		if (!v || json_object_object_add(sec, k->key, v) < 0) {
			json_object_put(v);
			goto fail;
		}
	}
	return root;

fail:
	json_object_put(root);
	return NULL;
}

int settings_print(const struct clawos_settings *s, FILE *f, bool json)
{
	int r = 0;

	if (json) {
		struct json_object *o = settings_json(s);

		if (!o)
			return -ENOMEM;
		fprintf(f, "%s\n",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else
		r = settings_print_ini(s, f);
	if (r < 0)
		return r;
	if (fflush(f) != 0 || ferror(f))
		return errno > 0 ? -errno : -EIO;
	return 0;
}

size_t settings_diff_restart_only(const struct clawos_settings *old, const struct clawos_settings *new,
				  const char **names, size_t max_names)
{
	size_t n = 0;

	for (size_t i = 0; i < config_n_keys && n < max_names; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->reload_live)
			continue;
		if (!k->type->equal(config_field(k, old), config_field(k, new)))
			names[n++] = k->key;
	}
	return n;
}

size_t settings_keep_restart_only(struct clawos_settings *next, struct clawos_settings *running, const char **names,
				  size_t max_names)
{
	size_t n = settings_diff_restart_only(running, next, names, max_names);

	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		void *to = config_field(k, next), *from = config_field(k, running);

		if (k->reload_live)
			continue;
		if (k->type->done)
			k->type->done(to);
		memcpy(to, from, k->type->size);
		if (k->type->done) /* moved: running no longer owns it */
			memset(from, 0, k->type->size);
	}
	return n;
}
