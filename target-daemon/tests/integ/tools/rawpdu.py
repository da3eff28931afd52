#!/usr/bin/env python3
"""A deliberately small raw iSCSI client for negative tests: it sends PDUs
that real initiators never send and reports what the target answered.

usage: rawpdu.py HOST PORT CASE [TARGET]
Cases print one result line and exit 0 when the target behaved as RFC 7143
requires, 1 otherwise.
"""
import os
import random
import socket
import struct
import sys
import time

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


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data):
    """RFC 3720 B.4: CRC32C, sent least significant byte first."""
    crc = 0xffffffff
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >> 8)
    return (crc ^ 0xffffffff).to_bytes(4, 'little')


def login_with_digests(sock, target):
    """Logs in (security then operational stage) asking for CRC32C
    header and data digests; returns the negotiated answer text."""
    sock.sendall(login_pdu(text([('InitiatorName', INITIATOR),
                                 ('SessionType', 'Normal'),
                                 ('TargetName', target),
                                 ('AuthMethod', 'None')]), csg=0, nsg=1))
    bhs, data = recv_pdu(sock)
    if bhs is None or (bhs[36], bhs[37]) != (0, 0):
        return None
    sock.sendall(login_pdu(text([('HeaderDigest', 'CRC32C'),
                                 ('DataDigest', 'CRC32C'),
                                 ('MaxRecvDataSegmentLength', '65536')]),
                           csg=1, nsg=3))
    bhs, data = recv_pdu(sock)
    if bhs is None or (bhs[36], bhs[37]) != (0, 0):
        return None
    return data


def nop_out_with_digests(payload, corrupt=False):
    bhs = bytearray(48)
    bhs[0] = 0x40  # immediate NOP-Out
    bhs[1] = 0x80
    bhs[5:8] = len(payload).to_bytes(3, 'big')
    struct.pack_into('>I', bhs, 16, 0x1234)       # ITT: a ping
    struct.pack_into('>I', bhs, 20, 0xffffffff)   # TTT
    struct.pack_into('>I', bhs, 24, 1)            # CmdSN
    padded = pad(payload)
    digest = crc32c(padded)
    if corrupt:
        digest = bytes([digest[0] ^ 0xff]) + digest[1:]
    return bytes(bhs) + crc32c(bytes(bhs)) + padded + digest


def case_data_digest(host, port, target):
    """RFC 7143 13.1: with CRC32C negotiated, every PDU carries digests;
    a ping comes back with valid ones, and a corrupted data digest gets a
    Reject (reason 0x02)."""
    sock = connect(host, port)
    answer = login_with_digests(sock, target)
    if answer is None or b'DataDigest=CRC32C' not in answer or \
            b'HeaderDigest=CRC32C' not in answer:
        return False, f'digests not negotiated: {answer}'
    payload = b'minisan digest ping'
    sock.sendall(nop_out_with_digests(payload))
    bhs = recv_exact(sock, 48)
    hdig = recv_exact(sock, 4)
    if bhs is None or hdig != crc32c(bhs) or bhs[0] & 0x3f != 0x20:
        return False, 'NOP-In missing or with a bad header digest'
    dsl = int.from_bytes(bhs[5:8], 'big')
    data = recv_exact(sock, dsl + (-dsl % 4))
    ddig = recv_exact(sock, 4)
    if data[:dsl] != payload or ddig != crc32c(data):
        return False, 'NOP-In data or its digest wrong'
    # a long, odd-sized ping: the target's interleaved CRC32C path (768
    # bytes and more) checks it and digests the echo, against this one;
    # no period in the bytes, so that its blocks differ
    payload = random.Random(3720).randbytes(20001)
    sock.sendall(nop_out_with_digests(payload))
    bhs = recv_exact(sock, 48)
    hdig = recv_exact(sock, 4)
    if bhs is None or hdig != crc32c(bhs) or bhs[0] & 0x3f != 0x20:
        return False, 'long NOP-In missing or with a bad header digest'
    dsl = int.from_bytes(bhs[5:8], 'big')
    data = recv_exact(sock, dsl + (-dsl % 4))
    ddig = recv_exact(sock, 4)
    if data is None or data[:dsl] != payload or ddig != crc32c(data):
        return False, 'long NOP-In data or its digest wrong'
    sock.sendall(nop_out_with_digests(payload, corrupt=True))
    bhs = recv_exact(sock, 48)
    if bhs is None or bhs[0] & 0x3f != 0x3f or bhs[2] != 0x02:
        return False, f'no Reject with reason 0x02: {bhs}'
    return True, 'digests checked both ways; bad data digest rejected'


def case_half_open_flood(host, port, target):
    """50 connections that never finish a login (half of them stop in the
    middle of a header) must not keep a real initiator out."""
    import subprocess
    socks = []
    for i in range(50):
        sock = connect(host, port)
        if i % 2:
            sock.sendall(login_pdu(b'')[:20])
        socks.append(sock)
    url = f'iscsi://{host}:{port}/{target}/0'
    res = subprocess.run(['iscsi-inq', url], capture_output=True,
                         timeout=30)
    for sock in socks:
        sock.close()
    return res.returncode == 0, 'iscsi-inq worked beside 50 half-open logins'


