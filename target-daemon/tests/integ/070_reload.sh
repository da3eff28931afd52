#!/bin/sh
# SUMMARY: SIGHUP applies an edited config file (targets, LUNs, portals added and removed); a broken file leaves the running configuration untouched
. "$(dirname "$0")/lib.sh"

a=$(make_lun a.img 32M)
b=$(make_lun b.img 16M)
c=$(make_lun c.img 8M)
conf="$SCRATCH/minisand.conf"
write_conf() { # write_conf BODY
	printf 'portal 127.0.0.1:%s\n%s\n' "$PORT" "$1" >"$conf"
}
# wait_log PATTERN: poll the daemon log for a line, 10 s at most
wait_log() {
	i=0
	until grep -q "$1" "$SCRATCH/minisand.log"; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && return 1
		sleep 0.05
	done
}
write_conf "target $IQN.one {
	lun 0 $a
}"
start_minisand -c "$conf"
iscsi-ls -s "iscsi://127.0.0.1:$PORT" | grep -q "Target:$IQN.one" ||
	fail "target one missing at start"

# add a target, a LUN and an IPv6 portal
write_conf "portal [::1]:$PORT
target $IQN.one {
	lun 0 $a
	lun 1 $b
}
target $IQN.two {
	lun 0 $c
}"
kill -HUP "$DAEMON_PID"
wait_log "configuration reloaded" || fail "no reload logged"
out=$(iscsi-ls -s "iscsi://[::1]:$PORT" 2>&1) || fail "iscsi-ls over IPv6: $out"
echo "$out"
echo "$out" | grep -q "Target:$IQN.two" || fail "target two not added"
echo "$out" | grep -q "Lun:1 .*Size:15M" || fail "LUN 1 not added"

# a broken file changes nothing
printf 'portal 127.0.0.1:%s\ntarget %s {\n\tlun 0 %s\n' "$PORT" "$IQN.one" \
	"$a" >"$conf"
kill -HUP "$DAEMON_PID"
wait_log "reload refused" || fail "broken file not refused"
grep "reload refused" "$SCRATCH/minisand.log" | grep -q "minisand.conf:" ||
	fail "refusal does not name the file and line"
iscsi-ls -s "iscsi://127.0.0.1:$PORT" | grep -q "Target:$IQN.two" ||
	fail "running configuration changed by a broken file"

# remove target two and the IPv6 portal again
write_conf "target $IQN.one {
	lun 0 $a
}"
kill -HUP "$DAEMON_PID"
wait_log "target $IQN.two removed" || fail "removal not logged"
out=$(iscsi-ls -s "iscsi://127.0.0.1:$PORT" 2>&1) || fail "iscsi-ls: $out"
echo "$out" | grep -q "Target:$IQN.two" && fail "target two still listed"
echo "$out" | grep -q "Lun:1" && fail "LUN 1 still listed"
if iscsi-ls -s "iscsi://[::1]:$PORT" >/dev/null 2>&1; then
	fail "IPv6 portal still listening"
fi
kill -0 "$DAEMON_PID" || fail "minisand died"
stop_minisand || fail "minisand did not exit cleanly"
