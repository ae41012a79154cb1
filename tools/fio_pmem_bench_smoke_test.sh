#!/bin/bash
# fio_pmem_bench_smoke_test.sh -- fio-pmem-bench, as small as it goes, in a
# directory of its own: exit status 0, one row per block size and store
# kind with two bandwidths and a ratio, no file left behind; a bad option:
# status 2. Without fio (Debian package fio) it says so and passes.
#
# usage: fio_pmem_bench_smoke_test.sh FIO_PMEM_BENCH OUR_LIBRARY
set -u -o pipefail
export LC_ALL=C

bench=$1
ours=$2
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

command -v fio >/dev/null || { echo "SKIP: no fio"; exit 0; }
[ -e /usr/lib/x86_64-linux-gnu/libpmem.so.1 ] ||
	{ echo "SKIP: no PMDK libpmem.so.1"; exit 0; }

dir=${TEST_TMPDIR:-$(mktemp -d)}/bench
mkdir -p "$dir"
out=$("$bench" "$ours" --reps 1 --size 4m --loops 1 --bs 4k,64k --dir "$dir" 2>&1)
status=$?
echo "$out"
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
for row in "4k temporal" "4k nt" "64k temporal" "64k nt"; do
	read -r bs stores <<<"$row"
	grep -qE "^$bs +$stores +[0-9]+ +[0-9]+ +[0-9]+\.[0-9]{2}x$" <<<"$out" ||
		fail "no row for $bs $stores"
done
left=$(ls -A "$dir")
[ -z "$left" ] || fail "files left behind: $left"

"$bench" "$ours" --no-such-option >/dev/null 2>&1
status=$?
[ "$status" -eq 2 ] || fail "a bad option: exit status $status, expected 2"

grep -qE "^geometric mean of ours/PMDK over 4 rows: [0-9]+\.[0-9]{2}x$" <<<"$out" ||
	fail "no geometric mean"

[ "$failed" -eq 0 ] && echo "PASS"
exit "$failed"
