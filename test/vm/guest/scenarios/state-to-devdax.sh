#!/bin/sh
# kernels: 7.3
# state-to-devdax: three kmem devices in the three states a state file can
# hold without ZONE_NORMAL, all taken to devdax by one `daxplan apply`:
#   dax0.0 online_movable (by hand through the state file), dax1.0 offline
#   (bound while auto_online_blocks=offline), dax2.0 unplugged (by hand).
# Nothing may leak: afterwards every device is bound to device_dax, has no
# state file and no memory block of its range online, and nodes 1 and 2 have
# the MemTotal they had before any of it joined.
. /guest/lib.sh
mem1=$(node_memtotal 1)
mem2=$(node_memtotal 2)
movable_by_hand dax0.0
echo offline >$MEM/auto_online_blocks
bind_kmem dax1.0
bind_kmem dax2.0
err=$(state_write dax2.0 unplugged) || fail "dax2.0: writing unplugged refused: $err"
for d in dax0.0 dax1.0 dax2.0; do describe $d; done
[ "$(dax_state dax1.0)" = offline ] || fail "dax1.0 state reads '$(dax_state dax1.0)', expected offline"
[ "$(dax_state dax2.0)" = unplugged ] || fail "dax2.0 state reads '$(dax_state dax2.0)', expected unplugged"

printf 'version: 1\nrules:\n  - name: r\n    match: { device: [dax0.0, dax1.0, dax2.0] }\n    state: devdax\n' >/tmp/p.yaml
expect_state_method /tmp/p.yaml dax0.0
dp_apply /tmp/p.yaml; rc=$?
for d in dax0.0 dax1.0 dax2.0; do describe $d; done
[ $rc = 0 ] || bad "apply exited $rc, expected 0"
for d in dax0.0 dax1.0 dax2.0; do
	[ "$(driver_of $d)" = device_dax ] || bad "$d driver is $(driver_of $d), expected device_dax"
	[ -e "$DAX/$d/state" ] && bad "$d still has a state file (still bound to kmem?)"
	[ "$(online_blocks $d)" = 0 ] || bad "$d: $(online_blocks $d) block(s) of its range still online (leaked)"
done
echo "MemTotal: node 1 $mem1 -> $(node_memtotal 1) kB, node 2 $mem2 -> $(node_memtotal 2) kB"
[ "$(node_memtotal 1)" = "$mem1" ] || bad "node 1 MemTotal is $(node_memtotal 1) kB, was $mem1 kB before (leaked)"
[ "$(node_memtotal 2)" = "$mem2" ] || bad "node 2 MemTotal is $(node_memtotal 2) kB, was $mem2 kB before (leaked)"
dp plan -c /tmp/p.yaml --detailed-exitcode >/dev/null; rc=$?
[ $rc = 0 ] || bad "plan after apply exited $rc: not converged"
finish
