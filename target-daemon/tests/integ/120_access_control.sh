#!/bin/sh
# SUMMARY: per-target initiator and source-network access lists: others neither see the target in SendTargets nor log in (status 0x0202, logged with name and address); SIGHUP changes apply at the next login; quick mode --allow
. "$(dirname "$0")/lib.sh"

GOOD=iqn.2026-11.org.example:allowed
BAD=iqn.2026-11.org.example:stranger
a=$(make_lun a.img 16M)
b=$(make_lun b.img 16M)
conf="$SCRATCH/minisand.conf"
write_conf() { # write_conf ALLOWED
	cat >"$conf" <<EOF2
portal 127.0.0.1:$PORT
target $IQN.private {
	allow-initiator $1
	lun 0 $a
}
target $IQN.public {
	lun 0 $b
}
EOF2
}
wait_log() {
	i=0
	until grep -q "$1" "$SCRATCH/minisand.log"; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && return 1
		sleep 0.05
	done
}
write_conf "$GOOD"
start_minisand -c "$conf"

out=$(iscsi-ls -i "$GOOD" "iscsi://127.0.0.1:$PORT" 2>&1) || fail "$out"
echo "$out" | grep -q "Target:$IQN.private" || fail "allowed initiator does not see its target"
out=$(iscsi-ls -i "$BAD" "iscsi://127.0.0.1:$PORT" 2>&1) || fail "$out"
echo "$out" | grep -q "Target:$IQN.public" || fail "public target not listed"
echo "$out" | grep -q "Target:$IQN.private" && fail "stranger sees the private target"

iscsi-inq -i "$GOOD" "iscsi://127.0.0.1:$PORT/$IQN.private/0" >/dev/null 2>&1 ||
	fail "allowed initiator cannot log in"
if iscsi-inq -i "$BAD" "iscsi://127.0.0.1:$PORT/$IQN.private/0" >/dev/null 2>&1; then
	fail "stranger logged in to the private target"
fi
grep "login failed (status 0x0202)" "$SCRATCH/minisand.log" | grep "$BAD" |
	grep -q "127.0.0.1:" || fail "refused login not logged with name and address"
iscsi-inq -i "$BAD" "iscsi://127.0.0.1:$PORT/$IQN.public/0" >/dev/null 2>&1 ||
	fail "stranger cannot use the public target"

# swap the list: applies at the next login
write_conf "$BAD"
kill -HUP "$DAEMON_PID"
wait_log "configuration reloaded" || fail "no reload"
if iscsi-inq -i "$GOOD" "iscsi://127.0.0.1:$PORT/$IQN.private/0" >/dev/null 2>&1; then
	fail "removed initiator still logs in after reload"
fi
iscsi-inq -i "$BAD" "iscsi://127.0.0.1:$PORT/$IQN.private/0" >/dev/null 2>&1 ||
	fail "newly allowed initiator refused after reload"
stop_minisand || fail "minisand did not exit cleanly"

# source networks: only 127.0.0.2 may reach the private target
cat >"$conf" <<EOF2
portal 127.0.0.1:$PORT
target $IQN.private {
	allow-network 127.0.0.2/32
	allow-network ::1/128
	lun 0 $a
}
EOF2
start_minisand -c "$conf"
if iscsi-inq -i "$GOOD" "iscsi://127.0.0.1:$PORT/$IQN.private/0" >/dev/null 2>&1; then
	fail "login from a network not on the list"
fi
grep "login failed (status 0x0202)" "$SCRATCH/minisand.log" |
	grep -q "127.0.0.1:" || fail "refusal by network not logged"
stop_minisand || fail "minisand did not exit cleanly"
sed -i 's|127.0.0.2/32|127.0.0.0/8|' "$conf"
start_minisand -c "$conf"
iscsi-inq -i "$GOOD" "iscsi://127.0.0.1:$PORT/$IQN.private/0" >/dev/null 2>&1 ||
	fail "login from an allowed network refused"
stop_minisand || fail "minisand did not exit cleanly"
printf 'portal 127.0.0.1:1\ntarget %s {\n\tallow-network 10.0.0.1/8\n}\n' \
	"$IQN" >"$SCRATCH/bad.conf"
if out=$("$MINISAND" -t -c "$SCRATCH/bad.conf" 2>&1); then
	fail "a network with host bits set was accepted"
fi
echo "$out" | grep -q "bad.conf:3:" || fail "no file:line in: $out"

# quick mode
lun=$(make_lun q.img 16M)
start_minisand --listen "127.0.0.1:$PORT" --target "$IQN" --lun "$lun" \
	--allow "$GOOD"
iscsi-inq -i "$GOOD" "iscsi://127.0.0.1:$PORT/$IQN/0" >/dev/null 2>&1 ||
	fail "quick mode: allowed initiator refused"
if iscsi-inq -i "$BAD" "iscsi://127.0.0.1:$PORT/$IQN/0" >/dev/null 2>&1; then
	fail "quick mode: stranger logged in"
fi
stop_minisand || fail "minisand did not exit cleanly"
echo "access lists enforced"
