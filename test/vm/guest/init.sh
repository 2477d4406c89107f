#!/bin/sh
# /init of the test guest: load the nvdimm/dax modules, turn every legacy pmem
# region into a devdax namespace, run /scenarios/$daxplan.scenario.sh with its
# output between markers on the console, then power off.
export PATH=/usr/bin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /run /root
# Only emergencies on the console from here on: kernel messages must not
# interleave with scenario output (files travel as base64 text). `dmesg` is
# printed after the scenario instead.
dmesg -n 1

scenario=$(sed -n 's/.*daxplan\.scenario=\([^ ]*\).*/\1/p' /proc/cmdline)
machine=$(sed -n 's/.*daxplan\.machine=\([^ ]*\).*/\1/p' /proc/cmdline)
echo "DAXPLAN-GUEST kernel=$(uname -r) scenario=$scenario machine=${machine:-pmem}"

setup() {
	for m in $(cat /modules/modules.order); do
		insmod "/modules/$m.ko" || { echo "insmod $m failed"; return 1; }
	done
	for b in /sys/bus/nd/devices/ndbus*; do cat "$b/wait_probe" >/dev/null; done
	regions=$(ls -d /sys/bus/nd/devices/region* 2>/dev/null)
	[ -n "$regions" ] || { echo "no nd regions (is memmap= on the command line?)"; return 1; }
	for r in $regions; do
		n=${r##*/region}
		ndctl create-namespace -fe "namespace$n.0" -m devdax >/tmp/ns.json ||
			{ echo "ndctl create-namespace on region$n failed"; return 1; }
	done
	echo "setup: $(ls /sys/bus/dax/devices | tr '\n' ' ')"
}

# The CXL machine (test/vm/boot.sh): load the CXL and dax modules and wait
# for the type 3 memory devices (memN); regions are the scenarios' business.
setup_cxl() {
	for m in $(cat /modules/modules.order); do
		insmod "/modules/$m.ko" || { echo "insmod $m failed"; return 1; }
	done
	i=0
	while [ "$(ls -d /sys/bus/cxl/devices/mem* 2>/dev/null | wc -l)" -lt 2 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "setup: cxl $(ls /sys/bus/cxl/devices | tr '\n' ' ')"
	[ $i -lt 100 ] || { echo "no CXL memory devices after 10 s"; return 1; }
}
[ "$machine" = cxl ] && setup() { setup_cxl; }

echo "DAXPLAN-SCENARIO-BEGIN $scenario uptime=$(cut -d' ' -f1 /proc/uptime)"
if ! why=$(setup 2>&1); then
	echo "$why"
	echo "SCENARIO-RESULT fail setup: $(echo "$why" | tail -n 1)"
	rc=1
elif [ ! -f "/scenarios/$scenario.sh" ]; then
	echo "SCENARIO-RESULT fail no scenario /scenarios/$scenario.sh"
	rc=1
else
	echo "$why"
	sh "/scenarios/$scenario.sh"
	rc=$?
fi
echo "DAXPLAN-SCENARIO-END $scenario rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "DAXPLAN-DMESG-BEGIN"
dmesg
echo "DAXPLAN-DMESG-END"
poweroff -f
