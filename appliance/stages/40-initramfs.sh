#!/bin/sh
# Stage 40: the initramfs: the rootfs tree as a newc cpio, zstd-compressed,
# byte-for-byte reproducible (sorted names, fixed owners and times).
#   in:  OUT/rootfs/
#   out: OUT/initramfs/initramfs.img
set -eu
STAGE=initramfs
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/appliance/lib.sh"

stage_args "$@"
if [ "$list_only" = 1 ]; then
	echo "initramfs.img"
	exit 0
fi
sde=$(epoch "$top")

begin_output "$out/initramfs"
# Times and owners are set on a copy: the rootfs stage's output stays as it is.
tree="$out/initramfs.tmp/tree"
cp -a "$out/rootfs" "$tree"
find "$tree" -exec touch -h -d "@$sde" {} +
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --reproducible --renumber-inodes --owner=0:0 --quiet) |
	zstd -q -19 -T2 >"$out/initramfs.tmp/initramfs.img"
rm -rf "$tree"
finish_output "$out/initramfs"
msg "initramfs $(du -h "$out/initramfs/initramfs.img" | cut -f1)"
