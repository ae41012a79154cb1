# pmdk_util.sh -- what the tests of PMDK's libraries and tools share: running
# a program on our libpmem.so.1 or on PMDK's, with proof of which one the
# dynamic loader chose. Sourced by the *_test.sh scripts of this folder.
#
# The scripts take: [--sanitizer] OUR_LIBRARY PMDK_DIR WHERE [ARGS...]
# WHERE is "shm" (a fresh directory in /dev/shm, tmpfs, with
# PMEM_IS_PMEM_FORCE=1, removed at exit) or "file" (regular files in
# $TEST_TMPDIR, PMEM_IS_PMEM_FORCE unset: the libraries see no pmem).

export LC_ALL=C
failed=0

# fail -- records a failure and says why
fail() {
	echo "FAIL: $*"
	failed=1
}

# skip -- ends the test successfully, saying what could not run
skip() {
	echo "SKIP: $*"
	exit 0
}

# pmdk_setup -- parses the common arguments; leaves the others in ARGS
pmdk_setup() {
	sanitizer=0
	if [ "${1:-}" = "--sanitizer" ]; then
		sanitizer=1
		shift
	fi
	our_lib=$(realpath "$1")
	our_dir=$(dirname "$(realpath -s "$1")")
	pmdk_dir=$2
	where=$3
	shift 3
	ARGS=("$@")

	pmdk_lib=""
	if [ -e "$pmdk_dir/libpmem.so.1" ]; then
		pmdk_lib=$(realpath "$pmdk_dir/libpmem.so.1")
		[ "$pmdk_lib" != "$our_lib" ] ||
			fail "PMDK's library is ours: $pmdk_lib"
	else
		echo "NOTE: no PMDK libpmem.so.1 in $pmdk_dir (Debian package" \
			"libpmem1): running on our library only"
	fi

	# A sanitized libpmem.so.1 needs its runtimes loaded first in a
	# program that was not built with them (PMDK's tools).
	preload=""
	if [ "$sanitizer" -eq 1 ]; then
		preload=$(ldd "$our_lib" | awk '$1 ~ /^lib(asan|ubsan|tsan)\.so/ {
			printf "%s%s", sep, $3; sep = " " }')
	fi

	logs=${TEST_TMPDIR:-$(mktemp -d)}/logs
	rm -rf "$logs"
	mkdir -p "$logs"
	case "$where" in
	shm)
		work=$(mktemp -d /dev/shm/pmdk-clients.XXXXXX) ||
			skip "cannot create a directory in /dev/shm"
		trap 'rm -rf "$work"' EXIT
		export PMEM_IS_PMEM_FORCE=1
		;;
	file)
		work=${TEST_TMPDIR:-$(mktemp -d)}/work
		rm -rf "$work"
		mkdir -p "$work"
		unset PMEM_IS_PMEM_FORCE
		;;
	*)
		echo "WHERE must be shm or file, not '$where'" >&2
		exit 2
		;;
	esac
	echo "on $where: $work, PMEM_IS_PMEM_FORCE=${PMEM_IS_PMEM_FORCE:-unset}"
	libs="ours"
	[ -n "$pmdk_lib" ] && libs="pmdk ours"
}

# on LIB NAME [--foreign] COMMAND...: runs COMMAND with LIB's libpmem.so.1
# (LIB: ours or pmdk) first on the library path, stdout in $logs/run.NAME.out,
# stderr in $logs/run.NAME.err; returns COMMAND's status. --foreign: a program
# not built here (PMDK's tools), which needs the sanitizer runtimes preloaded
# under a sanitized build, and whose leaks are not ours. The loader's trace
# (LD_DEBUG=libs) must show that the libpmem.so.1 initialised in the process
# (and in any it forked) was LIB's and no other.
on() {
	local lib=$1 name=$2
	shift 2
	local foreign=0
	if [ "$1" = "--foreign" ]; then
		foreign=1
		shift
	fi
	local dir expected
	if [ "$lib" = "ours" ]; then
		dir=$our_dir
		expected=$our_lib
	else
		dir=$pmdk_dir
		expected=$pmdk_lib
	fi
	local extra=()
	if [ "$lib" = "ours" ] && [ "$foreign" -eq 1 ] && [ -n "$preload" ]; then
		# fio's own semaphores race when a job runs as a thread
		# (pmemblk): ThreadSanitizer is told about that one race only
		echo "race:fio_sem_remove" >"$logs/tsan.supp"
		extra=(LD_PRELOAD="$preload"
			ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
			TSAN_OPTIONS="${TSAN_OPTIONS:-}:suppressions=$logs/tsan.supp")
	fi
	local log=$logs/run.$name
	rm -f "$log".ld.*
	env "${extra[@]}" LD_DEBUG=libs LD_DEBUG_OUTPUT="$log.ld" \
		LD_LIBRARY_PATH="$dir" "$@" >"$log.out" 2>"$log.err"
	local status=$?
	local loaded
	loaded=$(cat "$log".ld.* 2>/dev/null |
		sed -n 's/.*calling init: \(.*\/libpmem\.so\.1\)$/\1/p' | sort -u)
	if [ -z "$loaded" ]; then
		fail "$name: no libpmem.so.1 was loaded"
	else
		local l
		while read -r l; do
			[ "$(realpath "$l")" = "$expected" ] ||
				fail "$name: loaded $l, expected $expected"
		done <<<"$loaded"
	fi
	return "$status"
}

# label LIB: how the transcripts name LIB
label() {
	if [ "$1" = "ours" ]; then
		echo "ours"
	else
		echo "PMDK's"
	fi
}

# same NAME: the transcripts $logs/pmdk.NAME and $logs/ours.NAME are equal
same() {
	[ -n "$pmdk_lib" ] || return 0
	if diff -u "$logs/pmdk.$1" "$logs/ours.$1"; then
		echo "$1: same results on PMDK's and ours" \
			"($(wc -l <"$logs/ours.$1") lines)"
	else
		fail "$1: results differ (- PMDK, + ours)"
	fi
}

# finish -- shows our transcripts, ends the test
finish() {
	echo "--- on our library:"
	cat "$logs"/ours.*
	[ "$failed" -eq 0 ] && echo "PASS"
	exit "$failed"
}
