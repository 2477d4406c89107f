#!/bin/bash
# Fetch everything the VM tests need into $DAXPLAN_VM_CACHE (default
# /var/cache/daxplan-vm). Idempotent: once everything is cached a second run
# neither calls apt nor needs the network.
#
#   $CACHE/debs/                 downloaded .deb files (apt-get download, never installed)
#   $CACHE/kernel/ID/            ID = 6.1 | 6.12: vmlinuz, release, package,
#                                modules/NAME.ko (uncompressed), modules.order (insmod order)
#   $CACHE/userland/root/        ndctl, daxctl and their libraries (dpkg -x)
# and, through fetch-cxl.sh, what the CXL machine needs (kernel id 7.3-cxl,
# QEMU 10, cxl 81).
set -euo pipefail

CACHE=${DAXPLAN_VM_CACHE:-/var/cache/daxplan-vm}
TOOLS=(qemu-system-x86 busybox-static cpio xz-utils)
USERLAND=(ndctl daxctl libndctl6 libdaxctl1 libiniparser1)
MODULES=(libnvdimm nd_btt nd_pmem nd_e820 device_dax dax_pmem kmem)
KERNELS=(6.1 6.12)

die() { echo "fetch.sh: $*" >&2; exit 1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

updated=
apt_update_once() {
	[ -n "$updated" ] && return
	[ "$(id -u)" = 0 ] || die "not everything is cached in $CACHE and fetching it needs root (apt-get)"
	apt-get update -qq || die "apt-get update failed"
	updated=1
}

# Print the path of a cached .deb of package $1, downloading it if needed.
deb_of() {
	local deb
	deb=$(ls "$CACHE/debs/$1"_*.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$deb" ]; then
		apt_update_once
		(cd "$CACHE/debs" && apt-get -qq -o APT::Sandbox::User=root download "$1" >&2) ||
			die "apt-get download $1 failed"
		deb=$(ls "$CACHE/debs/$1"_*.deb | sort -V | tail -n 1)
	fi
	echo "$deb"
}

resolve_kernel() {
	case $1 in
	6.1) # the real package behind Debian 12's default kernel
		apt-cache depends linux-image-amd64 |
			sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1 ;;
	6.12) # the newest 6.12 built for Debian 12
		apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
			cut -d' ' -f1 | sort -V | tail -n 1 ;;
	*) die "unknown kernel id $1" ;;
	esac
}

# The `depends=` field of a module's .modinfo section, space-separated.
module_depends() {
	case $1 in *.xz) xz -dc "$1" ;; *) cat "$1" ;; esac |
		tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

fetch_kernel() {
	local id=$1 dir=$CACHE/kernel/$1
	[ "$(cat "$dir/ok" 2>/dev/null)" = "${MODULES[*]}" ] && return
	apt_update_once
	local pkg deb tmp rel
	pkg=$(resolve_kernel "$id")
	[ -n "$pkg" ] || die "no package found for kernel $id"
	deb=$(deb_of "$pkg")
	tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
	dpkg -x "$deb" "$tmp"
	rel=$(ls "$tmp/lib/modules")
	local -A path=() seen=()
	local f n order=()
	while IFS= read -r f; do
		n=${f##*/}; n=${n%%.ko*}; path[${n//-/_}]=$f
	done < <(find "$tmp/lib/modules/$rel/kernel" -name '*.ko*')
	visit() {
		local m=${1//-/_} d
		[ -n "${seen[$m]:-}" ] && return
		seen[$m]=1
		if [ -z "${path[$m]:-}" ]; then
			grep -q "/${m//_/[-_]}\.ko\$" "$tmp/lib/modules/$rel/modules.builtin" && return
			die "module $m is in neither $pkg nor its built-ins"
		fi
		for d in $(module_depends "${path[$m]}"); do visit "$d"; done
		order+=("$m")
	}
	for n in "${MODULES[@]}"; do visit "$n"; done
	rm -rf "$dir"
	mkdir -p "$dir/modules"
	cp "$tmp/boot/vmlinuz-$rel" "$dir/vmlinuz"
	for n in "${order[@]}"; do
		case ${path[$n]} in
		*.xz) xz -dc "${path[$n]}" >"$dir/modules/$n.ko" ;;
		*) cp "${path[$n]}" "$dir/modules/$n.ko" ;;
		esac
	done
	printf '%s\n' "${order[@]}" >"$dir/modules.order"
	echo "$rel" >"$dir/release"
	echo "$pkg $(dpkg-deb -f "$deb" Version)" >"$dir/package"
	rm -rf "$tmp"
	echo "${MODULES[*]}" >"$dir/ok"
	echo "fetch.sh: kernel $id: $(cat "$dir/package"), modules: ${order[*]}" >&2
}

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
		dpkg -x "$(deb_of "$p")" "$dir/root"
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
for k in "${KERNELS[@]}"; do fetch_kernel "$k"; done
fetch_userland
# Without it only the CXL machine's scenarios fail (build-initramfs.sh says why).
bash "$(dirname "$0")/fetch-cxl.sh" || echo "fetch.sh: fetch-cxl.sh failed: the CXL machine cannot boot" >&2
