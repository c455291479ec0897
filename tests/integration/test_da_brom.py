#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A device in BROM mode (bricked, or mtkemu mode=brom) has no DRAM until the
host sends the EMI settings of the package's preloader (da-legacy.md §4.5, §7).

Checks, against the in-process emulator:
- MT6580 and MT6737 in BROM mode with --preloader (taken from the device
  itself while it still booted): printgpt lists the scatter's partitions, and
  1 MiB written to a partition reads back byte for byte;
- without --preloader: a clear error naming the option, non-zero exit, and
  the emulator's storage unchanged;
- a preloader for other memory (another board's, whose EMI records name
  another eMMC): refused before any EMI is sent, naming the device's flash
  id and the preloader's, non-zero exit, storage unchanged;
- fault write-protect: write and erase fail naming the partition and the
  write protection, storage unchanged; reads still work."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (MTKEMU, SCATTERS, check, flash, in_tmpdir, run, pick, provision_fixture, read_file,  # noqa: E402
                     scatter_names, state_bytes, write_file)

CHIPS = [
    ("MT6580", "MT6580__Dewil-King_Sectter-File__MT6580_Android_scatter.txt", []),
    ("MT6737", "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt", ["--user-size", "16G"]),
]
STATE_FILES = ["boot1.bin", "boot2.bin", "rpmb.bin", "user.bin", "ext_csd.bin", "device.ini"]


def state_digest(state):
    """SHA-256 of every state file's data (holes skipped, so an 8 GiB sparse
    user area costs only what it holds), with the data extents' offsets."""
    h = hashlib.sha256()
    for name in STATE_FILES:
        path = os.path.join(state, name)
        h.update(name.encode())
        with open(path, "rb") as f:
            fd = f.fileno()
            size = os.fstat(fd).st_size
            h.update(str(size).encode())
            off = 0
            while off < size:
                try:
                    start = os.lseek(fd, off, os.SEEK_DATA)
                except OSError:
                    break  # only holes left
                end = os.lseek(fd, start, os.SEEK_HOLE)
                h.update(b"@%d" % start)
                os.lseek(fd, start, os.SEEK_SET)
                left = end - start
                while left:
                    chunk = os.read(fd, min(left, 4 << 20))
                    if not chunk:
                        break
                    h.update(chunk)
                    left -= len(chunk)
                off = end
    return h.hexdigest()


def test_brom_with_preloader(tmp, chip, fixture, extra):
    state = provision_fixture(tmp, chip, fixture, extra)
    booted = "emu:%s,state=%s" % (chip.lower(), state)
    pl = os.path.join(tmp, chip + "-pl.bin")
    # The package's preloader, as the device holds it: the partition for one
    # chip, the raw boot1 range for the other.
    if chip == "MT6580":
        flash(booted, "read", "preloader", pl)
    else:
        flash(booted, "read", "--region", "boot1", "--offset", "0", "--length", "256K", pl)
    brom = booted + ",mode=brom,plug=power-cycle"
    doc = flash(brom, "printgpt", "--preloader", pl, json_out=True)
    names = sorted(p["name"].lower() for p in doc["partitions"])
    want = sorted(n.lower() for n in scatter_names(os.path.join(SCATTERS, fixture)))
    check(names == want, "%s BROM: printgpt lists %s, the scatter %s" % (chip, names, want))
    check(doc["storage"]["ram"] == 1 << 30, "%s BROM: DRAM size %s" % (chip, doc["storage"].get("ram")))

    target = pick(doc["partitions"], "recovery", "boot")
    data = os.urandom(1 << 20)
    img = write_file(os.path.join(tmp, chip + "-1m.bin"), data)
    flash(brom, "write", target["name"], img, "--preloader", pl)
    back = os.path.join(tmp, chip + "-1m-back.bin")
    flash(brom, "read", target["name"], back, "--preloader", pl)
    got = read_file(back, len(data))
    check(got == data, "%s BROM: %s read back differs from what was written" % (chip, target["name"]))
    check(state_bytes(state, "user", target["start"], len(data)) == data,
          "%s BROM: the emulator's storage does not hold the written data" % chip)
    return state, pl, target


