#!/usr/bin/env python3
# SUMMARY: RAID 5 with a disk pulled: boots degraded and rebuilds onto the spare, the LUN serves the same data; the disk put back rejoins and the array is clean
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402


def array_detail(vm):
    status, out = vm.run("mdadm --wait /dev/md/data; mdadm --detail /dev/md/data", 300)
    V.check(status in (0, 1), "mdadm --detail /dev/md/data runs")
    return out


def main():
    vmdir = os.path.join(V.OUT, "apptest", "raid")
    vm = V.VM(vmdir, disk_size="64M")
    data = os.path.join(vmdir, "data.img")

    def body():
        # First boot: the array is built; data goes on it.
        vm.start()
        vm.wait_ready()
        V.random_file(data, 32)
        V.write_lun(vm, data)
        vm.shell()
        array_detail(vm)  # let the initial build finish
        vm.poweroff()

        # Disk 2 is gone: md runs degraded and rebuilds onto the spare.
        vm.start(skip_disks=[2])
        boot = vm.wait_ready()
        V.check(V.MARK["MARK_DEGRADED"] in boot,
                "the console reports the array DEGRADED with a disk missing")
        V.check("missing: the disk with serial minisan-disk2" in boot,
                "the console names the missing disk by its serial number")
        V.check(V.lun_matches(vm, data, vmdir),
                "the degraded array serves the same data")
        vm.shell()
        detail = array_detail(vm)
        V.check("degraded" not in detail and "State : clean" in detail,
                "after the rebuild onto the spare the array is clean")
        vm.poweroff()

        # Disk 2 is back: it holds stale data of the array and is added back
        # (its slot went to the spare, so it becomes the new spare).
        vm.start()
        boot = vm.wait_ready()
        V.check("minisan-disk2" in boot and ("rejoined array data" in boot
                or "added back to array data" in boot),
                "the returning disk is put back into the array at boot")
        vm.shell()
        detail = array_detail(vm)
        V.check("State : clean" in detail and "degraded" not in detail,
                "the array is clean with all disks")
        V.check(detail.count("active sync") == 3 and "spare" in detail,
                "3 active members and a spare again")
        V.check(V.lun_matches(vm, data, vmdir), "the data is unchanged")

        # A disk failing while the box runs is reported too (mdadm --monitor)
        # and the spare takes its place.
        vm.run("mdadm /dev/md/data --fail /dev/vdc")
        m = vm.con.expect(r"DEGRADED array data: disk vdc[^\r\n]*FAILED", 120)
        V.check(m is not None, "a disk failing at run time is reported on the "
                "console: " + m.group(0).decode())
        vm.con.expect(r"array data: rebuild finished", 300)
        detail = array_detail(vm)
        V.check("State : clean" in detail and "faulty" in detail,
                "the spare replaced the failed disk; the array is clean")
        V.check(V.lun_matches(vm, data, vmdir), "the data is unchanged")
        vm.poweroff()

    V.run_test(body, vm)


main()
