#!/bin/bash
# fio_test.sh -- fio's libpmem and pmemblk engines on our libpmem.so.1 and on
# PMDK's: the same results.
#
# usage: fio_test.sh [--sanitizer] OUR_LIBRARY PMDK_DIR shm|file FIO [PMEMPOOL]
#
# With each library, fio writes 16 MiB in 4 KiB blocks with a CRC32C header
# in every block and reads them back to verify them: through the libpmem
# engine (pmem_map_file, then pmem_memcpy with temporal stores, direct=0, and
# with non-temporal ones, direct=1), and through the pmemblk engine
# (libpmemblk's BTT on libpmem). A second fio, with the psync engine, then
# verifies the libpmem engine's files through read(2), and pmempool checks
# the pmemblk pool. Every run must exit 0 without error, and the summaries
# (exit status, fio's error, KiB written and read) must be identical.
# fio's libpmem engine refuses files that are not pmem (error 95,
# EOPNOTSUPP): on a regular file, without PMEM_IS_PMEM_FORCE, both libraries
# must make it refuse. Finally a damaged block must fail the verification.
set -u -o pipefail
source "$(dirname "$0")/pmdk_util.sh"
pmdk_setup "$@"
fio=${ARGS[0]}
pmempool=${ARGS[1]:-}
command -v "$fio" >/dev/null || skip "no $fio (Debian package fio)"
"$fio" --enghelp 2>/dev/null | grep -qx '[[:space:]]*libpmem' ||
	skip "this fio has no libpmem engine"

COMMON=(--bs=4k --rw=write --verify=crc32c --verify_state_save=0
	--output-format=terse)

# run_fio LIB RUN ARGS...: one fio run; its exit status and a summary of each
# of its jobs (terse v3 fields: 3 name, 5 error, 6 KiB read, 47 KiB written)
# go to LIB's transcript and to $logs/sum.LIB.RUN
run_fio() {
	local lib=$1 run=$2
	shift 2
	on "$lib" "$lib.$run" --foreign "$fio" "${COMMON[@]}" "$@"
	local status=$?
	{
		echo "exit $status"
		grep '^3;' "$logs/run.$lib.$run.out" | awk -F';' '{
			printf "%s: error %s, written %s KiB, read %s KiB\n",
				$3, $5, $47, $6 }'
	} >"$logs/sum.$lib.$run"
	echo "== fio $run" >>"$logs/$lib.fio"
	cat "$logs/sum.$lib.$run" >>"$logs/$lib.fio"
}

# want LIB RUN LINE: LINE is in the summary of LIB's fio run RUN
want() {
	grep -qxF "$3" "$logs/sum.$1.$2" ||
		fail "$1: fio $2: no '$3' in: $(cat "$logs/sum.$1.$2")" \
			"$(cat "$logs/run.$1.$2.err")"
}

MiB16="written 16384 KiB, read 16384 KiB"
for lib in $libs; do
	d=$work/$lib
	mkdir -p "$d"
	if [ "$where" = "shm" ]; then
		# jobs one after the other (--stonewall), each writes then verifies
		run_fio "$lib" write --size=16m \
			--name=libpmem-direct0 --ioengine=libpmem --direct=0 \
			--filename="$d/libpmem0" --stonewall \
			--name=libpmem-direct1 --ioengine=libpmem --direct=1 \
			--filename="$d/libpmem1" --stonewall \
			--name=pmemblk --ioengine=pmemblk --thread=1 --size=8m \
			--filename="$d/blk,4096,17" --stonewall
		want "$lib" write "exit 0"
		want "$lib" write "libpmem-direct0: error 0, $MiB16"
		want "$lib" write "libpmem-direct1: error 0, $MiB16"
		want "$lib" write "pmemblk: error 0, written 8192 KiB, read 8192 KiB"
		# what libpmem's mapping wrote is in the files, read with read(2)
		run_fio "$lib" verify --size=16m --verify_only=1 --ioengine=psync \
			--name=psync-verify0 --filename="$d/libpmem0" --stonewall \
			--name=psync-verify1 --filename="$d/libpmem1" --stonewall
		want "$lib" verify "exit 0"
		want "$lib" verify "psync-verify0: error 0, $MiB16"
		want "$lib" verify "psync-verify1: error 0, $MiB16"
	else
		run_fio "$lib" not-pmem --size=16m --name=libpmem-not-pmem \
			--ioengine=libpmem --filename="$d/libpmem0"
		want "$lib" not-pmem "exit 1"
		want "$lib" not-pmem \
			"libpmem-not-pmem: error 95, written 0 KiB, read 0 KiB"
		# each block write is an msync here: a smaller job
		run_fio "$lib" write --size=256k --name=pmemblk --ioengine=pmemblk \
			--thread=1 --filename="$d/blk,4096,17"
		want "$lib" write "exit 0"
		want "$lib" write "pmemblk: error 0, written 256 KiB, read 256 KiB"
	fi
	if [ -n "$pmempool" ] && command -v "$pmempool" >/dev/null; then
		on "$lib" "$lib.blk-check" --foreign "$pmempool" check "$d/blk"
		status=$?
		echo "== pmempool check of the pmemblk pool: exit $status" >>"$logs/$lib.fio"
		[ "$status" -eq 0 ] || fail "$lib: pmempool check of fio's pmemblk" \
			"pool: $(cat "$logs/run.$lib.blk-check.out")"
	fi
done
same fio

# The verification can fail: damage a byte of a block fio wrote through our
# library (on a regular file, a block of the pmemblk pool's data area).
if [ "$where" = "shm" ]; then
	target=$work/ours/libpmem1
	verify_args=(--ioengine=psync --filename="$target")
else
	target=$work/ours/blk
	verify_args=(--ioengine=pmemblk --thread=1 --filename="$target,4096,17")
fi
printf '\x5a' | dd of="$target" bs=1 seek=$((8192 + 100)) conv=notrunc status=none
size=16m
[ "$where" = "shm" ] || size=256k	# the pmemblk job's
on ours damaged --foreign "$fio" "${COMMON[@]}" --name=damaged --size=$size \
	--verify_only=1 "${verify_args[@]}"
status=$?
err=$(grep '^3;' "$logs/run.damaged.out" | cut -d';' -f5)
if [ "$status" -ne 0 ] || [ "${err:-0}" != "0" ]; then
	echo "a damaged block is found: exit $status, error ${err:-?}"
else
	fail "fio verified a damaged file: $(cat "$logs/run.damaged.err")"
fi
finish
