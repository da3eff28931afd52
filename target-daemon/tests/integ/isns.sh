#!/bin/sh
# Debian's isnsd on a free loopback port for the iSNS tests, in the scratch
# directory, without authentication (Security 0) and without SLP; stopped by
# the teardown trap. Sourced after lib.sh by tests/integ/15N_isns*.sh.

for tool in isnsd isnsadm; do
	command -v "$tool" >/dev/null || fail "$tool missing (Debian packages open-isns-server and open-isns-utils; make deps)"
done

ISNS_PORT=$(free_port)
[ "$ISNS_PORT" = "$PORT" ] && ISNS_PORT=$((PORT + 1))
ISNSD_PID=""

isns_cleanup() {
	if [ -n "$ISNSD_PID" ]; then
		kill -TERM "$ISNSD_PID" 2>/dev/null || true
		wait "$ISNSD_PID" 2>/dev/null || true
	fi
	cleanup
}
trap isns_cleanup EXIT INT TERM

# isnsd_config PERIOD DEFAULT_DD: the server's registration period (s), and
# whether every node is in the default discovery domain (1) or a node sees
# only nodes that share a domain with it (0)
isnsd_config() {
	cat >"$SCRATCH/isnsd.conf" <<CONF
ServerAddress = 127.0.0.1:$ISNS_PORT
BindAddress = 127.0.0.1:$ISNS_PORT
Database = $SCRATCH/isnsdb
PIDFile = $SCRATCH/isnsd.pid
ControlSocket = $SCRATCH/isnsctl
Security = 0
SLPRegister = 0
RegistrationPeriod = $1
DefaultDiscoveryDomain = $2
SourceName = iqn.2026-11.org.minisan:isnsd
CONF
}

# isnsd_start [keep]: in the foreground, with an empty database unless keep
isnsd_start() {
	if [ "${1:-}" != keep ]; then
		rm -rf "$SCRATCH/isnsdb"
		mkdir -p "$SCRATCH/isnsdb"
	fi
	isnsd --config "$SCRATCH/isnsd.conf" --foreground \
		>>"$SCRATCH/isnsd.log" 2>&1 &
	ISNSD_PID=$!
	wait_port 127.0.0.1 "$ISNS_PORT" || fail "isnsd did not listen"
}

isnsd_stop() {
	kill -TERM "$ISNSD_PID"
	wait "$ISNSD_PID" 2>/dev/null || true
	ISNSD_PID=""
}
