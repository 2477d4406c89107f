# Helpers for scenarios on the CXL machine (test/vm/boot.sh, kernel id 7.3-cxl):
# `. /guest/lib.sh; . /guest/cxl.sh`. Two 1 GiB volatile type 3 devices,
# serials 0x1234abcd and 0x5678ef01, behind one host bridge, and one 4 GiB
# window (root decoder decoder0.0). cxl and daxctl are trixie's (81).
CXL=/sys/bus/cxl/devices
SERIAL_A=0x1234abcd
SERIAL_B=0x5678ef01

# cxl_memdev SERIAL: the memdev (memN) with that serial. Memdev names follow
# probe order, not QEMU's device order: they change from boot to boot.
cxl_memdev() {
	local m
	for m in $CXL/mem*; do
		[ $(($(cat "$m/serial"))) = $(($1)) ] && echo "${m##*/}" && return 0
	done
	return 1
}

# cxl_region_dax OUTPUT: from what `cxl create-region` printed, the region
# (REGION), then its dax device (DAX) once kmem has bound it (its `state`
# file exists); fails after 5 s.
cxl_region_dax() {
	local i=0
	REGION=$(echo "$1" | sed -n 's/^ *"region":"\(region[0-9]*\)".*/\1/p' | head -n 1)
	[ -n "$REGION" ] || fail "cxl create-region printed no region: $1"
	DAX=
	while [ $i -lt 100 ]; do
		DAX=$(ls "$CXL/$REGION/dax_$REGION" 2>/dev/null | grep '^dax[0-9]*\.[0-9]*$' | head -n 1)
		[ -n "$DAX" ] && [ -e "/sys/bus/dax/devices/$DAX/state" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	fail "$REGION: no dax device bound to kmem after 5 s (dax: ${DAX:-none})"
}

# cxl_ram_region SERIAL: `cxl create-region -t ram` over all of SERIAL's
# memdev in decoder0.0, then wait until the kernel has made the region's dax
# device and kmem has bound it (its `state` file exists). Sets REGION and DAX,
# prints what it did and a TIMING line (cxl create-region, to the state file).
cxl_ram_region() {
	local mem out t0
	mem=$(cxl_memdev "$1") || fail "no CXL memdev with serial $1"
	echo "+ cxl create-region -t ram -d decoder0.0 -m $mem   # serial $1"
	t0=$(now_ms)
	out=$(cxl create-region -t ram -d decoder0.0 -m "$mem" 2>&1) || fail "cxl create-region -m $mem: $out"
	cxl_region_dax "$out"
	echo "TIMING cxl create-region $(($(now_ms) - t0)) $REGION"
	echo "$REGION ($mem, serial $1): $DAX, state $(cat /sys/bus/dax/devices/$DAX/state)"
}

# kmem_state DEV: the device's `state` file ("none" without one: not bound to kmem).
kmem_state() {
	cat "/sys/bus/dax/devices/$1/state" 2>/dev/null || echo none
}

# zones DEV: the device's present blocks as "state/zone" words, sorted and
# counted ("8 online/Movable"); "none" when it has no memory blocks.
zones() {
	local b out=
	for b in $(dax_blocks "$1"); do
		[ -d "$MEM/memory$b" ] || continue
		out="$out$(cat "$MEM/memory$b/state")/$(cat "$MEM/memory$b/valid_zones" | tr ' ' ,)
"
	done
	[ -n "$out" ] || { echo none; return; }
	printf %s "$out" | sort | uniq -c | sed 's/^ *//' | tr '\n' ' ' | sed 's/ $//'
}

mem_total_kb() {
	sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo
}

# cxl_region_of DEV: the region (regionN) whose dax region holds dax device DEV.
cxl_region_of() {
	local p
	p=$(readlink -f "/sys/bus/dax/devices/$1")
	p=${p%/*}
	p=${p%/*}
	echo "${p##*/}"
}

# cxl_memdev_of DEV: the memdev behind DEV, from sysfs alone: region ->
# target0 (an endpoint decoder's name) -> its endpoint port -> uport (the memdev).
cxl_memdev_of() {
	local region decoder endpoint mem
	region=$(cxl_region_of "$1")
	decoder=$(cat "$CXL/$region/target0")
	endpoint=$(readlink -f "$CXL/$decoder")
	mem=$(readlink -f "${endpoint%/*}/uport")
	echo "${mem##*/}"
}

# status_cxl FILE DEV: what `daxplan status --format json` (in FILE) says of
# DEV's CXL identity that sysfs contradicts (nothing when they agree):
# cxl: { region, mode, memdevs: [{ name, serial, pci }], qos_class } (serial
# compared as a number, whether written 0x1234abcd or 305441741; qos_class
# an integer or null: the root decoder has 0, the memdevs none here).
status_cxl() {
	local mem
	mem=$(cxl_memdev_of "$2")
	DEV=$2 REGION=$(cxl_region_of "$2") MODE=$(cat "$CXL/$(cxl_region_of "$2")/mode") MEMDEV=$mem \
		SERIAL=$(cat "$CXL/$mem/serial") PCI=$(basename "$(dirname "$(readlink -f "$CXL/$mem")")") node -e '
const e = process.env;
const devices = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).devices || [];
const d = devices.find((x) => x.name === e.DEV);
const want = { region: e.REGION, mode: e.MODE, memdevs: [{ name: e.MEMDEV, serial: e.SERIAL, pci: e.PCI }] };
const same = (a, b) => { try { return BigInt(a) === BigInt(b); } catch { return false; } };
const c = d && d.cxl;
const qos = c && (c.qos_class === undefined || c.qos_class === null || Number.isInteger(c.qos_class));
const ok = c && qos && c.region === want.region && c.mode === want.mode && Array.isArray(c.memdevs) &&
  c.memdevs.length === 1 && c.memdevs[0].name === e.MEMDEV && same(c.memdevs[0].serial, e.SERIAL) && c.memdevs[0].pci === e.PCI;
if (!ok) console.log(`${e.DEV}: status says cxl ${d ? JSON.stringify(c) : "(no such device)"}, sysfs ${JSON.stringify(want)}`);
' "$1"
}

