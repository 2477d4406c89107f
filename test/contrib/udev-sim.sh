#!/usr/bin/env bash
# Runs udev's real rule engine (udevadm test, systemd 252) on RULES_FILE for
# fake dax devices, without touching the host: call it inside a private mount
# namespace (`unshare -m --propagation private`, as check.sh does). It hides
# /sys, the udev rules directories and /run/udev behind tmpfs mounts, builds a
# device directory per case, and prints one line per case:
#   <action> <subsystem> <name> <rc> TAGS=<...> SYSTEMD_WANTS=<...>
# and the rules file's own diagnostics (lines naming it) on stderr as
#   DIAG <message>
# Usage: udev-sim.sh RULES_FILE CASE...   where CASE is ACTION:SUBSYSTEM:NAME
set -euo pipefail
rules=$1
shift
# Refuse to run where the mounts below would hit the host.
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] || {
  echo "udev-sim.sh: run me in a private mount namespace (unshare -m)" >&2
  exit 2
}

mount -t tmpfs daxplan-fake-sysfs /sys
mkdir -p /run/udev
mount -t tmpfs daxplan-fake-run-udev /run/udev
for d in /etc/udev/rules.d /run/udev/rules.d /usr/local/lib/udev/rules.d /usr/lib/udev/rules.d /lib/udev/rules.d; do
  if [ -d "$d" ]; then mount -t tmpfs daxplan-no-rules "$d"; fi
done
mkdir -p /etc/udev/rules.d
cp "$rules" /etc/udev/rules.d/
base=$(basename "$rules")

for c in "$@"; do
  IFS=: read -r action subsystem name <<<"$c"
  dev=/sys/devices/platform/hmem.0/$name
  mkdir -p "/sys/bus/$subsystem/devices" "$dev"
  ln -sfn "../../../bus/$subsystem" "$dev/subsystem"
  printf 'MODALIAS=dax:t0\n' >"$dev/uevent"
  # sd-device refuses a /sys that is not sysfs unless told this is a test.
  set +e
  SYSTEMD_DEVICE_VERIFY_SYSFS=0 SYSTEMD_LOG_LEVEL=debug udevadm test --action="$action" "$dev" >/tmp/udev-sim.out 2>/tmp/udev-sim.err
  rc=$?
  set -e
  tags=$(sed -n 's/^TAGS=//p' /tmp/udev-sim.out)
  wants=$(sed -n 's/^SYSTEMD_WANTS=//p' /tmp/udev-sim.out)
  echo "$action $subsystem $name $rc TAGS=$tags SYSTEMD_WANTS=$wants"
  grep -F "$base:" /tmp/udev-sim.err | sed 's/^/DIAG /' >&2 || true
  rm -rf "$dev" /run/udev/data
done
