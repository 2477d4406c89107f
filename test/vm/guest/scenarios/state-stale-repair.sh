#!/bin/sh
# kernels: 7.3
# state-stale-repair: a device daxplan's way (online_movable through the
# state file, set up by hand), then one block offlined by hand behind it: the
# state file goes stale (it still says what was last written through it).
# `daxplan apply` with the same policy must see the drift and repair the
# device to the policy's state.
#   - the plan is not empty (drift), method "state"; apply exits 0;
#   - state reads online_movable and every block is online Movable again;
#     node 1's MemTotal is back where it was; a second plan is empty.
. /guest/lib.sh
dev=dax0.0
movable_by_hand $dev
full=$(node_memtotal 1)
policy /tmp/p.yaml $dev online_movable
dp plan -c /tmp/p.yaml --detailed-exitcode >/dev/null; rc=$?
[ $rc = 0 ] || bad "plan of a device already online_movable exited $rc, expected 0"

b=$(dax_blocks $dev | sed -n 3p)
err=$(set_state "$b" offline) || fail "offlining memory$b by hand refused: $err"
echo "offlined memory$b by hand; state file reads '$(dax_state $dev)'"
describe $dev
[ "$(dax_state $dev)" = online_movable ] && echo "STALE state reads online_movable over an offline block"

dp plan -c /tmp/p.yaml --detailed-exitcode >/dev/null; rc=$?
[ $rc = 2 ] || bad "plan with a block offlined behind daxplan exited $rc, expected 2 (drift)"
expect_state_method /tmp/p.yaml $dev
dp_apply /tmp/p.yaml; rc=$?
describe $dev
[ $rc = 0 ] || bad "apply exited $rc, expected 0"
[ "$(dax_state $dev)" = online_movable ] || bad "state reads '$(dax_state $dev)', expected online_movable"
blocks_are $dev online Movable || bad "not every block is online Movable again"
[ "$(node_memtotal 1)" = "$full" ] || bad "node 1 MemTotal is $(node_memtotal 1) kB, was $full kB before the block went offline"
dp plan -c /tmp/p.yaml --detailed-exitcode >/dev/null; rc=$?
[ $rc = 0 ] || bad "plan after the repair exited $rc: not converged"
finish
