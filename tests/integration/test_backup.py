#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The backup store and the service passphrase through the real CLI against
the emulator: backup create, list, verify; nvram changed on the device with
write --allow-protected; backup restore puts the emulator's storage bytes
back exactly; a damaged backup is refused before the device is touched;
service set-passphrase / check from a file descriptor."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import (MTKFLASH, check, flash, in_tmpdir, provision_fixture, read_file,  # noqa: E402
                     run, state_bytes, write_file)

CHIPS = [
    # chip, fixture, provision extras, the nvram partition's name in that era
    ("MT6737", "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt", ["--user-size", "16G"], "nvram"),
    ("MT6572", "MT6572__Dewil-King_Sectter-File__MT6572_Android_scatter.txt", [], "NVRAM"),
]


def xdg_env(tmp):
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = os.path.join(tmp, "data")
    env["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
    env["XDG_RUNTIME_DIR"] = os.path.join(tmp, "run")
    os.makedirs(env["XDG_RUNTIME_DIR"], exist_ok=True)
    return env


def part_of(backup, name):
    for p in backup["partitions"]:
        if p["partition"].lower() == name.lower():
            return p
    raise AssertionError("no %s in backup %s" % (name, backup["id"]))


def backup_round_trip(tmp, chip, fixture, extra, nvram):
    env = xdg_env(os.path.join(tmp, chip))
    state = provision_fixture(tmp, chip.lower(), fixture, extra)
    port = "emu:%s,state=%s" % (chip.lower(), state)
    doc = flash(port, "backup", "create", json_out=True, env=env)
    b = doc["backup"]
    bid = b["id"]
    nv = part_of(b, nvram)
    check(all(p["partition"].lower() != "boot" for p in b["partitions"]), "%s: boot is not protected" % chip)
    folder = os.path.join(env["XDG_DATA_HOME"], "mtkflash", "backups", bid)
    check(os.stat(folder).st_mode & 0o777 == 0o700, "%s: backup folder is not 0700" % chip)
    check(os.stat(os.path.join(folder, nv["file"])).st_mode & 0o777 == 0o600, "%s: backup file is not 0600" % chip)
    original = state_bytes(state, nv["region"], nv["offset"], nv["size"])
    check(read_file(os.path.join(folder, nv["file"])) == original, "%s: backup file != device's %s" % (chip, nvram))
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    dev = manifest["device"]
    check(dev["chip"] == chip and "me_id" in dev and len(dev["layout_sha256"]) == 64 and dev["storage"] == "emmc",
          "%s: manifest device facts %s" % (chip, dev))
    check(manifest["device_id"] == bid.split("/")[0] and "fingerprint" in manifest, "%s: manifest ids" % chip)

    listed = run([MTKFLASH, "--json", "backup", "list"], env=env)
    ids = [x["id"] for x in json.loads(listed.stdout)["backups"]]
    check(ids == [bid], "%s: list shows %s, not [%s]" % (chip, ids, bid))
    run([MTKFLASH, "backup", "verify", bid], env=env)

    # The phone's NVRAM gets damaged (a bad tool, a bad flash)...
    junk = write_file(os.path.join(tmp, chip + "-junk.bin"), os.urandom(256 * 1024))
    flash(port, "write", nvram, junk, "--allow-protected", env=env)
    check(state_bytes(state, nv["region"], nv["offset"], nv["size"]) != original, "%s: nvram not changed" % chip)
    # ... and the backup puts it back, byte for byte in the emulator's storage.
    doc = flash(port, "backup", "restore", bid.split("/")[1], "--only", nvram, json_out=True, env=env)
    check(part_of(doc["backup"], nvram)["state"] == "ok", "%s: restore state %s" % (chip, doc["backup"]))
    check(state_bytes(state, nv["region"], nv["offset"], nv["size"]) == original,
          "%s: emulator storage after restore != original %s" % (chip, nvram))

    # A backup with one byte changed is refused before any device is needed.
    path = os.path.join(folder, nv["file"])
    data = bytearray(read_file(path))
    data[100] ^= 0xFF
    write_file(path, bytes(data))
    p = run([MTKFLASH, "backup", "verify", bid], expect=5, env=env)
    check(nvram in p.stderr and "changed" in p.stdout, "%s: verify names the changed partition" % chip)
    p = run([MTKFLASH, "--port", "emu:%s,state=%s" % (chip.lower(), os.path.join(tmp, "nowhere")),
             "backup", "restore", bid], expect=5, env=env)
    check(not os.path.exists(os.path.join(tmp, "nowhere")), "%s: a damaged restore touched a device" % chip)


def with_fd(env, args, text, expect):
    """mtkflash ARGS --passphrase-fd N with `text` on that descriptor."""
    p = mtkutil.run_fd(args, text, env=env)
    check(p.returncode == expect, "%s: exit %d, wanted %d (%s)" % (" ".join(args), p.returncode, expect, p.stderr))
    return p


def service(tmp):
    env = xdg_env(os.path.join(tmp, "svc"))
    p = with_fd(env, ["service", "check"], "whatever it is\n", 6)
    check("set-passphrase" in p.stderr, "locked service mode says how to unlock it")
    with_fd(env, ["service", "set-passphrase"], "short\n", 2)
    with_fd(env, ["service", "set-passphrase"], "first passphrase\n", 0)
    path = os.path.join(env["XDG_CONFIG_HOME"], "mtkflash", "service.pass")
    check(os.stat(path).st_mode & 0o777 == 0o600, "service.pass is not 0600")
    check(b"first passphrase" not in read_file(path), "service.pass holds the passphrase itself")
    with_fd(env, ["service", "check"], "first passphrase\n", 0)
    with_fd(env, ["service", "check"], "first passphrasE\n", 6)
    # Replacing: the current one, then the new one.
    with_fd(env, ["service", "set-passphrase"], "not the current\nsecond passphrase\n", 6)
    with_fd(env, ["service", "set-passphrase"], "first passphrase\nsecond passphrase\n", 0)
    with_fd(env, ["service", "check"], "second passphrase\n", 0)
    p = run([MTKFLASH, "service", "check"], expect=2, env=env)
    check("--passphrase-fd" in p.stderr, "no terminal: check asks for --passphrase-fd")


def body(tmp):
    for chip, fixture, extra, nvram in CHIPS:
        backup_round_trip(tmp, chip, fixture, extra, nvram)
    service(tmp)


if __name__ == "__main__":
    sys.exit(in_tmpdir("test_backup", body))
