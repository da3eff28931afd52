#!/bin/sh
# `make bench`: minisand and tgt side by side on loopback, each exporting a
# 1 GiB LUN in /dev/shm. For each workload it records IOPS or MiB/s, the
# target's CPU seconds and its peak RSS, then ci/bench_report.py prints the
# table with the ratio minisand/tgt and the goals, and draws the chart.
# Clients: iscsi-perf and qemu-img (libiscsi), iperf3, and our own
# out/bench/bench_iscsi_read for reads with data digests, which libiscsi
# cannot offer.
# Results: out/bench/{results.txt,results.md,chart.png,raw.tsv}.
#
# Environment: BENCH_SECONDS (default 10) per workload and target;
# BENCH_OUT (default out/bench) for the results;
# BENCH_SESSIONS_MANY (default 64) for the memory row; BENCH_APPLIANCE=0
# skips the appliance rows (image size, boot time). A workload that fails
# becomes an error row and the run goes on; only a setup failure (missing
# tool, a daemon that does not start) exits non-zero.
set -eu

usage() {
	echo "usage: [BENCH_SECONDS=N] ci/bench.sh" >&2
	exit 2
}
[ $# -eq 0 ] || usage

top=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-"$top/out"}
SECS=${BENCH_SECONDS:-10}
MANY=${BENCH_SESSIONS_MANY:-64}
RES=${BENCH_OUT:-"$OUT/bench"}
RAW="$RES/raw.tsv"
MINISAND="$OUT/bin/minisand"
CRCBENCH="$OUT/bench/bench_crc32c"
DDBENCH="$OUT/bench/bench_iscsi_read"
IQN=iqn.2026-11.org.minisan:bench
# A second target for the two-target row. minisand puts a target on a loop
# by its name: this one lands on another loop than $IQN with 2, 3 or 4
# loops (workers auto: one per CPU).
IQN2=iqn.2026-11.org.minisan:bench-second
TGT_IQN=iqn.2026-11.org.minisan:bench-tgt
TGT_IQN2=iqn.2026-11.org.minisan:bench-tgt-second
LUN2_SIZE=256M
INI=iqn.2026-11.org.minisan:bench-initiator
LUN_SIZE=1G

msg() { printf 'bench: %s\n' "$*"; }
die() {
	printf 'bench: setup failed: %s\n' "$*" >&2
	exit 1
}

case "$SECS" in
'' | *[!0-9]*) die "BENCH_SECONDS must be a whole number, got '$SECS'" ;;
esac
if [ "$SECS" -lt 1 ] || [ "$SECS" -gt 600 ]; then
	die "BENCH_SECONDS must be 1..600, got $SECS"
fi
case "$MANY" in
'' | *[!0-9]*) die "BENCH_SESSIONS_MANY must be a whole number, got '$MANY'" ;;
esac
if [ "$MANY" -lt 1 ] || [ "$MANY" -gt 256 ]; then
	die "BENCH_SESSIONS_MANY must be 1..256, got $MANY"
fi

for tool in iscsi-perf qemu-img tgtd tgtadm iperf3 gnuplot python3 ss \
	timeout; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (make deps installs configs/build-packages.txt)"
done
[ -x "$MINISAND" ] || die "$MINISAND missing (make daemon)"
[ -x "$CRCBENCH" ] || die "$CRCBENCH missing (make -C target-daemon bench-tools)"
[ -x "$DDBENCH" ] || die "$DDBENCH missing (make -C target-daemon bench-tools)"

ALL_CPUS=0-$(($(nproc) - 1))
SCRATCH=$(mktemp -d /dev/shm/minisan-bench.XXXXXX)
M_PID=""
T_PID=""
I_PID=""

stop_pid() { # stop_pid PID: SIGTERM, wait up to 5 s, then SIGKILL
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt 100 ]; do
		i=$((i + 1))
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	stop_pid "$I_PID"
	stop_pid "$T_PID"
	stop_pid "$M_PID"
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 10000))
	while ss -Htln "sport = :$port" | grep -q .; do
		port=$((port + 1))
	done
	echo "$port"
}

wait_port() { # wait_port PORT: poll for a listener, at most 10 s
	i=0
	while ! ss -Htln "sport = :$1" | grep -q .; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && return 1
		sleep 0.05
	done
}

now() { date +%s.%N; }

