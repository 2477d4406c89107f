#!/bin/sh
# daxctl-timing: wall time of daxctl for the transitions daxplan-timing
# measures, on the same device and kernel, $ROUNDS rounds:
#   TIMING daxctl online <ms> <zone>          devdax -> system RAM in ZONE_NORMAL
#                                             (reconfigure-device -m system-ram --no-movable)
#   TIMING daxctl devdax <ms>                 back to devdax: offline-memory, then
#                                             reconfigure-device -m devdax (two commands)
#   TIMING daxctl online_movable <ms> <zone>  devdax -> system RAM in ZONE_MOVABLE
#                                             (reconfigure-device -m system-ram); only where
#                                             the kernel does not auto-online: daxctl refuses there
#   TIMING daxctl devdax-from-movable <ms>    and back to devdax
# A refusal (offlining ZONE_NORMAL memory may fail with EBUSY) is reported as
# "TIMING daxctl TRANSITION <ms> refused" and ends the rounds.
. /guest/lib.sh
dev=dax0.0
ROUNDS=5
movable=yes
[ "$(cat $MEM/auto_online_blocks)" = offline ] || movable=

to_devdax() { daxctl offline-memory $dev && daxctl reconfigure-device -m devdax $dev; }

timed() { # TRANSITION CMD...: run CMD, print its TIMING line; returns CMD's status
	local transition=$1 t0 t1 out rc note=
	shift
	echo "+ $*"
	t0=$(now_ms)
	out=$("$@" 2>&1)
	rc=$?
	t1=$(now_ms)
	echo "$out" | grep -v '^ *[]["{}]\|^ *"'
	[ $rc -eq 0 ] || note=refused
	case $transition in online*) note=$(cat "$MEM/memory$(dax_blocks $dev | head -n 1)/valid_zones") ;; esac
	echo "TIMING daxctl $transition $((t1 - t0))${note:+ $note}"
	return $rc
}

round=1
while [ $round -le $ROUNDS ]; do
	echo "round $round"
	timed online daxctl reconfigure-device -m system-ram --no-movable $dev || fail "daxctl reconfigure-device -m system-ram --no-movable failed"
	timed devdax to_devdax || break
	if [ -n "$movable" ]; then
		timed online_movable daxctl reconfigure-device -m system-ram $dev || fail "daxctl reconfigure-device -m system-ram failed"
		timed devdax-from-movable to_devdax || fail "daxctl back to devdax from ZONE_MOVABLE failed"
	fi
	round=$((round + 1))
done
describe $dev
ok
