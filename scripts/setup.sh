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
set -eu

PACKAGES="bazel-bootstrap bazel-rules-cc bazel-rules-java gcc g++ libc6-dev \
binutils liburing-dev libcmocka-dev libpmem1 pkg-config"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "setup: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
