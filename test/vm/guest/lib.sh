# Helpers for guest scenarios: `. /guest/lib.sh`.
# Protocol read by test/vm/run.ts (only between the scenario markers):
#   SCENARIO-RESULT ok | SCENARIO-RESULT fail <why>
#   TIMING <tool> <transition> <ms, may have decimals> [note]
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

# describe DEV: one line with the device's driver, its kmem `state` file
# (kernel 7.3+, only while bound to kmem) and its blocks' states and zones:
#   dax0.0 driver=kmem [state=online_movable ]node=1 blocks: 49:online/Movable ...
describe() {
	local drv=none b line="" st=""
	[ -e "/sys/bus/dax/devices/$1/driver" ] && drv=$(basename "$(readlink "/sys/bus/dax/devices/$1/driver")")
	[ -f "/sys/bus/dax/devices/$1/state" ] && st=" state=$(cat "/sys/bus/dax/devices/$1/state")"
	for b in $(dax_blocks "$1"); do
		[ -d "$MEM/memory$b" ] || continue
		line="$line $b:$(cat "$MEM/memory$b/state")/$(cat "$MEM/memory$b/valid_zones" | tr ' ' ',')"
	done
	echo "$1 driver=$drv$st node=$(cat "/sys/bus/dax/devices/$1/target_node") blocks:${line:- none}"
}

# dax_state DEV: the device's kmem `state` file, or nothing when it has none.
dax_state() {
	cat "/sys/bus/dax/devices/$1/state" 2>/dev/null
}

# unplugged STATUS_STATE DEV: whether daxplan's status state for DEV means
# its memory is gone: `unbound` (kmem unbound: kernels without the state
# file) or `unplug` (kmem bound, state file `unplugged`: 7.3+), and no block
# of DEV left.
unplugged() {
	case $1 in unbound | unplug) ;; *) return 1 ;; esac
	local b
	for b in $(dax_blocks "$2"); do [ ! -d "$MEM/memory$b" ] || return 1; done
}

# dp ARGS...: the daxplan CLI as built into the guest.
dp() { node /daxplan/daxplan.cjs "$@"; }

# js FILE EXPR: evaluate EXPR with `d` = the JSON in FILE; prints the result.
js() { node -e "const d=JSON.parse(require('fs').readFileSync('$1','utf8')); console.log($2)"; }

# --- helpers of the kmem `state` scenarios (kernel 7.3+) ---
DAX=/sys/bus/dax/devices

# driver_of DEV: kmem, device_dax or none.
driver_of() {
	if [ -e "$DAX/$1/driver" ]; then basename "$(readlink "$DAX/$1/driver")"; else echo none; fi
}

# bind_kmem DEV: move DEV from device_dax to kmem the way the driver core does
# (new_id probes it at once; bind only if that did not), no onlining of our own.
bind_kmem() {
	echo "$1" >/sys/bus/dax/drivers/device_dax/unbind
	echo "$1" >/sys/bus/dax/drivers/kmem/new_id 2>/dev/null
	[ -e "/sys/bus/dax/drivers/kmem/$1" ] || echo "$1" >/sys/bus/dax/drivers/kmem/bind
	[ -e "/sys/bus/dax/drivers/kmem/$1" ] || fail "could not bind $1 to kmem"
}

# state_write DEV WORD: write DEV's state file; prints the kernel's refusal.
state_write() {
	echo "$2" 2>&1 >"$DAX/$1/state"
}

# movable_by_hand DEV: bind DEV to kmem while auto_online_blocks=offline (its
# state reads `offline`), then `unplugged` and `online_movable` through the
# state file, as the kernel wants it; auto_online_blocks is put back.
movable_by_hand() {
	local auto err
	auto=$(cat $MEM/auto_online_blocks)
	echo offline >$MEM/auto_online_blocks
	bind_kmem "$1"
	echo "$auto" >$MEM/auto_online_blocks
	[ "$(dax_state "$1")" = offline ] || fail "$1 bound with auto_online_blocks=offline: state reads $(dax_state "$1"), expected offline"
	err=$(state_write "$1" unplugged) || fail "$1: writing unplugged refused: $err"
	err=$(state_write "$1" online_movable) || fail "$1: writing online_movable refused: $err"
	blocks_are "$1" online Movable || fail "$1 is not all Movable after online_movable"
}

