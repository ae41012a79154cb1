#!/bin/bash
# crashtest_bench.sh -- how many crash images pmem-crashtest checks per
# second, on the example programs, in each way of reaching the points
# (resumed at each point, or rerun per point) and of running the checks (on
# copies, several at once: "{}"; or one at a time on the file itself), and
# against the limit of this machine: the same test whose check is a program
# that does nothing (coreutils' true: one process start per image).
#
#   bazel run //tools:crashtest-bench -- [--runs N] [--dir DIR]
#
# Each configuration runs N times (default 5), the configurations
# interleaved, so that the machine's noise spreads over all of them; the
# table gives the median images per second, its ratio to the goal (1,000/s)
# and to the limit.
set -euo pipefail
export LC_ALL=C

usage() {
	cat <<USAGE
usage: crashtest-bench [--runs N] [--dir DIR]
  --runs N   runs per configuration (default 5)
  --dir DIR  where the programs' files go (default: a new folder in /tmp)
USAGE
}

runs=5
dir=""
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] ||
		{ echo "crashtest-bench: --runs needs a number" >&2; exit 2; }
		runs=$2; shift ;;
	--dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; dir=$2; shift ;;
	--help|-h) usage; exit 0 ;;
	*) echo "crashtest-bench: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

here=$(dirname "$0")
find_file() {
	for d in "$here/../$2" "$0.runfiles/"*"/$2"; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return; }
	done
	echo "crashtest-bench: cannot find $2/$1 next to $0" >&2
	exit 1
}
ct=$(find_file pmem-crashtest tools)
ex=$(dirname "$(find_file pmlog examples)")
true_cmd=$(command -v true)
if [ -z "$dir" ]; then
	dir=$(mktemp -d /tmp/crashtest-bench.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
fi

# name|crashtest options|check|program...
CONFIGS=(
	"pmlog resume {}||$ex/pmlog check {}|$ex/pmlog write $dir/log"
	"pmlog resume file||$ex/pmlog check $dir/log|$ex/pmlog write $dir/log"
	"pmlog rerun {}|--mode rerun|$ex/pmlog check {}|$ex/pmlog write $dir/log"
	"pmlog rerun file|--mode rerun|$ex/pmlog check $dir/log|$ex/pmlog write $dir/log"
	"pmlog limit {}||$true_cmd {}|$ex/pmlog write $dir/log"
	"pmlog limit file||$true_cmd|$ex/pmlog write $dir/log"
	"pmkv resume {}||$ex/pmkv check {}|$ex/pmkv run $dir/kv"
	"pmkv rerun {}|--mode rerun|$ex/pmkv check {}|$ex/pmkv run $dir/kv"
	"pmkv limit {}||$true_cmd {}|$ex/pmkv run $dir/kv"
)

declare -A rates
for ((r = 0; r < runs; r++)); do
	for c in "${CONFIGS[@]}"; do
		IFS='|' read -r name opts check prog <<<"$c"
		# shellcheck disable=SC2086
		out=$("$ct" --quiet $opts --images 64 --check "$check" -- $prog) ||
			{ echo "crashtest-bench: $name failed: $out" >&2; exit 1; }
		rate=$(sed -n 's/^  time: .*, \([0-9]*\) images\/s$/\1/p' <<<"$out")
		images=$(sed -n 's/^  images: *\([0-9]*\) checked.*/\1/p' <<<"$out")
		rates[$name]="${rates[$name]:-} $rate"
		rates[$name.images]=$images
	done
done

median() {
	tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n |
		awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'
}

echo "pmem-crashtest images per second, median of $runs runs ($(nproc) CPUs; check on copies with {}, or on the file)"
printf "%-18s %8s %10s %8s %9s\n" config images "images/s" "x goal" "x limit"
for c in "${CONFIGS[@]}"; do
	IFS='|' read -r name _ <<<"$c"
	m=$(median "${rates[$name]}")
	prog=${name%% *}
	way=${name##* }
	lim=$(median "${rates[$prog limit $way]:-${rates[$prog limit {\}]}}")
	printf "%-18s %8s %10s %8.2f %9.2f\n" "$name" "${rates[$name.images]}" \
		"$m" "$(awk -v a="$m" 'BEGIN { print a / 1000 }')" \
		"$(awk -v a="$m" -v b="$lim" 'BEGIN { print b ? a / b : 0 }')"
done
