#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Over emulated USB (mtkemu --usb, umockdev), the ways a phone's port comes
and goes on a real bench (issue 12):

- a preloader port that lives only 2 s: mtkflash started first (it says it
  is waiting), the phone plugged in after that, caught and handshaken; the
  same port left alone leaves the bus by itself when its window closes;
- a port that leaves the bus before the handshake (the preloader's window
  closes at the first byte: fault boot-on-at=0): mtkflash says so, waits,
  and the next attempt succeeds when the phone comes back; when it does not
  come back, the error gives the account of the attempts and the likely
  cause (exit 3);
- a device whose data interface another mtkflash holds: "port busy", exit 3;
- two phones in one test bed (mtkemu --usb-second): `--port auto` refuses
  and lists both, each is reached by usb:BUS:ADDR, and one that replugs
  takes the next free address while the other keeps its own;
- after `reboot` the phone re-enumerates (a preloader at a new address) and
  the next command finds it there.
Synchronised on the emulator's printed lines and mtkflash's own, never on
sleeps.  Skipped (77) when umockdev-wrapper is missing."""
import os
import select
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from mtkutil import MTKEMU, MTKFLASH, check, in_tmpdir, read_line, run, start_emu, stop_emu  # noqa: E402

DA = os.environ.get("MTKFLASH_BUILD_DA", "")
WAITING = "waiting for a MediaTek device"


def flasher(usbdir, args):
    env = dict(os.environ, UMOCKDEV_DIR=usbdir)
    return subprocess.Popen(["umockdev-wrapper", MTKFLASH, "--port", "usb"] + args, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def usb_run(usbdir, args, expect=0):
    p = flasher(usbdir, args)
    out, err = p.communicate(timeout=120)
    check(p.returncode == expect, "mtkflash %s exited %d, not %d; stderr:\n%s" % (" ".join(args), p.returncode,
                                                                               expect, err))
    return out, err


def stderr_until(proc, needle, timeout=30.0):
    """mtkflash's stderr up to and including the line holding `needle`."""
    fd, buf, end = proc.stderr.fileno(), b"", time.monotonic() + timeout
    while needle.encode() not in buf or not buf.endswith(b"\n"):
        r, _, _ = select.select([fd], [], [], max(end - time.monotonic(), 0))
        c = os.read(fd, 4096) if r else b""
        if not c:
            proc.kill()
            raise AssertionError("mtkflash never said %r; stderr:\n%s" % (needle, buf.decode()))
        buf += c
    return buf.decode()


def finish(proc, expect, before=""):
    out, err = proc.communicate(timeout=120)
    err = before + err
    check(proc.returncode == expect, "mtkflash exited %d, not %d; stderr:\n%s" % (proc.returncode, expect, err))
    return out, err


class Emu:
    def __init__(self, tmp, name, args):
        self.usbdir = os.path.join(tmp, name + "-usb")
        state = os.path.join(tmp, name)
        run([MTKEMU, "provision", "--chip", "mt6737", "--state", state])
        self.proc = start_emu(["--chip", "mt6737", "--state", state] + args + ["--usb", self.usbdir])

    def expect(self, what):
        line = read_line(self.proc, timeout=30)
        check(line == "%s usb %s" % (what, self.usbdir), "mtkemu said %r, not '%s usb ...'" % (line, what))

    def plug(self):
        self.proc.send_signal(signal.SIGUSR1)
        self.expect("ready")

    def close(self):
        rc = stop_emu(self.proc)
        check(rc == 0, "mtkemu exited %s after SIGTERM (stderr %r)" % (rc, self.proc.stderr.read()[-2000:]))


def two_second_window(tmp):
    emu = Emu(tmp, "window", ["--mode", "preloader", "--listen-ms", "2000", "--unplugged"])
    try:
        emu.expect("unplugged")
        fl = flasher(emu.usbdir, ["-v", "--wait", "20", "--json", "detect"])
        before = stderr_until(fl, WAITING)
        emu.plug()
        out, err = finish(fl, 0, before)
        check('"mode": "preloader"' in out and '"hw_code": 821' in out, "detect said:\n%s" % out)
        check("found 0e8d:2000 MediaTek preloader" in err, "no found line:\n%s" % err)
        # Nobody at the port: the window closes and the port leaves by itself.
        emu.plug()
        t0 = time.monotonic()
        emu.expect("gone")
        lived = time.monotonic() - t0
        check(1.5 <= lived < 10, "the 2 s preloader port lived %.2f s" % lived)
    finally:
        emu.close()


def plug_short_lived(emu, args):
    """mtkflash waiting, then a preloader that leaves at the first byte; it is gone."""
    emu.expect("unplugged")
    fl = flasher(emu.usbdir, args)
    before = stderr_until(fl, WAITING)
    emu.plug()
    emu.expect("gone")
    return fl, before


