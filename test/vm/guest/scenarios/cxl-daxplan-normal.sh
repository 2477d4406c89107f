#!/bin/sh
# machines: cxl
# cxl-daxplan-normal: CXL memory the kernel onlined in ZONE_NORMAL on arrival
# (Debian's default, auto_online_blocks=online), and a policy that asks for it
# back. A RAM region per type 3 device; both arrive online in ZONE_NORMAL.
#  1. `daxplan status --format json` names each device's CXL identity as
#     sysfs has it;
#  2. policy errors: a serial that is neither a number nor a "0x..." string,
#     and an unknown state, exit 65;
#  3. `match: { serial: 0x1234abcd }`, `state: unplug`: the kernel may refuse
#     to offline ZONE_NORMAL memory (EBUSY). Then apply exits 1 and reports
#     the device, whose memory is still online (state online, 8 blocks online
#     Normal, MemTotal unchanged: nothing lost). If the kernel lets it go,
#     apply exits 0, `state` reads unplugged, the blocks are gone and MemTotal
#     is 1 GiB less. The other device is untouched either way.
# Prints "OUTCOME refused|unplugged" for the record.
. /guest/lib.sh
. /guest/cxl.sh
cxl_daxplan_setup
[ "$(kmem_state $a)" = online ] && [ "$(zones $a)" = "8 online/Normal" ] ||
	fail "$a arrived as $(kmem_state $a), $(zones $a); expected online, 8 online/Normal"

printf 'version: 1\nrules:\n  - name: x\n    match: { serial: "not-a-serial" }\n    state: unplug\n' >/tmp/bad-serial.yaml
printf 'version: 1\nrules:\n  - name: x\n    match: { serial: 0x1234abcd }\n    state: sideways\n' >/tmp/bad-state.yaml
for p in bad-serial bad-state; do
	dp apply -c /tmp/$p.yaml --auto-approve >/dev/null 2>/tmp/err; rc=$?
	echo "$p: exit $rc: $(head -n 3 /tmp/err)"
	[ $rc = 65 ] || fail "apply with $p.yaml exited $rc, expected 65"
done
[ "$(kmem_state $a) $(zones $a)" = "online 8 online/Normal" ] || fail "an invalid policy changed $a: $(kmem_state $a) $(zones $a)"

cat >/tmp/unplug.yaml <<'P'
version: 1
rules:
  - name: give-back
    match: { serial: 0x1234abcd }
    state: unplug
P
t0=$(now_ms)
dp apply -c /tmp/unplug.yaml --auto-approve --format json >/tmp/a1.json; rc=$?
echo "TIMING daxplan cxl-unplug-normal $(($(now_ms) - t0)) exit=$rc"
cat /tmp/a1.json
echo "$a: state $(kmem_state $a), blocks $(zones $a); $b: state $(kmem_state $b), blocks $(zones $b); MemTotal $(mem_total_kb) kB"
[ "$(kmem_state $b) $(zones $b)" = "$b_before" ] || fail "$b (serial $SERIAL_B) was touched: $(kmem_state $b) $(zones $b), was $b_before"
drv=$(basename "$(readlink /sys/bus/dax/devices/$a/driver)")
[ "$drv" = kmem ] || fail "$a: driver $drv, expected kmem"
case $rc in
0)
	[ "$(kmem_state $a)" = unplugged ] || fail "apply exited 0 but $a's state reads $(kmem_state $a)"
	[ "$(zones $a)" = none ] || fail "apply exited 0 but $a still has memory blocks: $(zones $a)"
	[ "$(mem_total_kb)" = $((mem0 - 1048576)) ] || fail "MemTotal $(mem_total_kb) kB after unplugging 1 GiB, was $mem0 kB"
	echo "OUTCOME unplugged: the kernel let ZONE_NORMAL memory go this time"
	;;
1)
	[ "$(kmem_state $a)" = online ] || fail "apply exited 1 but $a's state reads $(kmem_state $a), expected online"
	[ "$(zones $a)" = "8 online/Normal" ] || fail "apply exited 1 and $a's blocks are $(zones $a), expected 8 online/Normal"
	[ "$(mem_total_kb)" = "$mem0" ] || fail "apply exited 1 but MemTotal is $(mem_total_kb) kB, was $mem0 kB"
	reported=$(js /tmp/a1.json "(d.outcomes || []).filter(o => o.device === '$a' && o.result !== 'applied').length")
	[ "$reported" = 1 ] || fail "apply exited 1 without reporting $a as failed"
	echo "OUTCOME refused: the kernel kept ZONE_NORMAL memory (EBUSY); reported, nothing lost"
	;;
*) fail "apply of serial 0x1234abcd -> unplug exited $rc, expected 0 or 1" ;;
esac
ok
