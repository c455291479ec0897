#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""readback DIR, then flash back from it.

A small MT6580 phone (its own scatter, user area sized so userdata reaches
the reserved tail, as on a phone after a full download) is read back whole.
The scatter readback writes must pass the project's scatter checks
(`mtkflash inspect`, trusting the station key that signs the folder): exit 0
and no problem at all; its project is the board the device's preloader names; the tail
partitions are marked reserved.  Then `boot` is overwritten and written back
from the backup's boot.img, and must read back equal to the backup."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, check, environment, in_tmpdir, provision, read_file, run, write_file  # noqa: E402

# name, start, size, region, reserved
LAYOUT = [
    ("preloader", 0x0, 0x40000, "EMMC_BOOT_1", False),
    ("pgpt", 0x0, 0x80000, "EMMC_USER", False),
    ("proinfo", 0x80000, 0x300000, "EMMC_USER", False),
    ("nvram", 0x380000, 0x500000, "EMMC_USER", False),
    ("lk", 0x880000, 0x80000, "EMMC_USER", False),
    ("boot", 0x900000, 0x1000000, "EMMC_USER", False),
    ("recovery", 0x1900000, 0x1000000, "EMMC_USER", False),
    ("system", 0x2900000, 0x4000000, "EMMC_USER", False),
    ("userdata", 0x6900000, 0x2000000, "EMMC_USER", False),
    ("flashinfo", 0xFFFF0084, 0x1000000, "EMMC_USER", True),
    ("sgpt", 0xFFFF0004, 0x80000, "EMMC_USER", True),
]
USER_SIZE = 0x6900000 + 0x2000000 + 0x1000000 + 0x80000


def write_scatter(path):
    out = ["- general: MTK_PLATFORM_CFG", "  info: ", "    - config_version: V1.1.2",
           "      platform: MT6580", "      project: readback_test", "      storage: EMMC",
           "      boot_channel: MSDC_0", "      block_size: 0x20000", ""]
    for i, (name, start, size, region, rsv) in enumerate(LAYOUT):
        out += ["- partition_index: SYS%d" % i, "  partition_name: %s" % name,
                "  file_name: %s" % ("NONE" if rsv or name.endswith("gpt") else name + ".img"),
                "  is_download: %s" % ("false" if rsv or name.endswith("gpt") else "true"),
                "  type: %s" % ("SV5_BL_BIN" if name == "preloader" else "NORMAL_ROM"),
                "  linear_start_addr: 0x%x" % start, "  physical_start_addr: 0x%x" % start,
                "  partition_size: 0x%x" % size, "  region: %s" % region, "  storage: HW_STORAGE_EMMC",
                "  boundary_check: %s" % ("false" if rsv else "true"),
                "  is_reserved: %s" % ("true" if rsv else "false"),
                "  operation_type: %s" % ("RESERVED" if rsv else "BOOTLOADERS" if name == "preloader" else "UPDATE"),
                "  reserve: 0x00", ""]
    with open(path, "w") as f:
        f.write("\n".join(out))


def scatter_blocks(path):
    blocks, cur = [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("- partition_index:"):
                cur = {}
                blocks.append(cur)
            elif cur is not None and ":" in line:
                k, v = (x.strip() for x in line.split(":", 1))
                cur[k] = v
    return blocks


def test(tmp):
    scatter = os.path.join(tmp, "MT6580_Android_scatter.txt")
    write_scatter(scatter)
    state = os.path.join(tmp, "phone")
    provision(state, "mt6580", scatter, ["--user-size", str(USER_SIZE)])
    port = "emu:mt6580,state=%s" % state
    backup = os.path.join(tmp, "backup")
    env = environment(tmp)
    doc = json.loads(run([MTKFLASH, "-q", "--json", "--port", port, "readback", backup], env=env).stdout)
    out_scatter = doc["scatter"]
    check(os.path.dirname(out_scatter) == backup, "scatter written to %s" % out_scatter)

    # readback is `backup full`: the folder is signed with this station's key.
    station = os.path.join(env["XDG_DATA_HOME"], "mtkflash", "station.pub")
    p = run([MTKFLASH, "--json", "inspect", out_scatter, "--trust", station], expect=None, env=env)
    rep = json.loads(p.stdout)
    check(p.returncode == 0 and rep.get("ok"), "inspect of the readback scatter: exit %d" % p.returncode)
    other = rep.get("problems", [])
    check(not other, "inspect finds problems in the readback scatter: %s" % other)
    check(len(rep["partitions"]) == len(LAYOUT), "inspect sees %d partitions" % len(rep["partitions"]))
    check(rep.get("project") == "mtkemu_mt6580", "readback project is %r, not the preloader's board"
          % rep.get("project"))
    blocks = {b["partition_name"]: b for b in scatter_blocks(out_scatter)}
    for name, _, _, _, rsv in LAYOUT:
        b = blocks.get(name, {})
        check(b.get("is_reserved") == ("true" if rsv else "false"),
              "readback scatter: %s is_reserved %s" % (name, b.get("is_reserved")))

    # Flash back: spoil boot, then restore it from the backup.
    boot_img = os.path.join(backup, "boot.img")
    junk = write_file(os.path.join(tmp, "junk.bin"), os.urandom(2 << 20))
    run([MTKFLASH, "-q", "--port", port, "write", "boot", junk], env=env)
    run([MTKFLASH, "-q", "--port", port, "write", "boot", boot_img], env=env)
    back = os.path.join(tmp, "boot-after.bin")
    run([MTKFLASH, "-q", "--port", port, "read", "boot", back], env=env)
    check(read_file(back) == read_file(boot_img), "boot after flashing back the backup differs from the backup")


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-readback-", test))
