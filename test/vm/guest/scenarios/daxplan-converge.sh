#!/bin/sh
# daxplan-converge: the real daxplan CLI against the real kernel.
#  1. status agrees with daxctl list (mode, movable, node) for every device,
#     and status --format daxctl prints what daxctl list prints;
#  2. one policy brings dax0.0 and dax1.0 online movable, dax2.0 online in
#     ZONE_NORMAL and leaves dax3.0 as devdax; plan is empty afterwards and a
#     second apply writes nothing;
#  3. a second policy unplugs dax1.0 (movable: must succeed; unplugged is
#     kmem unbound, or on 7.3 kmem bound with state `unplugged`) and moves dax2.0
#     from ZONE_NORMAL to ZONE_MOVABLE, which the kernel may refuse (EBUSY):
#     either it succeeds, or apply exits 1, reports it and rolls it back;
#  4. exit codes: invalid policy 65, bad device name 64, --detailed-exitcode 2.
# daxplan binds kmem with auto_online_blocks set to the target's zone for the
# moment of the bind, so p1 never needs to offline ZONE_NORMAL memory. (Before
# it did, it moved auto-onlined memory block by block, and Debian's 7.3
# refused that every time for dax1.0, the first memory of node 2: SLUB put an
# unmovable slab page in its first block, memory57, the moment it was online.)
. /guest/lib.sh
cd /tmp

outcomes() { # APPLY_JSON: one line per device outcome
	js "$1" 'd.outcomes.map(o => o.device + ": " + o.result + " -> " + o.state + " (" + o.method + ")" + (o.message ? " (" + o.message + ")" : "")).join("\n")'
}

cat >/tmp/p1.yaml <<'P'
version: 1
rules:
  - name: movable
    match: { device: [dax0.0, dax1.0] }
    state: online_movable
  - name: normal
    match: { device: dax2.0 }
    state: online
  - name: app
    match: { device: dax3.0 }
    state: devdax
P
cat >/tmp/p2.yaml <<'P'
version: 1
rules:
  - name: keep
    match: { device: dax0.0 }
    state: online_movable
  - name: give-back
    match: { device: dax1.0 }
    state: unplug
  - name: to-movable
    match: { device: dax2.0 }
    state: online_movable
  - name: app
    match: { device: dax3.0 }
    state: devdax
P

