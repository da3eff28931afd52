#!/bin/sh
# SUMMARY: SendTargets discovery through libiscsi's iscsi-ls lists the target and its portal
. "$(dirname "$0")/lib.sh"

lun=$(make_lun lun0 64M)
start_quick "$lun"
out=$(iscsi-ls -s "iscsi://127.0.0.1:$PORT" 2>&1) || fail "iscsi-ls: $out"
echo "$out"
echo "$out" | grep -q "Target:$IQN Portal:127.0.0.1:$PORT,1" ||
	fail "target or portal missing from SendTargets"
echo "$out" | grep -q "Lun:0 .*Type:DIRECT_ACCESS" ||
	fail "LUN 0 not reported as a disk"
stop_minisand || fail "minisand did not exit cleanly on SIGTERM"
