# SPDX-License-Identifier: MIT
"""A raw serial host for mtkemu's pty: open the link like a serial port, move
bytes, and the two handshakes a host needs (the exact BROM one, and the robust
one of brom-protocol.md §2.6 that also works on a real preloader).  Waits are
on replies with a timeout, never sleeps."""
import os
import select
import sys
import termios
import time
import tty

from mtkutil import read_line as _emu_line

TIMEOUT = 5.0


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def read_line(proc):
    """One stdout line from mtkemu ("ready PATH"), or fail after TIMEOUT."""
    try:
        return _emu_line(proc, TIMEOUT)
    except AssertionError as e:
        fail(str(e))


def open_port(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    # Like any serial host: drop what an earlier session left unread.
    termios.tcflush(fd, termios.TCIFLUSH)
    return fd


def read_exact(fd, n, timeout=TIMEOUT):
    """Up to n bytes: fewer when the timeout passed or the port hung up."""
    buf = b""
    end = time.monotonic() + timeout
    while len(buf) < n:
        left = end - time.monotonic()
        r, _, _ = select.select([fd], [], [], max(left, 0))
        if not r:
            break
        try:
            c = os.read(fd, n - len(buf))
        except OSError:
            break
        if not c:
            break
        buf += c
    return buf


def hung_up(fd, timeout=TIMEOUT):
    """True when the port hangs up (EIO or EOF) within the timeout; bytes
    still queued are read and dropped."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(end - time.monotonic(), 0))
        if not r:
            return False
        try:
            if not os.read(fd, 4096):
                return True
        except OSError:
            return True
    return False


def xfer(fd, send, want):
    os.write(fd, bytes.fromhex(send))
    got = read_exact(fd, len(bytes.fromhex(want)))
    check(got == bytes.fromhex(want), "sent %s, expected %s, got %s" % (send, want, got.hex()))


def handshake(fd):
    """The exact transcript of a device that answers the first A0."""
    for b in ("a0", "0a", "50", "05"):
        xfer(fd, b, "%02x" % (~int(b, 16) & 0xFF))


def sync_any(fd, tries=200):
    """§2.6 rule 2: each sync byte until its complement comes back, READY
    banner bytes skipped; no answer (the eaten first A0) or a wrong one
    restarts the sequence."""
    seq = b"\xa0\x0a\x50\x05"
    i = 0
    for _ in range(tries):
        if i == 4:
            return
        os.write(fd, seq[i:i + 1])
        got = b""
        while True:
            got = read_exact(fd, 1, 0.05)
            if not got or got not in b"READY":
                break
        i = i + 1 if got == bytes([seq[i] ^ 0xFF]) else 0
    check(i == 4, "no handshake after %d tries" % tries)
