#!/usr/bin/env python3
# SUMMARY: the Linux kernel initiator (iscsi_tcp + open-iscsi) in a second VM logs in to the appliance, makes ext4, writes files, logs out; after a new login their checksums match
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402

PORTAL = "10.0.2.2:%d"  # QEMU user networking: the host's loopback


def login(ini, port):
    ini.must("iscsiadm -m node -T %s -p %s -o new >/dev/null"
             % (V.IQN, PORTAL % port))
    ini.must("iscsiadm -m node -T %s -p %s --login" % (V.IQN, PORTAL % port), 120)
    # The disk appears when the kernel has scanned the new SCSI host.
    ini.must("i=0; while [ ! -b /dev/sda ] && [ $i -lt 100 ]; do "
             "sleep 0.2; i=$((i+1)); done; [ -b /dev/sda ]", 60)
    model = ini.must("cat /sys/block/sda/device/vendor /sys/block/sda/device/model")
    V.check("MINISAN" in model.upper(), "the kernel sees a minisan disk as /dev/sda")


def logout(ini, port):
    ini.must("iscsiadm -m node -T %s -p %s --logout" % (V.IQN, PORTAL % port), 120)
    V.check(not ini.run("[ -b /dev/sda ]")[0] == 0 and
            ini.must("ls /sys/class/iscsi_session | wc -l").strip() == "0",
            "after logout the session and its disk are gone")


def main():
    work = os.path.join(V.OUT, "apptest", "kernel-initiator")
    app = V.VM(work, disk_size="64M")
    ini = V.InitiatorVM(work)

    def body():
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
        logout(ini, app.port)
        login(ini, app.port)
        ini.must("mount -t ext4 -o ro /dev/sda /mnt")
        again = ini.must("cd /mnt && find . -type f | sort | xargs sha256sum; cd /")
        V.check(again == sums, "after a new login all %d checksums match" % count)
        ini.must("umount /mnt")
        logout(ini, app.port)
        ini.poweroff()
        app.shell()
        app.poweroff()

    V.run_test(body, app, ini)


main()
