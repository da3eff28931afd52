#!/bin/sh
# Boots the appliance image in QEMU (TCG: KVM does not work on our build
# machines) the way a server boots the USB stick: the image as a USB disk,
# data disks on virtio, iSCSI forwarded to a host port.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
STAGE=run-vm
. "$top/appliance/lib.sh"
# shellcheck disable=SC1091
. "$top/configs/qemu.conf"

usage() {
	cat >&2 <<USAGE
usage: $0 [options] VMDIR
  --image FILE       appliance image (default: out/image/minisan.img)
  --uefi | --bios    firmware (default: $QEMU_FIRMWARE)
  --port N           host port forwarded to iSCSI 3260 (default: $QEMU_HOST_PORT)
  --disks N          data disks VMDIR/diskN.img (default: $QEMU_DISKS)
  --disk-size SIZE   size of newly created disks (default: $QEMU_DISK_SIZE)
  --skip-disk N      leave data disk N out (a failed or pulled disk)
  --serial SPEC      QEMU -serial (default: mon:stdio, the terminal)
  --net SPEC         extra -netdev for a second NIC (e.g. socket,...)
  --forward H:G      also forward host port H to guest TCP port G (repeatable;
                     e.g. 3205, the iSNS server)
VMDIR keeps the disks and boot.img, the appliance's own copy of the image:
its FAT partition holds the saved configuration, which survives a rebuilt
image (the configuration files are carried over).
USAGE
	exit 2
}

image="$top/out/image/minisan.img"
firmware=$QEMU_FIRMWARE port=$QEMU_HOST_PORT disks=$QEMU_DISKS
size=$QEMU_DISK_SIZE serial=mon:stdio skip="" net2="" fwd=""
while [ $# -gt 1 ]; do
	case "$1" in
	--image) image=$2; shift 2 ;;
	--uefi) firmware=uefi; shift ;;
	--bios) firmware=bios; shift ;;
	--port) port=$2; shift 2 ;;
	--disks) disks=$2; shift 2 ;;
	--disk-size) size=$2; shift 2 ;;
	--skip-disk) skip="$skip $2"; shift 2 ;;
	--serial) serial=$2; shift 2 ;;
	--net) net2=$2; shift 2 ;;
	--forward)
		case "$2" in
		*[!0-9:]* | :* | *: | *:*:* | [!:]) usage ;;
		*:*) fwd="$fwd,hostfwd=tcp:$QEMU_HOST_ADDR:${2%%:*}-:${2#*:}" ;;
		*) usage ;;
		esac
		shift 2
		;;
	*) usage ;;
	esac
done
[ $# -eq 1 ] || usage
vmdir=$1
mkdir -p "$vmdir"
[ -f "$image" ] || die "$image: no image; run make image"

# boot.img: a fresh copy when the image is newer, with the saved
# configuration of the old copy put back.
boot="$vmdir/boot.img"
# shellcheck disable=SC3013 # -nt: in every sh this runs under (dash, busybox)
if [ ! -f "$boot" ] || [ "$image" -nt "$boot" ]; then
	saved="$vmdir/saved-config"
	rm -rf "$saved"
	if [ -f "$boot" ]; then
		mkdir -p "$saved"
		MTOOLS_SKIP_CHECK=1 mcopy -n -s -i "$boot@@1M" ::/minisan.conf \
			::/appliance.conf ::/state "$saved/" 2>/dev/null || true
	fi
	cp "$image" "$boot.tmp"
	if [ -d "$saved" ]; then
		for f in "$saved"/*; do
			[ -e "$f" ] || continue
			MTOOLS_SKIP_CHECK=1 mcopy -o -s -i "$boot.tmp@@1M" "$f" ::/
		done
		msg "new image; kept the saved configuration"
	fi
	mv "$boot.tmp" "$boot"
	rm -rf "$saved"
fi

set -- -accel tcg -cpu max -smp "$QEMU_CPUS" -m "$QEMU_MEMORY" \
	-display none -serial "$serial" \
	-drive "if=none,id=boot,file=$boot,format=raw" \
	-device qemu-xhci -device usb-storage,drive=boot,removable=on,bootindex=0 \
	-netdev "user,id=net0,hostfwd=tcp:$QEMU_HOST_ADDR:$port-:3260$fwd" \
	-device virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01
if [ "$firmware" = uefi ]; then
	[ -f "$vmdir/OVMF_VARS.fd" ] ||
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$vmdir/OVMF_VARS.fd"
	set -- "$@" \
		-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
		-drive "if=pflash,format=raw,file=$vmdir/OVMF_VARS.fd"
fi
i=1
while [ $i -le "$disks" ]; do
	disk="$vmdir/disk$i.img"
	[ -f "$disk" ] || truncate -s "$size" "$disk"
	case " $skip " in
	*" $i "*) ;;
	*)
		# serial=diskN: the appliance reports disks by serial number.
		set -- "$@" -drive "if=none,id=d$i,file=$disk,format=raw" \
			-device "virtio-blk-pci,drive=d$i,serial=minisan-disk$i"
		;;
	esac
	i=$((i + 1))
done
if [ -n "$net2" ]; then
	# A MAC of its own per VM directory: several VMs share that network.
	n=$(printf '%s' "$vmdir" | cksum | cut -d' ' -f1)
	set -- "$@" -netdev "$net2,id=net1" -device \
		"virtio-net-pci,netdev=net1,mac=52:54:00:01:$(printf '%02x:%02x' $((n % 256)) $((n / 256 % 256)))"
fi
exec qemu-system-x86_64 "$@"
