#!/usr/bin/env python3
# SUMMARY: first-time setup on the serial console (minisan-setup): RAID 1 from two blank disks, CHAP on the target, save, reboot; the host logs in with the secret and reads back what it wrote
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402

USER = "host1"
SECRET = "console-secret-42"
WRONG = "console-secret-43"
STEP = 90  # deadline of one menu step under TCG


class Menu:
    """Expect-style driving of minisan-setup on the serial console: wait for
    a prompt, answer it."""

    def __init__(self, con):
        self.con = con

    def until(self, prompt, timeout=STEP):
        """Waits for PROMPT (a regex); returns the text before it."""
        m = self.con.expect(r"(?s)(.*?)(%s)" % prompt, timeout)
        return m.group(1).decode("utf-8", "replace").replace("\r", "")

    def answer(self, prompt, text, timeout=STEP):
        before = self.until(prompt, timeout)
        self.con.send(text + "\r")
        return before

    def choose(self, menu, entry):
        return self.answer(r"\[%s\] choice: " % menu, entry)


def url(vm, user=None, secret=None):
    cred = "%s%%%s@" % (user, secret) if user else ""
    return "iscsi://%s127.0.0.1:%d/%s/0" % (cred, vm.port, V.IQN)


def inq(vm, user=None, secret=None):
    return subprocess.run(["iscsi-inq", url(vm, user, secret)],
                          capture_output=True, text=True, timeout=60)


def first_time_setup(vm, m):
    # Disks: both blank, with size, model and serial.
    m.choose("main", "2")
    m.choose("disks", "1")
    listing = m.answer(r"Press Enter to continue: ", "")
    V.check(re.search(r"vda .*MiB.*serial minisan-disk1 +blank", listing) and
            re.search(r"vdb .*MiB.*serial minisan-disk2 +blank", listing),
            "the disk list shows both disks with size, serial and 'blank'")
    # RAID 1 named data (the default target's /dev/md/data); bad answers
    # are refused with the reason and asked again.
    m.choose("disks", "3")
    m.answer(r"Array name \[data\]: ", "")
    m.answer(r"RAID level \[1\]: ", "7")
    why = m.answer(r"RAID level \[1\]: ", "1")
    V.check("type 0, 1, 5, 6 or 10" in why, "a bad RAID level is refused with the reason")
    m.answer(r"Disks for the array \(numbers, e.g. 1 2\): ", "1 1")
    why = m.answer(r"Disks for the array \(numbers, e.g. 1 2\): ", "1 2")
    V.check("disk 1 is named twice" in why, "a disk named twice is refused with the reason")
    summary = m.answer(r"Create the array\? \(y/n\) \[n\]: ", "y")
    V.check("RAID 1 'data' from vda vdb" in summary and
            summary.count("is blank: nothing on it is lost") == 2,
            "the confirmation names the array, its disks and what is lost")
    m.until(r"Created array data: RAID 1 from vda vdb")
    m.until(r"minisand is running\.", 120)
    print("ok: minisand starts once /dev/md/data exists")
    m.choose("disks", "2")
    status = m.answer(r"r = refresh, Enter = back: ", "")
    V.check(re.search(r"data: raid1, .*2 of 2 disks active", status) is not None,
            "array status shows data as RAID 1 with 2 of 2 disks")
    bar = re.search(r"(resync|recovery) +\[[#.]{40}\] +([0-9.]+)%", status)
    if bar:
        V.check(0 <= float(bar.group(2)) <= 100,
                "the resync progress bar shows %s%%" % bar.group(2))
    m.choose("disks", "0")
    # Targets: CHAP on the default target.
    m.choose("main", "3")
    m.choose("targets", "7")
    m.answer(r"Target \(1-1, Enter = back\): ", "1")
    m.choose("chap", "1")
    m.answer(r"Initiator user name: ", USER)
    m.answer(r"Secret \(12 to 255 characters, not shown\): ", "short")
    why = m.answer(r"Secret \(12 to 255 characters, not shown\): ", SECRET)
    V.check("the secret has 5 characters; it needs 12 to 255" in why,
            "a short CHAP secret is refused with the reason")
    m.answer(r"The same secret again: ", SECRET)
    m.until(r"CHAP \(set\) is on for %s" % re.escape(V.IQN))
    m.choose("targets", "1")
    targets = m.answer(r"Press Enter to continue: ", "")
    V.check("CHAP one-way (user %s)" % USER in targets and "/dev/md/data" in targets,
            "the target list shows CHAP and LUN 0 on /dev/md/data")
    m.choose("targets", "0")
    # Save to the boot medium.
    m.choose("main", "5")
    saved = m.until(r"Saved\. The next boot starts with this configuration\.")
    V.check("minisan.conf: saved" in saved and "appliance.conf: saved (1 array line(s))" in saved,
            "save writes minisan.conf (minisanctl save) and appliance.conf")


