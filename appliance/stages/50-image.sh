#!/bin/sh
# Stage 50: the bootable disk image, written without loop devices: an MBR
# with one bootable FAT32 partition (label MINISAN) at 1 MiB holding the
# kernel, the initramfs and the default configuration; syslinux boots it
# under BIOS, GRUB (EFI/BOOT/BOOTX64.EFI) under UEFI. The same
# bytes go on a USB stick (dd) or to QEMU.
#   in:  OUT/kernel/vmlinuz, OUT/initramfs/initramfs.img, configs/cmdline,
#        configs/{minisand.conf,appliance.conf}
#   out: OUT/image/minisan.img (+ SHA256SUMS)
set -eu
STAGE=image
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/appliance/lib.sh"

IMAGE_MIB=64
PART_START=2048

stage_args "$@"
if [ "$list_only" = 1 ]; then
	printf '%s\n' /vmlinuz /initrd.img /syslinux.cfg /ldlinux.sys \
		/ldlinux.c32 /EFI/BOOT/BOOTX64.EFI /minisan.conf /appliance.conf
	exit 0
fi
sde=$(epoch "$top")
export SOURCE_DATE_EPOCH="$sde"
cmdline=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/configs/cmdline")

begin_output "$out/image"
tmp="$out/image.tmp"
img="$tmp/minisan.img"

cat >"$tmp/syslinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT minisan
PROMPT 0
TIMEOUT 0
LABEL minisan
	KERNEL /vmlinuz
	INITRD /initrd.img
	APPEND $cmdline
CFG
# GRUB's configuration is built into its core image, with only the modules
# it needs (grub-mkstandalone would add a tar of every module, stamped with
# the time of the build).
cat >"$tmp/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
search --no-floppy --label MINISAN --set=root
linux /vmlinuz $cmdline
initrd /initrd.img
boot
CFG
grub-mkimage -O x86_64-efi -p /EFI/BOOT -c "$tmp/grub.cfg" \
	-o "$tmp/BOOTX64.EFI" part_msdos fat search search_label linux serial \
	terminal normal boot all_video

truncate -s "${IMAGE_MIB}M" "$img"
# A fixed disk identifier ("mini"): sfdisk would pick a random one.
printf 'label: dos\nlabel-id: 0x6d696e69\nstart=%s, type=c, bootable\n' \
	"$PART_START" | sfdisk -q "$img"
sectors=$(((IMAGE_MIB * 1024 * 1024) / 512 - PART_START))
# --invariant: fixed volume id and times, so the image is reproducible.
mkfs.vfat -F 32 -n MINISAN --invariant --offset=$PART_START -h $PART_START \
	"$img" $((sectors / 2)) >/dev/null
fat="$img@@$((PART_START * 512))"
cp "$out/kernel/vmlinuz" "$tmp/vmlinuz"
cp "$out/initramfs/initramfs.img" "$tmp/initrd.img"
cp "$top/configs/minisand.conf" "$tmp/minisan.conf"
cp "$top/configs/appliance.conf" "$tmp/appliance.conf"
for f in vmlinuz initrd.img syslinux.cfg minisan.conf appliance.conf BOOTX64.EFI; do
	touch -d "@$sde" "$tmp/$f"
done
export MTOOLS_SKIP_CHECK=1
mmd -i "$fat" ::/EFI ::/EFI/BOOT
mcopy -m -i "$fat" "$tmp/vmlinuz" "$tmp/initrd.img" "$tmp/syslinux.cfg" \
	"$tmp/minisan.conf" "$tmp/appliance.conf" ::/
mcopy -m -i "$fat" "$tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
syslinux --offset $((PART_START * 512)) --install "$img"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$img" bs=440 count=1 conv=notrunc \
	status=none
rm -f "$tmp/vmlinuz" "$tmp/initrd.img" "$tmp/syslinux.cfg" "$tmp/grub.cfg" \
	"$tmp/minisan.conf" "$tmp/appliance.conf" "$tmp/BOOTX64.EFI"
(cd "$tmp" && sha256sum minisan.img >SHA256SUMS)
finish_output "$out/image"
msg "$out/image/minisan.img: $(du -h --apparent-size "$out/image/minisan.img" | cut -f1), sha256 $(cut -c1-16 "$out/image/SHA256SUMS")..."
