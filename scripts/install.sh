#!/bin/sh
# Installs daxplan as a system tool, where distributions put each part:
#
#   $LIBDIR/daxplan.cjs (+ daxplan.cache)   the program (one file) and V8's code cache for it
#   $BINDIR/daxplan                          a symlink to it (or, with DAXPLAN_NODE=, a wrapper naming that node)
#   $SYSTEMDUNITDIR/daxplan*.service/.target the units, ExecStart= pointing at $BINDIR/daxplan,
#                                            and the shared sandbox as a drop-in of each service
#   $UDEVRULESDIR/70-daxplan.rules           the udev rule that starts daxplan-apply@daxR.N.service
#   $MANDIR/man8/daxplan.8, man5/daxplan.yaml.5
#   $BASHCOMPDIR/daxplan                     bash completion
#
# Usage (from a built checkout: npm ci && npm run build):
#   scripts/install.sh [--uninstall]        or   make install / make uninstall
# Variables (environment or make): DESTDIR (staging root for packages, default
# none), PREFIX (/usr/local), BINDIR ($PREFIX/bin), LIBDIR ($PREFIX/lib/daxplan),
# MANDIR ($PREFIX/share/man), BASHCOMPDIR ($PREFIX/share/bash-completion/completions),
# SYSTEMDUNITDIR (/usr/lib/systemd/system), UDEVRULESDIR (/usr/lib/udev/rules.d),
# DAXPLAN_NODE (absolute path of the node to run daxplan with; default: `node` in
# PATH, through the program's #!/usr/bin/env node).
#
# It changes nothing else: no policy is written, no unit enabled, nothing
# reloaded; what to do next is printed at the end.
set -eu

cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
BINDIR=${BINDIR:-$PREFIX/bin}
LIBDIR=${LIBDIR:-$PREFIX/lib/daxplan}
MANDIR=${MANDIR:-$PREFIX/share/man}
BASHCOMPDIR=${BASHCOMPDIR:-$PREFIX/share/bash-completion/completions}
SYSTEMDUNITDIR=${SYSTEMDUNITDIR:-/usr/lib/systemd/system}
UDEVRULESDIR=${UDEVRULESDIR:-/usr/lib/udev/rules.d}
DESTDIR=${DESTDIR:-}
DAXPLAN_NODE=${DAXPLAN_NODE:-}

die() {
	echo "install.sh: $*" >&2
	exit 1
}

