#!/bin/sh
# SUMMARY: iSNS discovery domains (open-isns isnsd, DefaultDiscoveryDomain 0): minisand creates the configured DDs and puts each target in its own, an initiator in one DD sees only that DD's target, a reload withdraws a target from its DD (and puts it back by the DD_ID it learnt) and warns about a DD it cannot look up, membership is kept over a restart of minisand (found again by name) and rebuilt after isnsd loses its database
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/isns.sh"

ONE=$IQN.one
TWO=$IQN.two
INI=iqn.2026-11.org.minisan:initiator
CTL=iqn.2026-11.org.minisan:isnsadm
# with DefaultDiscoveryDomain 0 a node sees only nodes that share a
# discovery domain with it
isnsd_config 600 0
# two isnsadm identities: a control node (sees every DD and node) and the
# initiator (sees what DD membership allows it)
for who in ctl ini; do
	name=$CTL
	[ "$who" = ini ] && name=$INI
	cat >"$SCRATCH/$who.conf" <<EOF
ServerAddress = 127.0.0.1:$ISNS_PORT
ControlSocket = $SCRATCH/isnsctl
Security = 0
SourceName = $name
EOF
done

adm() { # adm ctl|ini ARGS...
	who=$1
	shift
	timeout 10 isnsadm --config "$SCRATCH/$who.conf" "$@" 2>&1 || true
}

# start_isnsd [keep]: isnsd_start, then the control node and the initiator
# node register
start_isnsd() {
	isnsd_start "$@"
	adm ctl --register entity=isnsadm-ctl "control=$CTL" |
		grep -q "Successfully registered" || fail "control node refused"
	adm ini --register entity=initiator-host "initiator=$INI" |
		grep -q "Successfully registered" || fail "initiator refused"
}

