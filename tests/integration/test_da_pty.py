#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The DA commands over a real pty, as a user runs them against mtkemu:

  mtkemu provision --chip mt6737 --state S --scatter <x5511B scatter>
  mtkemu --chip mt6737 --state S --link S/tty          (waits for "ready")
  mtkflash --port serial:S/tty printgpt --json          (no --da)

Without --da the tool offers its bundled synthetic DA because the port is a
pty (a software device).  printgpt must list the scatter's partitions with
the scatter's start addresses (the 0xFFFFxxxx tail ones resolved from the end
of the user area, formats.md §1.8); 8 MiB of random data written to `boot`
read back byte for byte; SIGTERM ends the emulator cleanly."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (MTKFLASH, SCATTERS, check, in_tmpdir, provision, read_file, read_line,  # noqa: E402
                     run, start_emu, stop_emu, write_file)

FIXTURE = os.path.join(SCATTERS, "MT6737M__ksauraj_device_x5511B_dump__MT6737M_Android_scatter.txt")
REGIONS = {"EMMC_BOOT_1": "boot1", "EMMC_BOOT_2": "boot2", "EMMC_USER": "user"}


def scatter_parts(path):
    """[(name, start, size, region)] from a V1.1.x scatter, in file order."""
    parts, cur = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if ":" not in line:
                continue
            key, val = (x.strip() for x in line.lstrip("- ").split(":", 1))
            if key == "partition_name":
                cur = {"name": val}
                parts.append(cur)
            elif cur is not None and key in ("physical_start_addr", "partition_size"):
                cur[key] = int(val, 16)
            elif cur is not None and key == "region":
                cur["region"] = REGIONS.get(val, val)
    return parts


def expected_starts(parts, user_size):
    """name -> start; tail partitions (0xFFFFxxxx) laid from the user area's end."""
    starts, end = {}, user_size
    for p in reversed(parts):
        if p["physical_start_addr"] & 0xFFFF0000 == 0xFFFF0000 and p["region"] == "user":
            end -= p["partition_size"]
            starts[p["name"]] = end
    for p in parts:
        starts.setdefault(p["name"], p["physical_start_addr"])
    return starts


def session(tmp, env):
    state = os.path.join(tmp, "S")
    provision(state, "mt6737", FIXTURE, env=env)
    link = os.path.join(state, "tty")
    emu = start_emu(["--chip", "mt6737", "--state", state, "--link", link], env=env)
    try:
        line = read_line(emu)
        check(line == "ready " + link, "mtkemu said %r, not 'ready %s'" % (line, link))
        port = "serial:" + link
        p = run([MTKFLASH, "--port", port, "printgpt", "--json"], env=env)
        doc = json.loads(p.stdout)
        parts = scatter_parts(FIXTURE)
        got = {x["name"]: x for x in doc["partitions"]}
        check(sorted(got) == sorted(x["name"] for x in parts),
              "printgpt lists %s, the scatter %s" % (sorted(got), [x["name"] for x in parts]))
        starts = expected_starts(parts, doc["storage"]["user"])
        for x in parts:
            g = got.get(x["name"])
            if g is None:
                continue
            check(g["start"] == starts[x["name"]] and g["region"] == x["region"],
                  "%s: printgpt says %s 0x%x, the scatter %s 0x%x"
                  % (x["name"], g["region"], g["start"], x["region"], starts[x["name"]]))

        data = os.urandom(8 << 20)
        img = write_file(os.path.join(tmp, "boot-8m.bin"), data)
        run([MTKFLASH, "-q", "--port", port, "write", "boot", img], env=env)
        back = os.path.join(tmp, "boot-back.bin")
        run([MTKFLASH, "-q", "--port", port, "read", "boot", back], env=env)
        check(read_file(back, len(data)) == data, "boot read back over the pty differs from what was written")
    finally:
        rc = stop_emu(emu)
        check(rc == 0, "mtkemu exited %s after SIGTERM (stderr %r)" % (rc, emu.stderr.read()))
        check(not os.path.lexists(link), "mtkemu left its link %s behind" % link)


def main(tmp):
    # An empty DA folder: the synthetic DA must come from the pty rule,
    # not from whatever the user installed.
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, "xdg"))
    session(tmp, env)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-da-pty-", main))
