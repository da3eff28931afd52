# minisan-setup: the network menu. Changes go into the CONF_NET_* and
# CONF_HOSTNAME variables (read from appliance.conf at start), are applied
# on request and written by "save". Sourced.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

# check_ipv4 ADDR: dotted quad, each number 0-255.
check_ipv4() {
	local IFS=. n
	is_ipv4 "$1" || { echo "'$1' is not an IPv4 address like 192.168.1.10"; return 1; }
	# shellcheck disable=SC2086 # split at the dots
	set -- $1
	for n in "$@"; do
		[ "$n" -le 255 ] || { echo "$n is more than 255"; return 1; }
	done
}

check_cidr() {
	local ip="${1%/*}" prefix="${1#*/}"
	if [ "$ip" = "$1" ] || ! is_number "$prefix" || [ "$prefix" -lt 1 ] || [ "$prefix" -gt 32 ]; then
		echo "write ADDRESS/PREFIX, e.g. 192.168.1.10/24 (prefix 1-32)"
		return 1
	fi
	check_ipv4 "$ip"
}

check_hostname() {
	echo "$1" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9-]{0,62}$' && return 0
	echo "use letters, digits and - (not first), at most 63"
	return 1
}

# check_ipv4_list "A B": blank-separated addresses, or "none".
check_ipv4_list() {
	local a
	[ "$1" = none ] && return 0
	for a in $1; do
		check_ipv4 "$a" || return 1
	done
}

check_gateway() {
	[ "$1" = none ] && return 0
	check_ipv4 "$1"
}

net_show() {
	local iface addrs gw
	iface=$(net_iface)
	addrs=$(ip -4 -o addr show dev "$iface" 2>/dev/null | awk '{ printf "%s ", $4 }')
	gw=$(ip route 2>/dev/null | awk '$1 == "default" { print $3; exit }')
	echo "Now:     ${iface:-no interface}: ${addrs:-no address} gateway ${gw:-none}, DNS $(awk '$1 == "nameserver" { printf "%s ", $2 }' /etc/resolv.conf 2>/dev/null)"
	echo "         hostname $(hostname)"
	if [ "$CONF_NET_MODE" = static ]; then
		echo "Setting: static $CONF_NET_ADDRESS gateway ${CONF_NET_GATEWAY:-none} DNS${CONF_NET_DNS:- none}"
	else
		echo "Setting: DHCP"
	fi
	echo "         hostname $CONF_HOSTNAME, interface ${CONF_NET_IFACE:-first Ethernet ($iface)}"
}

# net_apply: the settings take effect now (the address may change: an
# initiator or a remote console on the old one loses its connection).
net_apply() {
	local iface pidf
	iface=$(net_iface)
	[ -n "$iface" ] || { ui_err "no network interface found"; return 1; }
	pidf=/run/udhcpc.$iface.pid
	[ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null
	rm -f "$pidf"
	ip route flush dev "$iface" 2>/dev/null
	ip addr flush dev "$iface" 2>/dev/null
	hostname "$CONF_HOSTNAME"
	echo "$CONF_HOSTNAME" >/etc/hostname
	# shellcheck disable=SC2034 # read by net_up
	NET_IFACE="" NET_ADDRESSES=""
	net_up
}

menu_network() {
	while :; do
		ui_title "Network"
		net_show
		echo " 1) use DHCP"
		echo " 2) static address"
		echo " 3) gateway (static only)"
		echo " 4) DNS servers (static only)"
		echo " 5) hostname"
		echo " 6) apply now (the address may change)"
		echo " 0) back"
		ui_choice network
		case "$ANS" in
		1)
			CONF_NET_MODE=dhcp
			setup_changed network
			echo "DHCP is set; '6' applies it now, 'save' keeps it."
			;;
		2)
			ui_ask "Address/prefix" "$CONF_NET_ADDRESS" check_cidr || continue
			CONF_NET_MODE=static CONF_NET_ADDRESS=$ANS
			setup_changed network
			ui_ask "Gateway (none: no gateway)" "${CONF_NET_GATEWAY:-none}" check_gateway || continue
			CONF_NET_GATEWAY=$ANS
			[ "$ANS" = none ] && CONF_NET_GATEWAY=
			ui_ask "DNS servers, blank-separated (none: no DNS)" "$(echo "${CONF_NET_DNS:-none}" | sed 's/^ *//')" check_ipv4_list || continue
			CONF_NET_DNS=" $ANS"
			[ "$ANS" = none ] && CONF_NET_DNS=
			;;
		3 | 4)
			if [ "$CONF_NET_MODE" != static ]; then
				ui_err "with DHCP the DHCP server gives these; choose 2 for a static address first"
				continue
			fi
			if [ "$ANS" = 3 ]; then
				ui_ask "Gateway (none: no gateway)" "${CONF_NET_GATEWAY:-none}" check_gateway || continue
				CONF_NET_GATEWAY=$ANS
				[ "$ANS" = none ] && CONF_NET_GATEWAY=
			else
				ui_ask "DNS servers, blank-separated (none: no DNS)" "$(echo "${CONF_NET_DNS:-none}" | sed 's/^ *//')" check_ipv4_list || continue
				CONF_NET_DNS=" $ANS"
				[ "$ANS" = none ] && CONF_NET_DNS=
			fi
			setup_changed network
			;;
		5)
			ui_ask "Hostname" "$CONF_HOSTNAME" check_hostname || continue
			CONF_HOSTNAME=$ANS
			hostname "$CONF_HOSTNAME"
			echo "$CONF_HOSTNAME" >/etc/hostname
			setup_changed hostname
			;;
		6)
			echo "Connections over $(net_iface) drop if its address changes."
			ui_yes "Apply the network settings now?" || continue
			net_apply || ui_err "no address yet; DHCP keeps trying in the background"
			;;
		0) return ;;
		*) ui_unknown ;;
		esac
	done
}
