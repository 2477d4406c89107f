#!/bin/sh
# capture-sysfs.sh DEST: copy the parts of /sys that daxplan reads into DEST,
# which then mirrors /sys (DEST/bus/dax/..., DEST/devices/...).
# Symlinks stay symlinks with the kernel's (relative) targets; readable files
# keep their content; files that cannot be read (write-only: bind, unbind,
# new_id, remove_id, drivers_probe, ...) become empty stand-ins.
# Left out everywhere: power/ directories, subsystem links and uevent files.
# CXL parts are described at the bus/cxl step below.
# (Few processes: every fork costs ~10 ms in an emulated guest.)
DEST=${1:?usage: capture-sysfs.sh DEST}

copy_deep() { # DIR: DIR and everything below it
	local parent=$DEST${1#/sys} f
	parent=${parent%/*}
	mkdir -p "$parent"
	cp -a "$1" "$parent/" 2>/dev/null
	find "$1" -type f ! -perm -0400 | while read -r f; do : >"$DEST${f#/sys}"; done
}

copy_shallow() { # DIR: the files and symlinks directly in DIR
	local src=$1 dst=$DEST${1#/sys} e
	mkdir -p "$dst"
	set --
	for e in "$src"/*; do
		[ -d "$e" ] && [ ! -L "$e" ] || set -- "$@" "$e"
	done
	[ $# -gt 0 ] || return 0
	cp -a "$@" "$dst/" 2>/dev/null
	for e in "$@"; do
		[ -L "$dst/${e##*/}" ] || [ -e "$dst/${e##*/}" ] || : >"$dst/${e##*/}"
	done
}

copied=" "
copy_device_tree() { # DEVICE: the whole subtree that holds it, plus its ancestors' own files
	local top=${1%/*} p=$1
	while [ "$p" != /sys/devices ]; do # an nd/cxl region holds the namespaces, seeds and dax devices
		case ${p##*/} in region*) top=$p && break ;; esac
		p=${p%/*}
	done
	case $copied in *" $top "*) return ;; esac
	copied="$copied$top "
	copy_deep "$top"
	p=${top%/*}
	while [ "$p" != /sys/devices ]; do
		copy_shallow "$p"
		p=${p%/*}
	done
}

copy_deep /sys/bus/dax
copy_deep /sys/bus/nd
for d in /sys/bus/dax/devices/* /sys/bus/nd/devices/region*; do
	[ -e "$d" ] && copy_device_tree "$(readlink -f "$d")"
done
# CXL: bus/cxl (its device links and drivers), each memdev whole (serial,
# numa_node, ram/, pmem/, ...), the other CXL devices (root, ports, endpoints,
# decoders; regions come with their dax devices above) by their own files, and
# every ancestor's own files (the memdev's PCI device, the endpoint's port).
if [ -d /sys/bus/cxl ]; then
	copy_deep /sys/bus/cxl
	for d in /sys/bus/cxl/devices/*; do
		[ -e "$d" ] || continue
		p=$(readlink -f "$d")
		case ${p##*/} in
		region*) copy_device_tree "$p" ;;
		mem*) copy_deep "$p" ;;
		*) copy_shallow "$p" ;;
		esac
		p=${p%/*}
		while [ "$p" != /sys/devices ]; do
			case $copied in *" $p "*) break ;; esac
			copied="$copied$p "
			copy_shallow "$p"
			p=${p%/*}
		done
	done
fi
copy_deep /sys/devices/system/memory
copy_shallow /sys/devices/system/node
for n in /sys/devices/system/node/node[0-9]*; do copy_shallow "$n"; done
[ -d /sys/devices/virtual/memory_tiering ] && copy_deep /sys/devices/virtual/memory_tiering
# The memory_hotplug module parameters (online_policy, auto_movable_ratio,
# auto_movable_numa_aware, memmap_on_memory): where plain `online` puts memory.
[ -d /sys/module/memory_hotplug/parameters ] && copy_deep /sys/module/memory_hotplug/parameters
find "$DEST" \( -name power -type d -o -name subsystem -type l -o -name uevent \) -prune -print | xargs rm -rf
chmod -R u+rw,go+r "$DEST"
