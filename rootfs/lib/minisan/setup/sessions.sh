# minisan-setup: who is connected (minisanctl show sessions, folded to fit
# 80 columns). Sourced.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

menu_sessions() {
	local conns
	ui_title "Sessions"
	if ! daemon_running; then
		ui_err "minisand is not running: nobody is connected"
		ui_pause
		return
	fi
	conns=$(ctl_table 2 sessions)
	ctl_table 1 sessions | while IFS="	" read -r tsih init isid tgt type nconn tasks _; do
		echo "session $tsih: $init (ISID $isid)"
		echo "    $type session to ${tgt:-discovery}, $nconn connection(s), $tasks command(s) in flight"
		printf '%s\n' "$conns" | awk -F'\t' -v s="$tsih" '$1 == s {
			printf "    connection %s from %s to %s, digests %s/%s\n", $2, $3, $4, $5, $6 }'
	done
	[ -n "$(ctl_table 1 sessions)" ] || echo "nobody is connected"
	ui_pause
}
