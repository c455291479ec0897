#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Ctrl-C and SIGTERM mid-write (issue 8 item 4): a 16 MiB write over a slow
link (mtkemu --speed usb2-fs, about 1 MB/s) is signalled once its progress
shows on stderr.  mtkflash stops at the next command boundary, says how much
is written, emits its JSON document (interrupted, bytes_done, bytes_total),
exits 130 / 143, and the device still answers the next command."""
import json
import os
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (MTKFLASH, SCATTERS, check, in_tmpdir, provision, read_line, run,  # noqa: E402
                     start_emu, stop_emu, write_file)

FIXTURE = os.path.join(SCATTERS, "MT6737M__ksauraj_device_x5511B_dump__MT6737M_Android_scatter.txt")
SIZE = 16 << 20


def wait_for_progress(proc, timeout=120.0):
    """Reads stderr until a progress line of the write shows; returns what was read."""
    fd = proc.stderr.fileno()
    seen = b""
    end = time.monotonic() + timeout
    while b"writing system: " not in seen:
        r, _, _ = select.select([fd], [], [], max(end - time.monotonic(), 0))
        if not r:
            raise AssertionError("no progress from the write within %.0f s (stderr %r)" % (timeout, seen))
        chunk = os.read(fd, 4096)
        if not chunk:
            raise AssertionError("mtkflash ended before any progress (stderr %r)" % seen)
        seen += chunk
    return seen


def interrupted_write(port, img, sig, want_exit):
    name = signal.Signals(sig).name
    proc = subprocess.Popen([MTKFLASH, "--port", port, "--json", "write", "system", img],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        head = wait_for_progress(proc)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = (head + err).decode(errors="replace")
    check(proc.returncode == want_exit, "%s: exit %d (wanted %d; stderr %r)" % (name, proc.returncode, want_exit,
                                                                             err[-600:]))
    check("interrupted: system partially written, 0x" in err and "of 0x%x bytes" % SIZE in err,
          "%s: the message says what is written (stderr %r)" % (name, err[-600:]))
    try:
        doc = json.loads(out)
    except ValueError:
        check(False, "%s: stdout is one JSON document (%r)" % (name, out[:300]))
        return
    check(doc.get("interrupted") is True, "%s: JSON has interrupted: true" % name)
    done = doc.get("bytes_done", -1)
    check(doc.get("bytes_total") == SIZE, "%s: JSON bytes_total is the image size" % name)
    check(0 <= done < SIZE and done % (4 << 20) == 0,
          "%s: JSON bytes_done 0x%x is a command boundary short of the end" % (name, done))
    check(doc.get("error", {}).get("name") == "MTK_E_INTERRUPTED", "%s: JSON error is MTK_E_INTERRUPTED" % name)
    p = run([MTKFLASH, "-q", "--port", port, "printgpt", "--json"], expect=None)
    check(p.returncode == 0 and "system" in p.stdout,
          "%s: the device answers printgpt afterwards (exit %d, %r)" % (name, p.returncode, p.stderr[-400:]))


def body(tmp):
    state = os.path.join(tmp, "S")
    provision(state, "mt6737", FIXTURE)
    link = os.path.join(tmp, "tty")
    emu = start_emu(["--chip", "mt6737", "--state", state, "--link", link, "--speed", "usb2-fs"])
    try:
        check(read_line(emu) == "ready " + link, "mtkemu ready")
        img = write_file(os.path.join(tmp, "system.img"), os.urandom(SIZE))
        interrupted_write("serial:" + link, img, signal.SIGINT, 130)
        interrupted_write("serial:" + link, img, signal.SIGTERM, 143)
    finally:
        check(stop_emu(emu) == 0, "mtkemu exits 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtk-interrupt-", body))
