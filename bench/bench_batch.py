#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""16 emulated phones in one `mtkflash batch` beside one phone alone
(issue 13's benchmark), every figure printed, none judged.

Each measurement is one `mtkflash --json batch --package S --ports ...
--count N --yes` against one `mtkemu bench --count N` of freshly provisioned
phones (a phone that already holds the package would have nothing written),
under a link model:

- usb2-fs (1 MB/s per phone): the aggregate throughput of N phones over the
  throughput of one phone alone, measured in the same run (target >= 15 for
  16 phones);
- usb2-hs (40 MB/s per phone): mtkflash's CPU (user + sys, wait4 rusage) per
  GiB written for the batch over the same figure for one phone (target <=
  1.2), and the batch's aggregate as a share of the aggregate with no link
  model (what the machine's cores allow, measured in the same run);
- the peak RSS of mtkflash (GNU time), in total and per phone (target <= 64
  MiB per phone).

Throughput is bytes written (every phone's `bytes_written`) over the wall
time from the batch's `start` event to its last `result`: connecting, the
DA, the stash read and the read-back are in it, as they are in a line's
day.  CPU per GiB is per GiB written: in safe mode each written byte is also
read before (the stash) and after (the read-back).

usage: bench_batch.py [--mtkflash PATH] [--mtkemu PATH] [--count 16] [--chip mt6737]
                      [--mode safe|quick] [--links usb2-fs,usb2-hs]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_io import GNU_TIME, link_bandwidths, sample_package, tool_args  # noqa: E402

GIB = float(1 << 30)


class Emulators:
    """One `mtkemu bench` serving `count` freshly provisioned phones."""

    def __init__(self, a, folder, count, speed):
        cmd = [a.mtkemu, "bench", "--count", str(count), "--chip", a.chip, "--state", folder]
        if speed != "none":
            cmd += ["--speed", speed]
        self.err = open(folder + ".stderr", "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.err, text=True)
        self.links = []
        while len(self.links) < count:
            line = self.proc.stdout.readline()
            if not line.startswith("ready "):
                self.stop()
                sys.exit("mtkemu bench: %r (see %s)" % (line, self.err.name))
            self.links.append(line.split()[1])

    def stop(self):
        """The emulator's user + sys CPU seconds."""
        self.proc.terminate()
        _, _, ru = os.wait4(self.proc.pid, 0)
        self.proc.returncode = 0
        self.err.close()
        return ru.ru_utime + ru.ru_stime


def run_batch(a, tmp, count, speed, tag):
    """One batch of `count` phones; a dict of its figures."""
    emus = Emulators(a, os.path.join(tmp, tag), count, speed)
    rss_file = os.path.join(tmp, tag + ".rss")
    wrap = [GNU_TIME, "-f", "%M", "-o", rss_file, "--"] if GNU_TIME else []
    cmd = wrap + [a.mtkflash, "--json", "batch", "--package", a.scatter, "--ports", ",".join(emus.links),
                  "--count", str(count), "--yes", "--mode", a.mode, "--audit-dir", os.path.join(tmp, tag + "-logs")]
    try:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        start = end = None
        results, first = [], {}
        for line in p.stdout:
            e = json.loads(line)
            now = time.monotonic()
            first.setdefault(e["port"], now)
            if e.get("event") == "start":
                start = now
            elif e.get("event") == "result":
                end = now
                results.append(e)
                e["took"] = now - first[e["port"]]
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        emu_cpu = emus.stop()
    bad = [r for r in results if r["result"] != "verified"]
    if p.returncode != 0 or bad or len(results) != count:
        sys.exit("%s: batch exit %d, %d results, not verified: %s\n%s"
                 % (tag, p.returncode, len(results), [r.get("message") for r in bad], err[-1000:]))
    rss = open(rss_file).read().split() if GNU_TIME else []
    written = sum(r["bytes_written"] for r in results)
    wall = end - start
    return {"bytes": written, "wall": wall, "rate": written / wall, "cpu": ru.ru_utime + ru.ru_stime,
            "cpu_per_gib": (ru.ru_utime + ru.ru_stime) / (written / GIB), "emu_per_gib": emu_cpu / (written / GIB),
            "rss_kib": int(rss[-1]) if rss else ru.ru_maxrss, "rss_exact": bool(rss), "phones": count,
            "took": sorted(r["took"] for r in results),
            "first": sorted(t - start for port, t in first.items() if port != "all")}


def row(tag, speed, r):
    print("  %-8s %-8s %6d %9.1f %8.2f %9.2f %9.2f %9.2f %10.1f %9.1f" %
          (tag, speed, r["phones"], r["bytes"] / 1e6, r["wall"], r["rate"] / 1e6, r["cpu_per_gib"],
           r["emu_per_gib"], r["rss_kib"] / 1024.0, r["rss_kib"] / 1024.0 / r["phones"]))


def main():
    ap = argparse.ArgumentParser()
    tool_args(ap)
    ap.add_argument("--count", type=int, default=16, help="phones in the batch (default 16)")
    ap.add_argument("--chip", default="mt6737", help="chip of every phone and of the sample package")
    ap.add_argument("--mode", default="safe", choices=("safe", "quick"), help="flash mode (default safe)")
    ap.add_argument("--links", default="usb2-fs,usb2-hs", help="link models to measure (none is added for usb2-hs)")
    a = ap.parse_args()
    bws = link_bandwidths(a.mtkemu)
    a.load = os.getloadavg()[0]  # the machine may be shared: printed beside the figures
    links = a.links.split(",")
    with tempfile.TemporaryDirectory(prefix="mtkflash-bench-batch-") as tmp:
        a.scatter = sample_package(a.mtkemu, a.chip, tmp)
        if "usb2-hs" in links and "none" not in links:
            links.append("none")
        figs = {}
        for speed in links:
            for n in (1, a.count):
                figs[(speed, n)] = run_batch(a, tmp, n, speed, "%s-%d" % (speed, n))
    print("mtkflash batch of %d %s phones (sample package, %s mode) beside one phone alone" %
          (a.count, a.chip.upper(), a.mode))
    print("load average before and after: %s" % " -> ".join("%.1f" % x for x in (a.load, os.getloadavg()[0])))
    print("  %-8s %-8s %6s %9s %8s %9s %9s %9s %10s %9s" %
          ("run", "link", "phones", "MB", "wall s", "MB/s", "CPU s/GiB", "emu s/GiB", "RSS MiB", "RSS/phone"))
    for (speed, n), r in figs.items():
        row("single" if n == 1 else "batch", speed, r)
    print("  per phone, first event to result (s): min, median, max; its first event after the start (s): max")
    for (speed, n), r in figs.items():
        took = r["took"]
        print("  %-8s %-8s %6.2f %6.2f %6.2f   %6.2f" % ("single" if n == 1 else "batch", speed, took[0],
                                                       took[len(took) // 2], took[-1], r["first"][-1]))
    report(a, figs, bws)
    if not GNU_TIME:
        print("no /usr/bin/time: the RSS figures include this script's own peak (<=)")
    return 0


def report(a, figs, bws):
    n = a.count
    if ("usb2-fs", n) in figs:
        one, many = figs[("usb2-fs", 1)], figs[("usb2-fs", n)]
        print("usb2-fs (%.0f MB/s per phone):" % (bws["usb2-fs"] / 1e6))
        print("  aggregate / one phone alone       %6.2f x  (target >= %d for %d phones)"
              % (many["rate"] / one["rate"], 15 if n == 16 else n - 1, n))
    if ("usb2-hs", n) in figs:
        one, many = figs[("usb2-hs", 1)], figs[("usb2-hs", n)]
        free = figs[("none", n)]
        print("usb2-hs (%.0f MB/s per phone):" % (bws["usb2-hs"] / 1e6))
        print("  CPU per GiB, batch / one phone    %6.2f x  (%.2f / %.2f s/GiB; target <= 1.2)"
              % (many["cpu_per_gib"] / one["cpu_per_gib"], many["cpu_per_gib"], one["cpu_per_gib"]))
        print("  aggregate / one phone alone       %6.2f x  (%.1f / %.1f MB/s)"
              % (many["rate"] / one["rate"], many["rate"] / 1e6, one["rate"] / 1e6))
        print("  aggregate / the cores' (no link)  %6.1f %%  (%.1f of %.1f MB/s, %d phones with no link model)"
              % (100.0 * many["rate"] / free["rate"], many["rate"] / 1e6, free["rate"] / 1e6, n))
        cores = os.cpu_count() or 1
        ceiling = cores * GIB / (free["cpu_per_gib"] + free["emu_per_gib"])
        print("  aggregate / the cores' CPU bound  %6.1f %%  (%d cores / (mtkflash + mtkemu CPU per GiB with no link)"
              " = %.1f MB/s)" % (100.0 * many["rate"] / ceiling, cores, ceiling / 1e6))
        print("  link-bound ideal / the cores'     %6.1f %%  (%d x %.0f MB/s)"
              % (100.0 * n * bws["usb2-hs"] / free["rate"], n, bws["usb2-hs"] / 1e6))
    batches = [r for (_, k), r in figs.items() if k == n]
    peak = max(r["rss_kib"] for r in batches)
    alone = max(r["rss_kib"] for (_, k), r in figs.items() if k == 1)
    print("peak RSS of mtkflash: batch of %d %.1f MiB, %.1f MiB per phone (target <= 64); one phone alone %.1f MiB"
          % (n, peak / 1024.0, peak / 1024.0 / n, alone / 1024.0))


if __name__ == "__main__":
    sys.exit(main())
