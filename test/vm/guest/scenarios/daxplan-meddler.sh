#!/bin/sh
# daxplan-meddler: another agent writes block states while daxplan applies.
# dax0.0 is made online movable; then, while `daxplan apply` unplugs it, a
# shell loop keeps onlining its blocks one by one (as a distribution udev rule
# or a script would). daxplan must notice, exit non-zero, and leave the device
# in the state it reports (restored, or exactly described) -- never unbind
# kmem under memory it has read online. Through 7.3's state file the unplug is one write
# that removes the blocks: the meddler finds nothing left to online, daxplan
# wins and the device stays bound to kmem with state `unplugged`.
. /guest/lib.sh

printf 'version: 1\nrules:\n  - name: m\n    match: { device: dax0.0 }\n    state: online_movable\n' >/tmp/on.yaml
printf 'version: 1\nrules:\n  - name: m\n    match: { device: dax0.0 }\n    state: unplug\n' >/tmp/off.yaml
run dp apply --auto-approve -c /tmp/on.yaml
describe dax0.0

blocks=$(dax_blocks dax0.0)
( while :; do for b in $blocks; do echo online_movable 2>/dev/null >"$MEM/memory$b/state"; done; done ) 2>/dev/null &
meddler=$!
sleep 1
dp apply --auto-approve -c /tmp/off.yaml --format json >/tmp/a.json; rc=$?
kill $meddler; wait $meddler 2>/dev/null
describe dax0.0
js /tmp/a.json 'JSON.stringify(d.outcomes, null, 1)'
dp status --device dax0.0 --format json >/tmp/s.json
now=$(js /tmp/s.json 'd.devices[0].state')
reported=$(js /tmp/a.json 'd.outcomes[0].state')
echo "apply exit $rc, reported $reported, status $now"
[ "$now" = "$reported" ] || fail "apply reported $reported but the device is $now"
if [ $rc = 0 ]; then
	# daxplan won the race outright: then the device must really be unplugged
	unplugged "$now" dax0.0 || fail "apply exit 0 but dax0.0 is $now: $(describe dax0.0)"
	echo "daxplan finished before the meddler got a block back"
else
	[ $rc = 1 ] || fail "apply exited $rc, expected 1"
	message=$(js /tmp/a.json 'd.outcomes[0].message')
	echo "$message" | grep -q 'another agent' || fail "the interference is not named: $message"
	! unplugged "$now" dax0.0 || fail "reported a failure but the device is unplugged"
	# Without the state file no check closes the instant between daxplan's last
	# read of the blocks and the unbind; a block onlined in it stays until reboot,
	# and daxplan must say exactly that.
	if echo "$message" | grep -q 'in the instant before kmem was unbound'; then
		echo "the meddler onlined a block in the instant before the unbind; daxplan named it"
		ok
	fi
	drv=$(basename "$(readlink /sys/bus/dax/devices/dax0.0/driver)")
	[ "$drv" = kmem ] || fail "kmem was unbound with a failed offline (driver $drv)"
fi
ok
