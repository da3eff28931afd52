# minisan-setup: the disks menu: disks, md RAID arrays (create, status with
# progress, mark failed, spare, replace, delete). Uses disk_list,
# disk_describe and disk_is_blank of lib/minisan/disks.sh. Sourced.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

# Array names deleted in this session: "save" drops their appliance.conf
# lines, or the next boot would build them again from the blank disks.
SETUP_ARRAYS_DELETED=

# dk_md_members: kernel names of the disks in any md array (faulty and
# spare ones too), one per line.
dk_md_members() {
	awk '$1 ~ /^md/ && $2 == ":" {
		for (i = 5; i <= NF; i++) { d = $i; sub(/\[.*/, "", d); print d } }' /proc/mdstat
}

# dk_array_of DISK: the array DISK is in, or nothing.
dk_array_of() {
	local md
	for md in /dev/md/*; do
		[ -b "$md" ] || continue
		grep -q "^$(basename "$(readlink -f "$md")") :.* ${1##*/}\[" /proc/mdstat && {
			echo "${md##*/}"
			return
		}
	done
}

# dk_free: whole disks in no array (not the boot medium), one /dev path per
# line.
dk_free() {
	local members disk
	members=" $(dk_md_members | tr '\n' ' ') "
	for disk in $(disk_list); do
		case "$members" in *" ${disk##*/} "*) continue ;; esac
		echo "$disk"
	done
}

dk_bytes() {
	echo $(($(cat "/sys/class/block/${1##*/}/size") * 512))
}

# dk_line DEV: "vda   96.0 MiB  QEMU HARDDISK  serial X  blank" for lists.
dk_line() {
	local name="${1##*/}" sys model serial use arr
	sys=/sys/block/$name
	model=$(sed 's/ *$//' "$sys/device/model" 2>/dev/null)
	serial=$(cat "$sys/serial" "$sys/device/serial" 2>/dev/null | head -n 1 | sed 's/ *$//')
	arr=$(dk_array_of "$name")
	if [ -n "$arr" ]; then
		use="in array $arr"
	elif disk_is_blank "$1"; then
		use="blank"
	else
		use="has data"
	fi
	printf '%-7s %10s  %s%s  %s\n' "$name" "$(ui_size "$(dk_bytes "$1")")" \
		"${model:+$model  }" "serial ${serial:-unknown}" "$use"
}

dk_list() {
	local disk n=0
	ui_title "Disks (the boot medium ${BOOT_DISK:-?} is not listed)"
	for disk in $(disk_list); do
		dk_line "$disk"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || echo "no disks found"
}

# dk_arrays: /dev/md/NAME of every array, one per line.
dk_arrays() {
	local md
	for md in /dev/md/*; do
		[ -b "$md" ] && echo "$md"
	done
}

# dk_members MD: member devices of MD with their state, "DEV STATE" lines.
dk_members() {
	mdadm --detail "$1" 2>/dev/null | awk '$NF ~ /^\/dev\// && $1 ~ /^[0-9-]+$/ {
		dev = $NF; $NF = ""; st = ""
		for (i = 5; i <= NF; i++) st = st " " $i
		sub(/^ +/, "", st); sub(/ +$/, "", st); print dev, st }'
}

# dk_bar MD: the resync/recovery/reshape progress of MD from /proc/mdstat as
# a bar, or nothing.
dk_bar() {
	local kname
	kname=$(basename "$(readlink -f "$1")")
	awk -v md="$kname" '
	$1 == md { on = 1; next }
	on && /^md/ { exit }
	on && /(resync|recovery|reshape|check) *=/ {
		what = $0; sub(/^.*\] */, "", what); sub(/ *=.*/, "", what)
		match($0, /= *[0-9.]+%/)
		pct = substr($0, RSTART, RLENGTH); gsub(/[= %]/, "", pct)
		fin = ""
		if (match($0, /finish=[0-9.]+min/)) fin = substr($0, RSTART + 7, RLENGTH - 7)
		n = int(pct * 40 / 100); bar = ""
		for (i = 0; i < 40; i++) bar = bar (i < n ? "#" : ".")
		printf "  %-8s [%s] %5.1f%%%s\n", what, bar, pct, fin != "" ? "  about " fin " left" : ""
		exit }
	on && /resync=(DELAYED|PENDING)/ { print "  resync waits for another array to finish" }
	' /proc/mdstat
}

