#!/bin/sh
# kernels: 6.12
# append: memory_hotplug.online_policy=auto-movable
# auto-movable: Debian's 6.12 booted with memory_hotplug.online_policy=auto-movable
# (auto_online_blocks is `online` there): the kernel picks the zone of memory
# onlined with plain `online` by auto_movable_ratio, per node too
# (auto_movable_numa_aware). daxplan must land every device where the policy
# says, whatever the kernel would have picked.
#  1. status --format json shows the memory_hotplug parameters as sysfs has
#     them; doctor reports kernel.online_policy as a warning (the kernel
#     onlines with plain `online` at the bind);
#  2. one policy: dax0.0 (node 1, which has 1 GiB of boot memory: the kernel
#     would pick ZONE_MOVABLE for it) online, i.e. ZONE_NORMAL; dax1.0 and
#     dax2.0 (node 2, no boot memory: the kernel would pick ZONE_NORMAL)
#     online_movable. apply exits 0, every block is in the zone the policy
#     names, and a plan afterwards is empty;
#  3. the kernel's own choice, for the record and the model: dax3.0 (node 2)
#     bound to kmem by hand, auto-onlined with plain `online`, lands in
#     ZONE_NORMAL (a node with no boot-time kernel memory gets no ZONE_MOVABLE
#     under auto_movable_numa_aware), and daxplan status reads it as online.
. /guest/lib.sh
[ -f /daxplan/daxplan.cjs ] || fail "no /daxplan/daxplan.cjs: run npm run build before the VM tests"
cd /tmp
P=/sys/module/memory_hotplug/parameters
for f in online_policy auto_movable_ratio auto_movable_numa_aware memmap_on_memory; do echo "$f=$(cat $P/$f 2>&1)"; done
echo "auto_online_blocks=$(cat $MEM/auto_online_blocks)"
[ "$(cat $P/online_policy)" = auto-movable ] || fail "online_policy reads $(cat $P/online_policy), expected auto-movable"
for d in dax0.0 dax1.0 dax2.0 dax3.0; do describe $d; done

dp status
dp status --format json >/tmp/status.json || fail "status --format json exited $?"
got=$(js /tmp/status.json 'JSON.stringify(d.kernel.memory_hotplug)')
want="{\"online_policy\":\"auto-movable\",\"auto_movable_ratio\":$(cat $P/auto_movable_ratio),\"auto_movable_numa_aware\":$([ "$(cat $P/auto_movable_numa_aware)" = Y ] && echo true || echo false)"
case $got in "$want",*) ;; *) fail "status says memory_hotplug $got; sysfs: $want,..." ;; esac
dp doctor --format json >/tmp/doctor.json
found=$(js /tmp/doctor.json '(d.findings.find(f => f.id === "kernel.online_policy") || {}).severity')
[ "$found" = warning ] || fail "doctor: kernel.online_policy is '$found', expected a warning (auto_online_blocks=$(cat $MEM/auto_online_blocks))"

cat >/tmp/zones.yaml <<'Y'
version: 1
rules:
  - name: near-kernel
    match: { device: dax0.0 }
    state: online
  - name: far-movable
    match: { device: [dax1.0, dax2.0] }
    state: online_movable
Y
dp_apply /tmp/zones.yaml; rc=$?
for d in dax0.0 dax1.0 dax2.0; do describe $d; done
[ $rc = 0 ] || fail "apply exited $rc"
blocks_are dax0.0 online Normal || fail "dax0.0 is not all online in ZONE_NORMAL, as the policy says"
blocks_are dax1.0 online Movable || fail "dax1.0 is not all online in ZONE_MOVABLE, as the policy says"
blocks_are dax2.0 online Movable || fail "dax2.0 is not all online in ZONE_MOVABLE, as the policy says"
dp plan -c /tmp/zones.yaml --detailed-exitcode || fail "plan after apply is not empty (exit $?)"

bind_kmem dax3.0
describe dax3.0
echo "PROBE plain online under auto-movable (auto_online_blocks=$(cat $MEM/auto_online_blocks)) put dax3.0 (node 2) in: $(describe dax3.0 | sed 's/.*blocks://')"
blocks_are dax3.0 online Normal || fail "the kernel's own choice for dax3.0 (node 2, no boot memory) was not ZONE_NORMAL"
dp status --format json >/tmp/status2.json
st=$(js /tmp/status2.json '(d.devices.find(x => x.name === "dax3.0") || {}).state')
[ "$st" = online ] || fail "status reads dax3.0 as $st, expected online"
ok
