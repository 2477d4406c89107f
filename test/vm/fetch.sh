#!/bin/bash
# fetch.sh [KERNEL_ID...]: fetch everything the VM tests need (for the given
# kernels, default all) into $DAXPLAN_VM_CACHE (default /var/cache/daxplan-vm). Idempotent: once everything is cached a second run
# neither calls apt nor needs the network.
#
#   $CACHE/debs/                 downloaded .deb files (apt-get download, never installed)
#   $CACHE/kernel/ID/            ID = 6.1 | 6.12 | 7.3: vmlinuz, release, package,
#                                modules/NAME.ko (uncompressed), modules.order (insmod order)
#   $CACHE/userland/root/        ndctl, daxctl and their libraries (dpkg -x)
#   $CACHE/apt/                  a private apt list for trixie-backports (kernel 7.3):
#                                the system's apt sources are left alone
#
# Kernels: 6.1 is Debian 12's default kernel, 6.12 the newest 6.12 built for
# Debian 12, 7.3 the newest 7.3 in trixie-backports (the first kernel with the
# kmem `state` file). From 7.x Debian splits a kernel into linux-binary-KV
# (usr/lib/modules/KV/vmlinuz), linux-modules-KV (usr/lib/modules/KV/kernel)
# and linux-base-KV (modules.builtin, config): merged /usr, no /boot.
#
# Kernel id 7.3-cxl (named, or no id at all) also runs fetch-cxl.sh: what the
# CXL machine needs (its kernel, QEMU 10, cxl 81).
set -euo pipefail
MIRROR_SH=$(cd "$(dirname "$0")/../../scripts" && pwd)/debian-mirror.sh

CACHE=${DAXPLAN_VM_CACHE:-/var/cache/daxplan-vm}
TOOLS=(qemu-system-x86 busybox-static cpio xz-utils)
USERLAND=(ndctl daxctl libndctl6 libdaxctl1 libiniparser1)
MODULES=(libnvdimm nd_btt nd_pmem nd_e820 device_dax dax_pmem kmem)
KERNELS=(6.1 6.12 7.3)

die() { echo "fetch.sh: $*" >&2; exit 1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

updated=
apt_update_once() {
	[ -n "$updated" ] && return
	[ "$(id -u)" = 0 ] || die "not everything is cached in $CACHE and fetching it needs root (apt-get)"
	apt-get update -qq || die "apt-get update failed"
	updated=1
}

# apt options of the private trixie-backports list (set up by backports_once).
BPO=()
backports_once() {
	[ ${#BPO[@]} -gt 0 ] && return
	[ "$(id -u)" = 0 ] || die "not everything is cached in $CACHE and fetching it needs root (apt-get)"
	local c=$CACHE/apt mirror
	# the machine's own Debian mirror
	mirror=$(sh "$MIRROR_SH") || die "no Debian mirror found"
	mkdir -p "$c/lists/partial" "$c/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie-backports main" >"$c/sources.list"
	BPO=(-o "Dir::Etc::sourcelist=$c/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$c/lists"
		-o "Dir::Cache=$c/cache" -o APT::Sandbox::User=root)
	apt-get "${BPO[@]}" update -qq || die "apt-get update of trixie-backports failed"
}

# Print the path of a cached .deb of package $1, downloading it if needed
# (with the apt options $2... : the private list for backports packages).
deb_of() {
	local deb p=$1
	shift
	deb=$(ls "$CACHE/debs/$p"_*.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$deb" ]; then
		[ $# -gt 0 ] || apt_update_once
		(cd "$CACHE/debs" && apt-get -qq -o APT::Sandbox::User=root "$@" download "$p" >&2) ||
			die "apt-get download $p failed"
		deb=$(ls "$CACHE/debs/$p"_*.deb | sort -V | tail -n 1)
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
	7.3) # the newest 7.3 in trixie-backports: the image package (linux-binary-KV)
		apt-cache "${BPO[@]}" search --names-only '^linux-binary-7\.3\.[0-9]+\+deb13-amd64$' |
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
	local pkg deb tmp rel kv mods vmlinuz p f
	local -a opts=() debs=()
	case $id in
	7.*) backports_once; opts=("${BPO[@]}") ;;
	*) apt_update_once ;;
	esac
	pkg=$(resolve_kernel "$id")
	[ -n "$pkg" ] || die "no package found for kernel $id"
	deb=$(deb_of "$pkg" "${opts[@]}")
	debs=("$deb")
	case $pkg in
	linux-binary-*) # split kernel: the modules and modules.builtin live in their own packages
		kv=${pkg#linux-binary-}
		for p in "linux-modules-$kv" "linux-base-$kv"; do
			deb=$(deb_of "$p" "${opts[@]}")
			debs+=("$deb")
		done ;;
	esac
	tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
	for p in "${debs[@]}"; do dpkg -x "$p" "$tmp"; done
	# /lib/modules/KV (6.x) or, merged /usr, /usr/lib/modules/KV (7.x)
	mods=
	for f in "$tmp"/lib/modules/* "$tmp"/usr/lib/modules/*; do
		[ -d "$f/kernel" ] && mods=$f && break
	done
	[ -n "$mods" ] || die "$pkg: no modules directory"
	rel=${mods##*/}
	vmlinuz=$tmp/boot/vmlinuz-$rel
	[ -f "$vmlinuz" ] || vmlinuz=$mods/vmlinuz
	[ -f "$vmlinuz" ] || die "$pkg: no vmlinuz"
	local -A path=() seen=()
	local n order=()
	while IFS= read -r f; do
		n=${f##*/}; n=${n%%.ko*}; path[${n//-/_}]=$f
	done < <(find "$mods/kernel" -name '*.ko*')
	visit() {
		local m=${1//-/_} d
		[ -n "${seen[$m]:-}" ] && return
		seen[$m]=1
		if [ -z "${path[$m]:-}" ]; then
			grep -q "/${m//_/[-_]}\.ko\$" "$mods/modules.builtin" && return
			die "module $m is in neither $pkg nor its built-ins"
		fi
		for d in $(module_depends "${path[$m]}"); do visit "$d"; done
		order+=("$m")
	}
	for n in "${MODULES[@]}"; do visit "$n"; done
	rm -rf "$dir"
	mkdir -p "$dir/modules"
	cp "$vmlinuz" "$dir/vmlinuz"
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
cxl=$([ $# -eq 0 ] && echo 1 || true)
for k in "${@:-${KERNELS[@]}}"; do
	[ "$k" = 7.3-cxl ] && cxl=1 && continue
	[[ " ${KERNELS[*]} " = *" $k "* ]] || die "unknown kernel id $k (known: ${KERNELS[*]} 7.3-cxl)"
	fetch_kernel "$k"
done
fetch_userland
# Without it only the CXL machine's scenarios fail (build-initramfs.sh says why).
if [ -n "$cxl" ]; then
	bash "$(dirname "$0")/fetch-cxl.sh" || echo "fetch.sh: fetch-cxl.sh failed: the CXL machine cannot boot" >&2
fi
