#!/usr/bin/env python3
"""A deliberately small raw iSCSI client for negative tests: it sends PDUs
that real initiators never send and reports what the target answered.

usage: rawpdu.py HOST PORT CASE [TARGET]
Cases print one result line and exit 0 when the target behaved as RFC 7143
requires, 1 otherwise.
"""
import socket
import struct
import sys

ISID = bytes([0x80, 0x12, 0x34, 0x56, 0x00, 0x01])
INITIATOR = 'iqn.2026-11.org.minisan:rawpdu'


def text(pairs):
    return b''.join(f'{k}={v}'.encode() + b'\0' for k, v in pairs)


def pad(data):
    return data + b'\0' * (-len(data) % 4)


def login_pdu(data, csg=1, nsg=3, transit=True, vmin=0, dsl=None):
    flags = (0x80 if transit else 0) | (csg << 2) | nsg
    bhs = bytearray(48)
    bhs[0] = 0x43
    bhs[1] = flags
    bhs[2] = 0
    bhs[3] = vmin
    length = len(data) if dsl is None else dsl
    bhs[5:8] = length.to_bytes(3, 'big')
    bhs[8:14] = ISID
    struct.pack_into('>I', bhs, 16, 1)      # ITT
    struct.pack_into('>I', bhs, 24, 1)      # CmdSN
    return bytes(bhs) + pad(data)


def recv_exact(sock, n):
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_pdu(sock):
    bhs = recv_exact(sock, 48)
    if bhs is None:
        return None, None
    dsl = int.from_bytes(bhs[5:8], 'big')
    data = recv_exact(sock, dsl + (-dsl % 4)) if dsl else b''
    return bhs, data[:dsl] if data else b''


def connect(host, port):
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def closed_by_peer(sock):
    try:
        while True:
            if not sock.recv(4096):
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def case_non_login_first(host, port, target):
    """RFC 7143 6.1: anything but a Login Request first ends the
    connection."""
    sock = connect(host, port)
    nop = bytearray(48)
    nop[0] = 0x40  # immediate NOP-Out
    nop[1] = 0x80
    struct.pack_into('>I', nop, 16, 7)
    sock.sendall(bytes(nop))
    return closed_by_peer(sock), 'connection closed after NOP-Out first'


def login_status(sock):
    bhs, _ = recv_pdu(sock)
    if bhs is None:
        return None
    return bhs[0] & 0x3f, bhs[36] << 8 | bhs[37]


def case_unknown_target(host, port, target):
    sock = connect(host, port)
    sock.sendall(login_pdu(text([('InitiatorName', INITIATOR),
                                 ('SessionType', 'Normal'),
                                 ('TargetName', target + '.nonexistent'),
                                 ('AuthMethod', 'None')]), csg=0, nsg=1))
    got = login_status(sock)
    ok = got == (0x23, 0x0203) and closed_by_peer(sock)
    return ok, f'login response {got}, expected status 0x0203 then close'


def case_missing_initiator(host, port, target):
    sock = connect(host, port)
    sock.sendall(login_pdu(text([('SessionType', 'Normal'),
                                 ('TargetName', target),
                                 ('AuthMethod', 'None')]), csg=0, nsg=1))
    got = login_status(sock)
    ok = got == (0x23, 0x0207)
    return ok, f'login response {got}, expected status 0x0207'


def case_bad_version(host, port, target):
    sock = connect(host, port)
    sock.sendall(login_pdu(text([('InitiatorName', INITIATOR),
                                 ('TargetName', target),
                                 ('AuthMethod', 'None')]), csg=0, nsg=1,
                           vmin=5))
    got = login_status(sock)
    ok = got == (0x23, 0x0205)
    return ok, f'login response {got}, expected status 0x0205'


def case_oversize_segment(host, port, target):
    """A DataSegmentLength beyond what the target declared must not be
    allocated: the target answers (Reject or login failure) and closes."""
    sock = connect(host, port)
    sock.sendall(login_pdu(b'', csg=0, nsg=1, dsl=0xffffff))
    closed = closed_by_peer(sock)
    return closed, 'connection closed after a 16 MiB login segment header'


def case_garbage(host, port, target):
    sock = connect(host, port)
    sock.sendall(bytes(range(256)) * 4)
    return closed_by_peer(sock), 'connection closed after garbage bytes'


def case_bad_key(host, port, target):
    """A key without '=' is a malformed text segment: initiator error."""
    sock = connect(host, port)
    sock.sendall(login_pdu(b'InitiatorName\0', csg=0, nsg=1))
    got = login_status(sock)
    return got == (0x23, 0x0200), f'login response {got}, expected 0x0200'


CASES = {
    'non-login-first': case_non_login_first,
    'unknown-target': case_unknown_target,
    'missing-initiator': case_missing_initiator,
    'bad-version': case_bad_version,
    'oversize-segment': case_oversize_segment,
    'garbage': case_garbage,
    'bad-key': case_bad_key,
}


def main():
    host, port, case = sys.argv[1:4]
    target = sys.argv[4] if len(sys.argv) > 4 else ''
    ok, what = CASES[case](host, port, target)
    print(f'{"ok" if ok else "FAIL"}: {case}: {what}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
