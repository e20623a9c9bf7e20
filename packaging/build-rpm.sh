#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the RPM from this source tree with packaging/rpm/clawos-ebpf.spec:
#
#   packaging/build-rpm.sh OUTDIR
#
# Makes the Source0 tarball from the tree (see source-tree.sh), runs
# rpmbuild -bb in a private _topdir and copies the .rpm files to OUTDIR.
# On a system whose rpm database does not hold the build dependencies
# (Debian's rpm package) they cannot be checked: rpmbuild runs with --nodeps
# there and without debuginfo, which needs Fedora's find-debuginfo.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/source-tree.sh"

[ $# -eq 1 ] || { sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
command -v rpmbuild >/dev/null || { echo "build-rpm.sh: rpmbuild is missing" >&2; exit 1; }

version=$(project_version "$src")
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' "$here/rpm/clawos-ebpf.spec")
[ "$spec_version" = "$version" ] ||
	echo "build-rpm.sh: warning: the spec says $spec_version, meson.build $version" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/clawos-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{BUILD,BUILDROOT,RPMS,SOURCES,SPECS,SRPMS,tree}
copy_source_tree "$src" "$work/tree/clawos-ebpf-$spec_version"
tar -C "$work/tree" -czf "$work/SOURCES/clawos-ebpf-$spec_version.tar.gz" "clawos-ebpf-$spec_version"
cp "$src/systemd/clawos-ebpf.sysusers" "$work/SOURCES/clawos-ebpf.sysusers"
cp "$here/rpm/clawos-ebpf.spec" "$work/SPECS/"

args=(--define "_topdir $work")
if [ -f /etc/debian_version ]; then
	args+=(--nodeps --define "debug_package %{nil}")
fi
echo "build-rpm.sh: rpmbuild in $work" >&2
rpmbuild -bb "${args[@]}" "$work/SPECS/clawos-ebpf.spec" >"$work/rpmbuild.log" 2>&1 || {
	tail -n 60 "$work/rpmbuild.log" >&2
	echo "build-rpm.sh: rpmbuild failed (log above)" >&2
	exit 1
}
cp "$work/rpmbuild.log" "$out/rpmbuild.log"
find "$work/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
ls -1 "$out"/*.rpm