# dk_status_one MD: level, size, state, members and progress of one array.
dk_status_one() {
	local md="$1" name="${1##*/}" detail level state active total dev st
	detail=$(mdadm --detail "$md" 2>/dev/null)
	level=$(echo "$detail" | sed -n 's/^ *Raid Level : //p')
	state=$(echo "$detail" | sed -n 's/^ *State : //p' | sed 's/ *, */, /g; s/ *$//')
	active=$(echo "$detail" | sed -n 's/^ *Active Devices : //p')
	total=$(echo "$detail" | sed -n 's/^ *Raid Devices : //p')
	echo "$name: $level, $(ui_size "$(dk_bytes "$(readlink -f "$md")")"), $state, $active of $total disks active"
	dk_members "$md" | while read -r dev st; do
		printf '  %-6s %s\n' "${dev##*/}" "$st"
	done
	case "$state" in
	*degraded*) echo "  DEGRADED: add a blank disk as a spare (menu 5) and md rebuilds onto it" ;;
	esac
	dk_bar "$md"
}

dk_status() {
	local md n
	while :; do
		ui_title "Arrays"
		n=0
		for md in $(dk_arrays); do
			dk_status_one "$md"
			n=$((n + 1))
		done
		[ $n -gt 0 ] || echo "no arrays; create one with menu 3"
		ui_read "r = refresh, Enter = back"
		[ "$ANS" = r ] || [ "$ANS" = R ] || return
	done
}

# dk_choose_array PROMPT: picks an array into DK_MD; 1 if there is none or
# the admin went back.
dk_choose_array() {
	local list n i=0 md
	list=$(dk_arrays)
	n=$(ui_count "$list")
	if [ "$n" -eq 0 ]; then
		ui_err "there is no array"
		return 1
	fi
	for md in $list; do
		i=$((i + 1))
		printf ' %d) %s: %s\n' "$i" "${md##*/}" \
			"$(mdadm --detail "$md" 2>/dev/null | sed -n 's/^ *Raid Level : //p')"
	done
	ui_pick "$1" "$n" || return 1
	DK_MD=$(ui_nth "$ANS" "$list")
}

# dk_choose_free PROMPT: picks a disk in no array into DK_DISK.
dk_choose_free() {
	local list n i=0 disk
	list=$(dk_free)
	n=$(ui_count "$list")
	if [ "$n" -eq 0 ]; then
		ui_err "every disk is in an array already; put in another disk"
		return 1
	fi
	for disk in $list; do
		i=$((i + 1))
		printf ' %d) %s' "$i" "$(dk_line "$disk")"
		echo
	done
	ui_pick "$1" "$n" || return 1
	DK_DISK=$(ui_nth "$ANS" "$list")
}

# dk_choose_member MD PROMPT: picks a member of MD into DK_DISK.
dk_choose_member() {
	local list n i=0 dev st
	list=$(dk_members "$1")
	n=$(ui_count "$list")
	[ "$n" -gt 0 ] || { ui_err "no members"; return 1; }
	while read -r dev st; do
		i=$((i + 1))
		printf ' %d) %-6s %s\n' "$i" "${dev##*/}" "$st"
	done <<LIST
$list
LIST
	ui_pick "$2" "$n" || return 1
	DK_DISK=$(ui_nth "$ANS" "$list" | cut -d' ' -f1)
}

# dk_lost DISK: what writing to DISK destroys, in words.
dk_lost() {
	if disk_is_blank "$1"; then
		echo "${1##*/} is blank: nothing on it is lost"
	else
		echo "${1##*/} is NOT blank (partition table, file system or old array): EVERYTHING ON IT IS LOST"
	fi
}

