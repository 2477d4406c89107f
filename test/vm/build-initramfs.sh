#!/bin/bash
# build-initramfs.sh KERNEL_ID: build the guest initramfs for kernel 6.1, 6.12 or 7.3
# and print its path (test/vm/out/initrd-KERNEL_ID.img). Needs fetch.sh first.
# An id ending in -cxl (7.3-cxl) is the CXL machine's (fetch-cxl.sh): its base
# has the CXL modules and, instead of bookworm's ndctl/daxctl, trixie's cxl and
# daxctl 81 under /opt/trixie (bin/, lib/ with trixie's loader and libraries),
# run by the wrappers /usr/bin/cxl and /usr/bin/daxctl through that loader.
#
# Two gzip'd newc cpio archives, concatenated (the kernel unpacks both):
#  - base, cached in $CACHE/initramfs: busybox, the kernel's modules, ndctl and
#    daxctl, the host's node and GNU date (for `date +%s%N`), all with their
#    libraries (found with ldd);
#  - overlay, rebuilt every time (small): /init, /guest/*.sh, /scenarios/*.sh
#    and /daxplan/daxplan.cjs when `npm run build` has produced dist/daxplan.cjs.
set -euo pipefail

ID=${1:?usage: build-initramfs.sh KERNEL_ID}
CACHE=${DAXPLAN_VM_CACHE:-/var/cache/daxplan-vm}
VM=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$VM/../.." && pwd)
KDIR=$CACHE/kernel/$ID
UROOT=$CACHE/userland/root
TRIXIE=$CACHE/cxl/root
case $ID in
*-cxl) USERLAND_OK=$CACHE/cxl/ok ;;
*) USERLAND_OK=$CACHE/userland/ok ;;
esac
for f in "$KDIR/ok" "$USERLAND_OK"; do
	[ -f "$f" ] || { echo "build-initramfs.sh: no $f: run fetch.sh first" >&2; exit 1; }
done

stage= overlay=
trap 'rm -rf "$stage" "$overlay"' EXIT
HOST_BINS=("$(command -v node)" "$(command -v date)")
GUEST_BINS=("$UROOT/usr/bin/ndctl" "$UROOT/usr/bin/daxctl")
case $ID in *-cxl) GUEST_BINS=() ;; esac
TRIXIE_BINS=()
case $ID in *-cxl) TRIXIE_BINS=("$TRIXIE/usr/bin/cxl" "$TRIXIE/usr/bin/daxctl") ;; esac

pack() { # DIR OUT: newc cpio of DIR, gzip'd, written atomically
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$2.tmp.$$"
	mv "$2.tmp.$$" "$2"
}

# The base archive is keyed by everything that goes into it.
key=$( {
	cat "$KDIR/package" "$KDIR/modules.order" "$VM/build-initramfs.sh"
	stat -L -c '%n %s %Y' /bin/busybox "${HOST_BINS[@]}" "${GUEST_BINS[@]}" "${TRIXIE_BINS[@]}"
} | sha256sum | cut -c1-16)
base=$CACHE/initramfs/$ID-$key.cpio.gz
if [ ! -f "$base" ]; then
	mkdir -p "$CACHE/initramfs"
	rm -f "$CACHE/initramfs/$ID"-*.cpio.gz
	stage=$(mktemp -d)
	mkdir -p "$stage"/{bin,usr/bin,lib64,lib/x86_64-linux-gnu,modules,proc,sys,dev,tmp,run,root}
	cp /bin/busybox "$stage/bin/"
	for a in $(/bin/busybox --list); do
		[ -e "$stage/bin/$a" ] || ln -s busybox "$stage/bin/$a"
	done
	cp "$KDIR"/modules/*.ko "$KDIR/modules.order" "$stage/modules/"
	cp -L "${HOST_BINS[@]}" "${GUEST_BINS[@]}" "$stage/usr/bin/"
	libs=$(LD_LIBRARY_PATH="$UROOT/usr/lib/x86_64-linux-gnu:$UROOT/lib/x86_64-linux-gnu" \
		ldd "${HOST_BINS[@]}" "${GUEST_BINS[@]}")
	if [ ${#TRIXIE_BINS[@]} -gt 0 ]; then # trixie's programs with trixie's libraries, through trixie's loader
		tlib=$TRIXIE/usr/lib/x86_64-linux-gnu
		mkdir -p "$stage/opt/trixie/bin" "$stage/opt/trixie/lib"
		for b in "${TRIXIE_BINS[@]}"; do
			cp -L "$b" "$stage/opt/trixie/bin/"
			printf '#!/bin/sh\nexec /opt/trixie/lib/ld-linux-x86-64.so.2 --library-path /opt/trixie/lib /opt/trixie/bin/%s "$@"\n' \
				"${b##*/}" >"$stage/usr/bin/${b##*/}"
			chmod 755 "$stage/usr/bin/${b##*/}"
			"$tlib/ld-linux-x86-64.so.2" --library-path "$tlib" --list "$b"
		done | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u | xargs cp -L -t "$stage/opt/trixie/lib/"
		cp -L "$tlib/ld-linux-x86-64.so.2" "$stage/opt/trixie/lib/"
	fi
	if grep -q 'not found' <<<"$libs"; then
		echo "build-initramfs.sh: missing libraries:" >&2
		grep 'not found' <<<"$libs" >&2
		exit 1
	fi
	awk '$2 == "=>" && $3 ~ /^\// { print $3 }' <<<"$libs" | sort -u |
		xargs cp -L -t "$stage/lib/x86_64-linux-gnu/"
	cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
	pack "$stage" "$base"
	echo "build-initramfs.sh: built $base ($(du -h "$base" | cut -f1))" >&2
fi

out=$VM/out
mkdir -p "$out"
overlay=$(mktemp -d)
mkdir -p "$overlay/guest" "$overlay/scenarios"
install -m 755 "$VM/guest/init.sh" "$overlay/init"
install -m 755 "$VM"/guest/lib.sh "$VM"/guest/cxl.sh "$VM"/guest/capture-sysfs.sh "$overlay/guest/"
install -m 755 "$VM"/guest/scenarios/*.sh "$overlay/scenarios/"
if [ -f "$REPO/dist/daxplan.cjs" ]; then
	mkdir -p "$overlay/daxplan"
	cp "$REPO/dist/daxplan.cjs" "$overlay/daxplan/"
	# V8's code cache for it (same node binary in the guest), as installed on a host
	[ -f "$REPO/dist/daxplan.cache" ] && cp "$REPO/dist/daxplan.cache" "$overlay/daxplan/"
fi
pack "$overlay" "$out/overlay-$ID.cpio.gz"
cat "$base" "$out/overlay-$ID.cpio.gz" >"$out/initrd-$ID.img.tmp.$$"
mv "$out/initrd-$ID.img.tmp.$$" "$out/initrd-$ID.img"
rm "$out/overlay-$ID.cpio.gz"
echo "$out/initrd-$ID.img"
