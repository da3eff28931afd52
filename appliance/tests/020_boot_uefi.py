#!/usr/bin/env python3
# SUMMARY: OVMF (UEFI) boot of the same image through GRUB; the target answers INQUIRY and READ CAPACITY through the forwarded port
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402


def main():
    vm = V.VM(os.path.join(V.OUT, "apptest", "uefi"), firmware="uefi",
              disk_size="64M")

    def body():
        vm.start()
        boot = vm.wait_ready()
        print("TABLE boot to target ready (UEFI, TCG): %.0f s" % vm.boot_seconds)
        V.check("configuration from /dev/sda1" in boot,
                "GRUB found the MINISAN partition and /init mounted it")
        inq = subprocess.run(["iscsi-inq", vm.url()], capture_output=True,
                             text=True, timeout=60)
        V.check(inq.returncode == 0 and "DIRECT_ACCESS" in inq.stdout,
                "iscsi-inq: LUN 0 is a disk")
        ls = subprocess.run(["iscsi-ls", "iscsi://127.0.0.1:%d" % vm.port],
                            capture_output=True, text=True, timeout=60)
        V.check(V.IQN in ls.stdout, "iscsi-ls sees " + V.IQN)
        vm.shell()
        status, out = vm.run("ls /sys/firmware/efi >/dev/null && echo uefi")
        V.check(status == 0 and "uefi" in out, "the kernel runs on UEFI firmware")
        vm.poweroff()

    V.run_test(body, vm)


main()
