#!/bin/bash
# complete_run_test.sh -- each example program, run to its end without a
# crash, leaves a file its check accepts, in each mode of the library; the
# same arguments give the same file and the same flushes and drains.
#
# usage: complete_run_test.sh PROGRAM...
#
# A PROGRAM whose name starts with pmkv is run as "PROGRAM run FILE [N]",
# any other as "PROGRAM write FILE [N]"; then "PROGRAM check FILE [N]" must
# exit 0, and must exit 1 with a smaller N (the file holds more records or
# operations than that). Modes: no emulation on a plain file (is_pmem 0:
# msync), PMEM_IS_PMEM_FORCE=1 (pmem paths, no emulation), emulated ADR and
# eADR, and both with PMEM_EMULATE_STRICT=1 (exit does not write back what
# was not drained). The one expected failure: pmlog_no_flush under strict
# ADR, whose records were never flushed, so its check must exit 1.
set -u -o pipefail
export LC_ALL=C

tmp=${TEST_TMPDIR:-$(mktemp -d)}
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

MODES=(
	"-u PMEM_EMULATE"
	"PMEM_IS_PMEM_FORCE=1"
	"PMEM_EMULATE=adr"
	"PMEM_EMULATE=eadr"
	"PMEM_EMULATE=adr PMEM_EMULATE_STRICT=1"
	"PMEM_EMULATE=eadr PMEM_EMULATE_STRICT=1"
)

# counters FILE: the program's flushes and drains from a statistics file
counters() {
	grep -o '"\(flushes\|lines_flushed\|drains\|lines_never_flushed\)":[0-9]*' "$1"
}

# run_check NAME PROG VERB N EXPECTED MODE...: one run, then its check
run_check() {
	local name=$1 prog=$2 verb=$3 n=$4 expected=$5
	shift 5
	local file="$tmp/$name.pool"
	local args=("$file")
	[ "$n" = "-" ] || args+=("$n")
	env "$@" "$prog" "$verb" "${args[@]}" 2>"$tmp/err"
	local status=$?
	if [ "$status" -ne 0 ]; then
		fail "$name: $verb exited $status: $(cat "$tmp/err")"
		return
	fi
	env "$@" "$prog" check "${args[@]}" 2>"$tmp/err"
	status=$?
	if [ "$status" -ne "$expected" ]; then
		fail "$name: check exited $status, expected $expected:" \
			"$(cat "$tmp/err")"
	fi
	[ "$expected" -ne 1 ] || [ -s "$tmp/err" ] ||
		fail "$name: check exited 1 without saying why"
}

for prog in "$@"; do
	base=$(basename "$prog")
	case "$base" in
	pmkv*) verb=run n=13 ;;
	*) verb=write n=7 ;;
	esac
	for mode in "${MODES[@]}"; do
		read -r -a vars <<<"$mode"
		label="$base ${mode}"
		expected=0
		[ "$base" = pmlog_no_flush ] &&
			[ "$mode" = "PMEM_EMULATE=adr PMEM_EMULATE_STRICT=1" ] &&
			expected=1

		# default N, and N given
		run_check "$base" "$prog" "$verb" - "$expected" "${vars[@]}"
		run_check "$base-n" "$prog" "$verb" "$n" "$expected" "${vars[@]}"
		[ "$expected" -eq 0 ] || continue

		# fewer than were written: not consistent for that N
		env "${vars[@]}" "$prog" check "$tmp/$base-n.pool" $((n - 1)) \
			2>"$tmp/err"
		status=$?
		[ "$status" -eq 1 ] ||
			fail "$label: check with N=$((n - 1)) exited $status," \
				"expected 1"

		# N = 0: an initialised, empty log or table
		run_check "$base-0" "$prog" "$verb" 0 0 "${vars[@]}"
	done

	# determinism: same file, same flushes and drains, in each domain
	for domain in adr eadr; do
		for i in 1 2; do
			rm -f "$tmp/det$i.pool"
			PMEM_EMULATE=$domain PMEM_EMULATE_STATS="$tmp/stats$i" \
				"$prog" "$verb" "$tmp/det$i.pool" "$n" ||
				fail "$base $domain: run $i failed"
		done
		cmp -s "$tmp/det1.pool" "$tmp/det2.pool" ||
			fail "$base $domain: two runs wrote different files"
		[ -n "$(counters "$tmp/stats1")" ] ||
			fail "$base $domain: no statistics"
		[ "$(counters "$tmp/stats1")" = "$(counters "$tmp/stats2")" ] ||
			fail "$base $domain: two runs flushed or drained" \
				"differently: $(cat "$tmp/stats1") $(cat "$tmp/stats2")"
	done
	echo "$base: done"
done

[ "$failed" -eq 0 ] && echo "PASS"
exit "$failed"
