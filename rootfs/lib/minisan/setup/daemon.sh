# minisan-setup: talking to minisand through minisanctl, and getting it
# started again when its configuration could not start it. Sourced.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

SUPERVISOR_PID=/run/minisand-supervise.pid

# minisanctl, at MINISAN_SOCKET when that is set (tests on a build host).
msctl() {
	if [ -n "${MINISAN_SOCKET:-}" ]; then
		minisanctl -s "$MINISAN_SOCKET" "$@"
	else
		minisanctl "$@"
	fi
}

# ctl ARGS...: minisanctl; its error message (without the "minisanctl: "
# prefix) goes to stdout on failure, for ui_err.
ctl() {
	local out rc
	out=$(msctl "$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		printf '%s\n' "$out" | sed 's/^minisanctl: //'
	else
		printf '%s\n' "$out"
	fi
	return $rc
}

daemon_running() {
	msctl show portals >/dev/null 2>&1
}

# ctl_table N SHOW-WORD: minisanctl show's Nth table (tables are separated
# by a blank line) as tab-separated rows without the header. Columns are cut
# at the header's column starts, so values with blanks (aliases) survive.
ctl_table() {
	msctl show "$2" 2>/dev/null | awk -v want="$1" '
	BEGIN { t = 1; head = 1 }
	/^$/ { t++; head = 1; next }
	t != want { next }
	/^no [a-z]+$/ { next }
	head {
		n = 0
		for (i = 1; i <= length($0); i++)
			if (substr($0, i, 1) != " " && (i == 1 || substr($0, i - 1, 1) == " "))
				start[++n] = i
		cols = n; head = 0; next
	}
	{
		line = ""
		for (c = 1; c <= cols; c++) {
			len = (c < cols) ? start[c + 1] - start[c] : length($0)
			v = substr($0, start[c], len)
			gsub(/^ +| +$/, "", v)
			line = line (c > 1 ? "\t" : "") v
		}
		print line
	}'
}

# daemon_why: the last lines minisand logged, i.e. why it does not run.
daemon_why() {
	logread 2>/dev/null | grep 'minisand' | grep -v 'minisan: minisand stopped' |
		tail -n 2 | sed -e 's/^.*minisand[^:]*: //' -e 's/^/    /'
}

# daemon_nudge: asks the supervisor to start minisand now instead of after
# its back-off, then waits up to 20 s for the control socket. Returns 0 when
# minisand answers.
daemon_nudge() {
	local i=0
	if daemon_running; then
		echo "minisand is running."
		return 0
	fi
	[ -f "$SUPERVISOR_PID" ] && kill -USR1 "$(cat "$SUPERVISOR_PID")" 2>/dev/null
	printf 'Waiting for minisand to start '
	while [ $i -lt 40 ]; do
		if daemon_running; then
			echo
			echo "minisand is running."
			return 0
		fi
		printf '.'
		sleep 0.5
		i=$((i + 1))
	done
	echo " it does not start:"
	daemon_why
	return 1
}

# daemon_state: one line for menu headers.
daemon_state() {
	local n
	if daemon_running; then
		n=$(ctl_table 1 targets | grep -c .)
		echo "minisand running, $n target(s)"
	else
		echo "minisand NOT running (targets menu says why)"
	fi
}
