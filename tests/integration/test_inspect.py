#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mtkflash inspect SCATTER, end to end.

Every real scatter file in the fixtures inspects (exit 5: the images are not
there, and each missing one is named); the MT6572 NeverMine17 layout prints as
the file says; synthetic packages written here check the verdicts: intact
(exit 0, with an "unsigned" warning: a complete package without a signature
is usable but says so), a flipped byte against Checksum.ini, a file name that
leaves the folder, overlapping partitions, oversized images, signed packages.
"""
import hashlib
import json
import os
import re
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import MTKFLASH, SCATTERS, check, in_tmpdir, write_file  # noqa: E402


def run(*args, env=None):
    p = mtkutil.run([MTKFLASH, *args], expect=None, timeout=120, env=env)
    return p.returncode, p.stdout, p.stderr


def inspect_json(path, *extra, env=None):
    rc, out, err = run("inspect", "--json", path, *extra, env=env)
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
        check(False, f"{path}: --json output is not JSON (rc {rc}): {out[:200]!r} {err[:200]!r}")
    return rc, doc, err


def problems(doc, severity=None):
    return [p for p in doc["problems"] if severity is None or p["severity"] == severity]


# ---------------------------------------------------------------- every fixture

def test_every_fixture(env):
    names = sorted(n for n in os.listdir(SCATTERS) if n.endswith((".txt", ".xml")))
    check(len(names) >= 40, f"only {len(names)} scatter fixtures found")
    for name in names:
        rc, doc, err = inspect_json(os.path.join(SCATTERS, name), env=env)
        if doc is None:
            continue
        check(rc == 5, f"{name}: exit {rc}, expected 5 (images missing); {err[:200]}")
        parts = doc["partitions"]
        check(len(parts) > 0, f"{name}: no partitions")
        for p in parts:
            for key in ("name", "region", "start", "size", "file", "download", "class"):
                check(key in p, f"{name}: partition without '{key}'")
        errs = problems(doc, "error")
        for p in parts:
            if p["download"] and p["file"]:
                hit = [e for e in errs if e["partition"] == p["name"] and "missing" in e["message"]
                       and e["line"] == p["line"]]
                check(hit, f"{name}: missing {p['file']} ({p['name']}) not reported with its line")
        if doc["format"] == "ota":
            check(any("OTA" in e["message"] for e in errs), f"{name}: OTA scatter not flagged")
        check(doc["signature"]["state"] == "unsigned", f"{name}: signature {doc['signature']}")
        check(doc["platform"] is not None or doc["format"] in ("v1.0", "ota"), f"{name}: no platform")


def test_nevermine17(env):
    path = os.path.join(SCATTERS, "MT6572__NeverMine17_fly-iq-4407-scatter__MT6572_Android_scatter.txt")
    # What the file says, read here with a regex of our own.
    text = open(path).read()
    names = re.findall(r"^  partition_name: (\S+)$", text, re.M)
    starts = [int(v, 16) for v in re.findall(r"^  linear_start_addr: (0x[0-9a-fA-F]+)$", text, re.M)]
    sizes = [int(v, 16) for v in re.findall(r"^  partition_size: (0x[0-9a-fA-F]+)$", text, re.M)]
    check(len(names) == 20 and len(starts) == 20, "regex read of the fixture went wrong")
    rc, out, err = run("inspect", path)
    check(rc == 5, f"NeverMine17: exit {rc}")
    rows = [l for l in out.splitlines() if re.match(r"^\s*\d+\s+\S+\s+(boot1|user)\s", l)]
    check(len(rows) == 20, f"NeverMine17: {len(rows)} table rows, expected 20:\n{out}")
    for row, name, start, size in zip(rows, names, starts, sizes):
        cols = row.split()
        check(cols[1] == name, f"row {row!r}: name, expected {name}")
        check(int(cols[3], 16) == start, f"row {row!r}: start, expected {start:#x}")
        check(int(cols[4], 16) == size, f"row {row!r}: size, expected {size:#x}")
    check("MT6572" in out and "konka72_i128_emmc" in out, "NeverMine17: platform/project not shown")
    check("linear-with-boot" in out, "NeverMine17: address space not shown")
    rc, doc, err = inspect_json(path, env=env)
    check([p["name"] for p in doc["partitions"]] == names, "NeverMine17 JSON names")
    check([p["start"] for p in doc["partitions"]] == starts, "NeverMine17 JSON starts")
    check([p["size"] for p in doc["partitions"]] == sizes, "NeverMine17 JSON sizes")
    check(doc["storage"] == "emmc" and doc["platform"] == "MT6572", "NeverMine17 JSON header")
    by = {p["name"]: p for p in doc["partitions"]}
    check(by["ANDROID"]["alias"] == "system" and by["ANDROID"]["file"] == "system.img", "ANDROID alias/file")
    check(by["NVRAM"]["class"] == "protected" and by["PRELOADER"]["class"] == "bootloader", "classes")
    check(by["BMTPOOL"]["class"] == "reserved" and by["BMTPOOL"]["offset"] is None, "BMTPOOL tail")
    check(by["PRELOADER"]["region"] == "boot1" and by["MBR"]["offset"] == 0, "regions/offsets")


def test_v2_storage(env):
    path = os.path.join(SCATTERS, "MT6833__Dewil-King_Sectter-File__MT6833_Android_scatter.txt")
    rc, doc, _ = inspect_json(path, "--storage", "ufs", env=env)
    check(doc["storage"] == "ufs" and doc["layouts"] == ["emmc", "ufs"], f"MT6833 ufs: {doc['storage']}")
    check(doc["partitions"][0]["region"] == "lu0+lu1", "MT6833 ufs preloader region")
    rc, doc, _ = inspect_json(path, env=env)
    check(doc["storage"] == "emmc", "MT6833 default layout is eMMC")
    nm = os.path.join(SCATTERS, "MT6572__NeverMine17_fly-iq-4407-scatter__MT6572_Android_scatter.txt")
    rc, out, err = run("inspect", nm, "--storage", "ufs", env=env)
    check(rc == 2 and "no ufs layout" in err, f"--storage ufs on an eMMC-only file: {rc} {err!r}")


# ---------------------------------------------------------------- synthetic packages

def sum16(data):
    return sum(data) & 0xFFFF


def preloader_bin(project, total=0x2000, info_len=0x100):
    """A raw preloader .bin as formats.md §4.4/§4.5 lay it out: GFH FILE_INFO
    at 0, the MTK_BLOADER_INFO block (naming preloader_<project>.bin) and its
    length word just before a 0x124-byte signature."""
    sig_len, hdr = 0x124, 0x300
    info = bytearray(info_len)
    info[0:20] = b"MTK_BLOADER_INFO_v20"
    name = f"preloader_{project}.bin".encode()
    info[0x1B:0x1B + len(name)] = name
    info[0x64:0x6B] = b"MTK_BIN"
    img = bytearray(total)
    img[0:0x38] = struct.pack("<3sBHH12sIHBBIIIIIII", b"MMM", 1, 0x38, 0, b"FILE_INFO", 1, 1, 5, 3, 0x200D00,
                              total, 0x40000, hdr, sig_len, hdr, 1)
    end = total - sig_len
    img[end - 4 - info_len:end - 4] = info
    img[end - 4:end] = struct.pack("<I", info_len)
    return bytes(img)


def sparse_image(raw_block, dont_care_blocks, blk=4096):
    """An Android sparse image: one RAW block, then a DONT_CARE run."""
    total = 1 + dont_care_blocks
    hdr = struct.pack("<IHHHHIIII", 0xED26FF3A, 1, 0, 28, 12, blk, total, 2, 0)
    raw = struct.pack("<HHII", 0xCAC1, 0, 1, 12 + blk) + raw_block
    dc = struct.pack("<HHII", 0xCAC3, 0, dont_care_blocks, 12)
    return hdr + raw + dc


HEADER = """############################################################################################################
#
#  General Setting
#
############################################################################################################
- general: MTK_PLATFORM_CFG
  info: 
    - config_version: V1.1.2
      platform: MT6765
      project: synthetic
      storage: EMMC
      boot_channel: MSDC_0
      block_size: 0x20000
