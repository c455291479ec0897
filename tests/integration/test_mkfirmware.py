#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`mtkemu mkfirmware`: the sample package is what the client's own checks
call a complete, signed package; it describes exactly the emulator's default
device (printgpt on a default-provisioned phone shows the scatter's layout);
its preloader carries the board's EMI record (a bricked phone's DA starts its
DRAM with it); and each --variant spoils the one thing it names."""
import filecmp
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import MTKEMU, MTKFLASH, check, flash, run  # noqa: E402
mtkutil.EMU_LEAK_SCAN = True  # mtkemu's own commands are what this tests

CHIPS = ["mt6572", "mt6580", "mt6735", "mt6737", "mt6753", "mt6765", "mt6785"]
XFLASH = ["mt6765", "mt6785"]  # laid out like their fixtures; MT6785's scatter is V2.x
SPARSE = {"system", "cache", "userdata", "android", "usrdata", "vendor", "super"}
FLIP_OFFSET = 0x2345  # where flipped-byte changes boot.img (emu/mkfirmware.c)
MIB = 1 << 20


def mkfirmware(out, chip, variant=None, force=False, expect=0):
    args = [MTKEMU, "mkfirmware", "--chip", chip, "--out", out]
    args += ["--variant", variant] if variant else []
    args += ["--force"] if force else []
    return run(args, expect=expect)


def scatter_of(pkg):
    names = [n for n in os.listdir(pkg) if n.endswith("_Android_scatter.txt")]
    assert len(names) == 1, "one scatter in %s: %s" % (pkg, names)
    return os.path.join(pkg, names[0])


def inspect(pkg, expect=0):
    return flash("emu:none", "inspect", scatter_of(pkg), "--trust", os.path.join(pkg, "mtkemu-demo.pub"),
                 expect=expect, json_out=True)


def preloader_info(path):
    return flash("emu:none", "inspect", path, json_out=True)


def by_name(parts):
    return {p["name"]: p for p in parts}


def device_layout(tmp, chip, tag="default"):
    """printgpt of a phone provisioned with the chip's default layout."""
    state = os.path.join(tmp, "state-%s-%s" % (chip, tag))
    run([MTKEMU, "provision", "--chip", chip, "--state", state, "--imei", "35209900123456"])
    return state, flash("emu:%s,state=%s,mode=preloader" % (chip, state), "printgpt", json_out=True)


def check_intact(tmp, chip, pkg):
    doc = inspect(pkg)
    scatter = scatter_of(pkg)
    check(os.path.basename(scatter) == "%s_Android_scatter.txt" % chip.upper(), "%s: scatter named like a real one" % chip)
    check(doc["ok"] and doc["platform"] == chip.upper(), "%s: inspect says complete, platform %s" % (chip, chip.upper()))
    want = "V2." if chip == "mt6785" else "V1.1."
    check(doc["config_version"].startswith(want), "%s: a %sx scatter (%s)" % (chip, want, doc["config_version"]))
    check(doc["signature"]["state"] == "trusted", "%s: signature trusted with the demo key" % chip)
    images = [p for p in doc["partitions"] if p["download"]]
    check(len(images) >= 9, "%s: lk, boot, recovery, logo... are downloadable (%d)" % (chip, len(images)))
    for p in images:
        im = p["image"]
        check(im["present"] and im["fits"], "%s: %s image present and fits" % (chip, p["name"]))
        check(im["checksum_ini"]["status"] == "match", "%s: %s matches Checksum.ini" % (chip, p["name"]))
        check(im["manifest"] == "match", "%s: %s matches SHA256SUMS" % (chip, p["name"]))
        if p["name"].lower() in SPARSE:
            check(im["format"] == "sparse" and im["size"] < 16 * MIB,
                  "%s: %s is a small sparse image (%d bytes)" % (chip, p["name"], im["size"]))
    total = sum(os.path.getsize(os.path.join(pkg, f)) for f in os.listdir(pkg))
    check(2 * MIB < total <= 40 * MIB, "%s: package size %d is a few MiB" % (chip, total))
    run([MTKFLASH, "manifest", "verify", pkg, "--trust", os.path.join(pkg, "mtkemu-demo.pub")])
    return doc


