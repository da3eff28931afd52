# minisan-setup: the targets menu: targets, LUNs on arrays, partitions or
# files, access lists and CHAP, all through minisanctl (the running daemon
# changes at once; "save" writes minisan.conf). When minisand does not run
# (e.g. the default target names /dev/md/data and there is no such array
# yet), the menu says why and can take a target out of minisan.conf.
# Sourced.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

IQN_PREFIX=iqn.2026-11.org.minisan:
MINISAN_CONF=${MINISAN_CONF:-$CONFIG_DIR/minisan.conf}

tg_list() {
	local name alias luns sess chap user acls
	ui_title "Targets"
	ctl_table 1 targets | while IFS="	" read -r name alias luns sess chap user acls; do
		[ "$alias" = "-" ] && alias=
		[ "$user" = "-" ] && user=
		echo "$name${alias:+  \"$alias\"}"
		echo "    $luns LUN(s), $sess session(s), CHAP $chap${user:+ (user $user)}, $acls ACL entr(y/ies)"
		ctl_table 1 luns | awk -F'\t' -v t="$name" '$1 == t {
			printf "    LUN %-3s %s, %s bytes%s\n", $2, $3, $4, $6 == "yes" ? ", read-only" : "" }'
		ctl_table 1 acls | awk -F'\t' -v t="$name" '$1 == t { printf "    allow %s %s\n", $2, $3 }'
	done
	[ -n "$(ctl_table 1 targets)" ] || echo "no targets; create one with menu 2"
}

# tg_choose PROMPT: picks a target into TG.
tg_choose() {
	local list n i=0 t
	list=$(ctl_table 1 targets | cut -f1)
	n=$(ui_count "$list")
	[ "$n" -gt 0 ] || { ui_err "there is no target; create one first"; return 1; }
	for t in $list; do
		i=$((i + 1))
		printf ' %d) %s\n' "$i" "$t"
	done
	ui_pick "$1" "$n" || return 1
	TG=$(ui_nth "$ANS" "$list")
}

tg_sessions_of() {
	ctl_table 1 targets | awk -F'\t' -v t="$1" '$1 == t { print $4 }'
}

check_target_name() {
	case "$1" in
	iqn.* | eui.* | naa.*) ;;
	*[!a-z0-9.:-]*) echo "a short name takes lowercase letters, digits, '.', ':' and '-'"; return 1 ;;
	esac
	return 0
}

tg_create() {
	local name out
	ui_title "Create a target"
	echo "A full name (iqn./eui./naa.), or a short word: 'store' becomes ${IQN_PREFIX}store."
	while :; do
		ui_ask "Target name" "" check_target_name || return
		name=$ANS
		case "$name" in iqn.* | eui.* | naa.*) ;; *) name=$IQN_PREFIX$name ;; esac
		ui_read "Alias (a description; Enter: none)"
		if [ -n "$ANS" ]; then
			out=$(ctl target add "$name" alias "$ANS")
		else
			out=$(ctl target add "$name")
		fi && break
		ui_err "$out"
	done
	echo "Target $name created (it has no LUN yet)."
	setup_changed targets
	TG=$name
	ui_yes "Add its LUN 0 now?" && tg_lun_add_to "$TG"
}

tg_remove() {
	local sess force="" out
	ui_title "Remove a target"
	tg_choose "Target to remove" || return
	sess=$(tg_sessions_of "$TG")
	echo "Initiators lose $TG and its LUNs; the data on the arrays and files stays."
	if [ "${sess:-0}" -gt 0 ]; then
		echo "$sess session(s) are logged in to it and are ENDED."
		force=force
	fi
	ui_yes "Remove target $TG?" || { echo "Nothing was changed."; return; }
	if out=$(ctl target remove "$TG" $force); then
		echo "Target $TG removed."
		setup_changed targets
	else
		ui_err "$out"
	fi
}

# tg_next_lun TARGET: the lowest unused LUN number.
tg_next_lun() {
	local used n=0
	used=" $(ctl_table 1 luns | awk -F'\t' -v t="$1" '$1 == t { printf "%s ", $2 }')"
	while case "$used" in *" $n "*) true ;; *) false ;; esac; do
		n=$((n + 1))
	done
	echo $n
}

