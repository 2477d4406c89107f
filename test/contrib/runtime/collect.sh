#!/bin/sh
# Runs unsandboxed in the test container once the units under test are done
# (daxplan-check-collect.service); check.sh reads /out afterwards.
out=/out
mkdir -p "$out/show"
show() {
  systemctl show -p Id,LoadState,ActiveState,SubState,Result,ExecMainStatus,ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic,ActiveEnterTimestampMonotonic,InactiveExitTimestampMonotonic "$1" >"$out/show/$2"
}

# Instances with names udev would never pass: what reaches daxplan's argv?
systemctl start 'daxplan-apply@not-a-dax.service'
systemctl start 'daxplan-apply@dax0.0\x20--config\x20evil.service'

# The watch stub writes its probe once it runs.
i=0
while [ ! -e /var/lib/daxplan/probe/schedule-all.json ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

for u in daxplan.service daxplan-apply@dax0.0.service daxplan-apply@dax1.0.service \
  daxplan-memory.target daxplan-watch.service daxplan-check-hungry.service daxplan-check-smoke.service \
  daxplan-apply@not-a-dax.service; do
  show "$u" "$u"
done
# /run/daxplan outlives the instances that created it (RuntimeDirectoryPreserve=yes).
if [ -d /run/daxplan ]; then echo yes; else echo no; fi >"$out/run-daxplan-kept"

systemctl stop daxplan-watch.service
show daxplan-watch.service stopped-daxplan-watch.service

# The container's own network namespace, which every daxplan unit must share.
readlink /proc/self/ns/net >"$out/netns"
cp -r /var/lib/daxplan/probe "$out/probe"
systemctl --no-pager --all list-units 'daxplan*' >"$out/units.txt" 2>&1
touch "$out/done"
systemctl --no-block poweroff
