#!/bin/sh
# Stage 10: Debian's kernel package, pinned in configs/versions.mk, fetched
# with apt-get, checked against its sha256 and unpacked.
#   in:  configs/versions.mk
#   out: OUT/kernel/{vmlinuz,RELEASE,lib/modules/RELEASE/}  (all modules)
set -eu
STAGE=kernel
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/appliance/lib.sh"
load_versions "$top"

stage_args "$@"
if [ "$list_only" = 1 ]; then
	echo "vmlinuz"
	echo "RELEASE"
	echo "lib/modules/$KERNEL_RELEASE/"
	exit 0
fi

deb=$(fetch_deb "$out/dl" "$KERNEL_PKG" "$KERNEL_VERSION" "$KERNEL_SHA256")
begin_output "$out/kernel"
msg "unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$out/kernel.tmp/pkg"
mv "$out/kernel.tmp/pkg/boot/vmlinuz-$KERNEL_RELEASE" "$out/kernel.tmp/vmlinuz"
mkdir -p "$out/kernel.tmp/lib/modules"
mv "$out/kernel.tmp/pkg/lib/modules/$KERNEL_RELEASE" "$out/kernel.tmp/lib/modules/"
rm -rf "$out/kernel.tmp/pkg"
# The package ships no modules.dep; the module stage needs it for closures.
depmod -b "$out/kernel.tmp" "$KERNEL_RELEASE"
echo "$KERNEL_RELEASE" >"$out/kernel.tmp/RELEASE"
finish_output "$out/kernel"
msg "kernel $KERNEL_RELEASE ready"
