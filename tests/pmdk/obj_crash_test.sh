#!/bin/bash
# obj_crash_test.sh -- pmem-crashtest on PMDK's libpmemobj: obj_records maps
# its pool itself, and the emulation takes that mapping over, so a crash at
# any persistence point leaves a pool image. In transactions every image
# must verify (libpmemobj transactions are crash-consistent); the same
# updates without transactions must leave some image inconsistent, which
# proves the images are real.
#
# usage: obj_crash_test.sh [--sanitizer] CRASHTEST OUR_LIBRARY OBJ_RECORDS
set -u -o pipefail
export LC_ALL=C

if [ "${1:-}" = "--sanitizer" ]; then
	# libpmemobj is not built with the sanitizer runtimes a sanitized
	# libpmem.so.1 needs first in the process
	echo "SKIP: under a sanitizer build"
	exit 0
fi
crashtest=$1
libdir=$(dirname "$(realpath "$2")")
prog=$3
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# a pool with no update yet, copied before every run of the program
tmpl=$tmp/template.pool
pool=$tmp/obj.pool
rm -f "$tmpl"
LD_LIBRARY_PATH=$libdir PMEM_EMULATE=adr "$prog" run --tx "$tmpl" 0 >/dev/null ||
	{ echo "FAIL: cannot create the template pool"; exit 1; }

# crash DOMAIN MODE WANT: a sample of the points of 6 updates
crash() {
	local out status
	out=$("$crashtest" --quiet --domain "$1" --points 30 --images 3 \
		--max-failures 2 --setup "cp $tmpl $pool" \
		--check "$prog verify {}" -- "$prog" run "$2" "$pool" 6 2>&1)
	status=$?
	echo "== $1 $2: status $status"
	echo "$out"
	[ "$status" = "$3" ] || fail "$1 $2: status $status, wanted $3"
	grep -q "^  points:   30 tested of " <<<"$out" ||
		fail "$1 $2: not 30 points tested"
}

crash adr --tx 0
crash eadr --tx 0
crash adr --no-tx 1
exit $failed
