#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""MBR-era partition layout end to end (issue 7, items 1 and 6), on emulated
phones provisioned from real MT6582 and MT6572 scatters:

- `write BOOTIMG X` puts X exactly at BOOTIMG's linear address minus the MBR's
  (read back with `read --region user` and straight from the emulator's
  storage), and the neighbouring partitions are unchanged;
- `printgpt --json` gives every partition its user offset (linear - MBR) and
  PRELOADER its boot1 place;
- the PMT the emulator provisioned (user_size - 1 MiB in user.bin) holds
  linear offsets, its MBR record at the scatter's MBR address;
- a plain RPMB read is refused before connecting (exit 6) with the reason;
- a PMT that disagrees with the MBR/EBR chain makes printgpt and write refuse.

Each mtkflash command is its own run (whether the emulated DA outlives the
port or not, both work)."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (AREA_FILES, MTKFLASH, SCATTERS, check, flash, in_tmpdir, provision,  # noqa: E402
                     read_file, run, state_bytes, write_file)

# chip, real scatter, user-area size big enough for its layout
PHONES = [
    ("mt6582", "MT6582__LinuxBozo_mtk-wish-android-tablet__MT6582_Android_scatter.txt", "16G"),
    ("mt6572", "MT6572__WikoSunset2-LineageOS_wiko_s4050ap_part_layout__MT6572_Android_scatter.txt", "4G"),
]
PMT_SIG, PMT_MIRROR_SIG = b"\x31\x76\x54\x50", b"\x31\x54\x50\x4d"  # u32 LE 0x50547631, 0x4D505431


def scatter_layout(path):
    """[(name, linear, size, region)] of a V1.1 scatter, in file order; read
    here, not with our parsers."""
    parts, cur = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            key, _, val = line.strip().lstrip("- ").partition(":")
            val = val.strip()
            if key == "partition_name":
                cur = {"name": val, "region": "EMMC_USER"}
                parts.append(cur)
            elif cur is not None and key in ("linear_start_addr", "partition_size"):
                cur[key] = int(val, 16)
            elif cur is not None and key == "region":
                cur["region"] = val
    return [(p["name"], p["linear_start_addr"], p["partition_size"], p["region"]) for p in parts]


def by_name(layout, name):
    return next(p for p in layout if p[0] == name)


def user_layout(layout):
    """The user-area partitions with a real address (not the 0xFFFFxxxx tail)."""
    return [p for p in layout if p[3] == "EMMC_USER" and (p[1] >> 16) != 0xFFFF]


def check_printgpt(chip, port, layout, mbr):
    doc = flash(port, "printgpt", json_out=True)
    got = {p["name"]: p for p in doc["partitions"]}
    for name, linear, size, _ in user_layout(layout):
        p = got.get(name)
        if not check(p is not None, "%s: printgpt lists %s" % (chip, name)):
            continue
        check(p["region"] == "user" and p["start"] == linear - mbr,
              "%s: printgpt puts %s at %s 0x%x, the scatter at linear 0x%x = user 0x%x"
              % (chip, name, p["region"], p["start"], linear, linear - mbr))
        if name != "USRDATA":  # the MBR chain's last partition runs to the end of the area
            check(p["size"] == size, "%s: %s size 0x%x, scatter 0x%x" % (chip, name, p["size"], size))
    pre = got.get("PRELOADER")
    check(pre is not None and pre["region"] == "boot1" and pre["start"] == 0,
          "%s: PRELOADER in boot1 at 0 (got %s)" % (chip, pre))


def read_user(port, tmp, off, length, name):
    out = os.path.join(tmp, name)
    flash(port, "read", "--force", "--region", "user", "--offset", str(off), "--length", str(length), out)
    return read_file(out)


def check_write_bootimg(chip, tmp, state, port, layout, mbr):
    before_name, _, before_size, _ = layout[layout.index(by_name(layout, "BOOTIMG")) - 1]
    _, boot_linear, boot_size, _ = by_name(layout, "BOOTIMG")
    boot = boot_linear - mbr
    # the partition before BOOTIMG, BOOTIMG, and the first MiB after it
    lo, hi = boot - before_size, boot + boot_size + (1 << 20)
    before = read_user(port, tmp, lo, hi - lo, "before.bin")
    x = os.urandom(96 * 1024)
    image = write_file(os.path.join(tmp, "x.img"), x)
    flash(port, "write", "BOOTIMG", image)
    after = read_user(port, tmp, lo, hi - lo, "after.bin")
    at = boot - lo
    check(after[at:at + len(x)] == x,
          "%s: X at user 0x%x (BOOTIMG linear 0x%x - MBR 0x%x)" % (chip, boot, boot_linear, mbr))
    check(state_bytes(state, "user", boot, len(x)) == x,
          "%s: the emulator's user.bin holds X at 0x%x" % (chip, boot))
    check(after[:at] == before[:at], "%s: %s (before BOOTIMG) unchanged" % (chip, before_name))
    check(after[at + boot_size:] == before[at + boot_size:],
          "%s: the partition after BOOTIMG unchanged" % chip)
    # where a client using the linear offset as a user offset would have written
    wrong = boot_linear
    check(state_bytes(state, "user", wrong, len(x)) != x, "%s: nothing written at user 0x%x" % (chip, wrong))


