#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Partition I/O through the legacy DA against the emulator: printgpt lists
the provisioned scatter's partitions, writes read back byte for byte (user
area and boot1), erase, readback matches the emulator's storage (on the
MT6580 layout with each partition cut to 16 MiB), and the
errors: no DA entry for the chip, image too large, cable pulled mid-write."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (AREA_FILES, MTKEMU, MTKFLASH, SCATTERS, check, flash, in_tmpdir, pick,  # noqa: E402
                     provision_fixture, read_file, run, scatter_names, shrunk_scatter, state_bytes, write_file)

# chip, fixture, provision extras, emulator mode
CHIPS = [
    ("MT6572", "MT6572__Dewil-King_Sectter-File__MT6572_Android_scatter.txt", []),
    ("MT6580", "MT6580__Dewil-King_Sectter-File__MT6580_Android_scatter.txt", []),
    ("MT6735", "MT6735__Dewil-King_Sectter-File__MT6735_Android_scatter.txt", []),
    ("MT6737", "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt", ["--user-size", "16G"]),
    ("MT6753", "MT6753__Dewil-King_Sectter-File__MT6753_Android_scatter.txt", ["--user-size", "16G"]),
]


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


def io_roundtrip(tmp, chip, state, port, parts):
    target = pick(parts, "boot", "BOOTIMG", "recovery")
    data = os.urandom(3 * 1024 * 1024 + 123)
    img = write_file(os.path.join(tmp, chip + "-img.bin"), data)
    flash(port, "write", target["name"], img)
    back = os.path.join(tmp, chip + "-back.bin")
    flash(port, "read", target["name"], back)
    got = read_file(back)
    check(len(got) == target["size"], "%s: read size %d != partition %d" % (chip, len(got), target["size"]))
    check(got[:len(data)] == data, "%s: %s read-back differs from what was written" % (chip, target["name"]))
    check(got[len(data):len(data) + 389] == bytes(389), "%s: write padding is not zero" % chip)
    check(state_bytes(state, "user", target["start"], len(data)) == data,
          "%s: emulator storage does not hold the written image" % chip)

    # boot1: the preloader area, guarded by a flag.
    pre = os.urandom(256 * 1024)
    write_file(img, pre)
    p = flash(port, "write", "preloader", img, expect=6)
    check("--allow-bootloader" in p.stderr, "%s: preloader refusal does not name the flag" % chip)
    flash(port, "write", "preloader", img, "--allow-bootloader")
    r = flash(port, "read", "--force", "--region", "boot1", "--offset", "0", "--length", "256K", back, json_out=True)
    check(r["ok"] and r["partition"]["size"] == 256 * 1024, "%s: read --region json" % chip)
    check(read_file(back) == pre, "%s: boot1 read-back differs" % chip)
    check(state_bytes(state, "boot1", 0, len(pre)) == pre, "%s: boot1 storage differs" % chip)

    # erase: the device no longer holds the data, and a read shows what it holds.
    flash(port, "erase", target["name"])
    flash(port, "read", "--force", target["name"], back)
    erased = read_file(back)
    check(erased[:len(data)] != data, "%s: erase left the data in place" % chip)
    check(erased == state_bytes(state, "user", target["start"], target["size"]),
          "%s: read after erase differs from the storage" % chip)


def test_chip(tmp, chip, fixture, extra):
    state = provision_fixture(tmp, chip, fixture, extra)
    # mode=preloader: the test overwrites the preloader, which would leave
    # the next session in BROM mode, needing the package's DRAM settings.
    port = "emu:%s,state=%s,mode=preloader" % (chip.lower(), state)
    doc = flash(port, "printgpt", json_out=True)
    names = [p["name"].lower() for p in doc["partitions"]]
    want = [n.lower() for n in scatter_names(os.path.join(SCATTERS, fixture))]
    if chip.lower() in ("mt6572", "mt6582"):  # a PMT ends with the last user partition (formats.md §5.2)
        want = [n for n in want if n != "bmtpool"]
    check(sorted(names) == sorted(want), "%s: printgpt lists %s, the scatter %s" % (chip, names, want))
    check(doc["storage"]["type"] == "emmc", "%s: storage type %s" % (chip, doc["storage"]["type"]))
    io_roundtrip(tmp, chip, state, port, doc["partitions"])
    return state, port


def test_readback(tmp, chip, fixture):
    """On the fixture's layout with each partition cut to 16 MiB (shrunk_scatter)."""
    state = os.path.join(tmp, "state-readback")
    run([MTKEMU, "provision", "--chip", chip, "--state", state, "--scatter",
         shrunk_scatter(os.path.join(SCATTERS, fixture), os.path.join(tmp, "readback-scatter.txt"))])
    port = "emu:%s,state=%s,mode=preloader" % (chip.lower(), state)
    out = os.path.join(tmp, "backup")
    os.mkdir(out)
    write_file(os.path.join(out, "stray"), b"x")
    p = flash(port, "readback", out, expect=8)
    check("not empty" in p.stderr, "readback into a non-empty dir: %s" % p.stderr)
    os.unlink(os.path.join(out, "stray"))
    doc = flash(port, "readback", out, json_out=True)
    check(os.path.isfile(doc["scatter"]), "readback wrote no scatter file")
    scat = scatter_names(doc["scatter"])
    # readback is a full backup unit: boot2 (and an MBR-era PMT) are read too, no scatter lists them
    listed = [p["name"] for p in doc["partitions"] if p["region"] != "boot2" and p["name"] != "PMT"]
    check(scat == listed, "scatter lists %s" % scat)
    check("boot2" in [p["name"] for p in doc["partitions"]], "readback holds boot2")
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
    return write_file(os.path.join(tmp, "MTK_AllInOne_DA_other.bin"), hdr + entry + bytes(0x900))


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
    p = flash(port, "write", "--allow-protected", "--allow-bootloader", "--allow-ptable", small["name"], big,
              expect=6)
    check("larger than partition" in p.stderr, "too-large message: %s" % p.stderr)
    check(state_bytes(state, "user", small["start"], 4096) == before, "too-large image was partly written")

    target = pick(doc["partitions"], "boot", "recovery")
    img = write_file(os.path.join(tmp, "cut.bin"), os.urandom(8 * 1024 * 1024))
    cut = "emu:mt6580,state=%s,mode=preloader,faults=disconnect-after=3M" % state
    p = run([MTKFLASH, "-q", "--port", cut, "write", target["name"], img], expect=None)
    check(p.returncode != 0, "write across a pulled cable succeeded")
    check("partition %s may now be partially written" % target["name"] in p.stderr,
          "disconnect message does not name the partition: %s" % p.stderr)


def main(tmp):
    kept = None
    for chip, fixture, extra in CHIPS:
        try:
            st = test_chip(tmp, chip, fixture, extra)
            if chip == "MT6580":
                kept = st
                test_readback(tmp, chip, fixture)
        except AssertionError as e:
            check(False, "%s: %s" % (chip, e))
    if kept:
        test_errors(tmp, *kept)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-da-io-", main))
