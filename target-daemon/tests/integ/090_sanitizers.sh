#!/bin/sh
# SUMMARY: the ASan+UBSan build of minisand runs iscsi-test-cu (two initiators), qemu-img and the hostile-input cases with no sanitizer report
. "$(dirname "$0")/lib.sh"

MINISAND="$OUT/bin/minisand-asan"
[ -x "$MINISAND" ] || fail "no $MINISAND (make asan)"
tools=$(cd "$(dirname "$0")/tools" && pwd)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
lun=$(make_lun lun0 128M)
start_quick "$lun"
url="iscsi://127.0.0.1:$PORT/$IQN/0"
timeout 1200 iscsi-test-cu -d "$url" "$url" >"$SCRATCH/cu.log" 2>&1 || true
head -c 16M /dev/urandom >"$SCRATCH/in.raw"
qemu-img convert -n -f raw -O raw "$SCRATCH/in.raw" "$url" ||
	fail "qemu-img write"
for c in non-login-first oversize-segment garbage bad-key data-digest \
	mcs-out-of-order reinstatement read-flood write-flood flood-close \
	immediate-flood; do
	MINISAND_PID=$DAEMON_PID \
		python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" "$c" "$IQN" ||
		fail "case $c"
done
kill -0 "$DAEMON_PID" || fail "minisand-asan died"
stop_minisand || fail "minisand-asan exited with an error (leak?)"
if grep -E "runtime error|AddressSanitizer|LeakSanitizer" \
	"$SCRATCH/minisand.log"; then
	fail "sanitizer report"
fi
grep -q "Run Summary" "$SCRATCH/cu.log" || fail "iscsi-test-cu did not finish"
echo "no sanitizer report"
