# Pinned inputs of the appliance image (STYLE.md 10.3). Read by the top-level
# Makefile and sourced by appliance/stages/*.sh, so: KEY=value, no spaces.
# To move to a newer kernel: `apt-cache depends linux-image-amd64`, then
# `apt-get download` the package and put its version and sha256 here.
KERNEL_PKG=linux-image-6.1.0-56-amd64
KERNEL_VERSION=6.1.192-2
KERNEL_RELEASE=6.1.0-56-amd64
KERNEL_SHA256=a86e2049672f52354c4536a089203b6c82639420424d31c91cf31a181fd4d8f1
BUSYBOX_PKG=busybox-static
BUSYBOX_VERSION=1:1.35.0-4+deb12u1+b1
BUSYBOX_SHA256=3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744
# mdadm is built static against musl from Debian's source package; the .dsc
# pins the hashes of the tarballs, dpkg-source checks them.
MDADM_VERSION=4.2-5
MDADM_DSC_SHA256=188e0c6519fa57c26d045f1d503f9087b5e5363137d778a263353221cd7ed72f
# open-isns (isnsd, isnsadm for the appliance's optional iSNS server) is built
# static against musl, without security (no OpenSSL for musl), from the
# upstream tarball of Debian's source package: the pinned .dsc pins its
# sha256. Debian's 0.101 carries no patches of its own ("patches integrated
# upstream", changelog 0.101-0.1) and its debian.tar.xz is not on every
# mirror, so only the .dsc and the .orig tarball are fetched.
OPENISNS_VERSION=0.101-0.2
OPENISNS_DSC_SHA256=68b02dd4a709da59fa3d8c837802a38ac73adf6644719ac819d13caa77b5790c