check_lun_number() {
	case "$1" in '' | *[!0-9]*) echo "a LUN number is 0 to 255"; return 1 ;; esac
	[ "$1" -le 255 ] || { echo "a LUN number is 0 to 255"; return 1; }
}

check_abs_path() {
	case "$1" in
	/*) return 0 ;;
	esac
	echo "write an absolute path, starting with /"
	return 1
}

check_size() {
	echo "$1" | grep -Eq '^[0-9]+[KMGT]?$' && return 0
	echo "write a size like 512M, 20G or 1T"
	return 1
}

# tg_pick_path: chooses a backing store into LUNPATH: an array, a partition
# or a file.
tg_pick_path() {
	local list n i=0 dev members
	echo " 1) a RAID array"
	echo " 2) a disk partition"
	echo " 3) a file"
	ui_pick "Backing store" 3 || return 1
	case "$ANS" in
	1)
		list=$(dk_arrays)
		n=$(ui_count "$list")
		[ "$n" -gt 0 ] || { ui_err "there is no array; create one in the disks menu"; return 1; }
		for dev in $list; do
			i=$((i + 1))
			printf ' %d) %-20s %s%s\n' "$i" "$dev" "$(ui_size "$(dk_bytes "$(readlink -f "$dev")")")" \
				"$(dk_luns_on "$dev" | sed 's/^/, used by /' | tr '\n' ' ')"
		done
		ui_pick "Array" "$n" || return 1
		LUNPATH=$(ui_nth "$ANS" "$list")
		;;
	2)
		members=" $(dk_md_members | tr '\n' ' ') "
		list=$(for dev in /sys/class/block/*; do
			[ -f "$dev/partition" ] || continue
			dev=${dev##*/}
			case "$members" in *" $dev "*) continue ;; esac
			[ -n "${BOOT_DISK:-}" ] && case "$dev" in "$BOOT_DISK"*) continue ;; esac
			echo "/dev/$dev"
		done)
		n=$(ui_count "$list")
		[ "$n" -gt 0 ] || { ui_err "there is no partition (outside arrays and the boot medium)"; return 1; }
		for dev in $list; do
			i=$((i + 1))
			printf ' %d) %-12s %s\n' "$i" "$dev" "$(ui_size "$(dk_bytes "$dev")")"
		done
		ui_pick "Partition" "$n" || return 1
		LUNPATH=$(ui_nth "$ANS" "$list")
		;;
	3)
		echo "The appliance's own file system is in RAM: a file there is gone after a"
		echo "reboot. Use a path on a mounted disk."
		ui_ask "File path" "" check_abs_path || return 1
		LUNPATH=$ANS
		if [ ! -e "$LUNPATH" ]; then
			ui_yes "$LUNPATH does not exist. Create it?" || return 1
			ui_ask "Size" "" check_size || return 1
			{ mkdir -p "$(dirname "$LUNPATH")" && truncate -s "$ANS" "$LUNPATH"; } ||
				{ ui_err "could not create $LUNPATH"; return 1; }
		fi
		;;
	esac
}

tg_lun_add_to() {
	local tgt="$1" lun ro="" out
	ui_ask "LUN number" "$(tg_next_lun "$tgt")" check_lun_number || return
	lun=$ANS
	while :; do
		tg_pick_path || return
		ui_yes "Read-only?" && ro="readonly"
		if out=$(ctl lun add "$tgt" "$lun" "$LUNPATH" $ro); then
			echo "LUN $lun of $tgt is $LUNPATH."
			setup_changed targets
			return
		fi
		ui_err "$out"
		ro=
	done
}

tg_lun_add() {
	ui_title "Add a LUN"
	tg_choose "Target" || return
	tg_lun_add_to "$TG"
}

