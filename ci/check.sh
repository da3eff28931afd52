#!/bin/sh
# `make check`: builds minisand (musl static and ASan+UBSan), runs every unit
# test binary and every integration test, builds the appliance image and
# boots it in the appliance tests, and ends with the summary line
# "N passed, N failed". Exits non-zero if anything failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
OUT="$top/out"
export OUT
passed=0
failed=0
failures=""

note() { printf '%s\n' "$*"; }

record() { # record NAME STATUS
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		note "ok   $1"
	else
		failed=$((failed + 1))
		failures="$failures $1"
		note "FAIL $1"
	fi
}

note "== build"
if ! make -s -j2 -C "$top/target-daemon" OUT="$OUT" daemon asan unit-tests \
	fuzzers bench-tools; then
	note "build failed"
	note "0 passed, 1 failed"
	exit 1
fi

note "== unit tests"
for t in "$OUT"/tests/test_*; do
	name=$(basename "$t")
	log="$OUT/check/$name.log"
	mkdir -p "$OUT/check"
	"$t" >"$log" 2>&1
	rc=$?
	# each binary ends with its own "N passed, N failed" line
	line=$(tail -n 1 "$log")
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ] || [ "$rc" -ne 0 ]; then
		cat "$log"
		record "$name" 1
		continue
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	note "ok   $name: $line"
done

note "== fuzz smoke (every parser, ${FUZZ_SECONDS:-15} s each)"
"$top/ci/fuzz.sh" "${FUZZ_SECONDS:-15}"
record fuzz-smoke $?

note "== integration tests"
for t in "$top"/target-daemon/tests/integ/[0-9][0-9][0-9]_*.sh; do
	name=$(basename "$t" .sh)
	log="$OUT/check/$name.log"
	summary=$(sed -n 's/^# SUMMARY: //p' "$t")
	note "-- $name: $summary"
	sh "$t" >"$log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$log"
	elif grep -q '^TABLE' "$log"; then
		sed -n 's/^TABLE //p' "$log"
	fi
	record "$name" "$rc"
done

note "== appliance (image build, then VMs under TCG)"
if make -s -C "$top" image test-initiator; then
	record appliance-image 0
	for t in "$top"/appliance/tests/[0-9][0-9][0-9]_*.py; do
		name=appliance-$(basename "$t" .py)
		log="$OUT/check/$name.log"
		summary=$(sed -n 's/^# SUMMARY: //p' "$t")
		note "-- $name: $summary"
		timeout 1200 python3 "$t" >"$log" 2>&1
		rc=$?
		if [ "$rc" -ne 0 ]; then
			tail -n 40 "$log"
		elif grep -q '^TABLE' "$log"; then
			sed -n 's/^TABLE //p' "$log"
		fi
		record "$name" "$rc"
	done
else
	record appliance-image 1
fi

[ -n "$failures" ] && note "failed:$failures"
note "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
