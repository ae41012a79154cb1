#!/bin/bash
# checks_fail_test.sh -- the checks of the example programs can fail: files
# altered in specific ways are rejected (exit 1, one line on stderr), while
# the states a crash can leave (no file, no magic, a shorter committed log,
# an update to roll back) are accepted, and the roll-back restores exactly
# the table before the interrupted update.
#
# usage: checks_fail_test.sh PMLOG PMKV [VARIANT...]
#
# Every check is run with PMLOG and PMKV and with each VARIANT whose name
# starts as theirs (their check is the same). The offsets are the layouts
# described at the top of pmlog.c and pmkv.c.
set -u -o pipefail
export LC_ALL=C
unset PMEM_EMULATE

pmlog=$1
pmkv=$2
shift 2
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failed=0
checks=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# put_u64 FILE OFFSET VALUE: stores a little-endian 8-byte value
put_u64() {
	local bytes="" v=$3
	for _ in 1 2 3 4 5 6 7 8; do
		bytes+=$(printf '\\0%03o' $((v & 255)))
		v=$((v >> 8))
	done
	printf '%b' "$bytes" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# get_u64 FILE OFFSET: prints a little-endian 8-byte value
get_u64() {
	od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '
}

# flip FILE OFFSET: inverts one byte
flip() {
	local b
	b=$(od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf '%b' "$(printf '\\0%03o' $((b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# expect STATUS WHAT PROGRAM check FILE [N]: the check of each program of
# the family exits STATUS; with 1, its message must contain WHAT
expect() {
	local status=$1 what=$2 family=$3
	shift 4
	local prog
	for prog in "$family" "${variants[@]}"; do
		case "$(basename "$prog")" in
		"$(basename "$family")"*) ;;
		*) continue ;;
		esac
		# a copy: a check may roll back an update
		rm -f "$tmp/copy.pool"
		[ ! -e "$1" ] || cp "$1" "$tmp/copy.pool"
		local args=("$tmp/copy.pool" "${@:2}")
		"$prog" check "${args[@]}" 2>"$tmp/err"
		local got=$?
		checks=$((checks + 1))
		if [ "$got" -ne "$status" ]; then
			fail "$(basename "$prog"): $what: check exited $got," \
				"expected $status: $(cat "$tmp/err")"
		elif [ "$status" -eq 1 ] && ! grep -qF -- "$what" "$tmp/err"; then
			fail "$(basename "$prog"): check said '$(cat "$tmp/err")'," \
				"expected '$what'"
		elif [ "$status" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
			fail "$(basename "$prog"): check wrote more than one line"
		fi
	done
}

variants=("$@")

# --- pmlog: header at 0 (magic, version, capacity, committed), records at 64
log=$tmp/log.pool
"$pmlog" write "$log" 20 || fail "pmlog write failed"
"$pmlog" write "$tmp/log19.pool" 19 || fail "pmlog write 19 failed"
committed=$(get_u64 "$log" 24)
end19=$(get_u64 "$tmp/log19.pool" 24)
if [ "$end19" -le 0 ] || [ "$end19" -ge "$committed" ]; then
	fail "committed lengths $end19 (19 records), $committed (20)"
fi

expect 0 "complete log" "$pmlog" check "$log" 20
expect 0 "no file" "$pmlog" check "$tmp/missing.pool"
: >"$tmp/f" && expect 0 "empty file" "$pmlog" check "$tmp/f"
head -c 65536 /dev/zero >"$tmp/f" && expect 0 "zeros" "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && put_u64 "$tmp/f" 0 0 &&
	expect 0 "fields but no magic" "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && put_u64 "$tmp/f" 24 0 &&
	expect 0 "nothing committed" "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && put_u64 "$tmp/f" 24 "$end19" &&
	expect 0 "19 records committed" "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && flip "$tmp/f" $((64 + committed + 5)) &&
	expect 0 "garbage past the committed end" "$pmlog" check "$tmp/f"

cp "$log" "$tmp/f" && put_u64 "$tmp/f" 24 $((committed - 8)) &&
	expect 1 "falls inside record 19" "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && put_u64 "$tmp/f" 24 $((committed + 8)) &&
	expect 1 "falls inside record 20" "$pmlog" check "$tmp/f" 21
cp "$log" "$tmp/f" && put_u64 "$tmp/f" 24 $((end19 + 16)) &&
	expect 1 "falls inside record 19" "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && flip "$tmp/f" $((64 + end19 + 20)) &&
	expect 1 "committed record 19 (bytes $end19..$committed) differs at its byte 20" \
		"$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && flip "$tmp/f" $((64 + 3)) &&
	expect 1 "committed record 0 " "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && flip "$tmp/f" $((64 + committed - 1)) &&
	expect 1 "committed record 19 " "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && put_u64 "$tmp/f" 24 100000 &&
	expect 1 "exceeds the capacity" "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && put_u64 "$tmp/f" 8 2 &&
	expect 1 "version 2" "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && put_u64 "$tmp/f" 16 4096 &&
	expect 1 "capacity 4096" "$pmlog" check "$tmp/f"
cp "$log" "$tmp/f" && truncate -s 32768 "$tmp/f" &&
	expect 1 "file is 32768 bytes" "$pmlog" check "$tmp/f"
expect 1 "20 records committed, at most 19" "$pmlog" check "$log" 19

# --- pmkv: header at 0 (magic, version, nslots, ops), undo log at 64
# (valid, slot, ops; old slot at 128), 32 slots of 128 bytes from 256
kv=$tmp/kv.pool
"$pmkv" run "$kv" 10 || fail "pmkv run failed"
"$pmkv" run "$tmp/kv9.pool" 9 || fail "pmkv run 9 failed"
[ "$(get_u64 "$kv" 24)" = 10 ] || fail "pmkv run 10: ops $(get_u64 "$kv" 24)"
[ "$(get_u64 "$kv" 64)" = 0 ] || fail "pmkv run 10: undo flag left set"
[ "$(get_u64 "$kv" 80)" = 9 ] || fail "pmkv run 10: undo of op $(get_u64 "$kv" 80)"
slot=$(get_u64 "$kv" 72)
[ "$slot" -lt 32 ] || fail "pmkv run 10: undo slot $slot"

expect 0 "complete table" "$pmkv" check "$kv" 10
expect 0 "no file" "$pmkv" check "$tmp/missing.pool"
: >"$tmp/f" && expect 0 "empty file" "$pmkv" check "$tmp/f"
head -c 8192 /dev/zero >"$tmp/f" && expect 0 "zeros" "$pmkv" check "$tmp/f"
cp "$kv" "$tmp/f" && put_u64 "$tmp/f" 0 0 &&
	expect 0 "fields but no magic" "$pmkv" check "$tmp/f"
cp "$kv" "$tmp/f" && flip "$tmp/f" 200 &&
	expect 0 "garbage in an unused undo log" "$pmkv" check "$tmp/f"

# an update interrupted after its in-place write: rolled back to 9 ops, and
# the header and table are then exactly those of a run of 9 operations
for prog in "$pmkv" "${variants[@]}"; do
	case "$(basename "$prog")" in pmkv*) ;; *) continue ;; esac
	cp "$kv" "$tmp/f" && put_u64 "$tmp/f" 64 1
	"$prog" check "$tmp/f" 10 2>"$tmp/err" ||
		fail "$(basename "$prog"): roll-back: $(cat "$tmp/err")"
	[ "$(get_u64 "$tmp/f" 64)" = 0 ] ||
		fail "$(basename "$prog"): roll-back left the undo flag set"
	[ "$(get_u64 "$tmp/f" 24)" = 9 ] ||
		fail "$(basename "$prog"): roll-back left ops $(get_u64 "$tmp/f" 24)"
	cmp -s <(head -c 64 "$tmp/f") <(head -c 64 "$tmp/kv9.pool") ||
		fail "$(basename "$prog"): header after roll-back differs from 9 ops"
	cmp -s <(tail -c +257 "$tmp/f") <(tail -c +257 "$tmp/kv9.pool") ||
		fail "$(basename "$prog"): table after roll-back differs from 9 ops"
	expect 0 "rolled-back table" "$prog" check "$tmp/f" 9
	checks=$((checks + 1))
