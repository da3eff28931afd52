#!/bin/sh
# Stage 30: the appliance's root file system tree: busybox (Debian's static
# build, pinned), mdadm (stage 15), isnsd and isnsadm (stage 16), minisand
# and minisanctl, the module subset (stage 20), the rootfs/ overlay and the
# default configuration.
#   in:  configs/{versions.mk,modules.boot,appliance.conf,minisand.conf},
#        rootfs/, OUT/bin/minisand[ctl], OUT/mdadm, OUT/isnsd, OUT/modules
#   out: OUT/rootfs/, OUT/rootfs.MANIFEST (the file list, outside the tree)
set -eu
STAGE=rootfs
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/appliance/lib.sh"
load_versions "$top"

stage_args "$@"
dst="$out/rootfs.tmp"

begin_output "$out/rootfs"
for d in bin sbin usr/bin usr/sbin lib dev proc sys run tmp root media/config \
	etc/minisan/defaults var/log; do
	mkdir -p "$dst/$d"
done

deb=$(fetch_deb "$out/dl" "$BUSYBOX_PKG" "$BUSYBOX_VERSION" "$BUSYBOX_SHA256")
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./bin/busybox >"$dst/bin/busybox"
chmod 755 "$dst/bin/busybox"
busybox_links "$dst"

install -m 755 "$out/mdadm/mdadm" "$dst/sbin/mdadm"
install -m 755 "$out/bin/minisand" "$dst/sbin/minisand"
for prog in isnsd isnsadm; do
	if [ -x "$out/isnsd/$prog" ]; then
		install -m 755 "$out/isnsd/$prog" "$dst/sbin/$prog"
	fi
done
if [ -x "$out/bin/minisanctl" ]; then
	install -m 755 "$out/bin/minisanctl" "$dst/sbin/minisanctl"
fi
cp -a "$out/modules/lib/modules" "$dst/lib/"
cp -a "$top/rootfs/." "$dst/"
install -m 644 "$top/configs/modules.boot" "$dst/etc/minisan/modules.boot"
install -m 600 "$top/configs/minisand.conf" "$dst/etc/minisan/defaults/minisan.conf"
install -m 644 "$top/configs/appliance.conf" "$dst/etc/minisan/defaults/appliance.conf"
echo "minisan $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)" \
	>"$dst/etc/minisan-release"
chmod 700 "$dst/root"
chmod 1777 "$dst/tmp"

if [ "$list_only" = 1 ]; then
	(cd "$dst" && find . ! -type d | sort)
	rm -rf "$dst"
	exit 0
fi
(cd "$dst" && find . ! -type d | LC_ALL=C sort) >"$out/rootfs.MANIFEST.tmp"
finish_output "$out/rootfs"
mv "$out/rootfs.MANIFEST.tmp" "$out/rootfs.MANIFEST"
msg "$(wc -l <"$out/rootfs.MANIFEST") files, $(du -sh "$out/rootfs" | cut -f1)"
