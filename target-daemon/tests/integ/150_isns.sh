#!/bin/sh
# SUMMARY: iSNS (open-isns isnsd on loopback): targets, portal and portal group appear within seconds of start, survive the registration period by refreshes, follow a SIGHUP, disappear after a clean stop and reappear after isnsd restarts with an empty database
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/isns.sh"

# the server's registration period: short, so that refreshes are exercised
PERIOD=6
ONE=$IQN.one
TWO=$IQN.two
isnsd_config "$PERIOD" 1
cat >"$SCRATCH/isnsadm.conf" <<EOF
ServerAddress = 127.0.0.1:$ISNS_PORT
ControlSocket = $SCRATCH/isnsctl
Security = 0
SourceName = iqn.2026-11.org.minisan:isnsadm
EOF

# isns_list TYPE: what isnsd holds (nodes, portals, portal-groups, entities)
isns_list() {
	timeout 10 isnsadm --config "$SCRATCH/isnsadm.conf" --list "$1" 2>&1 ||
		true
}

# wait_isns TYPE PATTERN COUNT: poll until PATTERN matches COUNT lines of
# the list, 20 s at most
wait_isns() {
	i=0
	while [ "$(isns_list "$1" | grep -c "$2")" != "$3" ]; do
		i=$((i + 1))
		if [ "$i" -gt 80 ]; then
			echo "--- isnsadm --list $1:" >&2
			isns_list "$1" >&2
			return 1
		fi
		sleep 0.25
	done
}

wait_log() {
	i=0
	until grep -q "$1" "$SCRATCH/minisand.log"; do
		i=$((i + 1))
		[ "$i" -gt 400 ] && return 1
		sleep 0.05
	done
}

a=$(make_lun a.img 16M)
b=$(make_lun b.img 16M)
conf="$SCRATCH/minisand.conf"
write_conf() { # write_conf [with-two]
	cat >"$conf" <<EOF
portal 127.0.0.1:$PORT
portal-group-tag 7
isns-server 127.0.0.1:$ISNS_PORT
isns-entity minisan-integ
target $ONE {
	alias "disk one"
	lun 0 $a
}
EOF
	if [ "${1:-}" = with-two ]; then
		printf 'target %s {\n\tlun 0 %s\n}\n' "$TWO" "$b" >>"$conf"
	fi
}

isnsd_start
write_conf with-two
start_minisand -v -c "$conf"

# registration: both targets, the portal, the portal groups with tag 7
wait_isns nodes "iSCSI name = \"$IQN\.\(one\|two\)\"" 2 ||
	fail "targets not registered"
isns_list nodes | grep -q "iSCSI alias = \"disk one\"" ||
	fail "alias not registered"
isns_list nodes | grep -q "iSCSI node type = Target" ||
	fail "node type not Target"
isns_list portals | grep -q "Portal IP address = 127.0.0.1" ||
	fail "portal address missing"
isns_list portals | grep -q "Portal TCP/UDP port = $PORT/tcp" ||
	fail "portal port missing"
[ "$(isns_list portal-groups | grep -c "Portal group tag = 7")" = 2 ] ||
	fail "portal groups with tag 7 missing: $(isns_list portal-groups)"
isns_list entities | grep -q 'Entity identifier = "minisan-integ"' ||
	fail "entity missing"
grep -q "isns: registered 2 target(s) and 1 portal(s) with 127.0.0.1:$ISNS_PORT" \
	"$SCRATCH/minisand.log" || fail "registration not logged"

# the server's period (6 s) passes three times over thanks to refreshes
i=0
while [ "$(grep -c "registration with .* refreshed" \
	"$SCRATCH/minisand.log")" -lt 4 ]; do
	i=$((i + 1))
	[ "$i" -gt 400 ] && fail "no registration refreshes"
	sleep 0.05
done
wait_isns nodes "iSCSI name = \"$IQN\.\(one\|two\)\"" 2 ||
	fail "registration expired despite refreshes"

# a reload without target two: it leaves the server too
write_conf
kill -HUP "$DAEMON_PID"
wait_isns nodes "iSCSI name = \"$TWO\"" 0 || fail "target two not removed"
wait_isns nodes "iSCSI name = \"$ONE\"" 1 || fail "target one lost on reload"
wait_log "isns: registered 1 target(s)" || fail "re-registration not logged"

# clean stop: everything is deregistered
stop_minisand || fail "minisand did not exit cleanly"
grep -q "isns: deregistered from 127.0.0.1:$ISNS_PORT" \
	"$SCRATCH/minisand.log" || fail "deregistration not logged"
# minisand waited for isnsd's answer before exiting, so this holds at once
# (not only after the registration period, when isnsd would expire them)
[ "$(isns_list nodes | grep -c "iSCSI name")" = 0 ] ||
	fail "targets still registered after stop: $(isns_list nodes)"
[ "$(isns_list portals | grep -c "Portal IP address")" = 0 ] ||
	fail "portal still registered after stop"

# again, then isnsd restarts with an empty database: minisand re-registers
write_conf with-two
start_minisand -v -c "$conf"
wait_isns nodes "iSCSI name = \"$IQN\.\(one\|two\)\"" 2 ||
	fail "targets not registered after restart of minisand"
isnsd_stop
wait_log "isns: lost connection to 127.0.0.1:$ISNS_PORT" ||
	fail "lost connection not logged"
isnsd_start
wait_isns nodes "iSCSI name = \"$IQN\.\(one\|two\)\"" 2 ||
	fail "targets not registered again after isnsd restart"
isns_list portals | grep -q "Portal TCP/UDP port = $PORT/tcp" ||
	fail "portal not registered again"
kill -0 "$DAEMON_PID" || fail "minisand died"
stop_minisand || fail "minisand did not exit cleanly"
echo "150_isns: ok"
