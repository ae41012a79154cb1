#!/bin/busybox sh
# /init of the DAX VM's initramfs (built by run_vm_test.sh): loads the NVDIMM
# modules, makes namespace0.0 an fsdax namespace (what
# "ndctl create-namespace -f -e namespace0.0 -m fsdax" does, with sysfs
# writes), mounts ext4 -o dax on /dev/pmem0 and runs /dax_guest there.
# A second NVDIMM, if there is one, becomes a device DAX (/dev/dax1.0).
#
# Kernel command line words read here:
#   daxtest=a=b,c=d   arguments for dax_guest (commas become spaces)
#   daxfresh=1        a new, zeroed NVDIMM: convert it and make the fs;
#                     otherwise the fsdax namespace and the fs are reused
#
# The program's output and the closing "DAX-INIT-EXIT <status>" line go to
# the second serial port; the console (first port) gets the kernel's log.
/bin/busybox mkdir -p /proc /sys /dev /tmp /mnt/dax /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp

out=/dev/ttyS1
stty -F $out raw -echo 2>/dev/null
exec >$out 2>&1

# stamp -- says how far init got, with the uptime
stamp() {
	echo "init: $* at $(cut -d' ' -f1 /proc/uptime) s"
}

# finish -- reports the status line and powers off (does not return)
finish() {
	echo "DAX-INIT-EXIT $1"
	sync
	poweroff -f
	sleep 5
}

# fail -- an init step failed: says which, then powers off
fail() {
	echo "init: $*"
	finish 99
}

args=""
fresh=0
for w in $(cat /proc/cmdline); do
	case "$w" in
	daxtest=*) args=$(echo "${w#daxtest=}" | tr , ' ') ;;
	daxfresh=1) fresh=1 ;;
	esac
done

for m in $(cat /modules/order); do
	insmod "/modules/$m.ko" || fail "insmod $m failed"
done
stamp "modules loaded"

# wait_for -- waits up to 30 s for a path to exist
wait_for() {
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -le 600 ] || return 1
		usleep 50000
	done
}

nd=/sys/bus/nd
wait_for $nd/devices/region0 || fail "no NVDIMM region"

# to_pfn_or_dax -- puts namespace $1 of region $2 under a new pfn (fsdax)
# or dax (device DAX) device, $3 = pfn or dax, bound to driver $4
to_pfn_or_dax() {
	wait_for $nd/devices/$1/driver || fail "$1 has no driver"
	echo "$1" >$nd/drivers/nd_pmem/unbind || fail "unbind $1"
	dev=$(cat $nd/devices/$2/${3}_seed)
	[ -n "$dev" ] || fail "$2 has no ${3}_seed"
	cat /proc/sys/kernel/random/uuid >$nd/devices/$dev/uuid ||
		fail "uuid of $dev"
	echo "$1" >$nd/devices/$dev/namespace || fail "namespace of $dev"
	echo pmem >$nd/devices/$dev/mode || fail "mode of $dev"
	echo "$dev" >$nd/drivers/$4/bind || fail "bind $dev to $4"
	echo "init: $1 is now under $dev ($4)"
}

if [ $fresh = 1 ]; then
	to_pfn_or_dax namespace0.0 region0 pfn nd_pmem
	if [ -e $nd/devices/region1 ]; then
		to_pfn_or_dax namespace1.0 region1 dax dax_pmem
	fi
fi
wait_for /dev/pmem0 || fail "no /dev/pmem0"
[ "$(cat /sys/block/pmem0/queue/dax)" = 1 ] || fail "/dev/pmem0 has no DAX"
stamp "/dev/pmem0 ready"
if [ $fresh = 1 ]; then
	# UUIDs given, so that mke2fs does not wait for getrandom(): without
	# RDRAND (qemu64) the kernel's pool takes seconds to be ready
	/e2fs/mke2fs -q -t ext4 -b 4096 -F \
		-U "$(cat /proc/sys/kernel/random/uuid)" \
		-E hash_seed="$(cat /proc/sys/kernel/random/uuid)" \
		/dev/pmem0 || fail "mke2fs"
	stamp "made ext4"
fi
mount -t ext4 -o dax /dev/pmem0 /mnt/dax || fail "mount -o dax"
grep -q ' /mnt/dax .*dax' /proc/mounts || fail "/mnt/dax is not dax"
stamp "mounted"
# a device DAX the program is to map: its node appears asynchronously
for w in $args; do
	case "$w" in
	devdax=*) wait_for "${w#devdax=}" || echo "init: no ${w#devdax=}" ;;
	esac
done

# in a subshell, so that init's own directory does not keep the mount busy
(cd /mnt/dax && /dax_guest $args)
status=$?
stamp "the program ended"
umount /mnt/dax || echo "init: umount failed"
finish $status