# dk_wipe DISK: no old md superblock and no partition table left.
dk_wipe() {
	mdadm --zero-superblock "$1" >/dev/null 2>&1
	dd if=/dev/zero of="$1" bs=1048576 count=1 conv=fsync 2>/dev/null
	blockdev --rereadpt "$1" 2>/dev/null
	return 0
}

check_array_name() {
	echo "$1" | grep -Eq '^[A-Za-z0-9_-]{1,32}$' ||
		{ echo "use letters, digits, - and _ (at most 32)"; return 1; }
	[ ! -e "/dev/md/$1" ] || { echo "an array named $1 exists already"; return 1; }
}

check_level() {
	case "$1" in
	0 | 1 | 5 | 6 | 10) return 0 ;;
	esac
	echo "type 0, 1, 5, 6 or 10"
	return 1
}

# check_disk_numbers N MIN "1 3": distinct numbers from 1 to N, at least MIN.
check_disk_numbers() {
	local max="$1" min="$2" seen=" " k c=0
	for k in $3; do
		case "$k" in
		*[!0-9]*) echo "'$k' is not a disk number"; return 1 ;;
		esac
		{ [ "$k" -ge 1 ] && [ "$k" -le "$max" ]; } || { echo "there is no disk $k (1-$max)"; return 1; }
		case "$seen" in *" $k "*) echo "disk $k is named twice"; return 1 ;; esac
		seen="$seen$k "
		c=$((c + 1))
	done
	[ $c -ge "$min" ] || { echo "this RAID level needs at least $min disks, not $c"; return 1; }
}

check_spares() {
	is_number "$2" || { echo "type a number"; return 1; }
	[ $(($1 - $2)) -ge "$3" ] || { echo "$1 disks with $2 spares leave $(($1 - $2)) active; the level needs $3"; return 1; }
}

dk_create() {
	local name level min free nfree picks chosen disk n spares smallest bytes usable any_data=0 bitmap log
	ui_title "Create a RAID array"
	free=$(dk_free)
	nfree=$(ui_count "$free")
	if [ "$nfree" -lt 2 ]; then
		ui_err "an array needs at least 2 disks in no array; found $nfree"
		return
	fi
	name=
	[ -e /dev/md/data ] || name=data
	echo "The default target exports /dev/md/data: name the first array 'data'."
	ui_ask "Array name" "$name" check_array_name || return
	name=$ANS
	echo "RAID levels: 0 striping (no redundancy), 1 mirror, 5 parity (1 disk may fail),"
	echo "6 double parity (2 may fail), 10 striped mirrors."
	ui_ask "RAID level" 1 check_level || return
	level=$ANS
	case "$level" in 5) min=3 ;; 6) min=4 ;; *) min=2 ;; esac
	n=0
	for disk in $free; do
		n=$((n + 1))
		printf ' %d) %s\n' "$n" "$(dk_line "$disk")"
	done
	ui_ask "Disks for the array (numbers, e.g. 1 2)" "" check_disk_numbers "$nfree" "$min" || return
	picks=$ANS
	chosen=
	for n in $picks; do
		chosen="$chosen $(ui_nth "$n" "$free")"
	done
	n=$(echo "$chosen" | wc -w)
	spares=0
	if [ "$level" != 0 ] && [ "$n" -gt "$min" ]; then
		ui_ask "How many of these are spares" 0 check_spares "$n" "$min" || return
		spares=$ANS
	fi
	smallest=
	for disk in $chosen; do
		bytes=$(dk_bytes "$disk")
		[ -z "$smallest" ] || [ "$bytes" -lt "$smallest" ] && smallest=$bytes
	done
	n=$((n - spares))
	case "$level" in
	0) usable=$((smallest * n)) ;;
	1) usable=$smallest ;;
	5) usable=$((smallest * (n - 1))) ;;
	6) usable=$((smallest * (n - 2))) ;;
	10) usable=$((smallest * n / 2)) ;;
	esac
	echo
	echo "RAID $level '$name' from$(echo "$chosen" | sed 's|/dev/||g'), $n active + $spares spare(s): about $(ui_size "$usable")"
	for disk in $chosen; do
		echo "  $(dk_lost "$disk")"
		disk_is_blank "$disk" || any_data=1
	done
	if [ $any_data = 1 ]; then
		ui_typed yes "Type yes to erase those disks and create the array" || return
	else
		ui_yes "Create the array?" || { echo "Nothing was changed."; return; }
	fi
	for disk in $chosen; do
		disk_is_blank "$disk" || dk_wipe "$disk"
	done
	# RAID 0 has nothing to resync, and md refuses a bitmap on it.
	bitmap=--bitmap=internal
	[ "$level" = 0 ] && bitmap=
	log=/tmp/minisan-setup-create.log
	# shellcheck disable=SC2086 # one word per disk
	if mdadm --create "/dev/md/$name" --run --metadata=1.2 --name="$name" \
		--homehost=minisan --level="$level" --raid-devices="$n" \
		--spare-devices="$spares" $bitmap $chosen </dev/null >"$log" 2>&1; then
		echo "Created array $name: RAID $level from$(echo "$chosen" | sed 's|/dev/||g')."
		echo "It is usable now; the first sync runs in the background (status: menu 2)."
		logger -t minisan -- "created array $name: raid$level from$chosen (minisan-setup)"
		SETUP_ARRAYS_DELETED=$(echo "$SETUP_ARRAYS_DELETED" | tr ' ' '\n' | grep -vx "$name" | tr '\n' ' ')
		setup_changed "arrays"
		daemon_nudge || true
	else
		ui_err "mdadm --create failed:"
		sed 's/^/    /' "$log" | tail -n 5
	fi
}

