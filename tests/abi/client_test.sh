#!/bin/bash
# client_test.sh -- a binary linked against libpmem.so.1 runs on our library
# and on PMDK's with the same results.
#
# usage: client_test.sh CLIENT OUR_LIBRARY PMDK_DIR SETTING...
#
# A SETTING is "-" (no variable) or comma-separated VAR=VALUE environment
# assignments, such as PMEM_IS_PMEM_FORCE=1 or PMEM_NO_MOVNT=1. The client is
# run under each setting twice, once with LD_LIBRARY_PATH naming our
# libpmem.so.1's directory and once naming PMDK_DIR, where Debian's libpmem1
# keeps PMDK's. Checked: the client imports PMDK's 23 functions at version
# LIBPMEM_1.0; each run loaded the intended library and exited 0 (its own data
# checks passed, no sanitizer report); the two transcripts are identical.
# Without PMDK's library the comparison is skipped, saying so.
set -u -o pipefail
export LC_ALL=C

client=$1
ours=$2
pmdk_dir=$3
shift 3
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# The client's imports are what a program linked against PMDK's library has.
imports=$(readelf --wide --dyn-syms "$client" |
	awk '$7 == "UND" && $8 ~ /^pmem_/ { print $8 }')
count=$(grep -c '@LIBPMEM_1\.0' <<<"$imports")
other=$(grep -v '@LIBPMEM_1\.0' <<<"$imports")
[ "$count" -eq 23 ] ||
	fail "client imports $count pmem_ functions at LIBPMEM_1.0, expected 23"
[ -z "$other" ] || fail "client imports unversioned: $other"
readelf --wide --dynamic "$client" | grep -q '(NEEDED).*\[libpmem\.so\.1\]' ||
	fail "client does not need libpmem.so.1"

# run NAME LIBDIR EXPECTED_LIBRARY [VAR=VALUE...]: one client run, checked
run() {
	local name=$1 libdir=$2 expected=$3
	shift 3
	local dir="$tmp/$name"
	rm -rf "$dir"
	mkdir -p "$dir/scratch"
	env "$@" LD_LIBRARY_PATH="$libdir" "$client" "$dir/scratch" \
		>"$dir/out" 2>"$dir/err"
	local status=$?
	if [ "$status" -ne 0 ]; then
		fail "$name: client exited $status"
		cat "$dir/out" "$dir/err"
	fi
	local loaded
	loaded=$(head -n 1 "$dir/out")
	[ "$loaded" = "library $expected" ] ||
		fail "$name: loaded '${loaded#library }', expected $expected"
	tail -n +2 "$dir/out" >"$dir/transcript"
}

our_lib=$(realpath "$ours")
our_dir=$(dirname "$(realpath -s "$ours")")
pmdk_lib=""
if [ -e "$pmdk_dir/libpmem.so.1" ]; then
	pmdk_lib=$(realpath "$pmdk_dir/libpmem.so.1")
	[ "$pmdk_lib" != "$our_lib" ] || fail "PMDK's library is ours: $pmdk_lib"
else
	echo "SKIP: no PMDK libpmem.so.1 in $pmdk_dir (Debian package libpmem1):" \
		"running on our library only, without the comparison"
fi

for setting in "$@"; do
	vars=()
	[ "$setting" != "-" ] && IFS=, read -r -a vars <<<"$setting"
	run "ours$setting" "$our_dir" "$our_lib" "${vars[@]}"
	[ -n "$pmdk_lib" ] || continue
	run "pmdk$setting" "$pmdk_dir" "$pmdk_lib" "${vars[@]}"
	if diff -u "$tmp/pmdk$setting/transcript" "$tmp/ours$setting/transcript"
	then
		echo "${setting/#-/no variable}: same transcript on PMDK's and ours" \
			"($(wc -l <"$tmp/ours$setting/transcript") lines)"
	else
		fail "${setting/#-/no variable}: transcripts differ (- PMDK, + ours)"
	fi
done

# PMEM_IS_PMEM_FORCE must show in the transcript, or comparing proves little.
if [ -e "$tmp/oursPMEM_IS_PMEM_FORCE=1" ] &&
		[ -e "$tmp/oursPMEM_IS_PMEM_FORCE=0" ] &&
		cmp -s "$tmp/oursPMEM_IS_PMEM_FORCE=1/transcript" \
			"$tmp/oursPMEM_IS_PMEM_FORCE=0/transcript"; then
	fail "PMEM_IS_PMEM_FORCE=1 and =0 gave the same transcript"
fi

echo "--- transcript on our library, setting $1:"
cat "$tmp/ours$1/transcript"
[ "$failed" -eq 0 ] && echo "PASS"
exit "$failed"
