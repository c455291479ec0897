#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A verified flash (mtkflash flash, safe mode, download scene) of the
sample MT6737 package (mtkemu mkfirmware) onto an emulated MT6737 over a
modelled link (default usb2-hs, see bench/README.md).

Prints the seconds of the flash's data transfer (the whole command minus a
flash of one small partition measured in the same run: connecting, the DA,
fingerprint and plan cost the same in both), the bytes written, the ratio to
(bytes written ÷ link bandwidth) — the target is ≤ 3.1: the stash read
before the write and the read-back after it move every byte twice more
(docs/verified-mode.md "Stash and rollback") — and the peak RSS of mtkflash
(target ≤ 64 MiB).  Then the same package is flashed again onto the phone
that now holds it: every chunk is found in place by the stash read and
nothing is written, so the target is ≤ 1.1 × (bytes in the package ÷ link
bandwidth): one read pass.  The sample package puts about 13 MB on the device: at usb2-hs
that is a third of a second, so per-partition costs weigh more than in a
factory package; the figure is printed as measured.  Prints figures; never
fails on them.

Each figure is the best of --runs runs (a fresh emulated phone each), since
the machine may be shared.

usage: bench_flash.py [--mtkflash PATH] [--mtkemu PATH] [--speed MODEL] [--runs N]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_io import GNU_TIME, link_bandwidths, timed  # noqa: E402

SMALL = "secro"  # 128 KiB: what a flash costs besides its data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mtkflash", default=os.environ.get("MTKFLASH", os.path.join(ROOT, "build/cli/mtkflash")))
    ap.add_argument("--mtkemu", default=os.environ.get("MTKEMU", os.path.join(ROOT, "build/emu/mtkemu")))
    ap.add_argument("--speed", default="usb2-hs", help="link model (mtkemu --help lists them)")
    ap.add_argument("--runs", type=int, default=3, help="best of this many runs (default 3)")
    a = ap.parse_args()
    bw = link_bandwidths(a.mtkemu).get(a.speed)
    if not bw:
        sys.exit("link model '%s' has no bandwidth" % a.speed)
    with tempfile.TemporaryDirectory(prefix="mtkflash-bench-") as tmp:
        for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
            os.environ[var] = os.path.join(tmp, var.lower())
        pkg = os.path.join(tmp, "fw")
        subprocess.run([a.mtkemu, "mkfirmware", "--chip", "mt6737", "--out", pkg], check=True,
                       stdout=subprocess.DEVNULL)
        keys = os.path.join(os.environ["XDG_CONFIG_HOME"], "mtkflash", "trusted-keys")
        os.makedirs(keys)
        shutil.copy(os.path.join(pkg, "mtkemu-demo.pub"), keys)
        scatter = os.path.join(pkg, "MT6737_Android_scatter.txt")
        runs = []
        for i in range(a.runs):  # best of: the machine may be shared
            state = os.path.join(tmp, "state%d" % i)
            subprocess.run([a.mtkemu, "provision", "--chip", "mt6737", "--state", state], check=True,
                           stdout=subprocess.DEVNULL)
            port = "emu:mt6737,state=%s,mode=preloader,speed=%s" % (state, a.speed)
            base = [a.mtkflash, "-q", "--port", port, "flash", scatter, "--yes"]
            if i == 0:
                plan = json.loads(subprocess.run([a.mtkflash, "-q", "--json", "--port", port, "plan", scatter],
                                                 capture_output=True, text=True, check=True).stdout)["plan"]
            setup = timed(base + ["--only", SMALL])[0]
            runs.append((setup, timed(base), timed(base)[0]))
        data = plan["total_bytes"]
        small = [e["bytes"] for e in plan["entries"] if e["partition"] == SMALL][0]
        setup = min(r[0] for r in runs)
        wall, cpu, rss, exact = min((r[1] for r in runs), key=lambda t: t[0])
        rewall = min(r[2] for r in runs)
    secs = wall - setup
    link = (data - small) / bw
    again = rewall - setup
    print("verified flash of the sample MT6737 package over %s (%.0f MB/s)" % (a.speed, bw / 1e6))
    print("  bytes written                %8d" % data)
    print("  seconds (data transfer)      %8.2f   (whole command %.2f, CPU %.2f)" % (secs, wall, cpu))
    print("  bytes written / bandwidth    %8.2f s" % link)
    print("  safe-mode flash ratio        %8.2f   (stash + write + read-back; target <= 3.1)" % (secs / link))
    print("  re-flash seconds             %8.2f   (bytes in the package / bandwidth %.2f s)" % (again, data / bw))
    print("  re-flash ratio               %8.2f   (one read pass; target <= 1.1)" % (again / (data / bw)))
    print("  peak RSS                     %s%7.1f MiB (target <= 64)" % ("" if exact else "<=", rss / 1024))
    if not GNU_TIME:
        print("<=: no /usr/bin/time, so the peak RSS includes this script's own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
