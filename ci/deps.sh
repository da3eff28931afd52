#!/bin/sh
# Installs the Debian packages listed in configs/build-packages.txt that are
# not installed yet. Quiet and quick when everything is there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
list="$top/configs/build-packages.txt"

missing=""
for pkg in $(sed -e 's/#.*//' "$list"); do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
# The appliance builds mdadm from Debian's source package: apt-get source
# needs deb-src lines, which a fresh Debian 12 lacks.
src_list=/etc/apt/sources.list.d/minisan-src.sources
need_src=0
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list \
	/etc/apt/sources.list.d/; then
	need_src=1
fi
[ -z "$missing" ] && [ $need_src = 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root to install packages (apt-get)" >&2
	exit 1
fi
if [ $need_src = 1 ]; then
	echo "deps: adding Debian source lines ($src_list)"
	cat >"$src_list" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y -q --no-install-recommends $missing >/dev/null
