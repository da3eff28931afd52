#!/bin/sh
# SUMMARY: COMPARE AND WRITE is atomic against a concurrent writer: two sessions increment one counter block with it and no update is lost
. "$(dirname "$0")/lib.sh"

tools=$(cd "$(dirname "$0")/tools" && pwd)
lun=$(make_lun lun0 16M)
start_quick "$lun"
python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" caw-two-writers "$IQN" ||
	fail "caw-two-writers"
stop_minisand || fail "minisand did not exit cleanly"
