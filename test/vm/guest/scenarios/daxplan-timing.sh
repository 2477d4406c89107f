#!/bin/sh
# daxplan-timing: wall time of `daxplan apply` for the transitions the
# daxctl-timing scenario measures, on the same devices and kernel, under the
# kernel's own auto_online_blocks:
#   TIMING daxplan online_movable <ms> <zone> <method>  devdax -> ZONE_MOVABLE, whole command (dax0.0, five rounds)
#   TIMING daxplan devdax <ms> <method>                 ZONE_MOVABLE -> devdax (unplug + rebind), whole command
#   TIMING daxplan online <ms> <zone> <method>          devdax -> ZONE_NORMAL (dax1.0, dax2.0, dax3.0, once each)
#   TIMING daxplan-steps <transition> <ms>              the same, daxplan's device work alone (elapsed_ms)
#   TIMING daxplan-phase <transition> <ms> <phase>      one line of apply --timings: where the time went
#   TIMING node start <ms>                              `node -e 0`: the floor of any node program here
# <method> is how daxplan drove the device (per-block, or state: 7.3's kmem
# state file once daxplan supports it).
. /guest/lib.sh
echo "auto_online_blocks=$(cat $MEM/auto_online_blocks)"

timed() { # TRANSITION DEV STATE
	local t0 t1 rc note= method
	policy /tmp/p.yaml "$2" "$3"
	t0=$(now_ms)
	dp apply -c /tmp/p.yaml --auto-approve --lock-file /run/daxplan.lock --format json --timings >/tmp/apply.json 2>/tmp/err.txt
	rc=$?
	t1=$(now_ms)
	grep -v '^timing ' /tmp/err.txt
	method=$(js /tmp/apply.json 'd.outcomes.map(o => o.method).join(",")')
	case $1 in
	online*) note="$(cat "$MEM/memory$(dax_blocks "$2" | head -n 1)/valid_zones") $method" ;;
	*) note=$method ;;
	esac
	[ $rc -eq 0 ] || note=refused
	echo "TIMING daxplan $1 $((t1 - t0)) $note"
	echo "TIMING daxplan-steps $1 $(js /tmp/apply.json 'Math.round(d.outcomes.reduce((t, o) => t + o.elapsed_ms, 0))')"
	sed -n "s/^timing \([^ ]*\) \([0-9.]*\)$/TIMING daxplan-phase $1 \2 \1/p" /tmp/err.txt
	return $rc
}

for round in 1 2 3 4 5; do
	echo "round $round"
	t0=$(now_ms)
	node -e 0
	echo "TIMING node start $(($(now_ms) - t0))"
	timed online_movable dax0.0 online_movable || fail "daxplan apply to online_movable failed"
	blocks_are dax0.0 online Movable || fail "daxplan apply left dax0.0 not all Movable"
	timed devdax dax0.0 devdax || fail "daxplan apply back to devdax failed"
done
describe dax0.0
for dev in dax1.0 dax2.0 dax3.0; do
	timed online $dev online || fail "daxplan apply of $dev to online failed"
	blocks_are $dev online Normal || fail "daxplan apply left $dev not all Normal"
done
ok
