#!/usr/bin/env python3
# SUMMARY: the Linux kernel initiator (open-iscsi) logs in to minisand with CHAP using each algorithm it offers (MD5, SHA-1, SHA-256, SHA3-256), one-way and mutual; a wrong secret is refused
"""minisand runs on the host (loopback); the test initiator VM reaches it
at 10.0.2.2 through QEMU's user networking. For each algorithm, open-iscsi
is told to offer only that one (node.session.auth.chap_algs) and logs in to
a one-way and a mutual CHAP target; minisand's log names the algorithm it
authenticated with."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as V  # noqa: E402

ONEWAY = "iqn.2026-11.org.minisan:chap-oneway"
MUTUAL = "iqn.2026-11.org.minisan:chap-mutual"
USER, SECRET = "kerneluser", "initiator-secret-1"
TUSER, TSECRET = "minisan", "target-secret-22"
# open-iscsi's spelling, minisand's log spelling
ALGS = [("MD5", "MD5"), ("SHA1", "SHA-1"), ("SHA256", "SHA-256"),
        ("SHA3-256", "SHA3-256")]


def node_set(ini, target, portal, name, value):
    ini.must("iscsiadm -m node -T %s -p %s -o update -n %s -v '%s'"
             % (target, portal, name, value))


def main():
    work = os.path.join(V.OUT, "apptest", "kernel-chap")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    port = V.free_port()
    conf = os.path.join(work, "minisand.conf")
    for name in ("a.img", "b.img"):
        with open(os.path.join(work, name), "wb") as f:
            f.truncate(16 << 20)
    with open(conf, "w") as f:
        f.write("portal 127.0.0.1:%d\n"
                "target %s {\n\tchap %s %s\n\tlun 0 %s/a.img\n}\n"
                "target %s {\n\tchap %s %s\n\tmutual-chap %s %s\n"
                "\tlun 0 %s/b.img\n}\n"
                % (port, ONEWAY, USER, SECRET, work, MUTUAL, USER, SECRET,
                   TUSER, TSECRET, work))
    os.chmod(conf, 0o600)
    log_path = os.path.join(work, "minisand.log")
    daemon = subprocess.Popen([os.path.join(V.OUT, "bin", "minisand"), "-f",
                               "-c", conf, "--control",
                               os.path.join(work, "ctl.sock")],
                              stdout=open(log_path, "ab"),
                              stderr=subprocess.STDOUT)
    ini = V.InitiatorVM(work)
    portal = "10.0.2.2:%d" % port
    try:
        ini.start()
        for target in (ONEWAY, MUTUAL):
            ini.must("iscsiadm -m node -T %s -p %s -o new >/dev/null"
                     % (target, portal))
            node_set(ini, target, portal, "node.session.auth.authmethod", "CHAP")
            node_set(ini, target, portal, "node.session.auth.username", USER)
            node_set(ini, target, portal, "node.session.auth.password", SECRET)
        node_set(ini, MUTUAL, portal, "node.session.auth.username_in", TUSER)
        node_set(ini, MUTUAL, portal, "node.session.auth.password_in", TSECRET)

        for alg, logname in ALGS:
            for target, kind in ((ONEWAY, ""),
                                 (MUTUAL, ", mutual (target authenticated too)")):
                node_set(ini, target, portal, "node.session.auth.chap_algs", alg)
                mark = os.path.getsize(log_path)
                ini.must("iscsiadm -m node -T %s -p %s --login" % (target, portal), 120)
                ini.must("iscsiadm -m node -T %s -p %s --logout" % (target, portal), 120)
                # minisand logs the login before answering it
                with open(log_path, errors="replace") as f:
                    f.seek(mark)
                    text = f.read()
                V.check("CHAP with %s%s: initiator authenticated" % (logname, kind)
                        in text, "kernel initiator, CHAP %s, %s: logged in and out"
                        % (logname, "mutual" if kind else "one-way"))

        node_set(ini, ONEWAY, portal, "node.session.auth.password", "wrong-secret-123")
        status, out = ini.run("iscsiadm -m node -T %s -p %s --login" % (ONEWAY, portal), 120)
        V.check(status != 0 and ini.must("ls /sys/class/iscsi_session | wc -l").strip() == "0",
                "a wrong secret is refused (iscsiadm status %d)" % status)
        node_set(ini, MUTUAL, portal, "node.session.auth.password_in", "wrong-target-12")
        status, out = ini.run("iscsiadm -m node -T %s -p %s --login" % (MUTUAL, portal), 120)
        V.check(status != 0 and ini.must("ls /sys/class/iscsi_session | wc -l").strip() == "0",
                "the initiator refuses a target that does not know the mutual secret "
                "(iscsiadm status %d)" % status)
        with open(log_path, errors="replace") as f:
            text = f.read()
        V.check(SECRET not in text and TSECRET not in text,
                "no secret appears in minisand's log")
        ini.poweroff()
    except (V.ConsoleTimeout, subprocess.SubprocessError) as e:
        V.fail("%s (logs in %s)" % (e, work))
    finally:
        ini.kill()
        daemon.terminate()
        daemon.wait()


main()