# CPU seconds (user + system, all threads) the process has used so far.
cpu_s() {
	# fields after "pid (comm) ": utime and stime are the 12th and 13th
	sed 's/^.*) //' "/proc/$1/stat" |
		awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }'
}

# Reset the peak RSS to the current RSS (proc(5) clear_refs "5"), so that
# each workload reports its own peak.
hwm_reset() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

mkdir -p "$RES"
printf 'id\ttarget\tstatus\tvalue\tunit\tbytes\tseconds\tcpu_s\thwm_kib\tnote\n' \
	>"$RAW"

# record ID TARGET STATUS VALUE UNIT BYTES SECONDS CPU HWM NOTE
record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"
	if [ "$3" = ok ]; then
		msg "$(printf '%-14s %-9s %10s %s' "$1" "$2" "$4" "$5")"
	else
		msg "$(printf '%-14s %-9s ERROR %s' "$1" "$2" "${10}")"
	fi
}

# --- the two targets, one LUN each in /dev/shm (and a second, smaller
# target on each for the two-target row)
truncate -s "$LUN_SIZE" "$SCRATCH/minisand.img" "$SCRATCH/tgt.img"
truncate -s "$LUN2_SIZE" "$SCRATCH/minisand2.img" "$SCRATCH/tgt2.img"
M_PORT=$(free_port)
printf 'portal 127.0.0.1:%s\ncontrol-socket %s\n' "$M_PORT" \
	"$SCRATCH/minisand.sock" >"$SCRATCH/minisand.conf"
printf 'target %s {\n\tlun 0 %s\n}\n' "$IQN" "$SCRATCH/minisand.img" \
	"$IQN2" "$SCRATCH/minisand2.img" >>"$SCRATCH/minisand.conf"
"$MINISAND" -f -c "$SCRATCH/minisand.conf" >"$SCRATCH/minisand.log" 2>&1 &
M_PID=$!
wait_port "$M_PORT" || die "minisand did not listen on $M_PORT"
M_URL="iscsi://127.0.0.1:$M_PORT/$IQN/0"
M_URL2="iscsi://127.0.0.1:$M_PORT/$IQN2/0"

T_PORT=$(free_port)
[ "$T_PORT" = "$M_PORT" ] && T_PORT=$((T_PORT + 1))
T_CTL=$(($(od -An -N1 -tu1 /dev/urandom) % 100 + 100))
tgtd -f --iscsi "portal=127.0.0.1:$T_PORT" -C "$T_CTL" \
	>"$SCRATCH/tgtd.log" 2>&1 &
T_PID=$!
i=0
until tgtadm -C "$T_CTL" --op show --mode system >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -gt 200 ] && die "tgtd did not start: $(tail -n 5 "$SCRATCH/tgtd.log")"
	sleep 0.05
done
# tgt_add_target TID IQN FILE: a tgt target with FILE as LUN 1, open to all
tgt_add_target() {
	tgtadm -C "$T_CTL" --lld iscsi --op new --mode target --tid "$1" \
		-T "$2" || die "tgtadm: new target $2"
	tgtadm -C "$T_CTL" --lld iscsi --op new --mode logicalunit \
		--tid "$1" --lun 1 -b "$3" || die "tgtadm: new LUN for $2"
	tgtadm -C "$T_CTL" --lld iscsi --op bind --mode target --tid "$1" \
		-I ALL || die "tgtadm: bind $2"
}
tgt_add_target 1 "$TGT_IQN" "$SCRATCH/tgt.img"
tgt_add_target 2 "$TGT_IQN2" "$SCRATCH/tgt2.img"
wait_port "$T_PORT" || die "tgtd did not listen on $T_PORT"
T_URL="iscsi://127.0.0.1:$T_PORT/$TGT_IQN/1"
T_URL2="iscsi://127.0.0.1:$T_PORT/$TGT_IQN2/1"

# Fill the LUNs once so that reads hit allocated pages, not holes.
for url in "$M_URL" "$T_URL" "$M_URL2" "$T_URL2"; do
	timeout 300 qemu-img bench -w -c 4096 -d 8 -s 262144 -t none -f raw \
		--pattern=0x5a "$url" >"$SCRATCH/fill.log" 2>&1 ||
		die "could not fill the LUN at $url: $(tail -n 3 "$SCRATCH/fill.log")"
