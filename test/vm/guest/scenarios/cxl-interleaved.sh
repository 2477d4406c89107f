#!/bin/sh
# machines: cxl
# append: memhp_default_state=offline
# cxl-interleaved: one RAM region interleaved 2 ways over both type 3 devices
# (serials 0x1234abcd and 0x5678ef01 under one host bridge), as real
# deployments build it. Booted with memhp_default_state=offline: the region's
# one dax device arrives bound to kmem with its 2 GiB offline.
#  1. sysfs is captured and sent to the host (test/vm/checks/cxl-interleaved.ts
#     checks it and, with DAXPLAN_VM_UPDATE_FIXTURES=1, makes it
#     test/fixtures/real-cxl-7.3/interleaved);
#  2. `daxplan status --format json` shows interleave_ways 2 and both memdevs
#     in interleave order;
#  3. `match: { serial: 0x1234abcd }` (memdevs: all, the default) does not
#     select a region that also holds 0x5678ef01: the plan has no change;
#  4. `match: { serial: [both], memdevs: all }`, online_movable: apply exits 0,
#     `state` reads online_movable, 16 blocks online Movable; a plan
#     afterwards is empty;
#  5. `match: { serial: 0x5678ef01, memdevs: any }`, unplug: apply exits 0,
#     `state` reads unplugged, no blocks, kmem still bound, MemTotal back.
# Lines for the check: CMDLINE, HOW <dev> <text>.
. /guest/lib.sh
. /guest/cxl.sh
[ -f /daxplan/daxplan.cjs ] || fail "no /daxplan/daxplan.cjs: run npm run build before the VM tests"
cd /tmp
echo "CMDLINE $(cat /proc/cmdline)"
mem0=$(mem_total_kb)
cxl_interleaved_region
d=$DAX
[ "$(kmem_state $d)" = offline ] || fail "$d arrived with state $(kmem_state $d), expected offline (memhp_default_state=offline)"
[ "$(zones $d)" = "16 offline/Normal,Movable" ] || echo "note: $d arrived with blocks $(zones $d)"
echo "HOW $d cxl create-region -m -t ram -d decoder0.0 -w 2 -g 256 $(cxl_memdev $SERIAL_A) $(cxl_memdev $SERIAL_B); kmem bound it, memory offline (memhp_default_state=offline)"

cxl_capture

dp status --format json >/tmp/s0.json || fail "status --format json exited $?"
dp status
got=$(js /tmp/s0.json "(c => c ? c.interleave_ways + ' ' + c.memdevs.map(m => BigInt(m.serial).toString(16)).join(',') : 'none')((d.devices.find(x => x.name === '$d') || {}).cxl)")
[ "$got" = "2 1234abcd,5678ef01" ] || fail "status says of $d: $got; expected interleave_ways 2 and memdevs 0x1234abcd,0x5678ef01 in order"

cat >/tmp/one-of-all.yaml <<'P'
version: 1
rules:
  - name: only-a
    match: { serial: 0x1234abcd }
    state: online_movable
P
cat >/tmp/all.yaml <<'P'
version: 1
rules:
  - name: both-expanders
    match: { serial: [0x1234abcd, "0x5678ef01"], memdevs: all }
    state: online_movable
P
cat >/tmp/any.yaml <<'P'
version: 1
rules:
  - name: either-expander
    match: { serial: 0x5678ef01, memdevs: any }
    state: unplug
P

dp plan -c /tmp/one-of-all.yaml --detailed-exitcode; rc=$?
[ $rc = 0 ] || fail "a rule naming one serial of the interleaved region (memdevs: all) planned changes (exit $rc)"

# apply_timed POLICY NAME: daxplan apply, timed as TIMING daxplan NAME; JSON in /tmp/NAME.json; fails unless it exits 0.
apply_timed() {
	local t0 rc
	t0=$(now_ms)
	dp apply -c "$1" --auto-approve --format json >/tmp/$2.json; rc=$?
	echo "TIMING daxplan $2 $(($(now_ms) - t0))"
	cat /tmp/$2.json
	echo "$d: state $(kmem_state $d), blocks $(zones $d)"
	[ $rc = 0 ] || fail "apply of $1 exited $rc"
}

apply_timed /tmp/all.yaml cxl-interleaved-online_movable
[ "$(kmem_state $d)" = online_movable ] || fail "$d: state reads $(kmem_state $d), expected online_movable"
[ "$(zones $d)" = "16 online/Movable" ] || fail "$d: blocks $(zones $d), expected 16 online/Movable"
[ "$(mem_total_kb)" -gt "$mem0" ] || fail "MemTotal did not grow: $(mem_total_kb) kB"
dp plan -c /tmp/all.yaml --detailed-exitcode || fail "plan after apply is not empty (exit $?)"

apply_timed /tmp/any.yaml cxl-interleaved-unplug
[ "$(kmem_state $d)" = unplugged ] || fail "$d: state reads $(kmem_state $d), expected unplugged"
[ "$(zones $d)" = none ] || fail "$d still has memory blocks: $(zones $d)"
drv=$(basename "$(readlink /sys/bus/dax/devices/$d/driver)")
[ "$drv" = kmem ] || fail "$d: driver $drv, expected kmem (unplug keeps it bound)"
[ "$(mem_total_kb)" = "$mem0" ] || fail "MemTotal $(mem_total_kb) kB after unplug, was $mem0 kB before"
ok
