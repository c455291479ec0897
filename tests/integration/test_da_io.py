#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Partition I/O through the legacy DA against the emulator: printgpt lists
the provisioned scatter's partitions, writes read back byte for byte (user
area and boot1), erase, readback matches the emulator's storage, and the
errors: no DA entry for the chip, image too large, cable pulled mid-write."""
import json
import os
import struct
import subprocess
import sys
import tempfile

MTKFLASH = os.environ["MTKFLASH"]
MTKEMU = os.environ["MTKEMU"]
SCATTER = os.path.join(os.environ["MTK_FIXTURES"], "scatter")

# chip, fixture, provision extras, emulator mode
CHIPS = [
    ("MT6572", "MT6572__Dewil-King_Sectter-File__MT6572_Android_scatter.txt", []),
    ("MT6580", "MT6580__Dewil-King_Sectter-File__MT6580_Android_scatter.txt", []),
    ("MT6735", "MT6735__Dewil-King_Sectter-File__MT6735_Android_scatter.txt", []),
    ("MT6737", "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt", ["--user-size", "16G"]),
    ("MT6753", "MT6753__Dewil-King_Sectter-File__MT6753_Android_scatter.txt", ["--user-size", "16G"]),
]
AREA_FILES = {"boot1": "boot1.bin", "boot2": "boot2.bin", "rpmb": "rpmb.bin", "user": "user.bin"}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, expect=0, timeout=300):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if expect is not None and p.returncode != expect:
        raise AssertionError("%s: exit %d (wanted %s)\nstdout: %s\nstderr: %s"
                             % (" ".join(args), p.returncode, expect, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def flash(port, *args, expect=0, json_out=False):
    cmd = [MTKFLASH, "-q", "--port", port] + (["--json"] if json_out else []) + list(args)
    p = run(cmd, expect=expect)
    return json.loads(p.stdout) if json_out else p


def scatter_names(path):
    names = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("partition_name:"):
                names.append(line.split(":", 1)[1].strip())
    return names


def state_bytes(state, region, off, length):
    with open(os.path.join(state, AREA_FILES[region]), "rb") as f:
        f.seek(off)
        return f.read(length)


def files_equal_range(path, state, region, off, size):
    chunk = 4 << 20
    with open(path, "rb") as a, open(os.path.join(state, AREA_FILES[region]), "rb") as b:
        if os.fstat(a.fileno()).st_size != size:
            return False
        b.seek(off)
        done = 0
        while done < size:
            n = min(chunk, size - done)
            if a.read(n) != b.read(n):
                return False
            done += n
    return True


def provision(tmp, chip, fixture, extra):
    state = os.path.join(tmp, "state-" + chip)
    run([MTKEMU, "provision", "--chip", chip, "--state", state,
         "--scatter", os.path.join(SCATTER, fixture)] + extra)
    return state


def pick(parts, *names):
    for want in names:
        for p in parts:
            if p["name"].lower() == want.lower():
                return p
    raise AssertionError("none of %s in %s" % (names, [p["name"] for p in parts]))


def io_roundtrip(tmp, chip, state, port, parts):
    target = pick(parts, "boot", "BOOTIMG", "recovery")
    data = os.urandom(3 * 1024 * 1024 + 123)
    img = os.path.join(tmp, chip + "-img.bin")
    with open(img, "wb") as f:
        f.write(data)
    flash(port, "write", target["name"], img)
    back = os.path.join(tmp, chip + "-back.bin")
    flash(port, "read", target["name"], back)
    with open(back, "rb") as f:
        got = f.read()
    check(len(got) == target["size"], "%s: read size %d != partition %d" % (chip, len(got), target["size"]))
    check(got[:len(data)] == data, "%s: %s read-back differs from what was written" % (chip, target["name"]))
    check(got[len(data):len(data) + 389] == bytes(389), "%s: write padding is not zero" % chip)
    check(state_bytes(state, "user", target["start"], len(data)) == data,
          "%s: emulator storage does not hold the written image" % chip)

    # boot1: the preloader area, guarded by a flag.
    pre = os.urandom(256 * 1024)
    with open(img, "wb") as f:
        f.write(pre)
    p = flash(port, "write", "preloader", img, expect=6)
    check("--allow-bootloader" in p.stderr, "%s: preloader refusal does not name the flag" % chip)
    flash(port, "write", "preloader", img, "--allow-bootloader")
    r = flash(port, "read", "--region", "boot1", "--offset", "0", "--length", "256K", back, json_out=True)
    check(r["ok"] and r["partition"]["size"] == 256 * 1024, "%s: read --region json" % chip)
    with open(back, "rb") as f:
        check(f.read() == pre, "%s: boot1 read-back differs" % chip)
    check(state_bytes(state, "boot1", 0, len(pre)) == pre, "%s: boot1 storage differs" % chip)

    # erase: the device no longer holds the data, and a read shows what it holds.
    flash(port, "erase", target["name"])
    flash(port, "read", target["name"], back)
    with open(back, "rb") as f:
        erased = f.read()
    check(erased[:len(data)] != data, "%s: erase left the data in place" % chip)
    check(erased == state_bytes(state, "user", target["start"], target["size"]),
          "%s: read after erase differs from the storage" % chip)


def test_chip(tmp, chip, fixture, extra):
    state = provision(tmp, chip, fixture, extra)
    # mode=preloader: the test overwrites the preloader, which would leave
    # the next session in BROM mode, needing the package's DRAM settings.
    port = "emu:%s,state=%s,mode=preloader" % (chip.lower(), state)
    doc = flash(port, "printgpt", json_out=True)
    names = [p["name"].lower() for p in doc["partitions"]]
    want = [n.lower() for n in scatter_names(os.path.join(SCATTER, fixture))]
    check(sorted(names) == sorted(want), "%s: printgpt lists %s, the scatter %s" % (chip, names, want))
    check(doc["storage"]["type"] == "emmc", "%s: storage type %s" % (chip, doc["storage"]["type"]))
    io_roundtrip(tmp, chip, state, port, doc["partitions"])
    return state, port


def test_readback(tmp, state, port):
    out = os.path.join(tmp, "backup")
    os.mkdir(out)
    with open(os.path.join(out, "stray"), "w") as f:
        f.write("x")
    p = flash(port, "readback", out, expect=6)
    check("not empty" in p.stderr, "readback into a non-empty dir: %s" % p.stderr)
    os.unlink(os.path.join(out, "stray"))
    doc = flash(port, "readback", out, json_out=True)
    check(os.path.isfile(doc["scatter"]), "readback wrote no scatter file")
    scat = scatter_names(doc["scatter"])
    check(scat == [p["name"] for p in doc["partitions"]], "scatter lists %s" % scat)
    for p in doc["partitions"]:
        check(files_equal_range(p["file"], state, p["region"], p["start"], p["size"]),
              "readback %s differs from the emulator's %s" % (p["name"], p["region"]))


def da_file_without(tmp, code):
    """A valid DA file whose only entry is for `code`."""
    hdr = b"MTK_DOWNLOAD_AGENT".ljust(32, b"\0") + b"test".ljust(64, b"\0")
    hdr += struct.pack("<III", 4, 0x22668899, 1)
    data_off = len(hdr) + 0xDC
    regions = [(data_off, 0x100, 0x50000000, 0, 0), (data_off + 0x100, 0x400, 0x200000, 0x300, 0x100),
               (data_off + 0x500, 0x400, 0x80000000, 0x300, 0x100)]
    entry = struct.pack("<HHHHHHIHH", 0xDADA, code, 0, 0xCA00, 0, 0, 0, 1, 3)
    for r in regions:
        entry += struct.pack("<IIIII", *r)
    entry = entry.ljust(0xDC, b"\0")
    path = os.path.join(tmp, "MTK_AllInOne_DA_other.bin")
    with open(path, "wb") as f:
        f.write(hdr + entry + bytes(0x900))
    return path


def test_errors(tmp, state, port):
    other = da_file_without(tmp, 0x6580)
    p = run([MTKFLASH, "--port", "emu:mt6737,mode=preloader", "--da", other, "printgpt"], expect=None)
    check(p.returncode != 0, "DA without the chip's entry was accepted")
    check("no entry for MT6737" in p.stderr and "MT6580" in p.stderr, "no-entry message: %s" % p.stderr)

    doc = flash(port, "printgpt", json_out=True)
    small = min((x for x in doc["partitions"] if x["region"] == "user" and x["size"] >= 0x40000),
                key=lambda x: x["size"])
    big = os.path.join(tmp, "big.bin")
    with open(big, "wb") as f:
        f.truncate(small["size"] + 1)
    before = state_bytes(state, "user", small["start"], 4096)
    p = flash(port, "write", small["name"], big, expect=6)
    check("larger than partition" in p.stderr, "too-large message: %s" % p.stderr)
    check(state_bytes(state, "user", small["start"], 4096) == before, "too-large image was partly written")

    target = pick(doc["partitions"], "boot", "recovery")
    img = os.path.join(tmp, "cut.bin")
    with open(img, "wb") as f:
        f.write(os.urandom(8 * 1024 * 1024))
    cut = "emu:mt6580,state=%s,mode=preloader,faults=disconnect-after=3M" % state
    p = run([MTKFLASH, "-q", "--port", cut, "write", target["name"], img], expect=None)
    check(p.returncode != 0, "write across a pulled cable succeeded")
    check("partition %s may now be partially written" % target["name"] in p.stderr,
          "disconnect message does not name the partition: %s" % p.stderr)


def main():
    with tempfile.TemporaryDirectory(prefix="mtkflash-da-io-") as tmp:
        kept = None
        for chip, fixture, extra in CHIPS:
            try:
                st = test_chip(tmp, chip, fixture, extra)
                if chip == "MT6580":
                    kept = st
            except AssertionError as e:
                check(False, "%s: %s" % (chip, e))
        if kept:
            try:
                test_readback(tmp, *kept)
                test_errors(tmp, *kept)
            except AssertionError as e:
                check(False, str(e))
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
