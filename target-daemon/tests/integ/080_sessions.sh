#!/bin/sh
# SUMMARY: two connections per session with CmdSN ordering across them, 120 commands pipelined in one write all answered in order, session reinstatement, NOP-In pings of idle connections, logout requested on SIGTERM
. "$(dirname "$0")/lib.sh"

tools=$(cd "$(dirname "$0")/tools" && pwd)
lun=$(make_lun lun0 16M)
start_quick "$lun"
for c in mcs-out-of-order reinstatement nop-ping pipelined-burst; do
	python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" "$c" "$IQN" ||
		fail "case $c"
done
grep -q "reinstating session" "$SCRATCH/minisand.log" ||
	fail "reinstatement not logged"

# SIGTERM: logged-in initiators are asked to log out, then minisand exits 0
python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" shutdown-logout "$IQN" \
	>"$SCRATCH/logout.out" 2>&1 &
client=$!
i=0
until grep -q ready "$SCRATCH/logout.out"; do
	i=$((i + 1))
	[ "$i" -gt 200 ] && fail "client did not log in"
	sleep 0.05
done
stop_minisand || fail "minisand did not exit cleanly"
wait "$client" || fail "shutdown: $(cat "$SCRATCH/logout.out")"
cat "$SCRATCH/logout.out"
grep -q "logout: closing session" "$SCRATCH/minisand.log" ||
	fail "the initiator's logout was not seen"
