#!/usr/bin/env python3
# SUMMARY: the Linux kernel initiator (iscsi_tcp + iscsistart) in a second VM logs in to the appliance, makes ext4, writes files; after a new login their checksums match
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402

INITIATOR_IQN = "iqn.2026-11.org.minisan:test-kernel-initiator"


def login(ini, port):
    ini.must("iscsistart -i %s -t %s -g 1 -a 10.0.2.2 -p %d"
             % (INITIATOR_IQN, V.IQN, port), 120)
    # The disk appears when the kernel has scanned the new SCSI host.
    ini.must("i=0; while [ ! -b /dev/sda ] && [ $i -lt 100 ]; do "
             "sleep 0.2; i=$((i+1)); done; [ -b /dev/sda ]", 60)
    model = ini.must("cat /sys/block/sda/device/vendor /sys/block/sda/device/model")
    V.check("MINISAN" in model.upper(), "the kernel sees a minisan disk as /dev/sda")


def main():
    work = os.path.join(V.OUT, "apptest", "kernel-initiator")
    app = V.VM(work, disk_size="64M")
    ini = V.InitiatorVM(work)
    try:
        app.start()
        app.wait_ready()

        ini.start()
        login(ini, app.port)
        ini.must("mkfs.ext4 -q -F /dev/sda", 300)
        ini.must("mount -t ext4 /dev/sda /mnt")
        ini.must("dd if=/dev/urandom of=/mnt/random bs=1M count=16 2>/dev/null")
        ini.must("mkdir /mnt/tree && cp -a /lib/modules /mnt/tree/")
        sums = ini.must("cd /mnt && find . -type f | sort | xargs sha256sum; cd /")
        count = len(sums.splitlines())
        V.check(count > 10, "wrote %d files on ext4 over iSCSI" % count)
        ini.must("umount /mnt && sync")
        # The session ends with the VM (iscsistart cannot log out); a new VM
        # boot logs in again from scratch.
        ini.poweroff()

        ini.start()
        login(ini, app.port)
        ini.must("mount -t ext4 -o ro /dev/sda /mnt")
        again = ini.must("cd /mnt && find . -type f | sort | xargs sha256sum; cd /")
        V.check(again == sums, "after a new login all %d checksums match" % count)
        ini.must("umount /mnt")
        ini.poweroff()
        app.shell()
        app.poweroff()
    except (V.ConsoleTimeout, subprocess.SubprocessError) as e:
        V.fail("%s (console logs in %s)" % (e, work))
    finally:
        ini.kill()
        app.kill()


main()