############################################################################################################
#
#  Layout Setting
#
############################################################################################################
"""


def record(i, name, file, start, size, download=True, op="UPDATE", reserved=False):
    boot = op == "BOOTLOADERS"
    typ = "SV5_BL_BIN" if boot else "NORMAL_ROM"
    region = "EMMC_BOOT1_BOOT2" if boot else "EMMC_USER"
    return (f"- partition_index: SYS{i}\n  partition_name: {name}\n  file_name: {file}\n"
            f"  is_download: {'true' if download else 'false'}\n  type: {typ}\n"
            f"  linear_start_addr: {start:#x}\n  physical_start_addr: {start:#x}\n"
            f"  partition_size: {size:#x}\n  region: {region}\n  storage: HW_STORAGE_EMMC\n"
            f"  boundary_check: {'false' if reserved else 'true'}\n  is_reserved: {'true' if reserved else 'false'}\n"
            f"  operation_type: {op}\n  is_upgradable: true\n  empty_boot_needed: false\n  reserve: 0x00\n\n")


class Package:
    """A small V1.1.2 package in a temporary directory."""

    def __init__(self, root, layout=None, board="synthetic"):
        self.dir = os.path.join(root, "pkg")
        os.mkdir(self.dir)
        self.images = {
            "preloader_synthetic.bin": preloader_bin(board),
            "lk.bin": bytes(range(256)) * 8,
            "boot.img": b"ANDROID!" + bytes(4088),
            "logo.bin": bytes([0xA5]) * 5000,
            "system.img": sparse_image(bytes([0x5A]) * 4096, 255),
        }
        self.layout = layout or [
            ("preloader", "preloader_synthetic.bin", 0x0, 0x40000, True, "BOOTLOADERS"),
            ("pgpt", "NONE", 0x0, 0x8000, False, "INVISIBLE"),
            ("nvram", "NONE", 0x8000, 0x100000, False, "BINREGION"),
            ("lk", "lk.bin", 0x108000, 0x100000, True, "UPDATE"),
            ("boot", "boot.img", 0x208000, 0x100000, True, "UPDATE"),
            ("logo", "logo.bin", 0x308000, 0x100000, True, "UPDATE"),
            ("system", "system.img", 0x408000, 0x100000, True, "UPDATE"),
            ("userdata", "NONE", 0x508000, 0x100000, False, "INVISIBLE"),
        ]
        for name, data in self.images.items():
            self.write(name, data)
        self.write_scatter()
        self.write_checksum_ini()

    def write(self, name, data):
        write_file(os.path.join(self.dir, name), data)

    def write_scatter(self):
        text = HEADER + "".join(record(i, *r) for i, r in enumerate(self.layout))
        self.scatter = os.path.join(self.dir, "MT6765_Android_scatter.txt")
        with open(self.scatter, "w") as f:
            f.write(text)
        self.text = text

    def write_checksum_ini(self):
        lines = ["[VERSION]", "VERSION=V1", "TOOL=v5.1540.00", "Change_ID=1556272127",
                 "[IsEnableChecksum]", "CHECKSUM_SWITCH=1", "[CheckSum]"]
        for name, file, *_ in self.layout:
            if file in self.images:
                lines.append(f"{name}=0x{sum16(self.images[file]):04X}")
        self.write("Checksum.ini", ("\r\n".join(lines) + "\r\n").encode())


def find(doc, severity, needle, partition=None):
    return [p for p in problems(doc, severity)
            if needle in p["message"] and (partition is None or p["partition"] == partition)]


def test_intact(root, env):
    pkg = Package(root)
    rc, doc, err = inspect_json(pkg.scatter, env=env)
    check(rc == 0, f"intact package: exit {rc}: {problems(doc, 'error')}")
    check(doc["summary"]["errors"] == 0 and doc["summary"]["images_missing"] == 0, f"intact: {doc['summary']}")
    check(doc["summary"]["images_present"] == 5, f"intact: {doc['summary']}")
    check(find(doc, "warning", "unsigned"), "intact unsigned package: no 'unsigned' warning")
    check(doc["signature"]["state"] == "unsigned", "intact: signature state")
    by = {p["name"]: p for p in doc["partitions"]}
    sysimg = by["system"]["image"]
    check(sysimg["format"] == "sparse" and sysimg["expanded_size"] == 256 * 4096 and sysimg["fits"] is True,
          f"system.img sparse facts: {sysimg}")
    lk = by["lk"]["image"]
    data = pkg.images["lk.bin"]
    check(lk["sha256"] == hashlib.sha256(data).hexdigest() and lk["size"] == len(data), f"lk facts: {lk}")
    check(lk["format"] == "raw" and lk["checksum_ini"]["status"] == "match", f"lk checksum: {lk}")
    check(lk["checksum_ini"]["expected"] == sum16(data), "lk checksum value")
    check(by["nvram"]["class"] == "protected" and by["nvram"]["image"] is None, "nvram")
    pl = by["preloader"]["image"].get("preloader")
    check(pl and pl["name"] == "preloader_synthetic.bin" and pl["board"] == "synthetic", f"preloader: {pl}")
    check(by["preloader"]["region"] == "boot1+boot2" and by["preloader"]["class"] == "bootloader", "preloader row")
    rc, out, err = run("inspect", pkg.scatter, env=env)
    check(rc == 0 and "0 errors" in out and ": ok" in out, f"intact (text): {rc}\n{out}")
    shutil.rmtree(pkg.dir)


def test_other_board(root, env):
    pkg = Package(root, board="otherboard")
    rc, doc, err = inspect_json(pkg.scatter, env=env)
    check(rc == 0, f"other board: exit {rc}")
    check(find(doc, "warning", "built for board 'otherboard'", "preloader"), f"board mismatch: {problems(doc)}")
    shutil.rmtree(pkg.dir)


def test_v10_package(root, env):
    """v1.0 names no files: images are found by the download tools' prefixes."""
    d = os.path.join(root, "v10")
    os.mkdir(d)
    files = {"preloader_synthetic.bin": preloader_bin("synthetic"), "MBR": bytes(512), "lk.bin": b"lk" * 100,
             "boot.img": b"ANDROID!" + bytes(100), "system.img": sparse_image(bytes(4096), 255),
             "userdata.img": bytes(4096)}
    for name, data in files.items():
        write_file(os.path.join(d, name), data)
    text = "".join(f"{n} {a:#x}\n{{\n}}\n" for n, a in [
        ("PRELOADER", 0), ("MBR", 0x600000), ("UBOOT", 0x680000), ("BOOTIMG", 0x700000),
        ("ANDROID", 0x800000), ("USRDATA", 0x900000), ("__NODL_BMTPOOL", 0xFFFF00A8)]) + "\n\n"
    path = os.path.join(d, "MT6589_Android_scatter_emmc.txt")
    with open(path, "w") as f:
        f.write(text)
    rc, doc, err = inspect_json(path, env=env)
    check(rc == 0, f"v1.0 package: exit {rc}: {problems(doc, 'error')}")
    by = {p["name"]: p for p in doc["partitions"]}
    check(doc["format"] == "v1.0" and len(doc["partitions"]) == 7, "v1.0 package layout")
    check(by["UBOOT"]["image"]["file"] == "lk.bin", f"UBOOT image: {by['UBOOT']['image']}")
    check(by["PRELOADER"]["image"]["file"] == "preloader_synthetic.bin", "PRELOADER image by prefix")
    check(by["ANDROID"]["image"]["fits"] is True and by["ANDROID"]["size"] == 0x100000, "ANDROID fits")
    check(by["BMTPOOL"]["download"] is False and by["BMTPOOL"]["image"] is None, "BMTPOOL")
    os.unlink(os.path.join(d, "boot.img"))
    rc, doc, err = inspect_json(path, env=env)
    check(rc == 5 and find(doc, "error", "missing", "BOOTIMG"), f"v1.0 without boot.img: {rc}")
    shutil.rmtree(d)


