#!/usr/bin/env bash
# What the test run needs from the system, installed by the test run itself
# (test/run.mjs calls this first): idempotent, and a no-op (no apt call at all)
# when everything is already there. Prints what it installs. As another user
# than root it installs nothing and says what is missing; the checks that need
# it then report skipped with the reason.
#   systemd            systemd-analyze (verify, security --offline)
#   udev               udevadm test: udev's own rule engine (Debian 12: 252)
#   systemd-container  systemd-nspawn: boots the units for real in a container
#   util-linux         unshare (essential; listed for completeness)
#   groff-base         groff: the unit tests render the generated man pages
#   lintian            lints the Debian package `make deb` builds (test/contrib/deb.sh)
#   ansible-core       ansible-playbook: test/ansible/run.ts plays contrib/ansible
# Also fetches, without installing it, udevadm (254+) from bookworm-backports for
# its `udevadm verify` (252 has none), unpacked under $UDEV_VERIFY_DIR: the
# host's systemd is left alone. That part only warns when it cannot be had;
# check.sh then reports the lint as skipped.
set -euo pipefail
MIRROR_SH=$(cd "$(dirname "$0")/../scripts" && pwd)/debian-mirror.sh

UDEV_VERIFY_DIR=${DAXPLAN_UDEV_VERIFY_DIR:-/var/cache/daxplan-contrib/udev-verify}

need=()
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v udevadm >/dev/null 2>&1 || need+=(udev)
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v groff >/dev/null 2>&1 || need+=(groff-base)
command -v lintian >/dev/null 2>&1 || need+=(lintian)
command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible-core)

updated=
apt_update() {
  [ -n "$updated" ] || apt-get update -qq -o DPkg::Lock::Timeout=600
  updated=1
}

if [ "$(id -u)" -ne 0 ]; then
  [ "${#need[@]}" -eq 0 ] || echo "provision: not root, nothing installed; missing: ${need[*]} (the checks that need them report skipped)"
  exit 0
fi

if [ "${#need[@]}" -gt 0 ]; then
  echo "provision: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_update
  # Waits for another apt run (a VM suite fetching its packages) instead of failing.
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
fi

# udevadm verify: the backports build of udev and its libsystemd-shared,
# unpacked. Rerun only when missing.
if ! [ -x "$UDEV_VERIFY_DIR/udevadm-verify" ]; then
  (
    set -e
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/lists/partial"
    echo "deb $(sh "$MIRROR_SH") bookworm-backports main" >"$tmp/sources.list"
    # A private sources list and package index: nothing of the host's apt
    # configuration changes.
    opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=- -o "Dir::State::Lists=$tmp/lists" -o APT::Sandbox::User=root)
    apt-get "${opts[@]}" update -qq
    cd "$tmp"
    apt-get "${opts[@]}" download -qq udev/bookworm-backports libsystemd-shared/bookworm-backports
    rm -rf "$UDEV_VERIFY_DIR"
    mkdir -p "$UDEV_VERIFY_DIR"
    for deb in ./*.deb; do dpkg-deb -x "$deb" "$UDEV_VERIFY_DIR/root"; done
    cat >"$UDEV_VERIFY_DIR/udevadm-verify" <<WRAP
#!/bin/sh
# udevadm from bookworm-backports, unpacked by test/provision.sh
exec env LD_LIBRARY_PATH="$UDEV_VERIFY_DIR/root/usr/lib/x86_64-linux-gnu/systemd" "$UDEV_VERIFY_DIR/root/bin/udevadm" verify "\$@"
WRAP
    chmod +x "$UDEV_VERIFY_DIR/udevadm-verify"
    "$UDEV_VERIFY_DIR/udevadm-verify" --help >/dev/null
    echo "provision: unpacked udevadm verify (bookworm-backports) in $UDEV_VERIFY_DIR"
  ) || echo "provision: warning: could not unpack udevadm from bookworm-backports; check.sh will skip \`udevadm verify\`" >&2
fi
echo "provision: ok"
