#!/bin/bash
# bench_report_smoke_test.sh -- bench-report --quick writes JSON for both
# benchmarks and an SVG chart with the three contenders; a bad option is
# refused with status 2.
set -euo pipefail
report="$1"
out="$TEST_TMPDIR/report"
log="$TEST_TMPDIR/log"
(cd "$TEST_TMPDIR" && "$OLDPWD/$report" --quick "$out") >"$log" 2>&1 || {
	cat "$log"; echo "FAIL: bench-report exited with $?"; exit 1; }
for f in pmem-bench.json pmem-bench.svg pmem-emu-bench.json; do
	[ -s "$out/$f" ] || { cat "$log"; echo "FAIL: $f missing"; exit 1; }
done
grep -q '<svg' "$out/pmem-bench.svg" || { echo "FAIL: not an SVG"; exit 1; }
grep -q 'ours (this library)' "$out/pmem-bench.svg" || {
	echo "FAIL: the chart has no line for ours"; exit 1; }
grep -q 'limit' "$out/pmem-bench.svg" || {
	echo "FAIL: the chart has no limit line"; exit 1; }
grep -q '^### pmem-emu-bench' "$log" || { echo "FAIL: no emu table"; exit 1; }
set +e
"$report" --bogus "$out" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "FAIL: bad option gave $rc, not 2"; exit 1; }
echo "PASS"
