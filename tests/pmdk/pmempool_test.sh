#!/bin/bash
# pmempool_test.sh -- PMDK's pmempool (libpmempool, libpmemobj, libpmemlog,
# libpmemblk) on our libpmem.so.1 and on PMDK's: the same results.
#
# usage: pmempool_test.sh [--sanitizer] OUR_LIBRARY PMDK_DIR shm|file PMEMPOOL
#
# With each library, pmempool creates an obj, a log and a blk pool, prints
# their info and checks them; every command must exit 0, the checks must say
# "consistent", and the transcripts must be identical once the fields that
# differ on every run (UUIDs, creation times, checksums over them) are masked.
# Then each library's pmempool checks the pools the other created, and a pool
# with a damaged header must be found inconsistent.
set -u -o pipefail
source "$(dirname "$0")/pmdk_util.sh"
pmdk_setup "$@"
pmempool=${ARGS[0]}
command -v "$pmempool" >/dev/null ||
	skip "no $pmempool (Debian package pmdk-tools)"

POOLS="obj log blk"

# create_args TYPE: pmempool create's arguments for a pool of TYPE
create_args() {
	case "$1" in
	obj) echo "obj --layout=pmdk_clients --size=16M" ;;
	log) echo "log --size=16M" ;;
	blk) echo "blk 512 --size=20M" ;;
	esac
}

# mask: what pmempool info prints, without what changes on every run
mask() {
	sed -E -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
		-e 's/^(Creation Time *:).*/\1 <time>/' \
		-e 's/^(Checksum *:) 0x[0-9a-f]+/\1 <checksum>/'
}

# pool LIB NAME ARGS...: one pmempool run in LIB's directory, appended to
# LIB's transcript; it must exit 0
pool() {
	local lib=$1 name=$2
	shift 2
	(cd "$work/$lib" && on "$lib" "$lib.$name" --foreign "$pmempool" "$@")
	local status=$?
	[ "$status" -eq 0 ] ||
		fail "$lib: pmempool $* exited $status: $(cat "$logs/run.$lib.$name.err")"
	echo "== pmempool $*: exit $status" >>"$logs/$lib.pmempool"
	mask <"$logs/run.$lib.$name.out" >>"$logs/$lib.pmempool"
}

for lib in $libs; do
	mkdir -p "$work/$lib"
	for type in $POOLS; do
		# shellcheck disable=SC2046
		pool "$lib" "create-$type" create $(create_args "$type") "pool.$type"
		pool "$lib" "info-$type" info "pool.$type"
		pool "$lib" "check-$type" check --verbose "pool.$type"
		grep -q "^pool.$type: consistent$" "$logs/run.$lib.check-$type.out" ||
			fail "$lib: pmempool check does not find pool.$type consistent"
	done
done
same pmempool

# The pools are PMDK's format: each library checks what the other created.
if [ -n "$pmdk_lib" ]; then
	for pair in "pmdk ours" "ours pmdk"; do
		read -r reader writer <<<"$pair"
		for type in $POOLS; do
			name=cross.$reader.$type
			on "$reader" "$name" --foreign "$pmempool" check --verbose \
				"$work/$writer/pool.$type"
			status=$?
			if [ "$status" -eq 0 ] &&
					grep -q 'consistent$' "$logs/run.$name.out" &&
					! grep -q 'not consistent' "$logs/run.$name.out"; then
				echo "$type pool created on $(label "$writer")" \
					"checked on $(label "$reader"): consistent"
			else
				fail "$(label "$reader"): pmempool check of the $type" \
					"pool created on $(label "$writer") exited $status:" \
					"$(cat "$logs/run.$name.out")"
			fi
		done
	done
fi

# The check can fail: damage a byte of the obj pool's header (its checksum
# covers the first 2 KiB).
cp "$work/ours/pool.obj" "$work/damaged.obj"
printf '\x5a' | dd of="$work/damaged.obj" bs=1 seek=100 conv=notrunc status=none
on ours damaged --foreign "$pmempool" check "$work/damaged.obj"
status=$?
if [ "$status" -ne 0 ] && grep -q 'not consistent' "$logs/run.damaged.out"; then
	echo "a damaged header is found: exit $status, $(tail -n 1 "$logs/run.damaged.out")"
else
	fail "pmempool check of a damaged pool exited $status:" \
		"$(cat "$logs/run.damaged.out")"
fi
finish
