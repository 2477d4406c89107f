#!/bin/sh
# daxplan-timing: wall time of `daxplan apply` for the transitions
# daxctl-timing measures, on the same device and kernel, $ROUNDS rounds:
#   TIMING daxplan TRANSITION <ms> [zone]       the whole command
#   TIMING daxplan-steps TRANSITION <ms> METHOD its device work alone (outcomes' elapsed_ms),
#                                               METHOD: how the device was moved (per-block, ...)
#   TIMING daxplan-phase TRANSITION <ms> PHASE  one line of apply --timings
#   TIMING node start <ms>                      `node -e 0`: the floor of any node program here
# TRANSITION: online (devdax -> ZONE_NORMAL), devdax (back), online_movable
# (devdax -> ZONE_MOVABLE, also where daxctl cannot), devdax-from-movable.
. /guest/lib.sh
dev=dax0.0
ROUNDS=5
DAXPLAN_DEBUG_CODE_CACHE=1 dp --version
for state in online online_movable devdax; do
	printf 'version: 1\nrules:\n  - name: m\n    match: { device: %s }\n    state: %s\n' $dev $state >/tmp/$state.yaml
done

timed() { # TRANSITION POLICY
	local t0 t1 rc note=
	t0=$(now_ms)
	dp apply -c "/tmp/$2.yaml" --lock-file /run/daxplan.lock --format json --timings >/tmp/out.json 2>/tmp/err.txt
	rc=$?
	t1=$(now_ms)
	grep -v '^timing ' /tmp/err.txt
	[ $rc -eq 0 ] || note=refused
	case $1 in online*) note=$(cat "$MEM/memory$(dax_blocks $dev | head -n 1)/valid_zones") ;; esac
	echo "TIMING daxplan $1 $((t1 - t0))${note:+ $note}"
	echo "TIMING daxplan-steps $1 $(js /tmp/out.json '`${Math.round(d.outcomes.reduce((t, o) => t + o.elapsed_ms, 0))} ${d.outcomes[0]?.method}`')"
	sed -n "s/^timing \([^ ]*\) \([0-9.]*\)$/TIMING daxplan-phase $1 \2 \1/p" /tmp/err.txt
	return $rc
}

round=1
while [ $round -le $ROUNDS ]; do
	echo "round $round"
	t0=$(now_ms)
	node -e 0
	echo "TIMING node start $(($(now_ms) - t0))"
	timed online online || fail "daxplan apply to online failed"
	# Offlining ZONE_NORMAL memory may be refused (EBUSY), as for daxctl: that ends the rounds.
	timed devdax devdax || break
	timed online_movable online_movable || fail "daxplan apply to online_movable failed"
	timed devdax-from-movable devdax || fail "daxplan apply from online_movable back to devdax failed"
	round=$((round + 1))
done
describe $dev
ok
