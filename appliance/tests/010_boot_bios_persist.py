#!/usr/bin/env python3
# SUMMARY: SeaBIOS boot from the image as a USB stick; RAID 5 built on first boot; 64 MiB through iscsi:// survive a reboot
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402


def main():
    vmdir = os.path.join(V.OUT, "apptest", "bios")
    vm = V.VM(vmdir, firmware="bios")

    def body():
        vm.start()
        boot = vm.wait_ready()
        V.check("created array data: raid5 from vda vdb vdc vdd" in boot,
                "first boot creates RAID 5 (3 disks + spare) from the blank disks")
        V.check("configuration from /dev/sda1" in boot,
                "the configuration comes from the boot medium's FAT partition")
        print("TABLE boot to target ready (BIOS, TCG): %.0f s" % vm.boot_seconds)
        ls = subprocess.run(["iscsi-ls", "iscsi://127.0.0.1:%d" % vm.port],
                            capture_output=True, text=True, timeout=60)
        V.check(V.IQN in ls.stdout, "iscsi-ls on the forwarded port sees " + V.IQN)
        data = os.path.join(vmdir, "data.img")
        V.random_file(data, 64)
        V.write_lun(vm, data)
        vm.shell()
        vm.reboot()
        boot2 = vm.wait_ready()
        V.check("created array" not in boot2,
                "second boot assembles the array instead of creating one")
        V.check(V.lun_matches(vm, data, vmdir),
                "64 MiB written before the reboot read back equal")
        vm.shell()
        status, out = vm.run("cat /media/config/appliance.conf | grep -c '^array data'")
        V.check(status == 0 and out.strip().endswith("1"),
                "appliance.conf is on the mounted config partition")
        vm.poweroff()

    V.run_test(body, vm)


main()
