#!/bin/bash
# cli_test.sh -- pmem-crashtest's interface: --help, usage errors (status
# 2), programs it cannot test (status 3: not on this libpmem, failing
# without a crash, not deterministic), the same verdicts for the same seed,
# and the same failures whether the program is resumed or rerun.
#
# usage: cli_test.sh CRASHTEST PMLOG  (//examples:pmlog, next to the others)
set -u -o pipefail
export LC_ALL=C

crashtest=$1
dir=$(dirname "$2")
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# expect STATUS TEXT -- ARGS...: the tool exits STATUS and prints TEXT
expect() {
	local want=$1 text=$2
	shift 3
	local out status
	out=$("$crashtest" --quiet "$@" 2>&1)
	status=$?
	[ "$status" = "$want" ] || fail "$*: status $status, wanted $want: $out"
	grep -qF -- "$text" <<<"$out" || fail "$*: no '$text' in: $out"
	# an error is one line
	if [ "$want" -ge 2 ] && [ "$(wc -l <<<"$out")" != 1 ]; then
		fail "$*: error of more than one line: $out"
	fi
}

log=$tmp/log.pool
prog=("$dir/pmlog" write "$log")
check="$dir/pmlog check {}"

# --help: status 0, every option the tool takes is described
help=$("$crashtest" --help)
[ $? = 0 ] || fail "--help: status"
for o in --check --domain --seed --images --tear --points --point --image \
	--nested --nested-point --mode --setup --timeout --lib --quiet \
	--jobs --max-failures --keep --help; do
	grep -q -- "^  $o[ =]" <<<"$help" || fail "--help does not describe $o"
done

# usage errors
expect 2 "no --check" -- "${prog[@]}"
expect 2 "no PROGRAM" -- --check "$check"
expect 2 "--domain" -- --domain xadr --check "$check" -- "${prog[@]}"
expect 2 "--mode" -- --mode fork --check "$check" -- "${prog[@]}"
expect 2 "--seed" -- --seed -1 --check "$check" -- "${prog[@]}"
expect 2 "--images" -- --images 0 --check "$check" -- "${prog[@]}"
expect 2 "unknown option" -- --frobnicate --check "$check" -- "${prog[@]}"
expect 2 "--image needs --point" -- --image all --check "$check" -- "${prog[@]}"
expect 2 "--lib" -- --lib "$tmp" --check "$check" -- "${prog[@]}"
expect 2 "has" -- --point 100000 --check "$check" -- "${prog[@]}"
expect 2 "not an image" -- --point 1 --image subset:x --check "$check" \
	-- "${prog[@]}"
expect 2 "--keep" -- --keep "$tmp/none" --check "$check" -- "${prog[@]}"

# programs that cannot be tested
expect 3 "did not load" -- --check true -- /bin/true
expect 3 "failed without a crash" -- --check true -- "$dir/pmlog" write
expect 3 "cannot run" -- --check true -- /nonexistent/program
# a different number of points in every run
echo 3 >"$tmp/n"
expect 3 "not deterministic" -- --check "$check" -- /bin/sh -c \
	'n=$(cat "$1"); echo $((n + 1)) >"$1"; exec "$2" write "$3" "$n"' \
	sh "$tmp/n" "$dir/pmlog" "$log"

# the same seed: the same images and verdicts (the time line aside)
bug=("$dir/pmlog_no_drain" write "$log")
bugcheck="$dir/pmlog_no_drain check {}"
run() {
	"$crashtest" --quiet --max-failures 0 "$@" --check "$bugcheck" \
		-- "${bug[@]}" | grep -v "^  time:"
}
a=$(run --seed 7 --images 6)
b=$(run --seed 7 --images 6)
[ -n "$a" ] && [ "$a" = "$b" ] || fail "seed 7 twice: different reports"
grep -q "random:" <<<"$a" || fail "no random image in: $a"
c=$(run --seed 8 --images 6)
[ "$a" != "$c" ] || fail "seeds 7 and 8 gave the same random images"

# resumed or rerun: the same failures
r1=$(run --seed 3 | grep "^FAIL")
r2=$(run --seed 3 --mode rerun | grep "^FAIL")
[ -n "$r1" ] && [ "$r1" = "$r2" ] || fail "resume and rerun differ"

# --keep: every failing image kept, and its check fails on it alone
mkdir -p "$tmp/kept"
out=$("$crashtest" --quiet --keep "$tmp/kept" --images 4 --check "$bugcheck" \
	-- "${bug[@]}")
n=$(sed -n 's/^  failures: \([0-9]*\)$/\1/p' <<<"$out")
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "--keep: no failures: $out"
[ "$(ls "$tmp/kept" | wc -l)" = "$n" ] ||
	fail "--keep: $(ls "$tmp/kept" | wc -l) images kept for $n failures"
first=$(grep -m1 "^FAIL point" <<<"$out" |
	sed 's/^FAIL point \([0-9]*\) ([a-z]*), image \([a-z]*\(:[0-9]*\)\{0,1\}\):.*/\1 \2/')
read -r k spec <<<"$first"
kept="$tmp/kept/point-$k.${spec//:/-}.log.pool"
[ -f "$kept" ] || fail "--keep: no $kept"
"$dir/pmlog_no_drain" check "$kept" >/dev/null 2>&1
[ $? = 1 ] || fail "--keep: the kept image $kept passes its check"

# a check of plain words with runs of blanks, run without a shell
out=$("$crashtest" --quiet --point 3 --check "  $dir/pmlog	 check   {}  " \
	-- "${prog[@]}") || fail "blanks in --check: $out"

# a sample of points, and one point
out=$("$crashtest" --quiet --points 5 --check "$check" -- "${prog[@]}")
grep -q "^  points:   5 tested of " <<<"$out" || fail "--points 5: $out"
out=$("$crashtest" --quiet --point 3 --check "$check" -- "${prog[@]}")
grep -q "^  points:   1 tested of " <<<"$out" || fail "--point 3: $out"

# --setup runs before each run of the program (twice here: count, test)
rm -f "$tmp/setups"
"$crashtest" --quiet --setup "touch $tmp/setup-ran" --check "$check" \
	-- "${prog[@]}" >/dev/null || fail "--setup: status"
[ -e "$tmp/setup-ran" ] || fail "--setup did not run"
expect 3 "--setup failed" -- --setup false --check "$check" -- "${prog[@]}"

# a check that hangs is ended by --timeout and fails
expect 1 "timed out" -- --timeout 1 --point 1 --check "sleep 5" \
	-- "${prog[@]}"

# the copies of the file made for {} are removed
ls -A "$tmp" | grep -q "^.pmem-crashtest" && fail "copies left in $tmp"

exit $failed
