#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Packaging: build the .deb and the .rpm with packaging/build-{deb,rpm}.sh
# from this tree, check what they install, that lintian reports no error,
# and that meson install honours --prefix and DESTDIR.
# Exit 0 pass, 1 fail, 77 skip (a tool is missing; dev.sh installs them).
set -uo pipefail

src=${CLAWOS_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
skip() { echo "SKIP: $*"; exit 77; }

missing=()
for t in dpkg-buildpackage:dpkg-dev dh:debhelper fakeroot:fakeroot lintian:lintian rpmbuild:rpm meson:meson; do
	command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
done
[ ${#missing[@]} -eq 0 ] || skip "missing packages: ${missing[*]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/clawos-packages.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# What every package must install.  Man pages: one per man/*.scd.
expect=(
	/usr/sbin/clawos-ebpf
	/etc/clawos-ebpf/clawos-ebpf.conf
	@UNITDIR@/clawos-ebpf.service
	/usr/lib/sysusers.d/clawos-ebpf.conf
	/usr/lib/systemd/catalog/clawos-ebpf.catalog
	/usr/share/doc/clawos-ebpf/examples/README.md
	/usr/share/doc/clawos-ebpf/examples/syslog-ng/clawos-ebpf.conf
	/usr/share/doc/clawos-ebpf/examples/rsyslog/clawos-ebpf.conf
	/usr/share/doc/clawos-ebpf/examples/vector/clawos-ebpf.yaml
	/usr/share/doc/clawos-ebpf/examples/fluent-bit/clawos-ebpf.conf
	/usr/share/doc/clawos-ebpf/examples/tmpfiles/clawos-ebpf-shipper.conf
)
for scd in "$src"/man/*.scd; do
	[ -e "$scd" ] || continue
	page=$(basename "$scd" .scd)
	expect+=("/usr/share/man/man${page##*.}/$page@GZ@")
done

check_list() { # NAME LISTFILE UNITDIR
	local name=$1 list=$2 unitdir=$3 f re
	for f in "${expect[@]}"; do
		f=${f//@UNITDIR@/$unitdir}
		re="^${f//./\\.}"
		re=${re//@GZ@/(\\.gz)?}
		if grep -qE "${re}\$" "$list"; then ok "$name installs ${f//@GZ@/}"; else bad "$name lacks ${f//@GZ@/}"; fi
	done
}

# ---- .deb
echo "# building the .deb"
if "$src/packaging/build-deb.sh" "$work/deb" >"$work/deb.log" 2>&1; then
	ok "build-deb.sh: dpkg-buildpackage -us -uc -b and lintian without errors"
else
	tail -n 40 "$work/deb.log"
	bad "build-deb.sh failed"
fi
deb=$(ls "$work"/deb/clawos-ebpf_*.deb 2>/dev/null | head -n 1)
if [ -n "$deb" ]; then
	dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/deb.files"
	echo "# $(basename "$deb"):"; sed 's/^/#   /' "$work/deb.files"
	check_list .deb "$work/deb.files" /lib/systemd/system
	dpkg-deb -e "$deb" "$work/deb.control"
	grep -qx /etc/clawos-ebpf/clawos-ebpf.conf "$work/deb.control/conffiles" &&
		ok ".deb: the configuration is a conffile" || bad ".deb: the configuration is not a conffile"
	grep -q 'systemd-sysusers.*clawos-ebpf.conf' "$work/deb.control/postinst" &&
		ok ".deb: postinst creates group clawos (dh_installsysusers)" || bad ".deb: postinst runs no systemd-sysusers"
	grep -q "deb-systemd-helper enable 'clawos-ebpf.service'" "$work/deb.control/postinst" &&
		grep -q "deb-systemd-invoke \$_dh_action 'clawos-ebpf.service'" "$work/deb.control/postinst" &&
		ok ".deb: postinst enables and starts the unit (dh_installsystemd)" ||
		bad ".deb: postinst does not enable and start the unit"
	sysusers_line=$(grep -n systemd-sysusers "$work/deb.control/postinst" | head -n 1 | cut -d: -f1)
	start_line=$(grep -n deb-systemd-invoke "$work/deb.control/postinst" | head -n 1 | cut -d: -f1)
	[ -n "$sysusers_line" ] && [ -n "$start_line" ] && [ "$sysusers_line" -lt "$start_line" ] &&
		ok ".deb: the group exists before the unit starts (SupplementaryGroups=clawos)" ||
		bad ".deb: postinst starts the unit before creating its group"
	if [ -f "$work/deb/lintian.txt" ]; then
		echo "# lintian:"; grep -E '^[EWI]: ' "$work/deb/lintian.txt" | sed 's/^/#   /'
		grep -q '^E: ' "$work/deb/lintian.txt" && bad "lintian reports errors" || ok "lintian reports no error"
	else
		bad "no lintian output"
	fi
else
	bad "no .deb built"
fi

# ---- .rpm
echo "# building the .rpm"
if "$src/packaging/build-rpm.sh" "$work/rpm" >"$work/rpm.log" 2>&1; then
	ok "build-rpm.sh: rpmbuild -bb"
else
	tail -n 40 "$work/rpm.log"
	bad "build-rpm.sh failed"
fi
rpmf=$(ls "$work"/rpm/clawos-ebpf-[0-9]*.rpm 2>/dev/null | grep -v -- '-debug' | head -n 1)
if [ -n "$rpmf" ]; then
	rpm -qlp "$rpmf" 2>/dev/null >"$work/rpm.files"
	echo "# $(basename "$rpmf"):"; sed 's/^/#   /' "$work/rpm.files"
	check_list .rpm "$work/rpm.files" /usr/lib/systemd/system
	rpm -qpc "$rpmf" 2>/dev/null | grep -qx /etc/clawos-ebpf/clawos-ebpf.conf &&
		ok ".rpm: the configuration is %config" || bad ".rpm: the configuration is not %config"
	scripts=$(rpm -qp --scripts "$rpmf" 2>/dev/null)
	grep -q 'systemctl --no-reload preset clawos-ebpf.service' <<<"$scripts" &&
		grep -q 'disable --now clawos-ebpf.service' <<<"$scripts" &&
		grep -q 'try-restart clawos-ebpf.service' <<<"$scripts" &&
		ok ".rpm: the systemd scriptlets (post, preun, postun with restart)" || bad ".rpm: systemd scriptlets missing"
else
	bad "no .rpm built"
fi

# ---- meson install --prefix, DESTDIR
echo "# meson install with --prefix=/opt/clawos-test and DESTDIR"
if meson setup "$work/meson" "$src" --prefix=/opt/clawos-test -Dtests=disabled >"$work/meson.log" 2>&1 &&
	ninja -C "$work/meson" >>"$work/meson.log" 2>&1 &&
	DESTDIR="$work/dest" meson install -C "$work/meson" --no-rebuild >>"$work/meson.log" 2>&1; then
	(cd "$work/dest" && find . -type f | sed 's|^\.||' | sort) >"$work/dest.files"
	sed 's/^/#   /' "$work/dest.files"
	outside=$(grep -v '^/opt/clawos-test/' "$work/dest.files")
	[ -z "$outside" ] && ok "every file is below DESTDIR/prefix" || bad "installed outside the prefix: $outside"
	for f in sbin/clawos-ebpf etc/clawos-ebpf/clawos-ebpf.conf lib/systemd/system/clawos-ebpf.service \
		lib/sysusers.d/clawos-ebpf.conf lib/systemd/catalog/clawos-ebpf.catalog; do
		grep -qx "/opt/clawos-test/$f" "$work/dest.files" && ok "prefix: $f" || bad "prefix: no $f"
	done
	unit="$work/dest/opt/clawos-test/lib/systemd/system/clawos-ebpf.service"
	grep -q '^ExecStart=/opt/clawos-test/sbin/clawos-ebpf --config /opt/clawos-test/etc/clawos-ebpf/clawos-ebpf.conf$' "$unit" &&
		ok "the unit runs the prefix's binary with the prefix's config" || bad "ExecStart= ignores the prefix: $(grep ^ExecStart= "$unit")"
else
	tail -n 30 "$work/meson.log"
	bad "meson setup/build/install with --prefix failed"
fi

[ $fail = 0 ] && echo "PASS" || echo "FAILED"
exit $fail
