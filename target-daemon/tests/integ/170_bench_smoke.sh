#!/bin/sh
# SUMMARY: `make bench` in smoke mode (1 s per workload, 4 sessions for the memory row): both targets serve every workload (data digests included, through bench_iscsi_read), the table, goals and chart are written (no timing is asserted)
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../../.." && pwd)
res="$SCRATCH/bench"

BENCH_SECONDS=1 BENCH_SESSIONS_MANY=4 BENCH_APPLIANCE=0 BENCH_OUT="$res" OUT="$OUT" \
	timeout 300 sh "$top/ci/bench.sh" >"$SCRATCH/bench.log" 2>&1 ||
	{ tail -n 40 "$SCRATCH/bench.log"; fail "ci/bench.sh exited non-zero"; }
txt="$res/results.txt"
[ -s "$txt" ] || fail "no results.txt"

# every workload has a row with a number for minisand, tgt and the ratio;
# QD1 runs pinned to one core, and across two where there are two
qd1_labels="4K random read QD1, one core"
[ "$(nproc)" -lt 2 ] || qd1_labels="$qd1_labels|4K random read QD1, two cores"
nrows=0
IFS='|'
# shellcheck disable=SC2086 # split on |
set -- $qd1_labels
unset IFS
for label in "$@" "4K random read QD32" \
	"256K seq read QD8" "4K seq write QD32 (qemu)" \
	"256K seq write QD8 (qemu)" "4K random read 16 sessions x QD4" \
	"4K random read 2 targets x 8 sessions x QD8" \
	"256K seq read QD8 (qemu)" "256K seq read QD8 (qemu) header digest" \
	"256K seq read QD8 (bench_iscsi_read)" \
	"256K seq read QD8 (bench_iscsi_read) header+data digest" \
	"4K random read 4 sessions x QD32"; do
	# the label column is padded: two spaces at least end the label
	row=$(grep -F -- "$label  " "$txt" | head -n 1)
	[ -n "$row" ] || fail "no row for '$label'"
	nrows=$((nrows + 1))
	rest=${row#*"$label"}
	# shellcheck disable=SC2086 # split the cells
	set -- $rest
	[ $# -eq 8 ] || fail "row '$label' has $# cells: $rest"
	case "$1" in IOPS | MiB/s) ;; *) fail "row '$label': unit '$1'" ;; esac
	for cell in "$2" "$3"; do
		case "$cell" in
		[0-9]*) ;;
		*) fail "row '$label': no value ($rest)" ;;
		esac
	done
	case "$4" in [0-9]*x) ;; *) fail "row '$label': ratio '$4'" ;; esac
done
grep -q '^loopback TCP, one stream (iperf3): [0-9]' "$txt" ||
	fail "no TCP ceiling"
grep -q '^peak RSS, 4 sessions QD32: minisand [0-9]' "$txt" ||
	fail "no peak RSS for 4 sessions"
grep -q '^CRC32C in MB/s .*table [0-9]' "$txt" || fail "no CRC32C line"
# the digest goal's line, from the header+data digest rows of both targets
grep -q '^header+data digest cost on 256K reads (bench_iscsi_read): minisand -\{0,1\}[0-9][0-9.]*%, tgt -\{0,1\}[0-9]' "$txt" ||
	fail "no header+data digest cost: $(grep 'digest cost' "$txt")"
[ "$(grep -c -E '^  (met|NOT met|not measured) ' "$txt")" -eq 7 ] ||
	fail "not 7 goal verdicts"
grep -q -E '^  (met|NOT met) +digests cost <= 10% \(header \+ data digest' "$txt" ||
	fail "the digest goal was not measured"
! grep -q '^errors:' "$txt" || fail "error rows: $(sed -n '/^errors:/,$p' "$txt")"
# a PNG, and the markdown table with the same rows
[ "$(od -An -c -N4 "$res/chart.png" | tr -d ' ')" = '211PNG' ] ||
	fail "chart.png is not a PNG"
[ "$(grep -c '^| ' "$res/results.md")" -eq $((nrows + 1)) ] ||
	fail "results.md does not have a header and $nrows rows"
echo "bench smoke: $(grep -c . "$res/raw.tsv") raw rows, table and chart written"
