#!/bin/sh
# SUMMARY: libiscsi's iscsi-test-cu -d -S with two initiator names against minisand and tgt in one run: per-suite table, no failure, minisand passes at least as many tests as tgt; Sanitize.Reset on a LUN on disk
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
# Every test but Sanitize.Reset, which needs a SANITIZE still running 4 s
# after it started: a 256 MiB LUN in RAM is overwritten faster than that.
# It runs on its own below, against a LUN big enough on disk.
# run.txt: whole suites (some tests rely on their suite's order), and the
# Sanitize suite test by test; tests.txt: the tests that makes, in order.
awk -F. '(NF == 2 && $2 != "Sanitize") ||
	(NF == 3 && $2 == "Sanitize" && $3 != "Reset")' \
	"$SCRATCH/suites.txt" >"$SCRATCH/run.txt"
awk -F. 'NF == 3 && !($2 == "Sanitize" && $3 == "Reset")' \
	"$SCRATCH/suites.txt" >"$SCRATCH/tests.txt"

# minisand: the suite needs a LUN it may destroy (-d)
lun=$(make_lun lun0 256M)
start_quick "$lun"
# the same URL twice: the suite's multipath form, two initiator names
url="iscsi://127.0.0.1:$PORT/$IQN/0"
timeout 1200 iscsi-test-cu -d -S -t "$SCRATCH/run.txt" "$url" "$url" \
	>"$SCRATCH/minisand-cu.log" 2>&1 || true
python3 "$top/ci/cu_summary.py" "$SCRATCH/suites.txt" \
	"$SCRATCH/minisand-cu.log" "$SCRATCH/tests.txt" >"$SCRATCH/minisand.sum"
kill -0 "$DAEMON_PID" || fail "minisand died during iscsi-test-cu"
stop_minisand || fail "minisand did not exit cleanly after iscsi-test-cu"
rm -f "$lun"

# Sanitize.Reset: a 4 GiB sparse LUN on disk (under out/, not /dev/shm),
# which minisand overwrites chunk by chunk with FUA: that takes longer than
# the test's 4 s. The test then polls once a minute until it is done.
mkdir -p "$OUT/check"
slow="$OUT/check/sanitize-reset.img"
rm -f "$slow"
truncate -s 4G "$slow"
start_quick "$slow"
url="iscsi://127.0.0.1:$PORT/$IQN/0"
timeout 900 iscsi-test-cu -d -S -t SCSI.Sanitize.Reset "$url" "$url" \
	>"$SCRATCH/reset-cu.log" 2>&1 || true
echo SCSI.Sanitize.Reset >"$SCRATCH/reset.txt"
python3 "$top/ci/cu_summary.py" "$SCRATCH/suites.txt" \
	"$SCRATCH/reset-cu.log" "$SCRATCH/reset.txt" >"$SCRATCH/reset.sum"
stop_minisand || fail "minisand did not exit cleanly after Sanitize.Reset"
rm -f "$slow"

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
# no -S for tgt: it has no SANITIZE, and the suite's sanitize tests spin
# against it; without -S they skip
url="iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/1"
timeout 1200 iscsi-test-cu -d -t "$SCRATCH/run.txt" "$url" "$url" \
	>"$SCRATCH/tgt-cu.log" 2>&1 || true
python3 "$top/ci/cu_summary.py" "$SCRATCH/suites.txt" \
	"$SCRATCH/tgt-cu.log" "$SCRATCH/tests.txt" >"$SCRATCH/tgt.sum"
stop_tgt

# the table: suite, then passed/failed/skipped for minisand and tgt
echo "TABLE $(printf '%-44s %-16s %s' 'suite' 'minisand p/f/s' 'tgt p/f/s')"
grep -v '^FAILED' "$SCRATCH/minisand.sum" >"$SCRATCH/m.tab"
grep -v '^FAILED' "$SCRATCH/tgt.sum" >"$SCRATCH/t.tab"
join "$SCRATCH/m.tab" "$SCRATCH/t.tab" | grep -v '^TOTAL' | while read -r s mp mf ms tp tf ts; do
	echo "TABLE $(printf '%-44s %-16s %s' "$s" "$mp/$mf/$ms" "$tp/$tf/$ts")"
done
set -- $(grep '^TOTAL' "$SCRATCH/minisand.sum")
m_pass=$2 m_fail=$3
set -- $(grep '^TOTAL' "$SCRATCH/tgt.sum")
t_pass=$2
iscsi_fail=$(awk '$1 ~ /^iSCSI\./ { f += $3 } END { print f + 0 }' \
	"$SCRATCH/minisand.sum")

set -- $(grep '^TOTAL' "$SCRATCH/tgt.sum")
t_fail=$3 t_skip=$4
set -- $(grep '^TOTAL' "$SCRATCH/minisand.sum")
m_skip=$4
echo "TABLE $(printf '%-44s %-16s %s' TOTAL "$m_pass/$m_fail/$m_skip" \
	"$t_pass/$t_fail/$t_skip")"
echo "minisand: $m_pass passed, $m_fail failed, $m_skip skipped;" \
	"tgt: $t_pass passed, $t_fail failed, $t_skip skipped"
grep -q "Run Summary" "$SCRATCH/minisand-cu.log" ||
	fail "iscsi-test-cu did not finish against minisand"
set -- $(grep '^TOTAL' "$SCRATCH/reset.sum")
echo "TABLE $(printf '%-44s %-16s %s' 'SCSI.Sanitize.Reset (4 GiB LUN on disk)' "$2/$3/$4" '-')"
sed -n 's/^FAILED /failed: /p' "$SCRATCH/minisand.sum" "$SCRATCH/reset.sum"
if [ "$m_fail" -ne 0 ] || [ "$iscsi_fail" -ne 0 ]; then
	grep -B2 -A8 'FAILED' "$SCRATCH/minisand-cu.log" | head -80
	fail "$m_fail tests failed against minisand"
fi
[ "$2" = 1 ] && [ "$3" = 0 ] || {
	tail -n 30 "$SCRATCH/reset-cu.log"
	fail "SCSI.Sanitize.Reset did not pass on the LUN on disk"
}
grep -q "Run Summary" "$SCRATCH/reset-cu.log" ||
	fail "iscsi-test-cu did not finish Sanitize.Reset"
[ "$m_pass" -ge "$t_pass" ] ||
	fail "minisand passes $m_pass tests, fewer than tgt's $t_pass"