done

url_of() { [ "$1" = minisand ] && echo "$M_URL" || echo "$T_URL"; }
url2_of() { [ "$1" = minisand ] && echo "$M_URL2" || echo "$T_URL2"; }
pid_of() { [ "$1" = minisand ] && echo "$M_PID" || echo "$T_PID"; }

# alive ID TARGET: true if the target still runs, else an error row.
alive() {
	kill -0 "$(pid_of "$2")" 2>/dev/null && return 0
	record "$1" "$2" error - - - - - - "the target process has exited"
	return 1
}

# pin_target TARGET CPUS: moves every thread of the target to CPUS.
pin_target() { taskset -a -p -c "$2" "$(pid_of "$1")" >/dev/null; }

# perf ID TARGET SESSIONS DEPTH BLOCKS RANDOM: SESSIONS parallel iscsi-perf
# clients for SECS, each with its own initiator name; the value is the sum
# of their average IOPS. CLIENT_CPUS, if set, pins the clients (taskset);
# TWO_TARGETS=1 sends every second session to the target's second target.
perf() {
	id=$1 tgt=$2 n=$3 depth=$4 blocks=$5 random=$6
	url=$(url_of "$tgt")
	pid=$(pid_of "$tgt")
	alive "$id" "$tgt" || return 0
	bytes_per_io=$((blocks * 512))
	rflag=""
	[ "$random" = 1 ] && rflag=-r
	hwm_reset "$pid"
	c0=$(cpu_s "$pid")
	t0=$(now)
	pids=""
	k=1
	while [ "$k" -le "$n" ]; do
		u=$url
		if [ "${TWO_TARGETS:-0}" = 1 ] && [ $((k % 2)) -eq 0 ]; then
			u=$(url2_of "$tgt")
		fi
		# shellcheck disable=SC2086 # rflag is one word or none
		timeout $((SECS + 60)) taskset -c "${CLIENT_CPUS:-$ALL_CPUS}" \
			iscsi-perf -t "$SECS" -m "$depth" \
			-b "$blocks" $rflag -i "$INI-$k" "$u" \
			>"$SCRATCH/perf-$k.log" 2>&1 &
		pids="$pids $!"
		k=$((k + 1))
	done
	rc=0
	for p in $pids; do
		wait "$p" || rc=1
	done
	t1=$(now)
	c1=$(cpu_s "$pid")
	hwm=$(hwm_kib "$pid")
	iops=0
	k=1
	while [ "$k" -le "$n" ]; do
		v=$(tr '\r' '\n' <"$SCRATCH/perf-$k.log" |
			sed -n 's/^iops average \([0-9][0-9]*\) .*/\1/p' | tail -n 1)
		if [ -z "$v" ] || [ "$v" -eq 0 ]; then
			err=$(tr '\r' '\n' <"$SCRATCH/perf-$k.log" | grep -v '^ *$' |
				tail -n 1 | tr '\t' ' ')
			record "$id" "$tgt" error - - - - - - \
				"session $k: ${err:-no result} (rc $rc)"
			return 0
		fi
		iops=$((iops + v))
		k=$((k + 1))
	done
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	bytes=$((iops * bytes_per_io * SECS))
	cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')
	if [ "$bytes_per_io" -ge 65536 ]; then
		value=$(awk -v i="$iops" -v s="$bytes_per_io" \
			'BEGIN { printf "%.1f", i * s / 1048576 }')
		record "$id" "$tgt" ok "$value" MiB/s "$bytes" "$secs" "$cpu" \
			"$hwm" "$n x QD$depth"
	else
		record "$id" "$tgt" ok "$iops" IOPS "$bytes" "$secs" "$cpu" \
			"$hwm" "$n x QD$depth"
	fi
}

