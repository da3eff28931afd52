# say: one boot message, on the console (the serial line) and on the screen.
# Sourced.
say() {
	echo "$*"
	if [ -c /dev/tty1 ] && [ "$(readlink -f /proc/self/fd/1 2>/dev/null)" != /dev/tty1 ]; then
		echo "$*" >/dev/tty1 2>/dev/null || true
	fi
	logger -t minisan -- "$*" 2>/dev/null || true
}