class Session:
    """One connection of a normal session, logged in with defaults (no
    digests), speaking just enough to send SCSI commands."""

    def __init__(self, host, port, target, isid=ISID, tsih=0, cid=0,
                 cmdsn=1, ops=()):
        self.sock = connect(host, port)
        self.cmdsn = cmdsn
        self.itt = 0x100 + cid * 0x1000
        # RFC 7143 13.21, 13.14: SessionType and ImmediateData are
        # leading-only keys
        leading = [('SessionType', 'Normal')] if tsih == 0 else []
        bhs = bytearray(login_pdu(text([('InitiatorName', INITIATOR)] +
                                       leading +
                                       [('TargetName', target),
                                        ('AuthMethod', 'None')]),
                                  csg=0, nsg=1))
        bhs[8:14] = isid
        struct.pack_into('>H', bhs, 14, tsih)
        struct.pack_into('>H', bhs, 20, cid)
        struct.pack_into('>I', bhs, 24, cmdsn)
        self.sock.sendall(bytes(bhs))
        rsp, _ = recv_pdu(self.sock)
        if rsp is None or rsp[36] != 0:
            raise RuntimeError('security stage failed: ' + (
                'connection closed' if rsp is None else
                f'status 0x{rsp[36]:02x}{rsp[37]:02x}'))
        ops = ([('ImmediateData', 'Yes'), ('MaxConnections', '2')]
               if tsih == 0 else []) + list(ops)
        bhs = bytearray(login_pdu(text(ops), csg=1, nsg=3))
        bhs[8:14] = isid
        struct.pack_into('>H', bhs, 14, tsih)
        struct.pack_into('>H', bhs, 20, cid)
        struct.pack_into('>I', bhs, 24, cmdsn)
        self.sock.sendall(bytes(bhs))
        rsp, _ = recv_pdu(self.sock)
        if rsp is None or rsp[36] != 0:
            raise RuntimeError('operational stage failed: ' + (
                'connection closed' if rsp is None else
                f'status 0x{rsp[36]:02x}{rsp[37]:02x}'))
        self.tsih = struct.unpack_from('>H', rsp, 14)[0]

    def scsi_cmd(self, cdb, cmdsn, edtl=0, read=False):
        """Sends a SCSI command with the given CmdSN; returns its ITT."""
        self.itt += 1
        bhs = bytearray(48)
        bhs[0] = 0x01
        bhs[1] = 0x80 | (0x40 if read else 0) | 0x01
        struct.pack_into('>I', bhs, 16, self.itt)
        struct.pack_into('>I', bhs, 20, edtl)
        struct.pack_into('>I', bhs, 24, cmdsn)
        bhs[32:32 + len(cdb)] = cdb
        self.sock.sendall(bytes(bhs))
        return self.itt

    def response(self):
        """Next SCSI Response (or Data-In with status): (ITT, status)."""
        while True:
            bhs, _ = recv_pdu(self.sock)
            if bhs is None:
                return None
            op = bhs[0] & 0x3f
            if op == 0x21 or (op == 0x25 and bhs[1] & 0x01):
                return struct.unpack_from('>I', bhs, 16)[0], bhs[3]


    def command(self, cdb, data_out=b'', read_len=0):
        """Runs one SCSI command to completion (write data as immediate
        data); returns (status, data-in bytes, sense bytes)."""
        self.itt += 1
        self.cmdsn_next = getattr(self, 'cmdsn_next', self.cmdsn)
        bhs = bytearray(48)
        bhs[0] = 0x01
        bhs[1] = 0x80 | (0x40 if read_len else 0) | \
            (0x20 if data_out else 0) | 0x01
        bhs[5:8] = len(data_out).to_bytes(3, 'big')
        struct.pack_into('>I', bhs, 16, self.itt)
        struct.pack_into('>I', bhs, 20, read_len or len(data_out))
        struct.pack_into('>I', bhs, 24, self.cmdsn_next)
        self.cmdsn_next += 1
        bhs[32:32 + len(cdb)] = cdb
        self.sock.sendall(bytes(bhs) + pad(data_out))
        data_in = b''
        while True:
            rsp, data = recv_pdu(self.sock)
            if rsp is None:
                raise RuntimeError('connection closed')
            op = rsp[0] & 0x3f
            if op == 0x25:
                data_in += data
                if rsp[1] & 0x01:
                    return rsp[3], data_in, b''
            elif op == 0x21:
                sense = data[2:] if len(data) > 2 else b''
                return rsp[3], data_in, sense

    def clear_unit_attentions(self):
        for _ in range(8):
            status, _, _ = self.command(bytes(6))
            if status == 0:
                return
        raise RuntimeError('TEST UNIT READY never succeeds')