# qbench ID TARGET r|w DEPTH SIZE DIGEST: qemu-img bench for about SECS,
# through the block driver's options so that the header digest can be
# chosen (none or crc32c; iscsi-perf always offers "None,CRC32C", and both
# targets pick None). A short calibration run sets the request count; the
# timed run reports its own time.
qbench() {
	id=$1 tgt=$2 mode=$3 depth=$4 size=$5 digest=$6
	pid=$(pid_of "$tgt")
	if [ "$tgt" = minisand ]; then
		iscsi="\"portal\":\"127.0.0.1:$M_PORT\",\"target\":\"$IQN\",\"lun\":0"
	else
		iscsi="\"portal\":\"127.0.0.1:$T_PORT\",\"target\":\"$TGT_IQN\",\"lun\":1"
	fi
	img="json:{\"driver\":\"raw\",\"file\":{\"driver\":\"iscsi\","
	img="$img\"transport\":\"tcp\",$iscsi,\"header-digest\":\"$digest\"}}"
	wflag=""
	[ "$mode" = w ] && wflag=-w
	count0=$((size >= 65536 ? 400 : 4000))
	alive "$id" "$tgt" || return 0
	# shellcheck disable=SC2086 # wflag is one word or none
	if ! timeout $((SECS + 60)) qemu-img bench $wflag -c "$count0" \
		-d "$depth" -s "$size" -t none --pattern=0xa5 "$img" \
		>"$SCRATCH/q.log" 2>&1; then
		record "$id" "$tgt" error - - - - - - \
			"qemu-img: $(tail -n 1 "$SCRATCH/q.log" | tr '\t' ' ')"
		return 0
	fi
	t=$(sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p' \
		"$SCRATCH/q.log")
	count=$(awk -v c="$count0" -v t="${t:-0}" -v s="$SECS" 'BEGIN {
		if (t < 0.01) t = 0.01
		n = int(c * s / t); if (n < c) n = c
		if (n > 100000000) n = 100000000
		print n }')
	hwm_reset "$pid"
	c0=$(cpu_s "$pid")
	# shellcheck disable=SC2086 # wflag is one word or none
	if ! timeout $((SECS * 4 + 60)) qemu-img bench $wflag -c "$count" \
		-d "$depth" -s "$size" -t none --pattern=0xa5 "$img" \
		>"$SCRATCH/q.log" 2>&1; then
		record "$id" "$tgt" error - - - - - - \
			"qemu-img: $(tail -n 1 "$SCRATCH/q.log" | tr '\t' ' ')"
		return 0
	fi
	c1=$(cpu_s "$pid")
	hwm=$(hwm_kib "$pid")
	t=$(sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p' \
		"$SCRATCH/q.log")
	if [ -z "$t" ]; then
		record "$id" "$tgt" error - - - - - - "qemu-img printed no time"
		return 0
	fi
	bytes=$((count * size))
	cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')
	if [ "$size" -ge 65536 ]; then
		value=$(awk -v b="$bytes" -v t="$t" \
			'BEGIN { printf "%.1f", b / t / 1048576 }')
		record "$id" "$tgt" ok "$value" MiB/s "$bytes" "$t" "$cpu" \
			"$hwm" "1 x QD$depth"
	else
		value=$(awk -v c="$count" -v t="$t" \
			'BEGIN { printf "%.0f", c / t }')
		record "$id" "$tgt" ok "$value" IOPS "$bytes" "$t" "$cpu" \
			"$hwm" "1 x QD$depth"
	fi
}

# dd_round TARGET DIGEST SECONDS: one bench_iscsi_read run, 256 KiB
# sequential reads at QD8 with HeaderDigest and DataDigest both DIGEST
# (none or crc32c), offered alone so that the target must take it.
# libiscsi only offers DataDigest=None, so these are the rows with data
# digests; the tool verifies every digest it receives and prints no number
# if one is wrong. Appends its bytes, seconds and the target's CPU
# seconds as a line to $SCRATCH/dd-DIGEST.rounds. Returns non-zero with the
# tool's last line in dd_err if it failed.
dd_round() {
	tgt=$1 digest=$2 t=$3
	pid=$(pid_of "$tgt")
	if [ "$tgt" = minisand ]; then
		set -- "127.0.0.1:$M_PORT" "$IQN" 0
	else
		set -- "127.0.0.1:$T_PORT" "$TGT_IQN" 1
	fi
	c0=$(cpu_s "$pid")
	if ! timeout $((t + 60)) "$DDBENCH" -i "$INI" -l "$3" -b 262144 \
		-q 8 -t "$t" -H "$digest" -D "$digest" "$1" "$2" \
		>"$SCRATCH/dd.log" 2>&1; then
		dd_err=$(tail -n 1 "$SCRATCH/dd.log" | tr '\t' ' ')
		return 1
	fi
	c1=$(cpu_s "$pid")
	# MiB/s M bytes N seconds S digests header=H data=D
	# shellcheck disable=SC2046 # split the result line
	set -- $(grep '^MiB/s ' "$SCRATCH/dd.log")
	if [ $# -ne 9 ]; then
		dd_err="bench_iscsi_read printed no result"
		return 1
	fi
	awk -v b="$4" -v t="$6" -v c0="$c0" -v c1="$c1" \
		'BEGIN { printf "%s %s %.2f\n", b, t, c1 - c0 }' \
		>>"$SCRATCH/dd-$digest.rounds"
}

# dbench TARGET: the rows dr256k-none and dr256k-digest (header and data
# digests CRC32C), bench_iscsi_read. The two alternate in three rounds of
# a third of SECS each, so that a change in the machine's load while they
# run weighs on both alike; the digest cost is their ratio.
dbench() {
	tgt=$1
	pid=$(pid_of "$tgt")
	alive dr256k-none "$tgt" || return 0
	round_s=$(((SECS + 2) / 3))
	rm -f "$SCRATCH/dd-none.rounds" "$SCRATCH/dd-crc32c.rounds"
	hwm_reset "$pid"
	dd_err=""
	for round in 1 2 3; do
		dd_round "$tgt" none "$round_s" || break
		tgt_digests "$tgt" None,CRC32C
		dd_round "$tgt" crc32c "$round_s" || break
		tgt_digests "$tgt" None
	done
	tgt_digests "$tgt" None
	hwm=$(hwm_kib "$pid")
	if [ -n "$dd_err" ]; then
		record dr256k-none "$tgt" error - - - - - - "round $round: $dd_err"
		record dr256k-digest "$tgt" error - - - - - - "round $round: $dd_err"
		return 0
	fi
	for d in none crc32c; do
		id=dr256k-none
		[ "$d" = crc32c ] && id=dr256k-digest
		# the three rounds' bytes, seconds and CPU seconds, summed
		# shellcheck disable=SC2046 # three numbers
		set -- $(awk '{ b += $1; t += $2; c += $3 }
			END { printf "%.0f %.3f %.2f\n", b, t, c }' \
			"$SCRATCH/dd-$d.rounds")
		value=$(awk -v b="$1" -v t="$2" \
			'BEGIN { printf "%.1f", b / t / 1048576 }')
		record "$id" "$tgt" ok "$value" MiB/s "$1" "$2" "$3" \
			"$hwm" "1 x QD8, 3 alternating rounds"
	done
}

# tgt_digests TARGET None|None,CRC32C: the digests tgt accepts. tgt takes
# only None unless told otherwise, and once told it picks CRC32C whenever
# the initiator lists it, even after None (iscsi-perf offers
# "None,CRC32C"), so it is allowed for the digest rows only.
tgt_digests() {
	[ "$1" = tgt ] || return 0
	for key in HeaderDigest DataDigest; do
		tgtadm -C "$T_CTL" --lld iscsi --op update --mode target \
			--tid 1 --name "$key" --value "$2" ||
			die "tgtadm: $key=$2"
	done
}

# Single-stream TCP over loopback: the ceiling for one session.
tcp_ceiling() {
	port=$(free_port)
	iperf3 -s -1 -B 127.0.0.1 -p "$port" >"$SCRATCH/iperf-s.log" 2>&1 &
	I_PID=$!
	if ! wait_port "$port"; then
		record tcp loopback error - - - - - - "iperf3 server did not listen"
		return 0
	fi
	if ! timeout $((SECS + 30)) iperf3 -c 127.0.0.1 -p "$port" -t "$SECS" \
		-J >"$SCRATCH/iperf.json" 2>"$SCRATCH/iperf-c.log"; then
		record tcp loopback error - - - - - - \
			"iperf3: $(tail -n 1 "$SCRATCH/iperf-c.log")"
	else
		v=$(python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("%.1f %d %.3f" % (e["bits_per_second"] / 8 / 1048576, e["bytes"],
    e["seconds"]))' "$SCRATCH/iperf.json") || v=""
		if [ -n "$v" ]; then
			# shellcheck disable=SC2086 # three fields
			set -- $v
			record tcp loopback ok "$1" MiB/s "$2" "$3" - - "iperf3 -t $SECS"
		else
			record tcp loopback error - - - - - - "iperf3: no JSON result"
		fi
	fi
	stop_pid "$I_PID"
	I_PID=""
}

# CRC32C micro-benchmark: MB/s of each implementation per buffer size.
crc_micro() {
	if ! "$CRCBENCH" 0.2 >"$SCRATCH/crc.log" 2>&1; then
		record crc32c local error - - - - - - "bench_crc32c failed"
		return 0
	fi
	while read -r _ impl size mbs; do
		record "crc32c-$impl-$size" local ok "$mbs" MB/s - - - - \
			"$size-byte buffers"
	done <"$SCRATCH/crc.log"
}

# The appliance: image size, and seconds from QEMU's start to "iSCSI target
# ready" on the console (TCG, first boot: the RAID 5 is created then).
appliance_rows() {
	img="$OUT/image/minisan.img"
	if [ "${BENCH_APPLIANCE:-1}" = 0 ]; then
		msg "appliance: not measured (BENCH_APPLIANCE=0)"
		return 0
	fi
	if [ ! -f "$img" ]; then
		record appliance-boot local error - - - - - - "no $img (make image)"
		return 0
	fi
	mib=$(($(stat -c %s "$img") / 1048576))
	initrd=$(du -k "$OUT/initramfs/initramfs.img" | cut -f1)
	record appliance-image local ok "$mib" MiB - - - - \
		"disk image; initramfs $((initrd / 1024)) MiB zstd"
	for fw in bios uefi; do
		if secs=$(python3 "$top/appliance/tests/boot_time.py" "$fw" 2>"$SCRATCH/boot-$fw.log"); then
			record "boot-$fw" local ok "$secs" s - - - - \
				"QEMU start to target ready, TCG"
		else
			record "boot-$fw" local error - - - - - - "boot failed: $(tail -n 1 "$SCRATCH/boot-$fw.log")"
		fi
	done
}

# minisand's event loops, and the loop of each of its two targets
loops=$(sed -n 's/.* \([0-9]*\) event loop(s).*/\1/p' "$SCRATCH/minisand.log")
loop1=$(sed -n "s/.*target $IQN: .*, loop \([0-9]*\)\$/\1/p" "$SCRATCH/minisand.log")
loop2=$(sed -n "s/.*target $IQN2: .*, loop \([0-9]*\)\$/\1/p" "$SCRATCH/minisand.log")
record loops minisand ok "${loops:-?}" loops - - - - \
	"the two targets on loops ${loop1:-?} and ${loop2:-?}"
msg "minisand $M_URL (pid $M_PID), tgt $T_URL (pid $T_PID)," \
	"$SECS s per workload"
msg "$(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
tcp_ceiling
# QD1 latency is mostly the cost of waking the other side. Where the
# scheduler puts the initiator and the target decides it: on one core a
# hand-over is a context switch, across cores an inter-processor interrupt,
# which in a VM costs tens of microseconds. Left to the scheduler, one run
# measured a 0.5x ratio and the next 4.7x. So both placements are measured,
# pinned, for both targets.
qd1_rows() {
	pin_target "$1" 0
	CLIENT_CPUS=0 perf rr4k-qd1-same "$1" 1 1 8 1
	if [ "$(nproc)" -ge 2 ]; then
		pin_target "$1" 1
		CLIENT_CPUS=0 perf rr4k-qd1-cross "$1" 1 1 8 1
	fi
	pin_target "$1" "$ALL_CPUS"
}

for tgt in minisand tgt; do
	qd1_rows "$tgt"
	perf rr4k-qd32 "$tgt" 1 32 8 1
	perf sr256k-qd8 "$tgt" 1 8 512 0
	qbench w4k-qd32 "$tgt" w 32 4096 none
	qbench w256k-qd8 "$tgt" w 8 262144 none
	perf rr4k-16s "$tgt" 16 4 8 1
	TWO_TARGETS=1 perf rr4k-2t "$tgt" 16 8 8 1
	qbench qr256k-qd8 "$tgt" r 8 262144 none
	tgt_digests "$tgt" None,CRC32C
	qbench qr256k-hd "$tgt" r 8 262144 crc32c
	tgt_digests "$tgt" None
	dbench "$tgt"
	perf rr4k-many "$tgt" "$MANY" 32 8 1
done
crc_micro
appliance_rows

python3 "$top/ci/bench_report.py" "$RAW" "$RES" \
	"$(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $SECS s per workload"
