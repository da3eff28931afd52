#!/bin/sh
# SUMMARY: CHAP one-way and mutual (MD5, SHA-1, SHA-256, SHA3-256) through libiscsi and a raw client; wrong secrets and missing credentials fail with 0x0201; secrets stay out of the log; config files with secrets must be private
. "$(dirname "$0")/lib.sh"

tools=$(cd "$(dirname "$0")/tools" && pwd)
lun=$(make_lun lun0 16M)
url="127.0.0.1:$PORT/$IQN/0"
start_minisand --listen "127.0.0.1:$PORT" --target "$IQN" --lun "$lun" \
	--chap alice:alicesecret123
iscsi-inq "iscsi://alice%alicesecret123@$url" >/dev/null 2>&1 ||
	fail "libiscsi login with the right secret"
if iscsi-inq "iscsi://alice%wrongsecret999@$url" >/dev/null 2>&1; then
	fail "libiscsi logged in with a wrong secret"
fi
if iscsi-inq "iscsi://$url" >/dev/null 2>&1; then
	fail "libiscsi logged in without credentials"
fi
out=$(iscsi-ls "iscsi://alice%alicesecret123@127.0.0.1:$PORT" 2>&1) ||
	fail "discovery with CHAP: $out"
echo "$out" | grep -q "Target:$IQN" || fail "discovery with CHAP lists nothing"
if iscsi-ls "iscsi://127.0.0.1:$PORT" >/dev/null 2>&1; then
	fail "discovery without credentials succeeded"
fi
python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" chap-algorithms "$IQN" ||
	fail "chap-algorithms"
grep -q "login failed (status 0x0201)" "$SCRATCH/minisand.log" ||
	fail "failed authentication not logged"
if grep -q "alicesecret123\|wrongsecret999" "$SCRATCH/minisand.log"; then
	fail "a secret appears in the log"
fi
stop_minisand || fail "minisand did not exit cleanly"

start_minisand --listen "127.0.0.1:$PORT" --target "$IQN" --lun "$lun" \
	--chap alice:alicesecret123 --mutual-chap tgt:targetsecret456
q="target_user=tgt&target_password"
iscsi-inq "iscsi://alice%alicesecret123@$url?$q=targetsecret456" \
	>/dev/null 2>&1 || fail "libiscsi mutual CHAP"
if iscsi-inq "iscsi://alice%alicesecret123@$url?$q=wrongtarget999" \
	>/dev/null 2>&1; then
	fail "libiscsi accepted the target with a wrong mutual secret"
fi
python3 "$tools/rawpdu.py" 127.0.0.1 "$PORT" chap-mutual "$IQN" ||
	fail "chap-mutual"
stop_minisand || fail "minisand did not exit cleanly"

# a config file with secrets that others can read is refused
conf="$SCRATCH/chap.conf"
printf 'portal 127.0.0.1:%s\ntarget %s {\n\tchap alice alicesecret123\n\tlun 0 %s\n}\n' \
	"$PORT" "$IQN" "$lun" >"$conf"
chmod 644 "$conf"
if out=$("$MINISAND" -t -c "$conf" 2>&1); then
	fail "world-readable secrets accepted"
fi
echo "$out" | grep -q "chmod 600" || fail "unclear refusal: $out"
chmod 600 "$conf"
out=$("$MINISAND" -t -c "$conf" 2>&1) || fail "private file refused: $out"
echo "CHAP checked"
