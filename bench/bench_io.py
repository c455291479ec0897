#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Partition I/O throughput through the legacy DA (see bench/README.md).

Writes and reads SIZE (default 256 MiB) of the `system` partition of an
emulated MT6580, once per link model, and prints MB/s, the ratio to the
link's bandwidth, CPU seconds per GiB and peak RSS of the mtkflash process.  Prints figures; never
fails on them.

usage: bench_io.py [--mtkflash PATH] [--mtkemu PATH] [--da FILE] [--size MIB] [--fixtures DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LINKS = [("usb2-hs", 40e6), ("none", None)]  # bandwidth as mtkemu --help states it
SCATTER = "scatter/MT6580__Dewil-King_Sectter-File__MT6580_Android_scatter.txt"


def timed(cmd):
    """Run cmd; return (wall seconds, user+sys CPU seconds, peak RSS KiB)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("%s failed:\n%s" % (" ".join(cmd), err))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def start_emu(mtkemu, state, link, speed):
    cmd = [mtkemu, "--chip", "mt6580", "--state", state, "--link", link, "--mode", "preloader"]
    if speed != "none":
        cmd += ["--speed", speed]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("ready"):
        p.kill()
        sys.exit("mtkemu did not start: %s %s" % (line, p.stderr.read()))
    return p


def make_image(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 4 << 20)
            f.write(os.urandom(n))
            left -= n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mtkflash", default=os.environ.get("MTKFLASH", os.path.join(ROOT, "build/cli/mtkflash")))
    ap.add_argument("--mtkemu", default=os.environ.get("MTKEMU", os.path.join(ROOT, "build/emu/mtkemu")))
    ap.add_argument("--fixtures", default=os.environ.get("MTK_FIXTURES", os.path.join(ROOT, "../shared/fixtures")))
    ap.add_argument("--size", type=int, default=256, help="MiB to write and read")
    ap.add_argument("--transport", choices=["emu", "pty"], default="emu",
                    help="emu: the in-process emulator (a socketpair; CPU and RSS then include the "
                         "emulator thread); pty: mtkemu as its own process on a pty")
    ap.add_argument("--da", help="DA file (default: the build's synthetic one next to mtkflash)")
    a = ap.parse_args()
    da = a.da or os.path.join(os.path.dirname(os.path.abspath(a.mtkflash)), "..", "data",
                              "MTK_AllInOne_DA_synthetic.bin")
    size = a.size << 20
    print("%-8s %-5s %9s %8s %12s %10s" % ("link", "op", "MB/s", "of link", "CPU s/GiB", "peak RSS"))
    with tempfile.TemporaryDirectory(prefix="mtkflash-bench-") as tmp:
        state = os.path.join(tmp, "state")
        subprocess.run([a.mtkemu, "provision", "--chip", "mt6580", "--state", state,
                        "--scatter", os.path.join(a.fixtures, SCATTER)], check=True, stdout=subprocess.DEVNULL)
        img, back, link = (os.path.join(tmp, n) for n in ("img.bin", "back.bin", "tty"))
        make_image(img, size)
        for speed, bw in LINKS:
            emu = start_emu(a.mtkemu, state, link, speed) if a.transport == "pty" else None
            port = "serial:" + link
            if not emu:
                port = "emu:mt6580,state=%s,mode=preloader" % state + ("" if speed == "none" else ",speed=" + speed)
            try:
                base = [a.mtkflash, "-q", "--da", da, "--port", port]
                # The connect + partition-table cost, subtracted from each run.
                setup, _, _ = timed(base + ["printgpt"])
                runs = [("write", base + ["write", "system", img]),
                        ("read", base + ["read", "--region", "user", "--offset", "0xa800000",
                                         "--length", str(size), back])]
                for op, cmd in runs:
                    wall, cpu, rss = timed(cmd)
                    rate = size / max(wall - setup, 1e-6)
                    ratio = "%7.1f%%" % (100 * rate / bw) if bw else "      -"
                    print("%-8s %-5s %9.1f %8s %12.2f %7.1f MiB" % (speed, op, rate / 1e6, ratio,
                                                                   cpu * (1 << 30) / size, rss / 1024))
            finally:
                if emu:
                    emu.terminate()
                    emu.wait()
        with open(img, "rb") as x, open(back, "rb") as y:
            same = x.read() == y.read()
        print("read-back %s the written image" % ("matches" if same else "DIFFERS FROM"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
