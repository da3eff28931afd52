#!/usr/bin/env python3
"""Boots the appliance image once in a scratch VM directory and prints the
seconds from QEMU's start to the console's "iSCSI target ready" (used by
`make bench`; tests never time anything)."""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402


def main():
    firmware = sys.argv[1] if len(sys.argv) > 1 else "bios"
    vmdir = os.path.join(V.OUT, "bench", "boot-" + firmware)
    vm = V.VM(vmdir, firmware=firmware, disk_size="64M")
    try:
        vm.start()
        vm.wait_ready()
        print("%.1f" % vm.boot_seconds)
    finally:
        vm.kill()
        shutil.rmtree(vmdir, ignore_errors=True)


main()
