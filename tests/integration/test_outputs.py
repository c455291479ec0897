#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Outputs are written safely, and write sources deliver what they promised.

read: an existing file is refused without --force and replaced with it; a
symbolic link is refused even with --force (its target untouched); a read
cut by a disconnect leaves the old file intact and no temporary file; the
output is mode 0600.  write: a complete write reports the image's SHA-256;
an image on a FIFO is refused.  Every writer (read, readback, keygen) refuses an
existing output with exit 8."""
import hashlib
import json
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


def test_existing_refused(tmp, port):
    """Every writer refuses an output that exists with the same status: 8 (a host
    file could not be written), error.code MTK_E_IO, the old content kept."""
    E_IO = -3
    old = write_file(os.path.join(tmp, "exists.bin"), b"old")
    full = os.path.join(tmp, "full")
    os.mkdir(full)
    write_file(os.path.join(full, "stray"), b"old")
    write_file(os.path.join(tmp, "k.key"), b"old")
    cases = [
        (["--port", port, "read"] + RANGE + [old], old),
        (["--port", port, "readback", full], os.path.join(full, "stray")),
        (["keygen", "--out", os.path.join(tmp, "k")], os.path.join(tmp, "k.key")),
    ]
    for args, kept in cases:
        p = run([MTKFLASH, "-q", "--json"] + args, expect=None)
        doc = json.loads(p.stdout)
        check(p.returncode == 8 and doc.get("exit_status") == 8, "%s: exit %d (wanted 8): %s"
              % (args[2] if args[0] == "--port" else args[0], p.returncode, p.stderr))
        check(doc.get("error", {}).get("code") == E_IO, "%s: error.code %s" % (args, doc.get("error")))
        check(open(kept, "rb").read() == b"old", "%s: the existing file kept" % kept)


def body(tmp):
    state = provision_fixture(tmp, "MT6737", FIXTURE, ["--user-size", "16G"])
    port = "emu:mt6737,state=%s,mode=preloader" % state
    test_read(tmp, port, state)
    test_write(tmp, port)
    test_readback_dir(tmp, port)
    test_existing_refused(tmp, port)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-outputs-", body))
