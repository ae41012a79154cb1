#!/bin/bash
# bazel_consumer_test.sh -- another Bazel workspace can depend on this one:
# tests/consumer/ (a workspace of its own, with local_repository(name =
# "pmem", path = "../..") and pmem_dependencies()) is built and tested by a
# nested Bazel, offline, and its program, linked against @pmem//:pmem, runs.
#
# The nested Bazel runs in batch mode (no server left behind) with its own
# output root and home under TEST_TMPDIR, a clean environment and local
# spawns (no sandbox inside the test). It reads the consumer workspace in
# place, so this test runs unsandboxed (tags) and finds the source tree
# through its own script's real path.
set -u -o pipefail
export LC_ALL=C

tmp=${TEST_TMPDIR:-$(mktemp -d)}
self=$(readlink -f "$0")
root=$(dirname "$(dirname "$(dirname "$self")")")
consumer=$root/tests/consumer
if [ ! -f "$consumer/WORKSPACE" ] || [ ! -f "$root/WORKSPACE" ]; then
	echo "FAIL: source tree not found from $self (run unsandboxed)"
	exit 1
fi
bazel=$(command -v bazel) || { echo "FAIL: bazel not found"; exit 1; }

nested() {
	(cd "$consumer" && env -i HOME="$tmp/home" PATH=/usr/bin:/bin \
		"$bazel" --batch --output_user_root="$tmp/output_root" "$@")
}
mkdir -p "$tmp/home"
# build the program and run the workspace's test; no convenience links
# ("/"), so that nothing is written into the source tree
if ! nested test --jobs=2 --spawn_strategy=local \
		--symlink_prefix=/ --test_output=errors \
		//:hello //:hello_test >"$tmp/bazel.log" 2>&1; then
	tail -40 "$tmp/bazel.log"
	echo "FAIL: the consumer workspace did not build or its test failed"
	exit 1
fi
grep -q '//:hello_test .*PASSED' "$tmp/bazel.log" || {
	tail -20 "$tmp/bazel.log"
	echo "FAIL: hello_test did not pass"
	exit 1
}
hello=$(echo "$tmp"/output_root/*/execroot/pmem_consumer/bazel-out/*/bin/hello)
[ -x "$hello" ] || { echo "FAIL: no $hello"; exit 1; }
for link in "$consumer"/bazel-*; do
	[ -e "$link" ] || [ -L "$link" ] || continue
	echo "FAIL: the nested build left $link in the source tree"
	exit 1
done

# the program holds the library (static): no libpmem.so.1 needed
if readelf --wide --dynamic "$hello" | grep -q 'NEEDED.*libpmem'; then
	echo "FAIL: hello needs a shared libpmem"
	exit 1
fi
out=$(PMEM_IS_PMEM_FORCE=1 "$hello" "$tmp/hello.pool") || {
	echo "FAIL: hello exited $?: $out"
	exit 1
}
[ "$out" = "$tmp/hello.pool (is_pmem 1): hello, persistent memory" ] || {
	echo "FAIL: hello printed: $out"
	exit 1
}
echo "bazel_consumer_test: passed"
