#!/bin/sh
# SUMMARY: iscsi-inq reads standard INQUIRY and VPD pages over IPv4 and IPv6 (::1)
. "$(dirname "$0")/lib.sh"

lun=$(make_lun lun0 64M)
start_minisand --listen "127.0.0.1:$PORT" --listen "[::1]:$PORT" \
	--target "$IQN" --lun "$lun"
for host in 127.0.0.1 "[::1]"; do
	out=$(iscsi-inq "iscsi://$host:$PORT/$IQN/0" 2>&1) ||
		fail "iscsi-inq via $host: $out"
	echo "$out" | grep -q "Peripheral Device Type:.*DIRECT_ACCESS" ||
		fail "via $host: not a direct-access device: $out"
	echo "$out" | grep -q "^Vendor:MINISAN" ||
		fail "via $host: vendor is not MINISAN: $out"
done
out=$(iscsi-inq -e 1 -c 128 "iscsi://127.0.0.1:$PORT/$IQN/0" 2>&1) ||
	fail "VPD 0x80: $out"
echo "$out" | grep -q "Unit Serial Number:\[.\+\]" || fail "no unit serial number: $out"
out=$(iscsi-inq -e 1 -c 131 "iscsi://127.0.0.1:$PORT/$IQN/0" 2>&1) ||
	fail "VPD 0x83: $out"
echo "$out" | grep -q "Designator Type:(3) NAA" || fail "no NAA designator: $out"
echo "$out" | grep -q "Designator:\[$IQN,t,0x0001\]" ||
	fail "no target port name designator: $out"
echo "$out"
