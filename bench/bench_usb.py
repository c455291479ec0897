#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host CPU per GiB moved through libusb, beside the pty path (issue 12, item 6).

Writes SIZE MiB (default 256) to the `system` partition of an emulated MT6737
and reads it back, once over emulated USB (`mtkemu --usb`, umockdev,
`--port usb`) and once over a pty (`mtkemu --link`, `--port serial:`), and
prints the user and the system CPU seconds per GiB of the mtkflash process
alone (wait4 rusage: umockdev-wrapper execs mtkflash in place), with the same
command moving 512 bytes subtracted (connect, reattach, partition lookup).
Target: <= 1.3 s/GiB through libusb.  Prints figures; never fails on them.

What the USB figure includes: under umockdev there is no kernel usbdevfs.
Each ioctl mtkflash's libusb makes is sent by umockdev's preload, inside the
mtkflash process, over a unix socket to the emulator, and every URB's buffer
is copied through that socket both ways (user time for the preload's
marshalling, system time for the socket copies), and libusb polls the
emulated node, which never blocks.  A real usbdevfs maps the buffer for DMA
in one ioctl.  So the figure is an upper bound of what libusb costs on a
phone.  The pty figure is the kernel's tty layer (about 4 KiB per read).

usage: bench_usb.py [--mtkflash PATH] [--mtkemu PATH] [--da FILE] [--size MIB] [--only usb|pty]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_io import run_rusage  # noqa: E402
ROOT = os.path.dirname(HERE)
TINY = 512
SYSTEM = 0xA600000  # `system` in the user area of `mtkemu provision --chip mt6737` (printgpt)
GIB = float(1 << 30)


def cpu_of(cmd, env=None):
    """Run cmd; (wall s, user s, sys s) of that process."""
    wall, ru = run_rusage(cmd, env)
    return wall, ru.ru_utime, ru.ru_stime


def start_emu(a, state, where, usb):
    cmd = [a.mtkemu, "--chip", "mt6737", "--state", state, "--mode", "preloader", "--listen-ms", "3600000"]
    cmd += ["--usb", where] if usb else ["--link", where]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("ready"):
        p.kill()
        sys.exit("mtkemu did not start: %r" % line)
    return p


def measure(a, da, tmp, kind):
    """[(op, wall s, user s, sys s)] for the data alone, over kind (usb or pty)."""
    state = os.path.join(tmp, "state-" + kind)
    subprocess.run([a.mtkemu, "provision", "--chip", "mt6737", "--state", state], check=True,
                   stdout=subprocess.DEVNULL)
    where = os.path.join(tmp, kind)
    emu = start_emu(a, state, where, kind == "usb")
    env = dict(os.environ, UMOCKDEV_DIR=where) if kind == "usb" else None
    pre = ["umockdev-wrapper"] if kind == "usb" else []
    port = "usb" if kind == "usb" else "serial:" + where
    base = pre + [a.mtkflash, "-q", "--da", da, "--port", port]
    img, tiny, back = (os.path.join(tmp, n) for n in ("img.bin", "tiny.bin", "back.bin"))
    size = os.path.getsize(img)
    rows = []

    def read(n):
        return base + ["read", "--force", "--region", "user", "--offset", hex(SYSTEM), "--length", str(n), back]
    try:
        cpu_of(base + ["write", "system", tiny], env)  # starts the DA: later runs reattach
        for op, small, full in (("write", base + ["write", "system", tiny], base + ["write", "system", img]),
                                ("read", read(TINY), read(size))):
            w0, u0, s0 = cpu_of(small, env)
            w1, u1, s1 = cpu_of(full, env)
            rows.append((op, w1 - w0, u1 - u0, s1 - s0))
    finally:
        emu.terminate()
        emu.wait()
    return rows, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mtkflash", default=os.environ.get("MTKFLASH", os.path.join(ROOT, "build/cli/mtkflash")))
    ap.add_argument("--mtkemu", default=os.environ.get("MTKEMU", os.path.join(ROOT, "build/emu/mtkemu")))
    ap.add_argument("--da", help="DA file (default: the build's synthetic one next to mtkflash)")
    ap.add_argument("--size", type=int, default=256, help="MiB to write and read")
    ap.add_argument("--only", choices=["usb", "pty"], help="one transport only")
    a = ap.parse_args()
    if a.only != "pty" and not shutil.which("umockdev-wrapper"):
        sys.exit("umockdev-wrapper is not installed (apt-get install umockdev), or use --only pty")
    da = a.da or os.path.join(os.path.dirname(os.path.abspath(a.mtkflash)), "..", "data",
                              "MTK_AllInOne_DA_synthetic.bin")
    with tempfile.TemporaryDirectory(prefix="bench-usb-") as tmp:
        os.environ["XDG_RUNTIME_DIR"] = tmp
        with open(os.path.join(tmp, "img.bin"), "wb") as f:
            f.write(os.urandom(a.size << 20))
        with open(os.path.join(tmp, "tiny.bin"), "wb") as f:
            f.write(os.urandom(TINY))
        print("%-5s %-6s %5s %8s %10s %10s %10s" % ("path", "op", "MiB", "MB/s", "user s/GiB", "sys s/GiB",
                                                     "CPU s/GiB"))
        for kind in ("usb", "pty"):
            if a.only and a.only != kind:
                continue
            rows, size = measure(a, da, tmp, kind)
            for op, wall, user, sys_ in rows:
                gib = (size - TINY) / GIB
                print("%-5s %-6s %5d %8.1f %10.2f %10.2f %10.2f" % (
                    kind, op, size >> 20, (size - TINY) / max(wall, 1e-6) / 1e6, user / gib, sys_ / gib,
                    (user + sys_) / gib))
        print("target: <= 1.3 CPU s/GiB through libusb (the usb rows include umockdev's emulation, see --help)")


if __name__ == "__main__":
    main()
