#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The mtkemu program on a pty, driven with raw bytes like a serial host.

Checks: "ready PATH" on stdout, the BROM handshake and GET_HW_CODE through the
symlink in termios raw mode, a second session that finds the phone still in its
command loop after the host closed the port (sync bytes echoed),
a disconnect fault that re-plugs the port, SIGTERM (exit 0, link removed), and
clear usage errors (exit 2)."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import MTKEMU, run, start_emu, stop_emu  # noqa: E402
mtkutil.EMU_LEAK_SCAN = True  # mtkemu's own commands are what this tests
from ptyhost import TIMEOUT, check, handshake, hung_up, open_port, read_line, xfer  # noqa: E402



def session(path, chip_code, fresh=True):
    """A host session: a fresh phone gets the handshake; one already in its
    command loop (the phone stays plugged in) echoes the sync bytes (§2.6)."""
    fd = open_port(path)
    if fresh:
        handshake(fd)
    else:
        xfer(fd, "a0", "a0")
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
        # A real phone stays plugged in: the BROM is still in its command loop.
        session(link, "0766", fresh=False)
        # Host gives up in the middle of a command: the device drops it with
        # the session, and the next one finds the command loop in step.
        fd = open_port(link)
        xfer(fd, "d4 10007000", "d4 10007000")
        os.close(fd)
        session(link, "0766", fresh=False)
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
        handshake(fd)  # exactly 8 bytes: every answer arrives before the cut
        os.write(fd, b"\xfd")
        check(hung_up(fd), "the port did not hang up after the cable was cut")
        os.close(fd)
        check(read_line(proc) == "ready " + link, "no new 'ready' after the disconnect")
        # The fault fired once; the phone rebooted when the cable came back.
        session(link, "0335")
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
    expect_usage_error(["--chip", "mt6765", "--state", state, "--preloader-model", "x"],
                       "unknown preloader model 'x' (known: real, simple)")
    expect_usage_error(["--chip", "mt6765", "--state", state, "--listen-ms", "0"], "--listen-ms: '0' is not a time")
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
