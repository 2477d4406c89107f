#!/bin/sh
# Runs unsandboxed in the test container once the units under test are done
# (daxplan-check-collect.service); check.sh reads /out afterwards.
out=/out
mkdir -p "$out/show"
show() {
  systemctl show -p Id,LoadState,ActiveState,SubState,Result,ExecMainStatus,NRestarts,ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic,ActiveEnterTimestampMonotonic,InactiveExitTimestampMonotonic "$1" >"$out/show/$2"
}

# Instances with names udev would never pass: what reaches daxplan's argv,
# and what daxplan makes of it?
systemctl start 'daxplan-apply@not-a-dax.service'
systemctl start 'daxplan-apply@dax0.0\x20--config\x20evil.service'

# What daxplan.timer starts, once, now.
systemctl start daxplan-schedule.service

# The watch unit is up once daxplan has said so in its log.
i=0
while ! journalctl -u daxplan-watch.service -o cat 2>/dev/null | grep -q '^daxplan watch: ' && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

for u in daxplan-kernel-defaults.service daxplan.service daxplan-apply@dax0.0.service daxplan-apply@dax1.0.service \
  daxplan-memory.target daxplan-watch.service daxplan-check-hungry.service daxplan-check-smoke.service \
  kubelet.service daxplan.timer daxplan-schedule.service \
  daxplan-apply@not-a-dax.service 'daxplan-apply@dax0.0\x20--config\x20evil.service'; do
  show "$u" "$u"
done
# /run/daxplan outlives the instances that created it (RuntimeDirectoryPreserve=yes).
if [ -d /run/daxplan ]; then echo yes; else echo no; fi >"$out/run-daxplan-kept"

systemctl stop daxplan-watch.service
show daxplan-watch.service stopped-daxplan-watch.service

journalctl -o cat -u 'daxplan*' >"$out/journal.txt" 2>&1
# What an operator looking for failed runs finds: the lines daxplan marked <3>.
journalctl -o cat -t daxplan -p err >"$out/journal-err.txt" 2>&1
cp /var/lib/prometheus/node-exporter/daxplan.prom "$out/daxplan.prom" 2>/dev/null
cp /etc/kubernetes/node-feature-discovery/features.d/daxplan "$out/features" 2>/dev/null
ls -A /var/lib/prometheus/node-exporter /etc/kubernetes/node-feature-discovery/features.d >"$out/signal-dirs.txt" 2>&1
node /opt/daxplan-src/dist/daxplan-sim.mjs status --format json --sysfs-root /run/daxplan/check-host/sys >"$out/final-status.json" 2>&1
cat /run/daxplan/check-host/sys/devices/system/memory/auto_online_blocks >"$out/final-auto-online" 2>&1
# The container's own network namespace, which every daxplan unit must share.
readlink /proc/self/ns/net >"$out/netns"
cp -r /run/daxplan/probe "$out/probe"
systemctl --no-pager --all list-units 'daxplan*' >"$out/units.txt" 2>&1
touch "$out/done"
systemctl --no-block poweroff
