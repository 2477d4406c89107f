#!/bin/bash
# fetch.sh [KERNEL_ID...]: fetch everything the VM tests need (for the given
# kernels, default all) into $DAXPLAN_VM_CACHE (default /var/cache/daxplan-vm). Idempotent: once everything is cached a second run
# neither calls apt nor needs the network.
#
#   $CACHE/debs/                 downloaded .deb files (apt-get download, never installed)
#   $CACHE/kernel/ID/            ID = 6.1 | 6.12 | 7.3 (7.3-cxl: fetch-cxl.sh): vmlinuz,
#                                release, package, ok (its module list),
#                                modules/NAME.ko (uncompressed), modules.order (insmod order)
#   $CACHE/userland/root/        ndctl, daxctl and their libraries (dpkg -x)
#   $CACHE/apt/                  a private apt list for trixie-backports (kernel 7.3):
#                                the system's apt sources are left alone
#
# Kernels: 6.1 is Debian 12's default kernel, 6.12 the newest 6.12 built for
# Debian 12, 7.3 the newest 7.3 in trixie-backports (the first kernel with the
# kmem `state` file). fetch-lib.sh (stage_kernel) resolves and stages them.
#
# Kernel id 7.3-cxl (named, or no id at all) also runs fetch-cxl.sh: what the
# CXL machine needs (its kernel, QEMU 10, cxl 81).
set -euo pipefail
. "$(dirname "$0")/fetch-lib.sh"

TOOLS=(qemu-system-x86 busybox-static cpio xz-utils)
USERLAND=(ndctl daxctl libndctl6 libdaxctl1 libiniparser1)
MODULES=(libnvdimm nd_btt nd_pmem nd_e820 device_dax dax_pmem kmem)
KERNELS=(6.1 6.12 7.3)

fetch_userland() {
	local dir=$CACHE/userland
	[ -f "$dir/ok" ] && return
	apt_update_once
	# The tools plus every library of their dependency closure this host lacks
	# (the host's own libraries are copied into the guest from the host).
	local p pkgs=("${USERLAND[@]}")
	for p in $(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances --no-pre-depends "${USERLAND[@]}" | grep '^lib' | sort -u); do
		installed "$p" || pkgs+=("$p")
	done
	rm -rf "$dir"
	mkdir -p "$dir/root"
	for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do
		dpkg -x "$(deb_of "$CACHE/debs" "$p")" "$dir/root"
	done
	local missing
	missing=$(LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu:$dir/root/lib/x86_64-linux-gnu" \
		ldd "$dir/root/usr/bin/ndctl" "$dir/root/usr/bin/daxctl" | grep 'not found' || true)
	[ -z "$missing" ] || die "ndctl/daxctl libraries missing: $missing"
	touch "$dir/ok"
}

mkdir -p "$CACHE/debs"
missing_tools=()
for p in "${TOOLS[@]}"; do installed "$p" || missing_tools+=("$p"); done
if [ ${#missing_tools[@]} -gt 0 ]; then
	apt_update_once
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_tools[@]}" >&2 ||
		die "apt-get install ${missing_tools[*]} failed"
fi
cxl=$([ $# -eq 0 ] && echo 1 || true)
for k in "${@:-${KERNELS[@]}}"; do
	[ "$k" = 7.3-cxl ] && cxl=1 && continue
	[[ " ${KERNELS[*]} " = *" $k "* ]] || die "unknown kernel id $k (known: ${KERNELS[*]} 7.3-cxl)"
	stage_kernel "$k" "${MODULES[@]}"
done
fetch_userland
# Without it only the CXL machine's scenarios fail (build-initramfs.sh says why).
if [ -n "$cxl" ]; then
	bash "$(dirname "$0")/fetch-cxl.sh" || echo "fetch.sh: fetch-cxl.sh failed: the CXL machine cannot boot" >&2
fi
