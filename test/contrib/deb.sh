#!/usr/bin/env bash
# Checks the Debian package `make deb` builds (scripts/deb.sh), after npm run build:
#
# 1. build    its fields, conffiles and every file it holds (compressed man
#             pages, the units naming /usr/bin/daxplan, the default policy);
#             lintian --pedantic: nothing but the overrides it ships; the
#             DAXPLAN_NODE= build too
# 2. install  dpkg --root into a throwaway root (the maintainer scripts run
#             chrootless, with DPKG_ROOT set): the installed program runs, its
#             default policy validates and plans no change; a nodejs older
#             than 20 is refused; an edited conffile survives a reinstall;
#             remove keeps the policy, purge takes it
# 3. scripts  the maintainer scripts on a live system, with stand-ins for
#             udevadm, systemctl and deb-systemd-helper/-invoke on PATH: the
#             reloads and the purge they ask for
#
# Prints `ok ...`, `FAIL ...` or `skip ...` per check and ends with
# `N passed, N failed[, N skipped]`; exits 1 on any failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

passed=0
failed=0
skipped=0
ok() { echo "ok $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
skip() { echo "skip $*"; skipped=$((skipped + 1)); }
indent() { sed 's/^/    /'; }
finish() {
  echo "$passed passed, $failed failed$([ "$skipped" -eq 0 ] || echo ", $skipped skipped")"
  [ "$failed" -eq 0 ]
  exit
}

WORK=$(mktemp -d /tmp/daxplan-deb-check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if ! command -v dpkg-deb >/dev/null 2>&1; then
  skip "deb: no dpkg-deb (not a Debian system)"
  finish
fi
for built in dist/daxplan.cjs dist/man/daxplan.8; do
  [ -f "$ROOT/$built" ] || { fail "$built is missing: run npm run build first"; finish; }
done

# ---------------------------------------------------------------------------
# 1. build
# ---------------------------------------------------------------------------
VERSION=$(node -p "require('$ROOT/package.json').version")-1
if ! DEB=$("$ROOT/scripts/deb.sh" "$WORK/out" 2>"$WORK/build.err"); then
  fail "scripts/deb.sh failed"
  indent <"$WORK/build.err"
  finish
fi
field() { dpkg-deb --field "$DEB" "$1"; }
if [ "$DEB" = "$WORK/out/daxplan_${VERSION}_all.deb" ] && [ "$(field Package)" = daxplan ] && [ "$(field Version)" = "$VERSION" ] &&
  [ "$(field Architecture)" = all ] && [ "$(field Depends)" = 'nodejs (>= 20)' ]; then
  ok "deb: $(basename "$DEB"): daxplan $VERSION, Architecture: all, Depends: nodejs (>= 20)"
else
  fail "deb: $DEB: $(dpkg-deb --field "$DEB" Package Version Architecture Depends | tr '\n' ' ')"
fi

dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles >"$WORK/conffiles"
if [ "$(cat "$WORK/conffiles")" = /etc/daxplan/daxplan.yaml ]; then ok "deb: the policy is a conffile"; else fail "deb: conffiles: $(cat "$WORK/conffiles")"; fi

# Every file and link, exactly.
dpkg-deb --contents "$DEB" | awk '$1 !~ /^d/ { print $6 $7 $8 }' | sed 's|^\./|/|' | sort >"$WORK/contents"
sort >"$WORK/expected" <<'EOF'
/etc/daxplan/daxplan.yaml
/usr/bin/daxplan->../lib/daxplan/daxplan.cjs
/usr/lib/daxplan/daxplan.cjs
/usr/lib/systemd/system/daxplan-apply@.service
/usr/lib/systemd/system/daxplan-apply@.service.d/10-hardening.conf
/usr/lib/systemd/system/daxplan-kernel-defaults.service
/usr/lib/systemd/system/daxplan-memory.target
/usr/lib/systemd/system/daxplan-watch.service
/usr/lib/systemd/system/daxplan-watch.service.d/10-hardening.conf
/usr/lib/systemd/system/daxplan.service
/usr/lib/systemd/system/daxplan.service.d/10-hardening.conf
/usr/lib/udev/rules.d/70-daxplan.rules
/usr/share/bash-completion/completions/daxplan
/usr/share/doc/daxplan/changelog.Debian.gz
/usr/share/doc/daxplan/copyright
/usr/share/lintian/overrides/daxplan
/usr/share/man/man5/daxplan.yaml.5.gz
/usr/share/man/man8/daxplan.8.gz
EOF
if diff -u "$WORK/expected" "$WORK/contents" >"$WORK/contents.diff"; then ok "deb: holds the program, units, drop-ins, udev rule, man pages, completion, policy, copyright, changelog"; else
  fail "deb: contents differ from the expected list"
  indent <"$WORK/contents.diff"
fi

x=$WORK/extracted
dpkg-deb -x "$DEB" "$x"
if zcat "$x/usr/share/man/man8/daxplan.8.gz" | grep -q '^\.TH DAXPLAN 8 ' && grep -q '^ExecStart=/usr/bin/daxplan apply ' "$x/usr/lib/systemd/system/daxplan.service" &&
  grep -q '^License: Expat and ' "$x/usr/share/doc/daxplan/copyright" && zcat "$x/usr/share/doc/daxplan/changelog.Debian.gz" | head -1 | grep -qx "daxplan ($VERSION) unstable; urgency=medium"; then
  ok "deb: man pages compressed, units name /usr/bin/daxplan, copyright lists the bundled licenses, changelog names $VERSION"
else
  fail "deb: man page, unit ExecStart=, copyright or changelog not as expected"
fi

lint() {
  local deb=$1 what=$2
  # Errors and warnings fail; what the package overrides (by design, with its reason) is fine.
  if lintian --pedantic --no-tag-display-limit "$deb" >"$WORK/lintian.out" 2>&1 && ! grep -Eq '^[EWX]: ' "$WORK/lintian.out"; then
    ok "lintian --pedantic $what: no error, no warning"
  else
    fail "lintian $what"
    grep -v 'running with root privileges' "$WORK/lintian.out" | indent
  fi
}
if command -v lintian >/dev/null 2>&1; then
  lint "$DEB" "$(basename "$DEB")"
  if NODE_DEB=$(DAXPLAN_NODE=/opt/node/bin/node "$ROOT/scripts/deb.sh" "$WORK/out-node" 2>"$WORK/build.err"); then
    if [ -z "$(dpkg-deb --field "$NODE_DEB" Depends)" ] && dpkg-deb --fsys-tarfile "$NODE_DEB" | tar -xO ./usr/bin/daxplan | grep -qx 'exec /opt/node/bin/node /usr/lib/daxplan/daxplan.cjs "$@"'; then
      ok "deb DAXPLAN_NODE=/opt/node/bin/node: no nodejs dependency, /usr/bin/daxplan execs that node"
    else
      fail "deb DAXPLAN_NODE=: Depends '$(dpkg-deb --field "$NODE_DEB" Depends)' or the wrapper is wrong"
    fi
    lint "$NODE_DEB" "(DAXPLAN_NODE=)"
  else
    fail "scripts/deb.sh with DAXPLAN_NODE= failed"
    indent <"$WORK/build.err"
  fi
elif [ "$(id -u)" -eq 0 ]; then
  fail "lintian missing (test/provision.sh installs it)"
else
  skip "lintian: not installed (as root, test/provision.sh installs it)"
fi

# ---------------------------------------------------------------------------
# 2. install and remove in a throwaway root
# ---------------------------------------------------------------------------
# A root with an empty dpkg database and a stand-in nodejs of the given version.
throwaway() {
  local r=$1 version=$2
  mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
  touch "$r/var/lib/dpkg/available" "$r/var/lib/dpkg/info/nodejs.list"
  printf 'Package: nodejs\nStatus: install ok installed\nPriority: optional\nMaintainer: stand-in <nobody@example.org>\nArchitecture: all\nVersion: %s\nDescription: stand-in for the dependency\n\n' "$version" >"$r/var/lib/dpkg/status"
}
# dpkg into that root; the maintainer scripts run here, told the root by DPKG_ROOT.
DPKG_OPTS=(--log=/dev/null --force-script-chrootless)
[ "$(id -u)" -eq 0 ] || DPKG_OPTS+=(--force-not-root)
in_root() {
  local r=$1
  shift
  dpkg --root="$r" "${DPKG_OPTS[@]}" "$@"
}

R=$WORK/root
throwaway "$R" 20.19.2
if in_root "$R" -i "$DEB" >"$WORK/dpkg.out" 2>&1 && grep -qx "daxplan: installed under $R; udev and systemd there read the rule and units at their next start" "$WORK/dpkg.out"; then
  ok "dpkg --root: installs beside nodejs 20.19.2; postinst sees DPKG_ROOT and reloads nothing on this machine"
else
  fail "dpkg --root -i"
  indent <"$WORK/dpkg.out"
  finish
fi

version=$("$R/usr/bin/daxplan" --version 2>&1)
validate=$("$R/usr/bin/daxplan" validate -c "$R/etc/daxplan/daxplan.yaml" 2>&1)
EXAMPLE=$ROOT/examples/debian-6.12-qemu/host/sys
plan=$("$R/usr/bin/daxplan" plan -c "$R/etc/daxplan/daxplan.yaml" --sysfs-root "$EXAMPLE" --detailed-exitcode 2>/dev/null)
plan_rc=$?
if [ "$version" = "daxplan ${VERSION%-1}" ] && [ "$validate" = "$R/etc/daxplan/daxplan.yaml: 0 rules, valid" ] && [ "$plan_rc" -eq 0 ] && grep -q 'No changes. Memory matches policy.' <<<"$plan"; then
  ok "installed: /usr/bin/daxplan runs ($version); the default policy validates and plans no change on the example host"
else
  fail "installed: version '$version'; validate '$validate'; plan exit $plan_rc"
  indent <<<"$plan"
fi

echo '# edited by the operator' >>"$R/etc/daxplan/daxplan.yaml"
if in_root "$R" -i "$DEB" >"$WORK/dpkg.out" 2>&1 && tail -1 "$R/etc/daxplan/daxplan.yaml" | grep -qx '# edited by the operator'; then
  ok "dpkg --root: a reinstall keeps the operator's edit of /etc/daxplan/daxplan.yaml"
else
  fail "dpkg --root: reinstall with an edited policy"
  indent <"$WORK/dpkg.out"
fi

if in_root "$R" -r daxplan >"$WORK/dpkg.out" 2>&1 && [ ! -e "$R/usr/bin/daxplan" ] && [ ! -e "$R/usr/lib/daxplan" ] && [ -f "$R/etc/daxplan/daxplan.yaml" ]; then
  ok "dpkg --root -r: the program, units and rule are gone; the policy stays"
else
  fail "dpkg --root -r"
  indent <"$WORK/dpkg.out"
fi
if in_root "$R" -P daxplan >"$WORK/dpkg.out" 2>&1 && [ -z "$(find "$R" -mindepth 1 -path "$R/var" -prune -o -print)" ]; then
  ok "dpkg --root -P: nothing left outside /var"
else
  fail "dpkg --root -P: left $(find "$R" -mindepth 1 -path "$R/var" -prune -o -print | tr '\n' ' ')"
  indent <"$WORK/dpkg.out"
fi

OLD=$WORK/old-node
throwaway "$OLD" 18.19.0
if ! in_root "$OLD" -i "$DEB" >"$WORK/dpkg.out" 2>&1 && grep -q 'depends on nodejs (>= 20)' "$WORK/dpkg.out"; then
  ok "dpkg --root: refused beside nodejs 18.19.0 (Debian 12's), naming the dependency"
else
  fail "dpkg --root beside nodejs 18 was not refused for its dependency"
  indent <"$WORK/dpkg.out"
fi

# ---------------------------------------------------------------------------
# 3. the maintainer scripts on a live system, with stand-ins for the tools
# ---------------------------------------------------------------------------
FAKE=$WORK/fake-bin
mkdir -p "$FAKE"
for tool in udevadm systemctl deb-systemd-helper deb-systemd-invoke; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$tool" "$WORK" >"$FAKE/$tool"
  chmod +x "$FAKE/$tool"
done
# What a live system with or without systemd running gets from each script.
reload='udevadm control --reload'
[ ! -d /run/systemd/system ] || reload=$'systemctl --system daemon-reload\nudevadm control --reload'
stop=
[ ! -d /run/systemd/system ] || stop='deb-systemd-invoke stop daxplan-watch.service'
units='daxplan.service daxplan-apply@.service daxplan-kernel-defaults.service daxplan-watch.service daxplan-memory.target'
script_calls() {
  rm -f "$WORK/calls"
  env -u DPKG_ROOT PATH="$FAKE:$PATH" sh "$WORK/scripts/$1" "$2" >/dev/null 2>&1 || echo "exit $?" >>"$WORK/calls"
  cat "$WORK/calls" 2>/dev/null
}
mkdir -p "$WORK/scripts"
dpkg-deb --ctrl-tarfile "$DEB" | tar -x -C "$WORK/scripts" ./postinst ./prerm ./postrm
check_script() {
  local script=$1 arg=$2 want=$3 got
  got=$(script_calls "$script" "$arg")
  local shown=${want//$'\n'/; }
  if [ "$got" = "$want" ]; then ok "$script $arg on a live system: ${shown:-nothing}"; else fail "$script $arg: want '${want//$'\n'/; }', got '${got//$'\n'/; }'"; fi
}
check_script postinst configure "$reload"
check_script prerm remove "$stop"
check_script prerm upgrade ""
check_script postrm remove "$reload"
check_script postrm purge "$reload"$'\n'"deb-systemd-helper purge $units"

finish
