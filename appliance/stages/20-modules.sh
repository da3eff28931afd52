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

# shellcheck disable=SC2046 # one module name per word
kos=$(module_closure "$kroot" "$release" $(wanted))

if [ "$list_only" = 1 ]; then
	printf '%s\n' "$kos" | sed "s|^$mdir/||"
	exit 0
fi

begin_output "$out/modules"
install_modules "$kroot" "$release" "$out/modules.tmp" "$kos"
dst="$out/modules.tmp/lib/modules/$release"
(cd "$dst" && find . -name '*.ko' | LC_ALL=C sort) >"$out/modules.tmp/MANIFEST"
n=$(wc -l <"$out/modules.tmp/MANIFEST")
finish_output "$out/modules"
msg "$n modules, $(du -sh "$out/modules" | cut -f1)"
