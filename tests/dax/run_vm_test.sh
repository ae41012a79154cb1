#!/bin/bash
# DAX VM test: runs dax_guest on a real fsdax mount (ext4 -o dax on an
# emulated NVDIMM) in QEMU, under three CPU models and persistence domains,
# with a power cut between the first two boots.
#
#   run_vm_test.sh [--sanitizer] DAX_GUEST FETCH_KERNEL_SH GUEST_INIT_SH
#
# --sanitizer: the build is sanitized, so DAX_GUEST is not static: skip.
#
# Skips (exit 0, "SKIPPED: ...") when QEMU, a static busybox, mke2fs or the
# guest kernel cannot be had, or QEMU cannot start; fails when everything is
# there and a check does. QEMU runs under TCG: -cpu max and qemu64 mean the
# same instructions on every host, which KVM would not give.
set -u -o pipefail

if [ "$1" = --sanitizer ]; then
	echo "SKIPPED: sanitized build: the guest program cannot be static"
	exit 0
fi
guest=$(realpath "$1")
fetch_kernel=$(realpath "$2")
guest_init=$(realpath "$3")
work=${TEST_TMPDIR:-$(mktemp -d)}/dax-vm
rm -rf "$work"
mkdir -p "$work"

qemu=${DAX_VM_QEMU:-qemu-system-x86_64}
busybox=/bin/busybox
mke2fs=/sbin/mke2fs
# every boot normally takes 5-10 s; this bounds a hung one
boot_timeout=${DAX_VM_BOOT_TIMEOUT:-90}

skip() {
	echo "SKIPPED: $*"
	exit 0
}

# setup_hint -- how to get what is missing
setup_hint="(scripts/setup.sh installs it)"

command -v $qemu >/dev/null || skip "no $qemu $setup_hint"
[ -x $busybox ] || skip "no $busybox (busybox-static) $setup_hint"
ldd $busybox >/dev/null 2>&1 && skip "$busybox is not statically linked" \
	"(busybox-static) $setup_hint"
[ -x $mke2fs ] || skip "no $mke2fs (e2fsprogs)"

cache=$("$fetch_kernel") || skip "no guest kernel: Debian's cloud kernel" \
	"could not be downloaded (see above)"
kernel=$cache/kernel
echo "guest kernel: $(cat "$kernel/version") from $kernel"

# QEMU must start a machine with an NVDIMM under TCG
if ! out=$(echo quit | timeout 30 $qemu -machine pc,nvdimm=on -accel tcg \
		-nodefaults -display none -S -monitor stdio 2>&1); then
	skip "QEMU cannot run: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
fi

# --- the initramfs: busybox, mke2fs with its libraries, the modules, the
# program, /init
root=$work/root
mkdir -p "$root/bin" "$root/e2fs" "$root/modules"
cp $busybox "$root/bin/busybox"
cp "$guest_init" "$root/init"
chmod 755 "$root/init"
cp "$guest" "$root/dax_guest"
cp $mke2fs "$root/e2fs/mke2fs"
[ -f /etc/mke2fs.conf ] && mkdir -p "$root/etc" &&
	cp /etc/mke2fs.conf "$root/etc/"
