#!/usr/bin/env bash
# Checks contrib/: the systemd units, their sandbox and the udev rule.
#
#   bash test/provision.sh && bash test/contrib/check.sh     (npm test runs both)
#
# Prints `ok ...` or `FAIL ...` per check (`skip ...` for one that cannot run
# here, counted as skipped) and ends with `N passed, N failed`; exits 1 on any failure.
#
# 1. units    scripts/install.sh into a prefix of its own; systemd-analyze
#             verify on every installed unit with its hardening drop-in, on a
#             boot-like transaction (ordering cycles); every daxplan command
#             line in the installed units (and in their comments) run through
#             the real CLI over a simulated kernel, so that a unit and the
#             CLI cannot disagree; `systemd-analyze security --offline` for
#             the sandbox settings that must be on, and off.
# 2. udev     udevadm test (udev's own rule engine) on fake dax devices in a
#             private mount namespace: parse errors, which names and actions
#             reach daxplan-apply@.service; `udevadm verify` (254, from
#             bookworm-backports via test/provision.sh) as a lint.
# 3. runtime  systemd-nspawn boots this machine's own /usr with daxplan
#             installed by scripts/install.sh: each unit runs the real CLI
#             (after a probe of its sandbox) over a simulated kernel, in boot
#             order, and the host ends converged; the installed program
#             itself runs in the sandbox against the container's sysfs.
#             Needs root; DAXPLAN_CHECK_NSPAWN=0 skips it.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
UNITS_SRC=$ROOT/contrib/systemd
RULES=$ROOT/contrib/udev/70-daxplan.rules
HARDENING=$UNITS_SRC/daxplan-hardening.conf
SERVICES=(daxplan.service daxplan-apply@.service daxplan-kernel-defaults.service daxplan-watch.service)
# The services that take the shared sandbox as a drop-in (kernel-defaults has its own).
HARDENED=(daxplan.service daxplan-apply@.service daxplan-watch.service)
ALL_UNITS=("${SERVICES[@]}" daxplan-memory.target)
UDEV_VERIFY=${DAXPLAN_UDEV_VERIFY:-/var/cache/daxplan-contrib/udev-verify/udevadm-verify}

passed=0
failed=0
ok() { echo "ok $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
skipped=0
skip() { echo "skip $*"; skipped=$((skipped + 1)); }
indent() { sed 's/^/    /'; }
# Counts the ok/FAIL lines another program printed.
tally() {
  local line
  while IFS= read -r line; do
    case $line in
      ok\ *) ok "${line#ok }" ;;
      FAIL\ *) fail "${line#FAIL }" ;;
      *) echo "$line" ;;
    esac
  done
}
finish() {
  echo "$passed passed, $failed failed$([ "$skipped" -eq 0 ] || echo ", $skipped skipped")"
  [ "$failed" -eq 0 ]
  exit
}

WORK=$(mktemp -d /tmp/daxplan-contrib-check.XXXXXX)
# DAXPLAN_CHECK_KEEP=1 keeps it (container console log, results) for a look.
if [ "${DAXPLAN_CHECK_KEEP:-0}" = 1 ]; then echo "work dir: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

missing=()
for tool in systemd-analyze udevadm unshare node; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  # As root the test run has installed them (test/provision.sh): missing then is a failure.
  if [ "$(id -u)" -eq 0 ]; then fail "tools missing: ${missing[*]} (test/provision.sh installs them)"; else skip "contrib checks: tools missing: ${missing[*]} (as root, test/provision.sh installs them)"; fi
  finish
fi

# The built program: every check below runs it, never a stand-in.
for built in dist/daxplan.cjs dist/daxplan-sim.mjs dist/man/daxplan.8; do
  if ! [ -f "$ROOT/$built" ]; then
    fail "$built is missing: run npm run build first"
    finish
  fi
done
SIM=(node "$ROOT/dist/daxplan-sim.mjs")

# A simulated kernel's tree (the bundled Debian 6.12 host) in DIR/sys, and the
# policy the units run with in DIR: the example's, plus the kernel setting
# daxplan-kernel-defaults.service exists for.
sim_host() {
  local dir=$1
  mkdir -p "$dir"
  cp -a "$ROOT/examples/debian-6.12-qemu/host/sys" "$dir/sys"
  echo '{}' >"$dir/sys/.daxplan-sim.json"
  { cat "$ROOT/examples/debian-6.12-qemu/daxplan.yaml"; printf 'kernel:\n  auto_online_blocks: offline\n'; } >"$dir/daxplan.yaml"
  chmod 0644 "$dir/daxplan.yaml"
}

