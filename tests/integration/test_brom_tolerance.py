#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Replies that real devices give where the reference says otherwise, and
that mtkclient accepts (issue 7 item 5): mtkflash accepts them too, with a
warning naming what it accepted.  Each variant is an emulated MT6580
("mt6580+QUIRK", emu/profiles.c) in preloader mode; printgpt must go all the
way through the DA to the partition table, and the warning must be on stderr."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, check, in_tmpdir, provision_fixture, run, scatter_names, SCATTERS  # noqa: E402

FIXTURE = "MT6580__Dewil-King_Sectter-File__MT6580_Android_scatter.txt"
VARIANTS = [
    ("hw-code-word2", "GET_HW_CODE: second word 0xca00"),
    ("no-target-config", "GET_TARGET_CONFIG is not supported by this device"),
    ("bl-ver-4", "preloader version 4 is not one the reference lists"),
    ("write-status-3", "WRITE32: the first status 0x0003 accepted"),
    ("send-da-status-low", "SEND_DA: the first status 0x0005 accepted"),
    ("send-da-checksum-0", "SEND_DA: the device answered checksum 0 (not computed)"),
]


def printgpt(port):
    p = run([MTKFLASH, "--json", "--port", port, "printgpt"], expect=None)
    return p, (json.loads(p.stdout) if p.stdout.strip() else {})


def main(tmp):
    state = provision_fixture(tmp, "MT6580", FIXTURE)
    want = sorted(n.lower() for n in scatter_names(os.path.join(SCATTERS, FIXTURE)))
    for quirk, warning in VARIANTS:
        # Each variant is another phone on the same storage: power-cycle so
        # no DA left running by the previous one answers in its place.
        port = "emu:mt6580+%s,state=%s,mode=preloader,plug=power-cycle" % (quirk, state)
        p, doc = printgpt(port)
        check(p.returncode == 0, "%s: printgpt exit %d: %s" % (quirk, p.returncode, p.stderr))
        names = sorted(x["name"].lower() for x in doc.get("partitions", []))
        check(names == want, "%s: printgpt lists %s" % (quirk, names))
        check(warning in p.stderr, "%s: no warning %r in %r" % (quirk, warning, p.stderr))
    # the plain device gives none of these warnings
    p, _ = printgpt("emu:mt6580,state=%s,mode=preloader,plug=power-cycle" % state)
    check(p.returncode == 0 and "warning" not in p.stderr, "plain MT6580: %r" % p.stderr)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-tolerance-", main))
