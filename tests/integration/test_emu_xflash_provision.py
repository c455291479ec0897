#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`mtkemu provision --scatter` for every xflash chip's real scatter in the
fixtures: V2.x files give their EMMC block, a layout bigger than the chip's
default eMMC gets the next power of two that holds it (no --user-size), and
printgpt on the provisioned phone lists exactly the scatter's partitions.  A
V2.x file with only a UFS layout is refused with a message that says why."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import MTKEMU, SCATTERS, check, flash, run  # noqa: E402
mtkutil.EMU_LEAK_SCAN = True  # mtkemu's own commands are what this tests

# (chip, fixture, V2.x?)
FIXTURES = [
    ("mt6739", "MT6739__Dewil-King_Sectter-File__MT6739_Android_scatter.txt", False),
    ("mt6739", "MT6739__ReimuNotMoe_Philips-E289-Hack__MT6739_Android_scatter.txt", False),
    ("mt6750", "MT6750__Dewil-King_Sectter-File__MT6750_Android_scatter.txt", False),
    ("mt6750", "MT6750__ttefke_android_device_nb_vernee_M5__MT6750_Android_scatter.txt", False),
    ("mt6755", "MT6755__Dewil-King_Sectter-File__MT6755_Android_scatter.txt", False),
    ("mt6757", "MT6757__Dewil-King_Sectter-File__MT6757_Android_scatter.txt", False),
    ("mt6757", "MT6757__GEEKOFIA_Marino-Fasboot-Firmware-Flash-Scripts__MT6757_Android_scatter.txt", False),
    ("mt6761", "MT6761__Dewil-King_Sectter-File__MT6761_Android_scatter.txt", False),
    ("mt6762", "MT6761__Dewil-King_Sectter-File__MT6761_Android_scatter.txt", False),
    ("mt6763", "MT6763__Dewil-King_Sectter-File__MT6763_Android_scatter.txt", False),
    ("mt6763", "MT6763V__Dewil-King_Sectter-File__MT6763V_Android_scatter.txt", False),
    ("mt6763", "MT6763__Janddda_umidigi_z2_se__MT6763_Android_scatter.txt", False),
    ("mt6765", "MT6765__Dewil-King_Sectter-File__MT6765_Android_scatter.txt", False),
    ("mt6765", "MT6765__Dewil-King_Sectter-File__MT6765-Android_scatter_Fastboot.txt", False),
    ("mt6768", "MT6768__Carlitoshsh_scatter__MT6768_Android_scatter.txt", False),
    ("mt6768", "MT6768__Dewil-King_Sectter-File__MT6768_Android_scatter.txt", False),
    ("mt6771", "MT6771__Dewil-King_Sectter-File__MT6771_Android_scatter_8.1.txt", False),
    ("mt6771", "MT6771T__Dewil-King_Sectter-File__MT6771T_Android_scatter_9.0.txt", True),
    ("mt6785", "MT6785__Dewil-King_Sectter-File__MT6785_Android_scatter.txt", True),
    ("mt6797", "MT6797__Dewil-King_Sectter-File__MT6797_Android_scatter.txt", False),
]
GIB = 1 << 30


def emmc_records(path):
    """(name, linear, size, reserved) of the file's eMMC records, in order."""
    recs, cur, block = [], None, "EMMC"
    with open(path) as f:
        for line in f:
            key, _, val = line.strip().lstrip("- ").partition(":")
            val = val.strip()
            if key == "storage_type":
                block = val
            elif key == "partition_name" and block == "EMMC":
                cur = {"name": val, "reserved": False}
                recs.append(cur)
            elif key == "partition_name":
                cur = None
            elif cur is not None and key in ("linear_start_addr", "partition_size"):
                cur[key] = int(val, 16)
            elif cur is not None and key == "is_reserved":
                cur["reserved"] = val == "true"
    return recs


def layout_end(recs):
    """Bytes of user area the layout needs: last partition's end plus the reserved tail."""
    user = [r for r in recs if r["name"] != "preloader"]
    base = min(r["linear_start_addr"] for r in user if not r["reserved"])
    end = max(r["linear_start_addr"] - base + r["partition_size"] for r in user if not r["reserved"])
    return end + sum(r["partition_size"] for r in user if r["reserved"])


def one(tmp, i, chip, fixture, v2):
    path = os.path.join(SCATTERS, fixture)
    state = os.path.join(tmp, "s%02d-%s" % (i, chip))
    out = run([MTKEMU, "provision", "--chip", chip, "--state", state, "--scatter", path]).stdout
    recs = emmc_records(path)
    need = layout_end(recs)
    user = os.path.getsize(os.path.join(state, "user.bin"))
    check(user >= need and (user == 8 * GIB or user // 2 < need) and user & (user - 1) == 0,
          "%s: user area 0x%x: the default, or the next power of two over the layout (0x%x)"
          % (fixture, user, need))
    check(("sizing  user area" in out) == (user > 8 * GIB), "%s: provision says when it sized the user area" % fixture)
    check(("the EMMC block of this V2.x scatter (it has: EMMC, UFS)" in out) == v2,
          "%s: provision names the V2.x block it laid out" % fixture)
    doc = flash("emu:%s,state=%s,mode=preloader" % (chip, state), "printgpt", json_out=True)
    got = sorted(p["name"] for p in doc["partitions"])
    want = sorted(set(r["name"] for r in recs))
    check(got == want, "%s: printgpt lists the scatter's partitions (extra %s, missing %s)"
          % (fixture, sorted(set(got) - set(want)), sorted(set(want) - set(got))))
    check(doc["storage"]["user"] == user, "%s: the DA reports the user area provisioned" % fixture)


def ufs_only(tmp):
    """The MT6785 file's header and UFS block, without its EMMC block."""
    src = mtkutil.read_file(os.path.join(SCATTERS, FIXTURES[-2][1])).decode()
    head, rest = src.split("- storage_type: EMMC", 1)
    ufs = "- storage_type: UFS" + rest.split("- storage_type: UFS", 1)[1]
    path = os.path.join(tmp, "ufs_only_scatter.txt")
    with open(path, "w") as f:
        f.write(head + ufs)
    p = run([MTKEMU, "provision", "--chip", "mt6785", "--state", os.path.join(tmp, "ufs"), "--scatter", path],
            expect=1)
    line = head.count("\n") + 1
    check("%s:%d: this V2.x scatter has no EMMC layout (storage_type: UFS); the emulator models eMMC, not UFS"
          % (path, line) in p.stderr, "a UFS-only V2.x scatter is refused, naming file and line (%r)" % p.stderr)
    check(not os.path.exists(os.path.join(tmp, "ufs")), "nothing is provisioned from it")


def body(tmp):
    for i, (chip, fixture, v2) in enumerate(FIXTURES):
        one(tmp, i, chip, fixture, v2)
    ufs_only(tmp)


if __name__ == "__main__":
    sys.exit(mtkutil.in_tmpdir("mtk-xflash-provision-", body))
