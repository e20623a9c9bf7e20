# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by build-deb.sh and build-rpm.sh: copy_source_tree SRC DEST copies
# the source tree as a clean checkout would have it -- tracked files plus new
# files git does not ignore, so no build directory comes along.  CLAWOS_GIT_HEAD=1
# takes exactly the committed HEAD instead (git archive).

copy_source_tree() {
	local src=$1 dest=$2
	mkdir -p "$dest"
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		if [ "${CLAWOS_GIT_HEAD:-0}" = 1 ]; then
			git -C "$src" archive --format=tar HEAD | tar -x -C "$dest"
		else
			(cd "$src" && git ls-files -z --cached --others --exclude-standard |
				while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
				tar --null -T - -cf -) | tar -x -C "$dest"
		fi
	else
		tar -C "$src" --exclude='./build' --exclude='./build-*' --exclude='./.git' -cf - . | tar -x -C "$dest"
	fi
}

# The version in meson.build's project().
project_version() {
	sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" "$1/meson.build" | head -n 1
}
