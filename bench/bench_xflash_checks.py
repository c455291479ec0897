#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What the xflash DA's own checks (SET_CHECKSUM_LEVEL, `--device-checks`,
docs/xflash.md) cost and catch, on an emulated MT6765 (in-process):

1. cost: `write --verify` of SIZE MiB to `boot` at each level (none, usb,
   storage, all) over each link model (default usb2-hs and none): the write
   pass and the host read-back, best of --runs;
2. gain: the same write (link model none) with a storage that corrupts 16
   bytes of one chunk, once (`corrupt-write-once`) or on every write
   (`corrupt-write`): the exit status, which check saw it first (the DA's
   during the write, or the host read-back), the DA's check failures and the
   rewrites.

Prints two tables; never judges the figures (a shared machine's times vary).

usage: bench_xflash_checks.py [--mtkflash PATH] [--mtkemu PATH] [--size MIB]
                              [--links usb2-hs,none] [--runs N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHIP = "mt6765"
LEVELS = ("none", "usb", "storage", "all")
FAULTS = ("corrupt-write-once", "corrupt-write")


def write_verify(a, state, img, level, speed=None, fault=None):
    """(exit status, the --json 'verify' object, stderr) of one verified write."""
    port = "emu:%s,state=%s" % (CHIP, state) + (",speed=" + speed if speed else "") + \
        (",faults=" + fault if fault else "")
    p = subprocess.run([a.mtkflash, "--json", "--port", port, "--device-checks", level, "write", "--verify",
                        "boot", img], capture_output=True, text=True)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        doc = {}
    return p.returncode, doc.get("verify") or {}, p.stderr


def boot_start(a, state):
    p = subprocess.run([a.mtkflash, "-q", "--json", "--port", "emu:%s,state=%s" % (CHIP, state), "printgpt"],
                       capture_output=True, text=True, check=True)
    return [x for x in json.loads(p.stdout)["partitions"] if x["name"] == "boot"][0]["start"]


def cost(a, state, img, speed):
    """level -> (write seconds, read-back seconds), each the best of the runs."""
    out = {}
    for level in LEVELS:
        best = None
        for _ in range(a.runs):
            rc, v, err = write_verify(a, state, img, level, speed)
            if rc != 0:
                sys.exit("write --verify at %s over %s failed (%d): %s" % (level, speed, rc, err[-300:]))
            t = (v["write_seconds"], v["verify_seconds"])
            best = t if best is None or sum(t) < sum(best) else best
        out[level] = best
    return out


def caught_by(rc, v, err):
    """Which check saw the corruption first, and how the write ended."""
    if v.get("device_check_failures"):
        who = "DA, during the write"
    elif "read-back mismatch" in err or "verify" in err.lower():
        who = "host read-back"
    else:
        who = "nobody" if rc == 0 and not v.get("rewrites") else "?"
    return who + ("" if rc == 0 else "; fails, exit %d" % rc)


def gain(a, state, img, start):
    rows = []
    for fault in FAULTS:
        spec = "%s=user:0x%x:16" % (fault, start + (1 << 20))
        for level in LEVELS:
            rc, v, err = write_verify(a, state, img, level, None, spec)
            rows.append((fault, level, caught_by(rc, v, err), v.get("device_check_failures", "-"),
                         v.get("rewrites", "-"), "yes" if v.get("verified") else "no", v.get("write_seconds", 0),
                         v.get("verify_seconds", 0)))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mtkflash", default=os.environ.get("MTKFLASH", os.path.join(ROOT, "build/cli/mtkflash")))
    ap.add_argument("--mtkemu", default=os.environ.get("MTKEMU", os.path.join(ROOT, "build/emu/mtkemu")))
    ap.add_argument("--size", type=int, default=30, help="MiB written to boot (at most 32)")
    ap.add_argument("--links", default="usb2-hs,none", help="link models for the cost table")
    ap.add_argument("--runs", type=int, default=2, help="best of this many runs (default 2)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mtkflash-bench-checks-") as tmp:
        for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
            os.environ[var] = os.path.join(tmp, var.lower())
        state = os.path.join(tmp, "state")
        subprocess.run([a.mtkemu, "provision", "--chip", CHIP, "--state", state], check=True,
                       stdout=subprocess.DEVNULL)
        img = os.path.join(tmp, "boot.img")
        with open(img, "wb") as f:
            f.write(os.urandom(a.size << 20))
        links = a.links.split(",")
        costs = {speed: cost(a, state, img, speed) for speed in links}
        rows = gain(a, state, img, boot_start(a, state))
    print("cost: write --verify of %d MiB to boot, %s, best of %d (write pass / host read-back, s)" %
          (a.size, CHIP.upper(), a.runs))
    print("| level | " + " | ".join("%s write | %s read-back" % (s, s) for s in links) + " |")
    print("|---|" + "---|---|" * len(links))
    for level in LEVELS:
        print("| %s | " % level + " | ".join("%.2f | %.2f" % costs[s][level] for s in links) + " |")
    print()
    print("gain: 16 bytes of one chunk corrupted by the storage (link none)")
    print("| fault | level | caught by | DA check failures | rewrites | verified | write s | read-back s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s | %s | %s | %.2f | %.2f |" % r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