TUR = bytes(6)


def pr_out(sess, action, key, sa_key=0, rtype=0, aptpl=False):
    """PERSISTENT RESERVE OUT (SPC-4 6.16) with a basic parameter list."""
    cdb = bytearray(10)
    cdb[0] = 0x5f
    cdb[1] = action
    cdb[2] = rtype
    struct.pack_into('>I', cdb, 5, 24)
    params = bytearray(24)
    struct.pack_into('>Q', params, 0, key)
    struct.pack_into('>Q', params, 8, sa_key)
    params[20] = 0x01 if aptpl else 0
    status, _, sense = sess.command(bytes(cdb), data_out=bytes(params))
    if status != 0:
        raise RuntimeError(f'PR OUT {action}: status {status} {sense.hex()}')


def pr_in(sess, action):
    cdb = bytearray(10)
    cdb[0] = 0x5e
    cdb[1] = action
    struct.pack_into('>H', cdb, 7, 1024)
    status, data, sense = sess.command(bytes(cdb), read_len=1024)
    if status != 0:
        raise RuntimeError(f'PR IN {action}: status {status} {sense.hex()}')
    return data


def read_keys(sess):
    data = pr_in(sess, 0)
    n = struct.unpack_from('>I', data, 4)[0] // 8
    return [struct.unpack_from('>Q', data, 8 + 8 * i)[0] for i in range(n)]


def read_reservation(sess):
    """(key, type) of the persistent reservation, or None."""
    data = pr_in(sess, 1)
    if struct.unpack_from('>I', data, 4)[0] == 0:
        return None
    return struct.unpack_from('>Q', data, 8)[0], data[21] & 0x0f


KEY_APTPL = 0x4d494e4953414e31  # "MINISAN1"
KEY_PLAIN = 0x4d494e4953414e32
WRITE_EXCLUSIVE = 1


def case_pr_aptpl_set(host, port, target):
    """Registers and reserves with APTPL set (to survive a restart)."""
    a = Session(host, port, target)
    a.clear_unit_attentions()
    pr_out(a, 0, 0, KEY_APTPL, aptpl=True)          # REGISTER
    pr_out(a, 1, KEY_APTPL, rtype=WRITE_EXCLUSIVE)   # RESERVE
    ok = read_keys(a) == [KEY_APTPL] and \
        read_reservation(a) == (KEY_APTPL, WRITE_EXCLUSIVE)
    return ok, 'registered and reserved with APTPL'


def case_pr_aptpl_check(host, port, target):
    a = Session(host, port, target)
    a.clear_unit_attentions()
    keys, res = read_keys(a), read_reservation(a)
    ok = keys == [KEY_APTPL] and res == (KEY_APTPL, WRITE_EXCLUSIVE)
    return ok, f'after restart: keys {keys}, reservation {res}'


def case_pr_plain_set(host, port, target):
    """CLEAR, then register and reserve without APTPL."""
    a = Session(host, port, target)
    a.clear_unit_attentions()
    pr_out(a, 3, KEY_APTPL)                          # CLEAR
    pr_out(a, 0, 0, KEY_PLAIN)                       # REGISTER, no APTPL
    pr_out(a, 1, KEY_PLAIN, rtype=WRITE_EXCLUSIVE)
    ok = read_keys(a) == [KEY_PLAIN]
    return ok, 'registered and reserved without APTPL'


def case_pr_plain_check(host, port, target):
    a = Session(host, port, target)
    a.clear_unit_attentions()
    keys, res = read_keys(a), read_reservation(a)
    return keys == [] and res is None, \
        f'after restart: keys {keys}, reservation {res}'


def case_mcs_out_of_order(host, port, target):
    """Two connections of one session (RFC 7143 6.3.1, TSIH != 0); a command
    sent ahead of its CmdSN turn on one connection waits until the gap is
    filled on the other, then both complete."""
    a = Session(host, port, target, cid=0)
    b = Session(host, port, target, tsih=a.tsih, cid=1)
    itt_b = b.scsi_cmd(TUR, cmdsn=2)     # ahead of its turn: held
    a.sock.settimeout(1)
    b.sock.settimeout(1)
    try:
        early = b.response()
    except socket.timeout:
        early = None
    if early is not None:
        return False, f'CmdSN 2 executed before CmdSN 1: {early}'
    a.sock.settimeout(10)
    b.sock.settimeout(10)
    itt_a = a.scsi_cmd(TUR, cmdsn=1)
    ra, rb = a.response(), b.response()
    ok = ra is not None and rb is not None and ra[0] == itt_a and \
        rb[0] == itt_b
    return ok, f'held command completed after the gap: {ra} {rb}'


