#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""backup full DIR, wipe the phone, backup restore DIR (issue 15).

On MT6572 (MBR/PMT era, legacy DA), MT6737 (GPT, legacy DA) and MT6765
(xflash DA, with --compress: one zstd stream per area), each a small phone
laid out as mkfirmware's package: `backup full` (a signed unit whose files
are sparse), then boot1, boot2 and the
whole user area (tables included) are wiped in the emulator's state files,
then `backup restore --yes` must bring back every range unit.json lists
byte for byte, and the phone must boot per the emulator's boot model.

On MT6737 also: an incomplete unit, a tampered one (a changed image, a
changed unit.json, a re-signed SHA256SUMS by an untrusted key) and another
phone's unit are refused with the reason, before anything is written; and a
backup with an unreadable range planted in userdata completes with that
range in unit.json's bad-range map and in the audit log, exit status 5."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (MTKEMU, MTKFLASH, check, content, environment, in_tmpdir, read_file, run,  # noqa: E402
                     run_fd, shrunk_scatter, write_file)

SCATTER = {"mt6572": "MT6572_Android_scatter.txt", "mt6737": "MT6737_Android_scatter.txt",
           "mt6765": "MT6765_Android_scatter.txt"}
AREAS = {"boot1": "boot1.bin", "boot2": "boot2.bin", "user": "user.bin"}
TAIL = 0xFFFF0000  # scatter addresses from here on count from the end of the user area


def user_size(scatter):
    """Room for the packed partitions plus the tail ones, as a phone after a full download."""
    end = tail = 0
    start = size = None
    for line in read_file(scatter).decode().splitlines():
        key, _, val = line.strip().partition(":")
        if key == "linear_start_addr":
            start = int(val, 16)
        elif key == "partition_size":
            size = int(val, 16)
        elif key == "region" and val.strip() == "EMMC_USER" and start is not None:
            if start >= TAIL:
                tail += size
            else:
                end = max(end, start + size)
    return (end + tail + (1 << 20) - 1) & ~((1 << 20) - 1)


def phone(tmp, env, chip, tag, extra=()):
    pkg = os.path.join(tmp, "pkg-" + chip)
    if not os.path.isdir(pkg):
        run([MTKEMU, "mkfirmware", "--chip", chip, "--out", pkg], env=env)
    small = shrunk_scatter(os.path.join(pkg, SCATTER[chip]), os.path.join(tmp, "small-%s.txt" % chip), 1 << 20)
    # The MBR/PMT era's scatter says physical_start_addr 0x0 throughout: packing must not make it negative.
    text = re.sub(r"physical_start_addr: -0x[0-9a-fA-F]+", "physical_start_addr: 0x0", read_file(small).decode())
    write_file(small, text.encode())
    state = os.path.join(tmp, "state-%s-%s" % (chip, tag))
    run([MTKEMU, "provision", "--chip", chip, "--state", state, "--scatter", small, "--user-size",
         str(user_size(small))] + list(extra), env=env)
    return state


def port(chip, state, faults=None):
    return "emu:%s,state=%s" % (chip, state) + (",faults=" + faults if faults else "")


def boots(state):
    p = run([MTKEMU, "boot-check", "--state", state, "--json"], expect=None)
    return json.loads(p.stdout)


def wipe(state):
    """Boot areas and the user area (with its tables) blank, as new storage."""
    for name in AREAS.values():
        path = os.path.join(state, name)
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(0)
            f.truncate(size)


def ranges(unit):
    return json.loads(read_file(os.path.join(unit, "unit.json")))["areas"]


def snapshot(state, areas):
    return {a["name"]: content(state, a["region"], a["offset"], a["size"]) for a in areas}


def whole(state):
    return {r: content(state, r, 0, os.path.getsize(os.path.join(state, f))) for r, f in AREAS.items()}


def backup(env, chip, state, unit, *extra, expect=0, faults=None):
    p = run([MTKFLASH, "--json", "--after", "reboot", "--port", port(chip, state, faults), "backup", "full",
             unit] + list(extra), expect=expect, env=env)
    return json.loads(p.stdout), p