SHORT_LIVED = ["--mode", "preloader", "--unplugged", "--faults", "boot-on-at=0"]


def gone_then_back(tmp):
    emu = Emu(tmp, "flaky", SHORT_LIVED)
    try:
        fl, before = plug_short_lived(emu, ["-v", "--wait", "30", "detect"])
        before += stderr_until(fl, "attempt 1:")
        check("left the bus" in before and "waiting for the phone to come back" in before,
              "the first attempt is not accounted for:\n%s" % before)
        emu.plug()
        out, err = finish(fl, 0, before)
        check("attempt 2: usb:1:3" in err, "no second attempt at the new address:\n%s" % err)
        check("Mode:           preloader" in out, "detect after the retry said:\n%s" % out)
    finally:
        emu.close()


def gone_for_good(tmp):
    emu = Emu(tmp, "lost", SHORT_LIVED)
    try:
        fl, before = plug_short_lived(emu, ["--wait", "2", "detect"])
        _, err = finish(fl, 3, before)
        check("appeared and left the bus before the handshake, 1 time" in err and "attempt 1: usb:1:2" in err,
              "no account of the attempt:\n%s" % err)
        check("listen window" in err and "volume-down" in err, "no likely cause:\n%s" % err)
    finally:
        emu.close()


def busy(tmp):
    # The holder's phone stops answering, so the holder keeps the interface.
    emu = Emu(tmp, "busy", ["--mode", "brom", "--faults", "da-hang-at=0"])
    try:
        emu.expect("ready")
        holder = flasher(emu.usbdir, ["-vv", "--wait", "60", "detect"])
        stderr_until(holder, "claimed interface")
        _, err = usb_run(emu.usbdir, ["--wait", "1", "detect"], expect=3)
        check("port busy: another program has claimed 0e8d:0003" in err and "/dev/bus/usb/001/002" in err,
              "a held device is not reported busy:\n%s" % err)
        holder.kill()
        holder.communicate()
    finally:
        emu.close()


def detect_at(usbdir, addr, hw_code):
    out, err = usb_run(usbdir, ["--port", "usb:1:%d" % addr, "--wait", "5", "--json", "detect"])
    check('"hw_code": %d' % hw_code in out, "usb:1:%d is not the phone with hw_code %#x:\n%s" % (addr, hw_code, out))


def two_phones(tmp):
    second = os.path.join(tmp, "second")
    run([MTKEMU, "provision", "--chip", "mt6580", "--state", second])
    emu = Emu(tmp, "first", ["--mode", "brom", "--usb-second", "mt6580:" + second])
    try:
        emu.expect("ready")
        emu.expect("ready")
        _, err = usb_run(emu.usbdir, ["--port", "auto", "--wait", "5", "detect"], expect=2)
        check("several MediaTek devices" in err and "USB 1-1 = bus 1 address 2 (--port usb:1:2)" in err
              and "USB 1-2 = bus 1 address 3 (--port usb:1:3)" in err, "auto does not list both phones:\n%s" % err)
        detect_at(emu.usbdir, 2, 0x335)
        detect_at(emu.usbdir, 3, 0x6580)
        emu.plug()  # the first phone replugs: the next free address is 4
        detect_at(emu.usbdir, 4, 0x335)
        detect_at(emu.usbdir, 3, 0x6580)
    finally:
        emu.close()


def reboot_reenumerates(tmp):
    emu = Emu(tmp, "reboot", ["--listen-ms", "20000"])
    try:
        emu.expect("ready")
        usb_run(emu.usbdir, ["--da", DA, "-q", "printgpt"])
        _, err = usb_run(emu.usbdir, ["-v", "reboot"])
        emu.expect("ready")  # reset: off the bus and back, as what boots now
        out, err = usb_run(emu.usbdir, ["-v", "detect"])
        check("found 0e8d:2000 MediaTek preloader, USB 1-1 = bus 1 address 3" in err,
              "the rebooted phone was not found at its new address:\n%s" % err)
        check("Mode:           preloader" in out, "detect after reboot said:\n%s" % out)
    finally:
        emu.close()


def main(tmp):
    # Session records are per USB port (1-1 in every test bed): this test's own.
    os.environ["XDG_RUNTIME_DIR"] = os.path.join(tmp, "runtime")
    two_second_window(tmp)
    gone_then_back(tmp)
    gone_for_good(tmp)
    busy(tmp)
    two_phones(tmp)
    reboot_reenumerates(tmp)


if __name__ == "__main__":
    if not shutil.which("umockdev-wrapper"):
        print("SKIP: umockdev-wrapper is not installed")
        sys.exit(77)
    sys.exit(in_tmpdir("mtkflash-usbwin-", main))
