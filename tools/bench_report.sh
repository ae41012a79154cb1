#!/bin/bash
# bench_report.sh -- the benchmark report: runs every benchmark program of
# the project, prints their tables, and writes their JSON and a chart of the
# copy bandwidths (ours, PMDK's libpmem, the machine's limits) to a folder.
#
#   bazel run //tools:bench-report -- [--quick] [--cpu N] OUTDIR
set -euo pipefail

usage() {
	cat <<EOF
usage: bench-report [--quick] [--cpu N] OUTDIR
Runs pmem-bench and pmem-emu-bench, prints their tables, and writes to OUTDIR
  pmem-bench.json      pmem-bench's results
  pmem-bench.svg       pmem_memcpy_persist bandwidth: ours, PMDK's libpmem,
                       the streaming limit and plain memcpy, across sizes
  pmem-emu-bench.json  pmem-emu-bench's results
  --quick   short runs (seconds), for a smoke test
  --cpu N   pin both benchmarks to CPU N
EOF
}

quick=()
cpu=()
out=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=(--quick) ;;
	--cpu) [ $# -ge 2 ] || { usage >&2; exit 2; }; cpu=(--cpu "$2"); shift ;;
	--help|-h) usage; exit 0 ;;
	-*) echo "bench-report: unknown option $1" >&2; exit 2 ;;
	*) [ -z "$out" ] || { usage >&2; exit 2; }; out="$1" ;;
	esac
	shift
done
[ -n "$out" ] || { usage >&2; exit 2; }

# under "bazel run" a relative OUTDIR is the caller's
if [ -n "${BUILD_WORKING_DIRECTORY:-}" ] && [ "${out#/}" = "$out" ]; then
	out="$BUILD_WORKING_DIRECTORY/$out"
fi
mkdir -p "$out"

here=$(dirname "$0")
find_tool() {
	for d in "$here" "$here/tools" "${RUNFILES_DIR:-/nonexistent}/${TEST_WORKSPACE:-}/tools" \
			"$0.runfiles/${TEST_WORKSPACE:-__main__}/tools"; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return; }
	done
	echo "bench-report: cannot find $1 next to $0" >&2
	exit 1
}
bench=$(find_tool pmem-bench)
emu=$(find_tool pmem-emu-bench)

echo "### pmem-bench: the hardware paths against PMDK's libpmem and the limits"
"$bench" "${quick[@]}" "${cpu[@]}" --json "$out/pmem-bench.json" \
	--svg "$out/pmem-bench.svg"
echo
echo "### pmem-emu-bench: the emulation backend"
"$emu" "${quick[@]}" "${cpu[@]}" --json "$out/pmem-emu-bench.json"
echo
echo "report in $out: pmem-bench.json, pmem-bench.svg, pmem-emu-bench.json"
