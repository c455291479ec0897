#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Flashes of the sample package (mtkemu mkfirmware, download scene) of
MT6737 (legacy DA, the default) or MT6765 (xflash DA, --chip mt6765) onto
the same emulated chip over a modelled link (default usb2-hs, see
bench/README.md), three ways:

1. the verified flash (issue 9): every byte written and read back, no read
   pass before (`--mode quick --expendable all`): target <= 2.1 x (bytes
   written / link bandwidth);
2. the safe-mode flash (issue 10, the default): the stash read before the
   write, the write, the read-back: target <= 3.1 x;
3. the same package flashed again in safe mode onto the phone that now holds
   it: every chunk is found in place by the stash read and nothing is
   written: target <= 1.1 x (bytes in the package / link bandwidth).

Each time is the data transfer: the whole command minus a flash of one small
partition in the same mode, measured in the same run (connecting, the DA,
fingerprint, package check and plan cost the same in both).  Also the peak
RSS of mtkflash (target <= 64 MiB).  The sample package puts about 13 MB on
the device, a third of a second at usb2-hs, so per-partition costs weigh more
than in a factory package; the figures are printed as measured, never judged.

Each figure is the best of --runs runs (a fresh emulated phone each), since
the machine may be shared.

usage: bench_flash.py [--mtkflash PATH] [--mtkemu PATH] [--speed MODEL] [--runs N]
                      [--chip mt6737|mt6765]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_io import GNU_TIME, link_bandwidths, sample_package, timed, tool_args  # noqa: E402

# A small partition of each sample package (128 KiB, 64 KiB): what a flash
# costs besides its data.
SMALL = {"mt6737": "secro", "mt6765": "dtbo"}


def one_run(a, tmp, scatter, i):
    """The plan and {kind: timed(...)} for one fresh emulated phone per mode."""
    out = {}
    plan = None
    for kind, mode in (("verified", ["--mode", "quick", "--expendable", "all"]), ("safe", [])):
        state = os.path.join(tmp, "state%d-%s" % (i, kind))
        subprocess.run([a.mtkemu, "provision", "--chip", a.chip, "--state", state], check=True,
                       stdout=subprocess.DEVNULL)
        port = "emu:%s,state=%s,mode=preloader,speed=%s" % (a.chip, state, a.speed)
        base = [a.mtkflash, "-q", "--port", port, "flash", scatter, "--yes"] + mode
        if plan is None:
            plan = json.loads(subprocess.run([a.mtkflash, "-q", "--json", "--port", port, "plan", scatter],
                                             capture_output=True, text=True, check=True).stdout)["plan"]
        out[kind + "-setup"] = timed(base + ["--only", SMALL[a.chip]])
        out[kind] = timed(base)
        if kind == "safe":
            out["again"] = timed(base)
    return plan, out


def main():
    ap = argparse.ArgumentParser()
    tool_args(ap)
    ap.add_argument("--speed", default="usb2-hs", help="link model (mtkemu --help lists them)")
    ap.add_argument("--runs", type=int, default=3, help="best of this many runs (default 3)")
    ap.add_argument("--chip", default="mt6737", choices=sorted(SMALL),
                    help="mt6737 (legacy DA, default) or mt6765 (xflash DA)")
    a = ap.parse_args()
    bw = link_bandwidths(a.mtkemu).get(a.speed)
    if not bw:
        sys.exit("link model '%s' has no bandwidth" % a.speed)
    with tempfile.TemporaryDirectory(prefix="mtkflash-bench-") as tmp:
        scatter = sample_package(a.mtkemu, a.chip, tmp)
        runs = []
        for i in range(a.runs):  # best of: the machine may be shared
            runs.append(one_run(a, tmp, scatter, i))
        plan = runs[0][0]
        data = plan["total_bytes"]
        small = [e["bytes"] for e in plan["entries"] if e["partition"] == SMALL[a.chip]][0]

        def best(key):
            return min((r[1][key] for r in runs), key=lambda t: t[0])

    link = (data - small) / bw
    print("flashes of the sample %s package over %s (%.0f MB/s)" % (a.chip.upper(), a.speed, bw / 1e6))
    print("  bytes written                %8d   (/ bandwidth: %.2f s)" % (data, link))
    rss = 0
    for key, what, target in (("verified", "verified flash (write + read-back)", 2.1),
                              ("safe", "safe-mode flash (stash + write + read-back)", 3.1)):
        (wall, cpu, peak, exact), (setup, _, _, _) = best(key), best(key + "-setup")
        rss = max(rss, peak)
        secs = wall - setup
        print("  %-42s %5.2f s (whole command %.2f, CPU %.2f)" % (what, secs, wall, cpu))
        print("    ratio                        %8.2f   (target <= %.1f)" % (secs / link, target))
    again = best("again")[0] - best("safe-setup")[0]
    print("  %-42s %5.2f s (bytes in the package / bandwidth %.2f s)" % ("re-flash, safe mode", again, data / bw))
    print("    ratio                        %8.2f   (one read pass; target <= 1.1)" % (again / (data / bw)))
    print("  peak RSS                     %s%7.1f MiB (target <= 64)" % ("" if exact else "<=", rss / 1024))
    if not GNU_TIME:
        print("<=: no /usr/bin/time, so the peak RSS includes this script's own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
