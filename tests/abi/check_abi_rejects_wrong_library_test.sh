#!/bin/bash
# check_abi_rejects_wrong_library_test.sh -- check_abi.sh fails on a library
# with the wrong SONAME, an unversioned function, extra global and weak
# exports, missing functions and an extra NEEDED, and names each problem.
#
# usage: check_abi_rejects_wrong_library_test.sh CHECK_ABI LIBRARY
set -u -o pipefail

out=$("$1" "$2")
status=$?
echo "$out"
if [ "$status" -ne 1 ]; then
	echo "FAIL: check_abi.sh exited $status on a wrong library, expected 1"
	exit 1
fi

failed=0
expect() {
	if ! grep -qF -- "$1" <<<"$out"; then
		echo "FAIL: no report of: $1"
		failed=1
	fi
}
expect "SONAME is 'libnot_libpmem.so', expected libpmem.so.1"
expect "NEEDED libm.so.6"
expect "pmem_persist is exported as 'pmem_persist', expected pmem_persist@@LIBPMEM_1.0"
expect "unexpected exported symbol pmem_extra (FUNC GLOBAL)"
expect "unexpected exported symbol pmem_weak_extra (FUNC WEAK)"
expect "pmem_map_file is not exported"
expect "pmem_errormsg is not exported"
expect "no LIBPMEM_1.0 version node symbol"
expect "version definitions are"
[ "$failed" -eq 0 ] && echo "PASS: check_abi.sh names every problem"
exit "$failed"
