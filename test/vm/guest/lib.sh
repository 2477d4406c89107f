# Helpers for guest scenarios: `. /guest/lib.sh`.
# Protocol read by test/vm/run.ts (only between the scenario markers):
#   SCENARIO-RESULT ok | SCENARIO-RESULT fail <why>
#   TIMING <tool> <transition> <ms> [note]
#   DAXPLAN-FILE-BEGIN <name> <sha256> / base64 lines / DAXPLAN-FILE-END <name>
MEM=/sys/devices/system/memory

ok() { echo "SCENARIO-RESULT ok"; exit 0; }
fail() { echo "SCENARIO-RESULT fail $*"; exit 1; }

# GNU date from the host (busybox's lacks %N; its sh prefers applets, hence the path).
now_ms() { echo $(($(/usr/bin/date +%s%N) / 1000000)); }

# run CMD...: echo and run a command, fail the scenario if it fails.
run() {
	echo "+ $*"
	"$@" 2>&1 || fail "'$*' exited $?"
}

# send_file NAME PATH: hand a file to the host (saved as files/NAME).
send_file() {
	echo "DAXPLAN-FILE-BEGIN $1 $(sha256sum <"$2" | cut -d' ' -f1)"
	base64 "$2"
	echo "DAXPLAN-FILE-END $1"
}

# dax_blocks DEV: the memory block numbers inside the device's ranges, ascending.
dax_blocks() {
	local d=/sys/bus/dax/devices/$1 bs m start
	bs=$((0x$(cat $MEM/block_size_bytes)))
	if [ -d "$d/mapping0" ]; then
		# mappingK/ dirs only: a dynamic (CXL) region's device also has a write-only `mapping` file
		for m in "$d"/mapping[0-9]*; do
			_blocks_in $(($(cat "$m/start"))) $(($(cat "$m/end") + 1)) "$bs"
		done
	else
		start=$(($(cat "$d/resource")))
		_blocks_in "$start" $((start + $(cat "$d/size"))) "$bs"
	fi
}
_blocks_in() { # START END BLOCK_SIZE: blocks entirely inside [START, END)
	local b=$((($1 + $3 - 1) / $3))
	while [ $(((b + 1) * $3)) -le "$2" ]; do
		echo "$b"
		b=$((b + 1))
	done
}

# set_state BLOCK STATE: write a block's state; prints the kernel's refusal.
set_state() {
	echo "$2" 2>&1 >"$MEM/memory$1/state"
}

# describe DEV: one line with the device's driver and its blocks' states and zones.
describe() {
	local drv=none b line=""
	[ -e "/sys/bus/dax/devices/$1/driver" ] && drv=$(basename "$(readlink "/sys/bus/dax/devices/$1/driver")")
	for b in $(dax_blocks "$1"); do
		[ -d "$MEM/memory$b" ] || continue
		line="$line $b:$(cat "$MEM/memory$b/state")/$(cat "$MEM/memory$b/valid_zones" | tr ' ' ',')"
	done
	echo "$1 driver=$drv node=$(cat "/sys/bus/dax/devices/$1/target_node") blocks:${line:- none}"
}

# dp ARGS...: the daxplan CLI as built into the guest.
dp() { node /daxplan/daxplan.mjs "$@"; }

# js FILE EXPR: evaluate EXPR with `d` = the JSON in FILE; prints the result.
js() { node -e "const d=JSON.parse(require('fs').readFileSync('$1','utf8')); console.log($2)"; }
