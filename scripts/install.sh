#!/bin/sh
# install.sh -- installs libpmem for programs built outside Bazel: the shared
# library libpmem.so.1 with its development link libpmem.so, the header
# libpmem.h, a pkg-config file libpmem.pc and the pmem-info tool.
#
#   bazel run //:install -- --prefix /usr/local
#
# Run through Bazel (the target builds what it installs); run directly, it
# looks for the built files in its runfiles. A relative prefix is taken from
# the directory bazel run was called in. DESTDIR stages the files under it,
# as in "make install": the pkg-config file still names the prefix.
set -eu

usage() {
	cat <<USAGE
usage: bazel run //:install -- [--prefix DIR] [--libdir DIR]
                                [--includedir DIR] [--bindir DIR]
Installs libpmem.so.1, the libpmem.so link, libpmem.h, libpmem.pc and
pmem-info.
  --prefix DIR      where to install (default /usr/local)
  --libdir DIR      the libraries (default PREFIX/lib); libpmem.pc goes to
                    LIBDIR/pkgconfig
  --includedir DIR  the header (default PREFIX/include)
  --bindir DIR      pmem-info (default PREFIX/bin)
  -h, --help        print this help
Environment: DESTDIR, if set, is put in front of every path written to
(staged install); the paths in libpmem.pc stay without it.
Then: PKG_CONFIG_PATH=LIBDIR/pkgconfig cc prog.c \$(pkg-config --cflags --libs libpmem)
USAGE
}

prefix=/usr/local
libdir=
includedir=
bindir=
while [ $# -gt 0 ]; do
	case "$1" in
	--prefix=*) prefix=${1#*=} ;;
	--libdir=*) libdir=${1#*=} ;;
	--includedir=*) includedir=${1#*=} ;;
	--bindir=*) bindir=${1#*=} ;;
	--prefix|--libdir|--includedir|--bindir)
		if [ $# -lt 2 ]; then
			echo "install: $1 needs a directory" >&2
			exit 2
		fi
		case "$1" in
		--prefix) prefix=$2 ;;
		--libdir) libdir=$2 ;;
		--includedir) includedir=$2 ;;
		--bindir) bindir=$2 ;;
		esac
		shift
		;;
	-h|--help) usage; exit 0 ;;
	*) echo "install: unknown argument: $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

# absolute -- a directory as an absolute path, relative ones taken from
# where bazel run was called (internal)
absolute() {
	case "$1" in
	/*) printf '%s\n' "$1" ;;
	"") echo "install: empty directory name" >&2; exit 2 ;;
	*) printf '%s/%s\n' "${BUILD_WORKING_DIRECTORY:-$PWD}" "$1" ;;
	esac
}
prefix=$(absolute "$prefix")
libdir=$(absolute "${libdir:-$prefix/lib}")
includedir=$(absolute "${includedir:-$prefix/include}")
bindir=$(absolute "${bindir:-$prefix/bin}")
pcdir=$libdir/pkgconfig

# the built files: in the current directory under bazel run and bazel test,
# else in this script's runfiles
root=.
if [ ! -f "$root/lib/libpmem.so.1" ]; then
	root=${RUNFILES_DIR:-$0.runfiles}/pmem
fi
for f in lib/libpmem.so.1 lib/include/libpmem.h tools/pmem-info; do
	if [ ! -f "$root/$f" ]; then
		echo "install: $f not found; run: bazel run //:install" >&2
		exit 1
	fi
done

d=${DESTDIR:-}
mkdir -p "$d$libdir" "$d$includedir" "$d$bindir" "$d$pcdir"
# a new file replaces the old one, so that running programs keep theirs
cp -L "$root/lib/libpmem.so.1" "$d$libdir/.libpmem.so.1.new"
chmod 755 "$d$libdir/.libpmem.so.1.new"
mv -f "$d$libdir/.libpmem.so.1.new" "$d$libdir/libpmem.so.1"
ln -sfn libpmem.so.1 "$d$libdir/libpmem.so"
cp -L "$root/lib/include/libpmem.h" "$d$includedir/libpmem.h"
chmod 644 "$d$includedir/libpmem.h"
cp -L "$root/tools/pmem-info" "$d$bindir/.pmem-info.new"
chmod 755 "$d$bindir/.pmem-info.new"
mv -f "$d$bindir/.pmem-info.new" "$d$bindir/pmem-info"

# paths under the prefix are written relative to it, as pkg-config files
# usually are (pkg-config --define-prefix can then relocate them)
pc_libdir=$libdir
pc_includedir=$includedir
case "$libdir" in "$prefix"/*) pc_libdir="\${prefix}${libdir#"$prefix"}" ;; esac
case "$includedir" in
"$prefix"/*) pc_includedir="\${prefix}${includedir#"$prefix"}" ;;
esac

# Version: the PMDK release whose interface and ABI this library provides,
# so that "libpmem >= 1.x" checks written for PMDK pass
cat >"$d$pcdir/libpmem.pc" <<PC
prefix=$prefix
libdir=$pc_libdir
includedir=$pc_includedir

Name: libpmem
Description: Persistent memory support library (PMDK libpmem 1.x interface and ABI)
Version: 1.12.1
Libs: -L\${libdir} -lpmem
Cflags: -I\${includedir}
PC
chmod 644 "$d$pcdir/libpmem.pc"

echo "installed libpmem.so.1, libpmem.so in $d$libdir; libpmem.h in" \
	"$d$includedir; libpmem.pc in $d$pcdir; pmem-info in $d$bindir"
