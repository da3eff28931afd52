#!/bin/sh
# SUMMARY: workers 2: four targets spread over two event loops by name, 16 MiB written to all four at once and read back, minisanctl lists the sessions of both loops, a reload that removes a target ends its session on the other loop, SIGTERM ends sessions on both; workers 1 serves everything from one loop; bad workers values are FILE:LINE errors
. "$(dirname "$0")/lib.sh"

tools=$(cd "$(dirname "$0")/tools" && pwd)
SOCK="$SCRATCH/ctl.sock"
MINISANCTL=${MINISANCTL:-"$OUT/bin/minisanctl"}
head -c 16M /dev/urandom >"$SCRATCH/in.raw"

# conf WORKERS TARGETS...: a configuration with one 32 MiB LUN per target
conf() {
	n=$1
	shift
	{
		echo "portal 127.0.0.1:$PORT"
		echo "workers $n"
		echo "control-socket $SOCK"
		for t in "$@"; do
			[ -e "$SCRATCH/$t.img" ] || truncate -s 32M "$SCRATCH/$t.img"
			printf 'target %s.%s {\n\tlun 0 %s\n}\n' "$IQN" "$t" \
				"$SCRATCH/$t.img"
		done
	} >"$SCRATCH/minisand.conf"
	echo "$SCRATCH/minisand.conf"
}

url() { echo "iscsi://127.0.0.1:$PORT/$IQN.$1/0"; }

# loop_of TARGET: the loop minisand logged for it at start-up
loop_of() {
	sed -n "s/.*target $IQN\.$1: .* LUN slot(s), loop \([0-9]*\)$/\1/p" \
		"$SCRATCH/minisand.log"
}

# roundtrip_all TARGETS...: writes in.raw to every target at once, then
# reads each back and compares
roundtrip_all() {
	pids=""
	for t in "$@"; do
		timeout 120 qemu-img convert -n -f raw -O raw "$SCRATCH/in.raw" \
			"$(url "$t")" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || fail "a write through qemu-img failed"
	done
	for t in "$@"; do
		timeout 120 qemu-img convert -f raw -O raw "$(url "$t")" \
			"$SCRATCH/out.raw" || fail "$t: read failed"
		head -c 16M "$SCRATCH/out.raw" | cmp -s - "$SCRATCH/in.raw" ||
			fail "$t: data read back differs"
		rm -f "$SCRATCH/out.raw"
	done
}

ctl() { "$MINISANCTL" -s "$SOCK" "$@"; }

# the directive is checked like any other
for bad in 0 65 many; do
	printf 'portal 127.0.0.1:%s\nworkers %s\n' "$PORT" "$bad" \
		>"$SCRATCH/bad.conf"
	if out=$("$MINISAND" -t -c "$SCRATCH/bad.conf" 2>&1); then
		fail "-t accepted workers $bad"
	fi
	echo "$out" | grep -q "bad.conf:2:" || fail "workers $bad: $out"
done
printf 'portal 127.0.0.1:%s\nworkers auto\n' "$PORT" >"$SCRATCH/auto.conf"
"$MINISAND" -t -c "$SCRATCH/auto.conf" >/dev/null 2>&1 ||
	fail "-t refused workers auto"

start_minisand -v -c "$(conf 2 t0 t1 t2 t3)"
grep -q "2 event loop(s)" "$SCRATCH/minisand.log" || fail "no 2 loops logged"
on0="" on1=""
for t in t0 t1 t2 t3; do
	case "$(loop_of "$t")" in
	0) on0="$on0 $t" ;;
	1) on1="$on1 $t" ;;
	*) fail "$t: no loop logged" ;;
	esac
done
echo "loop 0:$on0; loop 1:$on1"
[ -n "$on0" ] && [ -n "$on1" ] || fail "the targets are not spread"
roundtrip_all t0 t1 t2 t3
# connections to loop 1's targets were handed over from the main loop
grep -q ": to worker 1$" "$SCRATCH/minisand.log" ||
	fail "no connection handed over to worker 1"

# A session on each loop, seen together through minisanctl (which parks
# the workers to look), then a reload drops one on loop 1.
first0=${on0# }
first0=${first0%% *}
first1=${on1# }
first1=${first1%% *}
python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" shutdown-logout \
	"$IQN.$first0" >"$SCRATCH/hold0.out" 2>&1 &
h0=$!
python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" shutdown-logout \
	"$IQN.$first1" >"$SCRATCH/hold1.out" 2>&1 &
h1=$!
i=0
until [ "$(ctl show sessions 2>/dev/null | grep -c "$IQN\.t")" -ge 2 ]; do
	i=$((i + 1))
	[ "$i" -gt 100 ] &&
		fail "minisanctl does not list both sessions: $(ctl show sessions 2>&1)"
	sleep 0.1
done
ctl show sessions
keep=$(echo t0 t1 t2 t3 | tr ' ' '\n' | grep -v "^$first1$" | tr '\n' ' ')
# shellcheck disable=SC2086 # one word per target
conf 2 $keep >/dev/null
kill -HUP "$DAEMON_PID"
wait "$h1" || true
grep -q "connection closed without an Async Message" "$SCRATCH/hold1.out" ||
	fail "the session on the removed target (loop 1) was not ended: $(cat "$SCRATCH/hold1.out")"
grep -q "target removed from the configuration" "$SCRATCH/minisand.log" ||
	fail "the removal was not logged"
kill -0 "$h0" 2>/dev/null || fail "the session on loop 0 ended too"
# SIGTERM: the session left (loop 0) is asked to log out, minisand exits 0
stop_minisand || fail "minisand did not exit cleanly with sessions open"
wait "$h0" || fail "the session on loop 0: $(cat "$SCRATCH/hold0.out")"

# one loop serves everything
start_minisand -c "$(conf 1 t0 t1 t2 t3)"
grep -q "1 event loop(s)" "$SCRATCH/minisand.log" || fail "no 1 loop logged"
roundtrip_all t0 t1
stop_minisand || fail "minisand (1 loop) did not exit cleanly"
echo "workers: 4 targets over 2 loops, reload and shutdown across loops OK"
