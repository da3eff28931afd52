#!/bin/sh
# SUMMARY: libiscsi's iscsi-test-cu -d against minisand and tgt in one run: per-suite table, no iSCSI.* failure, minisand passes at least as many tests as tgt
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../../.." && pwd)
TGT_PORT=$(free_port)
TGT_CTL=$(( $(od -An -N1 -tu1 /dev/urandom) % 100 + 100 ))
TGT_IQN=iqn.2026-11.org.minisan:tgt-reference
TGT_PID=""

# tgtd keeps running while it has targets: stop it with a signal, and make
# sure it is gone before the scratch files are removed.
stop_tgt() {
	[ -n "$TGT_PID" ] || return 0
	kill -TERM "$TGT_PID" 2>/dev/null || true
	i=0
	while kill -0 "$TGT_PID" 2>/dev/null && [ "$i" -lt 100 ]; do
		i=$((i + 1))
		sleep 0.05
	done
	kill -KILL "$TGT_PID" 2>/dev/null || true
	wait "$TGT_PID" 2>/dev/null || true
	TGT_PID=""
}
trap 'stop_tgt; cleanup' EXIT INT TERM

iscsi-test-cu -l >"$SCRATCH/suites.txt"

# minisand: the suite needs a LUN it may destroy (-d)
lun=$(make_lun lun0 256M)
start_quick "$lun"
timeout 1200 iscsi-test-cu -d "iscsi://127.0.0.1:$PORT/$IQN/0" \
	>"$SCRATCH/minisand-cu.log" 2>&1 || true
python3 "$top/ci/cu_summary.py" "$SCRATCH/suites.txt" \
	"$SCRATCH/minisand-cu.log" >"$SCRATCH/minisand.sum"
kill -0 "$DAEMON_PID" || fail "minisand died during iscsi-test-cu"
stop_minisand || fail "minisand did not exit cleanly after iscsi-test-cu"

# tgt 1.0.85 from Debian, the same way: one LUN of the same size
truncate -s 256M "$SCRATCH/tgt.img"
tgtd -f --iscsi "portal=127.0.0.1:$TGT_PORT" -C "$TGT_CTL" \
	>"$SCRATCH/tgtd.log" 2>&1 &
TGT_PID=$!
i=0
until tgtadm -C "$TGT_CTL" --op show --mode system >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -gt 200 ] && fail "tgtd did not start"
	sleep 0.05
done
tgtadm -C "$TGT_CTL" --lld iscsi --op new --mode target --tid 1 \
	-T "$TGT_IQN" || fail "tgtadm target"
tgtadm -C "$TGT_CTL" --lld iscsi --op new --mode logicalunit --tid 1 \
	--lun 1 -b "$SCRATCH/tgt.img" || fail "tgtadm lun"
tgtadm -C "$TGT_CTL" --lld iscsi --op bind --mode target --tid 1 -I ALL ||
	fail "tgtadm bind"
wait_port 127.0.0.1 "$TGT_PORT" || fail "tgtd did not listen"
timeout 1200 iscsi-test-cu -d "iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/1" \
	>"$SCRATCH/tgt-cu.log" 2>&1 || true
python3 "$top/ci/cu_summary.py" "$SCRATCH/suites.txt" \
	"$SCRATCH/tgt-cu.log" >"$SCRATCH/tgt.sum"
stop_tgt

# the table: suite, then passed/failed/skipped for minisand and tgt
echo "TABLE $(printf '%-44s %-16s %s' 'suite' 'minisand p/f/s' 'tgt p/f/s')"
join "$SCRATCH/minisand.sum" "$SCRATCH/tgt.sum" | while read -r s mp mf ms tp tf ts; do
	echo "TABLE $(printf '%-44s %-16s %s' "$s" "$mp/$mf/$ms" "$tp/$tf/$ts")"
done
set -- $(grep '^TOTAL' "$SCRATCH/minisand.sum")
m_pass=$2 m_fail=$3
set -- $(grep '^TOTAL' "$SCRATCH/tgt.sum")
t_pass=$2
iscsi_fail=$(awk '$1 ~ /^iSCSI\./ { f += $3 } END { print f + 0 }' \
	"$SCRATCH/minisand.sum")

echo "minisand: $m_pass passed, $m_fail failed; tgt: $t_pass passed"
if [ "$iscsi_fail" -ne 0 ]; then
	grep -B2 -A8 'FAILED' "$SCRATCH/minisand-cu.log" | head -80
	fail "$iscsi_fail iSCSI.* tests failed against minisand"
fi
[ "$m_pass" -ge "$t_pass" ] ||
	fail "minisand passes $m_pass tests, fewer than tgt's $t_pass"
