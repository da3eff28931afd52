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
