#!/usr/bin/env python3
# SUMMARY: the image is reproducible: the rootfs, initramfs and image stages run again in a scratch directory give a byte-identical minisan.img
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402


def main():
    scratch = os.path.join(V.OUT, "apptest", "reproducible")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(os.path.join(scratch, "bin"))
    # The earlier stages' outputs are inputs here: shared, read only.
    for name in ("kernel", "mdadm", "modules", "dl", "isnsd"):
        src = os.path.join(V.OUT, name)
        if os.path.exists(src):
            os.symlink(src, os.path.join(scratch, name))
    for prog in ("minisand", "minisanctl"):
        src = os.path.join(V.OUT, "bin", prog)
        if os.path.exists(src):
            os.symlink(src, os.path.join(scratch, "bin", prog))
    env = dict(os.environ)
    env.setdefault("SOURCE_DATE_EPOCH", subprocess.run(
        ["git", "-C", V.TOP, "log", "-1", "--format=%ct"],
        capture_output=True, text=True).stdout.strip() or "0")
    for stage in ("30-rootfs.sh", "40-initramfs.sh", "50-image.sh"):
        subprocess.run([os.path.join(V.TOP, "appliance", "stages", stage),
                        scratch], check=True, env=env)
    with open(os.path.join(V.OUT, "image", "SHA256SUMS")) as f:
        first = f.read().split()[0]
    with open(os.path.join(scratch, "image", "SHA256SUMS")) as f:
        second = f.read().split()[0]
    V.check(first == second, "two builds give the same minisan.img (sha256 %s, %s)"
            % (first[:16], second[:16]))
    shutil.rmtree(scratch)


main()
