#!/bin/sh
# SUMMARY: two connections per session with CmdSN ordering across them, session reinstatement, and NOP-In pings of idle connections
. "$(dirname "$0")/lib.sh"

tools=$(cd "$(dirname "$0")/tools" && pwd)
lun=$(make_lun lun0 16M)
start_quick "$lun"
for c in mcs-out-of-order reinstatement nop-ping; do
	python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" "$c" "$IQN" ||
		fail "case $c"
done
grep -q "reinstating session" "$SCRATCH/minisand.log" ||
	fail "reinstatement not logged"
stop_minisand || fail "minisand did not exit cleanly"