def case_reinstatement(host, port, target):
    """RFC 7143 6.3.5: a new login with the same ISID and TSIH 0 replaces
    the old session; its connection is closed."""
    old = Session(host, port, target)
    new = Session(host, port, target)
    old.sock.settimeout(5)
    closed = closed_by_peer(old.sock)
    new.scsi_cmd(TUR, cmdsn=1)
    rsp = new.response()
    return closed and rsp is not None, 'old session closed, new one works'


def case_nop_ping(host, port, target):
    """The target pings an idle connection with NOP-In (TTT set) and keeps
    the connection when the initiator answers (RFC 7143 11.19)."""
    a = Session(host, port, target)
    a.sock.settimeout(30)
    bhs, _ = recv_pdu(a.sock)
    if bhs is None or bhs[0] & 0x3f != 0x20:
        return False, f'no NOP-In: {bhs}'
    ttt = struct.unpack_from('>I', bhs, 20)[0]
    if ttt == 0xffffffff:
        return False, 'NOP-In without a target transfer tag'
    reply = bytearray(48)
    reply[0] = 0x40
    reply[1] = 0x80
    struct.pack_into('>I', reply, 16, 0xffffffff)
    struct.pack_into('>I', reply, 20, ttt)
    struct.pack_into('>I', reply, 24, 1)
    a.sock.sendall(bytes(reply))
    a.scsi_cmd(TUR, cmdsn=1)
    rsp = a.response()
    return rsp is not None, f'answered ping 0x{ttt:08x}, session alive'


def case_pipelined_burst(host, port, target):
    """120 commands sent in one write arrive in one read(), four times the
    32 PDUs a wakeup handles: the rest must be handled without more bytes
    arriving (epoll cannot report bytes already read), so every command
    gets its response and in CmdSN order."""
    a = Session(host, port, target)
    a.sock.settimeout(20)
    n = 120
    burst = bytearray()
    itts = []
    for i in range(n):
        a.itt += 1
        bhs = bytearray(48)
        bhs[0] = 0x01
        bhs[1] = 0x80
        struct.pack_into('>I', bhs, 16, a.itt)
        struct.pack_into('>I', bhs, 24, 1 + i)
        bhs[32:32 + len(TUR)] = TUR
        burst += bhs
        itts.append(a.itt)
    a.sock.sendall(bytes(burst))
    got = []
    try:
        while len(got) < n:
            rsp = a.response()
            if rsp is None:
                break
            got.append(rsp[0])
    except socket.timeout:
        pass
    if got != itts:
        return False, f'{len(got)} of {n} responses, in order: ' \
            f'{got == itts[:len(got)]}'
    return True, f'{n} pipelined commands answered in order'


def case_shutdown_logout(host, port, target):
    """On SIGTERM the target asks for a logout (Async Message, event 1) and
    answers the Logout; the caller signals the daemon after 'ready'."""
    a = Session(host, port, target)
    print('ready', flush=True)
    a.sock.settimeout(20)
    while True:
        bhs, _ = recv_pdu(a.sock)
        if bhs is None:
            return False, 'connection closed without an Async Message'
        if bhs[0] & 0x3f == 0x32:
            break
    if bhs[36] != 1:
        return False, f'AsyncEvent {bhs[36]}, expected 1 (logout request)'
    logout = bytearray(48)
    logout[0] = 0x46  # immediate Logout Request
    logout[1] = 0x80  # close the session
    struct.pack_into('>I', logout, 16, 0x77)
    struct.pack_into('>I', logout, 24, 1)
    a.sock.sendall(bytes(logout))
    bhs, _ = recv_pdu(a.sock)
    ok = bhs is not None and bhs[0] & 0x3f == 0x26 and bhs[2] == 0
    return ok and closed_by_peer(a.sock), 'logged out on request'


def read_block(sess, lba=0, block=512):
    cdb = struct.pack('>BBIBHB', 0x28, 0, lba, 0, 1, 0)
    status, data, sense = sess.command(cdb, read_len=block)
    if status != 0:
        raise RuntimeError(f'READ(10): status {status} {sense.hex()}')
    return data


def compare_and_write(sess, lba, old, new):
    """SBC-3 COMPARE AND WRITE of one block: True if written, False on
    MISCOMPARE (sense key 0Eh)."""
    cdb = bytearray(16)
    cdb[0] = 0x89
    struct.pack_into('>Q', cdb, 2, lba)
    cdb[13] = 1
    status, _, sense = sess.command(bytes(cdb), data_out=old + new)
    if status == 0:
        return True
    if status == 2 and len(sense) > 2 and sense[2] & 0x0f == 0x0e:
        return False
    raise RuntimeError(f'COMPARE AND WRITE: status {status} {sense.hex()}')