def test_flipped_byte(root, env):
    pkg = Package(root)
    data = bytearray(pkg.images["logo.bin"])
    data[1234] ^= 0x01
    pkg.write("logo.bin", bytes(data))
    rc, doc, err = inspect_json(pkg.scatter, env=env)
    check(rc == 5, f"flipped byte: exit {rc}")
    hit = find(doc, "error", "Checksum.ini", "logo")
    check(hit and "logo.bin" in hit[0]["message"], f"flipped byte: logo not named: {problems(doc)}")
    by = {p["name"]: p for p in doc["partitions"]}
    st = by["logo"]["image"]["checksum_ini"]
    check(st["status"] == "mismatch" and st["got"] == sum16(data) and st["expected"] == sum16(pkg.images["logo.bin"]),
          f"flipped byte: {st}")
    check(by["boot"]["image"]["checksum_ini"]["status"] == "match", "other images still match")
    rc, out, err = run("inspect", pkg.scatter, env=env)
    check(rc == 5 and "logo" in out and "mismatch" in out, f"flipped byte (text): {out}")
    shutil.rmtree(pkg.dir)


def test_traversal(root, env):
    write_file(os.path.join(root, "outside.img"), b"secret")
    layout = [("boot", "../outside.img", 0x0, 0x100000, True, "UPDATE")]
    pkg = Package(root, layout)
    rc, doc, err = inspect_json(pkg.scatter, env=env)
    check(rc in (5, 9), f"traversal: exit {rc}")
    hit = find(doc, "error", "leaves the package folder", "boot")
    check(hit and hit[0]["line"] == 19, f"traversal: no error with the line: {problems(doc)}")
    img = doc["partitions"][0]["image"]
    check(img is not None and img["present"] is False and "sha256" not in img, f"traversal: file was read: {img}")
    rc, out, err = run("inspect", pkg.scatter, env=env)
    check(re.search(r"error: \S+scatter\.txt:19: boot: file name '\.\./outside\.img'", out),
          f"traversal (text) does not name file:line:\n{out}")
    shutil.rmtree(pkg.dir)
    os.unlink(os.path.join(root, "outside.img"))


