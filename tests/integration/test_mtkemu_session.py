#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mtkemu's port across the phone's life, driven with raw bytes (no mtkflash).

Checks: the real preloader's READY banners and handshake over the pty; a phone
that resets by its own doing (an old preloader's ASSERT) re-enumerates: the old
fd hangs up, the link points at a new pty, "ready PATH" comes again; SIGUSR1
(replug) and SIGUSR2 (power cycle) do the same and reboot the phone, idle or
with the port open; a closing listen window prints "gone PATH" and removes the
link until a replug brings it back.  Every wait is on a line or a reply."""
import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import start_emu, stop_emu  # noqa: E402
mtkutil.EMU_LEAK_SCAN = True  # mtkemu's own commands are what this tests
from ptyhost import TIMEOUT, check, handshake, hung_up, open_port, read_exact, read_line, sync_any, xfer  # noqa: E402


def expect_line(proc, want):
    got = read_line(proc)
    check(got == want, "expected %r from mtkemu, got %r" % (want, got))


def stop(proc, link):
    rc = stop_emu(proc, TIMEOUT)
    check(rc == 0, "mtkemu exited %r after SIGTERM (stderr %r)" % (rc, proc.stderr.read()))
    check(not os.path.lexists(link), "the link %s is still there after exit" % link)


def with_emu(tmp, name, args, body):
    link = os.path.join(tmp, "tty" + name)
    proc = start_emu(["--state", os.path.join(tmp, name), "--link", link] + args)
    try:
        expect_line(proc, "ready " + link)
        body(proc, link)
    finally:
        if proc.poll() is None:
            stop(proc, link)


def reenumerated(proc, link, old_fd, old_target):
    """The phone left the bus and came back: the host's fd hung up, a new
    'ready' line, the link at another pty."""
    check(hung_up(old_fd), "the old port did not hang up")
    os.close(old_fd)
    expect_line(proc, "ready " + link)
    target = os.path.realpath(link)
    check(target.startswith("/dev/pts/") and target != old_target,
          "the link was not re-pointed (%s, before %s)" % (target, old_target))


def test_assert_reenumerates(tmp):
    """MT6572's old preloader reads outside its register bank: no status,
    the phone resets (forced preloader mode: a new listen phase)."""
    def body(proc, link):
        target = os.path.realpath(link)
        fd = open_port(link)
        first = read_exact(fd, 5)
        check(first == b"READY", "a listening preloader sends READY, got %r" % first)
        sync_any(fd)
        xfer(fd, "fe", "01")
        xfer(fd, "d1 00000000 00000001", "d1 00000000 00000001")
        reenumerated(proc, link, fd, target)
        fd = open_port(link)
        sync_any(fd)  # a fresh boot: the handshake works again
        xfer(fd, "fd", "fd65720000")
        os.close(fd)
    with_emu(tmp, "assert", ["--chip", "mt6572", "--mode", "preloader"], body)


def test_replug_and_power_cycle(tmp):
    def body(proc, link):
        fd = open_port(link)
        handshake(fd)
        os.close(fd)
        # Idle (no host): SIGUSR1 replugs, the BROM starts over.
        target = os.path.realpath(link)
        proc.send_signal(signal.SIGUSR1)
        expect_line(proc, "ready " + link)
        check(os.path.realpath(link) != target, "replug: the link was not re-pointed")
        fd = open_port(link)
        handshake(fd)  # answered 5F: not the old command loop, which would echo A0
        # With the port open: SIGUSR2 power-cycles, the host's fd hangs up.
        target = os.path.realpath(link)
        proc.send_signal(signal.SIGUSR2)
        reenumerated(proc, link, fd, target)
        fd = open_port(link)
        handshake(fd)
        xfer(fd, "fd", "fd07660000")
        os.close(fd)
    with_emu(tmp, "plug", ["--chip", "mt6765", "--mode", "brom"], body)


def test_listen_window_gone(tmp):
    def body(proc, link):
        fd = open_port(link)  # the phone is plugged in now: the window starts
        check(hung_up(fd), "the port stayed after the listen window")
        os.close(fd)
        expect_line(proc, "gone " + link)
        check(not os.path.lexists(link), "the link is still there while the phone is gone")
        proc.send_signal(signal.SIGUSR1)
        expect_line(proc, "ready " + link)
        fd = open_port(link)
        sync_any(fd)
        xfer(fd, "fe", "03")
        os.close(fd)
    with_emu(tmp, "gone", ["--chip", "mt6765", "--mode", "preloader", "--listen-ms", "300"], body)


def main():
    with tempfile.TemporaryDirectory(prefix="mtkemu-session-") as tmp:
        test_assert_reenumerates(tmp)
        test_replug_and_power_cycle(tmp)
        test_listen_window_gone(tmp)
    print("ok")


if __name__ == "__main__":
    main()