def case_caw_two_writers(host, port, target):
    """Two sessions (two I_T nexuses) increment a counter in block 0 with
    COMPARE AND WRITE at the same time, retrying on MISCOMPARE. If the
    command is atomic against the other writer, no increment is lost:
    the final counter equals the number of successful commands."""
    import threading
    rounds = 150
    results = []

    def worker(isid_byte):
        isid = bytes([0x80, 0, 0, 0, 0, isid_byte])
        sess = Session(host, port, target, isid=isid)
        sess.clear_unit_attentions()
        done = 0
        misses = 0
        while done < rounds:
            old = read_block(sess)
            value = struct.unpack_from('>Q', old)[0]
            new = struct.pack('>Q', value + 1) + old[8:]
            if compare_and_write(sess, 0, old, new):
                done += 1
            else:
                misses += 1
        results.append((done, misses))

    threads = [threading.Thread(target=worker, args=(i,)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(results) != 2:
        return False, 'a writer failed'
    check = Session(host, port, target, isid=bytes([0x80, 0, 0, 0, 0, 3]))
    check.clear_unit_attentions()
    final = struct.unpack_from('>Q', read_block(check))[0]
    misses = sum(r[1] for r in results)
    return final == 2 * rounds, \
        f'counter {final} after {2 * rounds} increments ({misses} retries)'


def chap_login(host, port, target, alg, user, secret, mutual=None):
    """A CHAP login (RFC 7143 12.1.3) offering only algorithm alg (5 MD5,
    6 SHA-1, 7 SHA-256, 8 SHA3-256); mutual is (user, secret) of the
    target. Returns (ok, detail)."""
    import hashlib
    import os
    hashes = {5: hashlib.md5, 6: hashlib.sha1, 7: hashlib.sha256,
              8: hashlib.sha3_256}
    sock = connect(host, port)

    def exchange(pairs, transit=False):
        sock.sendall(login_pdu(text(pairs), csg=0, nsg=1 if transit else 0,
                               transit=transit))
        bhs, data = recv_pdu(sock)
        if bhs is None:
            return None, {}
        keys = dict(kv.split('=', 1) for kv in
                    data.decode(errors='replace').split('\0') if '=' in kv)
        return bhs, keys

    bhs, keys = exchange([('InitiatorName', INITIATOR),
                          ('SessionType', 'Normal'), ('TargetName', target),
                          ('AuthMethod', 'CHAP,None')])
    if keys.get('AuthMethod') != 'CHAP':
        return False, f'AuthMethod answer {keys}'
    bhs, keys = exchange([('CHAP_A', str(alg))])
    if keys.get('CHAP_A') != str(alg):
        return False, f'CHAP_A answer {keys}'
    cid = int(keys['CHAP_I'])
    challenge = bytes.fromhex(keys['CHAP_C'][2:])
    h = hashes[alg]
    response = h(bytes([cid]) + secret.encode() + challenge).hexdigest()
    pairs = [('CHAP_N', user), ('CHAP_R', '0x' + response)]
    if mutual:
        my_challenge = os.urandom(32)
        pairs += [('CHAP_I', '77'), ('CHAP_C', '0x' + my_challenge.hex())]
    bhs, keys = exchange(pairs, transit=True)
    if bhs is None or bhs[36] != 0:
        status = None if bhs is None else hex(bhs[36] << 8 | bhs[37])
        return False, f'login status {status}'
    if mutual:
        want = h(bytes([77]) + mutual[1].encode() + my_challenge).hexdigest()
        if keys.get('CHAP_N') != mutual[0] or \
                keys.get('CHAP_R', '').lower() != '0x' + want:
            return False, f'target proved the wrong secret: {keys}'
    if not bhs[1] & 0x80:
        return False, 'no transit after CHAP'
    return True, 'authenticated'


def case_chap_algorithms(host, port, target):
    """CHAP with each algorithm the Linux initiator offers, one-way; a
    wrong secret and a wrong name fail with 0x0201."""
    for alg in (5, 6, 7, 8):
        ok, what = chap_login(host, port, target, alg, 'alice',
                              'alicesecret123')
        if not ok:
            return False, f'CHAP_A={alg}: {what}'
        ok, what = chap_login(host, port, target, alg, 'alice',
                              'wrongsecret999')
        if ok or '0x201' not in what:
            return False, f'CHAP_A={alg} with a wrong secret: {what}'
    ok, what = chap_login(host, port, target, 5, 'mallory',
                          'alicesecret123')
    return not ok and '0x201' in what, 'every algorithm checked'


def case_chap_mutual(host, port, target):
    """Mutual CHAP with each algorithm: the target proves its own secret."""
    for alg in (5, 6, 7, 8):
        ok, what = chap_login(host, port, target, alg, 'alice',
                              'alicesecret123',
                              mutual=('tgt', 'targetsecret456'))
        if not ok:
            return False, f'CHAP_A={alg}: {what}'
    return True, 'the target answered every challenge correctly'


def write_block(sess, lba, data, fua=False):
    cdb = struct.pack('>BBIBHB', 0x2a, 0x08 if fua else 0, lba, 0, 1, 0)
    status, _, sense = sess.command(cdb, data_out=data)
    if status != 0:
        raise RuntimeError(f'WRITE(10): status {status} {sense.hex()}')


def case_durable_writes(host, port, target):
    """Writes block 1 with FUA, then block 2 plainly followed by
    SYNCHRONIZE CACHE (10); prints 'acknowledged' once both completed
    and waits for the caller to kill -9 the target."""
    a = Session(host, port, target)
    a.clear_unit_attentions()
    write_block(a, 1, b'F' * 512, fua=True)
    write_block(a, 2, b'S' * 512)
    status, _, sense = a.command(bytes([0x35] + [0] * 9))
    if status != 0:
        return False, f'SYNCHRONIZE CACHE: {status} {sense.hex()}'
    print('acknowledged', flush=True)
    a.sock.settimeout(30)
    closed_by_peer(a.sock)
    return True, 'writes acknowledged'


def case_initiator_session_cap(host, port, target):
    """One initiator name may hold 64 sessions; the 65th login gets 0x0302
    (out of resources) while other initiators still log in."""
    global INITIATOR
    sessions = []
    for i in range(64):
        sessions.append(Session(host, port, target,
                                isid=bytes([0x80, 0, 0, 1, i >> 8, i & 255])))
    try:
        Session(host, port, target, isid=bytes([0x80, 0, 0, 2, 0, 0]))
        return False, 'a 65th session was accepted'
    except RuntimeError as e:
        if 'status 0x0302' not in str(e):
            return False, f'65th login failed oddly: {e}'
    saved = INITIATOR
    INITIATOR = 'iqn.2026-11.org.minisan:someone-else'
    try:
        other = Session(host, port, target)
    finally:
        INITIATOR = saved
    for s in sessions + [other]:
        s.sock.close()
    return True, '64 sessions, the 65th refused, others unaffected'


def vm_kib(pid, key):
    """A /proc/PID/status memory figure (VmRSS, VmHWM) in KiB."""
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'no {key} for pid {pid}')


def reset_hwm(pid):
    """Starts VmHWM afresh from the current RSS (proc(5) clear_refs)."""
    with open(f'/proc/{pid}/clear_refs', 'w') as f:
        f.write('5')


def case_read_flood(host, port, target):
    """128 READ(16) of 8 MiB each (1 GiB) sent at once by an initiator
    that reads nothing back: minisand holds what does not fit the session's
    data-buffer budget, so its memory stays within the budget plus a slack;
    another session is served meanwhile; then every command completes GOOD
    with all its data, except the last, which an ABORT TASK sent meanwhile
    ends while it waits. Needs MINISAND_PID; checks memory if BUDGET_MIB
    is set (not under ASan, whose quarantine keeps freed memory)."""
    pid = int(os.environ['MINISAND_PID'])
    budget = os.environ.get('BUDGET_MIB')
    bound = (int(budget) + 16) * 1024 if budget else None
    n, blocks = 128, 16384
    xfer = blocks * 512
    reset_hwm(pid)
    base = vm_kib(pid, 'VmRSS')
    # 64 KiB Data-In PDUs: fewer for this client to parse
    s = Session(host, port, target, isid=bytes([0x80, 0, 0, 3, 0, 0]),
                ops=[('MaxRecvDataSegmentLength', '65536')])
    s.clear_unit_attentions()
    got = {}
    for i in range(n):
        cdb = struct.pack('>BBQIBB', 0x88, 0, (i % 8) * blocks, blocks, 0, 0)
        got[s.scsi_cmd(cdb, s.cmdsn_next + i, edtl=xfer, read=True)] = \
            [0, None]
    # wait until minisand has done what it can (RSS steady for 1 s)
    last, steady = vm_kib(pid, 'VmRSS'), 0
    for _ in range(150):
        time.sleep(0.1)
        now = vm_kib(pid, 'VmRSS')
        steady = steady + 1 if abs(now - last) < 1024 else 0
        last = now
        if steady >= 10:
            break
    other = Session(host, port, target, isid=bytes([0x80, 0, 0, 4, 0, 0]))
    other.clear_unit_attentions()
    status, data, _ = other.command(bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0]),
                                    read_len=4096)
    if status != 0 or len(data) != 4096:
        return False, f'other session: status {status}, {len(data)} bytes'
    stalled = vm_kib(pid, 'VmHWM') - base
    # ABORT TASK (RFC 7143 11.5.1), immediate, for the last READ
    victim = s.itt
    tmf = bytearray(48)
    tmf[0], tmf[1] = 0x40 | 0x02, 0x80 | 0x01
    struct.pack_into('>IIII', tmf, 16, 0x7fff0001, victim,
                     s.cmdsn_next + n, 0)
    struct.pack_into('>I', tmf, 32, s.cmdsn_next + n - 1)
    s.sock.sendall(bytes(tmf))
    del got[victim]
    s.sock.settimeout(30)
    done, tmf_rsp = 0, None
    while done < n - 1 or tmf_rsp is None:
        bhs, data = recv_pdu(s.sock)
        if bhs is None:
            return False, f'connection closed after {done} responses'
        op, itt = bhs[0] & 0x3f, struct.unpack_from('>I', bhs, 16)[0]
        if op == 0x22:
            tmf_rsp = bhs[2]
            continue
        if itt == victim:
            return False, 'the aborted READ got a response'
        if itt not in got:
            continue
        if op == 0x25:
            got[itt][0] += len(data)
        if op == 0x21 or (op == 0x25 and bhs[1] & 0x01):
            got[itt][1] = bhs[3]
            done += 1
    if tmf_rsp != 0:
        return False, f'ABORT TASK response {tmf_rsp}, expected 0'
    bad = [(hex(i), g) for i, g in got.items() if g != [xfer, 0]]
    if bad:
        return False, f'{len(bad)} commands incomplete: {bad[:4]}'
    peak = vm_kib(pid, 'VmHWM') - base
    s.sock.close()
    other.sock.close()
    if bound is None:
        return True, f'{n - 1} x {xfer} bytes read, one READ aborted'
    if peak > bound:
        return False, (f'RSS grew by {peak} KiB ({stalled} KiB while '
                       f'stalled), bound {bound} KiB')
    return True, (f'{n - 1} x {xfer} bytes read, one READ aborted, RSS '
                  f'grew by at most {peak} KiB (bound {bound} KiB)')