tg_lun_remove() {
	local list n i=0 lun path sess force="" out
	ui_title "Remove a LUN"
	tg_choose "Target" || return
	list=$(ctl_table 1 luns | awk -F'\t' -v t="$TG" '$1 == t { print $2 "\t" $3 }')
	n=$(ui_count "$list")
	[ "$n" -gt 0 ] || { ui_err "$TG has no LUN"; return; }
	while IFS="	" read -r lun path; do
		i=$((i + 1))
		printf ' %d) LUN %s  %s\n' "$i" "$lun" "$path"
	done <<LIST
$list
LIST
	ui_pick "LUN to remove" "$n" || return
	lun=$(ui_nth "$ANS" "$list" | cut -f1)
	path=$(ui_nth "$ANS" "$list" | cut -f2)
	echo "Initiators lose LUN $lun; the data on $path stays."
	sess=$(tg_sessions_of "$TG")
	if [ "${sess:-0}" -gt 0 ]; then
		echo "$sess session(s) are logged in: their commands to LUN $lun FAIL from now on."
		force=force
	fi
	ui_yes "Remove LUN $lun of $TG?" || { echo "Nothing was changed."; return; }
	if out=$(ctl lun remove "$TG" "$lun" $force); then
		echo "LUN $lun removed."
		setup_changed targets
	else
		ui_err "$out"
	fi
}

check_acl_value() {
	case "$1" in
	iqn.* | eui.* | naa.*) return 0 ;;
	*/*) check_cidr "$1"; return ;;
	esac
	echo "write an initiator name (iqn.…) or a network ADDRESS/PREFIX"
	return 1
}

tg_acl() {
	local list n i=0 type value out
	ui_title "Access list"
	tg_choose "Target" || return
	while :; do
		list=$(ctl_table 1 acls | awk -F'\t' -v t="$TG" '$1 == t { print $2 "\t" $3 }')
		echo "Access list of $TG:"
		if [ -z "$list" ]; then
			echo "    empty: every initiator may log in (CHAP still applies)"
		else
			printf '%s\n' "$list" | awk -F'\t' '{ printf "    allow %s %s\n", $1, $2 }'
		fi
		echo " 1) allow an initiator name or a network"
		echo " 2) remove an entry"
		echo " 0) back"
		ui_choice acl
		case "$ANS" in
		1)
			echo "An initiator name (iqn.1993-08.org.debian:01:host1) or a network (10.0.0.0/24)."
			echo "Once the list has entries, only matching initiators may log in."
			while ui_ask "Allow" "" check_acl_value; do
				if out=$(ctl acl add "$TG" "$ANS"); then
					setup_changed targets
					break
				fi
				ui_err "$out"
			done
			;;
		2)
			n=$(ui_count "$list")
			[ "$n" -gt 0 ] || { ui_err "the list is empty"; continue; }
			i=0
			while IFS="	" read -r type value; do
				i=$((i + 1))
				printf ' %d) %s %s\n' "$i" "$type" "$value"
			done <<LIST
$list
LIST
			ui_pick "Entry to remove" "$n" || continue
			value=$(ui_nth "$ANS" "$list" | cut -f2)
			[ "$n" -eq 1 ] && echo "This is the last entry: then every initiator may log in."
			ui_yes "Remove $value?" || continue
			if out=$(ctl acl remove "$TG" "$value"); then
				setup_changed targets
			else
				ui_err "$out"
			fi
			;;
		0) return ;;
		*) ui_unknown ;;
		esac
	done
}

check_chap_user() {
	echo "$1" | grep -Eq '^[!-~]{1,255}$' && return 0
	echo "a user name is 1 to 255 printable characters, no blanks"
	return 1
}

# tg_read_secret WHAT: a CHAP secret, typed twice, into ANS.
tg_read_secret() {
	local first
	while :; do
		ui_secret "$1 (12 to 255 characters, not shown)"
		first=$ANS
		if [ ${#first} -lt 12 ] || [ ${#first} -gt 255 ]; then
			ui_err "the secret has ${#first} characters; it needs 12 to 255"
			continue
		fi
		ui_secret "The same secret again"
		[ "$ANS" = "$first" ] && return 0
		ui_err "the two secrets differ; again"
	done
}

tg_chap() {
	local user out
	ui_title "CHAP"
	tg_choose "Target" || return
	echo "CHAP of $TG: $(ctl_table 1 targets | awk -F'\t' -v t="$TG" '$1 == t { print $5 ($6 != "-" ? " (user " $6 ")" : "") }')"
	echo " 1) require CHAP: user and secret the initiator logs in with"
	echo " 2) mutual CHAP: user and secret this target answers with"
	echo " 3) no CHAP"
	echo " 0) back"
	ui_choice chap
	case "$ANS" in
	1 | 2)
		if [ "$ANS" = 1 ]; then
			set -- set "Initiator user name"
		else
			set -- mutual "Target user name"
		fi
		while :; do
			ui_ask "$2" "" check_chap_user || return
			user=$ANS
			tg_read_secret "Secret"
			if out=$(printf '%s\n' "$ANS" | ctl chap "$1" "$TG" "$user" -); then
				echo "CHAP ($1) is on for $TG from the next login on; sessions logged in stay."
				setup_changed targets
				return
			fi
			ui_err "$out"
		done
		;;
	3)
		echo "Then initiators log in to $TG without a secret (the access list still applies)."
		ui_yes "Turn CHAP off for $TG?" || return
		if out=$(ctl chap clear "$TG"); then
			setup_changed targets
		else
			ui_err "$out"
		fi
		;;
	0 | "") return ;;
	*) ui_unknown ;;
	esac
}

# tg_file_targets: the target names in minisan.conf.
tg_file_targets() {
	awk '{ sub(/#.*/, "") } $1 == "target" { n = $2; sub(/\{.*/, "", n); print n }' "$MINISAN_CONF"
}

