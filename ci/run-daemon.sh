#!/bin/sh
# `make run-daemon`: minisand alone, on the host, in the foreground on
# 127.0.0.1:3260 exporting a 1 GiB sparse file from out/run/ as LUN 0.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
run="$top/out/run"
mkdir -p "$run"
[ -f "$run/lun0.img" ] || truncate -s 1G "$run/lun0.img"
iqn=iqn.2026-11.org.minisan:appliance
echo "minisan: serving $run/lun0.img as LUN 0 of $iqn on 127.0.0.1:3260"
echo "minisan: try: iscsi-ls -s iscsi://127.0.0.1:3260   (Ctrl-C stops)"
exec "$top/out/bin/minisand" -f --listen 127.0.0.1:3260 --target "$iqn" \
	--lun "$run/lun0.img"
