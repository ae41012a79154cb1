#!/bin/sh
# Puts a guest kernel for the DAX VM test in a cache outside the repository
# and prints the cache's directory. Debian's cloud kernel is downloaded and
# unpacked, never installed: only vmlinuz and the NVDIMM, ACPI NFIT and DAX
# modules are kept (a few MB). Quick when the cache is already filled.
#
#   fetch_kernel.sh             the cache directory (see dax_cache_dir below)
#
# PMEM_DAX_FETCH_TIMEOUT bounds each apt step, in seconds (default 120).
#
# Exits 1 with one line on stderr when the kernel cannot be had (no apt, no
# network, package unknown); callers skip then.
set -eu

# dax_cache_dir -- $PMEM_DAX_CACHE, else $XDG_CACHE_HOME/pmem-dax, else
# ~/.cache/pmem-dax of the user (from the password database, because test
# runners often point HOME at a temporary directory)
dax_cache_dir() {
	if [ -n "${PMEM_DAX_CACHE:-}" ]; then
		echo "$PMEM_DAX_CACHE"
		return
	fi
	if [ -n "${XDG_CACHE_HOME:-}" ]; then
		echo "$XDG_CACHE_HOME/pmem-dax"
		return
	fi
	home=$(getent passwd "$(id -u)" | cut -d: -f6)
	[ -n "$home" ] || home=${HOME:-/tmp}
	echo "$home/.cache/pmem-dax"
}

cache=$(dax_cache_dir)
limit=${PMEM_DAX_FETCH_TIMEOUT:-120}
if [ -f "$cache/kernel/vmlinuz" ] && [ -d "$cache/kernel/modules" ]; then
	echo "$cache"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 || {
	echo "fetch_kernel: no apt-get: cannot download Debian's kernel" >&2
	exit 1
}

meta=linux-image-cloud-amd64
# resolve_kernel -- the versioned package the meta package depends on
resolve_kernel() {
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}
pkg=$(resolve_kernel)
if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
	timeout "$limit" apt-get update -q >/dev/null 2>&1 || true
	pkg=$(resolve_kernel)
fi
[ -n "$pkg" ] || {
	echo "fetch_kernel: apt knows no $meta (run apt-get update)" >&2
	exit 1
}

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetch_kernel: downloading $pkg into $cache" >&2
if ! (cd "$work" && timeout "$limit" apt-get download -q "$pkg" \
		>download.log 2>&1); then
	echo "fetch_kernel: apt-get download $pkg failed:" \
		"$(tail -n 1 "$work/download.log")" >&2
	exit 1
fi
dpkg -x "$work"/"$pkg"_*.deb "$work/unpacked"

version=${pkg#linux-image-}
drivers="$work/unpacked/lib/modules/$version/kernel/drivers"
[ -f "$work/unpacked/boot/vmlinuz-$version" ] && [ -d "$drivers/nvdimm" ] || {
	echo "fetch_kernel: $pkg has no vmlinuz or NVDIMM modules" >&2
	exit 1
}
mkdir -p "$work/kernel/modules"
cp "$work/unpacked/boot/vmlinuz-$version" "$work/kernel/vmlinuz"
for d in nvdimm acpi/nfit dax; do
	[ -d "$drivers/$d" ] && cp -r "$drivers/$d" "$work/kernel/modules/"
done
echo "$version" >"$work/kernel/version"

# another run may have filled the cache meanwhile: keep the first one
mv -T "$work/kernel" "$cache/kernel" 2>/dev/null || true
[ -f "$cache/kernel/vmlinuz" ] || {
	echo "fetch_kernel: could not fill $cache/kernel" >&2
	exit 1
}
echo "$cache"
