#!/bin/sh
# daxplan-timing: wall time of `daxplan apply` for the transitions the
# daxctl-timing scenario measures, on the same device and kernel, three rounds:
#   TIMING daxplan system-ram <ms> <zone>    devdax -> online (movable), whole command
#   TIMING daxplan devdax <ms>               system RAM -> devdax (offline + rebind), whole command
#   TIMING daxplan-steps <transition> <ms>   the same, daxplan's device work alone (elapsed_ms)
#   TIMING node start <ms>                   `node -e 0`: the floor of any node program here
. /guest/lib.sh
dev=dax0.0
printf 'version: 1\nrules:\n  - name: m\n    match: { device: %s }\n    state: online_movable\n' $dev >/tmp/ram.yaml
printf 'version: 1\nrules:\n  - name: m\n    match: { device: %s }\n    state: devdax\n' $dev >/tmp/dax.yaml

timed() { # TRANSITION POLICY
	local t0 t1 rc note=
	t0=$(now_ms)
	dp apply --auto-approve -c "$2" --lock-file /run/daxplan.lock --format json >/tmp/out.json 2>/tmp/err.txt
	rc=$?
	t1=$(now_ms)
	cat /tmp/err.txt
	[ $rc -eq 0 ] || note=refused
	[ "$1" = system-ram ] && note=$(cat "$MEM/memory$(dax_blocks $dev | head -n 1)/valid_zones")
	echo "TIMING daxplan $1 $((t1 - t0))${note:+ $note}"
	echo "TIMING daxplan-steps $1 $(node -e "const d=JSON.parse(require('fs').readFileSync('/tmp/out.json','utf8')); console.log(Math.round(d.outcomes.reduce((t, o) => t + o.elapsed_ms, 0)))")"
	return $rc
}

for round in 1 2 3; do
	echo "round $round"
	t0=$(now_ms)
	node -e 0
	echo "TIMING node start $(($(now_ms) - t0))"
	timed system-ram /tmp/ram.yaml || fail "daxplan apply to online_movable failed"
	timed devdax /tmp/dax.yaml || fail "daxplan apply back to devdax failed"
done
describe $dev
ok
