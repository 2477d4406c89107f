#!/bin/sh
# machines: cxl
# cxl-capture-default: CXL RAM as Debian's 7.3 brings it in with its own
# default (auto_online_blocks=online). One RAM region per type 3 device
# (cxl create-region); the kernel makes a dax device of each and binds kmem
# to it at once, which onlines its memory in ZONE_NORMAL. Then sysfs is
# captured and sent to the host: test/vm/checks/cxl-capture-default.ts reads
# the states back from it (and with DAXPLAN_VM_UPDATE_FIXTURES=1 makes it
# test/fixtures/real-cxl-7.3/default-boot).
# Lines for the check: CMDLINE, HOW <dev> <text>, PROBE <text>.
. /guest/lib.sh
. /guest/cxl.sh
echo "CMDLINE $(cat /proc/cmdline)"
echo "auto_online_blocks=$(cat $MEM/auto_online_blocks)"
for s in $SERIAL_A $SERIAL_B; do
	cxl_ram_region $s
	echo "HOW $DAX cxl create-region -t ram -d decoder0.0 -m $(cxl_memdev $s); kmem bound it and auto_online_blocks=$(cat $MEM/auto_online_blocks) onlined it ($(zones $DAX))"
done
cxl_capture
# After the capture: does the kernel let this ZONE_NORMAL memory go? (It
# refused with EBUSY in the boots seen so far, leaving the device online.)
# Reported for the README, either way.
if err=$(echo unplugged 2>&1 >/sys/bus/dax/devices/$DAX/state); then
	echo "PROBE after the capture, writing unplugged to $DAX's state succeeded: state $(kmem_state $DAX), blocks $(zones $DAX)"
else
	echo "PROBE after the capture, writing unplugged to $DAX's state was refused (${err##*: }): state $(kmem_state $DAX), blocks $(zones $DAX)"
fi
ok
