#!/bin/sh
# kernel-defaults: the boot order contrib/systemd/daxplan-kernel-defaults.service
# sets up, on the real kernel. The policy declares
# `kernel: { auto_online_blocks: offline }`.
#   1. dax0.0 is bound to kmem BEFORE the unit's command runs (what udev's
#      coldplug does on a boot without the unit): the kernel applies its own
#      default (online on 6.12) at once.
#   2. `daxplan apply --kernel-only --trigger boot --auto-approve` (the unit's ExecStart)
#      writes auto_online_blocks=offline and touches no device.
#   3. dax1.0 is bound to kmem AFTER it (coldplug on a boot with the unit):
#      its memory arrives offline, nobody has chosen a zone for it yet.
#   4. `daxplan apply --trigger boot --auto-approve` (daxplan.service) places both.
# Lines for test/vm/checks/kernel-defaults.ts:
#   AUTO <when> <value>          auto_online_blocks at each point
#   ORDER <before|after> <describe line>   a device right after kmem bound it
#   UNTOUCHED <describe line>   dax1.0 after the kernel-only run (still devdax)
#   FINAL <describe line>
# and the files doctor-before.json / doctor-after.json (daxplan doctor).
. /guest/lib.sh

mkdir -p /etc/daxplan /run/daxplan
daxplan() { node /daxplan/daxplan.cjs "$@"; }
[ -f /daxplan/daxplan.cjs ] || fail "no /daxplan/daxplan.cjs: run npm run build before the VM tests"

cat >/etc/daxplan/daxplan.yaml <<'EOF'
version: 1
kernel:
  auto_online_blocks: offline
rules:
  - name: far
    match: { device: ["dax0.0", "dax1.0"] }
    state: online_movable
EOF
cd /etc/daxplan

echo "AUTO boot $(cat $MEM/auto_online_blocks)"
daxplan doctor --format json >/tmp/doctor-before.json
echo "doctor before: exit $?"
send_file doctor-before.json /tmp/doctor-before.json

bind_kmem dax0.0
echo "ORDER before $(describe dax0.0)"

run daxplan apply --auto-approve --kernel-only --trigger boot
echo "AUTO kernel-only $(cat $MEM/auto_online_blocks)"
echo "UNTOUCHED $(describe dax1.0)"

bind_kmem dax1.0
echo "ORDER after $(describe dax1.0)"

daxplan doctor --format json >/tmp/doctor-after.json
echo "doctor after: exit $?"
send_file doctor-after.json /tmp/doctor-after.json

daxplan apply --auto-approve --trigger boot
echo "apply: exit $?"
echo "FINAL $(describe dax0.0)"
echo "FINAL $(describe dax1.0)"
ok