# cxl_daxplan_setup: what the daxplan scenarios start from: a RAM region per
# type 3 device (their dax devices in $a and $b), $b's state in $b_before,
# MemTotal in $mem0, and `daxplan status --format json` checked to name both
# devices' CXL identity as sysfs has it.
cxl_daxplan_setup() {
	[ -f /daxplan/daxplan.cjs ] || fail "no /daxplan/daxplan.cjs: run npm run build before the VM tests"
	cd /tmp
	cxl_ram_region $SERIAL_A
	a=$DAX
	cxl_ram_region $SERIAL_B
	b=$DAX
	b_before="$(kmem_state $b) $(zones $b)"
	mem0=$(mem_total_kb)
	echo "MemTotal ${mem0} kB; $a: $(zones $a); $b: $b_before"
	dp status --format json >/tmp/s0.json || fail "status --format json exited $?"
	dp status
	for d in $a $b; do
		bad=$(status_cxl /tmp/s0.json $d)
		[ -z "$bad" ] || fail "$bad"
	done
}

# cxl_interleaved_region: one RAM region interleaved 2 ways (granularity 256)
# over both type 3 devices (serial A's memdev first: target0), then wait until
# kmem has bound its dax device. Sets REGION and DAX like cxl_ram_region.
cxl_interleaved_region() {
	local a b out t0
	a=$(cxl_memdev $SERIAL_A) || fail "no CXL memdev with serial $SERIAL_A"
	b=$(cxl_memdev $SERIAL_B) || fail "no CXL memdev with serial $SERIAL_B"
	echo "+ cxl create-region -m -t ram -d decoder0.0 -w 2 -g 256 $a $b"
	t0=$(now_ms)
	out=$(cxl create-region -m -t ram -d decoder0.0 -w 2 -g 256 "$a" "$b" 2>&1) || fail "cxl create-region -w 2 $a $b: $out"
	cxl_region_dax "$out"
	echo "TIMING cxl create-region-interleaved $(($(now_ms) - t0)) $REGION"
	echo "$REGION ($a + $b, interleave_ways $(cat $CXL/$REGION/interleave_ways), granularity $(cat $CXL/$REGION/interleave_granularity)): $DAX, state $(kmem_state $DAX)"
}

# cxl_capture: capture sysfs (guest/capture-sysfs.sh) with `cxl list -v` beside
# it and send both to the host as sys.tar.gz (read by checks/lib/cxl-capture.ts).
cxl_capture() {
	cxl list -v >/tmp/cxl-list.json
	sh /guest/capture-sysfs.sh /tmp/capture/sys
	cp /tmp/cxl-list.json /tmp/capture/
	tar -czf /tmp/sys.tar.gz -C /tmp/capture sys cxl-list.json
	send_file sys.tar.gz /tmp/sys.tar.gz
}
