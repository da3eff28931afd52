#!/bin/sh
# SUMMARY: 32 MiB through QEMU's iscsi:// driver read back identical from a LUN file on disk with io-engine threads and io_uring (directive and flag), and from minisand in the background (no -f) stopped by SIGTERM, the log naming the engine; io_uring carried the writes; bad io-engine values are refused
. "$(dirname "$0")/lib.sh"

# on disk, not tmpfs: there the inline path would take every request
disk=$(mktemp -d "$OUT/io-engine.XXXXXX")
trap 'rm -rf "$disk"; cleanup' EXIT INT TERM
head -c 32M /dev/urandom >"$SCRATCH/in.raw"
url="iscsi://127.0.0.1:$PORT/$IQN/0"

# conf_file ENGINE LUN: a configuration file with io-engine ENGINE
conf_file() {
	cat >"$SCRATCH/$1.conf" <<EOF
portal 127.0.0.1:$PORT
io-engine $1
target $IQN {
	lun 0 $2
}
EOF
	echo "$SCRATCH/$1.conf"
}

# ring_completions: completions minisand reaped from its io_urings (the
# CqHead of each ring's fdinfo, summed: one ring per event loop), or
# nothing if it has no ring
ring_completions() {
	for fd in /proc/"$DAEMON_PID"/fd/*; do
		[ "$(readlink "$fd")" = "anon_inode:[io_uring]" ] || continue
		sed -n 's/^CqHead:[[:space:]]*//p' \
			"/proc/$DAEMON_PID/fdinfo/${fd##*/}"
	done | awk '{ n += $1; seen = 1 } END { if (seen) print n }'
}

# roundtrip ENGINE: writes in.raw through the LUN and reads it back
roundtrip() {
	timeout 120 qemu-img convert -n -f raw -O raw "$SCRATCH/in.raw" "$url" ||
		fail "$1: qemu-img convert to $url"
	timeout 120 qemu-img convert -f raw -O raw "$url" "$SCRATCH/out.raw" ||
		fail "$1: qemu-img convert from $url"
	head -c 32M "$SCRATCH/out.raw" | cmp - "$SCRATCH/in.raw" ||
		fail "$1: data read back differs"
	rm -f "$SCRATCH/out.raw"
}

# the directive is checked like any other, FILE:LINE on a bad value
out=$("$MINISAND" -t -c "$(conf_file io_uring /x)" 2>&1) ||
	fail "-t refused io-engine io_uring: $out"
printf 'portal 127.0.0.1:%s\n\nio-engine uring\n' "$PORT" \
	>"$SCRATCH/bad.conf"
if out=$("$MINISAND" -t -c "$SCRATCH/bad.conf" 2>&1); then
	fail "-t accepted io-engine uring"
fi
echo "$out" | grep -q "bad.conf:3: expected auto, io_uring or threads" ||
	fail "unexpected message: $out"
if out=$("$MINISAND" --io-engine fast -c "$SCRATCH/bad.conf" 2>&1); then
	fail "--io-engine fast accepted"
fi
echo "$out" | grep -q "io-engine wants auto, io_uring or threads" ||
	fail "unexpected message: $out"

# threads, asked for with the flag (over the file's io_uring)
lun="$disk/threads.img"
truncate -s 64M "$lun"
start_minisand -c "$(conf_file io_uring "$lun")" --io-engine threads
grep -q "backing-store I/O: threads (io-engine threads)$" \
	"$SCRATCH/minisand.log" || fail "threads: engine not logged"
roundtrip threads
[ -z "$(ring_completions)" ] || fail "threads: minisand has an io_uring"
stop_minisand || fail "threads: minisand did not exit cleanly"
head -c 32M "$lun" | cmp - "$SCRATCH/in.raw" ||
	fail "threads: backing file differs after shutdown"

# In the background (no -f) the I/O workers must still be there: they used
# to be started before fork(), which only keeps the calling thread, so the
# first disk write and the shutdown hung. The parent exits once the daemon
# is ready, and a start-up error still reaches the terminal.
lun="$disk/daemon.img"
truncate -s 64M "$lun"
"$MINISAND" -c "$(conf_file threads "$lun")" ||
	fail "daemon: the parent exited non-zero"
bg_pid=$(ss -Htlnp "sport = :$PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' |
	head -n 1)
[ -n "$bg_pid" ] || fail "daemon: nothing listens on $PORT"
DAEMON_PID=$bg_pid
roundtrip daemon
kill -TERM "$bg_pid"
i=0
while kill -0 "$bg_pid" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -gt 200 ] && fail "daemon: still running 10 s after SIGTERM"
	sleep 0.05
done
DAEMON_PID=""
head -c 32M "$lun" | cmp - "$SCRATCH/in.raw" ||
	fail "daemon: backing file differs after shutdown"
if out=$("$MINISAND" -c "$(conf_file threads "$disk/missing/x.img")" 2>&1); then
	fail "daemon: started with a LUN that cannot be opened"
fi
echo "$out" | grep -q "missing/x.img" ||
	fail "daemon: start-up error not shown: $out"
echo "background daemon: round trip and SIGTERM OK; start-up error: $out"

# auto says what it took; the kernel decides whether io_uring can work
lun="$disk/uring.img"
truncate -s 64M "$lun"
start_quick "$lun"
grep "backing-store I/O:" "$SCRATCH/minisand.log"
if grep -q "backing-store I/O: threads (io-engine auto); io_uring unavailable: " \
	"$SCRATCH/minisand.log"; then
	stop_minisand || fail "auto: minisand did not exit cleanly"
	# then io_uring asked for by name must stop the start, saying why
	if "$MINISAND" -f -c "$(conf_file io_uring "$lun")" \
		>"$SCRATCH/refused.log" 2>&1; then
		fail "io-engine io_uring started on a kernel refusing it"
	fi
	cat "$SCRATCH/refused.log"
	grep -q "io-engine io_uring: io_uring unavailable: " \
		"$SCRATCH/refused.log" || fail "refusal not explained"
	echo "SKIP io_uring round trip: the kernel refuses io_uring"
	exit 0
fi
grep -q "backing-store I/O: io_uring (io-engine auto)$" \
	"$SCRATCH/minisand.log" || fail "auto: engine not logged"
stop_minisand || fail "auto: minisand did not exit cleanly"

# io_uring, asked for with the directive
start_minisand -c "$(conf_file io_uring "$lun")"
grep -q "backing-store I/O: io_uring (io-engine io_uring)$" \
	"$SCRATCH/minisand.log" || fail "io_uring: engine not logged"
before=$(ring_completions)
[ -n "$before" ] || fail "io_uring: minisand has no io_uring"
roundtrip io_uring
after=$(ring_completions)
echo "io_uring completions: $before before, $after after the round trip"
# the writes cannot be served inline on a disk file: they were on the ring
[ "$after" -gt "$before" ] || fail "io_uring: the ring carried no I/O"
stop_minisand || fail "io_uring: minisand did not exit cleanly"
head -c 32M "$lun" | cmp - "$SCRATCH/in.raw" ||
	fail "io_uring: backing file differs after shutdown"
echo "32 MiB round trips OK with threads and io_uring"
