#!/bin/sh
# Builds a Debian package of daxplan from a built checkout (make deb):
# scripts/install.sh stages the program, units, udev rule, man pages and
# completion with Debian's paths (DESTDIR), this adds what a package carries
# (a default policy that manages nothing as a conffile, the copyright,
# changelog and maintainer scripts from contrib/debian) and dpkg-deb builds it.
#
# Usage: scripts/deb.sh [OUTDIR]     (default: dist; prints the .deb's path)
# Variables: DAXPLAN_NODE (absolute path of the node to run daxplan with: the
# package then depends on no nodejs package and /usr/bin/daxplan execs that
# node; default: Depends: nodejs (>= 20), found as `node` in PATH),
# DEBFULLNAME and DEBEMAIL (the maintainer), SOURCE_DATE_EPOCH (the
# changelog's date; default: the last commit's).
#
# Debian 12 (bookworm) ships nodejs 18: there the package installs with
# NodeSource's nodejs 20 or newer (also named nodejs), or is built with
# DAXPLAN_NODE= naming a node 20 installed by other means.
set -eu

cd "$(dirname "$0")/.."
OUT=${1:-dist}
DAXPLAN_NODE=${DAXPLAN_NODE:-}
MAINTAINER="${DEBFULLNAME:-the daxplan authors} <${DEBEMAIL:-daxplan@users.noreply.github.com}>"
VERSION=$(node -p "require('./package.json').version")-1
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

die() {
	echo "deb.sh: $*" >&2
	exit 1
}
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb is missing (Debian's dpkg package)"

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
ROOT=$STAGE/root

# The program and everything make install puts on a host, at Debian's paths.
DESTDIR=$ROOT PREFIX=/usr BINDIR=/usr/bin LIBDIR=/usr/lib/daxplan MANDIR=/usr/share/man \
	BASHCOMPDIR=/usr/share/bash-completion/completions SYSTEMDUNITDIR=/usr/lib/systemd/system \
	UDEVRULESDIR=/usr/lib/udev/rules.d DAXPLAN_NODE=$DAXPLAN_NODE scripts/install.sh 2>"$STAGE/install.out" ||
	die "scripts/install.sh failed: $(cat "$STAGE/install.out")"
# V8's code cache belongs to the build's Node.js and architecture; the
# package is for any node 20+ on any architecture, where it would be refused.
rm -f "$ROOT/usr/lib/daxplan/daxplan.cache"
if [ -z "$DAXPLAN_NODE" ]; then
	# Debian wants a link within /usr relative.
	ln -sf ../lib/daxplan/daxplan.cjs "$ROOT/usr/bin/daxplan"
else
	# Run only by the wrapper, with that node: not a script of its own (its #! names the node in PATH).
	chmod 0644 "$ROOT/usr/lib/daxplan/daxplan.cjs"
fi
gzip -9n "$ROOT/usr/share/man/man8/daxplan.8" "$ROOT/usr/share/man/man5/daxplan.yaml.5"

install -D -m 0644 contrib/debian/daxplan.yaml "$ROOT/etc/daxplan/daxplan.yaml"
DOC=$ROOT/usr/share/doc/daxplan
install -d -m 0755 "$DOC" "$ROOT/usr/share/lintian/overrides"
node scripts/deb-copyright.mjs "$DOC/copyright"
chmod 0644 "$DOC/copyright"
{
	echo "daxplan ($VERSION) unstable; urgency=medium"
	echo
	echo "  * Built by make deb from the daxplan source tree."
	echo
	echo " -- $MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$DOC/changelog.Debian.gz"
chmod 0644 "$DOC/changelog.Debian.gz"
install -m 0644 contrib/debian/lintian-overrides "$ROOT/usr/share/lintian/overrides/daxplan"
if [ -n "$DAXPLAN_NODE" ]; then
	printf '%s\n' "# /usr/bin/daxplan runs it with $DAXPLAN_NODE (DAXPLAN_NODE=); as a script it would run the node in PATH." \
		'daxplan: script-not-executable [usr/lib/daxplan/daxplan.cjs]' >>"$ROOT/usr/share/lintian/overrides/daxplan"
fi

install -d -m 0755 "$ROOT/DEBIAN"
for script in postinst prerm postrm; do install -m 0755 "contrib/debian/$script" "$ROOT/DEBIAN/$script"; done
echo /etc/daxplan/daxplan.yaml >"$ROOT/DEBIAN/conffiles"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$ROOT/DEBIAN/md5sums"
depends=
[ -n "$DAXPLAN_NODE" ] || depends='Depends: nodejs (>= 20)'
cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: daxplan
Version: $VERSION
Architecture: all
Maintainer: $MAINTAINER
Installed-Size: $(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
${depends:+$depends
}Recommends: systemd, udev
Section: admin
Priority: optional
Description: declarative controller for CXL and persistent memory behind dax devices
 daxplan decides how memory behind Linux dax devices (CXL expanders, pmem
 namespaces, soft-reserved memory) joins the system through the kernel's kmem
 driver. A YAML policy maps devices to unplug, online (ZONE_NORMAL),
 online_movable (ZONE_MOVABLE) or devdax; plan shows what would change, apply
 carries the plan out under a lock, verifies each step and rolls a failed
 device back.
 .
 The package installs the program, its systemd units and udev rule, and a
 policy that manages nothing; no unit is enabled.
CONTROL
find "$ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$OUT"
deb=$OUT/daxplan_${VERSION}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$deb" >/dev/null
echo "$deb"
