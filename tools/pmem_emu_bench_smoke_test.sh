#!/bin/bash
# pmem_emu_bench_smoke_test.sh -- pmem-emu-bench --quick in a directory of
# its own: exit status 0, the table header, the goals, a JSON file that
# parses, no file left behind; a bad option: one line, status 2.
#
# usage: pmem_emu_bench_smoke_test.sh PMEM_EMU_BENCH
set -u -o pipefail
export LC_ALL=C

bench=$1
tmp=${TEST_TMPDIR:-$(mktemp -d)}
dir=$tmp/bench
mkdir -p "$dir"
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

out=$("$bench" --quick --dir "$dir" --json "$tmp/out.json" 2>&1)
status=$?
echo "$out"
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
grep -qE '^test +contender +median us +p90 us' <<<"$out" ||
	fail "no table header"
grep -q '^goals in ' <<<"$out" || fail "no goals"
grep -q 'persist 64 B' <<<"$out" || fail "no 64 B persist row"
left=$(ls -A "$dir")
[ -z "$left" ] || fail "files left behind: $left"
if command -v python3 >/dev/null; then
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1]));
assert d["dirs"][0]["results"], "no results"' "$tmp/out.json" ||
		fail "the JSON file does not parse or has no results"
else
	[ -s "$tmp/out.json" ] || fail "no JSON file"
fi

err=$("$bench" --no-such-option 2>&1 >/dev/null)
status=$?
[ "$status" -eq 2 ] || fail "bad option: exit status $status, expected 2"
[ "$(wc -l <<<"$err")" -eq 1 ] || fail "bad option: not one line: $err"
err=$("$bench" --cpu x 2>&1 >/dev/null)
status=$?
[ "$status" -eq 2 ] || fail "bad --cpu: exit status $status, expected 2"

[ "$failed" -eq 0 ] && echo PASS
exit "$failed"
