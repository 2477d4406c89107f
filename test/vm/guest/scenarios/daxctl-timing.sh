#!/bin/sh
# daxctl-timing: wall time of daxctl's transitions, for comparison with
# daxplan's apply time on the same kernel (daxplan-timing):
#   TIMING daxctl online_movable <ms> <zone> [auto_online_blocks=offline]
#                                          devdax -> system RAM in ZONE_MOVABLE (dax0.0, five rounds)
#   TIMING daxctl offline-memory <ms>      offline all its blocks (ZONE_MOVABLE)
#   TIMING daxctl devdax <ms>              system RAM (offline) -> devdax
#   TIMING daxctl online <ms> <zone>       devdax -> system RAM in ZONE_NORMAL
#                                          (--no-movable; dax1.0, dax2.0, dax3.0, once each)
# daxctl 76 goes block by block on every kernel (it does not know 7.3's
# kmem `state` file). Where the kernel auto-onlines (auto_online_blocks is
# not offline: 6.12, 7.3) daxctl refuses to online movable ("kernel policy
# will auto-online memory, aborting"); that refusal is shown once, then the
# movable rounds run with auto_online_blocks=offline set for daxctl (noted on
# their TIMING lines) and the kernel's value put back. ZONE_NORMAL memory may
# not offline again (EBUSY), so each device goes to ZONE_NORMAL once and stays.
. /guest/lib.sh
auto=$(cat $MEM/auto_online_blocks)
echo "auto_online_blocks=$auto"

timed() { # TRANSITION DEV CMD...: run CMD, print its TIMING line; returns CMD's status
	local transition=$1 dev=$2 t0 t1 out rc note=
	shift 2
	echo "+ $*"
	t0=$(now_ms)
	out=$("$@" 2>&1)
	rc=$?
	t1=$(now_ms)
	echo "$out" | grep -v '^ *[]["{}]\|^ *"'
	case $transition in
	online*) note=$(cat "$MEM/memory$(dax_blocks $dev | head -n 1)/valid_zones")${extra:+ $extra} ;;
	esac
	[ $rc -eq 0 ] || note=refused
	echo "TIMING daxctl $transition $((t1 - t0))${note:+ $note}"
	return $rc
}

dev=dax0.0
extra=
if [ "$auto" != offline ]; then
	echo "+ daxctl reconfigure-device -m system-ram $dev (auto_online_blocks=$auto)"
	if out=$(daxctl reconfigure-device -m system-ram $dev 2>&1); then
		echo "$out" | grep -v '^ *[]["{}]\|^ *"'
		fail "daxctl onlined movable under auto_online_blocks=$auto: $(describe $dev)"
	fi
	echo "$out"
	echo "daxctl refuses movable under auto_online_blocks=$auto: $(describe $dev)"
	[ "$(driver_of $dev)" = device_dax ] || fail "daxctl's refusal left $dev bound to $(driver_of $dev)"
	echo offline >$MEM/auto_online_blocks
	extra=auto_online_blocks=offline
fi
for round in 1 2 3 4 5; do
	echo "round $round"
	timed online_movable $dev daxctl reconfigure-device -m system-ram $dev || fail "daxctl reconfigure-device -m system-ram failed"
	blocks_are $dev online Movable || fail "daxctl did not online $dev movable"
	timed offline-memory $dev daxctl offline-memory $dev || fail "daxctl offline-memory of ZONE_MOVABLE memory failed"
	timed devdax $dev daxctl reconfigure-device -m devdax $dev || fail "daxctl reconfigure-device -m devdax failed"
done
describe $dev
echo "$auto" >$MEM/auto_online_blocks
extra=

for dev in dax1.0 dax2.0 dax3.0; do
	timed online $dev daxctl reconfigure-device -m system-ram --no-movable $dev || fail "daxctl reconfigure-device -m system-ram --no-movable $dev failed"
	blocks_are $dev online Normal || fail "daxctl --no-movable did not leave $dev in ZONE_NORMAL"
done
ok
