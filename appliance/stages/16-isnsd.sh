#!/bin/sh
# Stage 16: open-isns's iSNS server (isnsd) and its admin tool (isnsadm),
# built static against musl from Debian's source package, for the
# appliance's optional iSNS server (appliance.conf: isns-server on).
# Without security: OpenSSL is not available for musl, and iSNS
# authentication (RFC 4171 6.2) is off in the generated configuration anyway.
#   in:  configs/versions.mk (OPENISNS_VERSION, OPENISNS_DSC_SHA256)
#   out: OUT/isnsd/isnsd, OUT/isnsd/isnsadm
set -eu
STAGE=isnsd
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/appliance/lib.sh"
load_versions "$top"

stage_args "$@"
if [ "$list_only" = 1 ]; then
	printf 'isnsd\nisnsadm\n'
	exit 0
fi
dl="$out/dl"
# Debian's packaging tarball of this version is missing from the mirror:
# take the .dsc and the upstream tarball only.
dsc=$(fetch_source "$dl" open-isns "$OPENISNS_VERSION" "$OPENISNS_DSC_SHA256" \
	--dsc-only)
# The upstream tarball and its sha256, as the (pinned) .dsc lists them.
# shellcheck disable=SC2046 # two words: the sum and the file name
set -- $(sed -n '/^Checksums-Sha256:/,/^[^ ]/s/^ \([0-9a-f]\{64\}\) [0-9]* \(.*\.orig\.tar\.[a-z0-9]*\)$/\1 \2/p' "$dsc")
[ $# -eq 2 ] || die "$dsc: no .orig tarball in Checksums-Sha256"
orig_sum=$1 orig="$dl/$2"
if [ ! -f "$orig" ]; then
	(cd "$dl" && apt-get source -q --download-only --tar-only \
		"open-isns=$OPENISNS_VERSION" >/dev/null 2>&1) ||
		die "apt-get source --tar-only open-isns=$OPENISNS_VERSION failed"
fi
check_sha256 "$orig" "$orig_sum"

begin_output "$out/isnsd"
work="$out/isnsd.tmp/src"
mkdir -p "$work"
tar -xf "$orig" -C "$work" --strip-components=1
msg "building open-isns $OPENISNS_VERSION (static, musl, no security)"
(
	cd "$work" &&
		./configure CC=musl-gcc CFLAGS=-O2 LDFLAGS=-static \
			--without-security --without-slp --disable-shared \
			--with-rundir=/run &&
		make isnsd isnsadm
) >"$out/isnsd.tmp/build.log" 2>&1 ||
	{ tail -n 20 "$out/isnsd.tmp/build.log" >&2; die "open-isns build failed"; }
for prog in isnsd isnsadm; do
	strip -o "$out/isnsd.tmp/$prog" "$work/$prog"
done
rm -rf "$work" "$out/isnsd.tmp/build.log"
finish_output "$out/isnsd"
msg "isnsd $(du -h "$out/isnsd/isnsd" | cut -f1), isnsadm $(du -h "$out/isnsd/isnsadm" | cut -f1)"
