#!/bin/sh
# Installs the Debian packages this project builds and tests with, if any is
# missing (quick when all are present). Needs root on a fresh Debian 12.
#
#   bazel-bootstrap, bazel-rules-cc, bazel-rules-java: the offline Bazel build
#   gcc, g++, libc6-dev, binutils: compilers (g++ for the C++ header test),
#             headers, readelf for the ABI test
#   liburing-dev, libcmocka-dev: the emulation backend and the tests
#   pkg-config: the test that builds a client from the installed library
#   libpmem1: PMDK's libpmem, the reference that comparison tests and the
#             benchmark load at run time (never linked into our build)
#   qemu-system-x86, busybox-static: the VM of the real-DAX test
#             (tests/dax), whose guest kernel is downloaded, not installed,
#             into a cache outside the repository (tests/dax/fetch_kernel.sh)
#   libpmemobj-dev, pmdk-tools, fio: PMDK's own clients of libpmem.so.1
#             (libpmemobj, pmempool with libpmemlog/blk/pool, fio's libpmem
#             engine), run on our library by tests/pmdk and fio-pmem-bench
set -eu

# fetch_dax_kernel -- fills the DAX test's kernel cache (quick when full);
# a failure only makes that test skip, so it does not fail the setup
fetch_dax_kernel() {
	"$(dirname "$0")/../tests/dax/fetch_kernel.sh" >/dev/null ||
		echo "setup: no guest kernel: the DAX VM test will skip" >&2
}

PACKAGES="bazel-bootstrap bazel-rules-cc bazel-rules-java gcc g++ libc6-dev \
binutils liburing-dev libcmocka-dev libpmem1 pkg-config qemu-system-x86 \
busybox-static libpmemobj-dev pmdk-tools fio"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	fetch_dax_kernel
	exit 0
fi

echo "setup: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fetch_dax_kernel