for lib in $(ldd $mke2fs | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# the modules, each after those it depends on
order=""
for m in libnvdimm nfit nd_btt nd_pmem dax_pmem device_dax; do
	ko=$(find "$kernel/modules" -name "$m.ko" | head -n 1)
	[ -n "$ko" ] || skip "the cached kernel lacks $m.ko (remove $cache)"
	cp "$ko" "$root/modules/"
	order="$order $m"
done
echo $order | tr ' ' '\n' >"$root/modules/order"
(cd "$root" && find . | $busybox cpio -o -H newc 2>/dev/null) \
	>"$work/initramfs.cpio" || {
	echo "FAIL: could not build the initramfs"
	exit 1
}

failures=0

# boot NAME NVDIMM_FILE CPU PERSISTENCE FRESH GUEST_ARGS [EXTRA_QEMU_ARGS...]
# Runs one VM; its program's output is in $work/NAME.out, the kernel log in
# $work/NAME.console. PERSISTENCE is cpu, mem-ctrl or "" (not given).
boot() {
	local name=$1 nvdimm=$2 cpu=$3 persistence=$4 fresh=$5 gargs=$6
	shift 6
	local machine=pc,nvdimm=on
	[ -n "$persistence" ] && machine=$machine,nvdimm-persistence=$persistence
	local size
	size=$(stat -c %s "$nvdimm")
	local start=$SECONDS
	timeout $boot_timeout $qemu -accel tcg -machine "$machine" -cpu "$cpu" \
		-m 512M,slots=4,maxmem=2G -smp 1 \
		-nodefaults -display none -no-reboot \
		-object memory-backend-file,id=mem0,share=on,mem-path="$nvdimm",size="$size" \
		-device nvdimm,id=nv0,memdev=mem0 \
		"$@" \
		-kernel "$kernel/vmlinuz" -initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 quiet panic=-1 mitigations=off ${DAX_VM_APPEND:-} daxfresh=$fresh daxtest=$gargs" \
		-serial file:"$work/$name.console" -serial file:"$work/$name.out" \
		>"$work/$name.qemu" 2>&1
	local rc=$?
	tr -d '\r' <"$work/$name.out" >"$work/$name.log"
	echo
	echo "=== boot $name: -cpu $cpu, nvdimm-persistence=${persistence:-(not given)}: QEMU exit $rc after $((SECONDS - start)) s"
	cat "$work/$name.log"
	if [ $rc -ne 0 ]; then
		echo "--- QEMU:"
		cat "$work/$name.qemu"
		echo "--- console (last lines):"
		tail -n 30 "$work/$name.console"
	fi
	return $rc
}

# expect NAME PATTERN WHAT -- the boot's output has a line matching PATTERN
expect() {
	if grep -qx -- "$2" "$work/$1.log"; then
		echo "ok   boot $1: $3"
	else
		echo "FAIL boot $1: $3 (no line '$2')"
		failures=$((failures + 1))
	fi
}

MIB=$((1024 * 1024))
nv_a=$work/nvdimm-a
nv_dev=$work/nvdimm-devdax
truncate -s $((128 * MIB)) "$nv_a"
truncate -s $((64 * MIB)) "$nv_dev"
common=dir=/mnt/dax,nondax=/tmp

# QEMU 7.2's TCG: -cpu max has AVX and AVX2 but no AVX-512, qemu64 neither.
# 1. CLWB, eADR; a device DAX on a second NVDIMM; ends with the power cut
boot a "$nv_a" max cpu 1 \
	$common,flush=clwb,engine=avx,auto_flush=1,domain=cpu_cache,devdax=/dev/dax1.0,crash=write \
	-object memory-backend-file,id=mem1,share=on,mem-path="$nv_dev",size=$((64 * MIB)) \
	-device nvdimm,id=nv1,memdev=mem1
expect a "dax_guest: 0 failures" "every check passed"
expect a "crash: record persisted, cutting the power" "power cut"
if grep -qa pmem-dax-crash-record-v1 "$nv_a"; then
	echo "ok   host: the NVDIMM's backing file holds the record"
else
	echo "FAIL host: the record is not in the NVDIMM's backing file"
	failures=$((failures + 1))
fi

# 2. the same NVDIMM again (journal replay): the record; CLFLUSHOPT, ADR
boot b "$nv_a" max,-clwb mem-ctrl 0 \
	$common,flush=clflushopt,engine=avx,auto_flush=0,domain=memory_controller,crash=verify
expect b "dax_guest: 0 failures" "every check passed"
expect b "DAX-INIT-EXIT 0" "exit status 0"

# 3. CLFLUSH only, no persistence attribute (a region without it is not eADR)
nv_c=$work/nvdimm-c
truncate -s $((128 * MIB)) "$nv_c"
boot c "$nv_c" qemu64 "" 1 \
	$common,flush=clflush,engine=sse2,auto_flush=0,domain=absent
expect c "dax_guest: 0 failures" "every check passed"
expect c "DAX-INIT-EXIT 0" "exit status 0"

echo
if [ $failures -ne 0 ]; then
	echo "dax_vm_test: $failures failed"
	exit 1
fi
echo "dax_vm_test: all passed"
