#!/bin/sh
# capture-states: with daxctl and per-block state writes only, leave the four
# dax devices in the four states of the shared fixture, then capture sysfs and
# send it to the host (checked by test/vm/checks/capture-states.ts):
#   dax0.0 online_movable   dax1.0 online in ZONE_NORMAL
#   dax2.0 devdax           dax3.0 mixed: every second block offline
# "HOW <dev> <text>" lines tell the host what was done, for the README.
# On 7.3 the kmem `state` file is never written here: it keeps what the
# kernel set at bind (`online` under auto_online_blocks=online), so the
# capture holds stale ones (dax0.0 all Movable, dax3.0 mixed) next to a true
# one (dax1.0), and the check requires at least one stale.
. /guest/lib.sh

set_blocks() { # STATE BLOCK...: write STATE to each block, fail on a refusal
	local state=$1 b err
	shift
	for b; do
		err=$(set_state "$b" "$state") || fail "memory$b: writing $state refused: $err"
	done
}

auto=$(cat $MEM/auto_online_blocks)
echo "auto_online_blocks=$auto"

if [ "$auto" = offline ]; then
	run daxctl reconfigure-device -m system-ram dax0.0
	echo "HOW dax0.0 daxctl reconfigure-device -m system-ram (daxctl onlines it movable)"
else
	# The kernel onlines the blocks in its default zone as kmem binds, and
	# daxctl refuses to make them movable: move them block by block.
	run daxctl reconfigure-device -m system-ram --no-movable dax0.0
	set_blocks offline $(dax_blocks dax0.0 | sort -rn)
	set_blocks online_movable $(dax_blocks dax0.0)
	echo "HOW dax0.0 daxctl reconfigure-device -m system-ram --no-movable (auto_online_blocks=$auto onlined it in ZONE_NORMAL), then per block: offline (highest first), online_movable (lowest first)"
fi

run daxctl reconfigure-device -m system-ram --no-movable dax1.0
echo "HOW dax1.0 daxctl reconfigure-device -m system-ram --no-movable"

echo "HOW dax2.0 untouched: devdax as ndctl create-namespace -m devdax left it"

run daxctl reconfigure-device -m system-ram --no-movable dax3.0
i=0
for b in $(dax_blocks dax3.0); do
	i=$((i + 1))
	[ $((i % 2)) -eq 0 ] && set_blocks offline "$b"
done
echo "HOW dax3.0 daxctl reconfigure-device -m system-ram --no-movable, then offline written to every second block (2nd, 4th, ...)"

for d in dax0.0 dax1.0 dax2.0 dax3.0; do describe $d; done
sh /guest/capture-sysfs.sh /tmp/capture/sys
tar -czf /tmp/sys.tar.gz -C /tmp/capture sys
send_file sys.tar.gz /tmp/sys.tar.gz
ok
