#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Partition I/O throughput through the DA (see bench/README.md).

Writes and reads SIZE (default 256 MiB) of the `system` partition of an
emulated MT6580 (legacy DA) or, with --chip mt6765, MT6765 (xflash DA), once
per link model, and prints MB/s, the ratio to the two
baselines measured in the same run (the link model's bandwidth, and the
same path with no link model), CPU seconds per GiB and peak RSS of the
mtkflash process.  Prints figures; never fails on them.

usage: bench_io.py [--mtkflash PATH] [--mtkemu PATH] [--da FILE] [--size MIB]
                   [--fs-size MIB] [--links none,usb2-hs,usb2-fs] [--fixtures DIR]
                   [--chip mt6580|mt6765] [--device-checks none|usb|storage|all]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# chip -> (scatter fixture, offset of `system` in it (for the read-back), provision options)
CHIPS = {
    "mt6580": ("scatter/MT6580__Dewil-King_Sectter-File__MT6580_Android_scatter.txt", 0xA800000, []),
    "mt6765": ("scatter/MT6765__Dewil-King_Sectter-File__MT6765_Android_scatter.txt", 0x53000000,
               ["--user-size", "64G"]),
}
CHUNK = 4 << 20
TINY = 512  # one sector: what a run costs besides its data


# A child's ru_maxrss counts its parent's peak too: the kernel records the
# old address space's high-water mark at exec, and a spawned child's old
# address space is this Python process.  GNU time forks from its own small
# image and reports the command's peak alone, so it is used when installed.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_rusage(cmd, env=None):
    """Run cmd (exits on failure); (wall seconds, its rusage from wait4)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("%s failed:\n%s" % (" ".join(cmd), err))
    return wall, ru


def timed(cmd):
    """Run cmd; return (wall seconds, user+sys CPU seconds, peak RSS KiB, whether the RSS is exact)."""
    with tempfile.NamedTemporaryFile("r", prefix="bench-rss-") as rss_out:
        wrap = [GNU_TIME, "-f", "%M", "-o", rss_out.name, "--"] if GNU_TIME else []
        wall, ru = run_rusage(wrap + cmd)
        rss = rss_out.read().split()
    if rss:
        return wall, ru.ru_utime + ru.ru_stime, int(rss[-1]), True
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, False


def link_bandwidths(mtkemu):
    """Bytes/s of each link model, as `mtkemu --help` states it: the baseline
    comes from the emulator being measured, not from a copy here."""
    out = subprocess.run([mtkemu, "--help"], capture_output=True, text=True).stdout
    bw = {"none": None}
    for name, mbps in re.findall(r"(usb2-[a-z]+) \((\d+(?:\.\d+)?) MB/s", out):
        bw[name] = float(mbps) * 1e6
    return bw


def tool_args(ap):
    """--mtkflash and --mtkemu: the programs measured (default: build/)."""
    ap.add_argument("--mtkflash", default=os.environ.get("MTKFLASH", os.path.join(ROOT, "build/cli/mtkflash")))
    ap.add_argument("--mtkemu", default=os.environ.get("MTKEMU", os.path.join(ROOT, "build/emu/mtkemu")))


def sample_package(mtkemu, chip, tmp):
    """mtkflash's XDG folders in tmp, the chip's sample package (mtkemu
    mkfirmware) in tmp/fw and its demo key trusted; the scatter's path."""
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        os.environ[var] = os.path.join(tmp, var.lower())
    pkg = os.path.join(tmp, "fw")
    subprocess.run([mtkemu, "mkfirmware", "--chip", chip, "--out", pkg], check=True, stdout=subprocess.DEVNULL)
    keys = os.path.join(os.environ["XDG_CONFIG_HOME"], "mtkflash", "trusted-keys")
    os.makedirs(keys)
    shutil.copy(os.path.join(pkg, "mtkemu-demo.pub"), keys)
    return os.path.join(pkg, "%s_Android_scatter.txt" % chip.upper())


def start_emu(mtkemu, chip, state, link, speed, mode="preloader"):
    cmd = [mtkemu, "--chip", chip, "--state", state, "--link", link, "--mode", mode]
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
            n = min(left, CHUNK)
            f.write(os.urandom(n))
            left -= n


def same_prefix(a, b, size):
    """Whether the first `size` bytes of a and b are equal (chunked: the bench's own RSS stays small)."""
    with open(a, "rb") as x, open(b, "rb") as y:
        while size:
            n = min(size, CHUNK)
            if x.read(n) != y.read(n):
                return False
            size -= n
    return True