# ---------------------------------------------------------------------------
# 1. install and units
# ---------------------------------------------------------------------------
# scripts/install.sh as a user runs it, into a prefix of its own: the units
# then name a daxplan that exists, for systemd-analyze verify.
P=$WORK/prefix
U=$WORK/units
unset DESTDIR PREFIX BINDIR LIBDIR MANDIR BASHCOMPDIR SYSTEMDUNITDIR UDEVRULESDIR DAXPLAN_NODE
if PREFIX=$P SYSTEMDUNITDIR=$U UDEVRULESDIR=$WORK/udev "$ROOT/scripts/install.sh" >"$WORK/install.out" 2>&1; then
  missing=()
  for f in "$P/bin/daxplan" "$P/lib/daxplan/daxplan.cjs" "$P/share/man/man8/daxplan.8" "$P/share/man/man5/daxplan.yaml.5" \
    "$P/share/bash-completion/completions/daxplan" "$WORK/udev/70-daxplan.rules" "$U/daxplan-memory.target"; do
    [ -e "$f" ] || missing+=("$f")
  done
  for u in "${SERVICES[@]}"; do [ -e "$U/$u" ] || missing+=("$U/$u"); done
  for u in "${HARDENED[@]}"; do [ -e "$U/$u.d/10-hardening.conf" ] || missing+=("$U/$u.d/10-hardening.conf"); done
  version=$("$P/bin/daxplan" --version 2>&1)
  placeholders=$(grep -l '@bindir@' "$U"/* 2>/dev/null)
  if [ "${#missing[@]}" -eq 0 ] && [ "$version" = "daxplan $(node -p "require('$ROOT/package.json').version")" ] && [ -z "$placeholders" ]; then
    ok "scripts/install.sh: program ($version), ${#SERVICES[@]} services and the target naming $P/bin/daxplan, drop-ins, udev rule, man pages, completion"
  else
    fail "scripts/install.sh: missing ${missing[*]:-nothing}; version '$version'; placeholders left in ${placeholders:-none}"
  fi
else
  fail "scripts/install.sh failed"
  indent <"$WORK/install.out"
  finish
fi

# `verify` prints warnings (unknown keys, bad values) but still exits 0 for
# most of them: a unit passes only with exit 0 and no output at all.
verify() {
  (cd "$U" && systemd-analyze verify --man=no --generators=no "$@") >"$WORK/verify.out" 2>&1
  local rc=$?
  [ "$rc" -eq 0 ] && ! [ -s "$WORK/verify.out" ]
}

for u in "${ALL_UNITS[@]}"; do
  if verify "$U/$u"; then ok "systemd-analyze verify $u (as installed, with drop-ins)"; else
    fail "systemd-analyze verify $u"
    indent <"$WORK/verify.out"
  fi
done
if verify "$U/daxplan-apply@.service" daxplan-apply@dax0.0.service; then ok "systemd-analyze verify daxplan-apply@dax0.0.service (an instance)"; else
  fail "systemd-analyze verify daxplan-apply@dax0.0.service"
  indent <"$WORK/verify.out"
fi

# The check is not vacuous: a bad key in the drop-in must be reported.
N=$WORK/negative
cp -r "$U" "$N"
echo 'ProtectSystemm=strict' >>"$N/daxplan.service.d/10-hardening.conf"
if (cd "$N" && systemd-analyze verify --man=no --generators=no "$N/daxplan.service" 2>&1) | grep -q "Unknown key 'ProtectSystemm'"; then
  ok "systemd-analyze verify reads the hardening drop-in (a typo in it is reported)"
else
  fail "systemd-analyze verify did not report a typo in the drop-in: the unit checks above prove nothing"
fi

# Boot: the kernel defaults, daxplan.service, two instances as udev's coldplug
# would queue them, the watch service, the target and a service ordered after
# it, all in one transaction. An ordering cycle (the deadlock to avoid) fails it.
cat >"$U/boot-check.target" <<'UNIT'
[Unit]
Description=everything a boot with two dax devices starts
Wants=daxplan-kernel-defaults.service daxplan.service daxplan-apply@dax0.0.service daxplan-apply@dax1.0.service
Wants=daxplan-watch.service daxplan-memory.target boot-check-hungry.service
UNIT
cat >"$U/boot-check-hungry.service" <<'UNIT'
[Unit]
Description=a memory-hungry service, declared as contrib/README.md says
Wants=daxplan-memory.target
After=daxplan-memory.target
[Service]
ExecStart=/bin/true
UNIT
if verify "$U/boot-check.target" "$U/boot-check-hungry.service"; then ok "systemd-analyze verify: boot transaction (kernel defaults + daxplan.service + 2 instances + watch + target + dependent service) has no ordering cycle"; else
  fail "systemd-analyze verify: boot transaction"
  indent <"$WORK/verify.out"
fi

# Every command line of every installed unit, and those its comments tell the
# reader to use, run through the real daxplan CLI (over a simulated kernel,
# instance dax0.0, the policy given with --config: as root daxplan reads only
# that or /etc/daxplan/daxplan.yaml, which this check leaves alone):
# a flag the CLI does not take fails here. watch must start, and stop cleanly
# on SIGTERM.
H=$WORK/host
sim_host "$H"
grep -hoE '^(#[[:space:]]+)?ExecStart=/[^ ]+/daxplan .*' "$U"/*.service | sed -E 's/^#[[:space:]]+//' | sort -u >"$WORK/commands"
while IFS= read -r line; do
  args=${line#ExecStart=*/daxplan }
  args=${args//%i/dax0.0}
  mapfile -d '' -t argv < <(printf '%s' "$args" | xargs printf '%s\0')
  if [ "${argv[0]}" = watch ]; then
    (cd "$H" && exec timeout --preserve-status -s TERM 3 "${SIM[@]}" "${argv[@]}" --sysfs-root "$H/sys" --config "$H/daxplan.yaml") >"$WORK/run.out" 2>&1
  else
    (cd "$H" && exec "${SIM[@]}" "${argv[@]}" --sysfs-root "$H/sys" --config "$H/daxplan.yaml") >"$WORK/run.out" 2>&1
  fi
  rc=$?
  if [ "$rc" -eq 0 ] && { [ "${argv[0]}" != watch ] || grep -q 'daxplan watch: SIGTERM: stopped' "$WORK/run.out"; }; then ok "daxplan takes what the units run: daxplan $args"; else
    fail "daxplan $args (from the installed units) exited $rc"
    tail -5 "$WORK/run.out" | indent
  fi
done <"$WORK/commands"
n=$(wc -l <"$WORK/commands")
[ "$n" -ge 5 ] || fail "found only $n daxplan command lines in the installed units"
if "${SIM[@]}" status --sysfs-root "$H/sys" | grep -qE '^dax2\.0 +online_movable' && [ "$(cat "$H/sys/devices/system/memory/auto_online_blocks")" = offline ]; then
  ok "the units' commands converged the simulated host (dax2.0 online_movable, auto_online_blocks=offline)"
else
  fail "the units' commands left the simulated host unconverged"
  "${SIM[@]}" status --sysfs-root "$H/sys" 2>&1 | indent
fi

# %i (and %I, %j, %J, the other instance specifiers) may appear only in
# Description= and as the value of --device, in any file of any unit.
leaks=$(grep -nE '%[iIjJ]' "$UNITS_SRC"/*.service "$UNITS_SRC"/*.target "$HARDENING" |
  grep -vE ':[0-9]+:[[:space:]]*#' |
  grep -vE ':[0-9]+:Description=' |
  sed -E 's/ --device %i( |$)/ --device ARG\1/' |
  grep -E '%[iIjJ]')
devices=$(grep -E '^ExecStart=' "$UNITS_SRC/daxplan-apply@.service" | grep -oE -- '--device %i' | wc -l)
if [ -z "$leaks" ] && [ "$devices" -eq 1 ]; then ok "the instance name (%i) reaches daxplan only as \`--device %i\`"; else
  fail "instance specifier used elsewhere than \`--device %i\` ($devices --device %i)"
  echo "$leaks" | indent
fi

# The shared sandbox as systemd itself reads it (unit + drop-in).
for u in "${HARDENED[@]}"; do
  if ! systemd-analyze security --offline=yes --json=short "$U/$u" >"$WORK/sec.json" 2>"$WORK/sec.err"; then
    fail "systemd-analyze security --offline $u"
    indent <"$WORK/sec.err"
    continue
  fi
  systemd-analyze security --offline=yes --threshold=30 "$U/$u" >"$WORK/sec.txt" 2>&1
  threshold_rc=$?
  exposure=$(grep -oE 'Overall exposure level for [^:]+: [0-9.]+' "$WORK/sec.txt" | grep -oE '[0-9.]+$')
  node - "$WORK/sec.json" <<'EOF' >"$WORK/sec.result"
const rows = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const byName = new Map(rows.map((r) => [r.name, r]));
const on = ['ProtectSystem=', 'PrivateTmp=', 'PrivateDevices=', 'IPAddressDeny=', 'NoNewPrivileges=',
  'LockPersonality=', 'RestrictRealtime=', 'RestrictSUIDSGID=', 'ProtectKernelLogs=', 'ProtectControlGroups=',
  'ProtectClock=', 'ProtectHostname=', 'SystemCallArchitectures=', 'RestrictNamespaces=~user', 'RestrictNamespaces=~mnt',
  'RestrictAddressFamilies=~AF_(INET|INET6)', 'RestrictAddressFamilies=~AF_NETLINK', 'RestrictAddressFamilies=~AF_PACKET',
  'CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)', 'CapabilityBoundingSet=~CAP_NET_ADMIN',
  'CapabilityBoundingSet=~CAP_SYS_PTRACE', 'CapabilityBoundingSet=~CAP_SYS_BOOT', 'CapabilityBoundingSet=~CAP_SYS_RAWIO',
  'AmbientCapabilities=', 'SystemCallFilter=~@mount', 'SystemCallFilter=~@raw-io', 'SystemCallFilter=~@reboot'];
// Deliberately off (see contrib/systemd/daxplan-hardening.conf).
const off = ['ProtectKernelTunables=', 'MemoryDenyWriteExecute=', 'ProtectKernelModules=', 'PrivateNetwork=',
  'CapabilityBoundingSet=~CAP_SYS_ADMIN', 'CapabilityBoundingSet=~CAP_SYS_MODULE'];
const bad = [];
for (const n of on) if (byName.get(n)?.set !== true) bad.push(`${n} should be on`);
for (const n of off) if (byName.get(n)?.set !== false) bad.push(`${n} should be off`);
if (!/strict/.test(byName.get('ProtectSystem=')?.description ?? '')) bad.push('ProtectSystem= is not strict');
// ProtectHome=tmpfs (see the drop-in) counts as partial: "fake empty home directories".
if (!/no access|fake empty/.test(byName.get('ProtectHome=')?.description ?? '')) bad.push('ProtectHome= is neither yes nor tmpfs');
console.log(bad.length ? bad.join('; ') : `${on.length} settings on, ProtectHome=tmpfs; ${off.map((n) => n.replace(/=.*?~?/, '=')).join(', ')} off`);
process.exit(bad.length ? 1 : 0);
EOF
  settings_rc=$?
  if [ "$settings_rc" -eq 0 ] && [ "$threshold_rc" -eq 0 ]; then ok "systemd-analyze security $u: exposure $exposure (threshold 3.0), $(cat "$WORK/sec.result")"; else
    fail "systemd-analyze security $u: exposure $exposure (threshold 3.0, rc $threshold_rc): $(cat "$WORK/sec.result")"
  fi
done

# ---------------------------------------------------------------------------
# 2. udev
# ---------------------------------------------------------------------------
if grep -vE '^[[:space:]]*(#|$)' "$RULES" | grep -qE '\bRUN\{?[a-z]*\}?\+?='; then fail "70-daxplan.rules must not RUN anything"; else ok "70-daxplan.rules runs no program (no RUN)"; fi

# udev-sim.sh mounts over /sys and the rules directories: only ever in a
# private mount namespace.
udev_sim() { unshare -m --propagation private "$HERE/udev-sim.sh" "$@"; }

udev_sim "$RULES" add:dax:dax0.0 >"$WORK/udev.out" 2>"$WORK/udev.err"
rc=$?
if [ "$rc" -eq 0 ] && ! grep -q '^DIAG' "$WORK/udev.err" && grep -q '^add dax dax0.0 0 ' "$WORK/udev.out"; then
  ok "udevadm test $(udevadm --version) parses 70-daxplan.rules without a diagnostic"
else
  fail "udevadm test on 70-daxplan.rules (rc $rc)"
  cat "$WORK/udev.out" "$WORK/udev.err" | tail -20 | indent
fi

# ... and would report one: a broken copy must produce a diagnostic.
sed 's/^ACTION!="add"/ACTION="add"/' "$RULES" >"$WORK/70-daxplan.rules"
if udev_sim "$WORK/70-daxplan.rules" add:dax:dax0.0 2>&1 >/dev/null | grep -q '^DIAG'; then
  ok "udevadm test reports a broken copy of the rule (the parse check above is real)"
else
  fail "udevadm test did not report a broken rule: the parse check proves nothing"
fi

# Which kernel names reach the unit: exactly those matching ^dax[0-9]+\.[0-9]+$
# (the regex daxplan applies to --device), and only on "add" of a "dax" device.
names=(dax0.0 dax1.0 dax12.345 dax007.1 dax0 dax0. dax.0 dax. dax0.0.0 dax0..1 dax0x.1 dax0.1x daxa.0 xdax0.0 dax-1.0 dax1.2-3 dax0.0a dax0_0 Dax0.0)
cases=()
for n in "${names[@]}"; do cases+=("add:dax:$n"); done
for a in change bind unbind remove move online offline; do cases+=("$a:dax:dax0.0"); done
cases+=(add:platform:dax0.0 add:dax_region:dax0.0 add:nd:dax0.0 add:memory:dax0.0)
udev_sim "$RULES" "${cases[@]}" >"$WORK/udev.out" 2>"$WORK/udev.err"
mapfile -t results <"$WORK/udev.out" # one line per case, in order
regex='^dax[0-9]+\.[0-9]+$'
for i in "${!cases[@]}"; do
  IFS=: read -r action subsystem name <<<"${cases[$i]}"
  line=${results[$i]:-}
  read -r r_action r_subsystem r_name r_rc r_tags r_wants <<<"$line"
  if [ "$r_action $r_subsystem $r_name $r_rc" != "$action $subsystem $name 0" ]; then
    fail "udev $action $subsystem '$name': udevadm test failed or out of step: '$line'"
    continue
  fi
  if [ "$action" = add ] && [ "$subsystem" = dax ] && [[ $name =~ $regex ]]; then
    want="daxplan-apply@$name.service"
    if [ "$r_wants" = "SYSTEMD_WANTS=$want" ] && [[ $r_tags == *:systemd:* ]]; then ok "udev $action $subsystem '$name' -> $want (tagged systemd)"; else fail "udev $action $subsystem '$name': want $want, got '$line'"; fi
  else
    if [ "$r_wants" = "SYSTEMD_WANTS=" ] && [ "$r_tags" = "TAGS=" ]; then ok "udev $action $subsystem '$name' -> nothing"; else fail "udev $action $subsystem '$name': want nothing, got '$line'"; fi
  fi
done
if grep -q '^DIAG' "$WORK/udev.err"; then
  fail "udevadm test printed diagnostics for the rule"
  indent <"$WORK/udev.err"
fi

# udevadm verify (systemd 254+) as a lint, when test/provision.sh could unpack it.
if [ -x "$UDEV_VERIFY" ]; then
  if "$UDEV_VERIFY" "$RULES" >"$WORK/uv.out" 2>&1; then ok "udevadm verify (254, bookworm-backports) 70-daxplan.rules"; else
    fail "udevadm verify 70-daxplan.rules"
    indent <"$WORK/uv.out"
  fi
else
  skip "udevadm verify: $UDEV_VERIFY missing (test/provision.sh could not fetch it)"
fi

# ---------------------------------------------------------------------------
# 3. runtime: the units for real, in a container booted from this machine's /usr
# ---------------------------------------------------------------------------
runtime() {
  local rt=$WORK/rt bus kernel devices console=$WORK/rt/console.log
  mkdir -p "$rt/opt" "$rt/out" "$rt/etc-daxplan" "$rt/fake/devices" "$rt/fake/bus" "$rt/fake/kernel" "$rt/system"
  # Installed by scripts/install.sh, as a host gets it (PREFIX=/usr/local,
  # units in /usr/lib/systemd/system): the container gets that /usr/local,
  # and the units with their drop-ins (seen in /etc/systemd/system, not to
  # hide the host's own units). /usr/local/bin/daxplan, install.sh's symlink,
  # becomes daxplan-wrapper.sh: the unit's sandbox probed, then the real CLI.
  if ! DESTDIR=$rt/root PREFIX=/usr/local "$ROOT/scripts/install.sh" >"$rt/install.out" 2>&1; then
    fail "runtime: scripts/install.sh into $rt/root"
    indent <"$rt/install.out"
    return
  fi
  cp -r "$rt/root/usr/lib/systemd/system/." "$rt/system/"
  cp "$HERE"/runtime/*.target "$HERE"/runtime/*.service "$rt/system/"
  mkdir -p "$rt/system/daxplan-check-smoke.service.d"
  cp "$HARDENING" "$rt/system/daxplan-check-smoke.service.d/10-hardening.conf"
  install -m 755 "$HERE/runtime/daxplan-wrapper.sh" "$rt/root/usr/local/bin/daxplan.wrapper"
  mv -f "$rt/root/usr/local/bin/daxplan.wrapper" "$rt/root/usr/local/bin/daxplan"
  [ ! -f "$rt/root/usr/local/lib/daxplan/daxplan.cache" ] || touch "$rt/out/expect-code-cache"
  cp "$HERE/runtime/collect.sh" "$HERE/runtime/setup.sh" "$HERE/runtime/probe.mjs" "$rt/opt/"
  sim_host "$rt/opt/host"
  mv "$rt/opt/host/daxplan.yaml" "$rt/etc-daxplan/daxplan.yaml"
  # Writable stand-ins that setup.sh mounts inside the container over
  # directories every memory-hotplug kernel has: one under /sys/devices and
  # one under /sys/bus (the sandbox must leave them writable) and
  # /sys/kernel/mm (it must not).
  devices=/sys/devices/system/memory
  bus=/sys/bus/memory
  kernel=/sys/kernel/mm
  for d in $devices $bus $kernel; do
    [ -d "$d" ] || { skip "runtime: this kernel has no $d"; return; }
  done
  # The installed daxplan looks at the container's real /sys, which must be a host daxplan can read.
  [ -d /sys/bus/dax/devices ] || { skip "runtime: this kernel has no dax bus (/sys/bus/dax/devices): daxplan on its /sys exits 66"; return; }
  printf '{"devices":"%s","bus":"%s","kernel":"%s"}\n' "$devices" "$bus" "$kernel" >"$rt/opt/targets.json"

  timeout 240 systemd-nspawn --quiet --directory=/ --volatile=yes --register=no --keep-unit \
    --private-network --machine="daxplan-check-$$" \
    --bind-ro="$rt/system:/etc/systemd/system" \
    --bind-ro="$rt/root/usr/local:/usr/local" \
    --bind-ro="$rt/opt:/opt/daxplan-check" \
    --bind-ro="$rt/etc-daxplan:/etc/daxplan" \
    --bind-ro="$ROOT:/opt/daxplan-src" \
    --bind="$rt/out:/out" \
    --bind="$rt/fake:/fake" \
    --boot --console=pipe -- systemd.unit=daxplan-check.target \
    </dev/null >"$console" 2>&1
  local rc=$?
  if ! [ -e "$rt/out/done" ]; then
    fail "runtime: the test container did not finish (systemd-nspawn rc $rc)"
    tail -30 "$console" | indent
    return
  fi
  ok "runtime: container booted systemd $(systemctl --version | head -1 | awk '{print $2}') with the installed units and finished"
  node "$HERE/runtime/evaluate.mjs" "$rt/out" >"$rt/evaluate.out" 2>&1 || fail "runtime: evaluate.mjs crashed"
  tally <"$rt/evaluate.out"
  if [ "$failed" -gt 0 ]; then
    echo "    collect.log / smoke.log / units / journal:"
    cat "$rt/out/collect.log" "$rt/out/smoke.log" "$rt/out/units.txt" "$rt/out/journal.txt" 2>/dev/null | tail -60 | indent
  fi
}

if [ "${DAXPLAN_CHECK_NSPAWN:-1}" = 0 ]; then
  skip "runtime: DAXPLAN_CHECK_NSPAWN=0"
elif [ "$(id -u)" -ne 0 ]; then
  skip "runtime: needs root (systemd-nspawn)"
elif ! command -v systemd-nspawn >/dev/null 2>&1; then
  fail "runtime: systemd-nspawn missing (test/provision.sh installs it)"
else
  runtime
fi

finish
