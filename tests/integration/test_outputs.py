#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Outputs are written safely, and write sources deliver what they promised.

read: an existing file is refused without --force and replaced with it; a
symbolic link is refused even with --force (its target untouched); a read
cut by a disconnect leaves the old file intact and no temporary file; the
output is mode 0600.  write: a complete write reports the image's SHA-256;
an image on a FIFO is refused."""
import hashlib
import os
import stat
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, check, in_tmpdir, provision_fixture, run, write_file  # noqa: E402

FIXTURE = "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt"
RANGE = ["--region", "user", "--offset", "0", "--length", "1M"]


def flash(port, *args, expect=None):
    return run([MTKFLASH, "-q", "--port", port] + list(args), expect=expect)


def test_read(tmp, port, state):
    out = write_file(os.path.join(tmp, "out.bin"), b"old")
    p = flash(port, "read", *RANGE, out)
    check(p.returncode == 8 and "already exists" in p.stderr, "existing output refused: %r" % p.stderr)
    check(open(out, "rb").read() == b"old", "refused read left the old file")
    flash(port, "read", "--force", *RANGE, out, expect=0)
    check(os.path.getsize(out) == 1 << 20, "--force replaced the file")
    check(stat.S_IMODE(os.stat(out).st_mode) == 0o600, "device data is mode 0600")
    target = write_file(os.path.join(tmp, "target"), b"keep")
    link = os.path.join(tmp, "link.bin")
    os.symlink(target, link)
    p = flash(port, "read", "--force", *RANGE, link)
    check(p.returncode == 8 and "symbolic link" in p.stderr, "symlinked output refused: %r" % p.stderr)
    check(open(target, "rb").read() == b"keep" and os.path.islink(link), "symlink target untouched")
    write_file(out, b"old")
    cut = "emu:mt6737,state=%s,mode=preloader,faults=disconnect-after=600K" % state
    p = flash(cut, "read", "--force", "--region", "user", "--offset", "0", "--length", "4M", out)
    check(p.returncode != 0, "interrupted read fails (exit %d)" % p.returncode)
    check(open(out, "rb").read() == b"old", "interrupted read left the old file intact")
    left = [n for n in os.listdir(tmp) if ".tmp-" in n]
    check(left == [], "no temporary file left behind: %s" % left)


def feed_fifo(path, data):
    with open(path, "wb") as f:
        f.write(data)


def test_write(tmp, port):
    img = os.urandom(300000)
    path = write_file(os.path.join(tmp, "boot.img"), img)
    p = flash(port, "--json", "write", "boot", path, expect=0)
    check(hashlib.sha256(img).hexdigest() in p.stdout, "write reports the image's SHA-256 (json)")
    p = flash(port, "write", "boot", path, expect=0)
    check(hashlib.sha256(img).hexdigest() in p.stdout, "write reports the image's SHA-256 (text)")
    # An image on a FIFO has no size to promise: refused before connecting.
    # (A regular file that shrinks mid-write is pinned by tests/unit/test_cli_da.c.)
    fifo = os.path.join(tmp, "fifo.img")
    os.mkfifo(fifo)
    t = threading.Thread(target=feed_fifo, args=(fifo, img[:1000]))
    t.start()
    p = flash(port, "write", "boot", fifo)
    t.join()
    check(p.returncode == 8 and "not a regular file" in p.stderr, "a FIFO image is refused: %r" % p.stderr)


def test_readback_dir(tmp, port):
    """A symlinked backup folder is refused before anything is read."""
    real = os.path.join(tmp, "real-dir")
    os.mkdir(real)
    link = os.path.join(tmp, "backup-link")
    os.symlink(real, link)
    p = flash(port, "readback", link)
    check(p.returncode == 8 and "symbolic link" in p.stderr, "symlinked readback folder refused: %r" % p.stderr)
    check(os.listdir(real) == [], "nothing written through the symlinked folder")


def body(tmp):
    state = provision_fixture(tmp, "MT6737", FIXTURE, ["--user-size", "16G"])
    port = "emu:mt6737,state=%s,mode=preloader" % state
    test_read(tmp, port, state)
    test_write(tmp, port)
    test_readback_dir(tmp, port)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-outputs-", body))
