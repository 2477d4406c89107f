#!/bin/sh
# daxctl-timing: wall time of daxctl's transitions on one device, three
# rounds, for comparison with daxplan's apply time:
#   TIMING daxctl system-ram <ms> <zone>   devdax -> system RAM, onlined
#   TIMING daxctl offline-memory <ms>      offline all its blocks
#   TIMING daxctl devdax <ms>              system RAM (offline) -> devdax
# Where the kernel auto-onlines (auto_online_blocks != offline) daxctl refuses
# to online movable, so it runs with --no-movable there. Offlining ZONE_NORMAL
# memory may be refused (EBUSY): that is reported as
# "TIMING daxctl offline-memory <ms> refused" and ends the rounds.
. /guest/lib.sh
dev=dax0.0
zone_opt=
[ "$(cat $MEM/auto_online_blocks)" = offline ] || zone_opt=--no-movable

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
	[ "$transition" = system-ram ] && note=$(cat "$MEM/memory$(dax_blocks $dev | head -n 1)/valid_zones")
	echo "TIMING daxctl $transition $((t1 - t0))${note:+ $note}"
	return $rc
}

for round in 1 2 3; do
	echo "round $round"
	timed system-ram daxctl reconfigure-device -m system-ram $zone_opt $dev || fail "daxctl reconfigure-device -m system-ram failed"
	timed offline-memory daxctl offline-memory $dev || break
	timed devdax daxctl reconfigure-device -m devdax $dev || fail "daxctl reconfigure-device -m devdax failed"
done
describe $dev
ok
