#!/bin/sh
# machines: cxl
# append: memhp_default_state=offline
# cxl-daxplan-movable: daxplan selects CXL memory by the memdev's serial.
# Booted with memhp_default_state=offline: a RAM region per type 3 device,
# each dax device bound to kmem with its memory offline (`state` reads offline).
#  1. `daxplan status --format json` names each device's CXL identity
#     (cxl: { region, mode, memdevs: [{ name, serial, pci }], qos_class }),
#     as sysfs has it;
#  2. a policy with `match: { serial: 0x1234abcd }` (a number) makes that
#     device online_movable: apply exits 0, `state` reads online_movable, its
#     8 blocks are online Movable, the other device is untouched; a plan
#     afterwards is empty;
#  3. a policy with `match: { serial: ["0x1234abcd"] }` (a list of the string
#     form) unplugs it: apply exits 0, `state` reads unplugged, its memory
#     blocks are gone, kmem is still bound, MemTotal is back where it was.
. /guest/lib.sh
. /guest/cxl.sh
cxl_daxplan_setup
[ "$(kmem_state $a)" = offline ] || fail "$a arrived with state $(kmem_state $a), expected offline (memhp_default_state=offline)"

cat >/tmp/movable.yaml <<'P'
version: 1
rules:
  - name: far-memory
    match: { serial: 0x1234abcd }
    state: online_movable
P
cat >/tmp/unplug.yaml <<'P'
version: 1
rules:
  - name: give-back
    match: { serial: ["0x1234abcd"] }
    state: unplug
P

t0=$(now_ms)
dp apply -c /tmp/movable.yaml --auto-approve --format json >/tmp/a1.json; rc=$?
echo "TIMING daxplan cxl-online_movable $(($(now_ms) - t0))"
cat /tmp/a1.json
echo "$a: state $(kmem_state $a), blocks $(zones $a); $b: state $(kmem_state $b), blocks $(zones $b)"
[ $rc = 0 ] || fail "apply of serial 0x1234abcd -> online_movable exited $rc"
[ "$(kmem_state $a)" = online_movable ] || fail "$a: state reads $(kmem_state $a), expected online_movable"
[ "$(zones $a)" = "8 online/Movable" ] || fail "$a: blocks $(zones $a), expected 8 online/Movable"
[ "$(kmem_state $b) $(zones $b)" = "$b_before" ] || fail "$b (serial $SERIAL_B) was touched: $(kmem_state $b) $(zones $b), was $b_before"
[ "$(mem_total_kb)" -gt "$mem0" ] || fail "MemTotal did not grow: $(mem_total_kb) kB"
dp plan -c /tmp/movable.yaml --detailed-exitcode || fail "plan after apply is not empty (exit $?)"

t0=$(now_ms)
dp apply -c /tmp/unplug.yaml --auto-approve --format json >/tmp/a2.json; rc=$?
echo "TIMING daxplan cxl-unplug $(($(now_ms) - t0))"
cat /tmp/a2.json
echo "$a: state $(kmem_state $a), blocks $(zones $a); $b: state $(kmem_state $b), blocks $(zones $b)"
[ $rc = 0 ] || fail "apply of serial [\"0x1234abcd\"] -> unplug exited $rc"
[ "$(kmem_state $a)" = unplugged ] || fail "$a: state reads $(kmem_state $a), expected unplugged"
[ "$(zones $a)" = none ] || fail "$a still has memory blocks: $(zones $a)"
drv=$(basename "$(readlink /sys/bus/dax/devices/$a/driver)")
[ "$drv" = kmem ] || fail "$a: driver $drv, expected kmem (unplug keeps it bound)"
[ "$(kmem_state $b) $(zones $b)" = "$b_before" ] || fail "$b (serial $SERIAL_B) was touched: $(kmem_state $b) $(zones $b), was $b_before"
[ "$(mem_total_kb)" = "$mem0" ] || fail "MemTotal $(mem_total_kb) kB after unplug, was $mem0 kB before"
ok
