#!/bin/bash
# fetch-cxl.sh: fetch what the CXL machine needs into $DAXPLAN_VM_CACHE
# (default /var/cache/daxplan-vm); fetch.sh runs it last. Idempotent: once
# everything is cached a second run neither calls apt nor needs the network.
# Nothing is installed: every package is unpacked with dpkg -x.
#
#   $CACHE/apt-cxl/SUITE/        private apt lists (bookworm-backports; trixie with
#                                trixie-backports): the system's sources are left alone
#   $CACHE/debs/                 the kernel's .debs (the same files fetch.sh's 7.3 uses)
#   $CACHE/debs/SUITE/           the other .debs, by suite (names clash across suites)
#   $CACHE/kernel/7.3-cxl/       as fetch.sh's kernels: vmlinuz, release, package,
#                                modules/NAME.ko (uncompressed), modules.order (insmod order)
#   $CACHE/qemu10/root/          QEMU 10 (bookworm-backports): CXL type 3 RAM devices
#                                and windows; the system's QEMU 7.2 is too old
#   $CACHE/cxl/root/             cxl and daxctl 81 (trixie) with trixie's loader and
#                                libraries: bookworm's cxl 76.1 cannot create RAM regions
#
# The kernel is the newest 7.3 of trixie-backports (linux-binary-KV with
# linux-modules-KV: merged /usr, .ko.xz), the same package as fetch.sh's 7.3.
set -euo pipefail
MIRROR_SH=$(cd "$(dirname "$0")/../../scripts" && pwd)/debian-mirror.sh

CACHE=${DAXPLAN_VM_CACHE:-/var/cache/daxplan-vm}
KERNEL_ID=7.3-cxl
# cxl_core and cxl_port are built into Debian's 7.3; the rest, in insmod order
# after their dependencies (cxl_acpi's soft dependency cxl_port is built in).
MODULES=(libnvdimm cxl_pmem cxl_acpi cxl_mem cxl_pci device_dax kmem dax_hmem dax_cxl)
QEMU=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
CXL_TOOLS=(cxl daxctl)

