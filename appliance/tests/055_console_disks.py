#!/usr/bin/env python3
# SUMMARY: the console setup's disk menu on a running RAID 1: mark a disk failed, add a spare (rebuild), replace a disk, refuse to delete an exported array, delete it after the typed name
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402

STEP = 60


def until(con, prompt):
    """Waits for PROMPT (a regex); returns the text before it."""
    m = con.expect(r"(?s)(.*?)(%s)" % prompt, STEP)
    return m.group(1).decode("utf-8", "replace").replace("\r", "")


def answer(con, prompt, text):
    before = until(con, prompt)
    con.send(text + "\r")
    return before


def pick(listing, disk):
    """The menu number in front of DISK in a " N) disk ..." listing."""
    m = re.search(r"^ *(\d+)\) +%s\b" % disk, listing, re.M)
    if not m:
        V.fail("%s is not offered in:\n%s" % (disk, listing))
    return m.group(1)


def detail(vm):
    vm.shell()
    status, out = vm.run("mdadm --wait /dev/md/data; mdadm --detail /dev/md/data", 300)
    vm.con.send("exit\r")
    return out


def main():
    vmdir = os.path.join(V.OUT, "apptest", "console-disks")
    vm = V.VM(vmdir, disks=3, disk_size="64M")
    vm.prepare()
    vm.put_config("appliance.conf", "hostname minisan\nnetwork dhcp\n"
                  "array data raid1 devices /dev/vda /dev/vdb\n")
    con = None

    def body():
        vm.start()
        boot = vm.wait_ready()
        V.check("created array data: raid1 from vda vdb" in boot,
                "first boot builds RAID 1 from vda and vdb; vdc stays blank")
        con = vm.con
        con.send("\r")
        answer(con, r"\[main\] choice: ", "2")

        # Mark vdb failed: the array keeps serving from vda.
        answer(con, r"\[disks\] choice: ", "4")
        answer(con, r"Array \(1-1, Enter = back\): ", "1")
        listing = until(con, r"Disk to mark failed \(1-\d, Enter = back\): ")
        con.send(pick(listing, "vdb") + "\r")
        answer(con, r"Mark vdb failed and remove it from data\? \(y/n\) \[n\]: ", "y")
        until(con, r"vdb is out of data; you may pull it\.")
        V.check(True, "menu 4 marks vdb failed and takes it out of the array")

        # Add the blank vdc: md rebuilds onto it.
        answer(con, r"\[disks\] choice: ", "5")
        answer(con, r"Array \(1-1, Enter = back\): ", "1")
        listing = until(con, r"Disk to add \(1-\d, Enter = back\): ")
        con.send(pick(listing, "vdc") + "\r")
        answer(con, r"Add vdc to data\? \(y/n\) \[n\]: ", "y")
        until(con, r"vdc added; data rebuilds onto it now")
        V.check(True, "menu 5 adds vdc to the degraded array, which rebuilds")
        answer(con, r"\[disks\] choice: ", "0")
        answer(con, r"\[main\] choice: ", "s")
        d = detail(vm)
        V.check("State : clean" in d and re.search(r"active sync +/dev/vdc", d),
                "after the rebuild data is clean on vda and vdc")

        # Replace vda with vdb (wiped first, since it held array data).
        con.send("\r")
        answer(con, r"\[main\] choice: ", "2")
        answer(con, r"\[disks\] choice: ", "6")
        answer(con, r"Array \(1-1, Enter = back\): ", "1")
        listing = until(con, r"Disk to replace \(1-\d, Enter = back\): ")
        con.send(pick(listing, "vda") + "\r")
        listing = until(con, r"New disk \(1-\d, Enter = back\): ")
        con.send(pick(listing, "vdb") + "\r")
        answer(con, r"Replace vda with vdb in data\? \(y/n\) \[n\]: ", "y")
        until(con, r"Copying vda to vdb")
        answer(con, r"\[disks\] choice: ", "0")
        answer(con, r"\[main\] choice: ", "s")
        d = detail(vm)
        V.check("State : clean" in d and re.search(r"active sync +/dev/vdb", d)
                and re.search(r"active sync +/dev/vdc", d)
                and not re.search(r"active sync +/dev/vda", d),
                "menu 6 replaces vda with vdb: data is clean on vdb and vdc")

        # Delete: refused while a LUN exports the array, then after the
        # typed name only.
        con.send("\r")
        answer(con, r"\[main\] choice: ", "2")
        answer(con, r"\[disks\] choice: ", "7")
        answer(con, r"Array to delete \(1-1, Enter = back\): ", "1")
        until(con, r"remove that LUN first")
        V.check(True, "menu 7 refuses to delete an array a LUN exports")
        answer(con, r"\[disks\] choice: ", "0")
        answer(con, r"\[main\] choice: ", "s")
        vm.shell()
        status, out = vm.run("minisanctl lun remove %s 0 force" % V.IQN)
        V.check(status == 0, "minisanctl removes the LUN: " + out.strip())
        # minisand lets go of a removed LUN's device once nothing uses it.
        status, out = vm.run(
            "i=0; while [ $i -lt 100 ] && ls -l /proc/$(pidof minisand)/fd | "
            "grep -q /dev/md; do sleep 0.1; i=$((i+1)); done; "
            "! ls -l /proc/$(pidof minisand)/fd | grep -q /dev/md", 60)
        V.check(status == 0, "minisand closed the array once its LUN was removed")
        con.send("exit\r")
        con.send("\r")
        answer(con, r"\[main\] choice: ", "2")
        answer(con, r"\[disks\] choice: ", "7")
        answer(con, r"Array to delete \(1-1, Enter = back\): ", "1")
        answer(con, r"Type the array name \(data\) to delete it: ", "dat")
        until(con, r"Cancelled: you typed 'dat', not 'data'\. Nothing was changed\.")
        answer(con, r"\[disks\] choice: ", "7")
        answer(con, r"Array to delete \(1-1, Enter = back\): ", "1")
        answer(con, r"Type the array name \(data\) to delete it: ", "data")
        until(con, r"Array data is deleted\.")
        answer(con, r"\[disks\] choice: ", "0")
        answer(con, r"\[main\] choice: ", "s")
        vm.shell()
        status, out = vm.run(
            "grep -c '^md' /proc/mdstat; for d in vda vdb vdc; do "
            "dd if=/dev/$d bs=65536 count=16 2>/dev/null | tr -d '\\000' | wc -c; done")
        counts = out.split()
        V.check(counts[:1] == ["0"] and counts[1:] == ["0", "0", "0"],
                "a wrong name cancels; the typed name deletes the array and "
                "leaves its disks blank (%s)" % " ".join(counts))
        vm.poweroff()

    V.run_test(body, vm)


main()
