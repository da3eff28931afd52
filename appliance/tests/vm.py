"""Appliance VMs for the tests: boots out/image/minisan.img through
appliance/run-vm.sh with the serial console on a Unix socket, waits for the
boot markers of rootfs/lib/minisan/markers.sh, and reaches the target from
the host through the forwarded port with real initiators (libiscsi's tools,
qemu-img's iscsi:// driver)."""
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time

from console import Console, ConsoleTimeout

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.environ.get("OUT", os.path.join(TOP, "out"))
IQN = "iqn.2026-11.org.minisan:appliance"
# TCG on two cores: a boot takes 15-40 s; these are deadlines, not timings.
BOOT_DEADLINE = 240


def markers():
    """The boot messages, read from the file /init itself sources."""
    found = {}
    path = os.path.join(TOP, "rootfs", "lib", "minisan", "markers.sh")
    for line in open(path):
        m = re.match(r'^(MARK_\w+)="(.*)"$', line.strip())
        if m:
            found[m.group(1)] = m.group(2)
    return found


MARK = markers()


def free_port():
    while True:
        port = random.randint(20000, 29999)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run_test(body, *machines):
    """Runs BODY(). A console that stays silent past its deadline or a
    failed command fails the test, naming the console logs; the MACHINES
    (VM or InitiatorVM) are stopped whatever happens."""
    try:
        body()
    except (ConsoleTimeout, subprocess.SubprocessError) as e:
        fail("%s (console logs: %s)"
             % (e, ", ".join(m.log_path for m in machines)))
    finally:
        for m in machines:
            m.kill()


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