done
# the flag set before the in-place write (9 operations, the undo log of the
# 10th): copying the old slot back changes nothing
cp "$tmp/kv9.pool" "$tmp/f" &&
	dd if="$kv" of="$tmp/f" bs=64 skip=1 seek=1 count=3 conv=notrunc \
		status=none &&
	put_u64 "$tmp/f" 64 1 &&
	expect 0 "roll-back of an update not yet made" "$pmkv" check "$tmp/f" 9

cp "$kv" "$tmp/f" && put_u64 "$tmp/f" 24 9 &&
	expect 1 "slot $slot differs from the table after 9 operations" \
		"$pmkv" check "$tmp/f"
cp "$kv" "$tmp/f" && put_u64 "$tmp/f" 24 11 &&
	expect 1 "differs from the table after 11 operations" \
		"$pmkv" check "$tmp/f"
expect 1 "10 operations applied, at most 9" "$pmkv" check "$kv" 9
cp "$kv" "$tmp/f" && put_u64 "$tmp/f" 64 1 && flip "$tmp/f" $((128 + 8)) &&
	expect 1 "slot $slot differs from the table after 9 operations" \
		"$pmkv" check "$tmp/f"
cp "$kv" "$tmp/f" && put_u64 "$tmp/f" 64 1 && put_u64 "$tmp/f" 80 8 &&
	expect 1 "differs from the table after 8 operations" \
		"$pmkv" check "$tmp/f"
cp "$kv" "$tmp/f" && put_u64 "$tmp/f" 64 1 && put_u64 "$tmp/f" 72 99 &&
	expect 1 "undo log names slot 99 of 32" "$pmkv" check "$tmp/f"
cp "$kv" "$tmp/f" && put_u64 "$tmp/f" 64 2 &&
	expect 1 "undo flag is 2" "$pmkv" check "$tmp/f"
cp "$kv" "$tmp/f" && flip "$tmp/f" $((256 + slot * 128 + 100)) &&
	expect 1 "slot $slot differs from the table after 10 operations" \
		"$pmkv" check "$tmp/f"
cp "$kv" "$tmp/f" && put_u64 "$tmp/f" 16 16 &&
	expect 1 "16 slots, expected 32" "$pmkv" check "$tmp/f"
cp "$kv" "$tmp/f" && truncate -s 4096 "$tmp/f" &&
	expect 1 "file is 4096 bytes" "$pmkv" check "$tmp/f"

# --- usage errors: exit 2
for prog in "$pmlog" "$pmkv" "${variants[@]}"; do
	for args in "" "check" "frobnicate $tmp/f" "check $tmp/f -1" \
			"check $tmp/f 12x" "check $tmp/f 99999999" "check a b c"; do
		read -r -a argv <<<"$args"
		"$prog" "${argv[@]}" 2>/dev/null
		status=$?
		checks=$((checks + 1))
		[ "$status" -eq 2 ] ||
			fail "$(basename "$prog") $args: exited $status, expected 2"
	done
	"$prog" --help >/dev/null || fail "$(basename "$prog") --help failed"
done

echo "$checks checks run"
[ "$failed" -eq 0 ] && echo "PASS"
exit "$failed"
