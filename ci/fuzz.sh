#!/bin/sh
# Runs every libFuzzer target for SECONDS seconds (default 15: the smoke
# pass `make check` runs; `make fuzz` runs longer). Each starts from its
# seed corpus in target-daemon/tests/fuzz/corpus/NAME, working on a copy
# under out/fuzz/ so the repository stays unchanged. Prints one line per
# target; exits non-zero if any target found a crash, leak or timeout.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$top/out}
seconds=${1:-15}
status=0
for bin in "$OUT"/fuzz/fuzz_*; do
	case "$bin" in *.d) continue ;; esac
	name=${bin##*/fuzz_}
	work="$OUT/fuzz/corpus-$name"
	mkdir -p "$work"
	seeds="$top/target-daemon/tests/fuzz/corpus/$name"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null
	dict=""
	[ -f "$top/target-daemon/tests/fuzz/$name.dict" ] &&
		dict="-dict=$top/target-daemon/tests/fuzz/$name.dict"
	log="$OUT/fuzz/$name.log"
	# shellcheck disable=SC2086 # $dict is empty or one word
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$OUT/fuzz/$name-" $dict "$work" >"$log" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
		echo "fuzz $name: ${runs:-?} runs, no crash"
	else
		echo "fuzz $name: FAILED (artifacts in $OUT/fuzz/)"
		tail -n 40 "$log"
		status=1
	fi
done
exit "$status"
