# minisan-setup: "save": minisan.conf through minisand (minisanctl save) and
# appliance.conf written here, both on the boot medium's FAT partition, each
# atomically (temporary file, sync, rename, sync): a power cut leaves the
# old file or the new one. Sourced.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

# setup_write_file DEST: stdin becomes DEST atomically.
setup_write_file() {
	local tmp="$1.tmp"
	if ! cat >"$tmp" || ! sync; then
		rm -f "$tmp"
		ui_err "cannot write $tmp (is $(dirname "$1") full or read-only?)"
		return 1
	fi
	mv "$tmp" "$1" && sync
}

# save_appliance_conf: appliance.conf from the settings and the arrays as
# they are now; arrays the old file names that do not exist now are kept
# (they are built at boot once there are enough blank disks) unless deleted
# here.
save_appliance_conf() {
	local md name level devs spares line count
	echo "# appliance.conf, written by minisan-setup on $(date '+%Y-%m-%d %H:%M')."
	echo "# Reference: docs/appliance.md; the console guide: docs/console.md."
	echo "hostname $CONF_HOSTNAME"
	if [ "$CONF_NET_MODE" = static ]; then
		echo "network static $CONF_NET_ADDRESS${CONF_NET_GATEWAY:+ gateway $CONF_NET_GATEWAY}${CONF_NET_DNS:+ dns$CONF_NET_DNS}"
	else
		echo "network dhcp"
	fi
	[ -z "$CONF_NET_IFACE" ] || echo "interface $CONF_NET_IFACE"
	echo "# Arrays are assembled at boot from their md superblocks; a line here"
	echo "# creates the array from blank disks if it does not exist."
	for md in $(dk_arrays); do
		name=${md##*/}
		level=$(mdadm --detail --export "$md" 2>/dev/null | sed -n 's/^MD_LEVEL=//p')
		devs=$(mdadm --detail "$md" 2>/dev/null | sed -n 's/^ *Raid Devices : //p')
		spares=$(mdadm --detail "$md" 2>/dev/null | sed -n 's/^ *Spare Devices : //p')
		line="array $name $level disks $devs"
		[ "${spares:-0}" -gt 0 ] && line="$line spares $spares"
		echo "$line"
	done
	echo "$CONF_ARRAYS" | while read -r name level count spares devs; do
		[ -n "$name" ] || continue
		[ -e "/dev/md/$name" ] && continue
		case " $SETUP_ARRAYS_DELETED " in *" $name "*) continue ;; esac
		if [ -n "$devs" ]; then
			echo "array $name $level devices $devs${spares:+ spares $spares}" | sed 's/ spares 0$//'
		else
			echo "array $name $level disks $count spares $spares" | sed 's/ spares 0$//'
		fi
	done
}

menu_save() {
	local out ok=1
	ui_title "Save to the boot medium ($CONFIG_DIR)"
	if ! grep -q " $CONFIG_DIR vfat " /proc/mounts; then
		ui_err "$CONFIG_DIR is not the boot medium (no partition labelled MINISAN): changes last until a reboot only"
	fi
	if daemon_running; then
		if out=$(ctl save); then
			echo "minisan.conf: $out"
		else
			ui_err "minisan.conf: $out"
			ok=0
		fi
	else
		echo "minisan.conf: kept as it is (minisand is not running)"
	fi
	if save_appliance_conf | setup_write_file "$CONFIG_DIR/appliance.conf"; then
		echo "appliance.conf: saved ($(grep -c '^array' "$CONFIG_DIR/appliance.conf") array line(s))"
	else
		ok=0
	fi
	if [ $ok = 1 ]; then
		# shellcheck disable=SC2034 # read by the main menu
		SETUP_UNSAVED=""
		echo "Saved. The next boot starts with this configuration."
	fi
}
