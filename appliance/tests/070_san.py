#!/usr/bin/env python3
# SUMMARY: make san: two appliance VMs (RAID 1 each) register with iSNS; a kernel-initiator VM finds both through iSNS, mirrors across them, survives one appliance's stop, resyncs when it returns, data verifies
"""The VM test SAN (`make san`, and part of `make check`).

Everything runs inside a network namespace this script creates: a bridge
(10.77.0.254/24, where an iSNS server, Debian's isnsd, listens) with one tap
per VM. Appliances A (10.77.0.1) and B (10.77.0.2) each build a RAID 1 from
two blank disks and export it, registering with the iSNS server. The
initiator VM (10.77.0.10, the kernel initiator with open-iscsi) discovers
both targets through the iSNS server, logs in to both, and builds an md
RAID 1 across the two LUNs. Then B is powered off: the mirror degrades and
keeps working from A. B boots again, iscsid reconnects, B's half is re-added,
the mirror resynchronises, and every checksum verifies.

SAN_KEEP=1 leaves the SAN running at the end until Enter is pressed.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402

NS = "minisan-san-%d" % os.getpid()
NETNS = ["ip", "netns", "exec", NS]
BRIDGE_ADDR = "10.77.0.254"
ISNS_PORT = 3205
INITIATOR_IQN = "iqn.2026-11.org.minisan:san-initiator"
APPLIANCES = {"a": "10.77.0.1", "b": "10.77.0.2"}


def sh(*cmd):
    subprocess.run(cmd, check=True)


def netns_up():
    sh("ip", "netns", "add", NS)
    sh(*NETNS, "ip", "link", "set", "lo", "up")
    sh(*NETNS, "ip", "link", "add", "br0", "type", "bridge")
    sh(*NETNS, "ip", "addr", "add", BRIDGE_ADDR + "/24", "dev", "br0")
    sh(*NETNS, "ip", "link", "set", "br0", "up")
    for tap in ("tapa", "tapb", "tapi"):
        sh(*NETNS, "ip", "tuntap", "add", tap, "mode", "tap")
        sh(*NETNS, "ip", "link", "set", tap, "master", "br0")
        sh(*NETNS, "ip", "link", "set", tap, "up")


def netns_down():
    subprocess.run(["ip", "netns", "pids", NS], capture_output=True)
    pids = subprocess.run(["ip", "netns", "pids", NS], capture_output=True,
                          text=True).stdout.split()
    for pid in pids:
        subprocess.run(["kill", "-9", pid])
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)


def isnsd_start(work):
    conf = os.path.join(work, "isnsd.conf")
    db = os.path.join(work, "isnsdb")
    shutil.rmtree(db, ignore_errors=True)
    os.makedirs(db)
    with open(conf, "w") as f:
        f.write("ServerAddress = %s:%d\nBindAddress = %s:%d\n"
                "Database = %s\nPIDFile = %s/isnsd.pid\n"
                "ControlSocket = %s/isnsctl\nSecurity = 0\nSLPRegister = 0\n"
                "DefaultDiscoveryDomain = 1\n"
                "SourceName = iqn.2026-11.org.minisan:san-isnsd\n"
                % (BRIDGE_ADDR, ISNS_PORT, BRIDGE_ADDR, ISNS_PORT, db, work, work))
    return subprocess.Popen(NETNS + ["isnsd", "--config", conf, "--foreground"],
                            stdout=open(os.path.join(work, "isnsd.log"), "ab"),
                            stderr=subprocess.STDOUT)


def appliance(work, name):
    addr = APPLIANCES[name]
    vm = V.VM(os.path.join(work, name), disks=2, disk_size="64M")
    vm.prefix = NETNS
    vm.extra = ["--net", "tap,ifname=tap%s,script=no,downscript=no" % name]
    vm.prepare()
    vm.put_config("appliance.conf",
               "hostname san-%s\ninterface eth1\nnetwork static %s/24\n"
               "array data raid1 disks 2\n" % (name, addr))
    vm.put_config("minisan.conf",
               "portal 0.0.0.0:3260\nisns-server %s:%d\n"
               "state-directory /media/config/state\n"
               "target iqn.2026-11.org.minisan:san-%s {\n"
               "\tlun 0 /dev/md/data\n}\n" % (BRIDGE_ADDR, ISNS_PORT, name))
    return vm


def isns_targets(ini):
    """(address, port, target) for each target the initiator finds through
    the iSNS server (open-iscsi's own iSNS discovery)."""
    out = ini.must("iscsiadm -m discovery -t isns -p %s:%d"
                   % (BRIDGE_ADDR, ISNS_PORT), 120)
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and ":" in parts[0]:
            addr, _, rest = parts[0].partition(":")
            found.append((addr, int(rest.split(",")[0]), parts[1]))
    return sorted(found)


def disk_of(ini, target):
    """The /dev name of the LUN of TARGET's session, from sysfs."""
    return ini.must(
        "for d in /sys/block/sd*; do s=$(readlink -f $d/device | "
        "grep -o 'session[0-9]*' | head -n 1); "
        "[ \"$(cat /sys/class/iscsi_session/$s/targetname)\" = %s ] && "
        "basename $d; done; true" % target).strip()


def session_state(ini, target):
    return ini.must(
        "for s in /sys/class/iscsi_session/session*; do "
        "[ \"$(cat $s/targetname)\" = %s ] && cat $s/state; done; true"
        % target).strip()


def main():
    work = os.path.join(V.OUT, "san")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    subprocess.run(["make", "-s", "-C", V.TOP, "image", "test-initiator"],
                   check=True)
    vms = {}
    ini = None
    isnsd = None
    try:
        netns_up()
        isnsd = isnsd_start(work)
        for name in APPLIANCES:
            vms[name] = appliance(work, name)
            vms[name].start()
            vms[name].wait_ready()
        print("TABLE SAN: appliances A and B ready, each with RAID 1")

        ini = V.InitiatorVM(work, prefix=NETNS, extra=[
            "-netdev", "tap,id=san,ifname=tapi,script=no,downscript=no",
            "-device", "virtio-net-pci,netdev=san,mac=52:54:00:00:03:01"])
        ini.start()
        ini.must("ip link set eth1 up && ip addr add 10.77.0.10/24 dev eth1")
        found = isns_targets(ini)
        want = sorted((a, 3260, "iqn.2026-11.org.minisan:san-%s" % n)
                      for n, a in APPLIANCES.items())
        V.check(found == want, "iSNS discovery (iscsiadm -t isns) finds both "
                "targets with their portals: %s" % found)
        ini.must("iscsiadm -m node -L all", 120)
        ini.must("i=0; while [ $(ls -d /sys/block/sd* 2>/dev/null | wc -l) "
                 "-lt 2 ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done")
        disks = {n: disk_of(ini, "iqn.2026-11.org.minisan:san-" + n)
                 for n in APPLIANCES}
        V.check(all(disks.values()) and disks["a"] != disks["b"],
                "logged in to both: A is %s, B is %s" % (disks["a"], disks["b"]))
        da, db = disks["a"], disks["b"]
        ini.must("mdadm --create /dev/md/mirror --run --level=1 "
                 "--raid-devices=2 --bitmap=internal /dev/%s /dev/%s" % (da, db))
        ini.must("mdadm --wait /dev/md/mirror; true", 600)
        ini.must("dd if=/dev/urandom of=/tmp/one bs=1M count=16 2>/dev/null && "
                 "dd if=/tmp/one of=/dev/md/mirror bs=1M conv=fsync 2>/dev/null")
        sum_one = ini.must("sha256sum </tmp/one").split()[0]

        # B goes away; the mirror carries on from A.
        vms["b"].shell()
        vms["b"].poweroff()
        ini.must("dd if=/dev/urandom of=/tmp/two bs=1M count=8 2>/dev/null && "
                 "dd if=/tmp/two of=/dev/md/mirror bs=1M seek=16 conv=fsync "
                 "2>/dev/null", 300)
        status = ini.must("cat /proc/mdstat")
        V.check("(F)" in status or "_]" in status,
                "with B stopped the mirror is degraded: %s"
                % " ".join(status.split()[:12]))
        got = ini.must("dd if=/dev/md/mirror bs=1M count=16 2>/dev/null | sha256sum")
        V.check(got.split()[0] == sum_one,
                "the initiator keeps reading and writing from A alone")

        # B is back: iscsid reconnects by itself; B's half goes back in.
        vms["b"].start()
        vms["b"].wait_ready()
        target_b = "iqn.2026-11.org.minisan:san-b"
        ini.must("i=0; while [ $i -lt 300 ]; do for s in "
                 "/sys/class/iscsi_session/session*; do "
                 "[ \"$(cat $s/targetname)\" = %s ] && "
                 "[ \"$(cat $s/state)\" = LOGGED_IN ] && exit_loop=1; done; "
                 "[ -n \"${exit_loop:-}\" ] && break; sleep 0.2; i=$((i+1)); "
                 "done" % target_b, 120)
        V.check(session_state(ini, target_b) == "LOGGED_IN",
                "iscsid logged in to B again on its own")
        ini.must("mdadm /dev/md/mirror --remove %s; true" % ("/dev/" + db))
        ini.must("mdadm /dev/md/mirror --re-add /dev/%s || "
                 "mdadm /dev/md/mirror --add /dev/%s" % (db, db))
        ini.must("mdadm --wait /dev/md/mirror; true", 600)
        detail = ini.must("mdadm --detail /dev/md/mirror")
        V.check("State : clean" in detail and "degraded" not in detail,
                "the mirror resynchronised onto B and is clean")
        ini.must("echo check >/sys/block/$(basename $(readlink -f "
                 "/dev/md/mirror))/md/sync_action")
        ini.must("sleep 1; mdadm --wait /dev/md/mirror; true", 600)
        mismatch = ini.must("cat /sys/block/$(basename $(readlink -f "
                            "/dev/md/mirror))/md/mismatch_cnt")
        V.check(mismatch.strip() == "0",
                "md's check finds both halves identical (mismatch_cnt 0)")
        sum_two = ini.must("sha256sum </tmp/two").split()[0]
        got1 = ini.must("dd if=/dev/md/mirror bs=1M count=16 2>/dev/null | sha256sum")
        got2 = ini.must("dd if=/dev/md/mirror bs=1M skip=16 count=8 "
                        "2>/dev/null | sha256sum")
        V.check(got1.split()[0] == sum_one and got2.split()[0] == sum_two,
                "all data written before and during B's absence verifies")
        if os.environ.get("SAN_KEEP"):
            print("SAN running; consoles: %s/*/console.sock; Enter stops it" % work)
            input()
        ini.must("mdadm --stop /dev/md/mirror && iscsiadm -m node -U all", 120)
        V.check(ini.must("ls /sys/class/iscsi_session | wc -l").strip() == "0",
                "the initiator logs out of both targets")
        ini.poweroff()
        for vm in vms.values():
            vm.shell()
            vm.poweroff()
    except (V.ConsoleTimeout, subprocess.SubprocessError) as e:
        V.fail("%s (console logs under %s)" % (e, work))
    finally:
        if ini:
            ini.kill()
        for vm in vms.values():
            vm.kill()
        if isnsd:
            isnsd.kill()
        netns_down()


main()
