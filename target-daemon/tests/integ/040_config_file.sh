#!/bin/sh
# SUMMARY: minisand -c FILE serves several targets and portals (IPv4 and IPv6); -t checks files and names FILE:LINE on errors
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../../.." && pwd)
a=$(make_lun a.img 32M)
b=$(make_lun b.img 48M)
c=$(make_lun c.img 16M)
conf="$SCRATCH/minisand.conf"
cat >"$conf" <<EOF2
# two portals, two targets
portal 127.0.0.1:$PORT
portal [::1]:$PORT
target $IQN.one {
	alias "first target"
	lun 0 $a
	lun 3 $b {
		readonly yes
		serial SER-B
	}
}
target $IQN.two {
	lun 0 $c
}
EOF2
out=$("$MINISAND" -t -c "$conf" 2>&1) || fail "-t refused a good file: $out"
[ "$out" = "configuration OK" ] || fail "-t said: $out"

# the shipped examples are valid
for f in "$top"/configs/minisand.conf "$top"/configs/examples/*.conf; do
	out=$("$MINISAND" -t -c "$f" 2>&1) || fail "-t $f: $out"
done

# an error names the file and the line
printf 'portal 127.0.0.1:%s\ntarget %s {\n\tlun 0 %s\n\tlun 0 %s\n}\n' \
	"$PORT" "$IQN" "$a" "$b" >"$SCRATCH/bad.conf"
if out=$("$MINISAND" -t -c "$SCRATCH/bad.conf" 2>&1); then
	fail "-t accepted a duplicate LUN"
fi
echo "$out" | grep -q "$SCRATCH/bad.conf:4:" ||
	fail "error does not name bad.conf:4: $out"
echo "$out"
if out=$("$MINISAND" -t -c "$SCRATCH/missing.conf" 2>&1); then
	fail "-t accepted a missing file"
fi
echo "$out" | grep -q "missing.conf" || fail "no file name in: $out"

start_minisand -c "$conf"
out=$(iscsi-ls -s "iscsi://127.0.0.1:$PORT" 2>&1) || fail "iscsi-ls: $out"
echo "$out"
for t in one two; do
	echo "$out" | grep -q "Target:$IQN.$t Portal:127.0.0.1:$PORT,1" ||
		fail "target $t missing over IPv4"
	echo "$out" | grep -q "Target:$IQN.$t Portal:\[::1\]:$PORT,1" ||
		fail "target $t missing its IPv6 portal"
done
echo "$out" | grep -q "Lun:3 .*Size:47M" || fail "LUN 3 of target one missing"
out=$(iscsi-inq -e 1 -c 128 "iscsi://[::1]:$PORT/$IQN.one/3" 2>&1) ||
	fail "iscsi-inq over IPv6: $out"
echo "$out" | grep -q "Unit Serial Number:\[SER-B\]" ||
	fail "configured serial not reported: $out"
# read-only LUN refuses writes
head -c 512 /dev/urandom >"$SCRATCH/blk"
if qemu-img convert -n -f raw -O raw "$SCRATCH/blk" \
	"iscsi://127.0.0.1:$PORT/$IQN.one/3" 2>/dev/null; then
	fail "write to a read-only LUN succeeded"
fi
stop_minisand || fail "minisand did not exit cleanly"
