#!/bin/sh
# SUMMARY: persistent reservations registered with APTPL survive a restart of minisand (state file written atomically); without APTPL they are gone
. "$(dirname "$0")/lib.sh"

tools=$(cd "$(dirname "$0")/tools" && pwd)
lun=$(make_lun lun0 16M)
state="$SCRATCH/state"
pr() {
	python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" "$1" "$IQN" || fail "$1"
}
start_minisand --listen "127.0.0.1:$PORT" --target "$IQN" --lun "$lun" \
	--state-dir "$state"
pr pr-aptpl-set
ls "$state"/pr-* >/dev/null 2>&1 || fail "no reservation state file in $state"
stop_minisand || fail "minisand did not exit cleanly"
start_minisand --listen "127.0.0.1:$PORT" --target "$IQN" --lun "$lun" \
	--state-dir "$state"
pr pr-aptpl-check
pr pr-plain-set
if ls "$state"/pr-* >/dev/null 2>&1; then
	fail "state file kept after APTPL was cleared"
fi
stop_minisand || fail "minisand did not exit cleanly"
start_minisand --listen "127.0.0.1:$PORT" --target "$IQN" --lun "$lun" \
	--state-dir "$state"
pr pr-plain-check
stop_minisand || fail "minisand did not exit cleanly"
