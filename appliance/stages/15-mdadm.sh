#!/bin/sh
# Stage 15: mdadm, built static against musl from Debian's source package
# (Debian's binary links glibc and libudev; this one is ~700 KB and needs
# nothing else in the image).
#   in:  configs/versions.mk (MDADM_VERSION, MDADM_DSC_SHA256)
#   out: OUT/mdadm/mdadm
set -eu
STAGE=mdadm
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/appliance/lib.sh"
load_versions "$top"

stage_args "$@"
if [ "$list_only" = 1 ]; then
	echo "mdadm"
	exit 0
fi
dsc=$(fetch_source "$out/dl" mdadm "$MDADM_VERSION" "$MDADM_DSC_SHA256")

begin_output "$out/mdadm"
work="$out/mdadm.tmp/src"
# dpkg-source checks every tarball against the hashes in the .dsc (whose own
# hash is pinned above; the keyring it would check signatures with is not
# installed, so its gpgv warning goes to the log, not the screen).
dpkg-source -q -x "$dsc" "$work" >"$out/mdadm.tmp/unpack.log" 2>&1 ||
	{ cat "$out/mdadm.tmp/unpack.log" >&2; die "dpkg-source -x $dsc failed"; }
# musl-gcc does not search the host's kernel headers; give it just those.
inc="$out/mdadm.tmp/include"
mkdir -p "$inc"
ln -s /usr/include/linux "$inc/linux"
ln -s /usr/include/x86_64-linux-gnu/asm "$inc/asm"
ln -s /usr/include/asm-generic "$inc/asm-generic"
msg "building mdadm $MDADM_VERSION (static, musl)"
make -s -C "$work" CC=musl-gcc \
	CXFLAGS="-O2 -DNO_LIBUDEV -DNO_COROSYNC -DNO_DLM -I$inc" \
	mdadm.static >"$out/mdadm.tmp/build.log" 2>&1 ||
	{ tail -n 20 "$out/mdadm.tmp/build.log" >&2; die "mdadm build failed"; }
strip -o "$out/mdadm.tmp/mdadm" "$work/mdadm.static"
rm -rf "$work" "$inc"
finish_output "$out/mdadm"
msg "mdadm $(du -h "$out/mdadm/mdadm" | cut -f1)"
