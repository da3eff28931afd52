# Disks and md arrays at boot: list the disks, assemble what exists, re-add
# members that came back, create the arrays appliance.conf asks for on blank
# disks, and report the state in words. Sourced by /init.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

# disk_list: whole disks that may hold array members (not the boot medium,
# not optical drives, not RAM or loop devices), one /dev path per line.
disk_list() {
	local sys name
	for sys in /sys/block/*; do
		name=${sys##*/}
		case "$name" in
		loop* | ram* | md* | sr* | dm-* | zram* | nbd*) continue ;;
		esac
		[ "$name" = "${BOOT_DISK:-}" ] && continue
		[ "$(cat "$sys/size")" -gt 0 ] || continue
		echo "/dev/$name"
	done
}

# disk_describe DEV: "vdb 1.0 GiB QEMU HARDDISK serial XYZ" for messages.
disk_describe() {
	local name sys sectors size model serial
	name=${1##*/}
	sys=/sys/block/$name
	sectors=$(cat "$sys/size")
	size=$(awk -v s="$sectors" 'BEGIN { g = s * 512 / 1073741824;
		if (g >= 1) printf "%.1f GiB", g; else printf "%d MiB", s * 512 / 1048576 }')
	model=$(cat "$sys/device/model" 2>/dev/null | sed 's/ *$//')
	serial=$(cat "$sys/serial" "$sys/device/serial" 2>/dev/null | head -n 1 | sed 's/ *$//')
	echo "$name $size${model:+ $model}${serial:+ serial $serial}"
}

# disk_is_blank DEV: no partitions, no md superblock, and a first MiB of
# zeros (no partition table, file system or other signature at the start).
disk_is_blank() {
	local name=${1##*/}
	ls "/sys/block/$name/" | grep -q "^$name" && return 1
	mdadm --examine "$1" >/dev/null 2>&1 && return 1
	[ "$(dd if="$1" bs=65536 count=16 2>/dev/null | tr -d '\000' | wc -c)" -eq 0 ]
}

# md_uuid_of_member DEV: the array UUID in DEV's md superblock, if any.
md_uuid_of_member() {
	mdadm --examine --export "$1" 2>/dev/null | sed -n 's/^MD_UUID=//p'
}

md_uuid_of_array() {
	mdadm --detail --export "$1" 2>/dev/null | sed -n 's/^MD_UUID=//p'
}

arrays_assemble() {
	mkdir -p /etc/mdadm
	# Arrays we create carry homehost "minisan"; treating that as local keeps
	# their /dev/md/NAME names whatever the box's hostname is.
	printf 'DEVICE partitions\nHOMEHOST minisan\nAUTO +all\n' >/etc/mdadm/mdadm.conf
	mdadm --assemble --scan --run >/tmp/mdadm-assemble.log 2>&1 || true
	arrays_readd
}

# arrays_readd: a member that was missing at an earlier boot is back: put it
# into its array again (--re-add resyncs only what changed when the array has
# a write-intent bitmap; otherwise --add rebuilds it).
arrays_readd() {
	local md uuid disk
	for md in /dev/md/*; do
		[ -b "$md" ] || continue
		uuid=$(md_uuid_of_array "$md")
		[ -n "$uuid" ] || continue
		for disk in $(disk_list); do
			[ "$(md_uuid_of_member "$disk")" = "$uuid" ] || continue
			grep -q "${disk##*/}\[" /proc/mdstat && continue
			if mdadm "$md" --re-add "$disk" >/dev/null 2>&1; then
				say "minisan: disk $(disk_describe "$disk") rejoined array ${md##*/} (re-add)"
			elif mdadm "$md" --add "$disk" >/dev/null 2>&1; then
				say "minisan: disk $(disk_describe "$disk") added back to array ${md##*/}; it is rebuilt"
			else
				say "minisan: disk $(disk_describe "$disk") belongs to array ${md##*/} but could not be added: mdadm $md --add $disk"
			fi
		done
	done
}

# arrays_create: the arrays appliance.conf names that do not exist yet, from
# blank disks only. A disk with any data on it is never touched.
arrays_create() {
	local name level count spares devices need candidates chosen n disk bitmap
	echo "$CONF_ARRAYS" | while read -r name level count spares devices; do
		[ -n "$name" ] || continue
		[ -e "/dev/md/$name" ] && continue
		need=$((count + spares))
		if [ -n "$devices" ]; then
			candidates=$devices
		else
			candidates=$(disk_list)
		fi
		chosen=
		n=0
		for disk in $candidates; do
			[ $n -lt $need ] || break
			if [ ! -b "$disk" ]; then
				say "minisan: array $name: $disk is missing"
				continue
			fi
			if ! disk_is_blank "$disk"; then
				[ -n "$devices" ] && say "minisan: array $name: $disk is not blank; not using it"
				continue
			fi
			chosen="$chosen $disk"
			n=$((n + 1))
		done
		if [ $n -lt $need ]; then
			say "minisan: array $name ($level, $count disks + $spares spares) NOT created: found $n blank disks of $need"
			say "minisan:   disks seen: $(disk_list | tr '\n' ' ')"
			continue
		fi
		# A write-intent bitmap lets a briefly missing disk resync only what
		# changed; RAID 0 has no redundancy and md refuses one there.
		bitmap=--bitmap=internal
		[ "$level" = raid0 ] && bitmap=
		# shellcheck disable=SC2086 # one word per disk
		if mdadm --create "/dev/md/$name" --run --metadata=1.2 \
			--name="$name" --homehost=minisan --level="$level" \
			--raid-devices="$count" --spare-devices="$spares" \
			$bitmap $chosen >/tmp/mdadm-create-"$name".log 2>&1; then
			say "minisan: created array $name: $level from$(echo "$chosen" | sed 's|/dev/||g')"
			echo "$name" >>/run/minisan-created
		else
			say "minisan: array $name: mdadm --create failed: $(tail -n 1 /tmp/mdadm-create-"$name".log)"
		fi
	done
}

# The members of each healthy array, by serial number, are kept on the
# config partition, so that a degraded boot can say which disk is gone.
members_file() {
	echo "/media/config/state/md-$1.members"
}

members_remember() {
	local name=$1 disk
	mkdir -p /media/config/state 2>/dev/null || return 0
	for disk in $2; do
		echo "$(disk_describe "/dev/$disk")"
	done >"$(members_file "$name").tmp" &&
		mv "$(members_file "$name").tmp" "$(members_file "$name")"
}

members_missing() {
	local name=$1 now="" disk line serial
	[ -f "$(members_file "$name")" ] || return 0
	for disk in $2; do
		now="$now|$(disk_describe "/dev/$disk" | sed -n 's/.* serial //p')"
	done
	while read -r line; do
		serial=$(echo "$line" | sed -n 's/.* serial //p')
		[ -n "$serial" ] || continue
		case "$now|" in
		*"|$serial|"*) ;;
		*) say "minisan:   missing: the disk with serial $serial (at the last healthy boot: ${line%% *})" ;;
		esac
	done <"$(members_file "$name")"
}

