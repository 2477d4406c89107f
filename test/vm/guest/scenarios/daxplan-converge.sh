#!/bin/sh
# daxplan-converge: the real daxplan CLI against the real kernel.
#  1. status agrees with daxctl list (mode, movable, node) for every device,
#     and status --format daxctl prints what daxctl list prints;
#  2. one policy brings dax0.0 and dax1.0 online movable, dax2.0 online in
#     ZONE_NORMAL and leaves dax3.0 as devdax; plan is empty afterwards and a
#     second apply writes nothing;
#  3. a second policy unplugs dax1.0 (movable: must succeed) and moves dax2.0
#     from ZONE_NORMAL to ZONE_MOVABLE, which the kernel may refuse (EBUSY):
#     either it succeeds, or apply exits 1, reports it and rolls it back;
#  4. exit codes: invalid policy 65, bad device name 64, --detailed-exitcode 2.
. /guest/lib.sh
cd /tmp

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
dp apply --auto-approve -c /tmp/p1.yaml --lock-file /run/daxplan.lock; rc=$?
echo "TIMING daxplan apply-p1 $(($(now_ms) - t0))"
for d in dax0.0 dax1.0 dax2.0 dax3.0; do describe $d; done
[ $rc = 0 ] || fail "apply p1 exited $rc"
dp plan -c /tmp/p1.yaml --detailed-exitcode || fail "plan after apply is not empty"
dp apply --auto-approve -c /tmp/p1.yaml --lock-file /run/daxplan.lock >/tmp/again.txt 2>&1 || fail "second apply exited $?"
grep -q 'No changes. Memory matches policy.' /tmp/again.txt || fail "second apply was not a no-op: $(cat /tmp/again.txt)"

# status vs daxctl list after apply
dp status --format json >/tmp/s1.json
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
js /tmp/a2.json 'd.outcomes.map(o => o.device + ": " + o.result + " -> " + o.state + (o.message ? " (" + o.message + ")" : "")).join("\\n")'
for d in dax0.0 dax1.0 dax2.0 dax3.0; do describe $d; done
dp status
dp status --format json >/tmp/s2.json
same_as_daxctl after-p2
[ "$(js /tmp/a2.json 'd.outcomes.find(o => o.device === "dax1.0").result')" = applied ] || fail "unplugging ZONE_MOVABLE dax1.0 failed"
[ "$(js /tmp/s2.json 'd.devices.find(x => x.name === "dax1.0").state')" = unbound ] || fail "dax1.0 is not unplugged"
dax2=$(js /tmp/s2.json 'd.devices.find(x => x.name === "dax2.0").state')
reported=$(js /tmp/a2.json 'd.outcomes.find(o => o.device === "dax2.0").state')
[ "$dax2" = "$reported" ] || fail "apply reported dax2.0 $reported, status reads $dax2"
if [ $rc = 0 ]; then
	[ "$dax2" = online_movable ] || fail "apply said ok but dax2.0 is $dax2"
	echo "dax2.0: ZONE_NORMAL -> ZONE_MOVABLE succeeded"
else
	[ $rc = 1 ] || fail "apply p2 exited $rc"
	[ "$(js /tmp/a2.json 'd.outcomes.find(o => o.device === "dax2.0").restored')" = true ] || fail "dax2.0 failed and was not restored"
	[ "$dax2" = online ] || fail "dax2.0 was not rolled back to online: $dax2"
	echo "dax2.0: the kernel refused to offline ZONE_NORMAL memory; reported and rolled back"
fi
ok
