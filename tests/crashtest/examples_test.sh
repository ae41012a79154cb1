#!/bin/bash
# examples_test.sh -- pmem-crashtest on the example programs: the correct
# ones pass at every persistence point in both domains, each broken variant
# fails exactly in the domains where its bug is a bug, and every failure
# comes with a command that reproduces it.
#
# usage: examples_test.sh CRASHTEST PMLOG CASE...  (PMLOG: //examples:pmlog,
# whose directory holds the other examples)
#
# A CASE is "PROGRAM:DOMAIN:STATUS[:OPTION...]" (options comma-separated),
# e.g. "pmlog_no_drain:adr:1" or "pmkv:adr:0:--tear,--nested=3". pmkv*
# programs are run as "PROGRAM run FILE", the others as "PROGRAM write FILE";
# the check is "PROGRAM check {}" (each check on a copy of the image), or
# with the option "serial", "PROGRAM check FILE" (on the file itself).
set -u -o pipefail
export LC_ALL=C

crashtest=$1
dir=$(dirname "$2")
shift 2
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

for case in "$@"; do
	IFS=: read -r prog domain want opts <<<"$case"
	file=$tmp/$prog.$domain.pool
	verb=write
	case $prog in pmkv*) verb=run ;; esac
	check="$dir/$prog check {}"
	extra=()
	IFS=, read -r -a list <<<"${opts:-}"
	for o in "${list[@]}"; do
		case $o in
		serial) check="$dir/$prog check $file" ;;
		*) extra+=("$o") ;;
		esac
	done
	out=$("$crashtest" --quiet --domain "$domain" "${extra[@]}" \
		--check "$check" -- "$dir/$prog" "$verb" "$file" 2>&1)
	status=$?
	echo "== $case: status $status"
	echo "$out" | sed -n '2,6p'
	if [ "$status" != "$want" ]; then
		fail "$case: status $status, wanted $want"
		echo "$out" | head -20
		continue
	fi
	grep -q "^  points: .* tested of " <<<"$out" ||
		fail "$case: no points line"
	if [ "$want" = 0 ]; then
		grep -q "^  failures: 0$" <<<"$out" || fail "$case: failures"
		grep -q "^FAIL" <<<"$out" && fail "$case: a FAIL line"
		continue
	fi
	# a failure: its line, and a reproducer that fails the same way
	first=$(grep -m1 "^FAIL point" <<<"$out")
	repro=$(grep -m1 "^  repro: " <<<"$out" | sed 's/^  repro: //')
	[ -n "$first" ] && [ -n "$repro" ] ||
		{ fail "$case: no FAIL or repro line"; continue; }
	case $repro in
	"pmem-crashtest "*) ;;
	*) fail "$case: repro does not start with the tool: $repro"; continue ;;
	esac
	again=$(eval "\"\$crashtest\" --quiet ${repro#pmem-crashtest }" 2>&1)
	s2=$?
	[ "$s2" = 1 ] || fail "$case: repro exited $s2: $again"
	grep -q "^  images:   1 checked" <<<"$again" ||
		fail "$case: repro checked more than the one image: $again"
	# the same point and image (the check's message may name its copy)
	grep -qF "${first%%: *}: " <<<"$again" ||
		fail "$case: repro failed otherwise: wanted '$first', got: $again"
done

exit $failed
