#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the Debian binary package from this source tree:
#
#   packaging/build-deb.sh OUTDIR
#
# Copies the tree to a temporary directory (see source-tree.sh), puts
# packaging/debian at ./debian there, runs dpkg-buildpackage -us -uc -b and
# lintian, and copies the .deb files and lintian.txt to OUTDIR.  Exit 1 when
# the build fails or lintian reports an error (E:); warnings are printed only.
# Needs dpkg-dev, debhelper, fakeroot and lintian, and the Build-Depends of
# packaging/debian/control.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/source-tree.sh"

[ $# -eq 1 ] || { sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
for t in dpkg-buildpackage dh lintian fakeroot; do
	command -v "$t" >/dev/null || { echo "build-deb.sh: $t is missing" >&2; exit 1; }
done

version=$(project_version "$src")
work=$(mktemp -d "${TMPDIR:-/tmp}/clawos-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree="$work/clawos-ebpf-$version"
copy_source_tree "$src" "$tree"
rm -rf "$tree/debian"
cp -a "$tree/packaging/debian" "$tree/debian"

deb_version=$(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)
[ "${deb_version%%-*}" = "$version" ] ||
	echo "build-deb.sh: warning: debian/changelog says $deb_version, meson.build $version" >&2

echo "build-deb.sh: building in $tree" >&2
(cd "$tree" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
	tail -n 60 "$work/build.log" >&2
	echo "build-deb.sh: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
cp "$work/build.log" "$out/dpkg-buildpackage.log"

changes=$(ls "$work"/clawos-ebpf_*.changes)
# lintian exits non-zero on errors by default (--fail-on error)
lint_rc=0
lintian --display-info --no-tag-display-limit "$changes" >"$out/lintian.txt" 2>&1 || lint_rc=$?
cat "$out/lintian.txt"
cp "$work"/*.deb "$out/"
ls -1 "$out"/*.deb
if grep -q '^E: ' "$out/lintian.txt" || [ "$lint_rc" -ne 0 ]; then
	echo "build-deb.sh: lintian reports errors (exit $lint_rc)" >&2
	exit 1
fi
