#!/bin/bash
# check_abi.sh -- checks with readelf that a shared library has PMDK's
# libpmem.so.1 ABI, and names every difference it finds.
#
# usage: check_abi.sh [--sanitizer] LIBRARY
#
# Checked: an x86-64 ELF shared object; SONAME libpmem.so.1; the version
# definitions are exactly the base and LIBPMEM_1.0; the defined global or weak
# dynamic symbols are exactly PMDK's 23 functions, each a default-visibility
# FUNC versioned @@LIBPMEM_1.0, plus the version node's own LIBPMEM_1.0
# symbol; NEEDED holds only libc and the dynamic loader (and, with
# --sanitizer, the sanitizer runtimes the sanitized build links); no TEXTREL,
# no RPATH/RUNPATH, no executable stack. Exits 0 if all hold, 1 otherwise.
set -u -o pipefail
export LC_ALL=C

sanitizer=0
if [ "${1:-}" = "--sanitizer" ]; then
	sanitizer=1
	shift
fi
if [ $# -ne 1 ]; then
	echo "usage: check_abi.sh [--sanitizer] LIBRARY" >&2
	exit 2
fi
lib=$1

# PMDK 1.12.1's exports, sorted.
expected_functions="pmem_check_version
pmem_deep_drain
pmem_deep_flush
pmem_deep_persist
pmem_drain
pmem_errormsg
pmem_flush
pmem_has_auto_flush
pmem_has_hw_drain
pmem_is_pmem
pmem_map_file
pmem_memcpy
pmem_memcpy_nodrain
pmem_memcpy_persist
pmem_memmove
pmem_memmove_nodrain
pmem_memmove_persist
pmem_memset
pmem_memset_nodrain
pmem_memset_persist
pmem_msync
pmem_persist
pmem_unmap"

problems=0
problem() {
	echo "ABI problem: $*"
	problems=$((problems + 1))
}

if ! header=$(readelf --wide --file-header "$lib" 2>&1); then
	echo "cannot read $lib: $header" >&2
	exit 1
fi
dynamic=$(readelf --wide --dynamic "$lib")
dynsyms=$(readelf --wide --dyn-syms "$lib")
versions=$(readelf --wide --version-info "$lib")
segments=$(readelf --wide --program-headers "$lib")

# The file itself.
grep -q 'Class: *ELF64' <<<"$header" || problem "not ELF64"
grep -q 'Machine: *Advanced Micro Devices X86-64' <<<"$header" ||
	problem "not an x86-64 object"
grep -q 'Type: *DYN' <<<"$header" || problem "not a shared object"

# SONAME.
soname=$(sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p' <<<"$dynamic")
[ "$soname" = "libpmem.so.1" ] ||
	problem "SONAME is '$soname', expected libpmem.so.1"

# NEEDED.
allowed='^(libc\.so\.6|ld-linux-x86-64\.so\.2)$'
if [ "$sanitizer" -eq 1 ]; then
	allowed='^(libc\.so\.6|ld-linux-x86-64\.so\.2|lib(asan|ubsan|tsan)\.so\.[0-9]+)$'
fi
needed=$(sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p' <<<"$dynamic")
while read -r n; do
	[ -z "$n" ] && continue
	grep -Eq "$allowed" <<<"$n" || problem "NEEDED $n (only libc is allowed)"
done <<<"$needed"
grep -q 'libc\.so\.6' <<<"$needed" || problem "libc.so.6 is not NEEDED"

# Relocations in text, search paths, stack.
grep -q '(TEXTREL)' <<<"$dynamic" && problem "has a TEXTREL entry"
grep -Eq '\(FLAGS\).*TEXTREL' <<<"$dynamic" && problem "has the TEXTREL flag"
grep -Eq '\((RPATH|RUNPATH)\)' <<<"$dynamic" &&
	problem "has an RPATH/RUNPATH: $(grep -E '\((RPATH|RUNPATH)\)' <<<"$dynamic")"
stack=$(awk '$1 == "GNU_STACK" { print $(NF - 1) }' <<<"$segments")
[ "$stack" = "RW" ] || problem "GNU_STACK flags are '$stack', expected RW"

# Version definitions: the base (the soname) and LIBPMEM_1.0, nothing else.
verdefs=$(awk '/^Version definition section/ { on = 1; next }
	/^Version (needs|symbols) section/ { on = 0 }
	on && /Name:/ { sub(/.*Name: */, ""); print $1 }' <<<"$versions")
[ "$verdefs" = "$(printf 'libpmem.so.1\nLIBPMEM_1.0')" ] ||
	problem "version definitions are '$(echo $verdefs)', expected 'libpmem.so.1 LIBPMEM_1.0'"

# Defined global/weak dynamic symbols: Num: Value Size Type Bind Vis Ndx Name.
defined=$(awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" &&
	($5 == "GLOBAL" || $5 == "WEAK" || $5 == "UNIQUE") {
	print $8, $4, $5, $6, $7 }' <<<"$dynsyms")
functions=""
node_symbol=0
while read -r name type bind vis ndx; do
	[ -z "$name" ] && continue
	if [ "$name" = "LIBPMEM_1.0" ] && [ "$ndx" = "ABS" ]; then
		node_symbol=1
		continue
	fi
	base=${name%%@*}
	if ! grep -qx "$base" <<<"$expected_functions"; then
		problem "unexpected exported symbol $name ($type $bind)"
		continue
	fi
	[ "$name" = "$base@@LIBPMEM_1.0" ] ||
		problem "$base is exported as '$name', expected $base@@LIBPMEM_1.0"
	[ "$type" = "FUNC" ] || problem "$base is a $type, expected FUNC"
	[ "$bind" = "GLOBAL" ] || problem "$base is $bind, expected GLOBAL"
	[ "$vis" = "DEFAULT" ] || problem "$base has visibility $vis"
	functions="$functions$base"$'\n'
done <<<"$defined"
[ "$node_symbol" -eq 1 ] || problem "no LIBPMEM_1.0 version node symbol"

functions=$(sort <<<"${functions%$'\n'}")
while read -r f; do
	grep -qx "$f" <<<"$functions" || problem "$f is not exported"
done <<<"$expected_functions"
duplicates=$(uniq -d <<<"$functions")
[ -z "$duplicates" ] || problem "exported more than once: $duplicates"

if [ "$problems" -ne 0 ]; then
	echo "$lib: $problems ABI problem(s)"
	exit 1
fi
echo "$lib: SONAME libpmem.so.1, 23 functions @@LIBPMEM_1.0, NEEDED $(echo $needed), no TEXTREL, no RPATH, stack RW"
