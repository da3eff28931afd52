#!/bin/sh
# SUMMARY: a write acknowledged with FUA, and one followed by a completed SYNCHRONIZE CACHE, are on the backing store when minisand is killed with SIGKILL right after the acknowledgement
. "$(dirname "$0")/lib.sh"

tools=$(cd "$(dirname "$0")/tools" && pwd)
# on disk, not tmpfs: durability means the file system has the data
disk=$(mktemp -d "$OUT/durability.XXXXXX")
trap 'rm -rf "$disk"; cleanup' EXIT INT TERM
lun="$disk/lun0.img"
truncate -s 16M "$lun"
start_quick "$lun"
python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" durable-writes "$IQN" \
	>"$SCRATCH/client.out" 2>&1 &
client=$!
i=0
until grep -q acknowledged "$SCRATCH/client.out"; do
	i=$((i + 1))
	[ "$i" -gt 400 ] && fail "writes not acknowledged: $(cat "$SCRATCH/client.out")"
	sleep 0.05
done
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
wait "$client" || true
fua=$(dd if="$lun" bs=512 skip=1 count=1 2>/dev/null | tr -d F | wc -c)
sync=$(dd if="$lun" bs=512 skip=2 count=1 2>/dev/null | tr -d S | wc -c)
[ "$(dd if="$lun" bs=512 skip=1 count=1 2>/dev/null | wc -c)" -eq 512 ] ||
	fail "block 1 missing"
[ "$fua" -eq 0 ] || fail "FUA write lost after SIGKILL"
[ "$sync" -eq 0 ] || fail "synchronized write lost after SIGKILL"
echo "acknowledged writes survived SIGKILL"