def test_overlap_and_size(root, env):
    layout = [
        ("lk", "lk.bin", 0x0, 0x100000, True, "UPDATE"),
        ("boot", "boot.img", 0x80000, 0x100000, True, "UPDATE"),   # overlaps lk
        ("logo", "logo.bin", 0x180000, 0x1000, True, "UPDATE"),    # 5000 bytes > 0x1000
        ("system", "system.img", 0x181000, 0x10000, True, "UPDATE"),  # expands to 1 MiB
    ]
    pkg = Package(root, layout)
    rc, doc, err = inspect_json(pkg.scatter, env=env)
    check(rc == 5, f"overlap: exit {rc}")
    check(find(doc, "error", "overlaps lk", "boot"), f"overlap not reported: {problems(doc)}")
    check(find(doc, "error", "holds 0x1000", "logo"), f"oversized logo not reported: {problems(doc)}")
    check(find(doc, "error", "expanded", "system"), f"oversized sparse system not reported: {problems(doc)}")
    by = {p["name"]: p for p in doc["partitions"]}
    check(by["system"]["image"]["fits"] is False and by["lk"]["image"]["fits"] is True, "fits flags")
    shutil.rmtree(pkg.dir)


def test_missing_and_unparsable(root, env):
    pkg = Package(root)
    os.unlink(os.path.join(pkg.dir, "boot.img"))
    rc, doc, err = inspect_json(pkg.scatter, env=env)
    check(rc == 5 and find(doc, "error", "boot.img is missing", "boot"), f"missing boot.img: {rc}")
    check(doc["summary"]["images_missing"] == 1, "missing count")
    bad = os.path.join(pkg.dir, "broken_scatter.txt")
    with open(bad, "w") as f:
        f.write(HEADER + "- partition_index: SYS0\n  partition_name: boot\n  linear_start_addr: 0xZZ\n")
    rc, out, err = run("inspect", bad, env=env)
    check(rc == 9 and "broken_scatter.txt:21:" in err, f"unparsable: exit {rc}, {err!r}")
    rc, doc, err = inspect_json(bad, env=env)
    check(rc == 9 and doc and doc["error"]["name"] == "MTK_E_PARSE", f"unparsable --json: {rc} {doc}")
    shutil.rmtree(pkg.dir)


