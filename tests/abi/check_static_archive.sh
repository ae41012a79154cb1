#!/bin/bash
# check_static_archive.sh -- the static library for Bazel users defines no
# global symbol but PMDK's 23 functions, so nothing of its internals (Ops,
# Config, err_set, ...) can clash with a name of the program it links into.
#
# usage: check_static_archive.sh ARCHIVE
set -u -o pipefail
export LC_ALL=C

if [ $# -ne 1 ]; then
	echo "usage: check_static_archive.sh ARCHIVE" >&2
	exit 2
fi

expected="pmem_check_version pmem_deep_drain pmem_deep_flush pmem_deep_persist
pmem_drain pmem_errormsg pmem_flush pmem_has_auto_flush pmem_has_hw_drain
pmem_is_pmem pmem_map_file pmem_memcpy pmem_memcpy_nodrain pmem_memcpy_persist
pmem_memmove pmem_memmove_nodrain pmem_memmove_persist pmem_memset
pmem_memset_nodrain pmem_memset_persist pmem_msync pmem_persist pmem_unmap"

want=$(echo $expected | tr ' ' '\n' | sort)
# defined symbols with global or weak binding (nm: upper-case type letters)
got=$(nm --defined-only "$1" | awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' | sort)
if [ "$got" != "$want" ]; then
	echo "FAIL: global symbols of $1 differ from PMDK's 23 functions:" >&2
	diff <(echo "$want") <(echo "$got") >&2
	exit 1
fi
echo "ok: $1 defines exactly the 23 pmem_* functions"