def restore(env, chip, state, unit, *extra, expect=0):
    return run([MTKFLASH, "--port", port(chip, state), "backup", "restore", unit, "--yes"] + list(extra),
               expect=expect, env=env)


def round_trip(tmp, env, chip, compress=False):
    state = phone(tmp, env, chip, "rt")
    check(boots(state)["boots"], "%s: the provisioned phone boots" % chip)
    unit = os.path.join(tmp, "unit-" + chip)
    doc, _ = backup(env, chip, state, unit, *(["--compress"] if compress else []))
    areas = ranges(unit)
    names = {a["name"] for a in areas}
    regions = {a["region"] for a in areas}
    check({"boot1", "boot2", "user"} <= regions, "%s: the unit holds boot1, boot2 and user areas: %s"
          % (chip, sorted(regions)))
    tables = [a["name"] for a in areas if a["class"] == "table"]
    check(tables, "%s: the unit holds the partition tables (%s)" % (chip, tables))
    check([x["name"] for x in doc["not_backed_up"]] == ["rpmb"] and "authenticated" in doc["not_backed_up"][0]["why"],
          "%s: RPMB listed as not backed up, with why: %s" % (chip, doc["not_backed_up"]))
    for a in areas:
        path = os.path.join(unit, a["file"])
        if compress:
            check(a["file"].endswith(".img.zst") and a["compression"] == "zstd" and
                  read_file(path, 4) == b"\x28\xb5\x2f\xfd", "%s: %s is a zstd stream" % (chip, a["file"]))
        else:
            check(os.path.getsize(path) == a["size"], "%s: %s is the area's size" % (chip, a["file"]))
    used = sum(os.stat(os.path.join(unit, a["file"])).st_blocks * 512 for a in areas)
    check(used < sum(a["size"] for a in areas) // 2, "%s: holes or zstd keep the unit small (%d bytes on disk)"
          % (chip, used))
    before = snapshot(state, areas)
    wipe(state)
    check(not boots(state)["boots"], "%s: the wiped phone does not boot" % chip)
    restore(env, chip, state, unit)
    after = snapshot(state, areas)
    bad = [n for n in names if before[n] != after[n]]
    check(not bad, "%s: every range the unit lists is back byte for byte (differs: %s)" % (chip, bad))
    b = boots(state)
    check(b["boots"], "%s: the restored phone boots (%s)" % (chip, b.get("why")))
    return state, unit


def copy_unit(unit, dst):
    subprocess.run(["cp", "-a", "--sparse=always", unit, dst], check=True)
    return dst


def refused(env, state, unit, code, text, tag):
    before = whole(state)
    p = restore(env, "mt6737", state, unit, expect=None)
    check(p.returncode == code, "%s: exit %d, not %d (%s)" % (tag, p.returncode, code, p.stderr[-400:]))
    check(text in p.stderr, "%s: the reason names %r: %s" % (tag, text, p.stderr[-400:]))
    check(whole(state) == before, "%s: nothing was written" % tag)


