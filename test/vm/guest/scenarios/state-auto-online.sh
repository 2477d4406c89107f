#!/bin/sh
# kernels: 7.3
# state-auto-online: devdax -> online_movable while auto_online_blocks=online
# (Debian 7.3's boot default), three rounds, each back to devdax. daxplan
# binds kmem itself for that target: it must set auto_online_blocks=offline
# for the moment of the bind and put `online` back, so the device arrives
# offline and never joins ZONE_NORMAL. Every round:
#   - apply exits 0; state online_movable, every block online Movable;
#   - auto_online_blocks reads online afterwards;
#   - a watcher sampling the device's blocks during the apply never saw one
#     online in ZONE_NORMAL;
#   - back to devdax: exit 0, device_dax, no block online, node 1's MemTotal
#     as before.
# The state file exists only while a device is bound to kmem: in round 1
# nothing is, so daxplan cannot see that this kernel has one and may plan
# per-block (the bind is the same either way). Before round 2 dax3.0 is bound
# and unplugged through its state file (auto_online_blocks back to online):
# from then on the plan must say method "state".
. /guest/lib.sh
dev=dax0.0
echo online >$MEM/auto_online_blocks
policy /tmp/ram.yaml $dev online_movable
policy /tmp/dax.yaml $dev devdax
mem=$(node_memtotal 1)
blocks=$(dax_blocks $dev)

for round in 1 2 3; do
	echo "round $round"
	if [ $round = 2 ]; then
		echo offline >$MEM/auto_online_blocks
		bind_kmem dax3.0
		echo online >$MEM/auto_online_blocks
		err=$(state_write dax3.0 unplugged) || fail "dax3.0: writing unplugged refused: $err"
		describe dax3.0
	fi
	if [ $round = 1 ]; then
		echo "plan with nothing bound to kmem: $(plan_method /tmp/ram.yaml $dev)"
	else
		expect_state_method /tmp/ram.yaml $dev
	fi
	before=$BAD
	rm -f /tmp/watch.log /tmp/watch.stop
	( n=0
	while [ ! -f /tmp/watch.stop ]; do
		n=$((n + 1))
		for b in $blocks; do
			[ "$(cat $MEM/memory$b/state 2>/dev/null)" = online ] &&
				[ "$(cat $MEM/memory$b/valid_zones 2>/dev/null)" = Normal ] && echo "memory$b online Normal (sample $n)"
		done
	done >/tmp/watch.log
	echo "samples $n" >>/tmp/watch.log ) &
	watcher=$!
	dp_apply /tmp/ram.yaml; rc=$?
	touch /tmp/watch.stop
	wait $watcher
	describe $dev
	[ $rc = 0 ] || bad "round $round: apply to online_movable exited $rc"
	[ "$(dax_state $dev)" = online_movable ] || bad "round $round: state reads '$(dax_state $dev)', expected online_movable"
	blocks_are $dev online Movable || bad "round $round: not every block is online Movable"
	[ "$(cat $MEM/auto_online_blocks)" = online ] || bad "round $round: auto_online_blocks reads $(cat $MEM/auto_online_blocks) after apply, expected online"
	tail -n 1 /tmp/watch.log
	normal=$(grep -c 'online Normal' /tmp/watch.log)
	[ "$normal" = 0 ] || bad "round $round: the watcher saw the device's blocks online in ZONE_NORMAL: $(head -n 3 /tmp/watch.log | tr '\n' ' ')"

	dp_apply /tmp/dax.yaml; rc=$?
	[ $rc = 0 ] || bad "round $round: apply back to devdax exited $rc"
	[ "$(driver_of $dev)" = device_dax ] || bad "round $round: driver is $(driver_of $dev) after devdax, expected device_dax"
	[ "$(online_blocks $dev)" = 0 ] || bad "round $round: blocks still online after devdax"
	[ "$(node_memtotal 1)" = "$mem" ] || bad "round $round: node 1 MemTotal $(node_memtotal 1) kB, was $mem kB (leaked)"
	[ "$BAD" = "$before" ] || break
done
finish