# tg_file_remove NAME: minisan.conf without target NAME's block.
tg_file_remove() {
	awk -v name="$1" '
	!skip && $1 == "target" && ($2 == name || $2 == name "{") { skip = 1; depth = 0; opened = 0 }
	skip {
		line = $0; sub(/#.*/, "", line)
		o = gsub(/\{/, "{", line); c = gsub(/\}/, "}", line)
		depth += o - c
		if (o > 0) opened = 1
		if (opened && depth <= 0) skip = 0
		next
	}
	{ print }' "$MINISAN_CONF"
}

# tg_fix_file: minisand does not start; take a target out of the file.
tg_fix_file() {
	local list n i=0 t
	list=$(tg_file_targets)
	n=$(ui_count "$list")
	[ "$n" -gt 0 ] || { ui_err "$MINISAN_CONF names no target"; return; }
	for t in $list; do
		i=$((i + 1))
		printf ' %d) %s\n' "$i" "$t"
	done
	ui_pick "Target to take out of minisan.conf" "$n" || return
	t=$(ui_nth "$ANS" "$list")
	echo "Target $t and its LUNs, ACL and CHAP settings leave minisan.conf;"
	echo "the data on its disks stays."
	ui_yes "Remove $t from $MINISAN_CONF?" || { echo "Nothing was changed."; return; }
	tg_file_remove "$t" | setup_write_file "$MINISAN_CONF" || return
	echo "Removed; minisand starts with the rest."
	daemon_nudge
}

menu_targets() {
	while :; do
		ui_title "iSCSI targets"
		if ! daemon_running; then
			echo "minisand is not running, so targets cannot be changed. Its last words:"
			daemon_why
			echo "If a LUN names an array that does not exist yet (the default target uses"
			echo "/dev/md/data), create that array in the disks menu, or take the target out."
			echo " 1) try to start minisand now"
			echo " 2) take a target out of minisan.conf"
			echo " 0) back"
			ui_choice targets
			case "$ANS" in
			1) daemon_nudge ;;
			2) tg_fix_file ;;
			0) return ;;
			*) ui_unknown ;;
			esac
			continue
		fi
		echo " 1) list targets, LUNs and access lists"
		echo " 2) create a target"
		echo " 3) remove a target"
		echo " 4) add a LUN (array, partition or file)"
		echo " 5) remove a LUN"
		echo " 6) access list (which initiators may log in)"
		echo " 7) CHAP (login secrets)"
		echo " 0) back"
		ui_choice targets
		case "$ANS" in
		1) tg_list; ui_pause ;;
		2) tg_create ;;
		3) tg_remove ;;
		4) tg_lun_add ;;
		5) tg_lun_remove ;;
		6) tg_acl ;;
		7) tg_chap ;;
		0) return ;;
		*) ui_unknown ;;
		esac
	done
}
