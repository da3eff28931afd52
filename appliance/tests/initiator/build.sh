#!/bin/sh
# Builds the test initiator VM's initramfs from the appliance's kernel and
# busybox and mdadm plus the host's open-iscsi (iscsid, iscsiadm,
# iscsistart) and mke2fs (dynamic:
# their libraries come along, found with ldd). Test tooling only, not part
# of the image.
#   in:  OUT/kernel, OUT/rootfs/bin/busybox, OUT/mdadm, /usr/sbin/iscsi*,
#        /sbin/mke2fs
#   out: OUT/initiator/initramfs.img
set -eu
STAGE=initiator
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/appliance/lib.sh"
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
mkdir -p "$1" && out=$(cd "$1" && pwd)
here="$top/appliance/tests/initiator"
release=$(cat "$out/kernel/RELEASE")

begin_output "$out/initiator"
tree="$out/initiator.tmp/tree"
mkdir -p "$tree/bin" "$tree/sbin" "$tree/usr/bin" "$tree/usr/sbin" "$tree/etc" \
	"$tree/proc" "$tree/sys" "$tree/dev"
cp "$out/rootfs/bin/busybox" "$tree/bin/busybox"
busybox_links "$tree"
for prog in /usr/sbin/iscsistart /usr/sbin/iscsid /usr/sbin/iscsiadm \
	/sbin/mke2fs; do
	rm -f "$tree/sbin/${prog##*/}"
	cp "$prog" "$tree/sbin/"
	ldd "$prog" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
		while read -r lib; do
			mkdir -p "$tree$(dirname "$lib")"
			cp -L "$lib" "$tree$lib"
		done
done
ln -sf mke2fs "$tree/sbin/mkfs.ext4"
# The appliance's own static mdadm, for a mirror across two targets.
rm -f "$tree/sbin/mdadm"
cp "$out/mdadm/mdadm" "$tree/sbin/mdadm"
cp /etc/mke2fs.conf "$tree/etc/"
kos=$(module_closure "$out/kernel" "$release" virtio_pci virtio_net sd_mod \
	iscsi_tcp md-mod raid1 crc32c_generic ext4)
install_modules "$out/kernel" "$release" "$tree" "$kos"
install -m 755 "$here/init" "$tree/init"
install -m 755 "$here/udhcpc.script" "$tree/etc/udhcpc.script"
mkdir -p "$tree/etc/iscsi" "$tree/var/lib/iscsi" "$tree/run/lock"
install -m 644 "$here/iscsid.conf" "$tree/etc/iscsi/iscsid.conf"
# iscsid serves only root, looked up by name (glibc's files NSS).
echo "root:x:0:0:root:/root:/bin/sh" >"$tree/etc/passwd"
echo "root:x:0:" >"$tree/etc/group"
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --owner=0:0 --quiet) | gzip -1 >"$out/initiator.tmp/initramfs.img"
rm -rf "$tree"
finish_output "$out/initiator"
msg "initiator initramfs $(du -h "$out/initiator/initramfs.img" | cut -f1)"
