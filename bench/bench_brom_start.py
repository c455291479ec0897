#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A 64 MiB read from a phone that started in BROM mode, under the usb2-hs link
model (see bench/README.md).

A DA that the BootROM started runs at USB full speed until the host asks for
high speed and the phone re-enumerates (da-legacy.md §4.8).  This measures
whether mtkflash gets the high-speed link anyway: it reads SIZE (default
64 MiB) of the `system` partition of an emulated MT6580 started in BROM mode
and, as the baseline, of the same device started in preloader mode (whose DA
is at high speed from the start), and prints MB/s, the ratio to the link
model's bandwidth (target >= 90 %) and the ratio to the preloader start.
Prints figures; never fails on them.

Each start is measured as: one small command that connects (from BROM: the
DRAM settings, DA1, DA2, the speed switch), then a 512-byte read and the
SIZE read; MB/s is (SIZE - 512) over the difference of the two, so the
figure is the data transfer alone whether the DA session is reattached
(a phone keeps its DA) or set up again.

usage: bench_brom_start.py [--mtkflash PATH] [--mtkemu PATH] [--da FILE] [--size MIB]
                           [--transport pty|emu] [--fixtures DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_io  # noqa: E402

SPEED = "usb2-hs"


def port_for(a, state, tmp, mode):
    """(port spec, emulator process or None) for one start mode."""
    if a.transport == "emu":
        return "emu:mt6580,state=%s,mode=%s,speed=%s" % (state, mode, SPEED), None
    tty = os.path.join(tmp, "tty-" + mode)
    return "serial:" + tty, bench_io.start_emu(a.mtkemu, state, tty, SPEED, mode)


def measure(a, da, state, tmp, mode, preloader):
    """MB/s of a SIZE read after a start in `mode`."""
    sessions = os.path.join(tmp, "sessions-" + mode)
    port, emu = port_for(a, state, tmp, mode)
    base = [a.mtkflash, "-q", "--da", da, "--port", port, "--session-dir", sessions]
    extra = ["--preloader", preloader] if mode == "brom" else []
    back = os.path.join(tmp, "back.bin")

    def read(n):
        return base + ["read", "--force", "--region", "user", "--offset", hex(bench_io.SYSTEM_OFFSET), "--length", str(n),
                       back] + extra
    try:
        bench_io.timed(read(bench_io.TINY))  # the connect, whatever it costs
        small = bench_io.timed(read(bench_io.TINY))[0]
        wall = bench_io.timed(read(a.size << 20))[0]
        bench_io.timed(base + ["reboot"])
    finally:
        if emu:
            emu.terminate()
            emu.wait()
    os.unlink(back)
    return ((a.size << 20) - bench_io.TINY) / max(wall - small, 1e-6)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mtkflash", default=os.environ.get("MTKFLASH", os.path.join(bench_io.ROOT, "build/cli/mtkflash")))
    ap.add_argument("--mtkemu", default=os.environ.get("MTKEMU", os.path.join(bench_io.ROOT, "build/emu/mtkemu")))
    ap.add_argument("--fixtures", default=os.environ.get("MTK_FIXTURES", os.path.join(bench_io.ROOT, "tests/fixtures")))
    ap.add_argument("--size", type=int, default=64, help="MiB to read")
    ap.add_argument("--transport", choices=["pty", "emu"], default="pty",
                    help="pty: mtkemu on a pty, which re-enumerates as a new pty (default); emu: in-process")
    ap.add_argument("--da", help="DA file (default: the build's synthetic one next to mtkflash)")
    a = ap.parse_args()
    da = a.da or os.path.join(os.path.dirname(os.path.abspath(a.mtkflash)), "..", "data",
                              "MTK_AllInOne_DA_synthetic.bin")
    link = bench_io.link_bandwidths(a.mtkemu)[SPEED]
    with tempfile.TemporaryDirectory(prefix="mtkflash-bench-brom-") as tmp:
        state = os.path.join(tmp, "state")
        subprocess.run([a.mtkemu, "provision", "--chip", "mt6580", "--state", state,
                        "--scatter", os.path.join(a.fixtures, bench_io.SCATTER)], check=True,
                       stdout=subprocess.DEVNULL)
        preloader = os.path.join(tmp, "preloader.bin")
        subprocess.run([a.mtkflash, "-q", "--da", da, "--session-dir", os.path.join(tmp, "s0"), "--after", "reboot",
                        "--port", "emu:mt6580,state=%s,mode=preloader" % state, "read", "preloader", preloader],
                       check=True, stdout=subprocess.DEVNULL)
        rates = {mode: measure(a, da, state, tmp, mode, preloader) for mode in ("preloader", "brom")}
    print("%-10s %5s %9s %8s %13s" % ("start", "MiB", "MB/s", "of link", "of preloader"))
    for mode, rate in rates.items():
        print("%-10s %5d %9.1f %7.1f%% %12.1f%%" % (mode, a.size, rate / 1e6, 100 * rate / link,
                                                   100 * rate / rates["preloader"]))
    print("target: the BROM start reaches >= 90 %% of the %s link (%.0f MB/s)" % (SPEED, link / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
