# appliance.conf reader: hostname, network, md arrays and the iSNS server. Sourced by /init.
# Syntax (docs/appliance.md): one directive per line, words separated by
# blanks, "#" starts a comment:
#   hostname NAME
#   network dhcp | network static ADDRESS/PREFIX [gateway IP] [dns IP...]
#   interface NAME
#   array NAME raid0|raid1|raid5|raid6|raid10 disks N [spares N]
#   array NAME raidN devices DEV... [spares N]
#   isns-server on|off
# A bad line is reported as FILE:LINE: reason and skipped; the rest of the
# file still applies, so a typo never leaves a box unreachable.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

CONF_HOSTNAME=minisan
CONF_NET_MODE=dhcp
CONF_NET_ADDRESS=
CONF_NET_GATEWAY=
CONF_NET_DNS=
CONF_NET_IFACE=
# One array per line: NAME LEVEL COUNT SPARES [DEV...] (COUNT 0: devices given)
CONF_ARRAYS=
# on: run an iSNS server (open-isns isnsd) on port 3205
CONF_ISNS_SERVER=off
CONF_ERRORS=0

conf_error() {
	say "$1:$2: $3"
	CONF_ERRORS=$((CONF_ERRORS + 1))
}

is_number() {
	case "$1" in '' | *[!0-9]*) return 1 ;; esac
	return 0
}

is_ipv4() {
	echo "$1" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}$'
}

# conf_array FILE LINE WORDS...: one "array" line.
conf_array() {
	local file=$1 line=$2 name level count spares devices min
	shift 2
	[ $# -ge 4 ] || { conf_error "$file" "$line" "array needs NAME LEVEL disks N or devices DEV..."; return; }
	name=$1 level=$2
	shift 2
	echo "$name" | grep -Eq '^[A-Za-z0-9_-]{1,32}$' ||
		{ conf_error "$file" "$line" "array name '$name': use letters, digits, - and _ (at most 32)"; return; }
	case "$level" in
	raid0 | raid1 | raid5 | raid6 | raid10) ;;
	*) conf_error "$file" "$line" "array $name: level '$level' is not one of raid0 raid1 raid5 raid6 raid10"; return ;;
	esac
	count=0 spares=0 devices=
	while [ $# -gt 0 ]; do
		case "$1" in
		disks)
			is_number "${2:-}" || { conf_error "$file" "$line" "array $name: disks needs a number"; return; }
			count=$2
			shift 2
			;;
		spares)
			is_number "${2:-}" || { conf_error "$file" "$line" "array $name: spares needs a number"; return; }
			spares=$2
			shift 2
			;;
		devices)
			shift
			while [ $# -gt 0 ] && [ "$1" != spares ]; do
				case "$1" in
				/dev/*) devices="$devices $1" ;;
				*) conf_error "$file" "$line" "array $name: device '$1' is not a /dev path"; return ;;
				esac
				shift
			done
			;;
		*)
			conf_error "$file" "$line" "array $name: unknown word '$1' (expected disks, devices or spares)"
			return
			;;
		esac
	done
	if [ -n "$devices" ]; then
		set -- $devices
		count=$(($# - spares))
	fi
	min=2
	case "$level" in raid5) min=3 ;; raid6) min=4 ;; esac
	[ "$count" -ge "$min" ] ||
		{ conf_error "$file" "$line" "array $name: $level needs at least $min active disks, not $count"; return; }
	CONF_ARRAYS="${CONF_ARRAYS}$name $level $count $spares$devices
"
}

# conf_load FILE: reads FILE into the CONF_* variables.
conf_load() {
	local file=$1 n=0 raw text key addr ip prefix
	while IFS= read -r raw || [ -n "$raw" ]; do
		n=$((n + 1))
		text=${raw%%#*}
		# shellcheck disable=SC2086 # split the line into words
		set -- $text
		[ $# -eq 0 ] && continue
		key=$1
		shift
		case "$key" in
		hostname)
			if [ $# -eq 1 ] && echo "$1" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9-]{0,62}$'; then
				CONF_HOSTNAME=$1
			else
				conf_error "$file" "$n" "hostname needs one name of letters, digits and -"
			fi
			;;
		interface)
			if [ $# -eq 1 ]; then CONF_NET_IFACE=$1; else conf_error "$file" "$n" "interface needs one name"; fi
			;;
		network)
			case "${1:-}" in
			dhcp) CONF_NET_MODE=dhcp ;;
			static)
				addr=${2:-}
				ip=${addr%/*}
				prefix=${addr#*/}
				if ! is_ipv4 "$ip" || [ "$addr" = "$ip" ] || ! is_number "$prefix" || [ "$prefix" -gt 32 ]; then
					conf_error "$file" "$n" "network static needs ADDRESS/PREFIX, e.g. 192.168.1.10/24"
					continue
				fi
				CONF_NET_MODE=static CONF_NET_ADDRESS=$addr
				shift 2
				while [ $# -gt 0 ]; do
					case "$1" in
					gateway)
						is_ipv4 "${2:-}" || { conf_error "$file" "$n" "gateway needs an IPv4 address"; break; }
						CONF_NET_GATEWAY=$2
						shift 2
						;;
					dns)
						shift
						while [ $# -gt 0 ] && is_ipv4 "$1"; do
							CONF_NET_DNS="$CONF_NET_DNS $1"
							shift
						done
						;;
					*) conf_error "$file" "$n" "network static: unknown word '$1'"; break ;;
					esac
				done
				;;
			*) conf_error "$file" "$n" "network must be dhcp or static" ;;
			esac
			;;
		array) conf_array "$file" "$n" "$@" ;;
		isns-server)
			case "$#:${1:-}" in
			1:on | 1:off) CONF_ISNS_SERVER=$1 ;;
			*) conf_error "$file" "$n" "isns-server must be on or off" ;;
			esac
			;;
		*) conf_error "$file" "$n" "unknown directive '$key' (hostname, network, interface, array, isns-server)" ;;
		esac
	done <"$file"
}