# arrays_report: one line per array, and what to do about a degraded one.
arrays_report() {
	local found=0 md name detail state active members size
	found=0
	for md in /dev/md/*; do
		[ -b "$md" ] || continue
		found=1
		name=${md##*/}
		eval "$(mdadm --detail --export "$md" 2>/dev/null | grep -E '^MD_(LEVEL|DEVICES)=')"
		detail=$(mdadm --detail "$md" 2>/dev/null)
		state=$(echo "$detail" | sed -n 's/^ *State : //p' | sed 's/ *,/,/g; s/ *$//')
		active=$(echo "$detail" | sed -n 's/^ *Active Devices : //p')
		members=$(echo "$detail" | awk '$NF ~ /^\/dev\// && /active|rebuilding|spare/ { sub("/dev/", "", $NF); printf " %s", $NF }')
		size=$(awk -v s="$(cat "/sys/block/$(basename "$(readlink -f "$md")")/size")" \
			'BEGIN { printf "%.1f GiB", s * 512 / 1073741824 }')
		say "minisan: array $name: ${MD_LEVEL:-?}, $size, $state, $active of ${MD_DEVICES:-?} disks active (members:$members)"
		case "$state" in
		*degraded*recovering* | *recovering*degraded*)
			# A new RAID 5 builds its parity this way too: that is no
			# failure. Otherwise md is rebuilding onto a spare.
			if grep -qx "$name" /run/minisan-created 2>/dev/null; then
				members_remember "$name" "$members"
			else
				say "$MARK_DEGRADED array $name lost a disk and is rebuilding onto a spare; the LUN keeps serving."
				members_missing "$name" "$members"
			fi
			;;
		*) members_remember "$name" "$members" ;;
		*degraded*)
			say "$MARK_DEGRADED array $name is missing $(( ${MD_DEVICES:-0} - ${active:-0} )) disk(s); the LUN keeps serving."
			members_missing "$name" "$members"
			say "minisan:   put in a blank disk of at least the same size and run: mdadm /dev/md/$name --add /dev/DISK"
			;;
		esac
		case "$detail" in
		*"Rebuild Status"*) say "minisan:   $(echo "$detail" | sed -n 's/^ *Rebuild Status : /rebuilding: /p')" ;;
		*"Resync Status"*) say "minisan:   $(echo "$detail" | sed -n 's/^ *Resync Status : /initial sync: /p')" ;;
		esac
	done
	[ $found = 1 ] || say "minisan: no md arrays"
}
