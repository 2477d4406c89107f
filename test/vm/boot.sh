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
set -euo pipefail

ID=${1:?usage: boot.sh KERNEL_ID SCENARIO [LOG]}
SCENARIO=${2:?usage: boot.sh KERNEL_ID SCENARIO [LOG]}
CACHE=${DAXPLAN_VM_CACHE:-/var/cache/daxplan-vm}
VM=$(cd "$(dirname "$0")" && pwd)
LOG=${3:-$VM/out/$ID/$SCENARIO/console.log}
INITRD=$VM/out/initrd-$ID.img
[ -f "$INITRD" ] || { echo "boot.sh: no $INITRD: run build-initramfs.sh $ID" >&2; exit 1; }
mkdir -p "$(dirname "$LOG")"

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
	-append "console=ttyS0 panic=-1 memmap=1G!6G memmap=1G!7G memmap=1G!8G memmap=1G!9G daxplan.scenario=$SCENARIO" \
	</dev/null >"$LOG"
