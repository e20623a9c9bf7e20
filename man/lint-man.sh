#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Usage: lint-man.sh PAGE.scd...
# Renders each scdoc page and fails on any scdoc error or mandoc -Tlint
# message of level warning or above.  Exits 77 (skip) without the tools.
#
# scdoc (1.11.x) starts every section and paragraph with a .P macro, which
# mandoc reports as "skipping paragraph macro: PP empty / PP after SH|SS"
# on every page whatever its source; those three messages are the
# generator's, not the page's, and are filtered out.  Everything else fails.
set -u

scdoc=${SCDOC:-scdoc}
if ! command -v "$scdoc" >/dev/null 2>&1; then
	echo "1..0 # SKIP scdoc not installed"
	exit 77
fi
if ! command -v mandoc >/dev/null 2>&1; then
	echo "1..0 # SKIP mandoc not installed"
	exit 77
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

status=0
for page in "$@"; do
	name=$(basename "$page" .scd)
	if ! "$scdoc" <"$page" >"$tmp/$name" 2>"$tmp/$name.err"; then
		echo "$page: scdoc failed:"
		cat "$tmp/$name.err"
		status=1
		continue
	fi
	# -Wwarning: style notes are not failures; warnings and errors are.
	mandoc -Tlint -Wwarning "$tmp/$name" 2>&1 |
		grep -Ev 'WARNING: skipping paragraph macro: PP (empty|after SH|after SS)$' >"$tmp/$name.lint"
	if [ -s "$tmp/$name.lint" ]; then
		echo "$page:"
		sed "s|$tmp/||" "$tmp/$name.lint"
		status=1
	else
		echo "$page: ok"
	fi
done
exit $status
