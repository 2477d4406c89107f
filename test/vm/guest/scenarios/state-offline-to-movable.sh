#!/bin/sh
# kernels: 7.3
# state-offline-to-movable: a device bound to kmem while auto_online_blocks
# is offline (its state file reads `offline`, every block offline) taken to
# online_movable by `daxplan apply`. The kernel refuses online_movable from
# offline (EBUSY): the way goes through `unplugged`.
#   - plan: format_version 2.0, dax0.0 method "state";
#   - apply exits 0; state reads online_movable, every block online Movable,
#     node 1's MemTotal grew by the device's blocks; a second plan is empty;
#   - apply's exit codes: 65 for an invalid policy, 64 for a usage error.
. /guest/lib.sh
dev=dax0.0
policy /tmp/p.yaml $dev online_movable
before=$(node_memtotal 1)

echo offline >$MEM/auto_online_blocks
bind_kmem $dev
describe $dev
[ "$(dax_state $dev)" = offline ] || fail "bound with auto_online_blocks=offline, state reads '$(dax_state $dev)', expected offline"
blocks_are $dev offline || fail "bound with auto_online_blocks=offline but not every block is offline"

expect_state_method /tmp/p.yaml $dev
dp_apply /tmp/p.yaml; rc=$?
describe $dev
[ $rc = 0 ] || bad "apply exited $rc, expected 0"
[ "$(driver_of $dev)" = kmem ] || bad "driver is $(driver_of $dev), expected kmem"
[ "$(dax_state $dev)" = online_movable ] || bad "state reads '$(dax_state $dev)', expected online_movable"
blocks_are $dev online Movable || bad "not every block is online Movable"
n=$(dax_blocks $dev | wc -l)
grew=$(($(node_memtotal 1) - before))
echo "node 1 MemTotal: $before kB -> $(node_memtotal 1) kB (+$grew kB, $n blocks)"
[ $grew = $((n * $((0x$(cat $MEM/block_size_bytes))) / 1024)) ] || bad "node 1 MemTotal grew by $grew kB, expected the $n blocks"
dp plan -c /tmp/p.yaml --detailed-exitcode >/dev/null; rc=$?
[ $rc = 0 ] || bad "plan after apply exited $rc: not converged"

# exit codes of apply
printf 'version: 1\nrules: [ { name: x, match: {}, state: sideways } ]\n' >/tmp/bad.yaml
dp_apply /tmp/bad.yaml 2>/dev/null; rc=$?
[ $rc = 65 ] || bad "apply with an invalid policy exited $rc, expected 65"
dp apply -c /tmp/p.yaml --no-such-flag >/dev/null 2>&1; rc=$?
[ $rc = 64 ] || bad "apply with an unknown flag exited $rc, expected 64"
finish
