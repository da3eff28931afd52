#!/usr/bin/env python3
# SUMMARY: appliance.conf isns-server on: the box runs isnsd on port 3205, its own minisand registers with it (isns-server 127.0.0.1), and isnsadm on the host lists the target and portal; a bad isns-server line is reported by file and line
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402

ISNS_PORT = 3205
# QEMU user networking gives the guest this address (DHCP)
GUEST_ADDR = "10.0.2.15"

APPLIANCE_CONF = """\
hostname isnsbox
network dhcp
array data raid1 disks 2
isns-server maybe
isns-server on
"""


def minisan_conf():
    """The default minisan.conf plus registration with the box's own
    iSNS server."""
    with open(os.path.join(V.TOP, "configs", "minisand.conf")) as f:
        text = f.read()
    return text + "\nisns-server 127.0.0.1\nisns-entity minisan-isnsbox\n"


def isnsadm(conf, what):
    r = subprocess.run(["isnsadm", "--config", conf, "--list", what],
                       capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


def wait_listed(conf, what, pattern, deadline=90):
    """Polls isnsadm --list WHAT until PATTERN shows up; returns the last
    listing."""
    end = time.monotonic() + deadline
    while True:
        out = isnsadm(conf, what)
        if re.search(pattern, out) or time.monotonic() > end:
            return out
        time.sleep(1)


def main():
    vmdir = os.path.join(V.OUT, "apptest", "isns")
    isns_port = V.free_port()
    iscsi_port = V.free_port()
    while iscsi_port == isns_port:
        iscsi_port = V.free_port()
    vm = V.VM(vmdir, port=iscsi_port, disks=2, disk_size="64M",
              forwards=[(isns_port, ISNS_PORT)])
    admconf = os.path.join(vmdir, "isnsadm.conf")
    with open(admconf, "w") as f:
        f.write("ServerAddress = 127.0.0.1:%d\nSecurity = 0\n"
                "SourceName = iqn.2026-11.org.minisan:test-isnsadm\n" % isns_port)

    def body():
        vm.prepare()
        vm.put_config("appliance.conf", APPLIANCE_CONF)
        vm.put_config("minisan.conf", minisan_conf())
        vm.start()
        boot = vm.wait_ready()
        V.check("appliance.conf:4: isns-server must be on or off" in boot,
                "a bad isns-server line is reported as appliance.conf:4")
        line = "%s %s:%d" % (V.MARK["MARK_ISNS"], GUEST_ADDR, ISNS_PORT)
        if line not in boot:
            vm.con.expect(re.escape(line), V.BOOT_DEADLINE)
        print("ok: the console says: " + line)

        nodes = wait_listed(admconf, "nodes", r'iSCSI name = "%s"' % re.escape(V.IQN))
        print(nodes)
        V.check('iSCSI name = "%s"' % V.IQN in nodes,
                "isnsadm on the host lists the appliance's target")
        V.check("iSCSI node type = Target" in nodes,
                "it is registered as a target")
        portals = isnsadm(admconf, "portals")
        print(portals)
        V.check("Portal TCP/UDP port = 3260/tcp" in portals,
                "isnsadm lists the appliance's iSCSI portal (port 3260)")
        # The wildcard portal is registered as the address minisand reaches
        # the server from (docs/appliance.md, iSNS server).
        V.check("Portal IP address = 127.0.0.1" in portals,
                "the wildcard portal is registered as 127.0.0.1")
        entities = isnsadm(admconf, "entities")
        V.check('Entity identifier = "minisan-isnsbox"' in entities,
                "the entity is minisan.conf's isns-entity")

        # On the console, isnsadm needs no options (/etc/isns/isnsadm.conf).
        vm.shell()
        status, out = vm.run("isnsadm --list nodes")
        V.check(status == 0 and V.IQN in out,
                "isnsadm on the appliance's console lists the target")
        V.check("Warning" not in out, "... without warnings")
        status, out = vm.run("logread | grep isnsd")
        V.check("Warning" not in out and "rror" not in out,
                "isnsd logged no warnings or errors")
        vm.poweroff()

    V.run_test(body, vm)


main()
