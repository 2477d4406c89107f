#!/bin/sh
# kernels: 7.3
# state-movable-to-online: a device online in ZONE_MOVABLE through its state
# file (set up by hand: bound offline, `unplugged`, `online_movable`) taken to
# `online` (ZONE_NORMAL) by `daxplan apply`. Between online types the kernel
# wants `unplugged` first; daxplan must name the zone: `online_kernel`.
#   - plan: method "state"; apply exits 0;
#   - state reads online_kernel, every block online Normal, driver kmem;
#   - node 1's MemTotal is what it was with the device movable (nothing lost).
. /guest/lib.sh
dev=dax0.0
movable_by_hand $dev
describe $dev
with=$(node_memtotal 1)
policy /tmp/p.yaml $dev online

expect_state_method /tmp/p.yaml $dev
dp_apply /tmp/p.yaml; rc=$?
describe $dev
[ $rc = 0 ] || bad "apply exited $rc, expected 0"
[ "$(driver_of $dev)" = kmem ] || bad "driver is $(driver_of $dev), expected kmem"
[ "$(dax_state $dev)" = online_kernel ] || bad "state reads '$(dax_state $dev)', expected online_kernel"
blocks_are $dev online Normal || bad "not every block is online Normal"
echo "node 1 MemTotal: $with kB movable, $(node_memtotal 1) kB now"
[ "$(node_memtotal 1)" = "$with" ] || bad "node 1 MemTotal changed from $with to $(node_memtotal 1) kB"
dp plan -c /tmp/p.yaml --detailed-exitcode >/dev/null; rc=$?
[ $rc = 0 ] || bad "plan after apply exited $rc: not converged"
finish
