#!/bin/bash
# obj_test.sh -- a libpmemobj program (obj_records) on our libpmem.so.1 and on
# PMDK's: the same results, and pools each library wrote verify on the other.
#
# usage: obj_test.sh [--sanitizer] OUR_LIBRARY PMDK_DIR shm|file OBJ_RECORDS UPDATES
#
# With each library, obj_records creates a pool and applies UPDATES updates in
# transactions, reopens it and applies UPDATES/2 more, fills a second pool
# with UPDATES updates without transactions, and verifies the first pool
# alone; every step must exit 0 (consistent), and the transcripts must be
# identical. Then each library verifies the pools the other wrote, and a pool
# with one record damaged must be found inconsistent.
set -u -o pipefail
source "$(dirname "$0")/pmdk_util.sh"
pmdk_setup "$@"
prog=${ARGS[0]}
updates=${ARGS[1]}

# step LIB NAME ARGS...: one obj_records run, appended to LIB's transcript
step() {
	local lib=$1 name=$2
	shift 2
	on "$lib" "$lib.$name" "$prog" "$@"
	local status=$?
	[ "$status" -eq 0 ] ||
		fail "$lib: obj_records $* exited $status: $(cat "$logs/run.$lib.$name.err")"
	echo "== $name: exit $status" >>"$logs/$lib.obj"
	cat "$logs/run.$lib.$name.out" >>"$logs/$lib.obj"
}

for lib in $libs; do
	d=$work/$lib
	mkdir -p "$d"
	step "$lib" tx run --tx "$d/tx.pool" "$updates"
	step "$lib" reopen run --tx "$d/tx.pool" $((updates / 2))
	step "$lib" no-tx run --no-tx "$d/no-tx.pool" "$updates"
	step "$lib" verify verify "$d/tx.pool"
done
same obj

# The pools are PMDK's format: each library reads what the other wrote.
if [ -n "$pmdk_lib" ]; then
	for pair in "pmdk ours" "ours pmdk"; do
		read -r reader writer <<<"$pair"
		for pool in tx no-tx; do
			if on "$reader" "cross.$reader.$pool" "$prog" verify \
					"$work/$writer/$pool.pool"; then
				echo "$pool pool written on $(label "$writer")" \
					"verified on $(label "$reader")"
			else
				fail "$(label "$reader") cannot verify the $pool" \
					"pool written on $(label "$writer"):" \
					"$(cat "$logs/run.cross.$reader.$pool.out")"
			fi
		done
	done
fi

# The verifier can fail: damage the first record's value (the record follows
# the root's first 64 bytes, which start with the magic "objrecs1").
cp "$work/ours/tx.pool" "$work/damaged.pool"
at=$(grep -obUa '1scerjbo' "$work/damaged.pool" | head -n 1 | cut -d: -f1)
if [ -z "$at" ]; then
	fail "no root found in the pool"
else
	printf '\x5a' | dd of="$work/damaged.pool" bs=1 seek=$((at + 64)) \
		conv=notrunc status=none
	on ours damaged "$prog" verify "$work/damaged.pool"
	status=$?
	if [ "$status" -eq 1 ] &&
			grep -q 'record 0 torn' "$logs/run.damaged.out" &&
			grep -q 'INCONSISTENT' "$logs/run.damaged.out"; then
		echo "a damaged record is found: $(head -n 2 "$logs/run.damaged.out" | tail -n 1)"
	else
		fail "a damaged pool verified with exit $status:" \
			"$(cat "$logs/run.damaged.out")"
	fi
fi
finish
