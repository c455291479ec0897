#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The mtkemu program on a pty, driven with raw bytes like a serial host.

Checks: "ready PATH" on stdout, the BROM handshake and GET_HW_CODE through the
symlink in termios raw mode, a second session after the host closed the port,
a disconnect fault that re-plugs the port, SIGTERM (exit 0, link removed), and
clear usage errors (exit 2)."""
import os
import select
import sys
import tempfile
import termios
import time
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKEMU, run, start_emu, stop_emu  # noqa: E402
from mtkutil import read_line as emu_line  # noqa: E402

TIMEOUT = 5.0


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def read_line(proc):
    """One stdout line from the emulator, or fail after TIMEOUT."""
    try:
        return emu_line(proc, TIMEOUT)
    except AssertionError as e:
        fail(str(e))


def open_port(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    # Like any serial host: drop what an earlier session left unread.
    termios.tcflush(fd, termios.TCIFLUSH)
    return fd


def read_exact(fd, n, timeout=TIMEOUT):
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


def xfer(fd, send, want):
    os.write(fd, bytes.fromhex(send))
    got = read_exact(fd, len(bytes.fromhex(want)))
    check(got == bytes.fromhex(want), "sent %s, expected %s, got %s" % (send, want, got.hex()))


def handshake(fd):
    for b in ("a0", "0a", "50", "05"):
        xfer(fd, b, "%02x" % (~int(b, 16) & 0xFF))


def session(path, chip_code):
    fd = open_port(path)
    handshake(fd)
    xfer(fd, "fd", "fd" + chip_code + "0000")
    xfer(fd, "fe", "fe")
    os.close(fd)


def stop(proc, link):
    rc = stop_emu(proc, TIMEOUT)
    check(rc is not None, "mtkemu did not exit after SIGTERM")
    check(rc == 0, "mtkemu exited %d after SIGTERM (stderr %r)" % (rc, proc.stderr.read()))
    check(not os.path.lexists(link), "the link %s is still there after exit" % link)


def test_sessions(tmp):
    state = os.path.join(tmp, "phone")
    link = os.path.join(tmp, "ttyEMU")
    os.symlink("/nonexistent", link)  # a stale link from an earlier run is replaced
    proc = start_emu(["--chip", "mt6765", "--state", state, "--link", link, "--mode", "brom"])
    try:
        check(read_line(proc) == "ready " + link, "expected 'ready %s'" % link)
        check(os.path.realpath(link).startswith("/dev/pts/"), "link does not point at a pty")
        session(link, "0766")
        # A real device stays plugged in: the next open is a fresh session.
        session(link, "0766")
        # Host gives up in the middle of a command; the next session still starts clean.
        fd = open_port(link)
        handshake(fd)
        os.write(fd, bytes.fromhex("d4 10007000".replace(" ", "")))
        time.sleep(0.1)
        os.close(fd)
        session(link, "0766")
    finally:
        if proc.poll() is None:
            stop(proc, link)
    check(os.path.isdir(state), "state directory was not created")


def test_disconnect_replug(tmp):
    link = os.path.join(tmp, "ttyCUT")
    proc = start_emu(["--chip", "mt6737", "--state", os.path.join(tmp, "cut"), "--link", link,
                  "--faults", "disconnect-after=8"])
    try:
        check(read_line(proc) == "ready " + link, "expected ready")
        fd = open_port(link)
        handshake(fd)  # exactly 8 bytes
        os.write(fd, b"\xfd")
        check(read_exact(fd, 1, 2.0) == b"", "the device answered after the cable was cut")
        os.close(fd)
        check(read_line(proc) == "ready " + link, "no new 'ready' after the disconnect")
        session(link, "0335")  # the fault fired once; the re-plugged device works
    finally:
        if proc.poll() is None:
            stop(proc, link)


def expect_usage_error(args, needle, code=2):
    p = run([MTKEMU] + args, expect=None, timeout=TIMEOUT)
    check(p.returncode == code, "%s: exit %d, expected %d (stderr %r)" % (args, p.returncode, code, p.stderr))
    check(needle in p.stderr, "%s: stderr %r lacks %r" % (args, p.stderr, needle))


def test_usage(tmp):
    state = os.path.join(tmp, "u")
    expect_usage_error(["--chip", "mt1234", "--state", state], "unknown chip 'mt1234' (known: mt6572,")
    expect_usage_error(["--chip", "mt6765"], "--state DIR is required")
    expect_usage_error(["--state", state], "--chip CHIP is required")
    expect_usage_error(["--chip", "mt6765", "--state", state, "--faults", "x"], "unknown fault 'x' (known:")
    expect_usage_error(["--chip", "mt6765", "--state", state, "--faults", "disconnect-after"],
                       "disconnect-after needs a byte count")
    expect_usage_error(["--chip", "mt6765", "--state", state, "--speed", "usb9"], "unknown link speed 'usb9'")
    expect_usage_error(["--chip", "mt6765", "--state", state, "--mode", "meta"], "unknown mode 'meta'")
    expect_usage_error(["--chip", "mt6765", "--state", state, "--bogus"], "unknown option '--bogus'")
    expect_usage_error(["--chip", "mt6765", "--state", state, "extra"], "unexpected argument 'extra'")
    # A regular file at the link path is never replaced.
    victim = os.path.join(tmp, "precious")
    with open(victim, "w") as f:
        f.write("keep me")
    expect_usage_error(["--chip", "mt6765", "--state", state, "--link", victim], "refusing to replace", 1)
    with open(victim) as f:
        check(f.read() == "keep me", "the regular file was modified")
    p = run([MTKEMU, "--list"], expect=None, timeout=TIMEOUT)
    check(p.returncode == 0 and "mt6765" in p.stdout.split() and len(p.stdout.split()) == 18,
          "--list: %r" % p.stdout)
    p = run([MTKEMU, "--help"], expect=None, timeout=TIMEOUT)
    check(p.returncode == 0 and "--faults SPEC" in p.stdout, "--help: %r" % p.stdout)


def main():
    with tempfile.TemporaryDirectory(prefix="mtkemu-pty-") as tmp:
        test_usage(tmp)
        test_sessions(tmp)
        test_disconnect_replug(tmp)
    print("ok")


if __name__ == "__main__":
    main()
