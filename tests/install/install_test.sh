#!/bin/bash
# install_test.sh -- the install step puts the library, its link, the header
# and libpmem.pc under a temporary prefix; a client built there with plain
# cc $(pkg-config --cflags --libs libpmem), as Make or CMake projects build,
# runs on the installed library. A staged install (DESTDIR) and bad
# arguments are checked too.
#
# usage: install_test.sh [--cflags=FLAGS] INSTALL CLIENT_SOURCE
# FLAGS (such as -fsanitize=address) are added to the client's cc lines,
# for a sanitized build of the library.
set -u -o pipefail
export LC_ALL=C

extra=
case "${1:-}" in --cflags=*) extra=${1#*=}; shift ;; esac
install=$1
client_src=$2
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

for tool in cc pkg-config; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool is missing (scripts/setup.sh installs it)"
		exit 1
	fi
done

prefix="$tmp/prefix with space"
"$install" --prefix "$prefix" >"$tmp/install.out" 2>&1 ||
	{ cat "$tmp/install.out"; fail "install --prefix exited $?"; }

lib=$prefix/lib
[ -f "$lib/libpmem.so.1" ] && [ ! -L "$lib/libpmem.so.1" ] ||
	fail "$lib/libpmem.so.1 is not a regular file"
[ -x "$lib/libpmem.so.1" ] || fail "libpmem.so.1 is not executable"
[ "$(readlink "$lib/libpmem.so")" = libpmem.so.1 ] ||
	fail "libpmem.so is not a link to libpmem.so.1"
readelf --wide --dynamic "$lib/libpmem.so.1" |
	grep -q '(SONAME).*\[libpmem\.so\.1\]' || fail "wrong SONAME"
# (the test runs in its runfiles, which hold the installer's)
cmp -s "$prefix/include/libpmem.h" lib/include/libpmem.h ||
	fail "include/libpmem.h is not the library's header"
[ -x "$prefix/bin/pmem-info" ] || fail "bin/pmem-info missing"

# pkg-config finds the library through the prefix's pkgconfig directory only
export PKG_CONFIG_PATH=$lib/pkgconfig
export PKG_CONFIG_LIBDIR=$lib/pkgconfig
version=$(pkg-config --modversion libpmem) || fail "pkg-config: no libpmem"
[ "$version" = 1.12.1 ] || fail "version '$version', expected 1.12.1"
pkg-config --atleast-version=1.4 libpmem || fail "not >= 1.4"
cflags=$(pkg-config --cflags libpmem | sed "s/ *$//")
libs=$(pkg-config --libs libpmem | sed "s/ *$//")
[ "$cflags" = "-I$prefix/include" ] || fail "cflags '$cflags'"
[ "$libs" = "-L$lib -lpmem" ] || fail "libs '$libs'"

# the client: plain cc, flags from pkg-config (the prefix has a space, so the
# flags are passed as two words each here, as a Makefile would quote them)
# shellcheck disable=SC2086
cc $extra -std=gnu11 -Wall -Wextra -Werror -o "$tmp/client" "$client_src" \
	"-I$prefix/include" "-L$lib" -lpmem 2>&1 || fail "cc failed"
readelf --wide --dynamic "$tmp/client" |
	grep -q '(NEEDED).*\[libpmem\.so\.1\]' ||
	fail "the client does not need libpmem.so.1"

out=$(LD_LIBRARY_PATH=$lib PMEM_IS_PMEM_FORCE=1 "$tmp/client" \
	"$tmp/client.pool") || fail "client exited $?: $out"
loaded=$(sed -n 's/^library //p' <<<"$out")
[ "$(realpath "$loaded")" = "$(realpath "$lib/libpmem.so.1")" ] ||
	fail "client ran on '$loaded', not the installed library"
grep -qx 'record intact' <<<"$out" || fail "client: $out"
grep -qx 'is_pmem 1' <<<"$out" || fail "PMEM_IS_PMEM_FORCE=1 not seen: $out"

# the same command line a Makefile would have, word-split by the shell, in
# a prefix without spaces
plain=$tmp/plain
"$install" --prefix "$plain" >/dev/null 2>&1 || fail "install --prefix plain"
# shellcheck disable=SC2046
cc $extra -o "$tmp/client2" "$client_src" $(PKG_CONFIG_PATH=$plain/lib/pkgconfig \
	PKG_CONFIG_LIBDIR=$plain/lib/pkgconfig pkg-config --cflags --libs \
	libpmem) || fail "cc \$(pkg-config --cflags --libs libpmem) failed"
out=$(LD_LIBRARY_PATH=$plain/lib "$tmp/client2" "$tmp/client2.pool") ||
	fail "client2 exited $?: $out"
grep -q "^library $plain/lib/libpmem.so.1\$" <<<"$out" ||
	fail "client2 ran on the wrong library: $out"

# a staged install: files under DESTDIR, libpmem.pc naming the prefix
DESTDIR=$tmp/stage "$install" --prefix /opt/pmem >/dev/null 2>&1 ||
	fail "DESTDIR install"
[ -f "$tmp/stage/opt/pmem/lib/libpmem.so.1" ] || fail "DESTDIR: no library"
grep -qx 'prefix=/opt/pmem' "$tmp/stage/opt/pmem/lib/pkgconfig/libpmem.pc" ||
	fail "DESTDIR: libpmem.pc does not name /opt/pmem"

# bad arguments: status 2 and nothing installed
"$install" --prefix >/dev/null 2>&1
[ $? -eq 2 ] || fail "--prefix without a directory: not status 2"
"$install" --bogus --prefix "$tmp/none" >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown argument: not status 2"
[ ! -e "$tmp/none" ] || fail "a refused install wrote files"
"$install" --help | grep -q -- '--prefix DIR' || fail "--help"

if [ "$failed" -ne 0 ]; then
	echo "install_test: FAILED"
	exit 1
fi
echo "install_test: passed"