# blocks_are DEV STATE [ZONE]: whether every block of DEV is present, in STATE
# and (online) in ZONE; prints the blocks that are not.
blocks_are() {
	local b s z odd=
	for b in $(dax_blocks "$1"); do
		if [ ! -d "$MEM/memory$b" ]; then
			odd="$odd $b:absent"
			continue
		fi
		s=$(cat "$MEM/memory$b/state")
		z=$(cat "$MEM/memory$b/valid_zones")
		[ "$s" = "$2" ] && { [ -z "${3:-}" ] || [ "$z" = "$3" ]; } || odd="$odd $b:$s/$z"
	done
	[ -z "$odd" ] || echo "$1 blocks not $2${3:+ $3}:$odd"
	[ -z "$odd" ]
}

# online_blocks DEV: how many of DEV's blocks are online.
online_blocks() {
	local b n=0
	for b in $(dax_blocks "$1"); do
		[ "$(cat "$MEM/memory$b/state" 2>/dev/null)" = online ] && n=$((n + 1))
	done
	echo $n
}

# node_memtotal N: node N's MemTotal in kB; 0 while the node is not online
# (a memory-only node whose memory is all reserved has no nodeN directory
# until memory on it is online, and 7.3 removes it again with its last block).
node_memtotal() {
	if [ -f "/sys/devices/system/node/node$1/meminfo" ]; then
		sed -n 's/^Node [0-9]* MemTotal: *\([0-9]*\) kB$/\1/p' "/sys/devices/system/node/node$1/meminfo"
	else
		echo 0
	fi
}

# policy FILE DEV STATE: a one-rule policy putting DEV in STATE.
policy() {
	printf 'version: 1\nrules:\n  - name: r\n    match: { device: %s }\n    state: %s\n' "$2" "$3" >"$1"
}

# dp_apply POLICY [ARGS...]: `daxplan apply --auto-approve` (no prompt),
# JSON to /tmp/apply.json, its report printed one line per device; returns
# apply's exit code.
dp_apply() {
	local p=$1 rc
	shift
	echo "+ daxplan apply -c $p --auto-approve $*"
	dp apply -c "$p" --auto-approve --lock-file /run/daxplan.lock --format json "$@" >/tmp/apply.json
	rc=$?
	echo "apply exit $rc"
	js /tmp/apply.json 'd.outcomes.map(o => "  " + o.device + ": " + o.result + " (" + o.method + ") -> " + o.state + (o.message ? ": " + o.message : "")).join("\n")' 2>/dev/null
	return $rc
}

# plan_method POLICY DEV: plan POLICY (JSON in /tmp/plan.json) and print
# "<format_version> <DEV's method, or none when DEV needs no change>".
plan_method() {
	dp plan -c "$1" --format json >/tmp/plan.json || { echo "plan-failed-$? none"; return; }
	js /tmp/plan.json "d.format_version + ' ' + ((d.actions.find(a => a.device === '$2') || {}).method || 'none')"
}

# Failures that do not stop a scenario: `bad WHY` notes one, `finish` ends the
# scenario with all of them (or ok).
BAD=
bad() {
	echo "BAD: $*"
	BAD="$BAD; $*"
}
finish() {
	[ -z "$BAD" ] && ok
	fail "${BAD#; }"
}

# expect_state_method POLICY DEV: the plan must drive DEV through its state file.
expect_state_method() {
	local got
	got=$(plan_method "$1" "$2")
	echo "plan: format_version ${got% *}, $2 method ${got#* }"
	[ "${got% *}" = 2.0 ] || bad "plan format_version ${got% *}, expected 2.0 (no state-file support in this daxplan?)"
	[ "${got#* }" = state ] || bad "plan drives $2 by '${got#* }', expected the state file (method state)"
}