die() { echo "fetch-cxl.sh: $*" >&2; exit 1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# apt_opts SUITE: set APT to the options of a private list for SUITE
# ("trixie" also lists trixie-backports), updating it once per run.
declare -A listed=()
APT=()
apt_opts() {
	local suite=$1 c=$CACHE/apt-cxl/$1 mirror s
	APT=(-o "Dir::Etc::sourcelist=$c/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$c/lists"
		-o "Dir::Cache=$c/cache" -o APT::Sandbox::User=root)
	[ -n "${listed[$suite]:-}" ] && return
	[ "$(id -u)" = 0 ] || die "not everything is cached in $CACHE and fetching it needs root (apt-get)"
	# the machine's own Debian mirror
	mirror=$(sh "$MIRROR_SH") || die "no Debian mirror found"
	mkdir -p "$c/lists/partial" "$c/cache/archives/partial"
	: >"$c/sources.list"
	for s in $suite $([ "$suite" = trixie ] && echo trixie-backports); do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main" >>"$c/sources.list"
	done
	apt-get "${APT[@]}" update -qq || die "apt-get update of $suite failed"
	listed[$suite]=1
}

# deb_of DIR PACKAGE: print the path of a cached .deb of PACKAGE in DIR,
# downloading it with the current APT options if needed.
deb_of() {
	local dir=$1 p=$2 deb
	mkdir -p "$dir"
	deb=$(ls "$dir/$p"_*.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$deb" ]; then
		(cd "$dir" && apt-get -qq "${APT[@]}" download "$p" >&2) || die "apt-get download $p failed"
		deb=$(ls "$dir/$p"_*.deb | sort -V | tail -n 1)
	fi
	echo "$deb"
}

# The `depends=` field of a module's .modinfo section, space-separated.
module_depends() {
	case $1 in *.xz) xz -dc "$1" ;; *) cat "$1" ;; esac |
		tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

fetch_kernel() {
	local dir=$CACHE/kernel/$KERNEL_ID
	[ "$(cat "$dir/ok" 2>/dev/null)" = "${MODULES[*]}" ] && return
	apt_opts trixie
	local pkg kv tmp mods rel p
	pkg=$(apt-cache "${APT[@]}" search --names-only '^linux-binary-7\.3\.[0-9]+\+deb13-amd64$' | cut -d' ' -f1 | sort -V | tail -n 1)
	[ -n "$pkg" ] || die "no linux-binary-7.3.*+deb13-amd64 in trixie-backports"
	kv=${pkg#linux-binary-}
	tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
	for p in "$pkg" "linux-modules-$kv"; do dpkg -x "$(deb_of "$CACHE/debs" "$p")" "$tmp"; done
	mods=$tmp/usr/lib/modules/$kv
	[ -f "$mods/vmlinuz" ] && [ -d "$mods/kernel" ] || die "$pkg: no usr/lib/modules/$kv/{vmlinuz,kernel}"
	rel=$kv
	local -A path=() seen=()
	local f n order=()
	while IFS= read -r f; do
		n=${f##*/}; n=${n%%.ko*}; path[${n//-/_}]=$f
	done < <(find "$mods/kernel" -name '*.ko*')
	visit() {
		local m=${1//-/_} d
		[ -n "${seen[$m]:-}" ] && return
		seen[$m]=1
		[ -n "${path[$m]:-}" ] || die "module $m is not in linux-modules-$kv (built in? then drop it from MODULES)"
		for d in $(module_depends "${path[$m]}"); do visit "$d"; done
		order+=("$m")
	}
	for n in "${MODULES[@]}"; do visit "$n"; done
	rm -rf "$dir"
	mkdir -p "$dir/modules"
	cp "$mods/vmlinuz" "$dir/vmlinuz"
	for n in "${order[@]}"; do
		case ${path[$n]} in
		*.xz) xz -dc "${path[$n]}" >"$dir/modules/$n.ko" ;;
		*) cp "${path[$n]}" "$dir/modules/$n.ko" ;;
		esac
	done
	printf '%s\n' "${order[@]}" >"$dir/modules.order"
	echo "$rel" >"$dir/release"
	echo "$pkg $(dpkg-deb -f "$(deb_of "$CACHE/debs" "$pkg")" Version)" >"$dir/package"
	rm -rf "$tmp"
	echo "${MODULES[*]}" >"$dir/ok"
	echo "fetch-cxl.sh: kernel $KERNEL_ID: $(cat "$dir/package"), modules: ${order[*]}" >&2
}

# QEMU 10 next to the system's QEMU: its libraries are the ones the system's
# qemu-system-x86 (installed by fetch.sh) already has; any it lacks come from
# the system's own suite and are unpacked next to it. Run it with
# QEMU_MODULE_DIR=root/usr/lib/x86_64-linux-gnu/qemu (else it loads 7.2's
# modules), -L root/usr/share/qemu -L root/usr/share/seabios and -audio none.
fetch_qemu() {
	local dir=$CACHE/qemu10 p v missing
	[ -f "$dir/ok" ] && return
	apt_opts bookworm-backports
	rm -rf "$dir"
	mkdir -p "$dir/root"
	for p in "${QEMU[@]}"; do dpkg -x "$(deb_of "$CACHE/debs/bookworm-backports" "$p")" "$dir/root"; done
	local -a libs=()
	for p in $(apt-cache "${APT[@]}" show "qemu-system-x86/bookworm-backports" "qemu-system-common/bookworm-backports" |
		sed -n 's/^Depends: //p' | tr ',' '\n' | sed 's/^ *\([^ ]*\).*/\1/' | grep '^lib' | sort -u); do
		installed "$p" || libs+=("$p")
	done
	if [ ${#libs[@]} -gt 0 ]; then
		apt-get update -qq || die "apt-get update failed"
		for p in "${libs[@]}"; do
			(cd "$CACHE/debs" && apt-get -qq -o APT::Sandbox::User=root download "$p" >&2) || die "apt-get download $p failed"
			dpkg -x "$(ls "$CACHE/debs/$p"_*.deb | sort -V | tail -n 1)" "$dir/root"
		done
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
	apt_opts trixie
	local -a pkgs=("${CXL_TOOLS[@]}")
	for p in $(apt-cache "${APT[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "${CXL_TOOLS[@]}" | grep '^lib' | sort -u); do
		pkgs+=("$p")
	done
	rm -rf "$dir"
	mkdir -p "$dir/root"
	for p in "${pkgs[@]}"; do dpkg -x "$(deb_of "$CACHE/debs/trixie" "$p")" "$dir/root"; done
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

fetch_kernel
fetch_qemu
fetch_cxl
