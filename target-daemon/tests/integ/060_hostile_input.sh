#!/bin/sh
# SUMMARY: malformed logins and PDUs get the RFC 7143 status or a closed connection, CRC32C digests are checked both ways, one initiator cannot take every session, floods of large commands stay within the session's data-buffer budget, and a well-behaved session keeps working
. "$(dirname "$0")/lib.sh"

tools=$(cd "$(dirname "$0")/tools" && pwd)
lun=$(make_lun lun0 64M)
start_quick "$lun"
for c in non-login-first unknown-target missing-initiator bad-version \
	oversize-segment garbage bad-key data-digest; do
	python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" "$c" "$IQN" ||
		fail "case $c"
done
python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" half-open-flood "$IQN" ||
	fail "case half-open-flood"
python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" initiator-session-cap "$IQN" ||
	fail "case initiator-session-cap"
# 1 GiB of READs, 128 MiB of WRITEs: memory stays within the session's
# data-buffer budget (8 MiB at MaxBurstLength 262144, param_data_budget);
# immediate commands beyond the window are rejected
for c in write-flood read-flood flood-close immediate-flood; do
	MINISAND_PID=$DAEMON_PID BUDGET_MIB=8 \
		python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" "$c" "$IQN" ||
		fail "case $c"
done
out=$(iscsi-inq "iscsi://127.0.0.1:$PORT/$IQN/0" 2>&1) ||
	fail "iscsi-inq after the hostile cases: $out"
kill -0 "$DAEMON_PID" || fail "minisand died"
grep -q "login failed (status 0x0203)" "$SCRATCH/minisand.log" ||
	fail "failed login not logged with its status"
stop_minisand || fail "minisand did not exit cleanly"
