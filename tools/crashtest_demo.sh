#!/bin/bash
# crashtest_demo.sh -- the main job: pmem-crashtest on an example program
# (examples/pmlog: an append-only log with a commit record) at every
# persistence point, under emulated ADR and eADR, then on a variant whose
# records are flushed but not drained before the commit record is written:
# the correct log passes, the broken one fails under ADR with a command that
# reproduces the failing crash image.
#
#   bazel run //tools:crashtest-demo [-- DIR]
#
# The log file goes to DIR (default: a new folder in /dev/shm, or in /tmp).
# Exit status 0 when both verdicts are as expected.
set -uo pipefail

here=$(dirname "$0")
find_file() {
	for d in "$here/../$2" "$0.runfiles/"*"/$2"; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return; }
	done
	echo "crashtest-demo: cannot find $2/$1 next to $0" >&2
	exit 1
}
ct=$(find_file pmem-crashtest tools)
ex=$(dirname "$(find_file pmlog examples)")

case $# in
0)	base=${TEST_TMPDIR:-/dev/shm}
	[ -w "$base" ] || base=${TMPDIR:-/tmp}
	dir=$(mktemp -d "$base/crashtest-demo.XXXXXX") || exit 1
	trap 'rm -rf "$dir"' EXIT ;;
1)	dir=$1
	if [ -n "${BUILD_WORKING_DIRECTORY:-}" ] && [ "${dir#/}" = "$dir" ]; then
		dir=$BUILD_WORKING_DIRECTORY/$dir
	fi
	mkdir -p "$dir" || exit 1 ;;
*)	echo "usage: crashtest-demo [DIR]" >&2; exit 2 ;;
esac

status=0
run() {
	local want=$1 domain=$2 prog=$3
	echo "\$ pmem-crashtest --domain $domain --check '$prog check {}' -- $prog write $dir/log.pool"
	"$ct" --domain "$domain" --max-failures 3 --check "$ex/$prog check {}" \
		-- "$ex/$prog" write "$dir/log.pool" |
		sed "s|$ex/||g"
	local got=${PIPESTATUS[0]}
	if [ "$got" = "$want" ]; then
		echo "(exit status $got, as expected)"
	else
		echo "(exit status $got, expected $want)"
		status=1
	fi
	echo
}

echo "== a correct append-only log: consistent after a crash at any point"
run 0 adr pmlog
run 0 eadr pmlog
echo "== the same log with no drain between its records and its commit record"
run 1 adr pmlog_no_drain
run 0 eadr pmlog_no_drain
exit $status