for dir in "$PREFIX" "$BINDIR" "$LIBDIR" "$MANDIR" "$BASHCOMPDIR" "$SYSTEMDUNITDIR" "$UDEVRULESDIR"; do
	case $dir in
	/*) ;;
	*) die "directories must be absolute paths (got \"$dir\")" ;;
	esac
	case $dir in
	*[!A-Za-z0-9/._@+-]*) die "\"$dir\": only letters, digits and / . _ @ + - in install directories" ;;
	esac
done
# It is written into a shell script run as root: a plain absolute path only.
case $DAXPLAN_NODE in
'' | /*) ;;
*) die "DAXPLAN_NODE must be an absolute path (got \"$DAXPLAN_NODE\")" ;;
esac
case $DAXPLAN_NODE in
*[!A-Za-z0-9/._@+-]*) die "DAXPLAN_NODE \"$DAXPLAN_NODE\": only letters, digits and / . _ @ + - in the path of node" ;;
esac

# Units that get the shared sandbox as a drop-in (daxplan-kernel-defaults.service
# runs before local file systems are mounted and carries its own).
HARDENED="daxplan.service daxplan-apply@.service daxplan-watch.service"
UNITS="daxplan.service daxplan-apply@.service daxplan-kernel-defaults.service daxplan-watch.service daxplan-memory.target"

# What earlier versions installed and this one does not: removed on install and uninstall.
OBSOLETE="daxplan.mjs"

# Every file this installs, as "MODE SOURCE TARGET" (TARGET without DESTDIR);
# the units and the program's entry point are written, not copied.
manifest() {
	echo "0755 dist/daxplan.cjs $LIBDIR/daxplan.cjs"
	[ ! -f dist/daxplan.cache ] || echo "0644 dist/daxplan.cache $LIBDIR/daxplan.cache"
	echo "0644 contrib/udev/70-daxplan.rules $UDEVRULESDIR/70-daxplan.rules"
	for unit in $HARDENED; do echo "0644 contrib/systemd/daxplan-hardening.conf $SYSTEMDUNITDIR/$unit.d/10-hardening.conf"; done
	echo "0644 dist/man/daxplan.8 $MANDIR/man8/daxplan.8"
	echo "0644 dist/man/daxplan.yaml.5 $MANDIR/man5/daxplan.yaml.5"
	echo "0644 dist/completion/daxplan $BASHCOMPDIR/daxplan"
}

if [ "${1:-}" = --uninstall ]; then
	manifest | while read -r _mode _src target; do rm -f "$DESTDIR$target"; done
	# The code cache too: manifest lists it only when this checkout has one built.
	for old in $OBSOLETE daxplan.cache; do rm -f "$DESTDIR$LIBDIR/$old"; done
	for unit in $UNITS; do rm -f "$DESTDIR$SYSTEMDUNITDIR/$unit"; done
	for unit in $HARDENED; do rmdir "$DESTDIR$SYSTEMDUNITDIR/$unit.d" 2>/dev/null || true; done
	rm -f "$DESTDIR$BINDIR/daxplan"
	rmdir "$DESTDIR$LIBDIR" 2>/dev/null || true
	echo "daxplan uninstalled from ${DESTDIR:-/}. Run: systemctl daemon-reload && udevadm control --reload" >&2
	exit 0
fi
[ $# -eq 0 ] || die "usage: scripts/install.sh [--uninstall]"

for built in dist/daxplan.cjs dist/man/daxplan.8 dist/man/daxplan.yaml.5 dist/completion/daxplan; do
	[ -f "$built" ] || die "$built is missing: run 'npm ci && npm run build' first"
done

manifest | while read -r mode src target; do install -D -m "$mode" "$src" "$DESTDIR$target"; done
for old in $OBSOLETE; do rm -f "$DESTDIR$LIBDIR/$old"; done
# The units name the installed program; nothing else in them changes.
for unit in $UNITS; do
	install -d -m 0755 "$DESTDIR$SYSTEMDUNITDIR"
	sed "s|@bindir@|$BINDIR|g" "contrib/systemd/$unit" >"$DESTDIR$SYSTEMDUNITDIR/$unit"
	chmod 0644 "$DESTDIR$SYSTEMDUNITDIR/$unit"
done
install -d -m 0755 "$DESTDIR$BINDIR"
rm -f "$DESTDIR$BINDIR/daxplan"
if [ -n "$DAXPLAN_NODE" ]; then
	# exec: systemd signals the main process, and daxplan must be it.
	printf '#!/bin/sh\nexec %s %s/daxplan.cjs "$@"\n' "$DAXPLAN_NODE" "$LIBDIR" >"$DESTDIR$BINDIR/daxplan"
	chmod 0755 "$DESTDIR$BINDIR/daxplan"
else
	ln -s "$LIBDIR/daxplan.cjs" "$DESTDIR$BINDIR/daxplan"
fi

cat >&2 <<EOF
daxplan installed under ${DESTDIR:-/} ($BINDIR/daxplan). Next, on the host:
  write the policy: /etc/daxplan/daxplan.yaml (root-owned, not writable by others; see daxplan.yaml(5)),
    then: daxplan validate --config /etc/daxplan/daxplan.yaml
  systemctl daemon-reload && udevadm control --reload
  systemctl enable daxplan-kernel-defaults.service daxplan.service   # kernel defaults and convergence at every boot
  systemctl enable --now daxplan-watch.service                       # optional: converge every ten minutes
EOF
