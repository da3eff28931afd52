#!/bin/sh
# Shared helpers for the integration tests: a scratch directory in /dev/shm,
# minisand on a free loopback port, readiness polling with a deadline, and
# teardown through a trap. Sourced by tests/integ/NNN_*.sh.
set -eu

OUT=${OUT:-$(cd "$(dirname "$0")/../../.." && pwd)/out}
MINISAND=${MINISAND:-"$OUT/bin/minisand"}
IQN=iqn.2026-11.org.minisan:test
SCRATCH=$(mktemp -d /dev/shm/minisan-test.XXXXXX)
DAEMON_PID=""

cleanup() {
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	rm -rf "$SCRATCH"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$SCRATCH/minisand.log" ]; then
		echo "--- last lines of minisand.log" >&2
		tail -n 30 "$SCRATCH/minisand.log" >&2
	fi
	exit 1
}

# A TCP port nobody listens on, from a range the kernel does not hand out
# as ephemeral ports.
free_port() {
	port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 10000 ))
	while ss -Htln "sport = :$port" | grep -q .; do
		port=$((port + 1))
	done
	echo "$port"
}

# wait_port HOST PORT: poll until something listens, for at most 10 s.
wait_port() {
	i=0
	while ! ss -Htln "sport = :$2" | grep -q .; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && return 1
		sleep 0.05
	done
}

# make_lun NAME SIZE: a sparse backing file in the scratch directory.
make_lun() {
	truncate -s "$2" "$SCRATCH/$1"
	echo "$SCRATCH/$1"
}

# start_minisand ARGS...: starts minisand -f in the background with the
# given arguments, logging to $SCRATCH/minisand.log; sets PORT first if
# unset and waits until the port listens.
start_minisand() {
	"$MINISAND" -f "$@" >"$SCRATCH/minisand.log" 2>&1 &
	DAEMON_PID=$!
	wait_port 127.0.0.1 "$PORT" || fail "minisand did not listen on $PORT"
}

# start_quick LUNPATH...: quick mode on 127.0.0.1:$PORT with target $IQN.
start_quick() {
	args=""
	for l in "$@"; do
		args="$args --lun $l"
	done
	# shellcheck disable=SC2086 # one word per flag
	start_minisand --listen "127.0.0.1:$PORT" --target "$IQN" $args
}

stop_minisand() {
	kill -TERM "$DAEMON_PID"
	rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=""
	return "$rc"
}

PORT=${PORT:-$(free_port)}
