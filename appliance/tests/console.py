#!/usr/bin/env python3
"""The appliance's serial console, driven from a test: QEMU serves the
serial line on a Unix socket (-serial unix:PATH,server=on,wait=off); this
module connects, keeps a transcript, waits for text with a deadline and runs
shell commands, returning their output and exit status.

Used as a library by the appliance tests and as a small CLI:
  console.py SOCKET LOG wait REGEX [SECONDS]
  console.py SOCKET LOG run 'COMMAND' [SECONDS]
"""
import os
import re
import socket
import sys
import time


class ConsoleTimeout(Exception):
    pass


class Console:
    def __init__(self, path, log_path, connect_timeout=30.0):
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.log = open(log_path, "ab", buffering=0)
        self.buf = b""
        self.seq = 0

    def _read(self, timeout):
        self.sock.settimeout(max(timeout, 0.01))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        if not data:
            raise ConsoleTimeout("console closed (VM stopped?)")
        self.log.write(data)
        # Firmware and the kernel's early console pad with NULs.
        self.buf += data.replace(b"\0", b"")
        return True

    def expect(self, pattern, timeout):
        """Waits until PATTERN (bytes regex or str) appears in the output not
        yet consumed; consumes up to the end of the match and returns it."""
        if isinstance(pattern, str):
            pattern = pattern.encode()
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                tail = self.buf[-600:].decode("utf-8", "replace")
                raise ConsoleTimeout(
                    "no %r within %ds; last output:\n%s"
                    % (pattern.decode(), timeout, tail))
            self._read(left)

    def send(self, text):
        if isinstance(text, str):
            text = text.encode()
        self.sock.sendall(text)

    def shell(self, timeout=60):
        """Gets a shell prompt on the console: the console runs the setup
        menu (minisan-setup), whose entry "s" starts a shell; Enter shows
        the menu again, or a prompt when a shell runs already."""
        self.buf = b""
        self.send("\r")
        m = self.expect(rb"(# |\[main\] choice: )", timeout)
        if m.group(1) != b"# ":
            self.send("s\r")
            self.expect(rb"# ", timeout)
        # No echo-related surprises: plain prompt, no terminal queries.
        self.run("stty -echo; export PS1='# '", timeout)

    def run(self, command, timeout=60):
        """Runs COMMAND in the console shell; returns (status, output)."""
        self.seq += 1
        begin = "MINISAN_BEGIN_%d" % self.seq
        tag = "MINISAN_DONE_%d" % self.seq
        self.buf = b""
        # The output is what lies between the two tags as printed (an
        # echoed command line has neither a newline after BEGIN nor digits
        # after DONE=), so a prompt or an echo never ends up in it.
        self.send("echo %s; %s; echo %s=$?\r" % (begin, command, tag))
        m = self.expect(r"(?s)%s\r?\n(.*?)%s=(\d+)" % (begin, tag), timeout)
        out = m.group(1).decode("utf-8", "replace").replace("\r", "")
        lines = [l for l in out.split("\n") if tag not in l]
        return int(m.group(2)), "\n".join(lines).strip("\n")


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    con = Console(argv[1], argv[2])
    timeout = float(argv[5]) if len(argv) > 5 else 60
    try:
        if argv[3] == "wait":
            con.expect(argv[4], timeout)
            return 0
        if argv[3] == "run":
            con.shell(timeout)
            status, out = con.run(argv[4], timeout)
            print(out)
            return status
    except ConsoleTimeout as e:
        print("console: %s" % e, file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
