#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the .deb or the .rpm from a copy of the source tree, never in the tree itself:
#   packaging/pkg.sh deb|rpm OUTDIR VERSION
# The packages land in OUTDIR (groupkeyd_VERSION_ARCH.deb, groupkeyd-VERSION-1.ARCH.rpm).
set -euo pipefail

kind=${1:?deb or rpm}
out=${2:?output directory}
version=${3:?version}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$out/$kind
src=$work/groupkeyd-$version

die() { echo "pkg.sh: $*" >&2; exit 1; }

# The files of the repository (tracked, or new and not ignored), else all but build output.
copy_tree() {
	rm -rf "$work"
	mkdir -p "$src"
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$top" ls-files -z -co --exclude-standard |
			(cd "$top" && while IFS= read -r -d '' f; do
				[ -e "$f" ] && printf '%s\0' "$f"
			done) |
			(cd "$top" && tar --null -T - -cf -) | tar -C "$src" -xf -
	else
		tar -C "$top" --exclude='./build' --exclude='./build-*' -cf - . | tar -C "$src" -xf -
	fi
}

build_deb() {
	local v

	v=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
	[ "$v" = "$version" ] || die "packaging/debian/changelog says $v, the Makefile $version"
	copy_tree
	cp -a "$top/packaging/debian" "$src/debian"
	(cd "$src" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 ||
		{ tail -n 60 "$work/build.log"; die "dpkg-buildpackage failed (log: $work/build.log)"; }
	cp "$work"/groupkeyd*_"$version"_*.*deb "$work"/groupkeyd_"$version"_*.changes \
		"$work"/groupkeyd_"$version"_*.buildinfo "$out"/
	ls "$out"/groupkeyd_"$version"_*.deb
}

build_rpm() {
	local spec=$top/packaging/rpm/groupkeyd.spec v args=()

	v=$(rpmspec -q --srpm --qf '%{version}' "$spec" 2>/dev/null) || v=$(sed -n 's/^Version: *//p' "$spec")
	[ "$v" = "$version" ] || die "groupkeyd.spec says $v, the Makefile $version"
	copy_tree
	mkdir -p "$work"/{BUILD,RPMS,SOURCES,SPECS,SRPMS}
	tar -C "$work" -czf "$work/SOURCES/groupkeyd-$version.tar.gz" "groupkeyd-$version"
	cp "$top/packaging/sysusers/groupkeyd.conf" "$work/SOURCES/groupkeyd.sysusers"
	# Outside an RPM distribution: systemd's macros are missing, build dependencies are
	# Debian packages rpm cannot see, and there is no debuginfo extractor.
	if [ -z "$(rpm --eval '%{?systemd_post:1}')" ]; then
		args+=(--load "$top/packaging/rpm/macros.fallback" --nodeps
			--define 'debug_package %{nil}')
	fi
	rpmbuild -bb --define "_topdir $work" "${args[@]}" "$spec" >"$work/build.log" 2>&1 ||
		{ tail -n 60 "$work/build.log"; die "rpmbuild failed (log: $work/build.log)"; }
	cp "$work"/RPMS/*/groupkeyd-"$version"-*.rpm "$out"/
	ls "$out"/groupkeyd-"$version"-*.rpm
}

case $kind in
deb) build_deb ;;
rpm) build_rpm ;;
*) die "unknown package kind '$kind' (deb or rpm)" ;;
esac
