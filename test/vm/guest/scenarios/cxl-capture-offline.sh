#!/bin/sh
# machines: cxl
# append: memhp_default_state=offline
# cxl-capture-offline: CXL RAM booted with memhp_default_state=offline. One
# RAM region per type 3 device; kmem binds each dax device at once and its
# memory arrives offline (`state` reads offline). The device of serial
# 0x1234abcd is then taken through its `state` file to unplugged and to
# online_movable; the other is left as it arrived. sysfs is captured and sent
# to the host: test/vm/checks/cxl-capture-offline.ts reads the states back
# (and with DAXPLAN_VM_UPDATE_FIXTURES=1 makes it
# test/fixtures/real-cxl-7.3/offline-boot).
# Lines for the check: CMDLINE, HOW <dev> <text>;
# TIMING kernel <state> <ms> for each `state` write.
. /guest/lib.sh
. /guest/cxl.sh
echo "CMDLINE $(cat /proc/cmdline)"
echo "auto_online_blocks=$(cat $MEM/auto_online_blocks)"

write_state() { # DEV WORD: write WORD to DEV's state file, timed; fail on a refusal
	local t0 err
	t0=$(now_ms)
	err=$(echo "$2" 2>&1 >"/sys/bus/dax/devices/$1/state") || fail "$1: writing $2 to state refused: ${err##*: }"
	echo "TIMING kernel $2 $(($(now_ms) - t0))"
	echo "$1: wrote $2, state reads $(kmem_state $1), blocks $(zones $1)"
}

cxl_ram_region $SERIAL_A
a=$DAX
arrived=$(kmem_state $a)
write_state $a unplugged
write_state $a online_movable
echo "HOW $a cxl create-region -t ram -d decoder0.0 -m $(cxl_memdev $SERIAL_A): arrived with state $arrived; then state: unplugged, online_movable"

cxl_ram_region $SERIAL_B
echo "HOW $DAX cxl create-region -t ram -d decoder0.0 -m $(cxl_memdev $SERIAL_B): left as it arrived (state $(kmem_state $DAX))"

cxl_capture
ok
