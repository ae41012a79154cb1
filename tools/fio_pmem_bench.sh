#!/bin/bash
# fio_pmem_bench.sh -- fio's libpmem engine on our libpmem.so.1 and on PMDK's,
# side by side: write bandwidth of each and the ratio ours/PMDK.
#
# usage: fio_pmem_bench.sh OUR_LIBRARY [options]    (bazel run //tools:fio-pmem-bench -- [options])
#
# One fio binary, the same job, run alternately with LD_LIBRARY_PATH naming
# our library's directory and PMDK's (Debian's libpmem1); the order of the
# two alternates from one repetition to the next. The job writes a file in
# /dev/shm (PMEM_IS_PMEM_FORCE=1, so both libraries take their pmem paths)
# sequentially, LOOPS times over: direct=0 is pmem_memcpy with temporal
# stores then a flush, direct=1 non-temporal stores. The figures are medians
# of fio's write bandwidth over the repetitions.
set -u -o pipefail
export LC_ALL=C

usage() {
	cat <<EOF
usage: fio_pmem_bench.sh OUR_LIBRARY [options]
  --reps N       repetitions of each job on each library (default 7)
  --size SIZE    file size (default 256m)
  --loops N      passes over the file per job (default 8)
  --bs LIST      block sizes, comma-separated (default 4k,64k,2m)
  --dir DIR      directory of the file (default /dev/shm)
  --cpu N        pin fio to CPU N
  --pmdk DIR     PMDK's libpmem.so.1 directory (default /usr/lib/x86_64-linux-gnu)
  --fio PATH     fio binary (default fio)
  --quick        --reps 3 --size 64m --loops 2 --bs 4k,2m
EOF
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
ours=$1
shift
reps=7
size=256m
loops=8
bs_list=4k,64k,2m
dir=/dev/shm
cpu=""
pmdk_dir=/usr/lib/x86_64-linux-gnu
fio=fio
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--loops) loops=$2; shift 2 ;;
	--bs) bs_list=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--pmdk) pmdk_dir=$2; shift 2 ;;
	--fio) fio=$2; shift 2 ;;
	--quick) reps=3; size=64m; loops=2; bs_list=4k,2m; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

command -v "$fio" >/dev/null || { echo "no fio (Debian package fio)" >&2; exit 1; }
"$fio" --enghelp 2>/dev/null | grep -qx '[[:space:]]*libpmem' ||
	{ echo "this fio has no libpmem engine" >&2; exit 1; }
our_lib=$(realpath "$ours")
our_dir=$(dirname "$(realpath -s "$ours")")
[ -e "$pmdk_dir/libpmem.so.1" ] ||
	{ echo "no PMDK libpmem.so.1 in $pmdk_dir (Debian package libpmem1)" >&2; exit 1; }
pmdk_lib=$(realpath "$pmdk_dir/libpmem.so.1")

work=$(mktemp -d "$dir/fio-pmem-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export PMEM_IS_PMEM_FORCE=1

# A sanitized build of ours (--config=asan) needs its runtimes loaded first.
preload=$(ldd "$our_lib" | awk '$1 ~ /^lib(asan|ubsan|tsan)\.so/ {
	printf "%s%s", sep, $3; sep = " " }')

# on LIB COMMAND...: runs COMMAND with LIB's library first on the path
on() {
	local lib=$1
	shift
	if [ "$lib" = "ours" ]; then
		LD_PRELOAD=$preload ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 \
			LD_LIBRARY_PATH=$our_dir "$@"
	else
		LD_LIBRARY_PATH=$pmdk_dir "$@"
	fi
}

# Each library is the one the loader picks (its trace names the file).
for lib in ours pmdk; do
	want=$our_lib
	[ "$lib" = "pmdk" ] && want=$pmdk_lib
	LD_DEBUG=libs LD_DEBUG_OUTPUT="$work/ld" on "$lib" "$fio" --version >/dev/null
	got=$(sed -n 's/.*calling init: \(.*\/libpmem\.so\.1\)$/\1/p' "$work"/ld.*)
	rm -f "$work"/ld.*
	if [ "$(realpath "$got")" != "$want" ]; then
		echo "with $lib's directory first, fio loaded '$got', not $want" >&2
		exit 1
	fi
done

pin=()
[ -n "$cpu" ] && pin=(--cpus_allowed="$cpu")
IFS=, read -r -a sizes <<<"$bs_list"

# one LIB BS DIRECT: fio's write bandwidth (KiB/s) of one run
one() {
	local out
	out=$(on "$1" "$fio" --name=bench \
		--ioengine=libpmem --filename="$work/file" --size="$size" \
		--loops="$loops" --bs="$2" --direct="$3" --rw=write \
		--output-format=terse "${pin[@]}") || {
		echo "fio failed on $1: $out" >&2
		exit 1
	}
	awk -F';' '/^3;/ { print $48 }' <<<"$out"
}

echo "fio $("$fio" --version | sed 's/^fio-//'), libpmem engine, sequential" \
	"writes of a $size file in $dir, $loops passes, $reps repetitions" \
	"(medians)${cpu:+, CPU $cpu}"
echo "ours: $our_lib${preload:+ (a sanitized build: not comparable)}"
echo "PMDK: $pmdk_lib"
printf '%-6s %-8s %12s %12s %10s\n' bs stores "ours MB/s" "PMDK MB/s" ours/PMDK
for bs in "${sizes[@]}"; do
	for direct in 0 1; do
		: >"$work/ours.kib"
		: >"$work/pmdk.kib"
		for ((r = 0; r < reps; r++)); do
			if ((r % 2 == 0)); then order="ours pmdk"; else order="pmdk ours"; fi
			for lib in $order; do
				one "$lib" "$bs" "$direct" >>"$work/$lib.kib"
			done
		done
		stores=temporal
		[ "$direct" -eq 1 ] && stores=nt
		# medians in MB/s (fio reports KiB/s)
		sort -n "$work/ours.kib" >"$work/ours.sorted"
		sort -n "$work/pmdk.kib" >"$work/pmdk.sorted"
		awk -v bs="$bs" -v stores="$stores" '
			function median(a, n) {
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			}
			FNR == 1 { f++ }
			f == 1 { o[++no] = $1 * 1.024 / 1000 }
			f == 2 { p[++np] = $1 * 1.024 / 1000 }
			END {
				mo = median(o, no); mp = median(p, np)
				printf "%-6s %-8s %12.0f %12.0f %9.2fx\n", bs, stores,
					mo, mp, (mp > 0 ? mo / mp : 0)
			}' "$work/ours.sorted" "$work/pmdk.sorted" | tee -a "$work/rows"
	done
done
# the geometric mean of the ratios: one figure against the goal (>= 1.0x)
awk '{ sub(/x$/, "", $5); if ($5 > 0) { s += log($5); n++ } }
	END { if (n) printf "geometric mean of ours/PMDK over %d rows: %.2fx\n",
		n, exp(s / n) }' "$work/rows"
