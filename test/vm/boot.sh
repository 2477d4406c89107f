#!/bin/bash
# boot.sh KERNEL_ID SCENARIO [LOG]: boot the guest built by build-initramfs.sh
# on kernel 6.1, 6.12 or 7.3 and run one scenario; the serial console goes to LOG
# (default test/vm/out/KERNEL_ID/SCENARIO/console.log). Exit status: QEMU's
# (0 after the guest's poweroff), 124 when the boot timed out
# ($DAXPLAN_VM_TIMEOUT seconds, default 180).
#
# Guest shape: 9 GiB in three NUMA nodes (4G with both CPUs, then 2G and 3G
# memory-only) and four 1 GiB legacy pmem regions at 6, 7, 8 and 9 GiB: one on
# node 1, three on node 2. TCG runs single-threaded (both vCPUs on one host
# thread): multi-threaded TCG now and then oopsed the guest kernel at boot
# ("Oops: int3" in code being live-patched), and one core per guest lets
# run.ts boot two guests at a time. RDRAND lets the guest's crng start at
# once: without it the first ndctl waits ~7 s for "crng init done".
#
# Kernel ids ending in -cxl boot the CXL machine instead (described below).
# $DAXPLAN_VM_APPEND: more kernel command-line words (a scenario's `# append:`).
set -euo pipefail

ID=${1:?usage: boot.sh KERNEL_ID SCENARIO [LOG]}
SCENARIO=${2:?usage: boot.sh KERNEL_ID SCENARIO [LOG]}
CACHE=${DAXPLAN_VM_CACHE:-/var/cache/daxplan-vm}
VM=$(cd "$(dirname "$0")" && pwd)
LOG=${3:-$VM/out/$ID/$SCENARIO/console.log}
INITRD=$VM/out/initrd-$ID.img
[ -f "$INITRD" ] || { echo "boot.sh: no $INITRD: run build-initramfs.sh $ID" >&2; exit 1; }
mkdir -p "$(dirname "$LOG")"

APPEND="console=ttyS0 panic=-1 daxplan.scenario=$SCENARIO ${DAXPLAN_VM_APPEND:-}"

case $ID in
*-cxl) # The CXL machine (kernel ids ending in -cxl): see boot_cxl below.
	QEMU10=$CACHE/qemu10/root
	[ -f "$CACHE/qemu10/ok" ] || { echo "boot.sh: no QEMU 10 in $CACHE/qemu10: run fetch.sh" >&2; exit 1; }
	# QEMU 10, unpacked, next to the system's 7.2: its own modules and firmware,
	# no audio (the audio modules would be probed). q35 with CXL: one CXL host
	# bridge (pxb-cxl) with two root ports, a 1 GiB volatile type 3 device on
	# each (serials 0x1234abcd and 0x5678ef01), one 4 GiB fixed memory window
	# on that host bridge. The SRAT from -numa gives the window its own node.
	# -hypervisor: with the hypervisor CPUID bit the kernel cannot flush caches
	# by its own means when a region commits ("Failed to synchronize CPU cache
	# state").
	exec timeout -k 5 "${DAXPLAN_VM_TIMEOUT:-180}" env QEMU_MODULE_DIR="$QEMU10/usr/lib/x86_64-linux-gnu/qemu" \
		LD_LIBRARY_PATH="$QEMU10/usr/lib/x86_64-linux-gnu" \
		"$QEMU10/usr/bin/qemu-system-x86_64" -L "$QEMU10/usr/share/qemu" -L "$QEMU10/usr/share/seabios" \
		-machine q35,cxl=on -accel tcg,thread=single -cpu qemu64,+rdrand,-hypervisor -m 2G -smp 2 \
		-object memory-backend-ram,id=m0,size=2G \
		-numa node,nodeid=0,cpus=0-1,memdev=m0 \
		-object memory-backend-ram,id=cxl-mem0,share=on,size=1G \
		-object memory-backend-ram,id=cxl-mem1,share=on,size=1G \
		-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
		-device cxl-rp,port=0,bus=cxl.1,id=cxl-rp0,chassis=0,slot=2 \
		-device cxl-rp,port=1,bus=cxl.1,id=cxl-rp1,chassis=0,slot=3 \
		-device cxl-type3,bus=cxl-rp0,volatile-memdev=cxl-mem0,id=cxl-dev0,sn=0x1234abcd \
		-device cxl-type3,bus=cxl-rp1,volatile-memdev=cxl-mem1,id=cxl-dev1,sn=0x5678ef01 \
		-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G \
		-audio none -nographic -monitor none -no-reboot -nic none \
		-kernel "$CACHE/kernel/$ID/vmlinuz" -initrd "$INITRD" \
		-append "$APPEND daxplan.machine=cxl" \
		</dev/null >"$LOG"
	;;
esac

exec timeout -k 5 "${DAXPLAN_VM_TIMEOUT:-180}" qemu-system-x86_64 \
	-machine pc -accel tcg,thread=single -cpu qemu64,+rdrand -m 9G -smp 2 \
	-object memory-backend-ram,id=m0,size=4G \
	-object memory-backend-ram,id=m1,size=2G \
	-object memory-backend-ram,id=m2,size=3G \
	-numa node,nodeid=0,cpus=0-1,memdev=m0 \
	-numa node,nodeid=1,memdev=m1 \
	-numa node,nodeid=2,memdev=m2 \
	-nographic -monitor none -no-reboot -nic none \
	-kernel "$CACHE/kernel/$ID/vmlinuz" -initrd "$INITRD" \
	-append "$APPEND memmap=1G!6G memmap=1G!7G memmap=1G!8G memmap=1G!9G" \
	</dev/null >"$LOG"