def check_same_layout(chip, doc, gpt, what="default device"):
    """The device's table shows every scatter partition at the scatter's offset and size."""
    dev = by_name(gpt["partitions"])
    mbr_era = chip == "mt6572"
    # reserved tail partitions: placed from the end of the user area backwards (formats.md §1.8)
    end = gpt["storage"]["user"]
    for p in reversed(doc["partitions"]):
        if p["reserved"]:
            end -= p["size"]
            p["offset"] = end
    for p in doc["partitions"]:
        if mbr_era and p["reserved"]:  # BMTPOOL is in neither the MBR nor the PMT
            continue
        d = dev.get(p["name"])
        if not check(d is not None, "%s: %s has scatter partition %s" % (chip, what, p["name"])):
            continue
        if p["region"] != "user":
            # EMMC_BOOT1_BOOT2 is "boot1+boot2" in the scatter; printgpt names boot1
            check(d["region"] in p["region"].split("+") and d["start"] == 0,
                  "%s: %s in %s" % (chip, p["name"], p["region"]))
            continue
        check(d["start"] == p["offset"], "%s: %s at user+0x%x on the %s, scatter says 0x%x"
              % (chip, p["name"], d["start"], what, p["offset"]))
        # The MBR era's last MBR entry runs to the end of the area (over BMTPOOL)
        if not (mbr_era and p["name"] == "USRDATA"):
            check(d["size"] == p["size"], "%s: %s size 0x%x on the %s, scatter says 0x%x"
                  % (chip, p["name"], d["size"], what, p["size"]))


def check_preloader(chip, pkg, doc, gpt):
    pl = [p for p in doc["partitions"] if p["region"].startswith("boot1")][0]
    info = preloader_info(os.path.join(pkg, pl["file"]))
    check(info["kind"] == "preloader" and info["board"] == "mtkemu_" + chip, "%s: preloader for the board" % chip)
    recs = info["emi_records"]
    cid = gpt["storage"]["cid"]
    check(len(recs) == 1 and recs[0]["id"] == cid[:18], "%s: EMI record names the board's eMMC id %s" % (chip, cid[:18]))
    check(recs[0]["dram"] == ("LPDDR2" if chip == "mt6572" else "LPDDR3"), "%s: EMI record DRAM type" % chip)
    return info


def brick_with_preloader(tmp, chip, preloader, tag):
    """A blank phone (BROM mode): the DA starts DRAM from the package preloader."""
    state = os.path.join(tmp, "brick-%s-%s" % (chip, tag))
    os.mkdir(state)
    return run([MTKFLASH, "-q", "--port", "emu:%s,state=%s" % (chip, state), "printgpt", "--preloader", preloader],
               expect=None)


def test_chip(tmp, chip):
    pkg = os.path.join(tmp, "pkg-" + chip)
    out = mkfirmware(pkg, chip).stdout
    check(scatter_of(pkg) in out, "%s: mkfirmware prints the scatter path" % chip)
    doc = check_intact(tmp, chip, pkg)
    again = os.path.join(tmp, "again-" + chip)
    mkfirmware(again, chip)
    same = filecmp.cmpfiles(pkg, again, os.listdir(pkg), shallow=False)
    check(not same[1] and not same[2], "%s: a second run writes identical bytes (differ: %s)" % (chip, same[1]))
    state, gpt = device_layout(tmp, chip)
    check_same_layout(chip, doc, gpt)
    # provisioning from the package's scatter builds the very same device
    s2 = os.path.join(tmp, "state-%s-scatter" % chip)
    run([MTKEMU, "provision", "--chip", chip, "--state", s2, "--imei", "35209900123456", "--scatter", scatter_of(pkg)])
    gpt2 = flash("emu:%s,state=%s,mode=preloader" % (chip, s2), "printgpt", json_out=True)
    check(gpt2["partitions"] == gpt["partitions"], "%s: provision --scatter PKG = provision (default)" % chip)
    check(mtkutil.state_bytes(s2, "user", 0, 2 * MIB) == mtkutil.state_bytes(state, "user", 0, 2 * MIB),
          "%s: same table bytes either way" % chip)
    check_preloader(chip, pkg, doc, gpt)
    return pkg, doc, gpt


