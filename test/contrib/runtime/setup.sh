#!/bin/sh
# Runs unsandboxed in the test container before the units under test
# (daxplan-check-setup.service): mounts writable stand-ins from /fake over
# three sysfs directories listed in /opt/daxplan-check/targets.json. It has to
# happen here, not with systemd-nspawn --bind: nspawn mounts its own /sys
# subtrees over such binds. Also leaves a decoy policy in /.
set -e
for kind in devices bus kernel; do
  dir=$(sed -nE "s/.*\"$kind\":\"([^\"]+)\".*/\1/p" /opt/daxplan-check/targets.json)
  mount --bind "/fake/$kind" "$dir"
  echo probe >"$dir/probe" # writable outside the sandbox
done
# A decoy policy where the search from / would find it first: the units must
# find /etc/daxplan/daxplan.yaml (WorkingDirectory=) and never read this.
printf 'version: [not a policy\n' >/daxplan.yaml
