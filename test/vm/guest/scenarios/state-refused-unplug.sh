#!/bin/sh
# kernels: 7.3
# state-refused-unplug: unplugging ZONE_NORMAL memory the kernel will not
# offline. dax1.0 is bound while auto_online_blocks=online, so the kernel
# onlines it into ZONE_NORMAL at once; it is the first memory of node 2, and
# on Debian 7.3 an unmovable slab page lands in its first block at once (seen
# in every boot: "page dumped because: unmovable page", node=2 zone=2). The
# policy says unplug. Two outcomes are accepted, as in daxplan-converge:
#   - refused: apply exits 1 and reports dax1.0 failed, as it really is (its
#     reported state is what status reads), every block still online, node
#     2's MemTotal unchanged (no memory lost); the state file readable;
#   - done (the kernel found nothing unmovable): exit 0, state unplugged, no
#     block of its range left, node 2's MemTotal down by the device's blocks.
. /guest/lib.sh
dev=dax1.0
echo online >$MEM/auto_online_blocks
bind_kmem $dev
describe $dev
blocks_are $dev online Normal || fail "bound with auto_online_blocks=online but not all online Normal"
n=$(dax_blocks $dev | wc -l)
mem=$(node_memtotal 2)
policy /tmp/p.yaml $dev unplug

expect_state_method /tmp/p.yaml $dev
dp_apply /tmp/p.yaml; rc=$?
describe $dev
dp status --device $dev --format json >/tmp/s.json
now=$(js /tmp/s.json 'd.devices[0].state')
echo "node 2 MemTotal: $mem -> $(node_memtotal 2) kB; status: $now; state file: '$(dax_state $dev)'"
if [ $rc = 0 ]; then
	echo "the kernel unplugged ZONE_NORMAL memory this time"
	[ "$(dax_state $dev)" = unplugged ] || bad "state reads '$(dax_state $dev)', expected unplugged"
	[ "$(online_blocks $dev)" = 0 ] || bad "unplugged but $(online_blocks $dev) block(s) still online"
	[ $(($(node_memtotal 2) + n * $((0x$(cat $MEM/block_size_bytes))) / 1024)) = "$mem" ] ||
		bad "node 2 MemTotal went from $mem to $(node_memtotal 2) kB, expected $n blocks less"
elif [ $rc = 1 ]; then
	echo "the kernel refused to unplug ZONE_NORMAL memory"
	result=$(js /tmp/apply.json "(d.outcomes.find(o => o.device === '$dev') || {}).result")
	reported=$(js /tmp/apply.json "(d.outcomes.find(o => o.device === '$dev') || {}).state")
	message=$(js /tmp/apply.json "(d.outcomes.find(o => o.device === '$dev') || {}).message")
	[ "$result" = failed ] || bad "apply exited 1 but reports $dev as '$result'"
	[ "$reported" = "$now" ] || bad "apply reports $dev $reported, status reads $now"
	[ -n "$message" ] && [ "$message" != null ] || bad "no message says why $dev failed"
	blocks_are $dev online Normal || bad "after the refusal not every block is online Normal"
	[ "$(node_memtotal 2)" = "$mem" ] || bad "node 2 MemTotal went from $mem to $(node_memtotal 2) kB after a refused unplug (memory lost)"
	[ "$(driver_of $dev)" = kmem ] || bad "driver is $(driver_of $dev) after a refused unplug, expected kmem"
else
	bad "apply exited $rc, expected 0 or 1"
fi
finish