def run_link(a, da, state, tmp, speed, size):
    """Writes and reads `size` bytes over one link model: ([(op, MB/s, CPU s, RSS KiB, exact)], read-back ok)."""
    img, tiny, back, tty = (os.path.join(tmp, n) for n in ("img.bin", "tiny.bin", "back.bin", "tty"))
    emu = start_emu(a.mtkemu, a.chip, state, tty, speed) if a.transport == "pty" else None
    port = "serial:" + tty
    if not emu:
        port = "emu:%s,state=%s,mode=preloader" % (a.chip, state) + ("" if speed == "none" else ",speed=" + speed)
    system_offset = CHIPS[a.chip][1]

    def write(src):
        return base + ["write", "system", src]

    def read(n):
        return base + ["read", "--force", "--region", "user", "--offset", hex(system_offset), "--length", str(n), back]

    rows = []
    try:
        base = [a.mtkflash, "-q", "--da", da, "--port", port, "--device-checks", a.device_checks]
        for op, small, full in (("write", write(tiny), write(img)), ("read", read(TINY), read(size))):
            # The same command moving TINY bytes: connect, DA upload, partition
            # lookup and one packet, so the difference is the data transfer.
            setup = timed(small)[0]
            wall, cpu, rss, exact = timed(full)
            rows.append((op, (size - TINY) / max(wall - setup, 1e-6), cpu, rss, exact))
    finally:
        if emu:
            emu.terminate()
            emu.wait()
    ok = same_prefix(img, back, size)
    os.unlink(back)
    return rows, ok


def main():
    ap = argparse.ArgumentParser()
    tool_args(ap)
    ap.add_argument("--fixtures", default=os.environ.get("MTK_FIXTURES", os.path.join(ROOT, "../shared/fixtures")))
    ap.add_argument("--size", type=int, default=256, help="MiB to write and read (none, usb2-hs)")
    ap.add_argument("--fs-size", type=int, default=4, help="MiB to write and read over usb2-fs (1 MB/s)")
    ap.add_argument("--links", default="none,usb2-hs,usb2-fs",
                    help="comma-separated link models; 'none' first gives the no-model baseline")
    ap.add_argument("--transport", choices=["emu", "pty"], default="emu",
                    help="emu: the in-process emulator (a socketpair; CPU and RSS then include the "
                         "emulator thread); pty: mtkemu as its own process on a pty")
    ap.add_argument("--da", help="DA file (default: the build's synthetic one next to mtkflash)")
    ap.add_argument("--chip", choices=sorted(CHIPS), default="mt6580",
                    help="mt6580: the legacy DA; mt6765: the xflash DA")
    ap.add_argument("--device-checks", choices=["none", "usb", "storage", "all"], default="none",
                    help="the xflash DA's own checks during writes (verified writes only; `write` "
                         "without --verify sends none)")
    a = ap.parse_args()
    da = a.da or os.path.join(os.path.dirname(os.path.abspath(a.mtkflash)), "..", "data",
                              "MTK_AllInOne_DA_synthetic.bin")
    bandwidth = link_bandwidths(a.mtkemu)
    links = a.links.split(",")
    for speed in links:
        if speed not in bandwidth:
            sys.exit("unknown link model '%s' (mtkemu --help lists: %s)" % (speed, ", ".join(bandwidth)))
    print("%-8s %-5s %5s %9s %8s %8s %10s %9s" % ("link", "op", "MiB", "MB/s", "of link", "of none",
                                                   "CPU s/GiB", "peak RSS"))
    nolink = {}
    all_ok = True
    with tempfile.TemporaryDirectory(prefix="mtkflash-bench-") as tmp:
        state = os.path.join(tmp, "state")
        scatter, _, extra = CHIPS[a.chip]
        subprocess.run([a.mtkemu, "provision", "--chip", a.chip, "--state", state,
                        "--scatter", os.path.join(a.fixtures, scatter)] + extra, check=True,
                       stdout=subprocess.DEVNULL)
        mib_max = max(a.fs_size if s == "usb2-fs" else a.size for s in links)
        make_image(os.path.join(tmp, "img.bin"), mib_max << 20)
        make_image(os.path.join(tmp, "tiny.bin"), TINY)
        for speed in links:
            mib = a.fs_size if speed == "usb2-fs" else a.size
            if mib != mib_max:
                os.truncate(os.path.join(tmp, "img.bin"), mib << 20)
                mib_max = mib
            rows, ok = run_link(a, da, state, tmp, speed, mib << 20)
            all_ok &= ok
            for op, rate, cpu, rss, exact in rows:
                bw = bandwidth[speed]
                if speed == "none":
                    nolink[op] = rate
                of_link = "%7.1f%%" % (100 * rate / bw) if bw else "      -"
                of_none = "%7.2f%%" % (100 * rate / nolink[op]) if speed != "none" and op in nolink else "      -"
                print("%-8s %-5s %5d %9.1f %8s %8s %10.2f %s%5.1f MiB" % (
                    speed, op, mib, rate / 1e6, of_link, of_none, cpu * (1 << 30) / (mib << 20),
                    "" if exact else "<=", rss / 1024))
                sys.stdout.flush()
    print("read-back %s the written image" % ("matches" if all_ok else "DIFFERS FROM"))
    if not GNU_TIME:
        print("<=: no /usr/bin/time, so the peak RSS includes this script's own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