# dk_redundancy MD: how many more disks MD can lose (0 for RAID 0 or an
# array that has already lost all it can).
dk_redundancy() {
	local level active total
	level=$(mdadm --detail --export "$1" 2>/dev/null | sed -n 's/^MD_LEVEL=//p')
	active=$(mdadm --detail "$1" 2>/dev/null | sed -n 's/^ *Active Devices : //p')
	total=$(mdadm --detail "$1" 2>/dev/null | sed -n 's/^ *Raid Devices : //p')
	case "$level" in
	raid1) echo $((active - 1)) ;;
	raid5) echo $((1 - (total - active))) ;;
	raid6) echo $((2 - (total - active))) ;;
	raid10) [ $((total - active)) -eq 0 ] && echo 1 || echo 0 ;;
	*) echo 0 ;;
	esac
}

dk_fail() {
	local name out
	ui_title "Mark a disk failed"
	dk_choose_array "Array" || return
	name=${DK_MD##*/}
	dk_choose_member "$DK_MD" "Disk to mark failed" || return
	if [ "$(dk_redundancy "$DK_MD")" -le 0 ] && mdadm --detail "$DK_MD" | grep -E "active sync +$DK_DISK\$" >/dev/null; then
		ui_err "array $name has no redundancy left: without ${DK_DISK##*/} it stops and its data becomes unreadable. Refused."
		return
	fi
	echo "${DK_DISK##*/} leaves array $name; the array keeps serving from the other disks"
	echo "(with less or no redundancy until a spare is rebuilt). No data is lost."
	ui_yes "Mark ${DK_DISK##*/} failed and remove it from $name?" || { echo "Nothing was changed."; return; }
	if out=$(mdadm "$DK_MD" --fail "$DK_DISK" 2>&1) && out=$(mdadm "$DK_MD" --remove "$DK_DISK" 2>&1); then
		echo "${DK_DISK##*/} is out of $name; you may pull it."
		setup_changed arrays
	else
		ui_err "mdadm: $out"
	fi
}

dk_spare() {
	local name out
	ui_title "Add a spare (or a disk to a degraded array)"
	dk_choose_array "Array" || return
	name=${DK_MD##*/}
	case "$(mdadm --detail --export "$DK_MD" 2>/dev/null | sed -n 's/^MD_LEVEL=//p')" in
	raid0) ui_err "RAID 0 has no redundancy and takes no spare"; return ;;
	esac
	dk_choose_free "Disk to add" || return
	echo "  $(dk_lost "$DK_DISK")"
	ui_yes "Add ${DK_DISK##*/} to $name?" || { echo "Nothing was changed."; return; }
	disk_is_blank "$DK_DISK" || dk_wipe "$DK_DISK"
	if out=$(mdadm "$DK_MD" --add "$DK_DISK" 2>&1); then
		case "$(mdadm --detail "$DK_MD" | sed -n 's/^ *State : //p')" in
		*degraded*) echo "${DK_DISK##*/} added; $name rebuilds onto it now (status: menu 2)." ;;
		*) echo "${DK_DISK##*/} is a spare of $name: md rebuilds onto it when a disk fails." ;;
		esac
		setup_changed arrays
	else
		ui_err "mdadm: $out"
	fi
}