def data_out(itt, ttt, data_sn, offset, data, final):
    bhs = bytearray(48)
    bhs[0] = 0x05
    bhs[1] = 0x80 if final else 0
    bhs[5:8] = len(data).to_bytes(3, 'big')
    struct.pack_into('>IIIII', bhs, 16, itt, ttt, 0, 0, 0)
    struct.pack_into('>I', bhs, 36, data_sn)
    struct.pack_into('>I', bhs, 40, offset)
    return bytes(bhs) + pad(data)


def case_write_flood(host, port, target):
    """128 WRITE(16) of 1 MiB each (128 MiB), each with 256 KiB of
    immediate and unsolicited data, sent before reading anything: minisand
    keeps the unsolicited data of the commands that wait for the budget
    (within the window's bound) and solicits the rest only once a command
    starts; memory stays within budget + unsolicited bound + slack; every
    write completes GOOD and the data reads back. Needs MINISAND_PID;
    checks memory if BUDGET_MIB is set."""
    pid = int(os.environ['MINISAND_PID'])
    budget = os.environ.get('BUDGET_MIB')
    bound = (int(budget) + 32 + 16) * 1024 if budget else None
    n, blocks, seg, burst = 128, 2048, 65536, 262144
    xfer = blocks * 512
    reset_hwm(pid)
    base = vm_kib(pid, 'VmRSS')
    s = Session(host, port, target, isid=bytes([0x80, 0, 0, 5, 0, 0]),
                ops=[('InitialR2T', 'No'), ('FirstBurstLength', str(burst)),
                     ('MaxBurstLength', str(burst))])
    s.clear_unit_attentions()
    pattern = [bytes([0x40 + r]) * xfer for r in range(16)]
    cmds = {}
    for i in range(n):
        region = i % 16
        s.itt += 1
        itt = s.itt
        cmds[itt] = [region, None]
        bhs = bytearray(48)
        bhs[0] = 0x01
        bhs[1] = 0x20 | 0x01          # W, simple; F clear: data follows
        bhs[5:8] = seg.to_bytes(3, 'big')
        struct.pack_into('>III', bhs, 16, itt, xfer, s.cmdsn_next + i)
        bhs[32:48] = struct.pack('>BBQIBB', 0x8a, 0, region * blocks,
                                 blocks, 0, 0)
        data = pattern[region]
        pdus = [bytes(bhs) + data[:seg]]
        for k, off in enumerate(range(seg, burst, seg)):
            pdus.append(data_out(itt, 0xffffffff, k, off,
                                 data[off:off + seg], off + seg == burst))
        s.sock.sendall(b''.join(pdus))
    stalled = vm_kib(pid, 'VmHWM') - base
    s.sock.settimeout(30)
    done = 0
    while done < n:
        bhs, _ = recv_pdu(s.sock)
        if bhs is None:
            return False, f'connection closed after {done} responses'
        op, itt = bhs[0] & 0x3f, struct.unpack_from('>I', bhs, 16)[0]
        if op == 0x31:          # R2T: send what it asks for
            ttt, off, length = struct.unpack_from('>III', bhs, 20)[0], \
                *struct.unpack_from('>II', bhs, 40)
            data = pattern[cmds[itt][0]]
            pdus = []
            for k, o in enumerate(range(off, off + length, seg)):
                end = min(o + seg, off + length)
                pdus.append(data_out(itt, ttt, k, o, data[o:end],
                                     end == off + length))
            s.sock.sendall(b''.join(pdus))
        elif op == 0x21:
            cmds[itt][1] = bhs[3]
            done += 1
    bad = [hex(i) for i, c in cmds.items() if c[1] != 0]
    if bad:
        return False, f'{len(bad)} writes failed: {bad[:4]}'
    peak = vm_kib(pid, 'VmHWM') - base
    s.cmdsn_next += n
    for region in (0, 7, 15):
        cdb = struct.pack('>BBQIBB', 0x88, 0, region * blocks, blocks, 0, 0)
        status, data, _ = s.command(cdb, read_len=xfer)
        if status != 0 or data != pattern[region]:
            return False, f'region {region} reads back wrong'
    s.sock.close()
    if bound is None:
        return True, f'{n} x {xfer} bytes written'
    if peak > bound:
        return False, (f'RSS grew by {peak} KiB ({stalled} KiB while '
                       f'sending), bound {bound} KiB')
    return True, (f'{n} x {xfer} bytes written, RSS grew by at most {peak} '
                  f'KiB (bound {bound} KiB)')


