#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Partition names are device data, and device data is hostile input.

An emulated MT6737's GPT (in its user.bin, both copies, CRCs fixed) gets an
entry renamed to '../../escaped' or to a terminal escape sequence.  printgpt
(text and --json) and readback must refuse the table with the name shown
escaped, and readback must write nothing outside (or inside) its folder."""
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, check, in_tmpdir, provision_fixture, run  # noqa: E402

FIXTURE = "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt"
SS = 512


def rename_in_copy(f, hdr_lba, old, new):
    """Renames entry `old` to `new` in the GPT copy whose header is at hdr_lba."""
    f.seek(hdr_lba * SS)
    hdr = bytearray(f.read(92))
    entries_lba, num, esize = struct.unpack_from("<QII", hdr, 72)
    f.seek(entries_lba * SS)
    ents = bytearray(f.read(num * esize))
    for i in range(num):
        at = i * esize + 56
        if ents[at:at + 72].decode("utf-16-le").rstrip("\0") == old:
            ents[at:at + 72] = new.encode("utf-16-le").ljust(72, b"\0")
    struct.pack_into("<I", hdr, 88, zlib.crc32(bytes(ents)))
    struct.pack_into("<I", hdr, 16, 0)
    struct.pack_into("<I", hdr, 16, zlib.crc32(bytes(hdr)))
    f.seek(entries_lba * SS)
    f.write(ents)
    f.seek(hdr_lba * SS)
    f.write(hdr)


def rename_partition(state, old, new):
    path = os.path.join(state, "user.bin")
    with open(path, "r+b") as f:
        last = os.path.getsize(path) // SS - 1
        rename_in_copy(f, 1, old, new)
        rename_in_copy(f, last, old, new)


def try_name(tmp, name, tag):
    state = provision_fixture(tmp, "MT6737", FIXTURE, ["--user-size", "16G"])
    rename_partition(state, "boot", name)
    port = "emu:mt6737,state=%s,mode=preloader" % state
    p = run([MTKFLASH, "-q", "--port", port, "printgpt"], expect=None)
    check(p.returncode == 9, "%s: printgpt exit %d (wanted 9)" % (tag, p.returncode))
    check("not safe as a file name" in p.stderr, "%s: printgpt message: %r" % (tag, p.stderr))
    check("\x1b" not in p.stdout + p.stderr, "%s: raw escape byte printed" % tag)
    p = run([MTKFLASH, "-q", "--json", "--port", port, "printgpt"], expect=None)
    doc = json.loads(p.stdout)
    check(doc["error"]["code"] == -9 and "\x1b" not in p.stdout, "%s: printgpt --json: %s" % (tag, p.stdout))
    check("\\x1b" in doc["error"]["message"] or "\x1b" not in name, "%s: name not escaped in JSON" % tag)
    out = os.path.join(tmp, "deep", "backup")
    os.makedirs(os.path.dirname(out))
    before = sorted(os.listdir(tmp))
    p = run([MTKFLASH, "-q", "--port", port, "readback", out], expect=None)
    check(p.returncode == 9, "%s: readback exit %d (wanted 9): %s" % (tag, p.returncode, p.stderr))
    check(sorted(os.listdir(tmp)) == before, "%s: readback created %s" % (tag, sorted(os.listdir(tmp))))
    top = os.path.dirname(tmp)
    check(not any(n.startswith("escaped") for n in os.listdir(top) + os.listdir(tmp)),
          "%s: a file escaped the backup folder" % tag)
    check(os.listdir(out) == [], "%s: readback wrote %s" % (tag, os.listdir(out)))


def body(tmp):
    for i, (name, tag) in enumerate([("../../escaped", "dotdot"), ("\x1b[2Jboot", "escape")]):
        sub = os.path.join(tmp, str(i))
        os.makedirs(sub)
        try_name(sub, name, tag)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-hostile-", body))