dk_replace() {
	local name old out
	ui_title "Replace a disk (copied first, then the old one leaves)"
	dk_choose_array "Array" || return
	name=${DK_MD##*/}
	dk_choose_member "$DK_MD" "Disk to replace" || return
	old=$DK_DISK
	dk_choose_free "New disk" || return
	echo "  $(dk_lost "$DK_DISK")"
	echo "  ${old##*/} is copied to ${DK_DISK##*/}; then ${old##*/} is marked failed and can be pulled."
	ui_yes "Replace ${old##*/} with ${DK_DISK##*/} in $name?" || { echo "Nothing was changed."; return; }
	disk_is_blank "$DK_DISK" || dk_wipe "$DK_DISK"
	if out=$(mdadm "$DK_MD" --add "$DK_DISK" 2>&1) &&
		out=$(mdadm "$DK_MD" --replace "$old" --with "$DK_DISK" 2>&1); then
		echo "Copying ${old##*/} to ${DK_DISK##*/} (status: menu 2)."
		setup_changed arrays
	else
		ui_err "mdadm: $out"
	fi
}

# dk_luns_on MD: "TARGET LUN" lines of the LUNs backed by MD.
dk_luns_on() {
	local real
	real=$(readlink -f "$1")
	ctl_table 1 luns | while IFS="	" read -r tgt lun path _; do
		[ "$path" = "$1" ] || [ "$(readlink -f "$path")" = "$real" ] && echo "$tgt LUN $lun"
	done
}

dk_delete() {
	local name members used dev st
	ui_title "Delete an array"
	dk_choose_array "Array to delete" || return
	name=${DK_MD##*/}
	if ! daemon_running; then
		echo "(minisand is not running: no LUN can be using $name now)"
	fi
	used=$(dk_luns_on "$DK_MD")
	if [ -n "$used" ]; then
		ui_err "$name is exported as $(echo "$used" | tr '\n' ' ')"
		ui_err "remove that LUN first (targets menu), then delete the array"
		return
	fi
	members=$(dk_members "$DK_MD" | cut -d' ' -f1)
	echo "ALL DATA ON ARRAY $name ($(ui_size "$(dk_bytes "$(readlink -f "$DK_MD")")")) IS LOST;"
	echo "its disks$(echo " $members" | sed 's|/dev/||g' | tr '\n' ' ') become blank."
	ui_typed "$name" "Type the array name ($name) to delete it" || return
	if ! st=$(mdadm --stop "$DK_MD" 2>&1); then
		ui_err "mdadm --stop: $st"
		return
	fi
	for dev in $members; do
		dk_wipe "$dev"
	done
	rm -f "$DK_MD"
	SETUP_ARRAYS_DELETED="$SETUP_ARRAYS_DELETED $name"
	setup_changed arrays
	echo "Array $name is deleted."
}

menu_disks() {
	while :; do
		ui_title "Disks and RAID arrays"
		echo " 1) list disks"
		echo " 2) array status (rebuild progress)"
		echo " 3) create an array"
		echo " 4) mark a disk failed"
		echo " 5) add a spare"
		echo " 6) replace a disk"
		echo " 7) delete an array"
		echo " 0) back"
		ui_choice disks
		case "$ANS" in
		1) dk_list; ui_pause ;;
		2) dk_status ;;
		3) dk_create ;;
		4) dk_fail ;;
		5) dk_spare ;;
		6) dk_replace ;;
		7) dk_delete ;;
		0) return ;;
		*) ui_unknown ;;
		esac
	done
}
