# minisan-setup: prompts and menus for an 80x24 dumb terminal (no colour, no
# cursor movement, no mouse): numbered lists, one answer per line, and every
# bad answer is refused with its reason and asked again. Sourced.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

# The last answer read by ui_read/ui_ask/ui_secret.
ANS=

# ui_eof: the terminal went away (hang-up, Ctrl-D): leave; on a console
# init starts the setup again.
ui_eof() {
	echo
	exit 0
}

ui_title() {
	echo
	echo "== $* =="
}

ui_err() {
	echo "  ! $*"
}

# ui_read PROMPT [DEFAULT]: one line into ANS, blanks trimmed; an empty
# line gives DEFAULT.
ui_read() {
	if [ -n "${2:-}" ]; then
		printf '%s [%s]: ' "$1" "$2"
	else
		printf '%s: ' "$1"
	fi
	IFS= read -r ANS || ui_eof
	ANS=$(printf '%s' "$ANS" | tr -d '\r' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
	[ -n "$ANS" ] || ANS=${2:-}
}

# ui_ask PROMPT DEFAULT CHECK [ARGS...]: asks until "CHECK ARGS... ANSWER"
# succeeds; CHECK prints why an answer is refused. An empty answer with no
# default cancels (returns 1).
ui_ask() {
	local prompt="$1" def="$2" check="$3" why
	shift 3
	while :; do
		ui_read "$prompt" "$def"
		[ -n "$ANS" ] || return 1
		if why=$("$check" "$@" "$ANS"); then
			return 0
		fi
		ui_err "$why"
	done
}

# ui_secret PROMPT: like ui_read, without echo.
ui_secret() {
	# Echo goes off before the prompt shows: an answer typed at once is
	# not echoed either.
	stty -echo 2>/dev/null
	printf '%s: ' "$1"
	IFS= read -r ANS || { stty echo 2>/dev/null; ui_eof; }
	stty echo 2>/dev/null
	echo
	ANS=$(printf '%s' "$ANS" | tr -d '\r')
}

# ui_yes PROMPT: y/N question; only y or yes is yes.
ui_yes() {
	while :; do
		ui_read "$1 (y/n)" n
		case "$ANS" in
		y | Y | yes | YES | Yes) return 0 ;;
		n | N | no | NO | No) return 1 ;;
		esac
		ui_err "answer y or n"
	done
}

# ui_typed WORD PROMPT: the answer must be WORD exactly (for what cannot be
# undone); anything else cancels.
ui_typed() {
	ui_read "$2"
	[ "$ANS" = "$1" ] && return 0
	echo "  Cancelled: you typed '$ANS', not '$1'. Nothing was changed."
	return 1
}

ui_pause() {
	printf 'Press Enter to continue: '
	IFS= read -r ANS || ui_eof
}

# ui_pick PROMPT N: a number from 1 to N into ANS; empty cancels (returns 1).
ui_pick() {
	while :; do
		ui_read "$1 (1-$2, Enter = back)"
		[ -n "$ANS" ] || return 1
		case "$ANS" in
		*[!0-9]*) ;;
		*) [ "$ANS" -ge 1 ] && [ "$ANS" -le "$2" ] && return 0 ;;
		esac
		ui_err "'$ANS' is not a number from 1 to $2"
	done
}

# ui_nth N LIST: the Nth line of LIST.
ui_nth() {
	printf '%s\n' "$2" | sed -n "${1}p"
}

# ui_count LIST: the number of non-empty lines.
ui_count() {
	printf '%s\n' "$1" | grep -c .
}

# ui_size BYTES: "96.0 MiB", "1.5 GiB".
ui_size() {
	awk -v b="$1" 'BEGIN {
		if (b >= 1099511627776) printf "%.1f TiB", b / 1099511627776
		else if (b >= 1073741824) printf "%.1f GiB", b / 1073741824
		else printf "%.1f MiB", b / 1048576 }'
}

# ui_choice MENU: reads a menu choice into ANS (lowercase, trimmed).
ui_choice() {
	ui_read "[$1] choice"
	ANS=$(printf '%s' "$ANS" | tr '[:upper:]' '[:lower:]')
}

# ui_unknown: the answer to a menu was none of its entries.
ui_unknown() {
	[ -z "$ANS" ] || ui_err "'$ANS' is not in the menu: type the number or letter in front of an entry"
}

# setup_changed WHAT: remembers an unsaved change, for the reminder in the
# main menu and before a reboot.
setup_changed() {
	case "$SETUP_UNSAVED" in
	*"$1"*) ;;
	*) SETUP_UNSAVED="${SETUP_UNSAVED:+$SETUP_UNSAVED, }$1" ;;
	esac
}
