#!/bin/sh
# memory-totals: on a real host the movable-ratio check counts online memory
# by zone from /proc/zoneinfo (the kernel's present pages; src/host/zoneinfo.ts),
# not by reading every memory block. With a device online in ZONE_MOVABLE:
#   - daxplan snapshot's totals (the same count) agree with the blocks':
#     ZONE_MOVABLE exactly (hot-added blocks have no holes), the kernel zones
#     less than two blocks under them (holes in boot memory);
#   - /proc/zoneinfo goes to the host as a fixture for the parser's tests.
. /guest/lib.sh
policy /tmp/p.yaml dax0.0 online_movable
dp_apply /tmp/p.yaml || fail "daxplan apply to online_movable failed"
blocks_are dax0.0 online Movable || fail "dax0.0 is not all Movable"
dp snapshot >/tmp/snap.json || fail "daxplan snapshot failed"
bs=$((0x$(cat $MEM/block_size_bytes)))
kernel=0
movable=0
for d in $MEM/memory[0-9]*; do
	[ "$(cat "$d/state")" = online ] || continue
	case $(cat "$d/valid_zones") in
	Movable) movable=$((movable + bs)) ;;
	*) kernel=$((kernel + bs)) ;;
	esac
done
echo "blocks:   kernel=$kernel movable=$movable"
js /tmp/snap.json '`snapshot: kernel=${d.memory.kernel} movable=${d.memory.movable}`'
verdict=$(js /tmp/snap.json "(() => { const under = ${kernel}n - BigInt(d.memory.kernel); return BigInt(d.memory.movable) === ${movable}n && ${movable}n > 0n && under >= 0n && under < 2n * ${bs}n ? 'agree' : 'disagree'; })()")
[ "$verdict" = agree ] || fail "the zoneinfo totals disagree with the blocks'"
cp /proc/zoneinfo /tmp/zoneinfo && send_file zoneinfo /tmp/zoneinfo
ok
