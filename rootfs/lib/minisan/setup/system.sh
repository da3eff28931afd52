# minisan-setup: shell, reboot and power off. Sourced.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

setup_shell() {
	echo "A root shell; type exit to come back to the setup menu."
	(cd /root 2>/dev/null || cd /; exec /bin/sh -l)
	# The shell may have left the terminal without echo.
	[ -n "$SETUP_STTY" ] && stty "$SETUP_STTY" 2>/dev/null
}

# setup_leave WHAT CMD: reboot or power off after the unsaved changes are
# saved or knowingly dropped.
setup_leave() {
	ui_title "$1"
	if [ -n "$SETUP_UNSAVED" ]; then
		echo "Unsaved changes: $SETUP_UNSAVED."
		if ui_yes "Save them first?"; then
			menu_save
		else
			echo "They are lost: the next boot uses the saved configuration."
		fi
	fi
	echo "iSCSI sessions end; initiators reconnect when the box is back."
	ui_yes "$1 now?" || return
	"$2"
	# init takes over; keep the console quiet until then.
	sleep 60
}
