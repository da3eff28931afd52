#!/bin/sh
# SUMMARY: minisanctl against a running minisand: a target and LUNs added while another initiator keeps reading a different target without error; LUN removal in use refused unless forced; a removed ACL entry refuses that initiator at its next login; save, restart, same configuration; --json parses
. "$(dirname "$0")/lib.sh"

MINISANCTL=${MINISANCTL:-"$OUT/bin/minisanctl"}
SOCK="$SCRATCH/ctl.sock"
READER=iqn.2026-11.org.example:reader
GOOD=iqn.2026-11.org.example:good
OTHER=iqn.2026-11.org.example:other
a=$(make_lun a.img 64M)
b=$(make_lun b.img 16M)
c=$(make_lun c.img 8M)
conf="$SCRATCH/minisand.conf"
cat >"$conf" <<EOF
portal 127.0.0.1:$PORT
target $IQN.a {
	lun 0 $a
}
EOF

ctl() { "$MINISANCTL" -s "$SOCK" "$@"; }
# json_get EXPR: evaluates a python expression over the JSON on stdin (j)
json_get() {
	python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
# wait_session INITIATOR TARGET: poll until that session is logged in
wait_session() {
	i=0
	until ctl --json show sessions | json_get \
		"any(s['initiator'] == '$1' and s['target'] == '$2' for s in j.get('sessions', []))" |
		grep -q True; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && return 1
		sleep 0.05
	done
}
tsih_of() { # tsih_of INITIATOR
	ctl --json show sessions |
		json_get "[s['tsih'] for s in j['sessions'] if s['initiator'] == '$1'][0]"
}
PERF_PID=""
stop_perf() {
	if [ -n "$PERF_PID" ]; then
		kill "$PERF_PID" 2>/dev/null || true
		wait "$PERF_PID" 2>/dev/null || true
		PERF_PID=""
	fi
}

start_minisand -c "$conf" --control "$SOCK"
[ -S "$SOCK" ] || fail "no control socket at $SOCK"
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "control socket mode is not 600"
ctl show targets | grep -q "^$IQN.a " || fail "show targets lacks $IQN.a"

# 1. targets and LUNs appear while another initiator reads without error
iscsi-perf -t 8 -x 0 -i "$READER" "iscsi://127.0.0.1:$PORT/$IQN.a/0" \
	>"$SCRATCH/perf.log" 2>&1 &
PERF_PID=$!
wait_session "$READER" "$IQN.a" || fail "reader did not log in"
tsih=$(tsih_of "$READER")
ctl target add "$IQN.b" alias "second disk" || fail "target add"
ctl lun add "$IQN.b" 0 "$b" || fail "lun add 0"
ctl lun add "$IQN.b" 1 "$c" readonly || fail "lun add 1"
ctl acl add "$IQN.b" "$GOOD" || fail "acl add $GOOD"
ctl acl add "$IQN.b" "$OTHER" || fail "acl add $OTHER"
out=$(iscsi-ls -i "$GOOD" -s "iscsi://127.0.0.1:$PORT" 2>&1) || fail "iscsi-ls: $out"
echo "$out"
echo "$out" | grep -q "Target:$IQN.b" || fail "added target not discovered"
echo "$out" | grep -q "Lun:1 .*Size:7M" || fail "added LUN 1 not listed"
iscsi-inq -i "$GOOD" "iscsi://127.0.0.1:$PORT/$IQN.b/0" >/dev/null ||
	fail "cannot log in to the added target"
kill -0 "$PERF_PID" || fail "the reader ended while targets were added"
[ "$(tsih_of "$READER")" = "$tsih" ] || fail "the reader's session changed"
rc=0
wait "$PERF_PID" || rc=$?
PERF_PID=""
tr '\r' '\n' <"$SCRATCH/perf.log" | tail -n 3
[ "$rc" -eq 0 ] || fail "reader failed (exit $rc) while targets were added"
grep -q "finished" "$SCRATCH/perf.log" || fail "reader did not finish"
stats=$(ctl --json show stats)
echo "$stats"
echo "$stats" | json_get "[s for s in j['stats'] if s['target'] == '$IQN.a'][0]['commands'] > 1000 and [s for s in j['stats'] if s['target'] == '$IQN.a'][0]['read_bytes'] > 0" |
	grep -q True || fail "per-LUN counters did not count the reader"
ctl --json show luns | json_get "sorted((l['target'], l['lun'], l['readonly']) for l in j['luns'])" |
	grep -qF "[('$IQN.a', 0, 'no'), ('$IQN.b', 0, 'no'), ('$IQN.b', 1, 'yes')]" ||
	fail "show luns --json is not what was added"

# removing a LUN in use refuses unless forced
iscsi-perf -t 20 -x 0 -i "$GOOD" "iscsi://127.0.0.1:$PORT/$IQN.b/0" \
	>"$SCRATCH/perf2.log" 2>&1 &
PERF_PID=$!
wait_session "$GOOD" "$IQN.b" || fail "second reader did not log in"
ctl show sessions
ctl show sessions | grep -q "^TSIH  *CID  *PEER" || fail "show sessions lists no connections"
if out=$(ctl lun remove "$IQN.b" 1 2>&1); then
	fail "LUN in use removed without force"
fi
echo "$out"
echo "$out" | grep -q "in use" || fail "refusal does not say the LUN is in use"
ctl --json lun remove "$IQN.b" 1 | json_get "j['error']" | grep -qx busy ||
	fail "--json refusal is not error busy"
ctl lun remove "$IQN.b" 1 --force || fail "forced LUN removal refused"
ctl show luns | grep -q "^$IQN.b  *1 " && fail "LUN 1 still shown"
kill -0 "$PERF_PID" || fail "forced removal of LUN 1 ended the session on LUN 0"
stop_perf
# the removed LUN's store is closed once nothing uses it (an array whose LUN
# is gone can then be stopped), while the LUN that stays keeps its own
lun1=$(readlink -f "$c")
i=0
while ls -l "/proc/$DAEMON_PID/fd" 2>/dev/null | grep -qF -- "$lun1"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "minisand still holds the removed LUN's $lun1 open"
	sleep 0.05
done
ls -l "/proc/$DAEMON_PID/fd" | grep -qF -- "$(readlink -f "$b")" ||
	fail "minisand closed the store of LUN 0, which stays"
grep -q "LUN store $lun1 closed" "$SCRATCH/minisand.log" ||
	fail "the log does not say the removed LUN's store was closed"

# 2. a removed ACL entry refuses that initiator at its next login
ctl acl remove "$IQN.b" "$GOOD" || fail "acl remove"
if iscsi-inq -i "$GOOD" "iscsi://127.0.0.1:$PORT/$IQN.b/0" >/dev/null 2>&1; then
	fail "initiator removed from the ACL still logs in"
fi
grep "login failed (status 0x0202)" "$SCRATCH/minisand.log" | grep -q "$GOOD" ||
	fail "refused login not logged"
iscsi-inq -i "$OTHER" "iscsi://127.0.0.1:$PORT/$IQN.b/0" >/dev/null ||
	fail "initiator still on the ACL refused"

# errors: a clear message and a non-zero exit
if out=$(ctl target add "$IQN.b" 2>&1); then fail "duplicate target added"; fi
echo "$out" | grep -q "exists" || fail "duplicate target: $out"
rc=0
ctl frobnicate >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "unknown command exit $rc, not 2"
ctl frobnicate 2>&1 | grep -q "valid here: show, target" ||
	fail "no list of valid words"

# hostile clients: a line that is too long is refused and skipped, a ninth client refused,
# requests pipelined on one connection each get their answer, and the
# daemon keeps serving
python3 - "$SOCK" <<'EOF' || fail "control socket limits"
import socket, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    return s
def answer(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
s = conn()
s.sendall(b"x" * 20000 + b"\nshow portals\n")
s.shutdown(socket.SHUT_WR)
got = answer(s).decode().splitlines()
assert got[0].startswith("err too-long"), got
assert got[1].startswith("portal ") and got[2] == "ok", got
held = [conn() for _ in range(8)]
extra = conn()
got = answer(extra)
assert got.startswith(b"err limit"), got
for h in held:
    h.close()
# the daemon notices the closed ones on its next loop turn: poll
for _ in range(200):
    try:
        s = conn()
        s.sendall(b"show portals\nshow%zz\n\x00\xff\nsave now\n")
        s.shutdown(socket.SHUT_WR)
        lines = answer(s).decode().splitlines()
    except ConnectionResetError:
        lines = ["err limit"]
    if not lines[0].startswith("err limit"):
        break
    time.sleep(0.05)
status = [l.split()[:2] for l in lines if l.startswith(("ok", "err"))]
assert status == [["ok"], ["err", "syntax"], ["err", "syntax"],
                  ["err", "syntax"]], lines
EOF
ctl show portals | grep -q "^127.0.0.1  *$PORT  *yes" || fail "control socket stopped answering"

# 3. save, restart, the same configuration
ctl target add "$IQN.c" || fail "target add c"
echo "correct-horse-battery" | ctl chap set "$IQN.c" alice - || fail "chap set"
ctl acl add "$IQN.c" 127.0.0.0/8 || fail "acl add network"
for w in targets luns acls portals; do
	ctl --json show "$w" >"$SCRATCH/before-$w.json"
done
ctl save || fail "save"
[ "$(stat -c %a "$conf")" = 600 ] || fail "saved file with a secret is not mode 600"
for f in "$SCRATCH"/minisand.conf.tmp*; do
	[ -e "$f" ] && fail "temporary file $f left behind"
done
stop_minisand || fail "minisand did not exit cleanly"
[ -e "$SOCK" ] && fail "control socket left behind"
start_minisand -c "$conf" --control "$SOCK"
for w in targets luns acls portals; do
	ctl --json show "$w" >"$SCRATCH/after-$w.json"
	python3 - "$SCRATCH/before-$w.json" "$SCRATCH/after-$w.json" <<'EOF' ||
import json, sys
def load(p):
    j = json.load(open(p))
    for recs in j.values():
        for r in recs:
            r.pop("sessions", None)
    return j
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    print("before:", a)
    print("after: ", b)
    sys.exit(1)
EOF
		fail "show $w differs after save and restart"
done
cat "$SCRATCH/after-targets.json"
iscsi-inq -i "$OTHER" "iscsi://127.0.0.1:$PORT/$IQN.b/0" >/dev/null ||
	fail "saved ACL does not let $OTHER in"
if iscsi-inq -i "$GOOD" "iscsi://127.0.0.1:$PORT/$IQN.b/0" >/dev/null 2>&1; then
	fail "saved ACL lets $GOOD in"
fi
# reload through the socket applies the file as SIGHUP does
ctl reload | grep -q "reloaded" || fail "reload"
stop_minisand || fail "minisand did not exit cleanly"
