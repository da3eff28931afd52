# Network at boot: DHCP or a static address on one interface (the one
# appliance.conf names, or the first Ethernet interface). Sourced by /init.
# For busybox ash, which has "local" (the one extension to POSIX sh used).

net_iface() {
	local sys name
	if [ -n "$CONF_NET_IFACE" ]; then
		echo "$CONF_NET_IFACE"
		return
	fi
	for sys in /sys/class/net/*; do
		name=${sys##*/}
		[ "$name" = lo ] && continue
		[ "$(cat "$sys/type" 2>/dev/null)" = 1 ] || continue
		echo "$name"
		return
	done
}

# net_addresses IFACE: its IPv4 addresses, blank-separated, without prefix.
net_addresses() {
	ip -4 -o addr show dev "$1" 2>/dev/null | awk '{ sub("/.*", "", $4); printf "%s ", $4 }'
}

net_up() {
	local iface addrs server
	ip link set lo up
	iface=$(net_iface)
	if [ -z "$iface" ] || [ ! -e "/sys/class/net/$iface" ]; then
		say "minisan: no network interface${CONF_NET_IFACE:+ named $CONF_NET_IFACE} found; iSCSI is not reachable"
		say "minisan:   interfaces seen: $(ls /sys/class/net | tr '\n' ' ')"
		return 1
	fi
	ip link set "$iface" up
	if [ "$CONF_NET_MODE" = static ]; then
		ip addr add "$CONF_NET_ADDRESS" dev "$iface"
		[ -z "$CONF_NET_GATEWAY" ] || ip route add default via "$CONF_NET_GATEWAY"
		: >/etc/resolv.conf
		for server in $CONF_NET_DNS; do
			echo "nameserver $server" >>/etc/resolv.conf
		done
	else
		# Wait up to ~10 s for a lease at boot, then keep trying (and renewing)
		# in the background so a late DHCP server still gets us an address.
		udhcpc -i "$iface" -b -t 5 -T 2 -S -x "hostname:$CONF_HOSTNAME" \
			-p "/run/udhcpc.$iface.pid" -s /usr/share/udhcpc/default.script \
			>/dev/null 2>&1
	fi
	addrs=$(net_addresses "$iface")
	if [ -z "$addrs" ]; then
		say "minisan: $iface has no address yet ($CONF_NET_MODE); still trying in the background"
		return 1
	fi
	say "$MARK_NETWORK: $iface $CONF_NET_MODE $addrs"
	NET_IFACE=$iface
	NET_ADDRESSES=$addrs
}
