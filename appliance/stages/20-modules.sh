#!/bin/sh
# Stage 20: the module subset: configs/modules.list plus everything those
# modules depend on, with its own modules.dep.
#   in:  OUT/kernel, configs/modules.list
#   out: OUT/modules/lib/modules/RELEASE/, OUT/modules/MANIFEST
set -eu
STAGE=modules
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/appliance/lib.sh"

stage_args "$@"
release=$(cat "$out/kernel/RELEASE")
kroot="$out/kernel"
mdir="$kroot/lib/modules/$release"

# wanted: one module name per line from the list (globs resolved to names).
wanted() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/configs/modules.list" |
		while read -r entry; do
			case "$entry" in
			*/*)
				# shellcheck disable=SC2086 # the glob is wanted
				(cd "$mdir/kernel" && ls $entry) 2>/dev/null |
					sed -e 's|.*/||' -e 's/\.ko$//'
				;;
			*) echo "$entry" ;;
			esac
		done
}

# closure: the .ko paths (relative to mdir) that modprobe would load for the
# wanted modules, dependencies and softdeps included. Built-in modules print
# "builtin" and need no file.
closure() {
	wanted | while read -r mod; do
		modprobe -d "$kroot" -S "$release" --show-depends "$mod" 2>/dev/null ||
			die "module $mod (configs/modules.list) is not in $release"
	done | awk '$1 == "insmod" { print $2 }' | sed "s|^$mdir/||" | sort -u
}

if [ "$list_only" = 1 ]; then
	closure
	exit 0
fi

begin_output "$out/modules"
dst="$out/modules.tmp/lib/modules/$release"
mkdir -p "$dst"
closure | while read -r ko; do
	mkdir -p "$dst/$(dirname "$ko")"
	cp -p "$mdir/$ko" "$dst/$ko"
done
cp -p "$mdir/modules.order" "$mdir/modules.builtin" \
	"$mdir/modules.builtin.modinfo" "$dst/"
depmod -b "$out/modules.tmp" "$release"
(cd "$dst" && find . -name '*.ko' | LC_ALL=C sort) >"$out/modules.tmp/MANIFEST"
n=$(wc -l <"$out/modules.tmp/MANIFEST")
finish_output "$out/modules"
msg "$n modules, $(du -sh "$out/modules" | cut -f1)"