def main():
    vmdir = os.path.join(V.OUT, "apptest", "console")
    vm = V.VM(vmdir, firmware="bios", disks=2)

    def body():
        vm.start()
        boot = vm.wait_ready(last="MARK_NETWORK")
        V.check("NOT created: found 2 blank disks of 4" in boot,
                "with 2 blank disks the default RAID 5 (3 + spare) is not built")
        m = Menu(vm.con)
        first_time_setup(vm, m)
        with open(vm.log_path, "rb") as f:
            V.check(SECRET.encode() not in f.read(),
                    "the CHAP secret never appears on the console")

        # The saved files, seen from the menu's shell.
        vm.shell()
        # (A prompt of the previous command may precede the output.)
        status, out = vm.run("grep '^array' /media/config/appliance.conf")
        arrays = out.strip().split("\n")[-1].replace("# ", "")
        V.check(status == 0 and arrays == "array data raid1 disks 2",
                "appliance.conf records the array and only it: " + arrays)
        status, out = vm.run("grep -c '^[[:space:]]*chap %s ' /media/config/minisan.conf" % USER)
        V.check(status == 0 and out.strip().endswith("1"), "minisan.conf holds the CHAP user")
        vm.con.send("exit\r")

        # The host: CHAP is required and checked.
        V.check(inq(vm).returncode != 0, "a login without CHAP is refused")
        V.check(inq(vm, USER, WRONG).returncode != 0, "a login with a wrong secret is refused")
        r = inq(vm, USER, SECRET)
        V.check(r.returncode == 0, "a login with the secret works (iscsi-inq)")
        data = os.path.join(vmdir, "data.img")
        V.random_file(data, 16)
        V.run(["qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", data,
               url(vm, USER, SECRET)])

        # Reboot from the menu.
        m.choose("main", "6")
        m.answer(r"Reboot now\? \(y/n\) \[n\]: ", "y")
        vm.boot_started = time.monotonic()
        boot2 = vm.wait_ready()
        V.check("created array" not in boot2 and
                re.search(r"array data: raid1, .* 2 of 2 disks active", boot2) is not None,
                "after the reboot the RAID 1 is assembled, not created")
        V.check(V.IQN in boot2.split(V.MARK["MARK_READY"])[1].split("\n")[0],
                "the target is ready after the reboot")
        V.check(inq(vm, USER, WRONG).returncode != 0,
                "after the reboot a wrong secret is still refused")
        back = os.path.join(vmdir, "readback.img")
        V.run(["qemu-img", "dd", "-f", "raw", "-O", "raw", "bs=1M", "count=16",
               "if=" + url(vm, USER, SECRET), "of=" + back])
        with open(data, "rb") as a, open(back, "rb") as b:
            V.check(a.read() == b.read(), "16 MiB written before the reboot read back equal (CHAP login)")

        # Power off from the menu.
        vm.con.send("\r")
        m.choose("main", "7")
        m.answer(r"Power off now\? \(y/n\) \[n\]: ", "y")
        try:
            vm.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            V.fail("the VM did not power off from the menu")
        print("ok: power off from the menu stops the VM")

    V.run_test(body, vm)


main()