def pmt_records(copy):
    """(name, size, part_id, offset) of a stored 1.1 copy; formats.md §5.2."""
    recs = []
    for at in range(8, 4092 - 0x60 + 1, 0x60):
        rec = copy[at:at + 0x60]
        if rec[0] == 0:
            break
        name = rec[:64].split(b"\0", 1)[0].decode()
        size, part_id, offset, _ = struct.unpack_from("<QQQQ", rec, 64)
        recs.append((name, size, part_id, offset))
    return recs


def check_provisioned_pmt(chip, state, layout, mbr):
    user_size = os.path.getsize(os.path.join(state, AREA_FILES["user"]))
    raw = state_bytes(state, "user", user_size - (1 << 20), 8192)
    check(raw[:8] == PMT_SIG + b"1.1\0" and raw[4092:4096] == PMT_SIG,
          "%s: PTv1 1.1 table at user_size - 1 MiB (got %r)" % (chip, raw[:8]))
    check(raw[4096:4100] == PMT_MIRROR_SIG, "%s: MPT1 mirror after it" % chip)
    recs = pmt_records(raw[:4096])
    check(recs and recs[0][0] == "PRELOADER" and recs[0][3] == 0 and raw[8 + 0x48] == 0xFF,
          "%s: first record PRELOADER at linear 0 with 0xFF at 0x48 (got %s)" % (chip, recs[:1]))
    offsets = {r[0]: r[3] for r in recs}
    check(offsets.get("MBR") == mbr, "%s: MBR record at linear 0x%x (got %s)" % (chip, mbr, offsets.get("MBR")))
    for name, linear, _, _ in user_layout(layout):
        check(offsets.get(name) == linear,
              "%s: PMT record %s at linear 0x%x (got %s)" % (chip, name, linear, offsets.get(name)))


def check_rpmb_refused(chip, tmp, port):
    out = os.path.join(tmp, "rpmb.bin")
    p = run([MTKFLASH, "--port", port, "read", "--region", "rpmb", "--offset", "0", "--length", "512", out],
            expect=6)
    check("authenticated" in p.stderr, "%s: the RPMB refusal says why (%r)" % (chip, p.stderr))
    check(not os.path.exists(out), "%s: no file from a refused RPMB read" % chip)


def check_disagreement_refused(chip, tmp, state, port, layout, mbr):
    """A PMT that moves CACHE's start by 1 MiB disagrees with the EBR: printgpt and
    write refuse, saying where, and nothing is written."""
    path = os.path.join(state, AREA_FILES["user"])
    base = os.path.getsize(path) - (1 << 20)
    with open(path, "r+b") as f:
        for copy in (base, base + 4096):
            f.seek(copy)
            recs = pmt_records(f.read(4096))
            i = [r[0] for r in recs].index("CACHE")
            f.seek(copy + 8 + i * 0x60 + 0x40)  # 1 MiB later, 1 MiB shorter: no overlap in the PMT
            f.write(struct.pack("<Q", recs[i][1] - (1 << 20)))
            f.seek(copy + 8 + i * 0x60 + 0x50)
            f.write(struct.pack("<Q", recs[i][3] + (1 << 20)))
    p = flash(port, "printgpt", expect=None)
    check(p.returncode != 0 and "disagree" in p.stderr and "CACHE" in p.stderr,
          "%s: printgpt refuses a PMT that disagrees with the EBR (exit %d, %r)" % (chip, p.returncode, p.stderr))
    boot = by_name(layout, "BOOTIMG")[1] - mbr
    was = state_bytes(state, "user", boot, 4096)
    image = write_file(os.path.join(tmp, "y.img"), b"\x5a" * 4096)
    p = flash(port, "write", "BOOTIMG", image, expect=None)
    check(p.returncode != 0 and "disagree" in p.stderr, "%s: write refuses too (exit %d)" % (chip, p.returncode))
    check(state_bytes(state, "user", boot, 4096) == was, "%s: nothing written after the refusal" % chip)


def test_phone(tmp, chip, fixture, user_size):
    layout = scatter_layout(os.path.join(SCATTERS, fixture))
    mbr = by_name(layout, "MBR")[1]
    state = provision(os.path.join(tmp, "state-" + chip), chip, os.path.join(SCATTERS, fixture),
                      ["--user-size", user_size])
    port = "emu:%s,state=%s,mode=preloader" % (chip, state)
    check_provisioned_pmt(chip, state, layout, mbr)
    check_printgpt(chip, port, layout, mbr)
    check_write_bootimg(chip, tmp, state, port, layout, mbr)
    check_rpmb_refused(chip, tmp, port)
    check_disagreement_refused(chip, tmp, state, port, layout, mbr)


def main(tmp):
    for chip, fixture, user_size in PHONES:
        test_phone(tmp, chip, fixture, user_size)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtk-pmt-", main))
