#!/bin/sh
# Shared helpers of the appliance stages: messages, pinned downloads and atomic
# output directories. Sourced, never run.

msg() {
	printf '%s: %s\n' "${STAGE:-appliance}" "$*" >&2
}

die() {
	msg "error: $*"
	exit 1
}

# stage_args "$@": the arguments of every stage, [--list] OUT. Sets list_only
# (1 with --list: print what the stage would produce, build nothing) and out
# (OUT made absolute, created if missing).
# shellcheck disable=SC2034 # list_only and out are for the calling stage
stage_args() {
	list_only=0
	if [ "${1:-}" = "--list" ]; then
		list_only=1
		shift
	fi
	if [ $# -ne 1 ]; then
		echo "usage: $0 [--list] OUT" >&2
		exit 2
	fi
	mkdir -p "$1" && out=$(cd "$1" && pwd)
}

# fetch_source DLDIR PACKAGE VERSION SHA256 [--dsc-only]: prints the path of
# the source package's .dsc in DLDIR, downloading it when missing (with all
# its parts, or alone) with apt-get source, and
# refuses a .dsc whose hash is not the pinned one. dpkg-source or the caller
# checks the tarballs against the hashes the .dsc lists.
fetch_source() {
	dl=$1 pkg=$2 ver=$3 sum=$4 part=${5:-}
	dsc="$dl/${pkg}_${ver}.dsc"
	mkdir -p "$dl"
	if [ ! -f "$dsc" ]; then
		msg "downloading the $pkg $ver source package"
		# shellcheck disable=SC2086 # no option is no word
		(cd "$dl" && apt-get source -q --download-only $part \
			"$pkg=$ver" >/dev/null 2>&1) ||
			die "apt-get source $part $pkg=$ver failed (needs deb-src lines; ci/deps.sh adds them)"
	fi
	check_sha256 "$dsc" "$sum"
	printf '%s\n' "$dsc"
}

# load_versions TOP: the pinned versions of configs/versions.mk as shell
# variables.
load_versions() {
	# shellcheck disable=SC1091 # the path is only known at run time
	. "$1/configs/versions.mk"
}

# fetch_deb DLDIR PACKAGE VERSION SHA256: prints the path of the .deb in
# DLDIR, downloading it with apt-get when it is not there yet, and refuses a
# file whose hash is not the pinned one.
fetch_deb() {
	dl=$1 pkg=$2 ver=$3 sum=$4
	mkdir -p "$dl"
	file="$dl/${pkg}_$(printf '%s' "$ver" | sed 's/:/%3a/')_amd64.deb"
	if [ ! -f "$file" ]; then
		msg "downloading $pkg=$ver"
		(cd "$dl" && apt-get download -q "$pkg=$ver" >/dev/null 2>&1) ||
			(apt-get update -q >/dev/null &&
				cd "$dl" && apt-get download -q "$pkg=$ver" >/dev/null 2>&1) ||
			die "apt-get download $pkg=$ver failed (is the version in configs/versions.mk still in the archive?)"
	fi
	check_sha256 "$file" "$sum"
	printf '%s\n' "$file"
}

check_sha256() {
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] || die "$1: sha256 $got, configs/versions.mk pins $2"
}

# begin_output DIR: a fresh DIR.tmp to build into. finish_output DIR moves it
# into place, so an interrupted stage never leaves a half-built DIR.
begin_output() {
	rm -rf "$1.tmp"
	mkdir -p "$1.tmp"
}

finish_output() {
	rm -rf "$1"
	mv "$1.tmp" "$1"
}

# epoch TOP: SOURCE_DATE_EPOCH, or the time of the last commit.
epoch() {
	if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
		echo "$SOURCE_DATE_EPOCH"
	else
		git -C "$1" log -1 --format=%ct 2>/dev/null || echo 0
	fi
}

# (These helpers name their own variables with a leading _: sh has no
# local variables, and the stages use plain names.)

# busybox_links TREE: one symlink per applet of TREE/bin/busybox, at the
# path busybox expects it, where nothing else is installed.
busybox_links() {
	"$1/bin/busybox" --list-full | while read -r _applet; do
		[ -e "$1/$_applet" ] || ln -s /bin/busybox "$1/$_applet"
	done
}

# module_closure KROOT RELEASE MODULE...: the .ko files (absolute paths
# under KROOT) that modprobe would load for the modules, dependencies and
# softdeps included, sorted; built-in modules need no file. Dies naming a
# module the kernel does not have (outside a pipeline, so that it stops the
# build: closure=$(module_closure ...)).
module_closure() {
	_kroot=$1 _release=$2
	shift 2
	_deps=""
	for _mod in "$@"; do
		_d=$(modprobe -d "$_kroot" -S "$_release" --show-depends \
			"$_mod" 2>/dev/null) ||
			die "module $_mod is not in kernel $_release"
		_deps="$_deps
$_d"
	done
	printf '%s\n' "$_deps" | awk '$1 == "insmod" { print $2 }' | LC_ALL=C sort -u
}

# install_modules KROOT RELEASE TREE KOS: copies the .ko files KOS (one
# absolute path under KROOT per line, as module_closure gives them) into
# TREE/lib/modules/RELEASE with the kernel's module lists, and runs depmod
# there so that modprobe works in TREE.
install_modules() {
	_mdir="$1/lib/modules/$2"
	_dst="$3/lib/modules/$2"
	mkdir -p "$_dst"
	printf '%s\n' "$4" | while read -r _ko; do
		[ -n "$_ko" ] || continue
		_rel=${_ko#"$_mdir/"}
		mkdir -p "$_dst/$(dirname "$_rel")"
		cp -p "$_ko" "$_dst/$_rel"
	done
	cp -p "$_mdir/modules.order" "$_mdir/modules.builtin" \
		"$_mdir/modules.builtin.modinfo" "$_dst/"
	depmod -b "$3" "$2"
}
