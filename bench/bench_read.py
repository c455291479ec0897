#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A full read through the resumable read engine (issue 15 item 5).

Reads SIZE MiB (default 512) of an emulated phone's user area with
`mtkflash read --region user` (legacy MT6737, or --chip mt6765 for the xflash
DA), over each link model, twice: a range of random data ("data") and a range
where every other 64 KiB block is zeros ("holes": half the range becomes
holes in the file, found on the host as the data streams in).  Per run it
prints MB/s (the data transfer: the command's wall time minus the same
command reading 512 bytes), the ratio to the link model's bandwidth
(baseline 1, target >= 95 %), the ratio to the `none` run's rate in the same
invocation (baseline 2), "holes/data" (the holes run's rate over the data
run's on the same link: what hole detection costs; 1.00 = nothing),
CPU s/GiB, peak RSS of mtkflash (target <= 64 MiB), and whether the file's
SHA-256 matches the storage's.  Prints figures; never fails on them.

usage: bench_read.py [--mtkflash PATH] [--mtkemu PATH] [--size MIB] [--links none,usb2-hs]
                     [--chip mt6737|mt6765] [--chunk N] [--runs N]
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_io import GNU_TIME, link_bandwidths, timed, tool_args  # noqa: E402

TINY = 512
OFF = {"data": 1 << 30, "holes": 3 << 30}  # two ranges of the user area, far apart
BLOCK = 64 << 10
PIECE = 4 << 20


def fill(state, kind, size):
    """Writes the range into the state file a piece at a time; its SHA-256."""
    h = hashlib.sha256()
    fd = os.open(os.path.join(state, "user.bin"), os.O_WRONLY)
    try:
        for at in range(0, size, PIECE):
            buf = bytearray(os.urandom(min(PIECE, size - at)))
            if kind == "holes":
                for b in range(BLOCK, len(buf), 2 * BLOCK):
                    buf[b:b + BLOCK] = bytes(min(BLOCK, len(buf) - b))
            os.pwrite(fd, bytes(buf), OFF[kind] + at)
            h.update(buf)
    finally:
        os.close(fd)
    return h.hexdigest()


def one(a, state, out, speed, kind, size):
    """The best of --runs reads (the machine may be shared): MB/s, CPU s, RSS KiB, exact, SHA-256, hole bytes."""
    return max((one_run(a, state, out, speed, kind, size) for _ in range(a.runs)), key=lambda r: r[0])


def one_run(a, state, out, speed, kind, size):
    port = "emu:%s,state=%s,mode=preloader" % (a.chip, state) + ("" if speed == "none" else ",speed=" + speed)

    def cmd(n):
        return [a.mtkflash, "-q", "--port", port, "read", "--force", "--region", "user", "--offset",
                hex(OFF[kind]), "--length", str(n)] + (["--chunk", str(a.chunk)] if a.chunk else []) + [out]

    setup = timed(cmd(TINY))[0]
    wall, cpu, rss, exact = timed(cmd(size))
    with open(out, "rb") as f:
        h = hashlib.sha256()
        for piece in iter(lambda: f.read(PIECE), b""):
            h.update(piece)
    holes = max(0, size - os.stat(out).st_blocks * 512)
    os.unlink(out)
    return (size - TINY) / max(wall - setup, 1e-6), cpu, rss, exact, h.hexdigest(), holes


def main():
    ap = argparse.ArgumentParser()
    tool_args(ap)
    ap.add_argument("--size", type=int, default=512, help="MiB to read per run")
    ap.add_argument("--links", default="none,usb2-hs", help="comma-separated link models, 'none' first")
    ap.add_argument("--chip", choices=["mt6737", "mt6765"], default="mt6737")
    ap.add_argument("--chunk", type=int, default=0,
                    help="journal chunk (bytes; default: the tool's, 32 MiB on a high-speed link)")
    ap.add_argument("--runs", type=int, default=3, help="best of this many runs (default 3)")
    a = ap.parse_args()
    bandwidth = link_bandwidths(a.mtkemu)
    size = a.size << 20
    print("%-8s %-6s %5s %9s %8s %8s %11s %10s %9s %7s %s" % ("link", "range", "MiB", "MB/s", "of link", "of none",
                                                              "holes/data", "CPU s/GiB", "peak RSS", "holes", "sha256"))
    with tempfile.TemporaryDirectory(prefix="mtkflash-bench-read-") as tmp:
        state = os.path.join(tmp, "state")
        subprocess.run([a.mtkemu, "provision", "--chip", a.chip, "--state", state, "--user-size", "8G"],
                       check=True, stdout=subprocess.DEVNULL)
        want = {kind: fill(state, kind, size) for kind in OFF}
        nolink = {}
        for speed in a.links.split(","):
            rates = {}
            for kind in OFF:
                rate, cpu, rss, exact, sha, holes = one(a, state, os.path.join(tmp, "out.bin"), speed, kind, size)
                rates[kind] = rate
                if speed == "none":
                    nolink[kind] = rate
                bw = bandwidth.get(speed)
                print("%-8s %-6s %5d %9.1f %8s %8s %11s %10.2f %s%5.1f MiB %6.0f%% %s" % (
                    speed, kind, a.size, rate / 1e6, "%7.1f%%" % (100 * rate / bw) if bw else "      -",
                    "%7.1f%%" % (100 * rate / nolink[kind]) if speed != "none" and kind in nolink else "      -",
                    "%10.2f" % (rates["holes"] / rates["data"]) if kind == "holes" else "          -",
                    cpu * (1 << 30) / size, "" if exact else "<=", rss / 1024, 100.0 * holes / size,
                    "ok" if sha == want[kind] else "DIFFERS"))
                sys.stdout.flush()
    if not GNU_TIME:
        print("<=: no /usr/bin/time, so the peak RSS includes this script's own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
