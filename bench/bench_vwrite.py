#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A verified write (write --verify: write, then read everything back and
compare) of SIZE MiB (default 64) into `system` of an emulated MT6737 over
a modelled link (default usb2-hs, see bench/README.md).

Prints the seconds of the data transfer, the ratio to (bytes written ÷ link
bandwidth) — the target is ≤ 2.1, since the read-back moves the bytes a
second time — the ratio to a plain unverified write measured in the same
run, and the peak RSS of the mtkflash process (target ≤ 64 MiB).  Prints
figures; never fails on them.

usage: bench_vwrite.py [--mtkflash PATH] [--mtkemu PATH] [--size MIB] [--speed MODEL] [--sparse]
"""
import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from bench_io import GNU_TIME, link_bandwidths, make_image, timed  # noqa: E402
import pkgimages  # noqa: E402

SCATTER = "scatter/MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt"
TINY = 4096  # what a run costs besides its data: connect, DA, table, one packet each way


def sparse_image(path, size):
    """Half data, half holes, in 1 MiB runs: what a system image looks like to the link."""
    chunks = []
    for _ in range(size // (2 << 20)):
        chunks += [("raw", os.urandom(1 << 20)), ("hole", (1 << 20) // 4096)]
    image, _ = pkgimages.sparse(chunks, keep_expanded=False)
    with open(path, "wb") as f:
        f.write(image)
    return size // 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mtkflash", default=os.environ.get("MTKFLASH", os.path.join(ROOT, "build/cli/mtkflash")))
    ap.add_argument("--mtkemu", default=os.environ.get("MTKEMU", os.path.join(ROOT, "build/emu/mtkemu")))
    ap.add_argument("--fixtures", default=os.environ.get("MTK_FIXTURES", os.path.join(ROOT, "tests/fixtures")))
    ap.add_argument("--size", type=int, default=64, help="MiB to write")
    ap.add_argument("--speed", default="usb2-hs", help="link model (mtkemu --help lists them)")
    ap.add_argument("--sparse", action="store_true", help="a sparse image (half holes) instead of a raw one")
    a = ap.parse_args()
    bw = link_bandwidths(a.mtkemu).get(a.speed)
    if not bw:
        sys.exit("link model '%s' has no bandwidth" % a.speed)
    with tempfile.TemporaryDirectory(prefix="mtkflash-bench-") as tmp:
        state = os.path.join(tmp, "state")
        os.system("%s provision --chip mt6737 --state %s --scatter %s --user-size 16G >/dev/null"
                  % (a.mtkemu, state, os.path.join(a.fixtures, SCATTER)))
        img, tiny = os.path.join(tmp, "img.bin"), os.path.join(tmp, "tiny.bin")
        if a.sparse:
            data = sparse_image(img, a.size << 20)
        else:
            make_image(img, a.size << 20)
            data = a.size << 20
        make_image(tiny, TINY)
        port = "emu:mt6737,state=%s,mode=preloader,speed=%s" % (state, a.speed)
        base = [a.mtkflash, "-q", "--port", port, "write", "system"]
        setup_v = timed(base + [tiny, "--verify"])[0]
        wall_v, cpu_v, rss_v, exact = timed(base + [img, "--verify"])
        plain = None
        if not a.sparse:
            setup_p = timed(base + [tiny])[0]
            plain = timed(base + [img])[0] - setup_p
    secs = wall_v - setup_v
    link = data / bw
    print("verified write of %d MiB%s over %s (%.0f MB/s)" % (data >> 20, " (sparse)" if a.sparse else "",
                                                             a.speed, bw / 1e6))
    print("  seconds (data transfer)      %8.2f   (whole command %.2f, CPU %.2f)" % (secs, wall_v, cpu_v))
    print("  bytes written / bandwidth    %8.2f s" % link)
    print("  ratio                        %8.2f   (target <= 2.1)" % (secs / link))
    if plain:
        print("  plain write seconds          %8.2f   (verified / plain: %.2f)" % (plain, secs / plain))
    print("  peak RSS                     %s%7.1f MiB (target <= 64)" % ("" if exact else "<=", rss_v / 1024))
    if not GNU_TIME:
        print("<=: no /usr/bin/time, so the peak RSS includes this script's own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