class VM:
    """One appliance VM. VMDIR keeps its disks between boots."""

    def __init__(self, vmdir, port=None, firmware="bios", disks=4,
                 disk_size="96M", fresh=True, forwards=()):
        self.vmdir = vmdir
        self.port = port or free_port()
        # extra (host port, guest port) TCP forwards besides iSCSI's
        self.forwards = list(forwards)
        self.firmware = firmware
        self.disks = disks
        self.disk_size = disk_size
        self.proc = None
        self.con = None
        if fresh and os.path.isdir(vmdir):
            shutil.rmtree(vmdir)
        os.makedirs(vmdir, exist_ok=True)
        self.log_path = os.path.join(vmdir, "console.log")

    # Set by a test that runs its VMs inside a network namespace: the command
    # prefix (["ip", "netns", "exec", NAME]) and run-vm.sh options such as
    # ["--net", "tap,ifname=tapA,script=no,downscript=no"].
    prefix = []
    extra = []

    def start(self, skip_disks=()):
        sock = os.path.join(self.vmdir, "console.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        cmd = [os.path.join(TOP, "appliance", "run-vm.sh"),
               "--" + self.firmware, "--port", str(self.port),
               "--disks", str(self.disks), "--disk-size", self.disk_size,
               "--serial", "unix:%s,server=on,wait=on" % sock]
        for d in skip_disks:
            cmd += ["--skip-disk", str(d)]
        cmd += self.extra
        for host, guest in self.forwards:
            cmd += ["--forward", "%d:%d" % (host, guest)]
        cmd.append(self.vmdir)
        cmd = self.prefix + cmd
        with open(self.log_path, "ab") as log:
            log.write(b"\n=== boot %s\n" % " ".join(cmd).encode())
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path + ".qemu", "ab"))
        self.con = Console(sock, self.log_path, connect_timeout=60)
        self.boot_started = time.monotonic()

    def boot_img(self):
        return os.path.join(self.vmdir, "boot.img")

    def prepare(self):
        """Creates the VM's boot.img (a copy of the image) before the
        first boot, so that put_config can write to its FAT partition;
        run-vm.sh keeps a boot.img that is not older than the image."""
        shutil.copyfile(os.path.join(OUT, "image", "minisan.img"),
                        self.boot_img())

    def put_config(self, name, text):
        """Writes NAME (minisan.conf, appliance.conf) onto boot.img's
        FAT partition (at 1 MiB), as an admin edits the stick."""
        tmp = os.path.join(self.vmdir, name + ".new")
        with open(tmp, "w") as f:
            f.write(text)
        subprocess.run(["mcopy", "-o", "-i", self.boot_img() + "@@1M",
                        tmp, "::/" + name], check=True,
                       env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
        os.unlink(tmp)

    def wait_ready(self, last="MARK_READY"):
        """Waits for the boot markers in order, up to LAST (a box whose
        target cannot start yet stops at MARK_NETWORK); returns the console
        text from the start of the boot to that line."""
        text = b""
        keys = ("MARK_INIT", "MARK_MODULES", "MARK_CONFIG", "MARK_ARRAYS",
                "MARK_NETWORK", "MARK_READY")
        for key in keys[:keys.index(last) + 1]:
            # Up to the line's end: a line read in two pieces would
            # otherwise be cut in two.
            m = self.con.expect(r"(?s)(.*?)(%s[^\r\n]*)\r?\n" % re.escape(MARK[key]),
                                BOOT_DEADLINE)
            text += m.group(1) + m.group(2) + b"\n"
        self.boot_seconds = time.monotonic() - self.boot_started
        return text.decode("utf-8", "replace").replace("\r", "")

    def shell(self):
        self.con.shell(60)

    def run(self, command, timeout=120):
        return self.con.run(command, timeout)

    def reboot(self):
        self.run("reboot")
        self.boot_started = time.monotonic()

    def poweroff(self):
        self.con.send("poweroff\r")
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("the VM did not power off")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def url(self, lun=0):
        return "iscsi://127.0.0.1:%d/%s/%d" % (self.port, IQN, lun)


def run(cmd, **kw):
    print("+ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


def write_lun(vm, path):
    run(["qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", path, vm.url()])


def lun_matches(vm, path, scratch):
    """Reads the LUN back and compares its start with PATH's bytes."""
    back = os.path.join(scratch, "readback.img")
    size = os.path.getsize(path)
    run(["qemu-img", "dd", "-f", "raw", "-O", "raw", "bs=1M",
         "count=%d" % (size // 1048576), "if=" + vm.url(), "of=" + back])
    with open(path, "rb") as a, open(back, "rb") as b:
        same = a.read() == b.read(size)
    os.unlink(back)
    return same


def random_file(path, mib):
    with open(path, "wb") as f:
        f.write(os.urandom(mib * 1048576))


class InitiatorVM:
    """The test initiator: the appliance's kernel with iscsi_tcp and
    iscsistart (appliance/tests/initiator), booted directly with -kernel on
    QEMU user networking, where 10.0.2.2 is the host's loopback."""

    def __init__(self, workdir, prefix=(), extra=()):
        self.workdir = workdir
        self.prefix = list(prefix)
        self.extra = list(extra)
        os.makedirs(workdir, exist_ok=True)
        self.log_path = os.path.join(workdir, "initiator-console.log")
        self.proc = None
        self.con = None

    def start(self):
        sock = os.path.join(self.workdir, "initiator.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max",
               "-m", "256", "-display", "none", "-no-reboot",
               "-kernel", os.path.join(OUT, "kernel", "vmlinuz"),
               "-initrd", os.path.join(OUT, "initiator", "initramfs.img"),
               "-append", "console=ttyS0,115200 quiet panic=-1",
               "-netdev", "user,id=n0",
               "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:00:02:01",
               "-serial", "unix:%s,server=on,wait=on" % sock]
        cmd = self.prefix + cmd + self.extra
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path + ".qemu", "ab"))
        self.con = Console(sock, self.log_path, connect_timeout=60)
        self.con.expect(r"initiator: ready", BOOT_DEADLINE)
        self.con.shell(60)

    def run(self, command, timeout=120):
        return self.con.run(command, timeout)

    def must(self, command, timeout=120):
        status, out = self.run(command, timeout)
        if status != 0:
            fail("initiator VM: `%s` exited %d:\n%s" % (command, status, out))
        return out

    def poweroff(self):
        self.con.send("sync; poweroff -f\r")
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