def test_variants(tmp, chip, pkg, doc, gpt):
    v = {}
    for name in ["wrong-chip", "other-dram", "flipped-byte", "unsigned", "layout-changed"]:
        v[name] = os.path.join(tmp, "%s-%s" % (chip, name))
        mkfirmware(v[name], chip, name)
    pl_file = [p for p in doc["partitions"] if p["region"].startswith("boot1")][0]["file"]
    own = preloader_info(os.path.join(pkg, pl_file))

    other = "mt6580" if chip == "mt6572" else "mt6572"
    wdoc = inspect(v["wrong-chip"])
    check(wdoc["platform"] == other.upper(), "%s wrong-chip: scatter platform %s" % (chip, wdoc["platform"]))
    wpl = preloader_info(os.path.join(v["wrong-chip"], "preloader_mtkemu_%s.bin" % other))
    check(wpl["load_addr"] != own["load_addr"] and wpl["board"] == "mtkemu_" + other,
          "%s wrong-chip: preloader GFH built for %s" % (chip, other))
    check(wpl["emi_records"][0]["id"] != gpt["storage"]["cid"][:18], "%s wrong-chip: not this board's EMI" % chip)

    odoc = inspect(v["other-dram"])
    opl = preloader_info(os.path.join(v["other-dram"], pl_file))
    check(odoc["ok"] and opl["emi_records"][0]["id"] != gpt["storage"]["cid"][:18],
          "%s other-dram: the package checks out, its EMI record names another eMMC" % chip)

    fdoc = inspect(v["flipped-byte"], expect=5)
    boot = [p for p in fdoc["partitions"] if p["name"].lower() in ("boot", "bootimg")][0]
    check(boot["image"]["checksum_ini"]["status"] == "mismatch" and boot["image"]["manifest"] == "mismatch",
          "%s flipped-byte: boot.img fails Checksum.ini and SHA256SUMS" % chip)
    a = mtkutil.read_file(os.path.join(pkg, "boot.img"))
    b = mtkutil.read_file(os.path.join(v["flipped-byte"], "boot.img"))
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    check(len(a) == len(b) and diff == [FLIP_OFFSET], "%s flipped-byte: exactly one byte changed (%s)" % (chip, diff[:4]))
    check(mtkutil.read_file(os.path.join(pkg, "Checksum.ini")) == mtkutil.read_file(
        os.path.join(v["flipped-byte"], "Checksum.ini")), "%s flipped-byte: checksums are the intact ones" % chip)

    udoc = inspect(v["unsigned"])
    check(udoc["signature"]["state"] == "unsigned" and not os.path.exists(
        os.path.join(v["unsigned"], "SHA256SUMS.minisig")), "%s unsigned: reported unsigned" % chip)

    ldoc = inspect(v["layout-changed"])
    moved = [p["name"] for p in ldoc["partitions"]
             if not p["reserved"] and (p["offset"], p["size"]) != (by_name(doc["partitions"])[p["name"]]["offset"],
                                            by_name(doc["partitions"])[p["name"]]["size"])]
    check(sorted(n.lower() for n in moved) in (["cache", "userdata"], ["cache", "usrdata"]),
          "%s layout-changed: cache resized, userdata moved (%s)" % (chip, moved))
    return v


def test_dram(tmp, chip, pkg, doc, variants):
    pl_file = [p for p in doc["partitions"] if p["region"].startswith("boot1")][0]["file"]
    good = brick_with_preloader(tmp, chip, os.path.join(pkg, pl_file), "good")
    # DRAM came up: the DA went on to look for the (blank) table
    check(good.returncode == 9 and "partition table" in good.stderr,
          "%s: a bricked board's DA starts DRAM with the package preloader (%d %s)"
          % (chip, good.returncode, good.stderr.strip()))
    bad = brick_with_preloader(tmp, chip, os.path.join(variants["other-dram"], pl_file), "bad")
    check(bad.returncode == 6 and "do not fit" in bad.stderr,
          "%s other-dram: refused, does not fit the board (%d %s)" % (chip, bad.returncode, bad.stderr.strip()))


