#!/bin/bash
# fetch-cxl.sh: fetch what the CXL machine needs into $DAXPLAN_VM_CACHE
# (default /var/cache/daxplan-vm); fetch.sh runs it last. Idempotent: once
# everything is cached a second run neither calls apt nor needs the network.
# Nothing is installed: every package is unpacked with dpkg -x.
#
#   $CACHE/apt-cxl/SUITE/        private apt lists (bookworm-backports; trixie with
#                                trixie-backports): the system's sources are left alone
#   $CACHE/debs/, $CACHE/apt/    the kernel's .debs and apt list (trixie-backports), shared
#                                with fetch.sh's 7.3
#   $CACHE/debs/SUITE/           the other .debs, by suite (names clash across suites)
#   $CACHE/kernel/7.3-cxl/       as fetch.sh's kernels: vmlinuz, release, package,
#                                modules/NAME.ko (uncompressed), modules.order (insmod order)
#   $CACHE/qemu10/root/          QEMU 10 (bookworm-backports): CXL type 3 RAM devices
#                                and windows; the system's QEMU 7.2 is too old
#   $CACHE/cxl/root/             cxl and daxctl 81 (trixie) with trixie's loader and
#                                libraries: bookworm's cxl 76.1 cannot create RAM regions
#
# The kernel is fetch.sh's 7.3 (the newest of trixie-backports) with the CXL
# modules, staged by the same code (fetch-lib.sh's stage_kernel).
set -euo pipefail
. "$(dirname "$0")/fetch-lib.sh"

# cxl_core and cxl_port are built into Debian's 7.3; the rest, in insmod order
# after their dependencies (cxl_acpi's soft dependency cxl_port is built in).
MODULES=(libnvdimm cxl_pmem cxl_acpi cxl_mem cxl_pci device_dax kmem dax_hmem dax_cxl)
QEMU=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
CXL_TOOLS=(cxl daxctl)

# QEMU 10 next to the system's QEMU: its libraries are the ones the system's
# qemu-system-x86 (installed by fetch.sh) already has; any it lacks come from
# the system's own suite and are unpacked next to it. Run it with
# QEMU_MODULE_DIR=root/usr/lib/x86_64-linux-gnu/qemu (else it loads 7.2's
# modules), -L root/usr/share/qemu -L root/usr/share/seabios and -audio none.
fetch_qemu() {
	local dir=$CACHE/qemu10 p v missing
	[ -f "$dir/ok" ] && return
	private_apt "$CACHE/apt-cxl/bookworm-backports" bookworm-backports
	rm -rf "$dir"
	mkdir -p "$dir/root"
	for p in "${QEMU[@]}"; do dpkg -x "$(deb_of "$CACHE/debs/bookworm-backports" "$p" "${APT[@]}")" "$dir/root"; done
	local -a libs=()
	for p in $(apt-cache "${APT[@]}" show "qemu-system-x86/bookworm-backports" "qemu-system-common/bookworm-backports" |
		sed -n 's/^Depends: //p' | tr ',' '\n' | sed 's/^ *\([^ ]*\).*/\1/' | grep '^lib' | sort -u); do
		installed "$p" || libs+=("$p")
	done
	if [ ${#libs[@]} -gt 0 ]; then
		apt_update_once
		for p in "${libs[@]}"; do dpkg -x "$(deb_of "$CACHE/debs" "$p")" "$dir/root"; done
	fi
	missing=$(LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu" ldd "$dir/root/usr/bin/qemu-system-x86_64" | grep 'not found' || true)
	[ -z "$missing" ] || die "QEMU 10 libraries missing: $missing"
	v=$(LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu" "$dir/root/usr/bin/qemu-system-x86_64" --version | head -n 1) ||
		die "QEMU 10 does not start"
	echo "$v" >"$dir/version"
	touch "$dir/ok"
	echo "fetch-cxl.sh: $v" >&2
}

# cxl and daxctl 81 with every library of their closure, all from trixie
# (they need glibc 2.38): run as root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
# --library-path root/usr/lib/x86_64-linux-gnu root/usr/bin/cxl.
fetch_cxl() {
	local dir=$CACHE/cxl p lib out=
	[ -f "$dir/ok" ] && return
	private_apt "$CACHE/apt-cxl/trixie" trixie trixie-backports
	local -a pkgs=("${CXL_TOOLS[@]}")
	for p in $(apt-cache "${APT[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "${CXL_TOOLS[@]}" | grep '^lib' | sort -u); do
		pkgs+=("$p")
	done
	rm -rf "$dir"
	mkdir -p "$dir/root"
	for p in "${pkgs[@]}"; do dpkg -x "$(deb_of "$CACHE/debs/trixie" "$p" "${APT[@]}")" "$dir/root"; done
	lib=$dir/root/usr/lib/x86_64-linux-gnu
	for p in "${CXL_TOOLS[@]}"; do
		out+=$("$lib/ld-linux-x86-64.so.2" --library-path "$lib" --list "$dir/root/usr/bin/$p") ||
			die "trixie's loader cannot load $p"
	done
	! grep -q 'not found' <<<"$out" || die "cxl/daxctl libraries missing: $(grep 'not found' <<<"$out")"
	"$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$dir/root/usr/bin/cxl" version >"$dir/version" || die "cxl does not start"
	touch "$dir/ok"
	echo "fetch-cxl.sh: cxl $(cat "$dir/version") with trixie's libc ($(ls "$CACHE/debs/trixie"/libc6_*.deb | sed 's/.*libc6_//; s/_amd64.deb//'))" >&2
}

stage_kernel 7.3-cxl "${MODULES[@]}"
fetch_qemu
fetch_cxl
