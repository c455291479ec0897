#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""write --verify against the emulated MT6737 (GPT era): a raw image and a
sparse image are written and read back (SHA-256 of image and read-back
reported and equal); a sparse image's holes keep the device's old bytes
(checked in the emulator's state files); a corrupt-write fault inside boot
fails with exit 5 naming boot and the first bad offset; a transient fault
passes after the one rewrite; a sparse image with a bad CRC or one too big
for the partition is refused before anything is written; Ctrl-C stops with
exit 130 naming the bytes sent; an image rewritten in place during the
read-back fails the write."""
import hashlib
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkgimages  # noqa: E402
from mtkutil import MTKFLASH, check, flash, in_tmpdir, pick, provision_fixture, state_bytes, write_file  # noqa: E402

FIXTURE = "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt"
BLK = 4096


def sha(data):
    return hashlib.sha256(data).hexdigest()


def raw_verified(tmp, port, state, boot):
    data = os.urandom(3 * 1024 * 1024 + 123)
    img = write_file(os.path.join(tmp, "boot.img"), data)
    doc = flash(port, "write", boot["name"], img, "--verify", json_out=True)
    v = doc["verify"]
    check(doc["ok"] and v["verified"] and not v["sparse"], "raw: verified")
    check(v["image_sha256"] == sha(data) == v["readback_sha256"] == v["file_sha256"],
          "raw: image and read-back SHA-256 equal the file's")
    check(v["bytes_written"] == len(data) and v["bytes_verified"] == len(data), "raw: bytes written and verified")
    check(state_bytes(state, "user", boot["start"], len(data)) == data, "raw: the storage holds the image")
    p = flash(port, "write", boot["name"], img, "--verify")
    check("read-back SHA-256 %s (match)" % sha(data) in p.stdout, "raw: the text report shows the match")


def sparse_keeps_holes(tmp, port, state, part):
    old = os.urandom(8 * BLK)
    flash(port, "write", part["name"], write_file(os.path.join(tmp, "old.img"), old))
    a, b = os.urandom(2 * BLK), os.urandom(BLK)
    image, expanded = pkgimages.sparse([("raw", a), ("fill", 0x11223344, 1), ("hole", 3), ("raw", b), ("crc",),
                                        ("hole", 1)])
    img = write_file(os.path.join(tmp, "sparse.img"), image)
    doc = flash(port, "write", part["name"], img, "--verify", json_out=True)
    v = doc["verify"]
    data = expanded[:3 * BLK] + expanded[6 * BLK:7 * BLK]
    check(v["verified"] and v["sparse"] and v["ranges"] == 2, "sparse: verified, two ranges")
    check(v["data_bytes"] == 4 * BLK and v["bytes_written"] == 4 * BLK, "sparse: only RAW and FILL bytes sent")
    check(v["file_sha256"] == sha(image), "sparse: the file's SHA-256")
    check(v["image_sha256"] == sha(data) == v["readback_sha256"], "sparse: data and read-back SHA-256")
    dev = state_bytes(state, "user", part["start"], 8 * BLK)
    check(dev[:3 * BLK] == expanded[:3 * BLK] and dev[6 * BLK:7 * BLK] == b, "sparse: data chunks on the device")
    check(dev[3 * BLK:6 * BLK] == old[3 * BLK:6 * BLK] and dev[7 * BLK:] == old[7 * BLK:],
          "sparse: the holes keep the old bytes")

    bad = bytearray(image)
    bad[-16:-12] = b"\xde\xad\xbe\xef"  # the CRC chunk's value: its last 4 bytes, before the 12-byte hole chunk
    img = write_file(os.path.join(tmp, "badcrc.img"), bytes(bad))
    flash(port, "write", part["name"], write_file(os.path.join(tmp, "old.img"), old))
    p = flash(port, "write", part["name"], img, "--verify", expect=None)
    check(p.returncode != 0 and "crc" in p.stderr.lower(), "sparse: a bad CRC chunk is refused (%r)" % p.stderr)
    check(state_bytes(state, "user", part["start"], 8 * BLK) == old, "sparse: nothing written after a bad CRC")

    huge, _ = pkgimages.sparse([("raw", a), ("hole", part["size"] // BLK)], keep_expanded=False)
    p = flash(port, "write", part["name"], write_file(os.path.join(tmp, "huge.img"), huge), "--verify", expect=6)
    check("larger than partition" in p.stderr and "nothing was written" in p.stderr,
          "sparse: an image larger than the partition is refused")


def sparse_read_once(tmp, port, state, part):
    """A sparse image with no CRC is mapped from its chunk headers and read
    once, during the write: its file SHA-256 still covers every byte, and a
    payload the file cuts short is found before anything is written."""
    old = os.urandom(8 * BLK)
    a, b = os.urandom(2 * BLK), os.urandom(BLK)
    image, _ = pkgimages.sparse([("raw", a), ("hole", 2), ("fill", 0x55aa55aa, 1), ("raw", b)], checksum=False)
    img = write_file(os.path.join(tmp, "nocrc.img"), image)
    doc = flash(port, "write", part["name"], img, "--verify", json_out=True)
    v = doc["verify"]
    check(v["verified"] and v["sparse"] and v["ranges"] == 2, "no CRC: verified, two ranges")
    check(v["file_sha256"] == sha(image), "no CRC: the file's SHA-256 taken while writing")

    flash(port, "write", part["name"], write_file(os.path.join(tmp, "old.img"), old))
    img = write_file(os.path.join(tmp, "cut.img"), image[:-100])
    p = flash(port, "write", part["name"], img, "--verify", expect=None)
    check(p.returncode != 0 and "cut.img" in p.stderr and "truncated" in p.stderr,
          "no CRC: a payload cut short is refused, naming the file (%r)" % p.stderr[-300:])
    check(state_bytes(state, "user", part["start"], 8 * BLK) == old, "no CRC: nothing written from a cut image")


def corrupt_fails(tmp, state, boot):
    data = os.urandom(1024 * 1024)
    img = write_file(os.path.join(tmp, "boot2.img"), data)
    at = boot["start"] + 0x3000
    port = "emu:mt6737,state=%s,mode=preloader,faults=corrupt-write=user:%#x:16" % (state, at)
    p = flash(port, "write", boot["name"], img, "--verify", expect=5)
    check(boot["name"] in p.stderr and "mismatch at 0x3000" in p.stderr and "after a rewrite" in p.stderr,
          "corrupt-write: exit 5 naming %s and 0x3000 (%r)" % (boot["name"], p.stderr.strip()))
    doc = flash(port, "write", boot["name"], img, "--verify", expect=5, json_out=True)
    v = doc["verify"]
    check(not v["verified"] and v["first_bad_offset"] == 0x3000 and v["rewrites"] == 1,
          "corrupt-write: JSON names the offset and the rewrite")
    check(v["readback_sha256"] != v["image_sha256"], "corrupt-write: the SHA-256 differ")

    port = "emu:mt6737,state=%s,mode=preloader,faults=corrupt-write-once=user:%#x:16" % (state, at)
    doc = flash(port, "write", boot["name"], img, "--verify", json_out=True)
    check(doc["verify"]["verified"] and doc["verify"]["rewrites"] == 1, "transient fault: passes after a rewrite")
    check(state_bytes(state, "user", boot["start"], len(data)) == data, "transient fault: storage holds the image")


def interrupted(tmp, state, part):
    """Ctrl-C during the write pass: exit 130, stopped at a command boundary, the bytes sent named."""
    img = write_file(os.path.join(tmp, "big.img"), os.urandom(16 << 20))
    port = "emu:mt6737,state=%s,mode=preloader,speed=usb2-hs" % state
    p = subprocess.Popen([MTKFLASH, "--port", port, "write", part["name"], img, "--verify"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stderr.readline()  # the write pass's first progress line: the write has begun
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    check(first.startswith("write %s" % part["name"]), "interrupt: progress names the write pass (%r)" % first)
    check(p.returncode == 130 and "partly written: 0x" in err and "interrupted" in err,
          "interrupt: exit 130 saying how much was sent (%d, %r)" % (p.returncode, err.strip()))


def rewritten_in_place(tmp, state, part):
    """The image rewritten in place (same size) while it is being read back:
    the write fails saying so instead of reporting either content verified."""
    img = write_file(os.path.join(tmp, "moving.img"), os.urandom(32 << 20))  # 0.8 s of read-back
    port = "emu:mt6737,state=%s,mode=preloader,speed=usb2-hs" % state
    p = subprocess.Popen([MTKFLASH, "--port", port, "write", part["name"], img, "--verify"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    while line and not line.startswith("verify "):  # the read-back pass has begun
        line = p.stderr.readline()
    with open(img, "r+b") as f:
        f.write(os.urandom(4096))
    _, err = p.communicate(timeout=120)
    check(line.startswith("verify "), "rewritten: progress shows the read-back pass")
    check(p.returncode == 8 and "was modified during the write" in err,
          "rewritten: refused, naming the change (%d, %r)" % (p.returncode, err.strip()[-300:]))


def body(tmp):
    state = provision_fixture(tmp, "MT6737", FIXTURE, ["--user-size", "16G"])
    port = "emu:mt6737,state=%s,mode=preloader" % state
    parts = flash(port, "printgpt", json_out=True)["partitions"]
    boot = pick(parts, "boot")
    raw_verified(tmp, port, state, boot)
    sparse_keeps_holes(tmp, port, state, pick(parts, "recovery"))
    sparse_read_once(tmp, port, state, pick(parts, "recovery"))
    corrupt_fails(tmp, state, boot)
    interrupted(tmp, state, pick(parts, "system"))
    rewritten_in_place(tmp, state, pick(parts, "system"))


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-vwrite-", body))
