#!/bin/sh
# SUMMARY: 64 MiB written through QEMU's iscsi:// driver reads back identical (also with header digests, and after a restart)
. "$(dirname "$0")/lib.sh"

lun=$(make_lun lun0 128M)
start_quick "$lun"
head -c 64M /dev/urandom >"$SCRATCH/in.raw"
url="iscsi://127.0.0.1:$PORT/$IQN/0"
qemu-img convert -n -f raw -O raw "$SCRATCH/in.raw" "$url" ||
	fail "qemu-img convert to $url"
qemu-img convert -f raw -O raw "$url" "$SCRATCH/out.raw" ||
	fail "qemu-img convert from $url"
head -c 64M "$SCRATCH/out.raw" | cmp - "$SCRATCH/in.raw" ||
	fail "data read back differs"
# the same through a connection with CRC32C header digests
json='json:{"driver":"raw","file":{"driver":"iscsi","transport":"tcp",'
json="$json\"portal\":\"127.0.0.1:$PORT\",\"target\":\"$IQN\",\"lun\":0,"
json="$json\"header-digest\":\"crc32c\"}}"
qemu-img convert -O raw "$json" "$SCRATCH/out-hd.raw" ||
	fail "read with header digests"
head -c 64M "$SCRATCH/out-hd.raw" | cmp - "$SCRATCH/in.raw" ||
	fail "data read with header digests differs"
grep -q "HeaderDigest=CRC32C" "$SCRATCH/minisand.log" ||
	fail "header digest was not negotiated"
stop_minisand || fail "minisand did not exit cleanly"
# the data is on the backing file, not only in the daemon
head -c 64M "$lun" | cmp - "$SCRATCH/in.raw" ||
	fail "backing file differs after shutdown"
start_quick "$lun"
qemu-img convert -f raw -O raw "$url" "$SCRATCH/out2.raw" ||
	fail "qemu-img convert after restart"
head -c 64M "$SCRATCH/out2.raw" | cmp - "$SCRATCH/in.raw" ||
	fail "data differs after restart"
echo "64 MiB round trip OK"
