#!/bin/bash
# pmemobj_emu_bench.sh -- PMDK's libpmemobj under emulation against the same
# workload on the hardware path: obj_records (tests/pmdk) applies UPDATES
# transactions to a pool in /dev/shm (then closes, reopens and verifies it),
# on our libpmem.so.1 with PMEM_IS_PMEM_FORCE=1 (the hardware path: CLWB or
# CLFLUSHOPT and SFENCE on tmpfs), on PMDK's libpmem.so.1 the same way (the
# reference), and on ours under PMEM_EMULATE=adr and =eadr. The runs of the
# four alternate; the table gives median wall times and their ratio to our
# hardware path (the goal: emulated at most 3x).
#
# usage: pmemobj_emu_bench.sh OUR_LIBRARY OBJ_RECORDS [--reps N] [--updates N]
#        (bazel run //tools:pmemobj-emu-bench -- [--reps N] [--updates N])
set -u -o pipefail
export LC_ALL=C

[ $# -ge 2 ] || { echo "usage: pmemobj_emu_bench.sh OUR_LIBRARY OBJ_RECORDS [--reps N] [--updates N]" >&2; exit 2; }
ours=$(dirname "$(realpath "$1")")
prog=$(realpath "$2")
shift 2
reps=7
updates=5000
pmdk=/usr/lib/x86_64-linux-gnu
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "--reps: a number" >&2; exit 2; }
		reps=$2; shift 2 ;;
	--updates) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "--updates: a number" >&2; exit 2; }
		updates=$2; shift 2 ;;
	-h|--help) echo "usage: pmemobj-emu-bench [--reps N] [--updates N]"; exit 0 ;;
	*) echo "pmemobj-emu-bench: unknown argument $1" >&2; exit 2 ;;
	esac
done

dir=$(mktemp -d /dev/shm/pmemobj-emu-bench.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
LD_LIBRARY_PATH=$ours PMEM_IS_PMEM_FORCE=1 "$prog" run --tx "$dir/template" 0 \
	>/dev/null || { echo "cannot create a pool" >&2; exit 1; }

CONTENDERS=("ours hardware" "pmdk hardware" "ours emulated adr" "ours emulated eadr")
[ -e "$pmdk/libpmem.so.1" ] || CONTENDERS=("ours hardware" "ours emulated adr" "ours emulated eadr")

# one NAME: seconds of one run
one() {
	local lib=$ours env=(PMEM_IS_PMEM_FORCE=1)
	case $1 in
	pmdk*) lib=$pmdk ;;
	*adr) env=(PMEM_EMULATE=${1##* }) ;;
	esac
	cp "$dir/template" "$dir/pool"
	local s e
	s=$(date +%s%N)
	env -u PMEM_EMULATE LD_LIBRARY_PATH="$lib" "${env[@]}" \
		"$prog" run --tx "$dir/pool" "$updates" >/dev/null ||
		{ echo "pmemobj-emu-bench: $1 failed" >&2; exit 1; }
	e=$(date +%s%N)
	echo $(((e - s) / 1000))
}

declare -A times
for ((r = 0; r < reps; r++)); do
	for c in "${CONTENDERS[@]}"; do
		times[$c]="${times[$c]:-} $(one "$c")"
	done
done

median() {
	tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n |
		awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'
}

base=$(median "${times[ours hardware]}")
echo "obj_records run --tx, $updates updates on /dev/shm, median of $reps runs ($(nproc) CPUs)"
printf "%-20s %12s %14s\n" contender "median ms" "x ours hw"
for c in "${CONTENDERS[@]}"; do
	m=$(median "${times[$c]}")
	printf "%-20s %12.1f %14.2f\n" "$c" "$(awk -v m="$m" 'BEGIN { print m / 1000 }')" \
		"$(awk -v m="$m" -v b="$base" 'BEGIN { print m / b }')"
done
