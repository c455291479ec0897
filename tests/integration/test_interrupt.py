#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Ctrl-C and SIGTERM mid-write (issue 8 item 4): a 16 MiB write to mtkemu
over a pty is signalled while the emulator holds it stopped at its second
command, which starts 4 MiB in (commands begin at 4 MiB and grow on a fast
link; the fault pause-at-write stops mtkemu there; the signal is sent, then
mtkemu continued).  mtkflash stops at the next command boundary, says how
much is written — exactly what the device holds — emits its JSON document
(interrupted, bytes_done, bytes_total), exits 130 / 143, and the device still
answers the next command.  The same under timeout(1), which sends its signal
to the command and then to the command's process group, so it comes twice at
once: that is one request.  A second Ctrl-C a moment later ends mtkflash at
once."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (MTKFLASH, SCATTERS, check, flash, in_tmpdir, provision, read_line, run,  # noqa: E402
                     start_emu, state_bytes, stop_emu, write_file)

FIXTURE = os.path.join(SCATTERS, "MT6737M__ksauraj_device_x5511B_dump__MT6737M_Android_scatter.txt")
SIZE = 16 << 20


def wait_stopped(proc):
    """Blocks until mtkemu has stopped itself (pause-at-write)."""
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    if not os.WIFSTOPPED(status):
        proc.returncode = os.waitstatus_to_exitcode(status)
        raise AssertionError("mtkemu ended (%d) before the write it should pause at" % proc.returncode)


def signal_it(proc, sig, how):
    """Signals mtkflash (under timeout(1) when how is "timeout": its expiry,
    SIGALRM, makes it send `sig` to mtkflash and to their process group)."""
    if how == "timeout":
        proc.send_signal(signal.SIGALRM)
    else:
        proc.send_signal(sig)
    if how == "twice":
        time.sleep(0.3)  # a second Ctrl-C: later than an echo of the first (0.1 s)
        proc.send_signal(sig)


def interrupted_write(tmp, state, img, sig, want_exit, how="once"):
    name = signal.Signals(sig).name + ("" if how == "once" else "-" + how)
    link = os.path.join(tmp, "tty-" + name)
    port = "serial:" + link
    emu = start_emu(["--chip", "mt6737", "--state", state, "--link", link])
    try:
        check(read_line(emu) == "ready " + link, "%s: mtkemu ready" % name)
        system = [p for p in flash(port, "printgpt", json_out=True)["partitions"] if p["name"] == "system"][0]
        stop_emu(emu)
        emu = start_emu(["--chip", "mt6737", "--state", state, "--link", link,
                         "--faults", "pause-at-write=user:%#x:1" % (system["start"] + (4 << 20))])
        read_line(emu)
        cmd = [MTKFLASH, "--port", port, "--json", "write", "system", img]
        if how == "timeout":
            cmd = ["timeout", "--preserve-status", "-s", signal.Signals(sig).name[3:], "600"] + cmd
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_stopped(emu)
            signal_it(proc, sig, how)
            if how == "twice":
                out, err = proc.communicate(timeout=120)  # before the emulator goes on
            os.kill(emu.pid, signal.SIGCONT)
            if how != "twice":
                out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err = err.decode(errors="replace")
        if how == "twice":
            check(proc.returncode == -sig, "%s: ended by the second signal (%d; stderr %r)"
                  % (name, proc.returncode, err[-300:]))
            return
        done = check_interrupted(name, proc.returncode, want_exit, out, err)
        check_device_holds(name, state, system["start"], img, done)
        p = run([MTKFLASH, "-q", "--port", port, "printgpt", "--json"], expect=None)
        check(p.returncode == 0 and "system" in p.stdout,
              "%s: the device answers printgpt afterwards (exit %d, %r)" % (name, p.returncode, p.stderr[-400:]))
    finally:
        check(stop_emu(emu) == 0, "%s: mtkemu exits 0 on SIGTERM" % name)


def check_interrupted(name, code, want_exit, out, err):
    check(code == want_exit, "%s: exit %d (wanted %d; stderr %r)" % (name, code, want_exit, err[-600:]))
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
    # Held in the second command: the host ends that command, then stops.
    check(4 << 20 < done < SIZE and done % (4 << 20) == 0,
          "%s: JSON bytes_done 0x%x is the end of the command the signal came in" % (name, done))
    check("interrupted: system partially written, %#x of %#x bytes" % (done, SIZE) in err,
          "%s: the message gives the same count (stderr %r)" % (name, err[-300:]))
    check(doc.get("error", {}).get("name") == "MTK_E_INTERRUPTED", "%s: JSON error is MTK_E_INTERRUPTED" % name)
    return done


def check_device_holds(name, state, start, img, done):
    """What the tool says is written is on the device, and no more."""
    with open(img, "rb") as f:
        data = f.read()
    dev = state_bytes(state, "user", start, SIZE)
    check(dev[:done] == data[:done], "%s: the first 0x%x bytes of system are the image's" % (name, done))
    check(dev[done:done + 4096] != data[done:done + 4096], "%s: the device holds nothing past 0x%x" % (name, done))


def body(tmp):
    state = os.path.join(tmp, "S")
    provision(state, "mt6737", FIXTURE)
    # An image of its own per run: what the device holds past bytes_done
    # must differ from the image being written.
    for sig, code, how in ((signal.SIGINT, 130, "once"), (signal.SIGTERM, 143, "once"),
                           (signal.SIGINT, 130, "timeout"), (signal.SIGINT, 130, "twice")):
        img = write_file(os.path.join(tmp, "system-%s-%s.img" % (sig.name, how)), os.urandom(SIZE))
        interrupted_write(tmp, state, img, sig, code, how)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtk-interrupt-", body))