def test_not_a_scatter(root, env):
    path = write_file(os.path.join(root, "blob.bin"), bytes(range(256)) * 4)
    rc, out, err = run("inspect", "--json", path, env=env)
    doc = json.loads(out) if out.strip().startswith("{") else {}
    check("partitions" not in doc, f"a .bin blob was treated as a scatter file: {rc} {out[:200]}")
    os.unlink(path)


# ---------------------------------------------------------------- signed packages

def keygen(root, env):
    prefix = os.path.join(root, "testkey")
    rc, out, err = run("keygen", "--out", prefix, env=env)
    if rc != 0:
        return None
    return prefix


def sign(pkg, prefix, env):
    rc, out, err = run("manifest", "create", pkg.dir, "--key", prefix + ".key", env=env)
    check(rc == 0, f"manifest create: {rc} {err}")


def test_signed(root, env):
    prefix = keygen(root, env)
    check(prefix is not None, "mtkflash keygen failed")
    if prefix is None:
        return
    pub = prefix + ".pub"
    pkg = Package(root)
    sign(pkg, prefix, env)
    rc, doc, err = inspect_json(pkg.scatter, "--trust", pub, env=env)
    check(rc == 0 and doc["signature"]["state"] == "trusted", f"signed+trusted: {rc} {doc['signature']}")
    check(not find(doc, "warning", "unsigned"), "signed package still called unsigned")
    check(all(p["image"]["manifest"] == "match" for p in doc["partitions"] if p["image"]), "manifest match")
    rc, doc, err = inspect_json(pkg.scatter, env=env)
    check(rc == 0 and doc["signature"]["state"] == "unknown-key", f"signed, key not trusted: {rc}")
    check(find(doc, "warning", "not trusted"), "unknown key not warned about")
    # boot.img replaced and Checksum.ini regenerated to match: only the signed manifest notices.
    pkg.images["boot.img"] = b"ANDROID!" + bytes([1]) * 4088
    pkg.write("boot.img", pkg.images["boot.img"])
    pkg.write_checksum_ini()
    rc, doc, err = inspect_json(pkg.scatter, "--trust", pub, env=env)
    check(rc == 5 and find(doc, "error", "boot.img (partition boot): SHA-256 differs"),
          f"manifest mismatch not named: {rc} {problems(doc)}")
    # SHA256SUMS edited: the signature no longer verifies.
    sums = os.path.join(pkg.dir, "SHA256SUMS")
    lines = open(sums).read().splitlines(keepends=True)
    i = next(k for k, l in enumerate(lines) if l.rstrip().endswith("lk.bin"))
    lines[i] = ("0" if lines[i][0] != "0" else "1") + lines[i][1:]
    with open(sums, "w") as f:
        f.write("".join(lines))
    rc, doc, err = inspect_json(pkg.scatter, "--trust", pub, env=env)
    check(rc == 5 and doc["signature"]["state"] == "bad", f"edited SHA256SUMS: {rc} {doc['signature']}")
    shutil.rmtree(pkg.dir)


def main(root):
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = os.path.join(root, "config")  # no trusted keys of the user's
    os.mkdir(env["XDG_CONFIG_HOME"])
    test_every_fixture(env)
    test_nevermine17(env)
    test_v2_storage(env)
    test_intact(root, env)
    test_other_board(root, env)
    test_v10_package(root, env)
    test_flipped_byte(root, env)
    test_traversal(root, env)
    test_overlap_and_size(root, env)
    test_missing_and_unparsable(root, env)
    test_not_a_scatter(root, env)
    test_signed(root, env)


if __name__ == "__main__":
    sys.exit(in_tmpdir("test_inspect.", main))