def case_flood_close(host, port, target):
    """128 READ(16) and WRITE(16) of 8 MiB each, then the connection
    closes while most of them wait for the budget: minisand drops them and
    serves the next session."""
    s = Session(host, port, target, isid=bytes([0x80, 0, 0, 6, 0, 0]))
    s.clear_unit_attentions()
    blocks = 16384
    for i in range(128):
        write = i % 2 == 1
        cdb = struct.pack('>BBQIBB', 0x8a if write else 0x88, 0,
                          (i % 8) * blocks, blocks, 0, 0)
        s.itt += 1
        bhs = bytearray(48)
        bhs[0] = 0x01
        bhs[1] = 0x80 | (0x20 if write else 0x40) | 0x01
        struct.pack_into('>III', bhs, 16, s.itt, blocks * 512,
                         s.cmdsn_next + i)
        bhs[32:48] = cdb
        s.sock.sendall(bytes(bhs))
    s.sock.close()
    other = Session(host, port, target, isid=bytes([0x80, 0, 0, 6, 0, 1]))
    other.clear_unit_attentions()
    status, data, _ = other.command(bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0]),
                                    read_len=4096)
    other.sock.close()
    ok = status == 0 and len(data) == 4096
    return ok, f'next session after the close: status {status}'


def case_immediate_flood(host, port, target):
    """Immediate commands do not advance CmdSN, so the window does not
    bound them: 136 immediate READ(16) of 8 MiB; those beyond the 128
    outstanding get a Reject (reason 0x06, RFC 7143 11.17.1), the others
    complete."""
    s = Session(host, port, target, isid=bytes([0x80, 0, 0, 7, 0, 0]))
    s.clear_unit_attentions()
    n, blocks = 136, 16384
    itts = set()
    for i in range(n):
        s.itt += 1
        bhs = bytearray(48)
        bhs[0] = 0x40 | 0x01
        bhs[1] = 0x80 | 0x40 | 0x01
        struct.pack_into('>III', bhs, 16, s.itt, blocks * 512, s.cmdsn_next)
        bhs[32:48] = struct.pack('>BBQIBB', 0x88, 0, (i % 8) * blocks,
                                 blocks, 0, 0)
        itts.add(s.itt)
        s.sock.sendall(bytes(bhs))
    s.sock.settimeout(30)
    good = rejected = 0
    while good + rejected < n:
        bhs, data = recv_pdu(s.sock)
        if bhs is None:
            return False, f'closed after {good} GOOD, {rejected} Rejects'
        op = bhs[0] & 0x3f
        if op == 0x3f and bhs[2] == 0x06 and len(data) >= 48:
            itt = struct.unpack_from('>I', data, 16)[0]
            if itt in itts:
                rejected += 1
        elif op == 0x21 or (op == 0x25 and bhs[1] & 0x01):
            if bhs[3] != 0:
                return False, f'status {bhs[3]}'
            good += 1
    s.sock.close()
    # a few may finish (and leave the window) while the rest arrive
    ok = good >= 128 and rejected >= 1
    return ok, f'{good} GOOD, {rejected} rejected as too many immediate'


CASES = {
    'immediate-flood': case_immediate_flood,
    'flood-close': case_flood_close,
    'read-flood': case_read_flood,
    'write-flood': case_write_flood,
    'initiator-session-cap': case_initiator_session_cap,
    'durable-writes': case_durable_writes,
    'chap-algorithms': case_chap_algorithms,
    'chap-mutual': case_chap_mutual,
    'caw-two-writers': case_caw_two_writers,
    'pr-aptpl-set': case_pr_aptpl_set,
    'pr-aptpl-check': case_pr_aptpl_check,
    'pr-plain-set': case_pr_plain_set,
    'pr-plain-check': case_pr_plain_check,
    'shutdown-logout': case_shutdown_logout,
    'mcs-out-of-order': case_mcs_out_of_order,
    'reinstatement': case_reinstatement,
    'nop-ping': case_nop_ping,
    'pipelined-burst': case_pipelined_burst,
    'half-open-flood': case_half_open_flood,
    'data-digest': case_data_digest,
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