def test_brom_without_preloader(tmp, chip, state, target):
    brom = "emu:%s,state=%s,mode=brom,plug=power-cycle" % (chip.lower(), state)
    img = write_file(os.path.join(tmp, "nopl.bin"), os.urandom(1 << 20))
    before = state_digest(state)
    for args in (["printgpt"], ["write", target["name"], img], ["erase", target["name"]]):
        p = flash(brom, *args, expect=None)
        check(p.returncode != 0, "%s BROM without --preloader: %s succeeded" % (chip, args[0]))
        check("--preloader" in p.stderr and "DRAM" in p.stderr,
              "%s BROM without --preloader: %s: message does not ask for --preloader: %r"
              % (chip, args[0], p.stderr))
    check(state_digest(state) == before, "%s BROM without --preloader: the storage changed" % chip)


def test_wrong_preloader(tmp, chip, state, other_pl, target):
    """Another board's preloader: its EMI records name another eMMC part."""
    brom = "emu:%s,state=%s,mode=brom,plug=power-cycle" % (chip.lower(), state)
    img = write_file(os.path.join(tmp, "wrongpl.bin"), os.urandom(1 << 20))
    before = state_digest(state)
    p = flash(brom, "write", target["name"], img, "--preloader", other_pl, expect=None)
    check(p.returncode != 0, "%s: a write with another board's preloader succeeded" % chip)
    check("do not fit this board" in p.stderr and "flash id" in p.stderr and "nothing was sent" in p.stderr,
          "%s wrong preloader: message %r" % (chip, p.stderr))
    check(state_digest(state) == before, "%s wrong preloader: the storage changed" % chip)


def test_write_protect(tmp, chip, state, target):
    port = "emu:%s,state=%s,mode=preloader,faults=write-protect,plug=power-cycle" % (chip.lower(), state)
    img = write_file(os.path.join(tmp, "wp.bin"), os.urandom(1 << 20))
    before = state_digest(state)
    p = flash(port, "write", target["name"], img, expect=None)
    check(p.returncode not in (0, 2), "write-protect: write exit %d" % p.returncode)
    check("writing %s" % target["name"] in p.stderr and "write-protected" in p.stderr,
          "write-protect: write message does not name the partition and the cause: %r" % p.stderr)
    check("partially written" not in p.stderr, "write-protect: claims a partial write: %r" % p.stderr)
    p = flash(port, "erase", target["name"], expect=None)
    check(p.returncode not in (0, 2), "write-protect: erase exit %d" % p.returncode)
    check("erasing %s" % target["name"] in p.stderr and "write-protected" in p.stderr,
          "write-protect: erase message %r" % p.stderr)
    check(state_digest(state) == before, "write-protect: the storage changed")
    back = os.path.join(tmp, "wp-back.bin")
    flash(port, "read", target["name"], back)
    check(os.path.getsize(back) == target["size"], "write-protect: read of %s failed" % target["name"])


def bare_emi_block(pl_path, out_path):
    """The MTK_BLOADER_INFO block alone, without its length word, as mtkclient
    keeps them in Loader/Preloader (formats.md 4.5.1)."""
    data = read_file(pl_path, os.path.getsize(pl_path))
    at = data.find(b"MTK_BLOADER_INFO_v")
    check(at >= 0, "no MTK_BLOADER_INFO block in %s" % pl_path)
    count = int.from_bytes(data[at + 0x6C:at + 0x70], "little")
    return write_file(out_path, data[at:at + 0x70 + count * 0xBC])


def test_bare_emi_block(tmp, chip, state, pl, target):
    """A bare EMI block works as --preloader, and inspect names it."""
    brom = "emu:%s,state=%s,mode=brom,plug=power-cycle" % (chip.lower(), state)
    bare = bare_emi_block(pl, os.path.join(tmp, chip + "-emi.bin"))
    doc = flash(brom, "inspect", bare, json_out=True)
    check(doc.get("kind") == "emi", "inspect of a bare EMI block: kind %r" % doc.get("kind"))
    check(doc.get("name") == "preloader_mtkemu_%s.bin" % chip.lower(), "bare EMI block name %r" % doc.get("name"))
    check(doc.get("bloader_info_version") == 20, "bare EMI block version %r" % doc.get("bloader_info_version"))
    recs = doc.get("emi_records") or []
    want_id = (b"\x90\x01\x4aEM" + chip[2:].encode()).hex()
    check(len(recs) == 1 and recs[0]["id"] == want_id and recs[0]["class"] == "emmc-mcp",
          "bare EMI block records %r (want id %s)" % (recs, want_id))
    back = os.path.join(tmp, chip + "-bare-back.bin")
    flash(brom, "read", target["name"], back, "--preloader", bare)
    check(os.path.getsize(back) == target["size"], "%s: read with a bare EMI block" % chip)


