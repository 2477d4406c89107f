# fetch-lib.sh: what fetch.sh and fetch-cxl.sh share (sourced by both, under
# set -euo pipefail): the cache, apt lists, cached .debs and kernel staging.
# Messages start with the sourcing script's name. Nothing here needs root
# until something must be fetched: every function checks its cache first.

CACHE=${DAXPLAN_VM_CACHE:-/var/cache/daxplan-vm}
MIRROR_SH=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/debian-mirror.sh

die() { echo "${0##*/}: $*" >&2; exit 1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
need_root() { [ "$(id -u)" = 0 ] || die "not everything is cached in $CACHE and fetching it needs root (apt-get)"; }

# The system's own apt lists, updated once per run.
updated=
apt_update_once() {
	[ -n "$updated" ] && return
	need_root
	apt-get update -qq || die "apt-get update failed"
	updated=1
}

# private_apt DIR SUITE...: set APT to the options of a private apt list in
# DIR naming SUITE... of the machine's own Debian mirror (the system's apt
# sources are left alone), updating it once per run.
declare -A listed=()
APT=()
private_apt() {
	local c=$1 mirror s
	shift
	APT=(-o "Dir::Etc::sourcelist=$c/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$c/lists"
		-o "Dir::Cache=$c/cache" -o APT::Sandbox::User=root)
	[ -n "${listed[$c]:-}" ] && return
	need_root
	mirror=$(sh "$MIRROR_SH") || die "no Debian mirror found"
	mkdir -p "$c/lists/partial" "$c/cache/archives/partial"
	for s in "$@"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main"
	done >"$c/sources.list"
	apt-get "${APT[@]}" update -qq || die "apt-get update of $* failed"
	listed[$c]=1
}

# deb_of DIR PACKAGE [APT_OPTION...]: print the path of the newest cached .deb
# of PACKAGE in DIR, downloading it if there is none: with the given apt
# options (a private list's APT), else from the system's lists (update them
# with apt_update_once before, outside the $(...) this runs in).
deb_of() {
	local dir=$1 p=$2 deb
	shift 2
	mkdir -p "$dir"
	deb=$(ls "$dir/$p"_*.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$deb" ]; then
		[ $# -gt 0 ] || apt_update_once
		(cd "$dir" && apt-get -qq -o APT::Sandbox::User=root "$@" download "$p" >&2) ||
			die "apt-get download $p failed"
		deb=$(ls "$dir/$p"_*.deb | sort -V | tail -n 1)
	fi
	echo "$deb"
}

# resolve_kernel VERSION [APT_OPTION...]: the kernel image package of VERSION.
resolve_kernel() {
	local v=$1
	shift
	case $v in
	6.1) # the real package behind Debian 12's default kernel
		apt-cache depends linux-image-amd64 |
			sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1 ;;
	6.12) # the newest 6.12 built for Debian 12
		apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
			cut -d' ' -f1 | sort -V | tail -n 1 ;;
	7.3) # the newest 7.3 in trixie-backports: the image package (linux-binary-KV)
		apt-cache "$@" search --names-only '^linux-binary-7\.3\.[0-9]+\+deb13-amd64$' |
			cut -d' ' -f1 | sort -V | tail -n 1 ;;
	*) die "unknown kernel version $v" ;;
	esac
}

# The `depends=` field of a module's .modinfo section, space-separated.
module_depends() {
	case $1 in *.xz) xz -dc "$1" ;; *) cat "$1" ;; esac |
		tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

# stage_kernel ID MODULE...: stage kernel ID in $CACHE/kernel/ID: vmlinuz,
# release, package, modules/NAME.ko (uncompressed) and modules.order (insmod
# order: each MODULE after the modules it depends on, built-ins left out).
# ID is a version (6.1, 6.12, 7.3) or VERSION-VARIANT (7.3-cxl): the same
# packages, in $CACHE/debs, with another module list. The `ok` file holds the
# module list it was staged with; while it matches nothing is done. 7.x
# kernels come from trixie-backports (private list $CACHE/apt), the others
# from the system's lists. From 7.x Debian splits a kernel into
# linux-binary-KV (usr/lib/modules/KV/vmlinuz), linux-modules-KV
# (usr/lib/modules/KV/kernel) and linux-base-KV (modules.builtin, config):
# merged /usr, no /boot.
stage_kernel() {
	local id=$1 dir=$CACHE/kernel/$1
	shift
	local -a modules=("$@")
	[ "$(cat "$dir/ok" 2>/dev/null)" = "${modules[*]}" ] && return
	local v=${id%%-*} pkg deb tmp rel kv mods vmlinuz p f
	local -a opts=() debs=()
	case $v in
	7.*) private_apt "$CACHE/apt" trixie-backports; opts=("${APT[@]}") ;;
	*) apt_update_once ;;
	esac
	pkg=$(resolve_kernel "$v" "${opts[@]}")
	[ -n "$pkg" ] || die "no package found for kernel $id"
	deb=$(deb_of "$CACHE/debs" "$pkg" "${opts[@]}")
	debs=("$deb")
	case $pkg in
	linux-binary-*) # split kernel: the modules and modules.builtin live in their own packages
		kv=${pkg#linux-binary-}
		for p in "linux-modules-$kv" "linux-base-$kv"; do
			deb=$(deb_of "$CACHE/debs" "$p" "${opts[@]}")
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
	for n in "${modules[@]}"; do visit "$n"; done
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
	echo "$pkg $(dpkg-deb -f "${debs[0]}" Version)" >"$dir/package"
	rm -rf "$tmp"
	echo "${modules[*]}" >"$dir/ok"
	echo "${0##*/}: kernel $id: $(cat "$dir/package"), modules: ${order[*]}" >&2
}