# dd_members NAME: the member names of the DD called NAME, one a line
dd_members() {
	adm ctl --list dds | awk -v dd="$1" '
		/^Object/ { cur = "" }
		/DD name = / { cur = $0; sub(/.*DD name = "/, "", cur);
			sub(/".*/, "", cur) }
		/DD member iSCSI name = / && cur == dd { m = $0;
			sub(/.*iSCSI name = "/, "", m); sub(/".*/, "", m);
			print m }'
}

# dd_id NAME: the DD_ID of the DD called NAME
dd_id() {
	adm ctl --list dds | awk -v dd="$1" '
		/DD ID = / { id = $NF }
		/DD name = / { n = $0; sub(/.*DD name = "/, "", n);
			sub(/".*/, "", n); if (n == dd) print id }'
}

# poll DESCRIPTION COMMAND...: until COMMAND succeeds, 20 s at most
poll() {
	what=$1
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		if [ "$i" -gt 80 ]; then
			echo "--- isnsadm --list dds:" >&2
			adm ctl --list dds >&2
			fail "$what"
		fi
		sleep 0.25
	done
}

members_are() { # members_are DD "NAME..." (sorted, space-separated)
	[ "$(dd_members "$1" | sort | tr '\n' ' ' | sed 's/ $//')" = "$2" ]
}
logged() { grep -q "$1" "$SCRATCH/minisand.log"; }
log_count() { grep -c "$1" "$SCRATCH/minisand.log" || true; }
# what the initiator sees of the targets
ini_sees() { adm ini --list nodes | grep -c "iSCSI name = \"$IQN" || true; }
ini_sees_one_only() {
	[ "$(ini_sees)" = 1 ] &&
		adm ini --list nodes | grep -q "iSCSI name = \"$ONE\""
}

a=$(make_lun a.img 16M)
b=$(make_lun b.img 16M)
conf="$SCRATCH/minisand.conf"
write_conf() { # write_conf DD-OF-TWO: one is in dd-a, two in DD-OF-TWO
	cat >"$conf" <<EOF
portal 127.0.0.1:$PORT
isns-server 127.0.0.1:$ISNS_PORT
isns-entity minisan-dd
isns-discovery-domain $1
target $ONE {
	isns-discovery-domain dd-a
	lun 0 $a
}
target $TWO {
	lun 0 $b
}
EOF
}

start_isnsd
# before minisand: the initiator sees no target (no DD, no default DD)
write_conf dd-b
start_minisand -v -c "$conf"

# minisand creates both DDs (one by the global default) and joins them
poll "one not in dd-a" members_are dd-a "$ONE"
poll "two not in dd-b" members_are dd-b "$TWO"
logged 'isns: created discovery domain "dd-a" (DD_ID [0-9]*) on' ||
	fail "creation of dd-a not logged"
logged "isns: 1 target(s) in discovery domain \"dd-b\"" ||
	fail "membership in dd-b not logged"
[ "$(ini_sees)" = 0 ] ||
	fail "initiator outside every DD sees targets: $(adm ini --list nodes)"

# the administrator puts the initiator into dd-a, by its DD_ID
ida=$(dd_id dd-a)
[ -n "$ida" ] || fail "no DD_ID for dd-a"
adm ctl --dd-register "dd-id=$ida" "member-name=$INI" >/dev/null
poll "initiator not in dd-a" members_are dd-a "$INI $ONE"
poll "initiator does not see exactly target one" ini_sees_one_only

# a DD created by the administrator without any of our targets: minisand
# cannot learn its DD_ID (only members see a DD) and says so
adm ctl --dd-register dd-name=dd-c >/dev/null
[ -n "$(dd_id dd-c)" ] || fail "dd-c not created by isnsadm"
# reload: two moves from dd-b to dd-c; it is withdrawn from dd-b
write_conf dd-c
kill -HUP "$DAEMON_PID"
poll "two not withdrawn from dd-b" members_are dd-b ""
poll "withdrawal not logged" logged \
	"isns: 1 target(s) withdrawn from discovery domain \"dd-b\""
poll "no warning about dd-c" logged \
	'discovery domain "dd-c" exists on .* but none of its members'
members_are dd-c "" || fail "dd-c got members: $(dd_members dd-c)"
members_are dd-a "$INI $ONE" || fail "dd-a changed on reload"
# and back: dd-b no longer shows itself to two, but minisand kept its DD_ID
write_conf dd-b
kill -HUP "$DAEMON_PID"
poll "two not back in dd-b after reload" members_are dd-b "$TWO"
[ "$(log_count 'created discovery domain "dd-b"')" = 1 ] ||
	fail "dd-b created twice"

# clean stop: the entity goes, the memberships stay (the DD is found again
# by name when the targets come back)
stop_minisand || fail "minisand did not exit cleanly"
logged "isns: deregistered from 127.0.0.1:$ISNS_PORT" ||
	fail "deregistration not logged"
[ "$(ini_sees)" = 0 ] || fail "initiator still sees targets after stop"
members_are dd-a "$INI $ONE" || fail "membership of one lost on stop"
write_conf dd-b
start_minisand -v -c "$conf"
poll "one not back in dd-a" logged \
	"isns: 1 target(s) in discovery domain \"dd-a\" (DD_ID $ida)"
logged 'created discovery domain "dd-a"' &&
	fail "dd-a created again instead of looked up"
poll "two not back in dd-b" members_are dd-b "$TWO"
poll "initiator does not see target one again" ini_sees_one_only

# isnsd restarts with an empty database: DDs and memberships are rebuilt
isnsd_stop
poll "lost connection not logged" logged \
	"isns: lost connection to 127.0.0.1:$ISNS_PORT"
start_isnsd
poll "one not in the new dd-a" members_are dd-a "$ONE"
poll "two not in the new dd-b" members_are dd-b "$TWO"
[ "$(log_count 'isns: created discovery domain "dd-a"')" = 1 ] ||
	fail "dd-a not created anew after isnsd lost its database"
kill -0 "$DAEMON_PID" || fail "minisand died"
stop_minisand || fail "minisand did not exit cleanly"
echo "155_isns_dd: ok"