def v11_block(path, records):
    """A bare MTK_BLOADER_INFO_v11 block (MT6572's version) built by hand:
    0xA8-byte records, type +0x00, ID[16] +0x04, id_length +0x14
    (formats.md 4.5.2); records = [(type, id bytes)]."""
    head = bytearray(0x70)
    head[0:20] = b"MTK_BLOADER_INFO_v11"
    name = b"preloader_handmade_v11.bin"
    head[0x1B:0x1B + len(name)] = name
    head[0x58:0x64] = b"V116" + bytes.fromhex("2288443390007000")
    head[0x64:0x6C] = b"MTK_BIN\0"
    head[0x6C:0x70] = len(records).to_bytes(4, "little")
    body = b""
    for rtype, rid in records:
        rec = bytearray(range(0x40, 0x40 + 0xA8))
        rec[0:4] = rtype.to_bytes(4, "little")
        rec[4:20] = rid.ljust(16, b"\0")
        rec[0x14:0x18] = len(rid).to_bytes(4, "little")
        body += bytes(rec)
    return write_file(path, bytes(head) + body)


def test_v11_one_record(tmp):
    """EMI v11 (emiver 0x0B) takes one record: the board's, picked by its
    eMMC id from a table where it is not the first; another id is refused."""
    state = os.path.join(tmp, "state-MT6572")
    run([MTKEMU, "provision", "--chip", "mt6572", "--state", state])
    brom = "emu:mt6572,state=%s,mode=brom,plug=power-cycle" % state
    own = b"\x90\x01\x4aEM6572"
    other = b"\x15\x01\x00KMK5U0"
    good = v11_block(os.path.join(tmp, "v11.bin"), [(0x0202, other), (0x0202, own)])
    out = os.path.join(tmp, "boot1-head.bin")
    p = flash(brom, "read", "--region", "boot1", "--offset", "0", "--length", "4096", out, "--preloader", good)
    check(os.path.getsize(out) == 4096, "v11: read with the board's record: %r" % p.stderr)
    before = state_digest(state)
    bad = v11_block(os.path.join(tmp, "v11-bad.bin"), [(0x0202, other)])
    p = flash(brom, "read", "--region", "boot1", "--offset", "0", "--length", "4096", out, "--preloader", bad,
              expect=None)
    check(p.returncode != 0 and own.hex() in p.stderr and other.hex() in p.stderr,
          "v11 with another eMMC's record: exit %d, %r" % (p.returncode, p.stderr))
    check(state_digest(state) == before, "v11 refused: the storage changed")


def test_v13_one_record(tmp, chip, state, pl, target):
    """EMI v13 (emiver 0x0D, MT6592's) takes one record, cut to the DA's
    length with its first word replaced: the board's record, second in a
    hand-made table, is the one sent, and DRAM comes up."""
    data = read_file(pl, os.path.getsize(pl))
    at = data.find(b"MTK_BLOADER_INFO_v")
    own = data[at + 0x70:at + 0x70 + 0xBC]
    stranger = bytearray(own)
    stranger[0x10:0x19] = b"\x15\x01\x00KMK5U0"
    head = bytearray(data[at:at + 0x70])
    head[0:20] = b"MTK_BLOADER_INFO_v13"
    head[0x6C:0x70] = (2).to_bytes(4, "little")
    block = write_file(os.path.join(tmp, chip + "-v13.bin"), bytes(head) + bytes(stranger) + own)
    brom = "emu:%s,state=%s,mode=brom,plug=power-cycle" % (chip.lower(), state)
    back = os.path.join(tmp, chip + "-v13-back.bin")
    flash(brom, "read", target["name"], back, "--preloader", block)
    check(os.path.getsize(back) == target["size"], "%s: read with a v13 block" % chip)


def main(tmp):
    done = {}
    for chip, fixture, extra in CHIPS:
        try:
            done[chip] = test_brom_with_preloader(tmp, chip, fixture, extra)
        except AssertionError as e:
            check(False, "%s: %s" % (chip, e))
    if "MT6580" in done:
        state, _, target = done["MT6580"]
        test_brom_without_preloader(tmp, "MT6580", state, target)
        test_write_protect(tmp, "MT6580", state, target)
        test_bare_emi_block(tmp, "MT6580", state, done["MT6580"][1], target)
        test_v13_one_record(tmp, "MT6580", state, done["MT6580"][1], target)
    test_v11_one_record(tmp)
    if "MT6580" in done and "MT6737" in done:
        state, _, target = done["MT6737"]
        test_wrong_preloader(tmp, "MT6737", state, done["MT6580"][1], target)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-da-brom-", main))