def refusals(tmp, env, state, unit):
    inc = copy_unit(unit, os.path.join(tmp, "incomplete"))
    os.remove(os.path.join(inc, "nvram.img"))
    refused(env, state, inc, 5, "missing nvram.img", "incomplete unit")

    bad_img = copy_unit(unit, os.path.join(tmp, "tampered-img"))
    with open(os.path.join(bad_img, "lk.img"), "r+b") as f:
        f.write(b"\xde\xad")
    refused(env, state, bad_img, 5, "lk.img differs from its signed SHA256SUMS", "tampered image")

    bad_manifest = copy_unit(unit, os.path.join(tmp, "tampered-manifest"))
    path = os.path.join(bad_manifest, "unit.json")
    doc = json.loads(read_file(path))
    doc["device_id"] = "mt6737-0000000000000000"
    write_file(path, json.dumps(doc).encode())
    refused(env, state, bad_manifest, 5, "unit.json differs", "tampered manifest")

    # Re-hashed and re-signed by a key this station does not trust.
    resigned = copy_unit(bad_manifest, os.path.join(tmp, "resigned"))
    key = os.path.join(tmp, "other")
    run([MTKFLASH, "keygen", "--out", key], env=env)
    for name in ("SHA256SUMS", "SHA256SUMS.minisig"):
        os.remove(os.path.join(resigned, name))
    run([MTKFLASH, "manifest", "create", resigned, "--key", key + ".key"], env=env)
    refused(env, state, resigned, 5, "signature", "re-signed by an untrusted key")

    other = phone(tmp, env, "mt6737", "other", ["--imei", "490154203237518"])
    before = whole(other)
    p = restore(env, "mt6737", other, unit, expect=None)
    check(p.returncode == 6, "another phone's unit: exit 6, not %d (%s)" % (p.returncode, p.stderr[-400:]))
    check("protected partitions" in p.stderr and "nvram" in p.stderr and "--allow-foreign" in p.stderr,
          "another phone's unit: the reason names the protected partitions and the override: %s" % p.stderr[-500:])
    check(whole(other) == before, "another phone's unit: nothing was written")

    # Service mode overrides by name: every protected partition named, and the passphrase.
    protected = [a["name"] for a in ranges(unit) if a["class"] == "protected"]
    p = run_fd(["service", "set-passphrase"], "service passphrase 1\n", env=env)
    check(p.returncode == 0, "service passphrase set (%s)" % p.stderr[-200:])
    args = ["--port", port("mt6737", other), "backup", "restore", unit, "--yes", "--allow-foreign"]
    p = run_fd(args + [",".join(protected[:1])], "service passphrase 1\n", env=env)
    check(p.returncode == 6 and ",".join(protected[1:]) in p.stderr and whole(other) == before,
          "one name of %s allowed: refused naming the others, nothing written (%d %s)"
          % (protected, p.returncode, p.stderr[-300:]))
    p = run_fd(args + [",".join(protected)], "wrong passphrase\n", env=env)
    check(p.returncode == 6 and "service mode" in p.stderr and whole(other) == before,
          "every name but a wrong passphrase: refused, nothing written (%d %s)" % (p.returncode, p.stderr[-300:]))
    p = run_fd(args + [",".join(protected)], "service passphrase 1\n", env=env)
    check(p.returncode == 0, "every name and the passphrase: restored (%d %s)" % (p.returncode, p.stderr[-300:]))
    areas = ranges(unit)
    check(snapshot(other, areas) == snapshot(state, areas), "the other phone now holds the unit, byte for byte")


def bad_range(tmp, env):
    state = phone(tmp, env, "mt6737", "bad")
    unit = os.path.join(tmp, "unit-bad")
    userdata = [a for a in json.loads(run([MTKFLASH, "-q", "--json", "--port", port("mt6737", state), "printgpt"],
                                          env=env).stdout)["partitions"] if a["name"] == "userdata"][0]
    at = userdata["start"] + 0x10000
    doc, p = backup(env, "mt6737", state, unit, expect=5, faults="read-error=user:%#x:0x2000" % at)
    want = [{"area": "userdata", "offset": 0x10000, "length": 0x2000}]
    got = json.loads(read_file(os.path.join(unit, "unit.json")))["bad_ranges"]
    check(got == want, "bad range in unit.json: %s" % got)
    check(doc["bad_ranges"] == want, "bad range in the JSON output: %s" % doc["bad_ranges"])
    events = [json.loads(line) for line in open(doc["audit_log"])]
    reads = [e for e in events if e["event"] == "read" and e["partition"] == "userdata"]
    check(reads and reads[0]["bad_ranges"] == [{"offset": at, "length": 0x2000}],
          "bad range in the audit log: %s" % reads)
    check(events[-1]["event"] == "signature", "the backup's audit log is signed")
    others = [e for e in events if e["event"] == "read" and e["partition"] != "userdata" and e["bad_ranges"]]
    check(not others, "everything else was read: %s" % others)


def test(tmp):
    env = environment(tmp)
    state, unit = None, None
    for chip in ("mt6572", "mt6737", "mt6765"):
        s, u = round_trip(tmp, env, chip, compress=chip == "mt6765")
        if chip == "mt6737":
            state, unit = s, u
    refusals(tmp, env, state, unit)
    bad_range(tmp, env)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-backup-unit-", test))
