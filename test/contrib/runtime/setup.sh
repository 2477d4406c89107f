#!/bin/sh
# Runs unsandboxed in the test container before any daxplan unit, early at
# boot (daxplan-check-setup.service):
#  - the host daxplan manages: a copy of a simulated kernel's tree (check.sh
#    put it in /opt/daxplan-check/host) in /run/daxplan/check-host, where
#    every daxplan unit's sandbox may write;
#  - writable stand-ins from /fake mounted over three sysfs directories listed
#    in /opt/daxplan-check/targets.json, for probe.mjs to test the sandbox on
#    (here, not with systemd-nspawn --bind: nspawn mounts its own /sys
#    subtrees over such binds); the memory one keeps an auto_online_blocks,
#    which daxplan-kernel-defaults.service's condition looks for;
#  - a decoy policy in /: the units must find /etc/daxplan/daxplan.yaml
#    (WorkingDirectory=) and never read it;
#  - node_exporter's textfile directory and NFD's features.d, for the
#    signals the units write ($DAXPLAN_SIGNALS).
set -e
mkdir -p /run/daxplan
cp -a /opt/daxplan-check/host /run/daxplan/check-host
for kind in devices bus kernel; do
	dir=$(sed -nE "s/.*\"$kind\":\"([^\"]+)\".*/\1/p" /opt/daxplan-check/targets.json)
	[ "$kind" != devices ] || cat "$dir/auto_online_blocks" >/fake/devices/auto_online_blocks
	mount --bind "/fake/$kind" "$dir"
	echo probe >"$dir/probe" # writable outside the sandbox
done
printf 'version: [not a policy\n' >/daxplan.yaml
mkdir -p /var/lib/prometheus/node-exporter /etc/kubernetes/node-feature-discovery/features.d