def fixture_names(chip):
    """Partition names of the chip's real factory scatter (its EMMC block)."""
    names = {"mt6765": "MT6765__Dewil-King_Sectter-File__MT6765_Android_scatter.txt",
             "mt6785": "MT6785__Dewil-King_Sectter-File__MT6785_Android_scatter.txt"}
    out = []
    with open(os.path.join(mtkutil.SCATTERS, names[chip])) as f:
        for line in f:
            if "storage_type: UFS" in line:
                break
            if line.strip().startswith("partition_name:"):
                out.append(line.split(":", 1)[1].strip())
    return out


def test_xflash(tmp, chip, pkg, doc):
    """Laid out like the real fixture, and it flashes in safe mode on a fresh phone."""
    mine = [p["name"] for p in doc["partitions"]]
    real = fixture_names(chip)
    check(mine == real, "%s: the package lists the fixture's partitions in its order (%s vs %s)"
          % (chip, [n for n in mine if n not in real], [n for n in real if n not in mine]))
    pl = [p for p in doc["partitions"] if p["name"] == "preloader"]
    check(len(pl) == 1, "%s: one preloader record for both boot partitions" % chip)
    text = mtkutil.read_file(scatter_of(pkg)).decode()
    check("region: EMMC_BOOT1_BOOT2" in text, "%s: the preloader goes to boot1 and boot2" % chip)
    state = os.path.join(tmp, "flash-" + chip)
    run([MTKEMU, "provision", "--chip", chip, "--state", state])
    audit = os.path.join(tmp, "audit-%s.jsonl" % chip)
    p = run([MTKFLASH, "--port", "emu:%s,state=%s" % (chip, state), "flash", scatter_of(pkg), "--yes",
             "--audit", audit])
    check("verified:" in p.stdout, "%s: safe-mode flash of the sample package verified (%s)" % (chip, p.stdout[-200:]))
    v = run([MTKFLASH, "log", "verify", audit])
    check("Result:     verified" in v.stdout, "%s: the flash's audit log verifies" % chip)


def test_outputs(tmp):
    pkg = os.path.join(tmp, "pkg-force")
    mkfirmware(pkg, "mt6737")
    p = mkfirmware(pkg, "mt6737", "unsigned", expect=1)
    check("not empty" in p.stderr and os.path.exists(os.path.join(pkg, "SHA256SUMS.minisig")),
          "an existing package is refused without --force, untouched")
    mkfirmware(pkg, "mt6737", "unsigned", force=True)
    check(not os.path.exists(os.path.join(pkg, "SHA256SUMS.minisig")), "--force unsigned drops the old signature")
    check(run([MTKEMU, "mkfirmware", "--chip", "mt6737", "--out", pkg, "--variant", "nope"], expect=2).returncode == 2,
          "an unknown variant is a usage error")
    check(run([MTKEMU, "mkfirmware", "--chip", "mt9999", "--out", os.path.join(tmp, "x")], expect=1).returncode == 1,
          "an unknown chip is refused")


def body(tmp):
    for chip in CHIPS:
        pkg, doc, gpt = test_chip(tmp, chip)
        if chip in XFLASH:
            test_xflash(tmp, chip, pkg, doc)
        if chip in ("mt6572", "mt6737"):
            variants = test_variants(tmp, chip, pkg, doc, gpt)
            # the layout-changed package no longer matches the default device
            ldoc = inspect(variants["layout-changed"])
            dev = by_name(gpt["partitions"])
            cache = [p for p in ldoc["partitions"] if p["name"].lower() == "cache"][0]
            check(dev[cache["name"]]["size"] != cache["size"], "%s layout-changed: differs from the device" % chip)
            test_dram(tmp, chip, pkg, doc, variants)
    test_outputs(tmp)


if __name__ == "__main__":
    sys.exit(mtkutil.in_tmpdir("mtk-mkfirmware-", body))