# status --format daxctl must print what daxctl list prints, field for field.
same_as_daxctl() {
	dp status --format daxctl >/tmp/x.json
	daxctl list >/tmp/dx.json
	local diff
	diff=$(node -e "
const fs = require('fs');
const sorted = (o) => JSON.stringify(Object.fromEntries(Object.entries(o).sort()));
const ours = JSON.parse(fs.readFileSync('/tmp/x.json', 'utf8')).map(sorted).sort();
const theirs = JSON.parse(fs.readFileSync('/tmp/dx.json', 'utf8')).map(sorted).sort();
if (ours.join() !== theirs.join()) console.log('daxplan ' + ours.join(' ') + ' daxctl ' + theirs.join(' '));")
	[ -z "$diff" ] || fail "$1: status --format daxctl is not daxctl list: $diff"
}

# status vs daxctl list, before anything moved: all devdax
dp status || fail "status exited $?"
dp status --format json >/tmp/s0.json || fail "status --format json"
for d in dax0.0 dax1.0 dax2.0 dax3.0; do
	grep -q "\"name\": \"$d\"" /tmp/s0.json || fail "status misses $d"
done
[ "$(js /tmp/s0.json 'd.devices.filter(x => x.state === "devdax").length')" = 4 ] || fail "status does not show four devdax devices"
daxctl list >/tmp/d0.json
[ "$(js /tmp/d0.json 'd.filter(x => x.mode === "devdax").length')" = 4 ] || fail "daxctl does not agree: $(cat /tmp/d0.json)"
same_as_daxctl before

# exit codes
echo 'version: 1
rules: [ { name: x, match: {}, state: sideways } ]' >/tmp/bad.yaml
dp plan -c /tmp/bad.yaml >/dev/null 2>/tmp/err; rc=$?
cat /tmp/err
[ $rc = 65 ] || fail "invalid policy exited $rc, expected 65"
grep -q 'bad.yaml:2:' /tmp/err || fail "no file:line in the policy error"
dp status --device ../../etc >/dev/null 2>&1; rc=$?
[ $rc = 64 ] || fail "bad device name exited $rc, expected 64"
dp plan -c /tmp/p1.yaml --detailed-exitcode; rc=$?
[ $rc = 2 ] || fail "plan --detailed-exitcode with changes exited $rc, expected 2"

# converge to p1
t0=$(now_ms)
dp apply --auto-approve -c /tmp/p1.yaml --lock-file /run/daxplan.lock --format json >/tmp/a1.json; rc=$?
echo "TIMING daxplan apply-p1 $(($(now_ms) - t0))"
outcomes /tmp/a1.json
for d in dax0.0 dax1.0 dax2.0 dax3.0; do describe $d; done
dp status --format json >/tmp/s1.json
[ $rc = 0 ] || fail "apply p1 exited $rc"
dp plan -c /tmp/p1.yaml --detailed-exitcode || fail "plan after apply is not empty"
dp apply --auto-approve -c /tmp/p1.yaml --lock-file /run/daxplan.lock >/tmp/again.txt 2>&1 || fail "second apply exited $?"
grep -q 'No changes. Memory matches policy.' /tmp/again.txt || fail "second apply was not a no-op: $(cat /tmp/again.txt)"

# status vs daxctl list after apply
daxctl list >/tmp/d1.json
echo "daxctl: $(cat /tmp/d1.json)"
# daxctl's view of each device must match daxplan's: mode, movable, node
mismatch=$(node -e "
const fs = require('fs');
const ours = JSON.parse(fs.readFileSync('/tmp/s1.json', 'utf8')).devices;
const theirs = JSON.parse(fs.readFileSync('/tmp/d1.json', 'utf8'));
for (const t of theirs) {
  const o = ours.find((x) => x.name === t.chardev);
  const mode = o && (o.state === 'devdax' ? 'devdax' : 'system-ram');
  if (!o || mode !== t.mode || o.target_node !== t.target_node || (t.mode === 'system-ram' && (o.state === 'online_movable') !== t.movable))
    console.log(t.chardev + ': daxctl ' + JSON.stringify(t) + ' daxplan ' + JSON.stringify(o));
}")
[ -z "$mismatch" ] || fail "status and daxctl list disagree: $mismatch"
same_as_daxctl after-p1

# p2: unplug movable memory (must work), Normal -> Movable (may be refused)
dp apply --auto-approve -c /tmp/p2.yaml --lock-file /run/daxplan.lock --format json >/tmp/a2.json; rc=$?
outcomes /tmp/a2.json
for d in dax0.0 dax1.0 dax2.0 dax3.0; do describe $d; done
dp status
dp status --format json >/tmp/s2.json
same_as_daxctl after-p2
st=$(js /tmp/s2.json 'd.devices.find(x => x.name === "dax1.0").state')
[ "$(js /tmp/a2.json 'd.outcomes.find(o => o.device === "dax1.0").result')" = applied ] || fail "unplugging ZONE_MOVABLE dax1.0 failed"
unplugged "$st" dax1.0 || fail "dax1.0 is not unplugged: status $st, $(describe dax1.0)"
failures=0
for d in dax2.0; do # the changes the kernel may refuse: ZONE_NORMAL memory to offline
	now=$(js /tmp/s2.json "d.devices.find(x => x.name === '$d').state")
	reported=$(js /tmp/a2.json "d.outcomes.find(o => o.device === '$d').state")
	result=$(js /tmp/a2.json "d.outcomes.find(o => o.device === '$d').result")
	[ "$now" = "$reported" ] || fail "apply reported $d $reported, status reads $now"
	if [ "$result" = applied ]; then
		[ "$now" = online_movable ] || fail "apply said $d is done but it is $now"
		echo "$d: ZONE_NORMAL -> $now succeeded"
	else
		failures=$((failures + 1))
		[ "$(js /tmp/a2.json "d.outcomes.find(o => o.device === '$d').restored")" = true ] || fail "$d failed and was not restored"
		[ "$now" = online ] || fail "$d was not rolled back to online: $now"
		echo "$d: the kernel refused to offline ZONE_NORMAL memory; reported and rolled back"
	fi
done
if [ $failures = 0 ]; then
	[ $rc = 0 ] || fail "apply p2 exited $rc with every device applied"
else
	[ $rc = 1 ] || fail "apply p2 exited $rc with $failures refused device(s), expected 1"
fi
ok
