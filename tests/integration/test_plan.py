#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mtkflash plan against the emulator: MT6737 (GPT era) and MT6572 (MBR/PMT
era, old names).  A package laid out as the device is plans as identical
and sends only the sparse image's data; a package from another real scatter
of the same chip is a layout change, refused in the download scene and
planned in the upgrade scene; plan writes nothing to the device."""
import hashlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkgimages  # noqa: E402
from mtkutil import MTKFLASH, SCATTERS, check, in_tmpdir, provision, run, write_file  # noqa: E402

D6737 = "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt"
K6737 = "MT6737M__ksauraj_device_x5511B_dump__MT6737M_Android_scatter.txt"
W6572 = "MT6572__WikoSunset2-LineageOS_wiko_s4050ap_part_layout__MT6572_Android_scatter.txt"


def package(tmp, fixture):
    """A package folder: the fixture scatter, a boot image and a sparse system image."""
    pkg = os.path.join(tmp, "pkg-" + fixture[:8])
    os.makedirs(pkg, exist_ok=True)
    scatter = os.path.join(pkg, fixture)
    shutil.copy(os.path.join(SCATTERS, fixture), scatter)
    write_file(os.path.join(pkg, "boot.img"), pkgimages.bootimg())
    img, _ = pkgimages.sparse([("raw", b"\x5a" * 8192), ("hole", 4096), ("fill", 0x11223344, 2), ("crc",)])
    write_file(os.path.join(pkg, "system.img"), img)
    return scatter


def plan(state, chip, scatter, *args, expect=0):
    p = run([MTKFLASH, "-q", "--json", "--port", "emu:%s,state=%s" % (chip, state), "plan", scatter] + list(args),
            expect=expect)
    return json.loads(p.stdout), p


def entry(doc, name):
    for e in doc["plan"]["entries"]:
        if name in (e["partition"], e["device_name"]):
            return e
    raise AssertionError("no plan entry " + name)


def digest(path):
    return hashlib.sha256(open(path, "rb").read(1 << 20)).hexdigest()


def mt6737(tmp):
    state = provision(os.path.join(tmp, "s6737"), "mt6737", os.path.join(SCATTERS, D6737), ["--user-size", "16G"])
    before = {f: digest(os.path.join(state, f)) for f in ("boot1.bin", "user.bin")}
    scatter = package(tmp, D6737)
    doc, _ = plan(state, "mt6737", scatter, "--only", "boot,system", "--mode", "quick")
    fp = doc["fingerprint"]
    check(fp["brom"]["chip"] == "MT6737", "fingerprint chip: %s" % fp["brom"]["chip"])
    check(fp["table"]["kind"] == "gpt" and len(fp["table"]["sha256"]) == 64, "fingerprint table: gpt + SHA-256")
    check(fp["preloader"]["present"] and fp["preloader"]["emi_records"] >= 1, "fingerprint: boot1 preloader read")
    check(fp["device_id"].startswith("mt6737-"), "device id: %s" % fp["device_id"])
    check(not doc["plan"]["layout_change"], "same layout: no layout change")
    boot, system = entry(doc, "boot"), entry(doc, "system")
    check(boot["action"] == "write" and boot["match"] == "identical", "boot: write, identical")
    check(boot["bytes"] == len(pkgimages.bootimg()), "boot: bytes = the image's size")
    check(system["sparse"] and system["bytes"] == 8192 + 2 * 4096, "system: sparse, data bytes only: %d" % system["bytes"])
    check(entry(doc, "preloader")["action"] == "skip", "preloader unselected (--only)")
    check(entry(doc, "nvram")["action"] == "keep", "nvram kept")
    names = [e["partition"] for e in doc["plan"]["entries"]]
    check(names[-1] == "preloader", "the preloader comes last")
    check(names.index("system") < names.index("boot"), "data before boot")
    risk = {f["factor"]: f for f in doc["risk"]["factors"]}
    check(risk["package_unsigned"]["state"] == "yes", "unsigned package scored")
    check(risk["battery_low"]["state"] == "unknown", "battery: unknown")
    check(doc["decision"]["verdict"] == "allow", "quick mode allows: %s" % doc["decision"])
    # Safe mode refuses an unsigned package, naming the factor.
    doc, p = plan(state, "mt6737", scatter, "--only", "boot,system", expect=6)
    check(doc["decision"]["verdict"] == "refuse" and "package_unsigned" in p.stderr, "safe mode refuses unsigned")
    # A package from another real MT6737M scatter: the layout must change.
    other = package(tmp, K6737)
    doc, p = plan(state, "mt6737", other, "--only", "boot", "--mode", "quick", expect=6)
    check(doc["plan"]["layout_change"], "other layout: layout change")
    check(any("STATUS_PMT_CHANGED" in r for r in doc["plan"]["refusals"]), "download scene refuses a layout change")
    doc, _ = plan(state, "mt6737", other, "--only", "boot", "--mode", "quick", "--scene", "upgrade")
    check(doc["plan"]["layout_change"] and not doc["plan"]["refusals"], "upgrade scene plans the layout change")
    check(entry(doc, "nvram")["action"] == "backup", "upgrade: nvram backed up")
    # Usage errors.
    run([MTKFLASH, "--port", "emu:mt6737,state=" + state, "plan", scatter, "--override", "chip_mismatch",
         "--mode", "service"], expect=2)
    run([MTKFLASH, "--port", "emu:mt6737,state=" + state, "plan", scatter, "--scene", "flash-all"], expect=2)
    after = {f: digest(os.path.join(state, f)) for f in ("boot1.bin", "user.bin")}
    check(before == after, "plan wrote nothing")


def mt6572(tmp):
    state = provision(os.path.join(tmp, "s6572"), "mt6572", os.path.join(SCATTERS, W6572))
    scatter = package(tmp, W6572)
    doc, _ = plan(state, "mt6572", scatter, "--only", "BOOTIMG,ANDROID", "--mode", "quick")
    check(doc["fingerprint"]["table"]["kind"] in ("pmt", "mbr"), "MT6572: PMT/MBR table: %s"
          % doc["fingerprint"]["table"]["kind"])
    check(not doc["plan"]["layout_change"], "MT6572 same layout: no change (%s)" % [
        (e["partition"], e["device_name"], e["match"], e["note"]) for e in doc["plan"]["entries"]
        if e["match"] not in ("identical", "alias")])
    check(entry(doc, "BOOTIMG")["action"] == "write", "MT6572: BOOTIMG written")
    check(entry(doc, "ANDROID")["sparse"], "MT6572: ANDROID sparse")


def body(tmp):
    mt6737(tmp)
    mt6572(tmp)


sys.exit(in_tmpdir("mtk-plan-", body))
